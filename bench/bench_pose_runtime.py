"""openpose_mobilenet on cv2.dnn vs OpenVINO, side by side on the same real 640x480 frames.

Run from the repository root: ``python -m bench.bench_pose_runtime [--frames 40]``.
Frames are taken evenly from the video (default ../shared/data/video/seed_street.mp4, a street
with many people) and resized to 640x480. For each net height (368, 256) both runtimes are
built (f32, CPU), warmed up on 3 frames, then timed frame by frame in alternation (cv2.dnn,
OpenVINO, next frame, ...) so that both see the same machine load. Per runtime: ms per frame
(``infer``: resize, network, PAF grouping) median / p95, the network and grouping parts, people
per frame; per net height: the ratio of the medians and whether both found the same people.
Writes bench/results/pose_runtime.json and prints a markdown table. The 1-, 5- and 15-minute
load averages are recorded at start and end: other jobs on the machine slow both runtimes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from bench.bench_pose import DEFAULT_VIDEO, load_frames, machine, write_results

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "pose_runtime.json"
NET_HEIGHTS = (368, 256)
RUNTIMES = ("opencv", "openvino")


def stats(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values)
    return {"median": float(np.median(arr)), "p95": float(np.percentile(arr, 95))}


def time_alternating(backends: dict, frames: list[np.ndarray]) -> dict[str, dict[str, list]]:
    """Per backend name: ms per frame (``total``: ``infer``), its ``net`` and ``decode``
    parts, ``people`` per frame and the people themselves (``result``), with every backend
    warmed up on 3 frames and then run frame by frame in turn, so all see the same load."""
    for backend in backends.values():
        for frame in frames[:3]:
            backend.infer([frame])
    samples = {r: {"total": [], "net": [], "decode": [], "people": [], "result": []}
               for r in backends}
    for frame in frames:
        for name, backend in backends.items():
            t0 = time.perf_counter()
            (people,) = backend.infer([frame])
            s = samples[name]
            s["total"].append((time.perf_counter() - t0) * 1e3)
            s["net"].append(backend.last_timing["net_ms"])
            s["decode"].append(backend.last_timing["decode_ms"])
            s["people"].append(len(people))
            s["result"].append(people)
    return samples


def timing_row(backend, s: dict[str, list]) -> dict:
    """What runs ``backend`` and its statistics from :func:`time_alternating` samples."""
    return {
        "available": True,
        "runs_on": backend.runtime_info(),
        "frames": len(s["total"]),
        "total_ms": stats(s["total"]),
        "network_ms": stats(s["net"]),
        "decode_ms": stats(s["decode"]),
        "mean_people": float(np.mean(s["people"])),
    }


def bench_height(net_height: int, frames: list[np.ndarray]) -> dict:
    """Both runtimes at ``net_height``, timed in alternation on ``frames``."""
    from har_ros.errors import HarRosError
    from har_ros.pose import make_backend

    backends, rows = {}, {}
    for runtime in RUNTIMES:
        try:
            backends[runtime] = make_backend("openpose_mobilenet", net_height=net_height,
                                             runtime=runtime, device="cpu", precision="f32")
        except HarRosError as exc:
            rows[runtime] = {"available": False, "reason": str(exc).splitlines()[0]}
    samples = time_alternating(backends, frames)
    for runtime, backend in backends.items():
        rows[runtime] = timing_row(backend, samples[runtime])
        backend.close()
    out: dict = {"rows": rows}
    if len(backends) == 2:
        a, b = samples["opencv"]["result"], samples["openvino"]["result"]
        same = [x.shape == y.shape and bool(np.allclose(x, y, atol=1e-3)) for x, y in zip(a, b)]
        out["same_people_frames"] = f"{sum(same)}/{len(same)}"
        out["speedup_median"] = (rows["opencv"]["total_ms"]["median"]
                                 / rows["openvino"]["total_ms"]["median"])
        out["speedup_network_median"] = (rows["opencv"]["network_ms"]["median"]
                                         / rows["openvino"]["network_ms"]["median"])
    return out


def markdown(results: dict) -> str:
    """The results as a markdown table."""
    def cell(s: dict) -> str:
        return f"{s['median']:.1f} / {s['p95']:.1f}"

    lines = [
        "| net height | runtime | ms per frame median / p95 | network | part grouping | "
        "people/frame | cv2.dnn / OpenVINO (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    for height, res in results["net_heights"].items():
        for runtime, row in res["rows"].items():
            if not row["available"]:
                lines.append(f"| {height} | {runtime} | unavailable: {row['reason'][:60]} "
                             "| | | | |")
                continue
            ratio = (f"{res['speedup_median']:.2f}x (network {res['speedup_network_median']:.2f}x)"
                     f", same people in {res['same_people_frames']} frames"
                     if runtime == "openvino" and "speedup_median" in res else "")
            lines.append(
                f"| {height} | {row['runs_on']['runtime']} ({row['runs_on']['precision']}) | "
                f"{cell(row['total_ms'])} | {cell(row['network_ms'])} | "
                f"{cell(row['decode_ms'])} | {row['mean_people']:.1f} | {ratio} |"
            )
    m = results["machine"]
    lines.append("")
    lines.append(
        f"{results['frames']} frames of {results['video']} resized to 640x480; "
        f"{m['processor']}, {m['cpu_count']} CPUs; load average (1/5/15 min) "
        f"{'/'.join(f'{x:.1f}' for x in results['load_average_start'])} at start, "
        f"{'/'.join(f'{x:.1f}' for x in results['load_average_end'])} at end."
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--frames", type=int, default=40, help="frames to time")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not args.video.exists():
        print(f"video {args.video} is absent; pass --video", file=sys.stderr)
        return 2
    frames = load_frames(args.video, args.frames)
    results: dict = {"machine": machine(), "video": args.video.name, "frames": len(frames),
                     "load_average_start": list(os.getloadavg()), "net_heights": {}}
    t0 = time.monotonic()
    for height in NET_HEIGHTS:
        print(f"timing net height {height} ...", file=sys.stderr, flush=True)
        results["net_heights"][str(height)] = bench_height(height, frames)
    results["load_average_end"] = list(os.getloadavg())
    results["wall_s"] = time.monotonic() - t0
    write_results(results, args.out, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
