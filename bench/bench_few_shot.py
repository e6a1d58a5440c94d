"""Few-shot learning curve: adapt to Penn Action with 1, 3, 5 and 10 clips per class.

Each run trains on ``k`` clips per class drawn at random from Penn Action's official train
split (draw ``d`` seeds the draw and the training) and is scored on the whole official test
split (clip accuracy, 1,068 clips), once fine-tuned from a model's encoder
(``init_from``, default har_ros/models/default, pretrained on UTD-MHAD) and once from
scratch. Both use config/train_penn.yaml's recipe with the init model's window, rate and
features (so the only difference is the starting weights), no validation clips (too few)
and the final weights. Full-data reference: bench/results/model_targets.json (penn/ours,
trained from scratch on all 1,258 train clips).

Writes bench/results/few_shot.json (every run and a summary per clips-per-class and init)
and docs/few_shot.png. One torch thread; results are written after every run, so an
interrupted run keeps what it measured.

  nice -n 5 python -m bench.bench_few_shot                       # the whole grid
  python -m bench.bench_few_shot --shots 5 --draws 1 --inits default
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "few_shot.json"
#: What 'default' and 'previous_default' (runs kept from before the default was retrained)
#: name in the results.
INIT_MODEL_NOTE = ("har_ros/models/default (UTD-MHAD, virtual cameras, walk and jog merged, "
                   "400 epochs); previous_default: the default before it (27 classes, 150 "
                   "epochs, commit e3daa5f)")
PLOT = ROOT / "docs" / "few_shot.png"
CONFIG = ROOT / "config" / "train_penn.yaml"
DEFAULT_INIT = ROOT / "har_ros" / "models" / "default"
#: Targets from issue 15: points over scratch at 5 clips per class, fraction of the
#: full-data accuracy at 10 clips per class.
TARGET_GAIN_5 = 0.15
TARGET_FRACTION_10 = 0.90


def full_data_accuracy() -> float | None:
    """Penn Action clip accuracy trained on all train clips (model_targets.json, penn/ours)."""
    path = ROOT / "bench" / "results" / "model_targets.json"
    if not path.is_file():
        return None
    return float(json.loads(path.read_text())["summary"]["penn/ours"]["clip_accuracy"][0])


def draw_clips(labels: list[int], train: list[int], k: int, draw: int) -> list[int]:
    """``k`` random train indices per class (all of a class if it has fewer)."""
    rng = np.random.default_rng(1000 + draw)
    out: list[int] = []
    for c in sorted({labels[i] for i in train}):
        members = [i for i in train if labels[i] == c]
        out += [int(i) for i in rng.permutation(members)[:k]]
    return sorted(out)


def run_one(ds, fit: list[int], test: list[int], base: dict, init: str, freeze: str,
            draw: int, epochs: int) -> dict:
    """Train on ``fit`` (from ``init`` or scratch) and score on ``test``."""
    from har_ros.classifier import ActionClassifier
    from har_ros.training import TrainConfig, evaluate_sequences, train_model
    from har_ros.training.init_from import load_init

    cfg = dict(base, seed=draw, epochs=epochs, val_fraction=0.0, select="last",
               patience=epochs, threads=1, init_from="", freeze="none")
    if init != "scratch":
        cfg.update(init_from=init, freeze=freeze)
    else:  # the init model's window, rate and features, so only the start weights differ
        adopted = load_init(TrainConfig.from_dict(dict(cfg, init_from=str(DEFAULT_INIT)))).cfg
        cfg.update(window_s=adopted.window_s, rate_hz=adopted.rate_hz,
                   features=adopted.features, model=adopted.model)
    t0 = time.monotonic()
    ckpt, _ = train_model([ds.sequences[i] for i in fit], [], ds.classes,
                          TrainConfig.from_dict(cfg), progress=False)
    minutes = (time.monotonic() - t0) / 60
    pred = evaluate_sequences(ActionClassifier(ckpt), [ds.sequences[i] for i in test])
    return {"accuracy": float((pred["clip_true"] == pred["clip_pred"]).mean()),
            "train_minutes": round(minutes, 3), "epochs": epochs}


def summarise(runs: list[dict], full: float | None) -> dict:
    """Mean / std of the accuracy per (clips per class, init, freeze), and the targets."""
    out: dict = {}
    for r in runs:
        out.setdefault(f"{r['clips_per_class']}/{r['init']}/{r['freeze']}", []).append(r)
    summary = {}
    for key, rs in sorted(out.items()):
        acc = [r["accuracy"] for r in rs]
        summary[key] = {"clips_per_class": rs[0]["clips_per_class"], "init": rs[0]["init"],
                        "freeze": rs[0]["freeze"], "draws": len(rs),
                        "accuracy_mean": float(np.mean(acc)),
                        "accuracy_std": float(np.std(acc, ddof=1)) if len(acc) > 1 else 0.0,
                        "train_minutes_mean": float(np.mean([r["train_minutes"] for r in rs]))}
    targets = {}
    s5 = summary.get("5/default/none")
    sc5 = summary.get("5/scratch/none")
    if s5 and sc5:
        gain = s5["accuracy_mean"] - sc5["accuracy_mean"]
        targets["gain_over_scratch_at_5"] = {"value": gain, "target": TARGET_GAIN_5,
                                             "met": gain >= TARGET_GAIN_5}
    s10 = summary.get("10/default/none")
    if s10 and full:
        frac = s10["accuracy_mean"] / full
        targets["fraction_of_full_at_10"] = {"value": frac, "target": TARGET_FRACTION_10,
                                             "met": frac >= TARGET_FRACTION_10}
    return {"groups": summary, "targets": targets}


def plot(summary: dict, full: float | None, path: Path) -> None:
    """Learning curve: clip accuracy (mean +- std over draws) against clips per class."""
    from har_ros.plots import _plt

    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    curves: dict = {}
    for g in summary["groups"].values():
        curves.setdefault((g["init"], g["freeze"]), []).append(g)
    for (init, freeze), gs in sorted(curves.items()):
        gs = sorted(gs, key=lambda g: g["clips_per_class"])
        name = "from scratch" if init == "scratch" else f"from {Path(init).name}"
        if freeze != "none":
            name += f" (freeze {freeze})"
        ax.errorbar([g["clips_per_class"] for g in gs], [g["accuracy_mean"] for g in gs],
                    yerr=[g["accuracy_std"] for g in gs], marker="o", capsize=3, label=name)
    if full:
        ax.axhline(full, color="grey", ls="--", label=f"all 1,258 clips ({full:.3f})")
    ax.set_xscale("log")
    ax.set_xticks([1, 3, 5, 10])
    ax.set_xticklabels(["1", "3", "5", "10"])
    ax.set_xlabel("training clips per class (Penn Action official train split)")
    ax.set_ylabel("clip accuracy, official test split")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Few-shot adaptation to Penn Action (15 classes)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    """Run the grid, writing results after every run."""
    import torch

    from har_ros.data import load_dataset
    from har_ros.training import clip_label, load_config

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shots", type=int, nargs="+", default=[1, 3, 5, 10])
    p.add_argument("--draws", type=int, default=3)
    p.add_argument("--inits", nargs="+", default=["default", "scratch"],
                   help="'default' (har_ros/models/default), 'scratch' or a model folder")
    p.add_argument("--freeze", default="none", choices=("none", "encoder"))
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--plot", type=Path, default=PLOT)
    p.add_argument("--append", action="store_true", help="keep the runs already in --out")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    base = load_config(CONFIG)
    t = time.monotonic()
    ds = load_dataset(base["dataset"], base["data_root"], **base["dataset_options"])
    train = [i for i, s in enumerate(ds.sequences) if s.subject == "train"]
    test = [i for i, s in enumerate(ds.sequences) if s.subject == "test"]
    labels = [clip_label(s) for s in ds.sequences]
    print(f"penn: {len(train)} train / {len(test)} test clips, {len(ds.classes)} classes, "
          f"loaded in {time.monotonic() - t:.0f} s", flush=True)
    runs = json.loads(args.out.read_text())["runs"] if args.append and args.out.is_file() else []
    full = full_data_accuracy()
    inits = [str(DEFAULT_INIT) if i == "default" else i for i in args.inits]
    for k in args.shots:
        for draw in range(args.draws):
            fit = draw_clips(labels, train, k, draw)
            for init in inits:
                freeze = args.freeze if init != "scratch" else "none"
                r = run_one(ds, fit, test, base, init, freeze, draw, args.epochs)
                name = "scratch" if init == "scratch" else (
                    "default" if Path(init) == DEFAULT_INIT else init)
                r.update(clips_per_class=k, draw=draw, init=name, freeze=freeze,
                         train_clips=len(fit))
                runs.append(r)
                print(f"k={k} draw={draw} init={name} freeze={freeze}: acc "
                      f"{r['accuracy']:.3f} ({r['train_minutes']:.1f} min)", flush=True)
                summary = summarise(runs, full)
                doc = {"benchmark": "few-shot adaptation to Penn Action (official split)",
                       "command": "nice -n 5 python -m bench.bench_few_shot",
                       "init_model": INIT_MODEL_NOTE,
                       "recipe": "config/train_penn.yaml, init model's window/rate/features, "
                                 f"{args.epochs} epochs, no validation, final weights",
                       "full_data_accuracy": full,
                       "full_data_source": "bench/results/model_targets.json penn/ours "
                                           "(from scratch, all train clips, 3 seeds)",
                       "runs": runs, "summary": summary}
                args.out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
                plot(summary, full, args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
