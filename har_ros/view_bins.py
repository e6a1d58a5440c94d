"""Camera-azimuth bins: which side of the person a rendered training window was seen from.

A model with ``view_bins`` K > 1 (:class:`har_ros.model.ModelConfig`) scores every (bin, class)
pair and serves the class marginal. Training labels each window rendered through a virtual
camera (har_ros/viewpoint.py) with the bin of that camera's azimuth: K bins of 360/K degrees
centred on azimuth 0 (in front of the person), so with K = 4 the bins are front, right side,
back, left side. Windows with no known camera (2D datasets, own recordings) have bin -1 and
are trained on the class alone (the sum over bins).

Bins are symmetric about azimuth 0, so that mirroring a window (left and right swapped, x
flipped), which turns azimuth a into -a, maps bins onto bins: with the "centred" layout bin b
becomes -b (mod K). The "split" layout puts bin edges at the front and the back instead (bin k
covers [k, k + 1) x 360/K degrees), so with K = 2 the bins are the person's right and left
side and a window seen from the front or the back sits on an edge; mirroring turns bin b
into K - 1 - b.
"""

from __future__ import annotations

import numpy as np

#: Bin of a window whose camera is not known.
UNKNOWN_BIN = -1
#: Ways to cut the circle into bins (see the module docstring).
VIEW_BIN_LAYOUTS = ("centred", "split")


def azimuth_bins(azimuth_deg: np.ndarray, bins: int, layout: str = "centred") -> np.ndarray:
    """(N,) azimuths in degrees (NaN = unknown) -> (N,) int64 bin indices in [0, bins), or
    UNKNOWN_BIN. "centred": bin k is centred on k * 360 / bins degrees; "split": it starts
    there."""
    az = np.asarray(azimuth_deg, dtype=np.float64)
    known = np.isfinite(az)
    shift = 0.5 if layout == "centred" else 0.0
    k = np.floor(np.where(known, az, 0.0) * bins / 360.0 + shift).astype(np.int64) % bins
    return np.where(known, k, UNKNOWN_BIN)


def mirrored_bins(view: np.ndarray, flags: np.ndarray, bins: int, layout: str = "centred"
                  ) -> np.ndarray:
    """Bins after mirroring the windows where ``flags`` is set (azimuth a -> -a; UNKNOWN_BIN
    stays)."""
    view = np.asarray(view, dtype=np.int64)
    flip = np.asarray(flags, bool) & (view >= 0)
    other = (-view) % bins if layout == "centred" else bins - 1 - view
    return np.where(flip, other, view)
