"""Run the whole pipeline on a video: camera publisher -> pose node -> action node.

By default plays the embedded demo clip (OpenCV's vtest.avi of people walking, fetched from
Debian's opencv-doc at set-up) as an Image topic at its frame rate, runs the pose and action
nodes with the shipped model in one process over real DDS (loopback only), then prints a
per-person timeline of actions and writes, under --out:
  annotated.mp4   skeletons, track ids and action labels drawn on the processed frames
  timeline.png    one row per tracked person, coloured by action
  timeline.json   the same as data, plus the operator-level heartbeat statuses
"""

from __future__ import annotations

import argparse
from pathlib import Path

from har_ros.pose.base import DEFAULT_NET_HEIGHT


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--video", help="video file to play (default: the embedded demo clip)")
    parser.add_argument("--out", default="out/demo", help="output folder (default: out/demo)")
    parser.add_argument("--max-seconds", type=float, default=0.0,
                        help="stop after this much of the clip (default: all of it)")
    parser.add_argument("--backend", default="openpose_mobilenet", help="pose backend")
    parser.add_argument("--model", default="", help="action model folder (default: shipped)")
    parser.add_argument("--max-width", type=int, default=0,
                        help="downscale wider frames to this width before publishing (0: keep)")
    parser.add_argument("--net-height", type=int, default=DEFAULT_NET_HEIGHT,
                        help="OpenPose network input height: 480 finds more of the small, far "
                        "people in the demo clip at about twice the cost")


def run(args: argparse.Namespace) -> int:
    from har_ros.demo_assets import fetch_demo_video
    from har_ros.ros.demo_runner import run_demo

    video = Path(args.video) if args.video else fetch_demo_video()
    return run_demo(
        video=video,
        out_dir=Path(args.out),
        max_seconds=args.max_seconds,
        backend=args.backend,
        model=args.model,
        max_width=args.max_width,
        net_height=args.net_height,
        ros_args=args.ros_args,
    )
