"""Camera-azimuth bins: which side of the person a rendered training window was seen from.

A model with ``view_bins`` K > 1 (:class:`har_ros.model.ModelConfig`) scores every (bin, class)
pair and serves the class marginal. Training labels each window rendered through a virtual
camera (har_ros/viewpoint.py) with the bin of that camera's azimuth: K bins of 360/K degrees
centred on azimuth 0 (in front of the person), so with K = 4 the bins are front, right side,
back, left side. Windows with no known camera (2D datasets, own recordings) have bin -1 and
are trained on the class alone (the sum over bins).

Mirroring a window (left and right swapped, x flipped) turns azimuth a into -a, so bin b
into bin -b (mod K): bins are symmetric about azimuth 0 for that reason.
"""

from __future__ import annotations

import numpy as np

#: Bin of a window whose camera is not known.
UNKNOWN_BIN = -1


def azimuth_bins(azimuth_deg: np.ndarray, bins: int) -> np.ndarray:
    """(N,) azimuths in degrees (NaN = unknown) -> (N,) int64 bin indices in [0, bins), or
    UNKNOWN_BIN. Bin k is centred on k * 360 / bins degrees."""
    az = np.asarray(azimuth_deg, dtype=np.float64)
    known = np.isfinite(az)
    width = 360.0 / bins
    k = np.floor(np.where(known, az, 0.0) / width + 0.5).astype(np.int64) % bins
    return np.where(known, k, UNKNOWN_BIN)


def mirrored_bins(view: np.ndarray, flags: np.ndarray, bins: int) -> np.ndarray:
    """Bins after mirroring the windows where ``flags`` is set (b -> -b mod ``bins``;
    UNKNOWN_BIN stays)."""
    view = np.asarray(view, dtype=np.int64)
    flip = np.asarray(flags, bool) & (view >= 0)
    return np.where(flip, (-view) % bins, view)
