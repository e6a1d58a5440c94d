"""Train an action classifier from a config YAML (flags override it); writes a run folder.

The run folder holds the checkpoint (model.safetensors + model.json), metrics.json (clip- and
window-level test results, test accuracy at 30/10/5 fps input, training history), the test
confusion matrix (confusion.png) and training curves (curves.png).

Examples:
  har-ros train --config config/train_utd.yaml --seed 1 --out runs/utd_s1
  har-ros train --config config/train_penn.yaml --set window_s=1.5 --set model.hidden_size=96
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

#: Input rates at which every run also evaluates the test split (frames per second).
EVAL_INPUT_FPS = (30.0, 10.0, 5.0)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the command's options."""
    parser.add_argument("--config", required=True,
                        help="training config YAML (config/train_*.yaml)")
    parser.add_argument("--out", default=None, help="run folder (default runs/<config>_seed<k>)")
    parser.add_argument("--seed", type=int, default=None, help="random seed")
    parser.add_argument("--epochs", type=int, default=None, help="maximum epochs")
    parser.add_argument("--data-root", default=None, help="dataset folder / manifest")
    parser.add_argument("--fold", type=int, default=None, help="test fold for split: kfold")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--baseline", choices=("", "seed", "seed_std", "seed_net"), default=None,
                        help="'seed': the seed's network (ReLU input layer + LSTM) and recipe "
                        "(Adam lr 0.0025 with x0.96 decay, L2 0.0015, batch 512, 32-frame "
                        "windows) on raw pixels, no standardisation, no augmentation; "
                        "'seed_std': the same with standardised inputs; 'seed_net': the "
                        "seed's network on standardised raw pixels, no augmentation, trained "
                        "with the config's optimiser and schedule")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override any config key (dots for nested: model.hidden_size=96); "
                        "VALUE is parsed as YAML")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def load_config(path: str | Path, overrides: dict | None = None,
                sets: list[str] | None = None) -> dict:
    """Config YAML as a dict, with ``overrides`` and ``KEY=VALUE`` strings applied."""
    import yaml

    from har_ros.errors import ConfigError

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of training options")
    for k, v in (overrides or {}).items():
        if v is not None:
            data[k] = v
    for item in sets or []:
        if "=" not in item:
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        node = data
        parts = key.strip().split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {key}: {p} is not a mapping")
        node[parts[-1]] = yaml.safe_load(value)
    return data


def train_and_evaluate(cfg_dict: dict, out_dir: str | Path | None, progress: bool = True,
                       eval_fps: tuple[float, ...] = EVAL_INPUT_FPS, plots: bool = True) -> dict:
    """Load data, split, train, evaluate on the test split; save the run folder if ``out_dir``.

    Returns the metrics dict (also written to ``out_dir/metrics.json``).
    """
    import time

    import numpy as np

    from har_ros.checkpoint import save_checkpoint
    from har_ros.classifier import ActionClassifier
    from har_ros.data import load_dataset
    from har_ros.training import (
        TrainConfig,
        evaluate_sequences,
        evaluation_report,
        split_indices,
        train_model,
        validation_split,
    )

    cfg = TrainConfig.from_dict(cfg_dict)
    t0 = time.monotonic()
    ds = load_dataset(cfg.dataset, cfg.data_root, **cfg.dataset_options)
    train_idx, test_idx = split_indices(ds, cfg)
    fit_idx, val_idx = validation_split(ds, train_idx, cfg.val_fraction, cfg.seed)
    summary = ds.summary()
    summary.update(split=cfg.split, test_sequences=len(test_idx),
                   train_subjects=sorted({ds.sequences[i].subject for i in train_idx}),
                   test_subjects=sorted({ds.sequences[i].subject for i in test_idx}))
    ckpt, history = train_model([ds.sequences[i] for i in fit_idx],
                                [ds.sequences[i] for i in val_idx], ds.classes, cfg,
                                progress=progress, data_summary=summary)
    train_minutes = (time.monotonic() - t0) / 60
    clf = ActionClassifier(ckpt)
    test = [ds.sequences[i] for i in test_idx]
    pred = evaluate_sequences(clf, test, max_gap_s=cfg.max_gap_s)
    report = evaluation_report(pred, ds.classes)
    by_fps = {}
    for fps in eval_fps:
        r = evaluation_report(evaluate_sequences(clf, test, input_fps=fps,
                                                 max_gap_s=cfg.max_gap_s), ds.classes)
        by_fps[f"{fps:g}"] = {"clip_accuracy": r["clip"]["accuracy"],
                              "window_accuracy": r["window"]["accuracy"]}
    metrics = {
        "dataset": ds.name, "split": cfg.split, "seed": cfg.seed, "baseline": cfg.baseline,
        "clip_accuracy": report["clip"]["accuracy"], "clip_macro_f1": report["clip"]["macro_f1"],
        "window_accuracy": report["window"]["accuracy"],
        "window_macro_f1": report["window"]["macro_f1"],
        "accuracy_by_input_fps": by_fps, "train_minutes": round(train_minutes, 3),
        "selected_epoch": ckpt.training_data.get("selected_epoch"),
        "test": report, "history": history,
    }
    ckpt.metrics = {k: metrics[k] for k in ("clip_accuracy", "clip_macro_f1", "window_accuracy",
                                            "window_macro_f1", "accuracy_by_input_fps")}
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


def run(args: argparse.Namespace) -> int:
    """Train per the config and flags; prints the test summary."""
    cfg = load_config(args.config, {"seed": args.seed, "epochs": args.epochs,
                                    "data_root": args.data_root, "fold": args.fold,
                                    "threads": args.threads, "baseline": args.baseline},
                      args.set)
    out = args.out or f"runs/{Path(args.config).stem}_seed{cfg.get('seed', 0)}"
    m = train_and_evaluate(cfg, out, progress=not args.no_progress)
    fps = ", ".join(f"{k} fps {v['clip_accuracy']:.3f}" for k, v in
                    m["accuracy_by_input_fps"].items())
    print(f"{m['dataset']} {m['split']}: clip acc {m['clip_accuracy']:.4f} (macro-F1 "
          f"{m['clip_macro_f1']:.4f}), window acc {m['window_accuracy']:.4f}; {fps}; "
          f"{m['train_minutes']:.1f} min -> {out}")
    return 0
