"""Play a video file as a camera: sensor_msgs/Image (or CompressedImage) at its frame rate.

Stamps are the clock time at publication, as a camera driver stamps frames. Useful to feed
the pipeline (or `har-ros record`) from a recording:

  har-ros camera exercise.avi --camera cam0           # publishes cam0/image_raw
  har-ros camera clip.mp4 --camera cam1 --compressed --loop --rate 0.5
  har-ros camera exercise.avi --wait-for-subscribers 1   # every frame reaches the pipeline
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", help="video file (anything OpenCV reads)")
    parser.add_argument("--camera", default="camera",
                        help="camera name: publishes '<camera>/image_raw' (default: camera)")
    parser.add_argument("--frame-id", default="camera_optical", help="header.frame_id")
    parser.add_argument("--rate", type=float, default=1.0, help="playback speed factor")
    parser.add_argument("--compressed", action="store_true",
                        help="publish '<camera>/image_raw/compressed' (jpeg) instead")
    parser.add_argument("--loop", action="store_true", help="start again at the end")
    parser.add_argument("--max-width", type=int, default=0, help="downscale wider frames")
    parser.add_argument("--wait-for-subscribers", type=int, default=0, metavar="N",
                        help="hold the first frame until N subscribers have matched (default 0:"
                             " start at once like a live camera, so frames sent before the"
                             " pipeline is discovered are lost)")


def run(args: argparse.Namespace) -> int:
    from rclpy.parameter import Parameter

    from har_ros.ros.runner import run_nodes
    from har_ros.ros.video_publisher import VideoPublisher

    overrides = [
        Parameter("video_path", value=args.video),
        Parameter("camera", value=args.camera),
        Parameter("frame_id", value=args.frame_id),
        Parameter("rate_factor", value=float(args.rate)),
        Parameter("compressed", value=bool(args.compressed)),
        Parameter("loop", value=bool(args.loop)),
        Parameter("max_width", value=int(args.max_width)),
        Parameter("wait_for_subscribers", value=int(args.wait_for_subscribers)),
        Parameter("exit_at_end", value=True),
    ]
    return run_nodes([lambda: VideoPublisher(parameter_overrides=overrides)], args.ros_args)
