"""Training data: sequences -> resampled sliding windows, epoch sampling, joint selection,
feature standardisation statistics and mirrored labels."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from har_ros.augment import speed_variants
from har_ros.data.common import SkeletonSequence
from har_ros.errors import DataError
from har_ros.features import FeatureConfig
from har_ros.resample import DEFAULT_MAX_GAP_S, resample_sequence, sliding_windows
from har_ros.skeleton import JOINT_NAMES, NUM_JOINTS, joint_mask, keep_joints

#: A joint present in fewer training frames than this is left out of the model (marked
#: missing in training and at run time): its input weights would be untrained noise.
MIN_JOINT_PRESENCE = 0.01


def segments(seq: SkeletonSequence) -> list[SkeletonSequence]:
    """Split a per-frame-labelled sequence into constant-label clips (unlabelled dropped)."""
    if isinstance(seq.label, int):
        return [seq]
    lab = seq.label
    cuts = np.flatnonzero(np.diff(lab)) + 1
    out = []
    for k, (a, b) in enumerate(zip(np.r_[0, cuts], np.r_[cuts, lab.size])):
        if lab[a] >= 0:
            out.append(SkeletonSequence(seq.skeletons[a:b], seq.stamps_s[a:b], int(lab[a]),
                                        seq.subject, seq.camera, f"{seq.clip_id}#{k}"))
    return out


@dataclass
class WindowIndex:
    """Windows stored as start offsets into one frame array (saves memory).

    ``frames`` (M, 18, 3) pixels at the model rate; window i is
    ``frames[starts[i] : starts[i] + window_frames]`` with label ``labels[i]``, belonging to
    clip ``clips[i]`` (index into the sequence list) and group ``groups[i]`` (clip x speed).
    """

    frames: np.ndarray
    starts: np.ndarray
    labels: np.ndarray
    clips: np.ndarray
    groups: np.ndarray
    window_frames: int
    #: (N,) camera-azimuth bin of each window (har_ros/view_bins.py), or None when unknown.
    views: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.starts.shape[0])

    def gather(self, idx: np.ndarray) -> np.ndarray:
        """(len(idx), window_frames, 18, 3) windows."""
        return self.frames[self.starts[idx][:, None] + np.arange(self.window_frames)[None, :]]


def build_windows(seqs: list[SkeletonSequence], rate_hz: float, window_frames: int,
                  stride_frames: int, speeds: tuple[float, ...] = (1.0,),
                  max_gap_s: float = DEFAULT_MAX_GAP_S) -> WindowIndex:
    """Resample each sequence (at each playback speed) and index its sliding windows.

    A window's label is the label of its last frame (what the person does "now"); windows
    ending on an unlabelled frame (-1) are skipped. Short clips are padded at the front.
    """
    frames, starts, labels, clips, groups = [], [], [], [], []
    offset, group = 0, 0
    for ci, seq in enumerate(seqs):
        for var in speed_variants(seq, speeds):
            r = resample_sequence(var, rate_hz, max_gap_s)
            sk = r.skeletons
            pad = max(0, window_frames - sk.shape[0])
            if pad:
                sk = np.concatenate([np.repeat(sk[:1], pad, axis=0), sk])
            _, ends = sliding_windows(sk, window_frames, stride_frames)
            if isinstance(r.label, int):
                lab = np.full(ends.shape, r.label)
            else:
                lab_full = np.concatenate([np.full(pad, r.label[0]), r.label])
                lab = lab_full[ends]
            keep = lab >= 0
            frames.append(sk)
            starts.append(offset + ends[keep] - window_frames + 1)
            labels.append(lab[keep])
            clips.append(np.full(keep.sum(), ci))
            groups.append(np.full(keep.sum(), group))
            offset += sk.shape[0]
            group += 1
    if not frames:
        raise DataError("no sequences to cut into windows")
    cat = np.concatenate
    return WindowIndex(cat(frames).astype(np.float32), cat(starts).astype(np.int64),
                       cat(labels).astype(np.int64), cat(clips).astype(np.int64),
                       cat(groups).astype(np.int64), window_frames)


def short_clips(seqs: list[SkeletonSequence], rate_hz: float, window_frames: int,
                max_gap_s: float = DEFAULT_MAX_GAP_S, by_segment: bool = False) -> int:
    """How many of ``seqs`` (with ``by_segment``, of their constant-label clips, as evaluation
    cuts them) are shorter than one window at ``rate_hz``: :func:`build_windows` pads them at
    the front by repeating their first frame, so each gives one window."""
    clips = [c for s in seqs for c in segments(s)] if by_segment else seqs
    return sum(resample_sequence(c, rate_hz, max_gap_s).num_frames < window_frames
               for c in clips)


def epoch_sample(wi: WindowIndex, cap: int, rng: np.random.Generator) -> np.ndarray:
    """Shuffled window indices with at most ``cap`` random windows per group (clip x speed)."""
    keys = rng.random(len(wi))
    order = np.lexsort((keys, wi.groups))
    g = wi.groups[order]
    first = np.r_[0, np.flatnonzero(np.diff(g)) + 1]
    rank = np.arange(len(g)) - np.repeat(first, np.diff(np.r_[first, len(g)]))
    chosen = order[rank < cap] if cap > 0 else order
    return rng.permutation(chosen)


def feature_stats(feats: np.ndarray, fcfg: FeatureConfig) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean/std over (N, T, F) training features.

    Mask channels and near-constant channels (std < 0.05) keep mean 0 / std 1 and mean / std 1
    respectively, so a joint that was always present in training but goes missing live does
    not explode the standardised input.
    """
    f = feats.reshape(-1, feats.shape[-1]).astype(np.float64)
    if not fcfg.standardise:
        return np.zeros(f.shape[1]), np.ones(f.shape[1])
    mean, std = f.mean(axis=0), f.std(axis=0)
    std = np.where(std < 0.05, 1.0, std)
    if fcfg.masks:
        m0 = 2 * NUM_JOINTS
        mean[m0:m0 + NUM_JOINTS], std[m0:m0 + NUM_JOINTS] = 0.0, 1.0
    return mean, std


def trained_joints(seqs: list[SkeletonSequence], min_presence: float = MIN_JOINT_PRESENCE
                   ) -> tuple[str, ...]:
    """Names of the joints present (confidence > 0) in at least ``min_presence`` of the
    frames of ``seqs``, in COCO-18 order."""
    frames = sum(len(s.skeletons) for s in seqs)
    present = sum((s.skeletons[..., 2] > 0).sum(axis=0) for s in seqs)
    frac = np.asarray(present, dtype=np.float64) / max(frames, 1)
    return tuple(name for name, f in zip(JOINT_NAMES, frac, strict=True) if f >= min_presence)


def only_joints(seqs: list[SkeletonSequence], joints: tuple[str, ...]
                ) -> list[SkeletonSequence]:
    """``seqs`` with the joints not in ``joints`` marked missing."""
    keep = joint_mask(joints)
    if keep.all():
        return seqs
    return [replace(s, skeletons=keep_joints(s.skeletons, keep)) for s in seqs]


def mirror_labels(labels: np.ndarray, flags: np.ndarray, swap: np.ndarray) -> np.ndarray:
    """Labels of a batch after mirroring the windows where ``flags`` is set."""
    return np.where(flags, swap[labels], labels)
