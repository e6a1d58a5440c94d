"""Evaluate the pipeline on a labelled bag: frame accuracy, macro-F1, detection delay, plots.

Offline (default): the bag's images (PosePipeline -> ActionPipeline) or skeletons
(ActionPipeline) are processed frame by frame with the nodes' core code, as fast as the
machine allows, deterministically. --online plays the bag in real time into the running
nodes (started here as a process), records their skeletons and ActionStamped output, scores
that with the same metrics and reports the difference from offline (frames dropped, latency).

  har-ros evaluate --bag run1 --labels run1.labels.yaml --out results/run1 [--online]

Labels with other names than the model's classes: --class-map FILE, a YAML or JSON mapping
"label: model class" (many-to-one allowed; null leaves a label out, unknown means "none of the
model's classes", as in the labels format; a label the map does not name must be a model class
already).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bag", required=True, help="bag folder (sqlite3 or mcap)")
    parser.add_argument("--labels", required=True, help="labels YAML (docs/labels_format.md)")
    parser.add_argument("--model", default="", help="model folder (default: shipped model)")
    parser.add_argument("--class-map", default=None, metavar="FILE",
                        help="YAML/JSON 'label: model class' (null = leave out), for labels "
                        "with other names than the model's classes")
    parser.add_argument("--topics", nargs="+", default=None,
                        help="input topics (default: every SkeletonArray topic, else every "
                        "image topic)")
    parser.add_argument("--out", default="", help="folder for report.json and PNG plots")
    parser.add_argument("--online", action="store_true",
                        help="also play the bag into live nodes and compare with offline")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


# ---------------------------------------------------------------------------- command
def _summary_lines(report: dict) -> list[str]:
    lines = []
    for stream in ("operator", "tracks", "clips"):
        if stream not in report:
            continue
        rep = report[stream]["frame"] if stream != "clips" else report[stream]
        what = "clip-level" if stream == "clips" else f"{stream} frame-level"
        line = f"  {what}: accuracy {rep['accuracy']:.3f}, macro-F1 {rep['macro_f1']:.3f} " \
               f"(n={rep['n']})"
        if stream != "clips":
            det = report[stream]["detection"]
            delay = det["delay_median_s"]
            line += (f", unknown {rep['unknown_rate']:.1%}, no decision "
                     f"{rep['no_decision_rate']:.1%}; segments detected {det['detected']}/"
                     f"{det['segments']}, median delay "
                     + (f"{delay:.2f} s" if delay is not None else "n/a"))
        lines.append(line)
    return lines


def run(args: argparse.Namespace) -> int:
    from har_ros.bag_eval import save_plots
    from har_ros.bag_report import evaluate_labelled_bag

    report, trace, labels = evaluate_labelled_bag(args.bag, args.labels, args.model, args.topics,
                                                  progress=not args.no_progress,
                                                  class_map=getattr(args, "class_map", None))
    out = Path(args.out) if args.out else None
    print(f"offline: {trace.frames_in} frames, {trace.span_s:.1f} s of bag in "
          f"{trace.wall_s:.1f} s = {report['x_real_time']:.1f}x real time; "
          f"{trace.skipped.summary()}")
    for reason in trace.skipped.examples.values():
        print(f"  first skipped: {reason}")
    print("\n".join(_summary_lines(report)))
    full = {"offline": report}
    if out:
        save_plots(trace, labels, report, out, "offline")
    if args.online:
        from har_ros.ros.bag_online import compare_runs, online_trace, run_online

        work = out or Path(f"har_ros_online_{int(time.time())}")
        online = run_online(args.bag, report["topics"], args.model, work)
        on_trace, stats = online_trace(args.bag, report["topics"], trace.classes, online)
        from har_ros.bag_eval import score_trace

        on_report = score_trace(on_trace, labels, report["topics"])
        on_report.update(stats, mode="online")
        full["online"] = on_report
        n_pub = sum(1 for _ in online["published"])
        full["difference"] = compare_runs(report, on_report, trace, on_trace, n_pub)
        print(f"online: {n_pub} frames played, {on_trace.frames_in} reached the action node, "
              f"latency p50 {stats['latency_ms_p50']} ms; read back: "
              f"{on_trace.skipped.summary()}")
        print("\n".join(_summary_lines(on_report)))
        if out:
            save_plots(on_trace, labels, on_report, out, "online")
    if out:
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.json").write_text(json.dumps(full, indent=1) + "\n", encoding="utf-8")
        print(f"report: {out / 'report.json'}")
    return 0
