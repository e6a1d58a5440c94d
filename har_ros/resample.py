"""Put skeleton sequences on the model's time base, and cut them into windows.

Datasets and live pose nodes deliver frames at different rates (Penn/UTD ~30 fps, the
predecessor project's MHAD ~22 fps, a CPU pose node 5-15 fps, with jitter and drops). The
model sees a fixed rate ``rate_hz``; windows are defined in seconds and converted to frames at
that rate.

Interpolation is per joint and linear between two *present* samples of that joint that are at
most ``max_gap_s`` apart; anything else (a longer gap, before the first or after the last
sample) stays missing (confidence 0, x = y = 0). The per-joint search runs as compiled loops
(``har_ros.jit``), for training's datasets and the live node's windows alike;
``test/resample_reference.py`` keeps the numpy version it replaced as a test oracle.
"""

from __future__ import annotations

import numpy as np

from har_ros.data.common import SkeletonSequence
from har_ros.errors import ConfigError, DataError
from har_ros.jit import njit
from har_ros.skeleton import NUM_JOINTS

#: Default longest gap (seconds) bridged by interpolation: a 5 fps stream (0.2 s) still works.
DEFAULT_MAX_GAP_S = 0.3


def frames_for(duration_s: float, rate_hz: float) -> int:
    """Number of frames covering ``duration_s`` seconds at ``rate_hz`` (at least 1)."""
    if duration_s <= 0 or rate_hz <= 0:
        raise ConfigError(f"window length and rate must be > 0 (got {duration_s} s, {rate_hz} Hz)")
    return max(1, int(round(duration_s * rate_hz)))


def time_grid(t_start: float, t_end: float, rate_hz: float) -> np.ndarray:
    """Times t_start, t_start + 1/rate, ... <= t_end (seconds, float64)."""
    n = int(np.floor((t_end - t_start) * rate_hz + 1e-6)) + 1
    return t_start + np.arange(max(n, 1), dtype=np.float64) / rate_hz


def resample_skeletons(skeletons: np.ndarray, stamps_s: np.ndarray, rate_hz: float,
                       max_gap_s: float = DEFAULT_MAX_GAP_S,
                       out_stamps_s: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Resample (T, 18, 3) skeletons with frame times ``stamps_s`` (s) onto ``rate_hz``.

    Returns (skeletons (N, 18, 3) float32, stamps (N,) float64). The output grid starts at the
    first input stamp unless ``out_stamps_s`` is given. A joint is interpolated (x, y and
    confidence) between its two nearest present samples when they are <= ``max_gap_s`` apart,
    copied when an output time coincides with a present sample, and missing otherwise.
    """
    sk = np.ascontiguousarray(skeletons, dtype=np.float32)
    st = np.ascontiguousarray(stamps_s, dtype=np.float64)
    if sk.ndim != 3 or sk.shape[1:] != (NUM_JOINTS, 3) or st.shape != (sk.shape[0],):
        raise DataError(f"resample needs (T, 18, 3) skeletons and (T,) stamps, got {sk.shape}, "
                        f"{st.shape}")
    if sk.shape[0] == 0:
        raise DataError("resample needs at least one frame")
    if rate_hz <= 0:
        raise ConfigError(f"rate_hz must be > 0, got {rate_hz}")
    t_out = time_grid(st[0], st[-1], rate_hz) if out_stamps_s is None else (
        np.ascontiguousarray(out_stamps_s, dtype=np.float64).reshape(-1))
    out = np.zeros((t_out.shape[0], NUM_JOINTS, 3), dtype=np.float32)
    _resample(sk, st, t_out, float(max_gap_s), out)
    return out, t_out


@njit(nogil=True, error_model="numpy")
def _resample(sk, st, t_out, max_gap_s, out) -> None:
    """Fill ``out`` (N, 18, 3), zeroed, from ``sk`` (T, 18, 3) at ``st`` (T,) s, at ``t_out``."""
    t_count, n_joints = sk.shape[0], sk.shape[1]
    eps = 1e-6
    present = np.empty((t_count, n_joints), np.bool_)
    for t in range(t_count):
        for j in range(n_joints):
            present[t, j] = (sk[t, j, 2] > 0 and np.isfinite(sk[t, j, 0])
                             and np.isfinite(sk[t, j, 1]) and np.isfinite(sk[t, j, 2]))
    # per joint: the last present sample at or before each frame, the first at or after it
    last = np.empty((t_count, n_joints), np.int64)
    first_after = np.empty((t_count, n_joints), np.int64)
    for j in range(n_joints):
        seen = -1
        for t in range(t_count):
            if present[t, j]:
                seen = t
            last[t, j] = seen
        seen = t_count
        for t in range(t_count - 1, -1, -1):
            if present[t, j]:
                seen = t
            first_after[t, j] = seen
    for i in range(t_out.shape[0]):
        t = t_out[i]
        k = np.searchsorted(st, t + eps, side="right") - 1  # last input frame <= t
        for j in range(n_joints):
            left = last[k, j] if k >= 0 else -1
            if left < 0:
                continue
            right = first_after[k + 1, j] if k + 1 < t_count else t_count
            t_left = st[left]
            if abs(t - t_left) <= eps:  # an input sample at this time
                for c in range(3):
                    out[i, j, c] = sk[left, j, c]
            elif right < t_count and st[right] - t_left <= max_gap_s + eps:
                w = (t - t_left) / max(st[right] - t_left, eps)
                for c in range(3):
                    out[i, j, c] = (1 - w) * np.float64(sk[left, j, c]) + w * np.float64(
                        sk[right, j, c])


def labels_at(labels: np.ndarray, stamps_s: np.ndarray, t_out: np.ndarray) -> np.ndarray:
    """Per-frame labels at times ``t_out``: the label of the last input frame at or before t."""
    k = np.searchsorted(stamps_s, np.asarray(t_out) + 1e-6, side="right") - 1
    return np.asarray(labels)[np.clip(k, 0, len(labels) - 1)]


def resample_sequence(seq: SkeletonSequence, rate_hz: float,
                      max_gap_s: float = DEFAULT_MAX_GAP_S) -> SkeletonSequence:
    """A copy of ``seq`` on a ``rate_hz`` grid (per-frame labels follow the last input frame)."""
    sk, t = resample_skeletons(seq.skeletons, seq.stamps_s, rate_hz, max_gap_s)
    label = seq.label if isinstance(seq.label, int) else labels_at(seq.label, seq.stamps_s, t)
    return SkeletonSequence(sk, t, label, seq.subject, seq.camera, seq.clip_id)


def subsample(seq: SkeletonSequence, fps: float) -> SkeletonSequence:
    """Simulate a slower source: keep the input frames nearest to a ``fps`` grid (no blending).

    Used to evaluate how a model copes when its input arrives at e.g. 10 or 5 fps; the result
    is then resampled to the model rate like any live stream.
    """
    grid = time_grid(seq.stamps_s[0], seq.stamps_s[-1], fps)
    st = seq.stamps_s
    right = np.clip(np.searchsorted(st, grid), 0, seq.num_frames - 1)
    left = np.clip(right - 1, 0, seq.num_frames - 1)
    idx = np.unique(np.where(np.abs(st[left] - grid) <= np.abs(st[right] - grid), left, right))
    label = seq.label if isinstance(seq.label, int) else seq.label[idx]
    return SkeletonSequence(seq.skeletons[idx], seq.stamps_s[idx], label, seq.subject,
                            seq.camera, seq.clip_id)


def sliding_windows(skeletons: np.ndarray, window_frames: int, stride_frames: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Cut (T, 18, 3) into windows (N, window_frames, 18, 3) every ``stride_frames`` frames.

    Returns (windows, end_index) where end_index (N,) is the index of each window's last frame.
    A sequence shorter than a window yields one window padded at the start by repeating its
    first frame (as if the person had stood still before). The last window always ends at the
    last frame.
    """
    if window_frames < 1 or stride_frames < 1:
        raise ConfigError("window_frames and stride_frames must be >= 1")
    t = skeletons.shape[0]
    if t < window_frames:
        pad = np.repeat(skeletons[:1], window_frames - t, axis=0)
        return np.concatenate([pad, skeletons])[None], np.array([t - 1])
    ends = np.arange(window_frames - 1, t, stride_frames)
    if ends[-1] != t - 1:
        ends = np.append(ends, t - 1)
    idx = ends[:, None] - np.arange(window_frames - 1, -1, -1)[None, :]
    return skeletons[idx], ends
