"""Label a bag or video in the browser: frames with skeletons, timelines, model suggestions.

Serves a local page (127.0.0.1 only, a random port, a token in the URL printed) to mark
intervals per track or for the operator with the classes of a label set; the current model's
decisions are shown as suggestions to accept (a) or correct (c). Every change is saved to the
labels file (docs/labels_format.md), validated by the labels reader before it replaces the
file. An image bag or a video goes through the pose backend once (cached beside the labels
file). Keys and security model: docs/labelling.md.

  har-ros label run1                     # skeleton or image bag -> run1.labels.yaml
  har-ros label clip.mp4 --labels clip.labels.yaml --classes pick place idle
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", help="bag folder (SkeletonArray or image topics) or video file")
    parser.add_argument("--labels", default="",
                        help="labels file to edit (default: <input>.labels.yaml beside the input)")
    parser.add_argument("--classes", nargs="+", default=None,
                        help="the label set (default: the labels file's classes, else the "
                        "model's)")
    parser.add_argument("--model", default="",
                        help="model folder or shipped name for suggestions (default: shipped)")
    parser.add_argument("--no-suggestions", action="store_true",
                        help="do not run the model (no suggestion track)")
    parser.add_argument("--port", type=int, default=0,
                        help="port on 127.0.0.1 (default 0: a free port chosen at random)")
    parser.add_argument("--topics", nargs="+", default=None,
                        help="input topics of a bag (default: every SkeletonArray topic, else "
                        "every image topic)")
    parser.add_argument("--camera", default="camera", help="camera name for a video")
    parser.add_argument("--backend", default="openpose_mobilenet", help="pose backend")
    parser.add_argument("--net-height", type=int, default=368, help="pose network input height")
    parser.add_argument("--limit", type=int, default=0,
                        help="only the first N frames (0 = all)")
    parser.add_argument("--no-progress", action="store_true", help="no progress lines")


def run(args: argparse.Namespace) -> int:
    from har_ros.errors import ConfigError
    from har_ros.labelling.server import LabelServer
    from har_ros.labelling.source import load_source
    from har_ros.labelling.store import LabelStore, default_labels_path
    from har_ros.labelling.suggest import suggestions

    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port {args.port}: give 0 (a free port) or 1..65535")
    if args.limit < 0:
        raise ConfigError(f"--limit {args.limit}: give 0 (all frames) or a positive count")
    inp = Path(args.input)
    labels_path = Path(args.labels) if args.labels else default_labels_path(inp)
    cache = labels_path.with_name(labels_path.name.removesuffix(".yaml") + ".skeletons")
    source = load_source(inp, cache, args.topics, args.camera, args.backend, args.net_height,
                         args.limit, progress=not args.no_progress)
    sugg: dict = {}
    model_classes: list[str] = []
    if not args.no_suggestions:
        print("label: running the model for suggestions", file=sys.stderr, flush=True)
        sugg, model_classes = suggestions(source, args.model)
    classes = list(args.classes or [])
    if not classes and labels_path.exists():
        from har_ros.bags.labels import load_labels

        classes = list(load_labels(labels_path).classes or [])
    classes = classes or model_classes
    if not classes:
        raise ConfigError("no label set: give --classes NAME ... (or a labels file with "
                          "'classes', or leave suggestions on to use the model's classes)")
    store = LabelStore(labels_path, [c for c in classes if c != "unknown"], source.origin_ns,
                       source.duration_s, description=f"labels of {inp.name}")
    server = LabelServer(source, store, sugg, args.port)
    print(f"label: {len(source.frames)} frames, {len(source.tracks())} tracks; saving to "
          f"{labels_path}", flush=True)
    print(f"label: open {server.url}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.close()
    return 0
