"""The numpy implementation of ``har_ros.features.window_features`` that trained the shipped
models (to commit 33c3bba), kept verbatim as a test oracle for the compiled kernel that
replaced it. Not used by the package."""

from __future__ import annotations

import numpy as np

from har_ros.errors import ConfigError
from har_ros.features import FeatureConfig
from har_ros.skeleton import L_HIP, L_SHOULDER, NECK, NUM_JOINTS, R_HIP, R_SHOULDER


def _nanmedian(a: np.ndarray, axis: int) -> np.ndarray:
    """Median ignoring NaN along ``axis`` (NaN where all are NaN); faster than np.nanmedian."""
    s = np.sort(np.moveaxis(a, axis, -1), axis=-1)  # NaNs sort last
    n = (~np.isnan(s)).sum(axis=-1, keepdims=True)
    lo = np.take_along_axis(s, np.maximum((n - 1) // 2, 0), axis=-1)[..., 0]
    hi = np.take_along_axis(s, np.minimum(n // 2, s.shape[-1] - 1), axis=-1)[..., 0]
    med = np.where((n[..., 0] % 2) == 1, lo, 0.5 * (lo + hi))
    return np.where(n[..., 0] > 0, med, np.nan)


def body_frame(x: np.ndarray, y: np.ndarray, present: np.ndarray, scale_shoulders: bool = False
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Body origin per frame (ox, oy: (B, T) pixels) and window scale (B,) pixels.

    ``x``, ``y`` (B, T, 18) pixels with missing joints at 0; ``present`` (B, T, 18) bool.
    See the module doc for the definitions and fallbacks.
    """
    neck_ok = present[..., NECK]
    hips_ok = present[..., R_HIP] & present[..., L_HIP]
    sh_ok = present[..., R_SHOULDER] & present[..., L_SHOULDER]
    both = neck_ok & hips_ok
    nx, ny = x[..., NECK], y[..., NECK]
    hx = 0.5 * (x[..., R_HIP] + x[..., L_HIP])
    hy = 0.5 * (y[..., R_HIP] + y[..., L_HIP])
    vx, vy = nx - hx, ny - hy
    stats = np.stack([np.hypot(vx, vy),
                      np.hypot(x[..., R_SHOULDER] - x[..., L_SHOULDER],
                               y[..., R_SHOULDER] - y[..., L_SHOULDER]),
                      vx, vy, nx, ny, hx, hy], axis=-1)  # (B, T, 8)
    valid = np.stack([both, sh_ok, both, both, neck_ok, neck_ok, hips_ok, hips_ok], axis=-1)
    # One masked median over time for every robust statistic (cheap at batch 1).
    med = _nanmedian(np.where(valid, stats, np.nan), axis=1)  # (B, 8)
    torso, shoulder = med[:, 0], med[:, 1]
    any_p = present.any(axis=(1, 2))
    ymax = np.where(present, y, -np.inf).max(axis=(1, 2))
    ymin = np.where(present, y, np.inf).min(axis=(1, 2))
    extent = np.where(any_p, (ymax - ymin) / 3.0, np.nan)
    scale = torso
    if scale_shoulders:
        wide = np.isfinite(shoulder) & (shoulder > 1e-6) & ~(1.4 * shoulder <= torso)
        scale = np.where(wide, 1.4 * shoulder, torso)
    for fallback in (1.4 * shoulder, extent):
        scale = np.where(np.isfinite(scale) & (scale > 1e-6), scale, fallback)
    scale = np.where(np.isfinite(scale) & (scale > 1e-6), scale, 1.0).astype(np.float32)
    mvx = np.where(np.isfinite(med[:, 2]), med[:, 2], 0.0)
    mvy = np.where(np.isfinite(med[:, 3]), med[:, 3], -scale)
    ox = np.where(neck_ok, nx, hx + mvx[:, None])
    oy = np.where(neck_ok, ny, hy + mvy[:, None])
    # Frames with neither neck nor hips: the window's median origin, else the joints' mean.
    wx = np.where(np.isfinite(med[:, 4]), med[:, 4], med[:, 6] + mvx)
    wy = np.where(np.isfinite(med[:, 5]), med[:, 5], med[:, 7] + mvy)
    cnt = np.maximum(present.sum(axis=(1, 2)), 1)
    wx = np.where(np.isfinite(wx), wx, x.sum(axis=(1, 2)) / cnt)
    wy = np.where(np.isfinite(wy), wy, y.sum(axis=(1, 2)) / cnt)
    has = neck_ok | hips_ok
    ox = np.where(has, ox, wx[:, None]).astype(np.float32)
    oy = np.where(has, oy, wy[:, None]).astype(np.float32)
    return ox, oy, scale


def reference_window_features(windows: np.ndarray,
                              config: FeatureConfig | None = None) -> np.ndarray:
    """(B, T, 18, 3) pixel windows -> (B, T, F) float32 features (see the module doc).

    Vectorised over the batch; does not standardise (the model applies the checkpoint's stats).
    """
    cfg = config or FeatureConfig()
    w = np.asarray(windows, dtype=np.float32)
    if w.ndim != 4 or w.shape[2:] != (NUM_JOINTS, 3):
        raise ConfigError(f"windows must be (B, T, 18, 3), got {w.shape}")
    b, t = w.shape[:2]
    x, y, c = w[..., 0], w[..., 1], w[..., 2]
    present = c > 0  # NaN confidence compares False
    if not np.isfinite(w).all():
        present &= np.isfinite(x) & np.isfinite(y)
        x, y = np.where(present, x, 0.0), np.where(present, y, 0.0)
    pf = present.astype(np.float32)
    out = np.zeros((b, t, cfg.num_features), dtype=np.float32)
    j2 = 2 * NUM_JOINTS
    if cfg.normalise:
        ox, oy, scale = body_frame(x * pf, y * pf, present, cfg.scale_shoulders)
        inv = (1.0 / scale)[:, None, None]
        cx = (x - ox[..., None]) * inv * pf
        cy = (y - oy[..., None]) * inv * pf
    else:
        cx, cy = x * pf, y * pf
    out[..., 0:j2:2] = cx
    out[..., 1:j2:2] = cy
    k = j2
    if cfg.masks:
        out[..., k:k + NUM_JOINTS] = pf
        k += NUM_JOINTS
    if cfg.velocities:
        both = pf[:, 1:] * pf[:, :-1]
        out[:, 1:, k:k + j2:2] = (cx[:, 1:] - cx[:, :-1]) * both
        out[:, 1:, k + 1:k + j2:2] = (cy[:, 1:] - cy[:, :-1]) * both
        k += j2
    if cfg.root_motion and cfg.normalise:
        if cfg.root_motion_horizontal:
            out[..., k] = (ox - ox[:, -1:]) / scale[:, None]
            k += 1
        out[..., k] = (oy - oy[:, -1:]) / scale[:, None]
    return out
