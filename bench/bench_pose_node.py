"""Pose-node overhead per 640x480 frame: everything the node adds around the backend.

Run from the repository root: ``python -m bench.bench_pose_node [--frames 60]``.
For each real frame (seed_street.mp4, resized to 640x480, as in bench_pose) this times, in one
process with a real rclpy publisher and a subscriber in the same process over Fast DDS:
  conversion   sensor_msgs/Image (rgb8) -> BGR array      (conversions.imgmsg_to_bgr)
  tracking     the tracker's update on the backend's people (tracking.Tracker)
  message      SkeletonArray building                       (conversions.skeletons_to_msg)
  publish      Publisher.publish of that SkeletonArray
and the backend's own infer time, so the overhead is reported in ms and as a ratio to it.
Target (issue 3): overhead p50 < 2 ms and < 5 % of the backend time.
Writes bench/results/pose_node.json and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from bench.bench_pose import DEFAULT_VIDEO, load_frames, machine

RESULTS = Path(__file__).resolve().parent / "results" / "pose_node.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--backend", default="openpose_mobilenet")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not args.video.exists():
        print(f"video {args.video} is absent; pass --video", file=sys.stderr)
        return 2
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    import rclpy
    from std_msgs.msg import Header

    from har_ros.msg import SkeletonArray
    from har_ros.pose import make_backend
    from har_ros.ros import conversions as conv
    from har_ros.tracking import Tracker, TrackerConfig

    frames = load_frames(args.video, args.frames)
    backend = make_backend(args.backend)
    tracker = Tracker(TrackerConfig())
    rclpy.init(domain_id=int(os.environ.get("ROS_DOMAIN_ID", "77")))
    node = rclpy.create_node("bench_pose_node")
    pub = node.create_publisher(SkeletonArray, "bench/skeletons", 10)
    received = []
    node.create_subscription(SkeletonArray, "bench/skeletons", received.append, 10)
    rows: dict[str, list[float]] = {k: [] for k in
                                    ("conversion", "backend", "tracking", "message", "publish")}
    for i, frame in enumerate([frames[0]] * 3 + frames):
        header = Header(stamp=conv.ns_to_stamp(1_000_000_000 + i * 33_000_000), frame_id="cam")
        msg = conv.bgr_to_imgmsg(frame, header, encoding="rgb8")
        t0 = time.perf_counter()
        image = conv.imgmsg_to_bgr(msg)
        t1 = time.perf_counter()
        people = backend.infer([image])[0]
        t2 = time.perf_counter()
        tracks = tracker.update(people, i * 0.033)
        t3 = time.perf_counter()
        skels = (np.stack([t.skeleton for t in tracks]) if tracks
                 else np.zeros((0, 18, 3), np.float32))
        out = conv.skeletons_to_msg(conv.SkeletonFrame(
            conv.stamp_to_ns(header.stamp), "cam", "cam", image.shape[1], image.shape[0],
            args.backend, skels, [f"cam/{t.track_id}" for t in tracks],
            np.array([t.score for t in tracks], np.float32)))
        t4 = time.perf_counter()
        pub.publish(out)
        t5 = time.perf_counter()
        rclpy.spin_once(node, timeout_sec=0.0)
        if i >= 3:
            for key, dt in zip(rows, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
                rows[key].append(dt * 1e3)
    node.destroy_node()
    rclpy.shutdown()
    overhead = np.sum([rows[k] for k in rows if k != "backend"], axis=0)
    backend_ms = np.asarray(rows["backend"])

    def st(v) -> dict:
        return {"median": float(np.median(v)), "p95": float(np.percentile(v, 95))}

    result = {
        "machine": machine(), "video": args.video.name, "frames": len(frames),
        "backend": args.backend,
        "stages_ms": {k: st(v) for k, v in rows.items()},
        "overhead_ms": st(overhead),
        "overhead_ratio_median": float(np.median(overhead) / np.median(backend_ms)),
        "people_per_frame": float(np.mean([len(m.skeletons) for m in received])) if received
        else 0.0,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print("| stage (640x480) | ms median | ms p95 |\n|---|---|---|")
    for k, v in result["stages_ms"].items():
        print(f"| {k} | {v['median']:.2f} | {v['p95']:.2f} |")
    o = result["overhead_ms"]
    print(f"| **node overhead** (all but backend) | **{o['median']:.2f}** | **{o['p95']:.2f}** |")
    print(f"\noverhead / backend time (medians): {100 * result['overhead_ratio_median']:.1f} %; "
          f"{result['people_per_frame']:.1f} people per frame; {len(frames)} frames")
    return 0


if __name__ == "__main__":
    sys.exit(main())
