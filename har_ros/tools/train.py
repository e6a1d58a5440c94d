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
from pathlib import Path

from har_ros.training.config import BASELINES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the command's options."""
    parser.add_argument("--config", required=True,
                        help="training config YAML (config/train_*.yaml)")
    parser.add_argument("--out", default=None, help="run folder (default runs/<config>_seed<k>)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (numpy and torch)")
    parser.add_argument("--epochs", type=int, default=None, help="maximum epochs")
    parser.add_argument("--data-root", default=None, help="dataset folder / manifest")
    parser.add_argument("--fold", type=int, default=None, help="test fold for split: kfold")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--baseline", choices=BASELINES, default=None,
                        help="a baseline of the predecessor project (LSTM-HAR for 2D pose): "
                        "'seed': its network (ReLU input layer + LSTM) and recipe (Adam lr "
                        "0.0025 with x0.96 decay, L2 0.0015, batch 512, 32-frame windows) on "
                        "raw pixels, no standardisation, no augmentation; 'seed_std': the same "
                        "with standardised inputs; 'seed_net': its network on standardised raw "
                        "pixels, no augmentation, trained with the config's optimiser and "
                        "schedule")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override any config key (dots for nested: model.hidden_size=96); "
                        "VALUE is parsed as YAML")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def run(args: argparse.Namespace) -> int:
    """Train per the config and flags; prints the test summary."""
    from har_ros.training import load_config, train_and_evaluate

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
