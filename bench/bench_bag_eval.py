"""Whole-pipeline evaluation on labelled bags built from real data (issue 6 evidence).

Run from the repository root: ``python -m bench.bench_bag_eval [--penn-clips N] [--skip-exercise]``.
1. exercise.avi (393 frames, 10 fps) as an image bag + the hand-written labels in
   test/nodes_for_tests/exercise_labels.yaml -> `har-ros evaluate --bag` offline with the
   shipped Penn model (pose backend + tracker + action pipeline); plots to docs/.
2. Penn Action official test clips as a skeleton bag (SkeletonArray; every clip its own track,
   clips back to back with a gap, each clip's interval labelled for its track) -> offline
   evaluation with the shipped Penn model. Its clip-level accuracy is compared with the
   model's own test accuracy (metrics.json), which windows the same clips in training's way.
Writes bench/results/bag_eval.json and docs/bag_eval_*.png.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results" / "bag_eval.json"
T0_NS = 1_700_000_000_000_000_000


def penn_bag(path: Path, labels_path: Path, limit: int) -> dict:
    """Write the Penn test clips as one skeleton bag + per-track labels; returns a summary."""
    from har_ros.bags.labels import Interval, dump_labels
    from har_ros.bags.writer import BagWriter, skeleton_message
    from har_ros.data.penn import load_penn_action
    from har_ros.frames import SkeletonFrame

    ds = load_penn_action(SHARED / "penn_action", split="test", invisible_as_missing=True)
    seqs = ds.sequences[:limit] if limit else ds.sequences
    intervals, t = [], 0.0
    with BagWriter(path, "mcap") as bag:
        for k, seq in enumerate(seqs):
            track = f"cam0/{seq.clip_id}"
            start = t
            for skel, st in zip(seq.skeletons, seq.stamps_s, strict=True):
                stamp = T0_NS + int(round((start + st) * 1e9))
                frame = SkeletonFrame(stamp, "cam0", "cam0", 1920, 1080, "penn_labels",
                                      skel[None], [track], np.ones(1, np.float32))
                bag.write_message("/cam0/skeletons", stamp, skeleton_message(frame))
            end = start + float(seq.stamps_s[-1]) + 1e-3
            intervals.append(Interval(start, end, ds.classes[seq.label], track))
            t = end + 4.0  # > forget_after_s: the next clip starts from a fresh state
            if k % 100 == 0:
                print(f"  penn bag: {k}/{len(seqs)} clips", file=sys.stderr)
    labels_path.write_text(dump_labels(intervals, ds.classes))
    return {"clips": len(seqs), "span_s": t}


def exercise_bag(path: Path) -> int:
    from har_ros.bags.writer import BagWriter, image_message
    from har_ros.video_source import VideoSource

    n = 0
    with BagWriter(path, "mcap") as bag:
        for i, frame in enumerate(VideoSource(SHARED / "video" / "exercise.avi").frames()):
            stamp = T0_NS + i * 100_000_000
            bag.write_message("/cam0/image_raw", stamp, image_message(frame, stamp, "cam0"))
            n += 1
    return n


def evaluate(bag: Path, labels: Path, out: Path) -> dict:
    from har_ros.bag_eval import save_plots
    from har_ros.bag_report import evaluate_labelled_bag

    report, trace, lab = evaluate_labelled_bag(str(bag), str(labels), "penn", None, progress=True)
    save_plots(trace, lab, report, out, "offline")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--penn-clips", type=int, default=0, help="0 = all 1,068 test clips")
    parser.add_argument("--skip-exercise", action="store_true")
    parser.add_argument("--work", type=Path, default=Path("/tmp/har_ros_bag_eval"))
    args = parser.parse_args(argv)
    from har_ros.action_config import shipped_model_path

    args.work.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    if not args.skip_exercise:
        bag = args.work / "exercise_bag"
        if not bag.exists():
            exercise_bag(bag)
        t0 = time.perf_counter()
        rep = evaluate(bag, ROOT / "test/nodes_for_tests/exercise_labels.yaml",
                       args.work / "exercise_out")
        results["exercise"] = {"report": rep, "wall_s": time.perf_counter() - t0}
        for name in ("offline_timeline.png", "offline_confusion.png"):
            src = args.work / "exercise_out" / name
            if src.exists():
                (ROOT / "docs" / f"bag_eval_exercise_{name}").write_bytes(src.read_bytes())
    bag, labels = args.work / "penn_bag", args.work / "penn_labels.yaml"
    if bag.exists():
        import shutil

        shutil.rmtree(bag)
    summary = penn_bag(bag, labels, args.penn_clips)
    rep = evaluate(bag, labels, args.work / "penn_out")
    meta = json.loads((Path(shipped_model_path("penn")) / "metrics.json").read_text())
    results["penn"] = {"summary": summary, "report": rep,
                       "model_test_clip_accuracy": meta.get("clip_accuracy")}
    args.out = RESULTS
    RESULTS.write_text(json.dumps(results, indent=1, default=str) + "\n")
    if "exercise" in results:
        r = results["exercise"]["report"]
        print("exercise.avi (image bag, offline, Penn model):",
              json.dumps({k: r.get(k) for k in ("frames", "x_real_time")}),
              "operator frame accuracy",
              r.get("operator", {}).get("frame", {}).get("accuracy"))
    c = rep.get("clips", {})
    print(f"Penn skeleton bag: {summary['clips']} clips, clip accuracy {c.get('accuracy')}, "
          f"clips without a window {c.get('clips_without_window')}; model's own test "
          f"accuracy {meta.get('clip_accuracy')}; {rep.get('x_real_time'):.0f}x real time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
