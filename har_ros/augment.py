"""Training-only augmentation of pixel windows (B, T, 18, 3); never used at inference.

All transforms act on pixel coordinates before features are computed, keep missing joints
missing (x = y = confidence = 0) and draw randomness from the given ``numpy.random.Generator``.
Speed change happens on whole sequences (:func:`speed_variants`), before windowing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import numpy as np

from har_ros.augment_view2d import view_transform
from har_ros.config_help import described
from har_ros.data.common import SkeletonSequence
from har_ros.errors import ConfigError
from har_ros.pose_noise import apply_detector_errors, load_error_model
from har_ros.skeleton import FLIP_PERMUTATION


@dataclass(frozen=True)
class AugmentConfig:
    """Probabilities and ranges of the augmentations (0 disables one)."""

    mirror: float = 0.0          # probability of a horizontal flip with left/right swap
    rotate_deg: float = 10.0     # uniform in-plane rotation range, +/- degrees
    scale: float = 0.15          # uniform isotropic scale range, 1 +/- scale
    stretch: float = 0.15        # extra x-only scale range (viewpoint change), 1 +/- stretch
    joint_dropout: float = 0.05  # probability a joint is missing in a whole window
    frame_dropout: float = 0.03  # probability a single joint is missing in a single frame
    noise: float = 0.01          # Gaussian jitter, fraction of the window's skeleton height
    speeds: tuple[float, ...] = (0.8, 1.0, 1.25)  # playback speed factors of whole sequences
    low_fps: float = 0.0         # probability a window is re-made from every k-th frame only
    low_fps_steps: tuple[int, ...] = (2, 3)  # k: at 15 Hz, 2 -> 7.5 fps, 3 -> 5 fps input
    detector_errors: str = ""    # measured pose-detector errors: shipped name or JSON, "" = off
    detector_errors_prob: float = 1.0  # fraction of windows that get the detector's errors
    # Viewpoint change for 2D-only data (har_ros.augment_view2d), about the window's body
    # centre, before the in-plane rotation / scale / stretch above.
    yaw_deg: float = field(default=0.0, metadata=described(
        "pseudo-3D turn of the body about the vertical axis, uniform +/- degrees (0 = off): "
        "per-joint depth is lifted from bone foreshortening and a facing-the-camera prior, "
        "then x' = x cos(a) + z sin(a), so left and right sides and limbs reaching towards "
        "the camera move differently; imitates side views from frontal training clips"))
    pitch_deg: float = field(default=0.0, metadata=described(
        "pseudo-3D camera elevation, uniform +/- degrees (0 = off): y' = y cos(e) + z sin(e) "
        "with the same lifted depth; a camera looking down shortens vertical extents and "
        "shows depth as height"))
    occlude: float = field(default=0.0, metadata=described(
        "with yaw_deg: probability (times |sin(yaw)|) that a left/right joint behind its twin "
        "after the turn is missing for the window (0 = off); a side camera loses the body "
        "half turned away from it"))
    squash: float = field(default=0.0, metadata=described(
        "elevation-like vertical squash: y scaled by 1 - u, u uniform in [0, squash] "
        "(0 = off); a camera looking down shortens vertical extents"))
    shear: float = field(default=0.0, metadata=described(
        "horizontal shear x' = x + k y, k uniform +/- shear (0 = off); an oblique or tilted "
        "camera leans vertical body lines"))

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        d = asdict(self)
        d["speeds"] = list(self.speeds)
        d["low_fps_steps"] = list(self.low_fps_steps)
        return d

    @classmethod
    def from_dict(cls, data: dict) -> AugmentConfig:
        """Inverse of ``to_dict``; unknown keys raise ConfigError."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown augmentation option(s): {', '.join(sorted(unknown))}")
        data = dict(data)
        if "speeds" in data:
            data["speeds"] = tuple(float(s) for s in data["speeds"])
        if "low_fps_steps" in data:
            data["low_fps_steps"] = tuple(int(k) for k in data["low_fps_steps"])
        return cls(**data)


def mirrored(windows: np.ndarray) -> np.ndarray:
    """Every window of ``windows`` (B, T, 18, 3) flipped about its mean x (over the joints
    present in it), left and right swapped; a new array."""
    out = windows[:, :, list(FLIP_PERMUTATION)]
    present = out[..., 2] > 0
    cx = (np.where(present, out[..., 0], 0).sum(axis=(1, 2))
          / np.maximum(present.sum(axis=(1, 2)), 1))
    out[..., 0] = np.where(present, 2 * cx[:, None, None] - out[..., 0], 0.0)
    return out


def mirror(windows: np.ndarray, flip: np.ndarray) -> np.ndarray:
    """Copy of ``windows`` with those where ``flip`` (B,) is True mirrored (:func:`mirrored`)."""
    out = windows.copy()
    if flip.any():
        out[flip] = mirrored(windows[flip])
    return out


def simulate_low_fps(windows: np.ndarray, step: int) -> np.ndarray:
    """Keep every ``step``-th frame (counting back from the last) and linearly interpolate the
    frames between them per joint, as the resampler does for a slow pose source; a joint
    missing at either neighbouring kept frame becomes missing. Frames before the first kept
    frame are left as they are."""
    w = windows.copy()
    t = w.shape[1]
    keys = np.arange(t - 1, -1, -step)[::-1]
    if keys.size < 2:
        return w
    ti = np.arange(keys[0], t)
    right = np.searchsorted(keys, ti)
    left = np.clip(right - 1, 0, keys.size - 1)
    exact = keys[np.clip(right, 0, keys.size - 1)] == ti
    left = np.where(exact, right, left)
    right = np.where(exact, right, np.clip(right, 0, keys.size - 1))
    kl, kr = keys[left], keys[right]
    a = np.where(kr > kl, (ti - kl) / np.maximum(kr - kl, 1), 0.0).astype(np.float32)
    wl, wr = windows[:, kl], windows[:, kr]
    both = (wl[..., 2] > 0) & (wr[..., 2] > 0)
    val = wl + (wr - wl) * a[None, :, None, None]
    w[:, ti] = np.where(both[..., None], val, 0.0)
    return w


def augment_windows(windows: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig,
                    mirror_flags: np.ndarray | None = None) -> np.ndarray:
    """Randomly transform pixel windows (B, T, 18, 3); returns a new float32 array.

    ``mirror_flags`` (B,) forces which windows are mirrored (the caller swaps their labels
    when mirroring changes the class); by default each is mirrored with ``cfg.mirror``.
    """
    w = np.asarray(windows, dtype=np.float32).copy()
    b, t = w.shape[:2]
    if mirror_flags is None:
        mirror_flags = rng.random(b) < cfg.mirror
    w = mirror(w, mirror_flags)
    if cfg.low_fps > 0:
        pick = rng.random(b) < cfg.low_fps
        steps = rng.choice(np.asarray(cfg.low_fps_steps), size=b)
        for k in np.unique(steps[pick]):
            sel = pick & (steps == k)
            w[sel] = simulate_low_fps(w[sel], int(k))
    if cfg.yaw_deg > 0 or cfg.pitch_deg > 0 or cfg.squash > 0 or cfg.shear > 0:
        w = view_transform(w, rng, cfg.yaw_deg, cfg.pitch_deg, cfg.squash, cfg.shear,
                           cfg.occlude)
    present = w[..., 2] > 0
    cnt = np.maximum(present.sum(axis=(1, 2)), 1)
    centre = np.where(present[..., None], w[..., :2], 0).sum(axis=(1, 2)) / cnt[:, None]
    ang = np.deg2rad(rng.uniform(-cfg.rotate_deg, cfg.rotate_deg, b))
    s = rng.uniform(1 - cfg.scale, 1 + cfg.scale, b)
    sx = s * rng.uniform(1 - cfg.stretch, 1 + cfg.stretch, b)
    c, sn = np.cos(ang), np.sin(ang)
    # M = R @ diag(sx, s)
    m = np.stack([np.stack([c * sx, -sn * s], -1), np.stack([sn * sx, c * s], -1)], -2)
    rel = w[..., :2] - centre[:, None, None, :]
    xy = np.einsum("bij,btkj->btki", m, rel) + centre[:, None, None, :]
    if cfg.noise > 0:
        ymax = np.where(present, w[..., 1], -np.inf).max(axis=(1, 2))
        ymin = np.where(present, w[..., 1], np.inf).min(axis=(1, 2))
        height = np.where(present.any(axis=(1, 2)), ymax - ymin, 0.0)
        xy += rng.normal(0, 1, xy.shape) * (cfg.noise * height)[:, None, None, None]
    w[..., :2] = xy
    keep = present.copy()
    if cfg.joint_dropout > 0:
        keep &= (rng.random((b, 1, w.shape[2])) >= cfg.joint_dropout)
    if cfg.frame_dropout > 0:
        keep &= (rng.random((b, t, w.shape[2])) >= cfg.frame_dropout)
    w[~keep] = 0.0
    if cfg.detector_errors:
        if not 0 <= cfg.detector_errors_prob <= 1:
            raise ConfigError("augment.detector_errors_prob must be in [0, 1], got "
                              f"{cfg.detector_errors_prob}")
        noisy = rng.random(b) < cfg.detector_errors_prob  # the rest stay clean
        if noisy.any():
            w[noisy] = apply_detector_errors(w[noisy], rng,
                                              load_error_model(cfg.detector_errors))
    return w.astype(np.float32)


def speed_variants(seq: SkeletonSequence, speeds: tuple[float, ...]) -> list[SkeletonSequence]:
    """The sequence played at each speed factor (>1 = faster): its time stamps divided by it."""
    out = []
    for f in speeds:
        if f <= 0:
            raise ConfigError(f"speed factors must be > 0, got {f}")
        out.append(seq if f == 1.0 else SkeletonSequence(
            seq.skeletons, seq.stamps_s / f, seq.label, seq.subject, seq.camera,
            f"{seq.clip_id}@x{f:g}"))
    return out
