"""End-to-end latency image -> ActionStamped, in one process and across processes.

Run from the repository root: ``python -m bench.bench_latency [--frames 60] [--fps F]``.
A camera (this process) publishes real frames (exercise.avi) with stamp = publish time;
the pipeline runs either as `har-ros run` (pose + action nodes in one process) or as two
processes (pose_node, action_node). For every per-track ActionStamped, latency = arrival time
here - its header stamp (the image's stamp; same machine, same clock). The pose backend's own
time per frame is taken from the pose node's /diagnostics, so the pipeline's overhead is
latency - backend time (target: backend + under 10 ms at p95): a difference of percentiles
of two distributions, noisy where the backend's time varies. The bench also subscribes to the
SkeletonArray topic and reports, per frame, SkeletonArray arrival -> ActionStamped arrival
(transport + the action node; no backend in it); the pose node's own overhead around the
backend is bench_pose_node's. Frames are sent at the clip's rate (10 fps) unless --fps says
otherwise. Writes bench/results/latency.json.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "latency.json"
VIDEO = ROOT.parent / "shared" / "data" / "video" / "exercise.avi"


def run_mode(mode: str, frames: list, fps: float, domain: int) -> dict:
    """Measure one deployment mode ('one_process' or 'two_processes')."""
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.executors import SingleThreadedExecutor
    from sensor_msgs.msg import Image
    from std_msgs.msg import Header

    from har_ros.msg import ActionStamped, SkeletonArray
    from har_ros.ros import conversions as conv

    env = dict(os.environ, ROS_DOMAIN_ID=str(domain), ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
               PYTHONPATH=str(ROOT))
    base = [sys.executable, "-m", "har_ros.cli"]
    ros = ["--ros-args", "-p", "cameras:=[cam0]", "-p", "diagnostics_period_s:=0.5"]
    cmds = ([base + ["run", *ros]] if mode == "one_process"
            else [base + ["pose-node", *ros], base + ["action-node", *ros]])
    procs = [subprocess.Popen(c, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for c in cmds]
    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=domain)
    node = rclpy.create_node("latency_camera", context=ctx)
    pub = node.create_publisher(Image, "cam0/image_raw", 1)
    lat, backend, after_pose = [], [], []
    skeletons_at: dict[int, int] = {}  # image stamp -> arrival of its SkeletonArray here (ns)

    def on_skeletons(msg: SkeletonArray) -> None:
        skeletons_at[conv.stamp_to_ns(msg.header.stamp)] = node.get_clock().now().nanoseconds

    def on_action(msg: ActionStamped) -> None:
        now = node.get_clock().now().nanoseconds
        stamp = conv.stamp_to_ns(msg.header.stamp)
        lat.append((now - stamp) * 1e-6)
        if stamp in skeletons_at:  # the action node's share, per frame: no backend in it
            after_pose.append((now - skeletons_at[stamp]) * 1e-6)

    def on_diag(msg: DiagnosticArray) -> None:
        for st in msg.status:
            if st.name.endswith(": pose"):
                v = {kv.key: kv.value for kv in st.values}
                backend.append(float(v["backend_ms_p50"]))
                backend.append(float(v["backend_ms_p95"]))

    node.create_subscription(SkeletonArray, "cam0/skeletons", on_skeletons, 100)
    node.create_subscription(ActionStamped, "actions", on_action, 100)
    node.create_subscription(DiagnosticArray, "/diagnostics", on_diag, 10)
    ex = SingleThreadedExecutor(context=ctx)
    ex.add_node(node)
    deadline = time.monotonic() + 60
    while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
        ex.spin_once(timeout_sec=0.1)
    time.sleep(1.0)
    next_t = time.monotonic()
    for frame in frames:
        header = Header(stamp=node.get_clock().now().to_msg(), frame_id="cam0")
        pub.publish(conv.bgr_to_imgmsg(frame, header))
        next_t += 1.0 / fps
        while time.monotonic() < next_t:
            ex.spin_once(timeout_sec=max(0.0, next_t - time.monotonic()))
    end = time.monotonic() + 2.0
    while time.monotonic() < end:
        ex.spin_once(timeout_sec=0.1)
    node.destroy_node()
    ctx.try_shutdown()
    for p in procs:
        p.send_signal(signal.SIGINT)
    for p in procs:
        p.wait(timeout=20)
    arr = np.asarray(lat)
    b50, b95 = (backend[-2], backend[-1]) if backend else (float("nan"), float("nan"))
    return {
        "decisions": len(arr),
        "latency_ms_p50": float(np.percentile(arr, 50)) if len(arr) else None,
        "latency_ms_p95": float(np.percentile(arr, 95)) if len(arr) else None,
        "backend_ms_p50": b50, "backend_ms_p95": b95,
        "overhead_ms_p50": float(np.percentile(arr, 50) - b50) if len(arr) else None,
        "overhead_ms_p95_vs_backend_p95": float(np.percentile(arr, 95) - b95)
        if len(arr) else None,
        "skeletons_to_action_ms_p50": float(np.percentile(after_pose, 50)) if after_pose
        else None,
        "skeletons_to_action_ms_p95": float(np.percentile(after_pose, 95)) if after_pose
        else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--fps", type=float, default=0.0,
                        help="publish rate (default 0: the clip's own, 10 fps); where the "
                             "backend is slower than that, frames that arrive while it is busy "
                             "are dropped (newest-frame policy) and a frame's wait counts as "
                             "latency")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    from bench.bench_pose import machine
    from har_ros.video_source import VideoSource

    source = VideoSource(VIDEO)
    fps = args.fps or source.fps
    frames = list(source.frames(limit=args.frames))
    result = {"video": VIDEO.name, "frames": len(frames), "fps": fps, "machine": machine()}
    for i, mode in enumerate(("one_process", "two_processes")):
        result[mode] = run_mode(mode, frames, fps, domain=60 + i)
    result["load_average_end"] = list(os.getloadavg())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print("| mode | decisions | latency ms p50 / p95 | backend ms p50 / p95 | "
          "latency - backend, p50 / p95 | SkeletonArray -> ActionStamped, p50 / p95 |\n"
          "|---|---|---|---|---|---|")
    for mode in ("one_process", "two_processes"):
        r = result[mode]
        if not r["decisions"]:
            print(f"| {mode} | 0 | - | - | - | - |")
            continue
        print(f"| {mode} | {r['decisions']} | {r['latency_ms_p50']:.1f} / "
              f"{r['latency_ms_p95']:.1f} | {r['backend_ms_p50']:.1f} / {r['backend_ms_p95']:.1f}"
              f" | {r['overhead_ms_p50']:.1f} / {r['overhead_ms_p95_vs_backend_p95']:.1f} | "
              f"{r['skeletons_to_action_ms_p50']:.1f} / {r['skeletons_to_action_ms_p95']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
