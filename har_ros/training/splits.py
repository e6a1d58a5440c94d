"""Train / test / validation splits of a skeleton dataset (by subject, view, fold or clip)."""

from __future__ import annotations

from dataclasses import replace

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
    * blocks: needs a dataset cut by :func:`split_dataset` (every recording in ``folds``
      contiguous time blocks); block ``fold`` of every recording is the test side.
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
    elif cfg.split == "blocks":
        if not 0 <= cfg.fold < cfg.folds:
            raise ConfigError(f"fold must be in 0..{cfg.folds - 1}")
        blocks = [block_of(s) for s in ds.sequences]
        if None in blocks:
            raise ConfigError("split: blocks needs the dataset cut by split_dataset()")
        train = [i for i in range(n) if blocks[i] != cfg.fold]
        test = [i for i in range(n) if blocks[i] == cfg.fold]
    else:
        rng = np.random.default_rng(12345)
        idx = list(range(n))
        train, test = _stratified(idx, [clip_label(ds.sequences[i]) for i in idx],
                                  cfg.test_fraction, rng)
    if not train or not test:
        hint = ""
        if cfg.split in ("kfold", "cross_subject", "random"):
            hint = ("; with one long recording per class (or per person), use split: blocks "
                    "(cuts every recording into `folds` contiguous time blocks and tests on "
                    "block `fold`, with a gap of block_gap_s between blocks)")
        raise DataError(f"split {cfg.split!r} leaves {len(train)} train and {len(test)} test "
                        f"sequences in {ds.name}{hint}")
    return train, test


#: Suffix of the clip id of a recording's k-th time block (``rec01@block2``).
BLOCK_MARK = "@block"


def block_of(seq: SkeletonSequence) -> int | None:
    """Time-block index of a sequence cut by :func:`cut_blocks`, else None."""
    head, mark, k = seq.clip_id.rpartition(BLOCK_MARK)
    return int(k) if mark and k.isdigit() else None


def cut_blocks(seq: SkeletonSequence, blocks: int, gap_s: float) -> list[SkeletonSequence]:
    """``seq`` cut into ``blocks`` contiguous, equally long time blocks, ``gap_s`` seconds
    left out around every cut (half on each side), so no window of one block holds a frame
    of another or of the time right next to it. Blocks with no labelled frame are dropped."""
    t = seq.stamps_s
    edges = np.linspace(t[0], t[-1] + 1e-9, blocks + 1)
    out = []
    for k in range(blocks):
        lo = edges[k] + (gap_s / 2 if k > 0 else 0.0)
        hi = edges[k + 1] - (gap_s / 2 if k < blocks - 1 else 0.0)
        keep = (t >= lo) & (t < hi)
        if keep.sum() < 2:
            continue
        label = seq.label if isinstance(seq.label, int) else seq.label[keep]
        if not isinstance(label, int) and not (label >= 0).any():
            continue
        pts = seq.points3d[keep] if seq.points3d is not None else None
        out.append(replace(seq, skeletons=seq.skeletons[keep], stamps_s=t[keep], label=label,
                           points3d=pts, clip_id=f"{seq.clip_id}{BLOCK_MARK}{k}"))
    return out


def split_dataset(ds: SkeletonDataset, cfg: TrainConfig
                  ) -> tuple[SkeletonDataset, list[int], list[int]]:
    """(dataset, train, test): ``ds`` itself and :func:`split_indices`, or for split: blocks
    every recording cut into ``folds`` time blocks (:func:`cut_blocks`, gap ``block_gap_s``,
    default ``window_s``) and block ``fold`` as the test side."""
    if cfg.split == "blocks":
        gap = cfg.window_s if cfg.block_gap_s is None else cfg.block_gap_s
        pieces = [b for s in ds.sequences for b in cut_blocks(s, cfg.folds, gap)]
        ds = SkeletonDataset(ds.name, ds.classes, ds.fps, pieces)
    train, test = split_indices(ds, cfg)
    return ds, train, test


def validation_split(ds: SkeletonDataset, train: list[int], fraction: float,
                     seed: int) -> tuple[list[int], list[int]]:
    """(fit, val): stratified clips taken from the TRAIN indices only."""
    if fraction <= 0:
        return list(train), []
    rng = np.random.default_rng(seed + 1000)
    return _stratified(list(train), [clip_label(ds.sequences[i]) for i in train], fraction, rng)


