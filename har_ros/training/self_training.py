"""Few labelled clips per class, many unlabelled ones: ``labelled_per_class`` and
``self_training`` (pseudo-labelling).

The realistic cell case: an integrator records hours and labels a handful of clips per class.
A teacher trained on the labelled clips predicts every unlabelled clip (window probabilities
averaged over the clip, as evaluation does; the clips' own labels are replaced before
prediction, so they are never read). Per round, for each class, the most confident
``fraction`` of the clips the teacher assigns to it become training clips of that class
(class-balanced, so a class the teacher over-predicts cannot swamp the others); a student is
trained from the same start (``init_from`` or scratch; ``self_training_epochs``) on the
labelled plus the pseudo-labelled clips and teaches the next round. The final student is the
model.

Measured on Penn Action (bench/bench_few_shot.py, ``--methods self_train``): see
bench/results/few_shot.json and docs/few_shot.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from har_ros.checkpoint import Checkpoint
from har_ros.data.common import SkeletonSequence
from har_ros.errors import ConfigError
from har_ros.training.config import TrainConfig
from har_ros.training.evaluation import evaluate_sequences
from har_ros.training.loop import train_model


def draw_per_class(labels: list[int], indices: list[int], k: int,
                   seed: int) -> tuple[list[int], list[int]]:
    """(labelled, rest): ``k`` random ``indices`` per class (all of a class with fewer), drawn
    with ``numpy.random.default_rng(seed)`` class by class in sorted order; ``labels[i]`` is
    index ``i``'s class. ``rest`` keeps the order of ``indices``."""
    rng = np.random.default_rng(seed)
    picked: list[int] = []
    for c in sorted({labels[i] for i in indices}):
        members = [i for i in indices if labels[i] == c]
        picked += [int(i) for i in rng.permutation(members)[:k]]
    chosen = set(picked)
    return sorted(picked), [i for i in indices if i not in chosen]


def unlabelled(seqs: list[SkeletonSequence]) -> list[SkeletonSequence]:
    """Copies of clip-labelled ``seqs`` whose label is 0: what the teacher is shown, so no
    label can leak into pseudo-labelling. Per-frame-labelled sequences raise ConfigError
    (one pseudo label per recording would be wrong wherever it holds several actions)."""
    if any(not isinstance(s.label, (int, np.integer)) for s in seqs):
        raise ConfigError("self_training needs clip-labelled data (one action per clip); this "
                          "dataset has per-frame labels")
    return [replace(s, label=0) for s in seqs]


def predict_clips(ckpt: Checkpoint, seqs: list[SkeletonSequence]) -> tuple[np.ndarray,
                                                                           np.ndarray]:
    """(predicted class, confidence) per clip of ``seqs`` (whose labels are not used):
    the argmax and max of the clip-averaged window probabilities."""
    from har_ros.classifier import ActionClassifier

    proba = evaluate_sequences(ActionClassifier(ckpt), unlabelled(seqs))["clip_proba"]
    return proba.argmax(1).astype(np.int64), proba.max(1)


def select_confident(pred: np.ndarray, conf: np.ndarray, fraction: float) -> np.ndarray:
    """Sorted indices of the most confident ``fraction`` of the clips predicted as each class
    (rounded, at least one per predicted class)."""
    keep: list[int] = []
    for c in np.unique(pred):
        members = np.flatnonzero(pred == c)
        members = members[np.argsort(-conf[members], kind="stable")]
        keep += members[:max(1, int(round(fraction * len(members))))].tolist()
    return np.array(sorted(keep), dtype=np.int64)


def self_train(labelled: list[SkeletonSequence], val: list[SkeletonSequence],
               pool: list[SkeletonSequence], classes: list[str], cfg: TrainConfig,
               progress: bool = True, data_summary: dict | None = None,
               on_round: Callable[[int, Checkpoint, np.ndarray, np.ndarray], None] | None = None
               ) -> tuple[Checkpoint, list[dict]]:
    """Teacher on ``labelled``, then one student per ``cfg.self_training`` fraction on
    ``labelled`` + pseudo-labelled clips of ``pool`` (whose labels are never read).

    Returns the last student's (checkpoint, history); its ``training_data["self_training"]``
    lists every round (fraction, pseudo-labelled clips, per class, training minutes).
    ``on_round(round, checkpoint, pool_indices, pseudo_labels)``, if given, sees every model
    (round 0: the teacher, with empty arrays) and the pseudo labels it was trained with."""
    blind = unlabelled(pool)
    student = replace(cfg, epochs=cfg.self_training_epochs or cfg.epochs,
                      patience=max(cfg.patience, cfg.self_training_epochs or 0))
    ckpt, history = train_model(labelled, val, classes, cfg, progress, data_summary)
    rounds = [{"round": 0, "fraction": 0.0, "pseudo_labelled": 0,
               "train_minutes": ckpt.training_data["train_minutes"]}]
    if on_round is not None:
        on_round(0, ckpt, np.zeros(0, np.int64), np.zeros(0, np.int64))
    for r, fraction in enumerate(cfg.self_training, start=1):
        pred, conf = predict_clips(ckpt, blind)
        keep = select_confident(pred, conf, fraction)
        pseudo = [replace(blind[i], label=int(pred[i])) for i in keep]
        if not progress:
            print(f"self_training round {r}: {len(keep)} of {len(blind)} unlabelled clips "
                  f"pseudo-labelled (fraction {fraction})", flush=True)
        ckpt, history = train_model(labelled + pseudo, val, classes, student, progress,
                                    data_summary)
        counts = np.bincount(pred[keep], minlength=len(classes))
        rounds.append({"round": r, "fraction": float(fraction), "pseudo_labelled": len(keep),
                       "per_class": {c: int(n) for c, n in zip(classes, counts)},
                       "train_minutes": ckpt.training_data["train_minutes"]})
        if on_round is not None:
            on_round(r, ckpt, keep, pred[keep])
    ckpt.training_data["self_training"] = {"unlabelled_clips": len(blind),
                                           "labelled_clips": len(labelled), "rounds": rounds}
    return ckpt, history
