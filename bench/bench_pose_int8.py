"""openpose_mobilenet INT8 vs f32: cv2.dnn f32, OpenVINO f32, int8 and bf16 side by side.

Run from the repository root, after ``har-ros quantize-pose --net-height 368 256``:
``python -m bench.bench_pose_int8 [--frames 30]``. Frames are taken evenly from each clip
(../shared/data/video/exercise.avi and seed_street.mp4, and the demo clip vtest.avi, which is
also the calibration clip: its frames used for calibration are skipped, so its rows are
in-distribution but not the calibration frames themselves) and resized to 640x480. For each
net height (368, 256) the four runtimes are built on the CPU, warmed up on 3 frames, then
timed frame by frame in turn (cv2.dnn, OpenVINO f32, int8, bf16, next frame, ...) so all see
the same machine load. Per runtime: ms per frame (``infer``: resize, network, PAF
grouping) median / p95, the network part, people per frame (all clips and per clip); ratios of
the medians; agreement of int8 and of bf16 with OpenVINO f32 (:mod:`har_ros.pose.agreement`:
matched people, people found by one only, share of joints found by both, joint distance in
pixels), overall and per clip. bf16 (where the CPU has it) is there as a yardstick: its maps
differ from f32 by far less than INT8's, so how far its people count moves is how sensitive
the decoder is on these frames. Writes bench/results/pose_int8.json and prints a markdown table; the
1-minute load average is recorded at start and end (2 cores shared with other jobs).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from bench.bench_pose import load_frames, machine, write_results
from bench.bench_pose_runtime import time_alternating, timing_row

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "pose_int8.json"
VIDEOS = ROOT.parent / "shared" / "data" / "video"
NET_HEIGHTS = (368, 256)
#: (row name, runtime, precision)
CONFIGS = (("opencv f32", "opencv", "f32"), ("openvino f32", "openvino", "f32"),
           ("openvino int8", "openvino", "int8"), ("openvino bf16", "openvino", "bf16"))
#: Rows compared with OpenVINO f32 (bf16: a rounding much finer than INT8's, run on the same
#: frames, shows how much the decoder's people count moves under any small change of maps).
COMPARED = {"openvino int8": "int8", "openvino bf16": "bf16"}


def clips(vtest: Path) -> list[Path]:
    """The clips to take frames from; absent ones are reported and skipped."""
    found = []
    for path in (VIDEOS / "exercise.avi", VIDEOS / "seed_street.mp4", vtest):
        if path.is_file():
            found.append(path)
        else:
            print(f"skipping {path}: absent", file=sys.stderr)
    return found


def calibration_indices(net_height: int) -> set[int]:
    """vtest.avi frames the INT8 IR for 640x480 at ``net_height`` was calibrated on."""
    from har_ros.pose import weights
    from har_ros.pose.int8_model import int8_paths
    from har_ros.pose.openpose_mobilenet import net_input_size

    width, height = net_input_size(640, 480, net_height)
    meta = int8_paths(weights.weights_dir(), height, width)[2]
    if not meta.is_file():
        return set()
    return set(json.loads(meta.read_text())["calibration"]["frame_indices"])


def eval_frames(video: Path, count: int, skip: set[int]) -> list[np.ndarray]:
    """``count`` frames spread evenly over ``video`` (none of the indices in ``skip``),
    resized to 640x480."""
    import cv2

    if not skip:
        return load_frames(video, count)
    total = int(cv2.VideoCapture(str(video)).get(cv2.CAP_PROP_FRAME_COUNT))
    wanted = set()
    for i in np.linspace(0, total - 1, count).round().astype(int).tolist():
        while i in skip or i in wanted:
            i = (i + 1) % total
        wanted.add(i)
    cap, frames = cv2.VideoCapture(str(video)), []
    for index in range(total):
        ok, frame = cap.read()
        if not ok:
            break
        if index in wanted:
            frames.append(cv2.resize(frame, (640, 480), interpolation=cv2.INTER_AREA))
    return frames


def bench_height(net_height: int, frames: list[tuple[str, np.ndarray]]) -> dict:
    """The three runtimes at ``net_height`` on ``frames`` (clip name, image), in turn."""
    from har_ros.errors import HarRosError
    from har_ros.pose import make_backend
    from har_ros.pose.agreement import Agreement

    backends, rows = {}, {}
    for name, runtime, precision in CONFIGS:
        try:
            backends[name] = make_backend("openpose_mobilenet", net_height=net_height,
                                          runtime=runtime, device="cpu", precision=precision)
        except HarRosError as exc:
            rows[name] = {"available": False, "reason": str(exc)}
    samples = time_alternating(backends, [f for _, f in frames])
    names = [c for c, _ in frames]
    for name, backend in backends.items():
        rows[name] = timing_row(backend, samples[name])
        rows[name]["people_per_clip"] = {
            clip: float(np.mean([p for c, p in zip(names, samples[name]["people"],
                                                    strict=True) if c == clip]))
            for clip in dict.fromkeys(names)}
        backend.close()
    out: dict = {"rows": rows}
    med = {n: r["total_ms"]["median"] for n, r in rows.items() if r["available"]}
    if "opencv f32" in med and "openvino f32" in med:
        out["opencv_over_openvino_f32"] = med["opencv f32"] / med["openvino f32"]
    for name, tag in COMPARED.items():
        if "openvino f32" not in med or name not in med:
            continue
        out[f"f32_over_{tag}"] = med["openvino f32"] / med[name]
        out[f"network_f32_over_{tag}"] = (rows["openvino f32"]["network_ms"]["median"]
                                          / rows[name]["network_ms"]["median"])
        total, per_clip = Agreement(), {c: Agreement() for c in dict.fromkeys(names)}
        for clip, ref, other in zip(names, samples["openvino f32"]["result"],
                                    samples[name]["result"], strict=True):
            total.add(ref, other)
            per_clip[clip].add(ref, other)
        out[f"{tag}_vs_f32"] = total.summary()
        out[f"{tag}_vs_f32_per_clip"] = {c: a.summary() for c, a in per_clip.items()}
    return out


def markdown(results: dict) -> str:
    """The results as markdown tables."""
    lines = ["| net height | runtime | ms per frame median / p95 | network | people/frame "
             "| ratio of medians |", "|---|---|---|---|---|---|"]
    for height, res in results["net_heights"].items():
        for name, row in res["rows"].items():
            if not row["available"]:
                lines.append(f"| {height} | {name} | unavailable: {row['reason'][:80]} | | | |")
                continue
            ratio = {"openvino f32": f"cv2.dnn / OpenVINO f32 "
                                     f"{res.get('opencv_over_openvino_f32', 0):.2f}x",
                     **{n: f"f32 / {t} {res.get(f'f32_over_{t}', 0):.2f}x"
                        for n, t in COMPARED.items()}}.get(name, "")
            t, n = row["total_ms"], row["network_ms"]
            lines.append(f"| {height} | {name} | {t['median']:.1f} / {t['p95']:.1f} | "
                         f"{n['median']:.1f} / {n['p95']:.1f} | {row['mean_people']:.2f} | "
                         f"{ratio} |")
    lines += ["", "| net height | vs f32 | clip | people/frame f32 / other | matched | "
              "f32 only | other only | joints found by both | joint distance px median / p95 |",
              "|---|---|---|---|---|---|---|---|---|"]
    for height, res in results["net_heights"].items():
        for tag in COMPARED.values():
            per = {**res.get(f"{tag}_vs_f32_per_clip", {}), "all": res.get(f"{tag}_vs_f32")}
            for clip, a in per.items():
                if not a:
                    continue
                lines.append(
                    f"| {height} | {tag} | {clip} | {a['people_per_frame_ref']:.2f} / "
                    f"{a['people_per_frame_other']:.2f} | {a['matched_people']} | "
                    f"{a['only_in_ref']} | {a['only_in_other']} | "
                    f"{100 * a['joints_found_by_both']:.1f} % | "
                    f"{a['joint_distance_px_median']:.2f} / {a['joint_distance_px_p95']:.2f} |")
    la0, la1 = results["load_average_start"], results["load_average_end"]
    lines += ["", f"{results['frames']} frames ({results['frames_per_clip']} per clip of "
              f"{', '.join(results['clips'])}) at 640x480; {results['machine']['cpu_count']} "
              f"CPUs; load average (1 min) {la0[0]:.1f} at start, {la1[0]:.1f} at end."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from har_ros.demo_assets import demo_video_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=30, help="frames per clip")
    parser.add_argument("--vtest", type=Path, default=demo_video_path(),
                        help="the demo clip (default: where 'har-ros demo' fetches it)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    paths = clips(args.vtest)
    if not paths:
        print("no clips found", file=sys.stderr)
        return 2
    results: dict = {"machine": machine(), "clips": [p.name for p in paths],
                     "frames_per_clip": args.frames, "load_average_start": list(os.getloadavg()),
                     "net_heights": {}}
    t0 = time.monotonic()
    for height in NET_HEIGHTS:
        skip = calibration_indices(height)
        frames = [(p.name, f) for p in paths for f in
                  eval_frames(p, args.frames, skip if p == args.vtest else set())]
        results["frames"] = len(frames)
        results.setdefault("vtest_calibration_frames_skipped", {})[str(height)] = len(skip)
        print(f"timing net height {height} on {len(frames)} frames ...", file=sys.stderr,
              flush=True)
        results["net_heights"][str(height)] = bench_height(height, frames)
    results["load_average_end"] = list(os.getloadavg())
    results["wall_s"] = time.monotonic() - t0
    write_results(results, args.out, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
