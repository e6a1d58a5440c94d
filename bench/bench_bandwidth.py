"""Bytes on the wire per message and per second: camera images vs skeletons vs decisions.

For deployments that run a pose node per camera host and send only skeletons to one action
node (docs/integration.md). Serialises real messages with rclpy (CDR, as DDS sends them;
no node is started): a 640x480 frame of ../shared/data/video/exercise.avi as
``sensor_msgs/Image`` (bgr8) and as JPEG ``CompressedImage`` (quality 90), a
``SkeletonArray`` with 0, 1, 3 and 6 people, and an ``ActionStamped`` of the shipped default
model (its classes). Rates: images at 30 fps, skeletons at 30 fps, per-track decisions every
0.2 s per person and the operator heartbeat at 5 Hz. Writes bench/results/bandwidth.json:

  python -m bench.bench_bandwidth
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "bandwidth.json"
VIDEO = ROOT.parent / "shared" / "data" / "video" / "exercise.avi"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", type=Path, default=VIDEO, help="a real clip (first frame)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not args.video.exists():
        raise SystemExit(f"needs {args.video} (the shared data), which is absent here")

    import cv2
    from rclpy.serialization import serialize_message

    from har_ros.action_config import shipped_model_path
    from har_ros.classifier import ActionClassifier
    from har_ros.frames import ActionDecision, SkeletonFrame
    from har_ros.ros import conversions as conv
    from har_ros.video_source import VideoSource

    frame = next(iter(VideoSource(args.video).frames(limit=1)))
    frame = cv2.resize(frame, (640, 480))
    sizes: dict[str, int] = {
        "image_bgr8_640x480": len(serialize_message(conv.bgr_to_imgmsg(frame))),
        "compressed_jpeg90_640x480": len(serialize_message(conv.bgr_to_compressed(frame))),
    }
    rng = np.random.default_rng(0)
    for people in (0, 1, 3, 6):
        sk = np.concatenate([rng.uniform(0, 640, (people, 18, 2)),
                             rng.uniform(0.1, 1, (people, 18, 1))], axis=2).astype(np.float32)
        msg = conv.skeletons_to_msg(SkeletonFrame(
            1_700_000_000_000_000_000, "camera_optical_frame", "cam0", 640, 480,
            "openpose_mobilenet", sk, [f"cam0/{100 + i}" for i in range(people)],
            np.ones(people, np.float32)))
        sizes[f"skeleton_array_{people}_people"] = len(serialize_message(msg))
    classes = ActionClassifier.load(shipped_model_path("default")).classes
    probs = np.full(len(classes), 1 / len(classes), np.float32)
    sizes["action_stamped_default_model"] = len(serialize_message(conv.action_to_msg(
        ActionDecision(1_700_000_000_000_000_000, 1_699_999_998_000_000_000,
                       "camera_optical_frame", "cam0/101", ["cam0"], classes[0], 0, 0.9,
                       list(classes), probs, 0))))
    fps, per_track_hz, heartbeat_hz = 30.0, 5.0, 5.0
    per_second = {
        "image_bgr8_640x480_30fps": sizes["image_bgr8_640x480"] * fps,
        "compressed_jpeg90_640x480_30fps": sizes["compressed_jpeg90_640x480"] * fps,
        **{f"skeletons_{p}_people_30fps": sizes[f"skeleton_array_{p}_people"] * fps
           for p in (1, 3, 6)},
        "decisions_3_tracks_plus_heartbeat": sizes["action_stamped_default_model"]
        * (3 * per_track_hz + heartbeat_hz),
    }
    result = {"command": "python -m bench.bench_bandwidth", "video": str(args.video.name),
              "serialized_bytes": sizes,
              "bytes_per_second": {k: round(v) for k, v in per_second.items()},
              "image_to_skeletons_3_people_ratio": round(
                  sizes["image_bgr8_640x480"] / sizes["skeleton_array_3_people"], 1)}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    for k, v in sizes.items():
        print(f"{k:36s} {v:9d} B")
    for k, v in per_second.items():
        print(f"{k:36s} {v / 1e6:9.3f} MB/s")
    print(f"-> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
