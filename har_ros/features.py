"""Per-frame model inputs from skeleton windows; shared by training, evaluation and the live node.

Input: windows (B, T, 18, 3) in pixels (COCO-18; confidence 0 and x = y = 0 = missing joint),
T frames at the model rate. Output: (B, T, F) float32. Per frame, in this order:

* ``coords`` (36): x, y of each joint. Normalised (default): relative to the body origin of
  that frame (neck; when the neck is missing, the hip midpoint shifted by the window's median
  hip->neck vector) and divided by the window's robust torso length (median over frames of
  |neck - hip midpoint|; fallbacks: 1.4 x median shoulder width, then a third of the window's
  joint-extent height, then 1; with ``scale_shoulders`` the larger of torso and 1.4 x shoulder
  width). Missing joints are 0 and never enter origin or scale.
  Raw (``normalise=False``, the predecessor project): pixels as given.
Smoothing (``smooth_passes`` k, default 0): before anything else, each joint's pixel track is
filtered k times with the kernel [1/4, 1/2, 1/4] over frames t-1, t, t+1 where the joint is
present in all three; the window's first and last frames stay as detected (so nothing waits for
a future frame). The pose estimator's frame-to-frame jitter on small people is mostly at the
highest frequencies the model rate carries, where a person's own motion has little energy.

* ``masks`` (18, optional): 1 where the joint is present, 0 where missing.
* ``velocities`` (36, optional): coords(t) - coords(t-1) per model frame where the joint is
  present in both frames, else 0 (0 at t = 0).
* ``root_motion`` (2, optional, normalised only): body origin relative to the origin at the
  window's last frame, in torso lengths (keeps walking/jumping displacement that centring
  removes); x then y, or only y with ``root_motion_horizontal: false``.

The loops are compiled with numba (``har_ros.jit``; cached on disk): one window costs
about 10 us, so the live node's batch-1 path and training's batches of thousands share this
one implementation. ``test/feature_reference.py`` keeps the numpy version that trained the
shipped models; a test checks the two agree on real and adversarial windows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np

from har_ros.errors import ConfigError
from har_ros.jit import njit
from har_ros.skeleton import L_HIP, L_SHOULDER, NECK, NUM_JOINTS, R_HIP, R_SHOULDER

#: Most passes of the temporal filter a config may ask for.
MAX_SMOOTH = 8


@dataclass(frozen=True)
class FeatureConfig:
    """Which channels ``window_features`` produces; stored in every checkpoint."""

    normalise: bool = True
    masks: bool = True
    velocities: bool = True
    root_motion: bool = True
    #: Include the horizontal root-motion channel (off: vertical only, so walking across the
    #: image looks like walking on the spot; bending, sitting and jumping still show).
    root_motion_horizontal: bool = True
    #: Standardise each channel with the training set's mean/std (stats live in the checkpoint).
    standardise: bool = True
    #: Window scale = the larger of the torso and 1.4 x the shoulder width (off: the torso
    #: alone). A camera looking down shortens the torso in the image and one from the side
    #: the shoulders; the larger of the two stays near the body's size from any viewpoint.
    scale_shoulders: bool = False
    #: Passes of the [1/4, 1/2, 1/4] temporal filter over each joint's pixel track (0 = off;
    #: see the module doc): damps detector jitter that velocities would otherwise amplify.
    smooth_passes: int = 0

    @property
    def num_features(self) -> int:
        """Channels per frame F."""
        n = 2 * NUM_JOINTS
        n += NUM_JOINTS if self.masks else 0
        n += 2 * NUM_JOINTS if self.velocities else 0
        if self.root_motion and self.normalise:
            n += 2 if self.root_motion_horizontal else 1
        return n

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FeatureConfig:
        """Inverse of ``to_dict``; unknown keys or non-bool values raise ConfigError."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown feature option(s): {', '.join(sorted(unknown))}")
        for k, v in data.items():
            if k == "smooth_passes":
                if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_SMOOTH:
                    raise ConfigError(f"feature option smooth_passes must be an integer in "
                                      f"[0, {MAX_SMOOTH}], got {v!r}")
            elif not isinstance(v, bool):
                raise ConfigError(f"feature option {k} must be true/false, got {v!r}")
        return cls(**data)

    @classmethod
    def predecessor(cls) -> FeatureConfig:
        """The predecessor project's input: raw pixel coordinates, nothing else, no
        standardisation."""
        return cls(normalise=False, masks=False, velocities=False, root_motion=False,
                   root_motion_horizontal=False, standardise=False)


def channel_joints(config: FeatureConfig) -> np.ndarray:
    """(F,) int: the joint (0..17) each channel of ``config`` is computed from, -1 for root
    motion. A joint that is missing makes all its channels exactly 0."""
    j = np.arange(NUM_JOINTS)
    parts = [np.repeat(j, 2)]
    if config.masks:
        parts.append(j)
    if config.velocities:
        parts.append(np.repeat(j, 2))
    parts.append(np.full(config.num_features - 2 * NUM_JOINTS * (1 + config.velocities)
                         - NUM_JOINTS * config.masks, -1))
    return np.concatenate(parts).astype(np.int64)


ALL_JOINTS = np.ones(NUM_JOINTS, bool)


def window_features(windows: np.ndarray, config: FeatureConfig | None = None,
                    joints: np.ndarray | None = None) -> np.ndarray:
    """(B, T, 18, 3) pixel windows -> (B, T, F) float32 features (see the module doc).

    ``joints`` (18,) bool: joints to use; the others count as missing (a model's
    ``joint_mask``). Does not standardise (the model applies the checkpoint's stats).
    """
    cfg = config or FeatureConfig()
    w = np.ascontiguousarray(windows, dtype=np.float32)
    if w.ndim != 4 or w.shape[2:] != (NUM_JOINTS, 3):
        raise ConfigError(f"windows must be (B, T, 18, 3), got {w.shape}")
    out = np.zeros((w.shape[0], w.shape[1], cfg.num_features), dtype=np.float32)
    if w.shape[1] > 0:
        _features(w, ALL_JOINTS if joints is None else joints, *kernel_flags(cfg), out)
    return out


def kernel_flags(cfg: FeatureConfig) -> tuple[bool, bool, bool, bool, bool, bool, int]:
    """The channel switches ``_features`` takes, in its argument order."""
    return (cfg.normalise, cfg.masks, cfg.velocities, cfg.root_motion and cfg.normalise,
            cfg.root_motion_horizontal, cfg.scale_shoulders, int(cfg.smooth_passes))


_JIT = {"nogil": True, "error_model": "numpy"}


@njit(**_JIT)
def _median(v: np.ndarray, n: int) -> float:
    """Median of ``v[:n]`` (insertion-sorted in place: n is a window length); NaN if n == 0."""
    if n == 0:
        return np.nan
    for i in range(1, n):
        key, k = v[i], i - 1
        while k >= 0 and v[k] > key:
            v[k + 1] = v[k]
            k -= 1
        v[k + 1] = key
    lo, hi = v[(n - 1) // 2], v[n // 2]
    return lo if n % 2 == 1 else np.float32(0.5) * (lo + hi)


@njit(**_JIT)
def _push(stats, counts, k, v) -> None:
    stats[k, counts[k]] = np.float32(v)
    counts[k] += 1


@njit(**_JIT)
def _usable(v: float) -> bool:
    return np.isfinite(v) and v > 1e-6


@njit(**_JIT)
def _body_frame(x, y, p, ox, oy, stats, counts, scale_shoulders) -> float:
    """Body origin per frame into ``ox``, ``oy`` (T,) and the window scale (returned), pixels.

    ``x``, ``y`` (T, 18) with missing joints at 0, ``p`` (T, 18) presence; ``stats`` (8, T)
    and ``counts`` (8,) are scratch space.
    """
    t_len = x.shape[0]
    f32 = np.float32
    counts[:] = 0  # stats rows: torso, shoulder width, hip->neck x/y, neck x/y, hips x/y
    for t in range(t_len):
        neck_ok = p[t, NECK]
        hips_ok = p[t, R_HIP] and p[t, L_HIP]
        nx, ny = x[t, NECK], y[t, NECK]
        hx = f32(0.5) * (x[t, R_HIP] + x[t, L_HIP])
        hy = f32(0.5) * (y[t, R_HIP] + y[t, L_HIP])
        if neck_ok and hips_ok:
            vx, vy = nx - hx, ny - hy
            _push(stats, counts, 0, np.float32(np.hypot(vx, vy)))
            _push(stats, counts, 2, vx)
            _push(stats, counts, 3, vy)
        if p[t, R_SHOULDER] and p[t, L_SHOULDER]:
            _push(stats, counts, 1, np.float32(np.hypot(x[t, R_SHOULDER] - x[t, L_SHOULDER],
                                                        y[t, R_SHOULDER] - y[t, L_SHOULDER])))
        if neck_ok:
            _push(stats, counts, 4, nx)
            _push(stats, counts, 5, ny)
        if hips_ok:
            _push(stats, counts, 6, hx)
            _push(stats, counts, 7, hy)
    med = np.empty(8, np.float32)
    for k in range(8):
        med[k] = _median(stats[k], counts[k])
    # Scale: median torso (with scale_shoulders the larger of it and 1.4 x median shoulder
    # width), else 1.4 x median shoulder width, else a third of the joints' vertical extent,
    # else 1.
    ymin, ymax, cnt, sx, sy = np.inf, -np.inf, 0, f32(0.0), f32(0.0)
    for t in range(t_len):
        for j in range(x.shape[1]):
            if p[t, j]:
                ymin, ymax = min(ymin, y[t, j]), max(ymax, y[t, j])
                cnt += 1
                sx += x[t, j]
                sy += y[t, j]
    scale = med[0]
    if scale_shoulders and _usable(med[1]) and f32(1.4) * med[1] > scale:
        scale = f32(1.4) * med[1]
    if not _usable(scale):
        scale = f32(1.4) * med[1]
    if not _usable(scale):
        scale = f32((ymax - ymin) / 3.0) if cnt > 0 else np.nan
    if not _usable(scale):
        scale = f32(1.0)
    mvx = med[2] if np.isfinite(med[2]) else f32(0.0)
    mvy = med[3] if np.isfinite(med[3]) else -scale
    # Frames with neither neck nor hips: the window's median origin, else the joints' mean.
    wx = med[4] if np.isfinite(med[4]) else med[6] + mvx
    wy = med[5] if np.isfinite(med[5]) else med[7] + mvy
    n = max(cnt, 1)
    wx = wx if np.isfinite(wx) else sx / f32(n)
    wy = wy if np.isfinite(wy) else sy / f32(n)
    for t in range(t_len):
        if p[t, NECK]:
            ox[t], oy[t] = x[t, NECK], y[t, NECK]
        elif p[t, R_HIP] and p[t, L_HIP]:
            ox[t] = f32(0.5) * (x[t, R_HIP] + x[t, L_HIP]) + mvx
            oy[t] = f32(0.5) * (y[t, R_HIP] + y[t, L_HIP]) + mvy
        else:
            ox[t], oy[t] = wx, wy
    return scale


@njit(**_JIT)
def _smooth(x, y, p, passes, sx, sy) -> None:
    """``passes`` times, ``x``, ``y`` (T, 18) at t <- [1/4, 1/2, 1/4] over t-1..t+1 where ``p``
    has the joint in all three frames; first and last frames unchanged. ``sx``, ``sy`` scratch."""
    t_len, n_j = x.shape
    q, h = np.float32(0.25), np.float32(0.5)
    for _ in range(passes):
        sx[:] = x
        sy[:] = y
        for t in range(1, t_len - 1):
            for j in range(n_j):
                if p[t - 1, j] and p[t, j] and p[t + 1, j]:
                    x[t, j] = q * sx[t - 1, j] + h * sx[t, j] + q * sx[t + 1, j]
                    y[t, j] = q * sy[t - 1, j] + h * sy[t, j] + q * sy[t + 1, j]


@njit(**_JIT)
def _features(w, joints, normalise, masks, velocities, root_motion, root_horizontal,
              scale_shoulders, smooth_passes, out) -> None:
    """Fill ``out`` (B, T, F), zeroed, from pixel windows ``w`` (B, T, 18, 3) float32, using
    the ``joints`` (18,) that are True."""
    n_win, t_len, n_j = w.shape[0], w.shape[1], w.shape[2]
    x = np.empty((t_len, n_j), np.float32)
    y = np.empty((t_len, n_j), np.float32)
    p = np.empty((t_len, n_j), np.bool_)
    ox = np.zeros(t_len, np.float32)
    oy = np.zeros(t_len, np.float32)
    stats = np.empty((8, t_len), np.float32)
    counts = np.zeros(8, np.int64)
    sx = np.empty((t_len, n_j), np.float32)
    sy = np.empty((t_len, n_j), np.float32)
    for b in range(n_win):
        for t in range(t_len):
            for j in range(n_j):
                xv, yv, cv = w[b, t, j, 0], w[b, t, j, 1], w[b, t, j, 2]
                ok = joints[j] and cv > 0 and np.isfinite(xv) and np.isfinite(yv)  # NaN c: False
                p[t, j] = ok
                x[t, j] = xv if ok else np.float32(0.0)
                y[t, j] = yv if ok else np.float32(0.0)
        if smooth_passes > 0:
            _smooth(x, y, p, smooth_passes, sx, sy)
        scale = np.float32(1.0)
        if normalise:
            scale = _body_frame(x, y, p, ox, oy, stats, counts, scale_shoulders)
        inv = np.float32(1.0) / scale
        for t in range(t_len):
            for j in range(n_j):
                if p[t, j]:
                    if normalise:
                        x[t, j] = (x[t, j] - ox[t]) * inv
                        y[t, j] = (y[t, j] - oy[t]) * inv
                    out[b, t, 2 * j] = x[t, j]
                    out[b, t, 2 * j + 1] = y[t, j]
        k = 2 * n_j
        if masks:
            for t in range(t_len):
                for j in range(n_j):
                    out[b, t, k + j] = np.float32(1.0) if p[t, j] else np.float32(0.0)
            k += n_j
        if velocities:
            for t in range(1, t_len):
                for j in range(n_j):
                    if p[t, j] and p[t - 1, j]:
                        out[b, t, k + 2 * j] = x[t, j] - x[t - 1, j]
                        out[b, t, k + 2 * j + 1] = y[t, j] - y[t - 1, j]
            k += 2 * n_j
        if root_motion:
            for t in range(t_len):
                if root_horizontal:
                    out[b, t, k] = (ox[t] - ox[t_len - 1]) / scale
                out[b, t, k + (1 if root_horizontal else 0)] = (oy[t] - oy[t_len - 1]) / scale
