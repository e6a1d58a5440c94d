"""A whole training run: load the dataset, split, train, evaluate on the test split at several
input rates, and write the run folder (checkpoint, metrics.json, plots)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from har_ros.training.config import TrainConfig
from har_ros.training.data import short_clips
from har_ros.training.evaluation import evaluate_sequences, evaluation_report, rate_rows
from har_ros.training.init_from import load_init
from har_ros.training.loop import train_model
from har_ros.training.self_training import draw_per_class, self_train
from har_ros.training.splits import clip_label, split_dataset, validation_split

#: Input rates at which every run also evaluates the test split (frames per second).
EVAL_INPUT_FPS = (30.0, 10.0, 5.0)


def train_and_evaluate(cfg_dict: dict, out_dir: str | Path | None, progress: bool = True,
                       eval_fps: tuple[float, ...] = EVAL_INPUT_FPS, plots: bool = True) -> dict:
    """Load data, split, train, evaluate on the test split; save the run folder if ``out_dir``.

    Returns the metrics dict (also written to ``out_dir/metrics.json``).
    """
    from har_ros.checkpoint import save_checkpoint
    from har_ros.class_map import merge_classes
    from har_ros.classifier import ActionClassifier
    from har_ros.data import load_dataset

    cfg = TrainConfig.from_dict(cfg_dict)
    if cfg.init_from:  # a bad init model stops the run before the data is read
        load_init(cfg)
    t0 = time.monotonic()
    ds = merge_classes(load_dataset(cfg.dataset, cfg.data_root, **cfg.dataset_options),
                       cfg.merge_classes)
    ds, train_idx, test_idx = split_dataset(ds, cfg)
    pool_idx: list[int] = []
    if cfg.labelled_per_class:
        train_idx, pool_idx = draw_per_class([clip_label(s) for s in ds.sequences], train_idx,
                                             cfg.labelled_per_class, cfg.seed + 1000)
    fit_idx, val_idx = validation_split(ds, train_idx, cfg.val_fraction, cfg.seed)
    summary = ds.summary()
    summary.update(split=cfg.split, test_sequences=len(test_idx),
                   train_subjects=sorted({ds.sequences[i].subject for i in train_idx}),
                   test_subjects=sorted({ds.sequences[i].subject for i in test_idx}))
    if cfg.labelled_per_class:
        summary.update(labelled_per_class=cfg.labelled_per_class,
                       unlabelled_pool=len(pool_idx) if cfg.self_training else 0)
    fit = [ds.sequences[i] for i in fit_idx]
    val = [ds.sequences[i] for i in val_idx]
    if cfg.self_training:
        ckpt, history = self_train(fit, val, [ds.sequences[i] for i in pool_idx], ds.classes,
                                   cfg, progress=progress, data_summary=summary)
    else:
        ckpt, history = train_model(fit, val, ds.classes, cfg, progress=progress,
                                    data_summary=summary)
    train_minutes = (time.monotonic() - t0) / 60
    clf = ActionClassifier(ckpt)
    test = [ds.sequences[i] for i in test_idx]
    # Clips shorter than a window are padded (training and validation cut whole sequences,
    # evaluation constant-label clips): count them so a report can say how many.
    padded = {name: short_clips([ds.sequences[i] for i in idx], clf.rate_hz, clf.window_frames,
                                cfg.max_gap_s, by_segment=name == "test")
              for name, idx in (("train", fit_idx), ("val", val_idx), ("test", test_idx))}
    pred = evaluate_sequences(clf, test, max_gap_s=cfg.max_gap_s)
    report = evaluation_report(pred, ds.classes)
    rates = rate_rows(clf, test, ds.classes, eval_fps, report, cfg.max_gap_s)
    metrics = {
        "dataset": ds.name, "split": cfg.split, "seed": cfg.seed, "baseline": cfg.baseline,
        "clip_accuracy": report["clip"]["accuracy"], "clip_macro_f1": report["clip"]["macro_f1"],
        "window_accuracy": report["window"]["accuracy"],
        "window_macro_f1": report["window"]["macro_f1"],
        **rates, "train_minutes": round(train_minutes, 3),
        "selected_epoch": ckpt.training_data.get("selected_epoch"),
        "short_clips_padded": padded,
        "init": ckpt.training_data.get("init"),
        "self_training": ckpt.training_data.get("self_training"),
        "test": report, "history": history,
    }
    ckpt.metrics = {k: metrics[k] for k in ("clip_accuracy", "clip_macro_f1", "window_accuracy",
                                            "window_macro_f1", "accuracy_by_input_fps",
                                            "native_fps")}
    ckpt.metrics["test_split"] = cfg.split
    if out_dir is not None:
        out = Path(out_dir)
        save_checkpoint(ckpt, out)
        (out / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
        if plots:
            from har_ros.plots import plot_confusion, plot_history

            title = f"{ds.name} {cfg.split} test, clip-level acc {metrics['clip_accuracy']:.3f}"
            plot_confusion(np.array(report["clip"]["confusion_matrix"]), ds.classes,
                           out / "confusion.png", title)
            if history and np.isfinite(history[0]["val_loss"]):
                plot_history(history, out / "curves.png", f"{ds.name} seed {cfg.seed}")
    return metrics

