"""Penn Action (Zhang et al., ICCV 2013): ``labels/NNNN.mat`` -> COCO-18 sequences.

Each file holds ``action``, ``x``/``y`` (T x 13 pixels), ``visibility`` (T x 13), ``train``
(1 = official train split, -1 = test). Published joint columns: 0 head, 1/2 shoulders,
3/4 elbows, 5/6 wrists, 7/8 hips, 9/10 knees, 11/12 ankles. Measured on the data (see
``test/test_data_penn.py``): in front-view clips column 1 lies at image-left in ~96 % of the
visible frames and in back-view clips in ~21 %, i.e. **odd columns are the person's right**.

Mapping: head -> nose (the annotated head point is the closest COCO joint); neck = midpoint of
the shoulders (missing unless both are present); eyes and ears are missing. There are no
subject ids; ``subject`` is the official split (``train``/``test``), ``camera`` the view.
Frames are at 30 fps (YouTube clips; the files carry no rate).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from har_ros.data.common import SkeletonDataset, SkeletonSequence, uniform_stamps
from har_ros.errors import DataError
from har_ros.skeleton import (
    L_ANKLE,
    L_ELBOW,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    L_WRIST,
    NECK,
    NOSE,
    NUM_JOINTS,
    R_ANKLE,
    R_ELBOW,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    R_WRIST,
)

PENN_CLASSES: list[str] = [
    "baseball_pitch", "baseball_swing", "bench_press", "bowl", "clean_and_jerk", "golf_swing",
    "jump_rope", "jumping_jacks", "pullup", "pushup", "situp", "squat", "strum_guitar",
    "tennis_forehand", "tennis_serve",
]
PENN_FPS = 30.0
#: COCO-18 index of each Penn column (odd columns = person's right).
PENN_TO_COCO: tuple[int, ...] = (
    NOSE, R_SHOULDER, L_SHOULDER, R_ELBOW, L_ELBOW, R_WRIST, L_WRIST,
    R_HIP, L_HIP, R_KNEE, L_KNEE, R_ANKLE, L_ANKLE,
)


def penn_to_coco(x: np.ndarray, y: np.ndarray, visibility: np.ndarray | None,
                 invisible_as_missing: bool = False) -> np.ndarray:
    """(T, 13) pixel x, y (+ visibility) -> (T, 18, 3) float32 COCO-18 skeletons.

    Annotated joints get confidence 1; with ``invisible_as_missing`` joints whose visibility
    is 0 (occluded, position guessed by the annotator) become missing. Non-finite coordinates
    are always missing.
    """
    t = x.shape[0]
    sk = np.zeros((t, NUM_JOINTS, 3), dtype=np.float64)
    present = np.isfinite(x) & np.isfinite(y)
    if invisible_as_missing and visibility is not None:
        present &= visibility > 0
    cols = list(PENN_TO_COCO)
    sk[:, cols, 0] = np.where(present, x, 0.0)
    sk[:, cols, 1] = np.where(present, y, 0.0)
    sk[:, cols, 2] = present.astype(np.float64)
    both = (sk[:, R_SHOULDER, 2] > 0) & (sk[:, L_SHOULDER, 2] > 0)
    sk[both, NECK, :2] = 0.5 * (sk[both, R_SHOULDER, :2] + sk[both, L_SHOULDER, :2])
    sk[both, NECK, 2] = 1.0
    return sk.astype(np.float32)


def load_penn_clip(path: Path, invisible_as_missing: bool = False) -> tuple[SkeletonSequence, bool]:
    """One ``.mat`` -> (sequence, is_official_train). Raises DataError on a malformed file."""
    import scipy.io

    try:
        m = scipy.io.loadmat(str(path))
        action = str(np.asarray(m["action"]).ravel()[0])
        x, y = np.asarray(m["x"], float), np.asarray(m["y"], float)
        vis = np.asarray(m["visibility"], float)
        train = int(np.asarray(m["train"]).ravel()[0]) == 1
        view = str(np.asarray(m["pose"]).ravel()[0]) if "pose" in m else "unknown"
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - scipy raises many types for broken files
        raise DataError(f"{path}: not a Penn Action label file ({exc})") from exc
    if x.ndim != 2 or x.shape[1] != 13 or y.shape != x.shape or vis.shape != x.shape:
        raise DataError(f"{path}: x, y, visibility must be T x 13, got {x.shape}, {y.shape}")
    if action not in PENN_CLASSES:
        raise DataError(f"{path}: unknown action {action!r}")
    sk = penn_to_coco(x, y, vis, invisible_as_missing)
    seq = SkeletonSequence(sk, uniform_stamps(sk.shape[0], PENN_FPS), PENN_CLASSES.index(action),
                           subject="train" if train else "test", camera=view, clip_id=path.stem)
    return seq, train


def load_penn_action(root: str | Path, split: str = "all", invisible_as_missing: bool = False,
                     limit: int | None = None) -> SkeletonDataset:
    """Load ``root/*.mat`` (``root`` = ``.../penn_action/labels`` or its parent).

    ``split``: ``all``, ``train`` or ``test`` (official split); ``limit`` keeps the first N files
    (sorted) for quick runs.
    """
    root = Path(root)
    if (root / "labels").is_dir():
        root = root / "labels"
    files = sorted(root.glob("*.mat"))
    if not files:
        raise DataError(f"{root}: no Penn Action .mat files")
    if split not in ("all", "train", "test"):
        raise DataError(f"unknown Penn split {split!r}; use all, train or test")
    seqs = []
    for path in files[:limit]:
        seq, is_train = load_penn_clip(path, invisible_as_missing)
        if split == "all" or (split == "train") == is_train:
            seqs.append(seq)
    return SkeletonDataset("penn_action", list(PENN_CLASSES), PENN_FPS, seqs)
