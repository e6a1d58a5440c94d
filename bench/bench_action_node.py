"""Action-node cost and memory: 3 cameras x 4 tracks at 30 fps through the node's core.

Run from the repository root: ``python -m bench.bench_action_node [--seconds 60] [--model M]``.
Twelve tracks (real Penn Action skeleton clips, looped, one per camera/track) are fed at
30 fps per camera as SkeletonArray messages through exactly what the action node runs per
message: msg -> numpy conversion, ActionPipeline (sanitising, windows, batched LSTM, smoothing,
fusion) and ActionStamped building. Reports CPU time per second of input as % of one core
(target < 10 %), ms per window and per frame, and resident memory sampled over the run
(target: flat). ``--seconds 600`` is the 10-minute memory run. Writes
bench/results/action_node.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "action_node.json"
PENN = ROOT.parent / "shared" / "data" / "penn_action" / "labels"


def rss_mb() -> float:
    """Current resident set size in MiB (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of input")
    parser.add_argument("--model", default="", help="model folder (default: shipped)")
    parser.add_argument("--engine", default="auto", choices=["auto", "kernel", "torch"],
                        help="inference engine (action node parameter inference_engine)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    import torch

    from har_ros.action_config import ActionNodeConfig
    from har_ros.action_pipeline import ActionPipeline
    from har_ros.data.penn import load_penn_clip
    from har_ros.frames import SkeletonFrame
    from har_ros.ros import conversions as conv

    torch.set_num_threads(1)
    clips = [load_penn_clip(p)[0].skeletons for p in sorted(PENN.glob("*.mat"))[:12]]
    cameras = ["cam0", "cam1", "cam2"]
    cfg = ActionNodeConfig(cameras=cameras, model_path=args.model, torch_threads=1,
                           inference_engine=args.engine)
    pipe = ActionPipeline(cfg)
    fps, n_frames = 30.0, int(args.seconds * 30)
    rss, windows, decisions, cpu = [], 0, 0, 0.0
    wall0 = time.perf_counter()
    t0_ns = 1_700_000_000_000_000_000
    for i in range(n_frames):
        stamp = t0_ns + int(i * 1e9 / fps)
        msgs = []
        for c, cam in enumerate(cameras):  # the senders' work, not counted
            skels = np.stack([clips[4 * c + k][i % len(clips[4 * c + k])] for k in range(4)])
            msgs.append(conv.skeletons_to_msg(SkeletonFrame(
                stamp, cam, cam, 640, 480, "penn", skels, [f"{cam}/{k}" for k in range(4)],
                np.ones(4, np.float32))))
        c0 = time.process_time()
        for msg in msgs:  # what the node does per message
            frame = conv.msg_to_skeletons(msg)
            out = pipe.process(frame, now_s=stamp * 1e-9)
            for decision in out:
                conv.action_to_msg(decision)
            decisions += len(out)
        cpu += time.process_time() - c0
        if i % int(fps * 5) == 0:
            rss.append((round(i / fps, 1), round(rss_mb(), 1)))
    wall = time.perf_counter() - wall0
    windows = pipe.counters.get("windows_classified")
    result = {
        "input_seconds": args.seconds, "cameras": 3, "tracks_per_camera": 4, "fps": fps,
        "frames": n_frames * 3, "windows": windows,
        "cpu_s": cpu, "wall_s": wall,
        "core_percent": 100 * cpu / args.seconds,
        "ms_per_window": 1e3 * cpu / max(windows, 1),
        "ms_per_frame": 1e3 * cpu / (n_frames * 3),
        "inference_ms_p50_per_batch": pipe.infer_ms.percentile(50),
        "rss_mb": rss,
        "rss_growth_mb": rss[-1][1] - rss[min(1, len(rss) - 1)][1],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"| 3 cameras x 4 tracks at 30 fps, {args.seconds:g} s of input | value |")
    print("|---|---|")
    print(f"| CPU, % of one core (target < 10 %) | {result['core_percent']:.1f} |")
    print(f"| CPU ms per window (features + LSTM + decisions, all included) | "
          f"{result['ms_per_window']:.3f} |")
    print(f"| CPU ms per SkeletonArray (4 people) | {result['ms_per_frame']:.3f} |")
    print(f"| windows classified | {windows} |")
    print(f"| RSS first/last sample (MiB), growth after warm-up | {rss[0][1]} / {rss[-1][1]}, "
          f"{result['rss_growth_mb']:+.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
