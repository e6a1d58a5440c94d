"""Strict parsing of comma-separated numeric rows with file:line error messages."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from har_ros.errors import DataError


def read_float_rows(path: Path, width: int | tuple[int, ...], allow_header: bool = False
                    ) -> np.ndarray:
    """Read a CSV of floats; every non-empty row must have ``width`` values (or one of them).

    Returns (N, width) float64; "nan" parses to NaN (the caller decides what it means).
    A first row that is not numeric is skipped as a header when ``allow_header``.
    Raises DataError naming the file and 1-based line of the first malformed row.
    """
    widths = (width,) if isinstance(width, int) else tuple(width)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    rows: list[list[float]] = []
    with path.open("r", encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            text = line.strip()
            if not text:
                continue
            parts = [p.strip() for p in text.replace(";", ",").split(",")]
            if len(parts) == 1:
                parts = text.split()
            try:
                vals = [float(p) for p in parts]
            except ValueError:
                if allow_header and not rows and lineno == 1:
                    continue
                raise DataError(f"{path}:{lineno}: not a row of numbers: {text[:60]!r}") from None
            if len(vals) not in widths:
                raise DataError(
                    f"{path}:{lineno}: expected {' or '.join(map(str, widths))} values, "
                    f"got {len(vals)}")
            if any(math.isinf(v) for v in vals):
                raise DataError(f"{path}:{lineno}: infinite value")
            if rows and len(vals) != len(rows[0]):
                raise DataError(f"{path}:{lineno}: row width {len(vals)} differs from the first "
                                f"row's {len(rows[0])}")
            rows.append(vals)
    if not rows:
        raise DataError(f"{path}: no data rows")
    return np.asarray(rows, dtype=np.float64)


def xy_rows_to_skeletons(rows: np.ndarray) -> np.ndarray:
    """(T, 36) x0,y0..x17,y17 or (T, 54) x,y,c triples in pixels -> (T, 18, 3) float32.

    For 36-value rows the confidence is 1 where the joint is given and 0 where x = y = 0
    (OpenPose's "not detected") or a value is NaN; missing joints become (0, 0, 0).
    """
    t = rows.shape[0]
    if rows.shape[1] == 36:
        xy = rows.reshape(t, 18, 2)
        conf = np.ones((t, 18, 1))
        sk = np.concatenate([xy, conf], axis=-1)
        sk[(xy[..., 0] == 0) & (xy[..., 1] == 0)] = 0.0
    else:
        sk = rows.reshape(t, 18, 3).copy()
    bad = ~np.isfinite(sk).all(axis=-1) | (sk[..., 2] <= 0)
    sk[bad] = 0.0
    return sk.astype(np.float32)
