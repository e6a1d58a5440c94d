"""Evaluate a trained model on a dataset: accuracy, macro-F1, per-class P/R/F1, latency; JSON.

Clip-level (window probabilities averaged over each clip) and window-level results, a
confusion-matrix PNG, results at lower input frame rates (the test clip is subsampled to that
rate, then resampled to the model rate) and inference latency per window.

Examples:
  har-ros evaluate --model har_ros/models/default --dataset utd \\
      --data-root ../shared/data/utd_mhad --subjects s2 s4 s6 s8 --out eval/utd
  har-ros evaluate --model runs/penn --dataset penn --split test --fps 30 10 5
  har-ros evaluate --model runs/fridge --dataset recordings --data-root other/manifest.csv \\
      --label-map other/labels.yaml --class-map other_to_fridge.yaml

Data labelled with other names than the model's classes: --class-map FILE, a YAML or JSON
mapping "data label: model class" (many-to-one allowed; null leaves a label out of the scores;
a label the map does not name must be a model class already). The same flag works with --bag.

Input rates: the first row is the data's own rate ("native (15 fps)"); a requested rate above
it is skipped, since subsampling cannot make frames the data does not have.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the command's options."""
    parser.add_argument("--model", required=True, help="model folder (model.safetensors + json)")
    parser.add_argument("--dataset", required=True,
                        choices=("utd", "penn", "mhad_txt", "recordings", "rosbag"),
                        help="data format")
    parser.add_argument("--data-root", default=None,
                        help="dataset folder or manifest (default: ../shared/data/<dataset>)")
    parser.add_argument("--split", default=None,
                        help="penn: train/test/all (default test); mhad_txt: file split name")
    parser.add_argument("--subjects", nargs="*", default=None,
                        help="only these subjects (e.g. s2 s4 s6 s8 for UTD cross-subject)")
    parser.add_argument("--label-map", default=None, help="recordings: label map file")
    parser.add_argument("--class-map", default=None, metavar="FILE",
                        help="YAML/JSON 'data label: model class' (null = leave out), for data "
                        "labelled with other names than the model's classes")
    parser.add_argument("--fps", nargs="*", type=float, default=[30.0, 10.0, 5.0],
                        help="also evaluate with input subsampled to these rates (Hz); rates "
                        "above the data's own rate are skipped")
    parser.add_argument("--out", default=None, help="folder for metrics.json + confusion.png")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--mirror-average", choices=("auto", "on", "off"), default="auto",
                        help="average each window with its mirror image, as the action node's "
                        "parameter of that name does (auto: when the model was trained with "
                        "mirroring)")
    parser.add_argument("--latency-windows", type=int, default=4096,
                        help="windows in the batched throughput measurement")


def _load(args: argparse.Namespace, training_config: dict | None = None):
    from har_ros.data import load_dataset
    from har_ros.training.evaluation import reading_options

    defaults = {"utd": "../shared/data/utd_mhad", "penn": "../shared/data/penn_action"}
    root = args.data_root or defaults.get(args.dataset)
    if root is None:
        from har_ros.errors import ConfigError

        raise ConfigError(f"--data-root is required for {args.dataset}")
    options = reading_options(training_config or {}, args.dataset)
    if options:
        print("har-ros evaluate: reading the data as the model was trained: "
              + ", ".join(f"{k}={v}" for k, v in options.items()))
    if args.dataset == "penn":
        options["split"] = args.split or "test"
    elif args.dataset == "mhad_txt":
        options["split"] = args.split or "test"
    elif args.dataset == "recordings" and args.label_map:
        options["label_map"] = args.label_map
    ds = load_dataset(args.dataset, root, **options)
    merge = (training_config or {}).get("merge_classes") or {}
    if merge and not args.class_map:
        from har_ros.class_map import merge_classes

        print("har-ros evaluate: merging the data's classes as the model was trained: "
              + ", ".join(f"{k} -> {v}" for k, v in merge.items()))
        ds = merge_classes(ds, merge)
    if args.subjects:
        ds = ds.subset([i for i, s in enumerate(ds.sequences) if s.subject in set(args.subjects)])
    return ds


def run(args: argparse.Namespace) -> int:
    """Evaluate and print a summary; writes JSON (and a PNG) when --out is given."""
    import numpy as np
    import torch

    from har_ros.class_map import load_class_map, map_dataset
    from har_ros.classifier import ActionClassifier, measure_latency
    from har_ros.errors import DataError
    from har_ros.training import build_windows, evaluate_sequences, evaluation_report
    from har_ros.training.evaluation import rate_rows, rate_rows_text

    torch.set_num_threads(args.threads)
    cmap = load_class_map(args.class_map) if args.class_map else None
    clf = ActionClassifier.load(args.model, mirror_average=args.mirror_average)
    ds = _load(args, clf.checkpoint.training_config)
    if cmap is not None:
        ds = map_dataset(ds, cmap, clf.classes)
    if not len(ds):
        raise DataError("no sequences to evaluate (check --subjects / --split"
                        + (" / the class map's null entries)" if cmap else ")"))
    if ds.classes != clf.classes:
        raise DataError(f"the model's classes {clf.classes[:4]}... differ from the dataset's "
                        f"{ds.classes[:4]}...; give --class-map FILE mapping the data's labels "
                        "to the model's classes")
    pred = evaluate_sequences(clf, ds.sequences)
    report = evaluation_report(pred, ds.classes)
    rates = rate_rows(clf, ds.sequences, ds.classes, args.fps, report)
    wi = build_windows(ds.sequences[:20], clf.rate_hz, clf.window_frames, clf.stride_frames)
    latency = measure_latency(clf, wi.gather(np.arange(len(wi))),
                              batch_windows=args.latency_windows)
    result = {"model": str(args.model), "dataset": ds.name, "sequences": len(ds),
              "clip": report["clip"], "window": report["window"],
              **rates, "class_map": args.class_map, "latency": latency,
              "threads": args.threads,
              **{k: v for k, v in report.items() if k.startswith("clip_accuracy_by_")}}
    print(f"{ds.name}: clip acc {report['clip']['accuracy']:.4f} macro-F1 "
          f"{report['clip']['macro_f1']:.4f} | window acc {report['window']['accuracy']:.4f} | "
          + rate_rows_text(rates)
          + f" | {latency['batch1_ms_median']:.3f} ms/window (batch 1), "
          f"{latency['batched_windows_per_s']:.0f} windows/s batched")
    for key in ("clip_accuracy_by_subject", "clip_accuracy_by_camera"):
        if key in report:
            print(f"  {key.removeprefix('clip_accuracy_by_')}: " + ", ".join(
                f"{g} {v['accuracy']:.3f} (n={v['n']})" for g, v in report[key].items()))
    if args.out:
        from har_ros.plots import plot_confusion

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        plot_confusion(np.array(report["clip"]["confusion_matrix"]), ds.classes,
                       out / "confusion.png", f"{ds.name}: clip-level accuracy "
                       f"{report['clip']['accuracy']:.3f}")
    return 0
