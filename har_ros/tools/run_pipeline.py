"""Run the pose and action nodes in one process (one executor): lowest latency, venv route.

Both nodes read their parameters from the same --ros-args (use a params file with
'pose_node:' and 'action_node:' sections, e.g. config/pipeline.yaml):

  har-ros run --ros-args --params-file config/pipeline.yaml
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # all settings are ROS parameters


def run(args: argparse.Namespace) -> int:
    from har_ros.ros.action_node import ActionNode
    from har_ros.ros.pose_node import PoseNode
    from har_ros.ros.runner import run_nodes

    return run_nodes([PoseNode, ActionNode], args.ros_args)
