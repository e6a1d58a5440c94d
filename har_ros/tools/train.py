"""Train an action classifier from a config YAML (flags override it); writes a run folder.

The run folder holds the checkpoint (model.safetensors + model.json), metrics.json (clip- and
window-level test results, test accuracy at 30/10/5 fps input, training history), the test
confusion matrix (confusion.png) and training curves (curves.png).

Relative paths inside the config file (data_root, init_from, distill_from,
dataset_options.label_map) are relative to the config file's folder; paths given as flags, to
the current directory.

Splits (config key ``split``; the test side is never trained on, and validation clips come
from the training side only):
  cross_subject  train_subjects vs test_subjects (default: every other subject); people the
                 model has not seen, the honest measure for a cell
  cross_view     train_cameras vs test_cameras (the manifest's camera column)
  official       the dataset's own train/test partition (Penn Action)
  kfold          `folds` folds by subject when there are >= `folds` subjects, else by clip;
                 --fold picks the test fold
  blocks         every recording cut into `folds` contiguous time blocks, block --fold is the
                 test side; block_gap_s (default window_s) is left out around every cut so no
                 window spans two blocks; for one long recording per class
  random         stratified random clips (test_fraction); no generalisation claim
Clips shorter than one window are padded at the front with their first frame (they give one
window); metrics.json counts them under short_clips_padded.

Few-shot adaptation: --init-from MODEL starts from that model's encoder with a new output head
for this data's classes (classes with the same name start from its head rows). The run takes
the init model's window, sampling rate, features, joints, standardisation and architecture
(its input layer expects them) and prints every config value it overrode; the run folder
records init_from and freeze in model.json (training_data.init) and metrics.json (init).

Distillation: distill_from (a list of model folders with this run's classes, window and rate)
adds the cross-entropy against their averaged probabilities to the loss, weighted by
distill_weight (the labels get the rest): one network learns what an ensemble agrees on
(config/train_utd_distill.yaml).

Few labelled clips, many unlabelled: --labelled-per-class K keeps K labelled clips per class
of the training part; --self-training 0.5 1.0 then pseudo-labels the other training clips
without reading their labels (a model trained on the K clips per class labels them, its most
confident half per class are added and a new model trained, then all of them with the new
model's labels). The gain comes from the unlabelled clips, with or without --init-from
(measured: docs/few_shot.md). self_training_epochs (--set) sets the epochs of each round's
model.

Examples:
  har-ros train --config config/train_utd.yaml --seed 1 --out runs/utd_s1
  har-ros train --config config/train_penn.yaml --set window_s=1.5 --set model.hidden_size=96
  har-ros train --config config/train_own.yaml --data-root data/cell/manifest.csv \
      --label-map data/cell/labels.yaml --init-from har_ros/models/default --out runs/cell
  har-ros train --config config/train_penn.yaml --labelled-per-class 5 --self-training 0.5 1.0 \
      --set val_fraction=0 --set select=last --out runs/penn_5shot_st
"""

from __future__ import annotations

import argparse
from pathlib import Path

from har_ros.training.config import BASELINES, FREEZE, SPLITS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the command's options."""
    parser.add_argument("--config", required=True,
                        help="training config YAML (config/train_*.yaml)")
    parser.add_argument("--out", default=None, help="run folder (default runs/<config>_seed<k>)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (numpy and torch)")
    parser.add_argument("--epochs", type=int, default=None, help="maximum epochs")
    parser.add_argument("--data-root", default=None, help="dataset folder / manifest")
    parser.add_argument("--label-map", default=None, metavar="PATH",
                        help="label file for dataset: recordings (YAML classes list or JSON "
                        "name -> index map); sets dataset_options.label_map")
    parser.add_argument("--split", choices=SPLITS, default=None,
                        help="train/test split (see the list above)")
    parser.add_argument("--fold", type=int, default=None,
                        help="test fold for split: kfold, test block for split: blocks")
    parser.add_argument("--init-from", default=None, metavar="MODEL",
                        help="model folder whose encoder starts the run (e.g. "
                        "har_ros/models/default); a new head is made for this data's classes; "
                        "window, rate, features and architecture come from that model")
    parser.add_argument("--freeze", choices=FREEZE, default=None,
                        help="with --init-from: 'encoder' trains the new head only, 'none' "
                        "(default) every weight")
    parser.add_argument("--labelled-per-class", type=int, default=None, metavar="K",
                        help="keep only K labelled clips per class of the training part "
                        "(random, per --seed); the rest are left out, or with "
                        "--self-training become its unlabelled pool (labels never read)")
    parser.add_argument("--self-training", type=float, nargs="+", default=None,
                        metavar="FRACTION",
                        help="self-training rounds on the unlabelled pool, one fraction each "
                        "(e.g. 0.5 1.0): per round the most confident fraction of the clips "
                        "the current model assigns to each class are added with that class "
                        "and a new model is trained; needs --labelled-per-class")
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
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar; print a progress line every few epochs instead")


def run(args: argparse.Namespace) -> int:
    """Train per the config and flags; prints the test summary."""
    from har_ros.training import load_config, train_and_evaluate
    from har_ros.training.evaluation import rate_rows_text

    def absolute(path: str | None) -> str | None:
        """A path flag made absolute, so the run folder records where its data came from."""
        return None if path is None else str(Path(path).expanduser().absolute())

    cfg = load_config(args.config, {"seed": args.seed, "epochs": args.epochs,
                                    "data_root": absolute(args.data_root), "fold": args.fold,
                                    "threads": args.threads, "baseline": args.baseline,
                                    "split": args.split, "init_from": absolute(args.init_from),
                                    "freeze": args.freeze,
                                    "labelled_per_class": args.labelled_per_class,
                                    "self_training": args.self_training},
                      args.set)
    if args.label_map is not None:
        cfg["dataset_options"] = {**(cfg.get("dataset_options") or {}),
                                  "label_map": absolute(args.label_map)}
    out = args.out or f"runs/{Path(args.config).stem}_seed{cfg.get('seed', 0)}"
    m = train_and_evaluate(cfg, out, progress=not args.no_progress)
    fps = rate_rows_text(m)
    print(f"{m['dataset']} {m['split']}: clip acc {m['clip_accuracy']:.4f} (macro-F1 "
          f"{m['clip_macro_f1']:.4f}), window acc {m['window_accuracy']:.4f}; {fps}; "
          f"{m['train_minutes']:.1f} min -> {out}")
    return 0
