"""Few-shot learning curve: adapt to Penn Action with 1, 3, 5 and 10 clips per class.

Each run trains on ``k`` clips per class drawn at random from Penn Action's official train
split (draw ``d`` seeds the draw and the training) and is scored on the whole official test
split (clip accuracy, 1,068 clips), once fine-tuned from a model's encoder
(``init_from``, default har_ros/models/default, pretrained on UTD-MHAD) and once from
scratch. Both use config/train_penn.yaml's recipe with the init model's window, rate and
features (so the only difference is the starting weights), no validation clips (too few)
and the final weights. Full-data reference: bench/results/model_targets.json (penn/ours,
trained from scratch on all 1,258 train clips).

``--methods self_train`` adds semi-supervised runs (the cell case: hours recorded, a handful
labelled): the plain run is the teacher, and ``har-ros train``'s ``self_training`` rounds
pseudo-label the rest of the official train split, whose labels are never read in training
(only afterwards, to report how many pseudo labels were right). Run it with both inits so
the table says where a gain comes from (the unlabelled clips or the init model).

Writes bench/results/few_shot.json (every run, with its command, and a summary per
clips-per-class, init, freeze and method) and docs/few_shot.png. One torch thread; results
are written after every run, so an interrupted run keeps what it measured.

  nice -n 5 python -m bench.bench_few_shot                       # the whole grid
  python -m bench.bench_few_shot --shots 5 --draws 1 --inits default
  nice -n 10 python -m bench.bench_few_shot --shots 5 10 --draws 2 --methods self_train \
      --append                                                   # keeps the earlier runs
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "few_shot.json"
#: What 'default' and 'previous_default' (runs kept from before the default was retrained)
#: name in the results.
INIT_MODEL_NOTE = ("har_ros/models/default when measured (the runs so far: UTD-MHAD, virtual "
                   "cameras, walk and jog merged, 400 epochs, the default before the 800-epoch "
                   "one); previous_default: the default before it (27 classes, 150 epochs, "
                   "commit e3daa5f)")
PLOT = ROOT / "docs" / "few_shot.png"
CONFIG = ROOT / "config" / "train_penn.yaml"
DEFAULT_INIT = ROOT / "har_ros" / "models" / "default"
#: Targets from issue 15: points over scratch at 5 clips per class, fraction of the
#: full-data accuracy at 10 clips per class.
TARGET_GAIN_5 = 0.15
#: Method lp_ft: the encoder's learning rate as a fraction of the head's after the probe.
LP_FT_ENCODER_LR = 0.1
TARGET_FRACTION_10 = 0.90


def full_data_accuracy() -> float | None:
    """Penn Action clip accuracy trained on all train clips (model_targets.json, penn/ours)."""
    path = ROOT / "bench" / "results" / "model_targets.json"
    if not path.is_file():
        return None
    return float(json.loads(path.read_text())["summary"]["penn/ours"]["clip_accuracy"][0])


def draw_clips(labels: list[int], train: list[int], k: int, draw: int) -> list[int]:
    """``k`` random train indices per class (all of a class if it has fewer): the draw
    ``har-ros train --labelled-per-class k --seed draw`` makes."""
    from har_ros.training.self_training import draw_per_class

    return draw_per_class(labels, train, k, 1000 + draw)[0]


def run_one(ds, fit: list[int], test: list[int], base: dict, init: str, freeze: str,
            draw: int, epochs: int, pool: list[int] | None = None,
            fractions: tuple[float, ...] = (), labels: list[int] | None = None,
            lp_ft: bool = False, student_epochs: int | None = None) -> dict:
    """Train on ``fit`` (from ``init`` or scratch) and score on ``test``; with ``fractions``,
    self-training rounds on the unlabelled ``pool`` (its labels are never read in training;
    ``labels`` is read afterwards only to report how many pseudo labels were right); with
    ``lp_ft``, a linear probe (``epochs``, encoder frozen) then ``epochs`` of fine-tuning
    with the encoder at LP_FT_ENCODER_LR of the head's learning rate."""
    from har_ros.classifier import ActionClassifier
    from har_ros.training import TrainConfig, evaluate_sequences, train_model
    from har_ros.training.init_from import load_init
    from har_ros.training.self_training import self_train

    cfg = dict(base, seed=draw, epochs=epochs, val_fraction=0.0, select="last",
               patience=epochs, threads=1, init_from="", freeze="none")
    if init != "scratch":
        cfg.update(init_from=init, freeze=freeze)
    else:  # the init model's window, rate and features, so only the start weights differ
        adopted = load_init(TrainConfig.from_dict(dict(cfg, init_from=str(DEFAULT_INIT)))).cfg
        cfg.update(window_s=adopted.window_s, rate_hz=adopted.rate_hz,
                   features=adopted.features, model=adopted.model)
    test_seqs = [ds.sequences[i] for i in test]

    def score(ckpt) -> float:
        pred = evaluate_sequences(ActionClassifier(ckpt), test_seqs)
        return float((pred["clip_true"] == pred["clip_pred"]).mean())

    t0 = time.monotonic()
    if lp_ft:  # linear probe (encoder frozen), then everything with the encoder at lr/10
        import tempfile

        from har_ros.checkpoint import save_checkpoint

        fit_seqs = [ds.sequences[i] for i in fit]
        probe, _ = train_model(fit_seqs, [], ds.classes,
                               TrainConfig.from_dict(dict(cfg, freeze="encoder")),
                               progress=False)
        with tempfile.TemporaryDirectory() as tmp:
            save_checkpoint(probe, tmp)
            ckpt, _ = train_model(fit_seqs, [], ds.classes, TrainConfig.from_dict(
                dict(cfg, init_from=tmp, freeze="none", encoder_lr_scale=LP_FT_ENCODER_LR)),
                progress=False)
        minutes = (time.monotonic() - t0) / 60
        return {"accuracy": score(ckpt), "probe_accuracy": score(probe),
                "train_minutes": round(minutes, 3), "epochs": epochs,
                "encoder_lr_scale": LP_FT_ENCODER_LR}
    if not fractions:
        ckpt, _ = train_model([ds.sequences[i] for i in fit], [], ds.classes,
                              TrainConfig.from_dict(cfg), progress=False)
        minutes = (time.monotonic() - t0) / 60
        return {"accuracy": score(ckpt), "train_minutes": round(minutes, 3), "epochs": epochs}
    cfg.update(labelled_per_class=1, self_training=list(fractions),
               self_training_epochs=student_epochs)
    rounds: list[dict] = []

    def on_round(r: int, ckpt, kept: np.ndarray, pseudo: np.ndarray) -> None:
        rec = {"round": r, "accuracy": score(ckpt), "pseudo_labelled": int(kept.size)}
        if kept.size:  # diagnostics only, after the round was trained
            rec["pseudo_label_accuracy"] = float(np.mean(
                [pseudo[j] == labels[pool[i]] for j, i in enumerate(kept)]))
        rounds.append(rec)
        print(f"  self-training round {r}: acc {rec['accuracy']:.3f}, "
              f"{rec['pseudo_labelled']} pseudo-labelled", flush=True)

    ckpt, _ = self_train([ds.sequences[i] for i in fit], [], [ds.sequences[i] for i in pool],
                         ds.classes, TrainConfig.from_dict(cfg), progress=False,
                         on_round=on_round)
    st = ckpt.training_data["self_training"]
    train_minutes = sum(r["train_minutes"] for r in st["rounds"])
    return {"accuracy": rounds[-1]["accuracy"], "teacher_accuracy": rounds[0]["accuracy"],
            "train_minutes": round(train_minutes, 3), "epochs": epochs,
            "self_training": list(fractions), "student_epochs": student_epochs or epochs,
            "unlabelled_clips": len(pool),
            "rounds": rounds, "wall_minutes": round((time.monotonic() - t0) / 60, 3)}


def method_of(run: dict) -> str:
    """'plain' (the labelled clips only; runs from before self-training have no key),
    'lp_ft' (the same, linear probe then fine-tuning) or 'self_train' (plus pseudo-labelled
    unlabelled train clips)."""
    return run.get("method", "plain")


def group_key(k: int, init: str, freeze: str, method: str) -> str:
    """Summary key: 'k/init/freeze' for plain runs (as before), '.../self_train' otherwise."""
    return f"{k}/{init}/{freeze}" + ("" if method == "plain" else f"/{method}")


def summarise(runs: list[dict], full: float | None) -> dict:
    """Mean / std of the accuracy per (clips per class, init, freeze, method), and the
    targets: for plain fine-tuning (as issue 15 set them) and for self-training, whose gain
    is given over plain scratch (the issue's baseline), over the self-training runs'
    scratch teachers (plain scratch with the current init model's window and features; the
    older plain scratch runs used the previous default's) and over self-trained scratch
    (what the init model adds when both see the unlabelled clips). Group '.../teacher':
    the teachers (round 0) of the self-training runs."""
    out: dict = {}
    for r in runs:
        key = group_key(r["clips_per_class"], r["init"], r["freeze"], method_of(r))
        out.setdefault(key, []).append(r)
        if method_of(r) == "self_train":  # its teacher is a plain run of today's settings
            key = group_key(r["clips_per_class"], r["init"], r["freeze"], "teacher")
            out.setdefault(key, []).append(dict(r, accuracy=r["teacher_accuracy"],
                                                method="teacher"))
    summary = {}
    for key, rs in sorted(out.items()):
        acc = [r["accuracy"] for r in rs]
        summary[key] = {"clips_per_class": rs[0]["clips_per_class"], "init": rs[0]["init"],
                        "freeze": rs[0]["freeze"], "method": method_of(rs[0]),
                        "draws": len(rs), "accuracy_mean": float(np.mean(acc)),
                        "accuracy_std": float(np.std(acc, ddof=1)) if len(acc) > 1 else 0.0,
                        "train_minutes_mean": float(np.mean([r["train_minutes"] for r in rs]))}
    targets = {}

    def mean(key: str) -> float | None:
        return summary[key]["accuracy_mean"] if key in summary else None

    for name, key, base in (
            ("gain_over_scratch_at_5", "5/default/none", "5/scratch/none"),
            ("self_train_gain_over_scratch_at_5", "5/default/none/self_train",
             "5/scratch/none"),
            ("self_train_gain_over_self_trained_scratch_at_5", "5/default/none/self_train",
             "5/scratch/none/self_train"),
            ("scratch_self_train_gain_over_scratch_at_5", "5/scratch/none/self_train",
             "5/scratch/none"),
            ("self_train_gain_over_scratch_teacher_at_5", "5/default/none/self_train",
             "5/scratch/none/teacher")):
        if mean(key) is not None and mean(base) is not None:
            gain = mean(key) - mean(base)
            targets[name] = {"value": gain, "target": TARGET_GAIN_5,
                             "met": gain >= TARGET_GAIN_5, "of": key, "over": base}
    for name, key in (("fraction_of_full_at_10", "10/default/none"),
                      ("self_train_fraction_of_full_at_10", "10/default/none/self_train"),
                      ("scratch_self_train_fraction_of_full_at_10",
                       "10/scratch/none/self_train")):
        if mean(key) is not None and full:
            frac = mean(key) / full
            targets[name] = {"value": frac, "target": TARGET_FRACTION_10,
                             "met": frac >= TARGET_FRACTION_10, "of": key}
    return {"groups": summary, "targets": targets}


def plot(summary: dict, full: float | None, path: Path) -> None:
    """Learning curve: clip accuracy (mean +- std over draws) against clips per class."""
    from har_ros.plots import _plt

    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    curves: dict = {}
    for g in summary["groups"].values():
        curves.setdefault((g["init"], g["freeze"], g.get("method", "plain")), []).append(g)
    for (init, freeze, method), gs in sorted(curves.items()):
        gs = sorted(gs, key=lambda g: g["clips_per_class"])
        name = "from scratch" if init == "scratch" else f"from {Path(init).name}"
        if freeze != "none":
            name += f" (freeze {freeze})"
        if method == "teacher":
            continue  # the same models as plain runs
        if method == "self_train":
            name += " + self-training on unlabelled train clips"
        elif method == "lp_ft":
            name += ", linear probe then fine-tune"
        ax.errorbar([g["clips_per_class"] for g in gs], [g["accuracy_mean"] for g in gs],
                    yerr=[g["accuracy_std"] for g in gs], marker="o", capsize=3, label=name,
                    ls={"self_train": "--", "lp_ft": ":"}.get(method, "-"))
    if full:
        ax.axhline(full, color="grey", ls="--", label=f"all 1,258 clips ({full:.3f})")
    ax.set_xscale("log")
    ax.set_xticks([1, 3, 5, 10])
    ax.set_xticklabels(["1", "3", "5", "10"])
    ax.set_xlabel("training clips per class (Penn Action official train split)")
    ax.set_ylabel("clip accuracy, official test split")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
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
    p.add_argument("--methods", nargs="+", default=["plain"],
                   choices=("plain", "lp_ft", "self_train"),
                   help="'plain': the k labelled clips per class only; 'lp_ft': the same, "
                   "linear probe then fine-tuning (init models only); 'self_train': plus "
                   "self-training on the rest of the official train split, unlabelled")
    p.add_argument("--self-training", type=float, nargs="+", default=[0.5, 1.0],
                   help="self-training fractions, one per round (har-ros train's "
                   "self_training)")
    p.add_argument("--student-epochs", type=int, default=30,
                   help="epochs of each self-training student (self_training_epochs; the "
                   "full-data recipe's 30)")
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
    command = "python -m bench.bench_few_shot " + " ".join(
        argv if argv is not None else sys.argv[1:])
    full = full_data_accuracy()
    inits = [str(DEFAULT_INIT) if i == "default" else i for i in args.inits]
    for k in args.shots:
        for draw in range(args.draws):
            fit = draw_clips(labels, train, k, draw)
            chosen = set(fit)
            pool = [i for i in train if i not in chosen]
            for init, method in [(i, m) for m in args.methods for i in inits
                                 if not (m == "lp_ft" and i == "scratch")]:
                freeze = args.freeze if init != "scratch" else "none"
                fractions = tuple(args.self_training) if method == "self_train" else ()
                r = run_one(ds, fit, test, base, init, freeze, draw, args.epochs, pool,
                            fractions, labels, lp_ft=method == "lp_ft",
                            student_epochs=args.student_epochs)
                name = "scratch" if init == "scratch" else (
                    "default" if Path(init) == DEFAULT_INIT else init)
                r.update(clips_per_class=k, draw=draw, init=name, freeze=freeze,
                         method=method, train_clips=len(fit), command=command)
                runs.append(r)
                print(f"k={k} draw={draw} init={name} freeze={freeze} method={method}: acc "
                      f"{r['accuracy']:.3f} ({r['train_minutes']:.1f} min)", flush=True)
                summary = summarise(runs, full)
                doc = {"benchmark": "few-shot adaptation to Penn Action (official split)",
                       "command": "nice -n 5 python -m bench.bench_few_shot "
                                  "(each run: its own command)",
                       "init_model": INIT_MODEL_NOTE,
                       "recipe": "config/train_penn.yaml, init model's window/rate/features, "
                                 f"{args.epochs} epochs, no validation, final weights",
                       "self_training": "method self_train: the plain run is the teacher; "
                                        "per round a student (same recipe and start, "
                                        "student_epochs epochs) is "
                                        "trained on the k labelled clips per class plus the "
                                        "most confident fraction, per predicted class, of the "
                                        "other official train clips, labelled with the "
                                        "previous model's predictions; their true labels are "
                                        "never read in training (only afterwards, for "
                                        "rounds[].pseudo_label_accuracy); rounds[0] is the "
                                        "teacher (= the plain run)",
                       "full_data_accuracy": full,
                       "full_data_source": "bench/results/model_targets.json penn/ours "
                                           "(from scratch, all train clips, 3 seeds)",
                       "runs": runs, "summary": summary}
                args.out.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
                plot(summary, full, args.plot)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
