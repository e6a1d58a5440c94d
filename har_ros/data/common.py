"""The in-memory form every dataset loader returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from har_ros.errors import DataError
from har_ros.skeleton import NUM_JOINTS


@dataclass
class SkeletonSequence:
    """One clip or recording of one person.

    ``skeletons``: (T, 18, 3) float32, COCO-18 order, x/y in pixels, confidence in [0, 1];
    a missing joint has confidence 0 and x = y = 0.
    ``stamps_s``: (T,) float64 seconds, strictly increasing (frame times).
    ``label``: class index (int) of the whole clip, or (T,) int per-frame class indices
    (-1 = unlabelled frame).
    ``points3d``: optional (T, 18, 3) float32 joints in metres (NaN = missing) in the body
    frame of :mod:`har_ros.viewpoint`, for datasets recorded in 3D; training renders them
    through virtual cameras when its config asks for it.
    """

    skeletons: np.ndarray
    stamps_s: np.ndarray
    label: int | np.ndarray
    subject: str = "unknown"
    camera: str = "unknown"
    clip_id: str = ""
    points3d: np.ndarray | None = None

    def __post_init__(self) -> None:
        sk = np.asarray(self.skeletons, dtype=np.float32)
        st = np.asarray(self.stamps_s, dtype=np.float64)
        if sk.ndim != 3 or sk.shape[1:] != (NUM_JOINTS, 3):
            raise DataError(f"{self.clip_id}: skeletons must be (T, 18, 3), got {sk.shape}")
        if st.shape != (sk.shape[0],):
            raise DataError(f"{self.clip_id}: stamps_s must be ({sk.shape[0]},), got {st.shape}")
        if st.size > 1 and not np.all(np.diff(st) > 0):
            raise DataError(f"{self.clip_id}: stamps_s must be strictly increasing")
        if not isinstance(self.label, (int, np.integer)):
            lab = np.asarray(self.label, dtype=np.int64)
            if lab.shape != (sk.shape[0],):
                raise DataError(f"{self.clip_id}: per-frame labels must be ({sk.shape[0]},)")
            self.label = lab
        else:
            self.label = int(self.label)
        if self.points3d is not None:
            p3 = np.asarray(self.points3d, dtype=np.float32)
            if p3.shape != sk.shape:
                raise DataError(f"{self.clip_id}: points3d must be {sk.shape}, got {p3.shape}")
            self.points3d = p3
        self.skeletons, self.stamps_s = sk, st

    @property
    def num_frames(self) -> int:
        """Number of frames T."""
        return int(self.skeletons.shape[0])

    @property
    def duration_s(self) -> float:
        """Time from the first to the last frame, seconds."""
        return float(self.stamps_s[-1] - self.stamps_s[0]) if self.num_frames else 0.0


@dataclass
class SkeletonDataset:
    """A list of sequences plus the class names (index = label) and nominal frame rate (Hz)."""

    name: str
    classes: list[str]
    fps: float
    sequences: list[SkeletonSequence] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sequences)

    def subjects(self) -> list[str]:
        """Sorted distinct subject ids."""
        return sorted({s.subject for s in self.sequences})

    def subset(self, indices) -> SkeletonDataset:
        """A dataset with the sequences at ``indices`` (same classes and fps)."""
        return SkeletonDataset(self.name, list(self.classes), self.fps,
                               [self.sequences[i] for i in indices])

    def summary(self) -> dict:
        """Counts for the checkpoint's training-data summary (JSON-serialisable)."""
        return {
            "name": self.name,
            "sequences": len(self.sequences),
            "frames": int(sum(s.num_frames for s in self.sequences)),
            "subjects": self.subjects(),
            "fps": self.fps,
            "classes": list(self.classes),
        }


def mark_missing(skeletons: np.ndarray) -> np.ndarray:
    """Enforce the missing-joint convention in place: non-finite or conf <= 0 -> (0, 0, 0)."""
    bad = ~np.isfinite(skeletons).all(axis=-1) | (skeletons[..., 2] <= 0)
    skeletons[bad] = 0.0
    return skeletons


def uniform_stamps(n: int, fps: float) -> np.ndarray:
    """(n,) frame times in seconds for a constant frame rate ``fps`` (Hz), starting at 0."""
    if fps <= 0:
        raise DataError(f"frame rate must be > 0 Hz, got {fps}")
    return np.arange(n, dtype=np.float64) / float(fps)
