"""Train / test / validation splits of a skeleton dataset (by subject, view, fold or clip)."""

from __future__ import annotations

import numpy as np

from har_ros.data.common import SkeletonDataset, SkeletonSequence
from har_ros.errors import ConfigError, DataError
from har_ros.training.config import TrainConfig


def clip_label(seq: SkeletonSequence) -> int:
    """Clip label, or the most frequent labelled frame's class for per-frame labels."""
    if isinstance(seq.label, int):
        return seq.label
    lab = seq.label[seq.label >= 0]
    return int(np.bincount(lab).argmax()) if lab.size else -1


def _stratified(indices: list[int], labels: list[int], fraction: float,
                rng: np.random.Generator) -> tuple[list[int], list[int]]:
    """Split indices into (rest, picked) with ~fraction of each label picked (>= 1 if >= 2)."""
    picked: list[int] = []
    for lab in sorted(set(labels)):
        members = [i for i, y in zip(indices, labels) if y == lab]
        k = int(round(fraction * len(members)))
        if fraction > 0 and len(members) >= 2:
            k = max(k, 1)
        picked += list(rng.permutation(members)[:k])
    ps = set(picked)
    return [i for i in indices if i not in ps], sorted(int(i) for i in picked)


def split_indices(ds: SkeletonDataset, cfg: TrainConfig) -> tuple[list[int], list[int]]:
    """(train, test) sequence indices for ``cfg.split``.

    * cross_subject: ``train_subjects`` vs ``test_subjects`` (default: all other subjects).
    * cross_view: sequences seen from ``train_cameras`` vs ``test_cameras`` (Penn Action's
      views: front, back, left, right); where subjects are an official ``train``/``test``
      partition (Penn Action) it is kept too, so train and test share neither clip nor view.
    * official: sequences whose subject is ``train`` vs ``test`` (Penn Action's split).
    * kfold: subject-wise folds when there are >= ``folds`` subjects, else stratified clip folds;
      ``fold`` picks the test fold.
    * random: stratified random clips, ``test_fraction`` for testing (no generalisation claim).
    """
    n = len(ds)
    subj = [s.subject for s in ds.sequences]
    if cfg.split == "cross_subject":
        tr = {str(s) for s in cfg.train_subjects}
        te = {str(s) for s in cfg.test_subjects} or (set(subj) - tr)
        if not tr or tr & te:
            raise ConfigError("cross_subject needs train_subjects, disjoint from test_subjects")
        train = [i for i in range(n) if subj[i] in tr]
        test = [i for i in range(n) if subj[i] in te]
    elif cfg.split == "cross_view":
        cams = [s.camera for s in ds.sequences]
        tr, te = {str(c) for c in cfg.train_cameras}, {str(c) for c in cfg.test_cameras}
        if not tr or not te or tr & te:
            raise ConfigError("cross_view needs train_cameras and test_cameras, disjoint "
                              f"(views in {ds.name}: {', '.join(sorted(set(cams)))})")
        train = [i for i in range(n) if cams[i] in tr and subj[i] != "test"]
        test = [i for i in range(n) if cams[i] in te and subj[i] != "train"]
    elif cfg.split == "official":
        train = [i for i in range(n) if subj[i] == "train"]
        test = [i for i in range(n) if subj[i] == "test"]
    elif cfg.split == "kfold":
        if not 0 <= cfg.fold < cfg.folds:
            raise ConfigError(f"fold must be in 0..{cfg.folds - 1}")
        subjects = sorted(set(subj))
        if len(subjects) >= cfg.folds:
            held = set(subjects[cfg.fold::cfg.folds])
            test = [i for i in range(n) if subj[i] in held]
        else:
            rng = np.random.default_rng(12345)
            order = {}
            for i in range(n):
                order.setdefault(clip_label(ds.sequences[i]), []).append(i)
            test = sorted(int(i) for members in order.values()
                          for i in rng.permutation(members)[cfg.fold::cfg.folds])
        ts = set(test)
        train = [i for i in range(n) if i not in ts]
    else:
        rng = np.random.default_rng(12345)
        idx = list(range(n))
        train, test = _stratified(idx, [clip_label(ds.sequences[i]) for i in idx],
                                  cfg.test_fraction, rng)
    if not train or not test:
        raise DataError(f"split {cfg.split!r} leaves {len(train)} train and {len(test)} test "
                        f"sequences in {ds.name}")
    return train, test


def validation_split(ds: SkeletonDataset, train: list[int], fraction: float,
                     seed: int) -> tuple[list[int], list[int]]:
    """(fit, val): stratified clips taken from the TRAIN indices only."""
    if fraction <= 0:
        return list(train), []
    rng = np.random.default_rng(seed + 1000)
    return _stratified(list(train), [clip_label(ds.sequences[i]) for i in train], fraction, rng)


