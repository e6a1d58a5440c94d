"""The numpy ``resample_skeletons`` that prepared the shipped models' training data (to commit
3e32cb4): its algorithm, verbatim, is the test oracle for the compiled loops that replaced it.
Not used by the package."""

from __future__ import annotations

import numpy as np

from har_ros.resample import DEFAULT_MAX_GAP_S, time_grid
from har_ros.skeleton import NUM_JOINTS


def reference_resample_skeletons(skeletons: np.ndarray, stamps_s: np.ndarray, rate_hz: float,
                                 max_gap_s: float = DEFAULT_MAX_GAP_S,
                                 out_stamps_s: np.ndarray | None = None
                                 ) -> tuple[np.ndarray, np.ndarray]:
    """The numpy algorithm (input checks left to the package function)."""
    sk = np.asarray(skeletons, dtype=np.float32)
    st = np.asarray(stamps_s, dtype=np.float64)
    t_out = (time_grid(st[0], st[-1], rate_hz) if out_stamps_s is None
             else np.asarray(out_stamps_s, dtype=np.float64))
    t_count = sk.shape[0]
    present = (sk[..., 2] > 0) & np.isfinite(sk).all(axis=-1)  # (T, 18)
    frame = np.arange(t_count)[:, None]
    # per joint: index of the last present sample at or before each frame, first at or after
    last = np.maximum.accumulate(np.where(present, frame, -1), axis=0)
    first_after = np.minimum.accumulate(np.where(present, frame, t_count)[::-1], axis=0)[::-1]
    eps = 1e-6
    k = np.searchsorted(st, t_out + eps, side="right") - 1  # last input frame <= t
    left = np.where((k >= 0)[:, None], last[np.clip(k, 0, t_count - 1)], -1)  # (N, 18)
    right = np.where((k + 1 < t_count)[:, None],
                     first_after[np.clip(k + 1, 0, t_count - 1)], t_count)
    lc, rc = np.clip(left, 0, t_count - 1), np.clip(right, 0, t_count - 1)
    t_left, t_right = st[lc], st[rc]
    exact = (left >= 0) & (np.abs(t_out[:, None] - t_left) <= eps)
    interp = ((left >= 0) & ~exact & (right < t_count)
              & (t_right - t_left <= max_gap_s + eps))
    w = np.where(interp, (t_out[:, None] - t_left) / np.maximum(t_right - t_left, eps), 0.0)
    joints = np.arange(NUM_JOINTS)[None, :]
    v_left = sk[lc, joints].astype(np.float64)
    v_right = sk[rc, joints].astype(np.float64)
    val = np.where(interp[..., None], (1 - w)[..., None] * v_left + w[..., None] * v_right,
                   v_left)
    ok = exact | interp
    out = np.zeros((t_out.shape[0], NUM_JOINTS, 3), dtype=np.float32)
    out[ok] = val[ok]
    return out, t_out
