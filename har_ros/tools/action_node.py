"""Run the action node: skeleton windows -> LSTM -> ActionStamped per track and operator.

Subscribes to '<camera>/skeletons' for each camera, keeps a window per track on the model's
time base, classifies with the PyTorch LSTM and publishes 'actions' (per track) and 'action'
(operator-level, at a fixed heartbeat rate with an explicit status). Example:

  har-ros action-node --ros-args -p cameras:="[cam0]" -p model_path:=runs/utd/model
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--print-params", action="store_true",
                        help="print every parameter with its type, default and description")


def run(args: argparse.Namespace) -> int:
    if args.print_params:
        from har_ros.action_config import ActionNodeConfig
        from har_ros.tools.params_table import print_params

        print_params("action_node", ActionNodeConfig)
        return 0
    from har_ros.ros.action_node import ActionNode
    from har_ros.ros.runner import run_nodes

    return run_nodes([ActionNode], args.ros_args)
