"""Make the INT8 pose model for pose-node precision 'int8' (NNCF post-training quantisation).

Reads the OpenPose mobilenet_thin graph fetched by 'har-ros fetch-weights', fixes its input to
the network input size the runtime uses for a camera (--image-size at --net-height: 640x480 at
368 is 496x368), calibrates NNCF's post-training quantisation on --subset real frames taken
evenly from --video (default: the demo clip vtest.avi, fetched like 'har-ros demo' does) and
writes, next to the graph:

  openpose_mobilenet_thin_int8_<h>x<w>.xml/.bin   the INT8 OpenVINO IR (never committed)
  openpose_mobilenet_thin_int8_<h>x<w>.json       provenance: source graph sha256, NNCF and
                                                  OpenVINO versions, clip and frame indices,
                                                  subset size, preset, layers kept f32,
                                                  IR sha256

One IR per network input size: run it for each camera resolution and net_height in use. The
pose node with precision 'int8' refuses to start when the IR for 640x480 is missing or was
made from another graph, and reports a missing IR for another camera size on its frames.
Nothing is done when the IR is already there from the same graph, clip and settings (--force
redoes it; an IR made by an older version without its settings is refused by the node until
redone). Takes 1-2 minutes per size on 2 busy cores; needs NNCF (requirements.txt).
"""

from __future__ import annotations

import argparse


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give WIDTHxHEIGHT, e.g. 640x480") from None
    if width < 16 or height < 16:
        raise argparse.ArgumentTypeError(f"{text!r}: width and height must be >= 16 pixels")
    return width, height


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``har-ros quantize-pose``."""
    from har_ros.pose.base import DEFAULT_NET_HEIGHT
    from har_ros.pose.quantize import DEFAULT_PRESET, DEFAULT_SUBSET, PRESETS

    parser.add_argument("--net-height", type=int, nargs="+", default=[DEFAULT_NET_HEIGHT],
                        help="network input height(s) in pixels, as the pose node's "
                        f"net_height (default {DEFAULT_NET_HEIGHT})")
    parser.add_argument("--image-size", type=_size, nargs="+", default=[(640, 480)],
                        metavar="WxH", help="camera image size(s) in pixels; with the net "
                        "height they give the network input size (default 640x480)")
    parser.add_argument("--weights", default=None, metavar="PATH",
                        help="the f32 graph (file or folder), as the pose node's weights_path; "
                        "the IR is written beside it (default: $HAR_ROS_WEIGHTS_DIR or "
                        "<sys.prefix>/share/har_ros/weights)")
    parser.add_argument("--video", default=None, metavar="FILE",
                        help="calibration clip (default: the demo clip vtest.avi, fetched from "
                        "Debian's opencv-doc when absent); pick footage like your cell's")
    parser.add_argument("--subset", type=int, default=DEFAULT_SUBSET, metavar="N",
                        help=f"calibration frames, spread evenly over the clip (default "
                        f"{DEFAULT_SUBSET})")
    parser.add_argument("--preset", choices=PRESETS, default=DEFAULT_PRESET,
                        help="NNCF preset: 'mixed' (asymmetric activations) or 'performance' "
                        f"(symmetric) (default {DEFAULT_PRESET})")
    parser.add_argument("--force", action="store_true",
                        help="quantise again even when a current IR is there")
    parser.add_argument("--check", action="store_true",
                        help="only check that each IR is present and matches the graph "
                        "(exit 1 if not); quantise nothing")


def run(args: argparse.Namespace) -> int:
    """Quantise (or with --check verify) one IR per net height and image size."""
    from pathlib import Path

    from har_ros.errors import BackendUnavailableError, ConfigError
    from har_ros.pose import weights
    from har_ros.pose.int8_model import file_sha256, int8_paths, locate_int8
    from har_ros.pose.openpose_mobilenet import net_input_size
    from har_ros.pose.quantize import QuantizeSpec, is_current, quantize_openpose

    for height in args.net_height:
        if height < 64 or height > 1024 or height % 16:
            raise ConfigError(f"--net-height {height}: use a multiple of 16 in [64, 1024]")
    graph = weights.locate_weights(weights.OPENPOSE_MOBILENET_THIN, args.weights)
    jobs = [(h, size, net_input_size(size[0], size[1], h))
            for h in args.net_height for size in args.image_size]
    if args.check:
        source = file_sha256(graph)
        missing = 0
        for _height, size, (net_w, net_h) in jobs:
            try:
                xml = locate_int8(graph, source, net_h, net_w, size)
                print(f"ok: {xml}")
            except BackendUnavailableError as exc:
                print(f"missing: {exc}")
                missing += 1
        return 1 if missing else 0
    if args.video:
        video = Path(args.video)
        if not video.is_file():
            raise ConfigError(f"--video {video}: no such file")
    else:
        from har_ros.demo_assets import fetch_demo_video

        video = fetch_demo_video()
    for height, size, (net_w, net_h) in jobs:
        spec = QuantizeSpec(net_height=net_h, net_width=net_w, image_size=size, video=video,
                            subset_size=args.subset, preset=args.preset)
        xml = int8_paths(graph.parent, net_h, net_w)[0]
        if not args.force and is_current(spec, graph):
            print(f"ok: {xml} is current (net {height}, {size[0]}x{size[1]}; --force redoes it)")
            continue
        print(f"quantising for {size[0]}x{size[1]} images at net height {height} "
              f"(network input {net_w}x{net_h}) on {args.subset} frames of {video.name} ...",
              flush=True)
        command = (f"har-ros quantize-pose --net-height {height} --image-size "
                   f"{size[0]}x{size[1]} --subset {args.subset} --preset {args.preset} "
                   f"--video {video} --weights {graph.parent}")
        meta = quantize_openpose(graph, spec, command)
        print(f"ok: {xml} (provenance {meta.name})")
    return 0
