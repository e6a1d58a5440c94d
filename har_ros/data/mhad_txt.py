"""The predecessor project's MHAD-derived window files: ``X_<split>.txt`` and ``Y_<split>.txt``.

``X``: one frame per line, 36 comma-separated floats ``x0,y0,...,x17,y17`` (OpenPose COCO-18
pixels; 0,0 = joint not detected); ``n_steps`` consecutive lines form one window.
``Y``: one line per window, the 1-based class index. The files carry no subject ids and the
windows overlap, so only a random split is possible: numbers on it do not measure
generalisation to new people.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from har_ros.data.common import SkeletonDataset, SkeletonSequence, uniform_stamps
from har_ros.data.textio import read_float_rows, xy_rows_to_skeletons
from har_ros.errors import DataError

MHAD_CLASSES: list[str] = [
    "JUMPING", "JUMPING_JACKS", "BOXING", "WAVING_2HANDS", "WAVING_1HAND", "CLAPPING_HANDS",
]
#: Approximate frame rate of the predecessor project's OpenPose output on Berkeley MHAD (Hz).
MHAD_TXT_FPS = 22.0


def read_window_labels(path: Path, num_classes: int) -> np.ndarray:
    """Read a ``Y_*.txt``: one 1-based class per line -> (N,) int64 0-based.

    Raises DataError naming the file and line for a non-integer or out-of-range label.
    """
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    labels: list[int] = []
    with path.open("r", encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            text = line.strip()
            if not text:
                continue
            try:
                value = float(text)
            except ValueError:
                raise DataError(f"{path}:{lineno}: label {text!r} is not a class number") from None
            if value != int(value) or not 1 <= int(value) <= num_classes:
                raise DataError(f"{path}:{lineno}: unknown label {text!r} "
                                f"(expected 1..{num_classes})")
            labels.append(int(value) - 1)
    return np.asarray(labels, dtype=np.int64)


def load_mhad_txt_pair(x_path: str | Path, y_path: str | Path, n_steps: int = 32,
                       fps: float = MHAD_TXT_FPS,
                       classes: list[str] | None = None) -> SkeletonDataset:
    """Load one X/Y file pair; each window becomes a sequence of ``n_steps`` frames at ``fps``."""
    x_path, y_path = Path(x_path), Path(y_path)
    classes = list(classes or MHAD_CLASSES)
    rows = read_float_rows(x_path, 36)
    if rows.shape[0] % n_steps:
        raise DataError(f"{x_path}: {rows.shape[0]} frame lines is not a multiple of "
                        f"n_steps={n_steps}")
    labels = read_window_labels(y_path, len(classes))
    n_windows = rows.shape[0] // n_steps
    if labels.shape[0] != n_windows:
        raise DataError(f"{y_path}: {labels.shape[0]} labels for {n_windows} windows in {x_path}")
    sk = xy_rows_to_skeletons(rows).reshape(n_windows, n_steps, 18, 3)
    stamps = uniform_stamps(n_steps, fps)
    seqs = [
        SkeletonSequence(sk[i], stamps, int(labels[i]), clip_id=f"{x_path.name}:{i * n_steps + 1}")
        for i in range(n_windows)
    ]
    return SkeletonDataset("mhad_txt", classes, fps, seqs)


def load_mhad_txt(root: str | Path, split: str = "train", n_steps: int = 32,
                  fps: float = MHAD_TXT_FPS) -> SkeletonDataset:
    """Load ``root/X_<split>.txt`` and ``root/Y_<split>.txt``."""
    root = Path(root)
    return load_mhad_txt_pair(root / f"X_{split}.txt", root / f"Y_{split}.txt", n_steps, fps)
