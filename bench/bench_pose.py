"""Pose backend speed: ms per 640x480 frame of real footage, network and grouping apart.

Run from the repository root: ``python -m bench.bench_pose [--frames 60] [--video PATH]``.
Frames are taken evenly from the video (default ../shared/data/video/seed_street.mp4, a street
with many people) and resized to 640x480. Each configuration gets 3 warm-up calls, then one
timed ``infer`` per frame (per pair of frames for the batch row: the time is divided by 2).
Writes bench/results/pose.json and prints a markdown table. Backends that cannot run here are
listed as unavailable. Timings depend on the machine and its load: both are recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VIDEO = ROOT.parent / "shared" / "data" / "video" / "seed_street.mp4"
RESULTS = ROOT / "bench" / "results" / "pose.json"

#: (row label, backend name, options, frames per infer call)
CONFIGS: tuple[tuple[str, str, dict, int], ...] = (
    ("openpose_mobilenet net 368", "openpose_mobilenet", {"net_height": 368}, 1),
    ("openpose_mobilenet net 368, batch 2", "openpose_mobilenet",
     {"net_height": 368, "max_batch": 2}, 2),
    ("openpose_mobilenet net 256", "openpose_mobilenet", {"net_height": 256}, 1),
    ("mediapipe full, still images", "mediapipe", {"static_image_mode": True}, 1),
    ("mediapipe full, tracking mode", "mediapipe", {"static_image_mode": False}, 1),
)


def load_frames(video: Path, count: int, size: tuple[int, int] = (640, 480)) -> list[np.ndarray]:
    """``count`` frames spread evenly over ``video``, resized to ``size`` (width, height)."""
    cap = cv2.VideoCapture(str(video))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    if total <= 0:
        raise SystemExit(f"cannot read {video}")
    wanted = set(np.linspace(0, total - 1, count).round().astype(int).tolist())
    frames = []
    for index in range(total):
        ok, frame = cap.read()
        if not ok:
            break
        if index in wanted:
            frames.append(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
    cap.release()
    return frames


def bench_config(name: str, options: dict, per_call: int, frames: list[np.ndarray]) -> dict:
    """Time one backend configuration; a dict of per-frame statistics in milliseconds."""
    from har_ros.errors import BackendUnavailableError
    from har_ros.pose import make_backend

    try:
        backend = make_backend(name, **options)
    except BackendUnavailableError as exc:
        return {"available": False, "reason": str(exc).splitlines()[0]}
    with backend:
        for frame in frames[:3]:
            backend.infer([frame] * per_call)
        total, net, decode, people = [], [], [], []
        for i in range(0, len(frames) - per_call + 1, per_call):
            chunk = frames[i : i + per_call]
            t0 = time.perf_counter()
            result = backend.infer(chunk)
            total.append((time.perf_counter() - t0) * 1e3 / per_call)
            people += [len(r) for r in result]
            timing = getattr(backend, "last_timing", None)
            if timing:
                net.append(timing["net_ms"] / per_call)
                decode.append(timing["decode_ms"] / per_call)

    def stats(values: list[float]) -> dict | None:
        if not values:
            return None
        arr = np.asarray(values)
        return {"median": float(np.median(arr)), "p95": float(np.percentile(arr, 95))}

    return {
        "available": True,
        "frames": len(total) * per_call,
        "total_ms": stats(total),
        "network_ms": stats(net),
        "decode_ms": stats(decode),
        "mean_people": float(np.mean(people)),
    }


def write_results(results: dict, out: Path, table: Callable[[dict], str]) -> None:
    """Write ``results`` as JSON to ``out`` (folders made) and print ``table(results)``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))


#: CPU features that change the pose network's speed (OpenVINO picks kernels by them).
SPEED_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_int8",
               "amx_bf16")


def cpu_features() -> dict:
    """Model name and the speed-relevant vector extensions of this CPU (/proc/cpuinfo): the
    project's machines differ from one session to the next, and so do the timings."""
    model, flags = "", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and not model:
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    return {"cpu_model": model, "cpu_extensions": [f for f in SPEED_FLAGS if f in flags]}


def machine() -> dict:
    """What the numbers were measured on."""
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        **cpu_features(),
        "cpu_count": os.cpu_count(),
        "opencv_threads": cv2.getNumThreads(),
        "load_average_1min_at_start": os.getloadavg()[0],
        "python": sys.version.split()[0],
        "opencv": cv2.__version__,
    }


def markdown(results: dict) -> str:
    """The results as a markdown table."""
    def cell(s: dict | None) -> str:
        return "-" if not s else f"{s['median']:.1f} / {s['p95']:.1f}"

    lines = [
        "| backend (640x480) | total ms median / p95 | network ms | decode ms | people/frame |",
        "|---|---|---|---|---|",
    ]
    for label, row in results["rows"].items():
        if not row["available"]:
            lines.append(f"| {label} | unavailable: {row['reason'][:60]} | | | |")
            continue
        lines.append(
            f"| {label} | {cell(row['total_ms'])} | {cell(row['network_ms'])} | "
            f"{cell(row['decode_ms'])} | {row['mean_people']:.1f} |"
        )
    m = results["machine"]
    lines.append("")
    lines.append(
        f"{results['frames']} frames of {results['video']} resized to 640x480; "
        f"{m['processor']}, {m['cpu_count']} CPUs, OpenCV {m['opencv']} "
        f"({m['opencv_threads']} threads), load average {m['load_average_1min_at_start']:.1f} "
        "at start."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--frames", type=int, default=60, help="frames to time (>= 50)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--only", nargs="*", default=None, help="row labels containing these")
    args = parser.parse_args(argv)
    if not args.video.exists():
        print(f"video {args.video} is absent; pass --video", file=sys.stderr)
        return 2
    frames = load_frames(args.video, args.frames)
    results = {"machine": machine(), "video": args.video.name, "frames": len(frames), "rows": {}}
    for label, name, options, per_call in CONFIGS:
        if args.only and not any(word in label for word in args.only):
            continue
        print(f"timing {label} ...", file=sys.stderr, flush=True)
        results["rows"][label] = bench_config(name, options, per_call, frames)
    write_results(results, args.out, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
