"""Run the pose node: camera images -> tracked 18-joint skeletons (SkeletonArray).

Subscribes to each camera's image topic (Image or CompressedImage), runs the pose backend on
the newest frame of every camera (older unprocessed frames are dropped and counted), tracks
people and publishes '<camera>/skeletons' stamped with the source image's header.
ROS arguments follow --ros-args, e.g.:

  har-ros pose-node --ros-args -p cameras:="[cam0, cam1]" -r cam0/image_raw:=/usb_cam/image_raw
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--print-params",
        action="store_true",
        help="print every parameter with its type, default and description, then exit",
    )


def run(args: argparse.Namespace) -> int:
    if args.print_params:
        from har_ros.pose_config import PoseNodeConfig
        from har_ros.tools.params_table import print_params

        print_params("pose_node", PoseNodeConfig)
        return 0
    from har_ros.ros.pose_node import PoseNode
    from har_ros.ros.runner import run_nodes

    return run_nodes([PoseNode], args.ros_args)
