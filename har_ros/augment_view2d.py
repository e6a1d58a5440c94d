"""Viewpoint-change augmentation for 2D-only skeletons (training only; never at inference).

Windows are (B, T, 18, 3) pixel skeletons (x right, y down, confidence; a missing joint is all
zeros). A frontal camera cannot see motion along its optical axis (a squat's knees moving
forward, a push-up's body lying along the view), and a uniform x-stretch cannot turn such a
clip into a side view: in a side view the left and right halves of the body overlap while the
limbs that reached towards the camera now move sideways. :func:`lift_depth` therefore gives
every joint a pseudo depth ``z`` (pixels, positive towards the camera for a person facing it):

* bone foreshortening: a bone whose 2D length ``l`` is shorter than its full length ``L``
  points out of the image plane by ``sqrt(L^2 - l^2)``; ``L`` is the longest the bone (or
  its left/right twin) gets in the window, but at least ``PRIOR_FRACTION`` of a
  body-proportion prior times the window's body scale (shoulder width; see ``BONES``), so a
  bone foreshortened in the whole window still gets depth;
* the sign of that depth comes from a prior for a person facing the camera (:data:`BONES`):
  the nose ahead of the neck, hips behind the neck (a forward lean), elbows and wrists
  reaching forward, knees forward of the hips and ankles back under the knees (a squat).
  Left and right joints get the same rule, so they stay in the body plane; the global sign
  (a person seen from the back) is covered by drawing the turn angle symmetrically.

:func:`view_transform` then turns the lifted body about the vertical axis through the
window's centre (yaw), tilts the camera (pitch), squashes vertically and shears, and writes
back only x and y of present joints.
"""

from __future__ import annotations

import numpy as np

from har_ros.skeleton import (
    L_ANKLE,
    L_EAR,
    L_ELBOW,
    L_EYE,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    L_WRIST,
    NECK,
    NOSE,
    R_ANKLE,
    R_EAR,
    R_ELBOW,
    R_EYE,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    R_WRIST,
)

#: (parent, child, full length / shoulder width, depth sign of the child for a person facing
#: the camera: +1 towards the camera), in kinematic order from the neck. Length ratios are the
#: medians of the 90th-percentile 2D lengths over frontal Penn Action clips of upright
#: actions (jumping jacks, jump rope, clean and jerk; the official train clips alone give the
#: same within 0.02); a bone with ratio 0 keeps its parent's depth.
BONES: tuple[tuple[int, int, float, int], ...] = (
    (NECK, NOSE, 0.77, +1),
    (NECK, R_SHOULDER, 0.0, 0), (NECK, L_SHOULDER, 0.0, 0),
    (R_SHOULDER, R_ELBOW, 0.90, +1), (L_SHOULDER, L_ELBOW, 0.90, +1),
    (R_ELBOW, R_WRIST, 0.79, +1), (L_ELBOW, L_WRIST, 0.79, +1),
    (NECK, R_HIP, 1.81, -1), (NECK, L_HIP, 1.81, -1),
    (R_HIP, R_KNEE, 1.34, +1), (L_HIP, L_KNEE, 1.34, +1),
    (R_KNEE, R_ANKLE, 1.16, -1), (L_KNEE, L_ANKLE, 1.16, -1),
    (NOSE, R_EYE, 0.0, 0), (NOSE, L_EYE, 0.0, 0),
    (NECK, R_EAR, 0.0, 0), (NECK, L_EAR, 0.0, 0),
)
#: The prior length is used at this fraction: proportions differ between people and a raised
#: camera already shortens vertical bones, so only a clearly shortened bone gets prior depth.
PRIOR_FRACTION = 0.8
#: The nose sits this far ahead of the neck (shoulder widths) even with the head upright.
NOSE_AHEAD = 0.4
_TWIN = {R_SHOULDER: L_SHOULDER, R_ELBOW: L_ELBOW, R_WRIST: L_WRIST, R_HIP: L_HIP,
         R_KNEE: L_KNEE, R_ANKLE: L_ANKLE, R_EYE: L_EYE, R_EAR: L_EAR}
_TWIN.update({v: k for k, v in list(_TWIN.items())})


def _window_centre(w: np.ndarray, present: np.ndarray) -> np.ndarray:
    """(B, 2) mean x, y of the present joints of each window (pixels)."""
    cnt = np.maximum(present.sum(axis=(1, 2)), 1)
    return np.where(present[..., None], w[..., :2], 0).sum(axis=(1, 2)) / cnt[:, None]


def _lengths(w: np.ndarray, present: np.ndarray, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """(B, T) 2D length of bone a-b in pixels (0 where a joint is missing), and (B, T) valid."""
    ok = present[..., a] & present[..., b]
    d = np.linalg.norm(w[..., a, :2] - w[..., b, :2], axis=-1)
    return np.where(ok, d, 0.0), ok


def body_scale(windows: np.ndarray) -> np.ndarray:
    """(B,) shoulder width of each window in pixels: the largest of the longest shoulder
    span, torso (neck-hip) length / 1.81 and hip span / 0.77 seen in the window (each can
    only be shortened by a turn of the body); 0 when none can be measured."""
    w = np.asarray(windows, dtype=np.float64)
    present = w[..., 2] > 0
    est = [_lengths(w, present, R_SHOULDER, L_SHOULDER)[0].max(axis=1),
           _lengths(w, present, R_HIP, L_HIP)[0].max(axis=1) / 0.77]
    for hip in (R_HIP, L_HIP):
        est.append(_lengths(w, present, NECK, hip)[0].max(axis=1) / 1.81)
    return np.max(np.stack(est), axis=0)


def lift_depth(windows: np.ndarray) -> np.ndarray:
    """(B, T, 18) pseudo depth in pixels (towards the camera for a person facing it) of every
    joint of pixel windows (B, T, 18, 3), from bone foreshortening and the :data:`BONES`
    prior; zero mean over each window's present joints, 0 for missing joints."""
    w = np.asarray(windows, dtype=np.float64)
    present = w[..., 2] > 0
    scale = body_scale(w)
    z = np.zeros(w.shape[:3])
    for parent, child, ratio, sign in BONES:
        dz = np.zeros(w.shape[:2])
        if ratio > 0:
            seen, ok = _lengths(w, present, parent, child)
            full = seen.max(axis=1)
            if child in _TWIN:
                full = np.maximum(full, _lengths(w, present, _TWIN[parent] if parent in _TWIN
                                                 else parent, _TWIN[child])[0].max(axis=1))
            full = np.maximum(full, PRIOR_FRACTION * ratio * scale)
            dz = np.where(ok, sign * np.sqrt(np.maximum(full[:, None] ** 2 - seen ** 2, 0.0)),
                          0.0)
        if child == NOSE:
            dz = dz + NOSE_AHEAD * scale[:, None]
        z[..., child] = np.where(present[..., parent], z[..., parent] + dz, 0.0)
    z = np.where(present, z, 0.0)
    mean = z.sum(axis=(1, 2)) / np.maximum(present.sum(axis=(1, 2)), 1)
    return np.where(present, z - mean[:, None, None], 0.0)


def turn(windows: np.ndarray, yaw_rad: np.ndarray, pitch_rad: np.ndarray,
         depth: np.ndarray | None = None) -> np.ndarray:
    """Pixel windows (B, T, 18, 3) seen after turning each body by ``yaw_rad`` (B,) about the
    vertical axis through its window centre (x' = x cos a + z sin a) and raising the camera
    by ``pitch_rad`` (B,) (y' = y cos e + z' sin e, z' the depth after the turn), orthographic;
    ``depth`` (B, T, 18) defaults to :func:`lift_depth`. Missing joints stay missing."""
    w = np.asarray(windows, dtype=np.float32).copy()
    present = w[..., 2] > 0
    z = lift_depth(w) if depth is None else np.asarray(depth, dtype=np.float64)
    c = _window_centre(w, present)
    x = w[..., 0] - c[:, 0, None, None]
    y = w[..., 1] - c[:, 1, None, None]
    ca, sa = np.cos(yaw_rad)[:, None, None], np.sin(yaw_rad)[:, None, None]
    ce, se = np.cos(pitch_rad)[:, None, None], np.sin(pitch_rad)[:, None, None]
    x2 = x * ca + z * sa
    z2 = -x * sa + z * ca
    y2 = y * ce + z2 * se
    w[..., 0] = np.where(present, x2 + c[:, 0, None, None], 0.0)
    w[..., 1] = np.where(present, y2 + c[:, 1, None, None], 0.0)
    return w


def occlude_far_side(windows: np.ndarray, turned: np.ndarray, yaw_rad: np.ndarray,
                     prob: float, rng: np.random.Generator,
                     depth: np.ndarray | None = None) -> np.ndarray:
    """Turned windows (B, T, 18, 3) with far-side joints made missing, as a side camera loses
    the body half turned away from it: each left/right joint is dropped in the frames where it
    lies behind its twin after the turn (``depth``, by default :func:`lift_depth` of
    ``windows``, the windows before the turn), with one draw per window and joint of
    probability ``prob * |sin(yaw)|``. A neck that is the midpoint of the shoulders
    (datasets without a neck joint, e.g. Penn Action) goes missing with either shoulder."""
    w = np.asarray(turned, dtype=np.float32).copy()
    if prob <= 0:
        return w
    src = np.asarray(windows, dtype=np.float32)
    present = src[..., 2] > 0
    z = lift_depth(src) if depth is None else depth
    c = _window_centre(src, present)
    x = src[..., 0] - c[:, 0, None, None]
    z2 = -x * np.sin(yaw_rad)[:, None, None] + z * np.cos(yaw_rad)[:, None, None]
    b = w.shape[0]
    p = prob * np.abs(np.sin(yaw_rad))
    derived_neck = (present[..., NECK] & present[..., R_SHOULDER] & present[..., L_SHOULDER]
                    & (np.abs(src[..., NECK, :2] - 0.5 * (src[..., R_SHOULDER, :2]
                                                          + src[..., L_SHOULDER, :2])) < 0.5)
                    .all(axis=-1))
    lost = np.zeros(w.shape[:3], dtype=bool)
    for j, twin in _TWIN.items():
        drop = rng.random(b) < p
        behind = present[..., j] & present[..., twin] & (z2[..., j] < z2[..., twin])
        lost[..., j] = drop[:, None] & behind
    lost[..., NECK] = derived_neck & (lost[..., R_SHOULDER] | lost[..., L_SHOULDER])
    w[lost] = 0.0
    return w


def squash_shear(windows: np.ndarray, squash: np.ndarray, shear: np.ndarray) -> np.ndarray:
    """Pixel windows (B, T, 18, 3) with y scaled by ``1 - squash`` (B,) and x shifted by
    ``shear`` (B,) times y, both about the window centre. Missing joints stay missing."""
    w = np.asarray(windows, dtype=np.float32).copy()
    present = w[..., 2] > 0
    c = _window_centre(w, present)
    y = (w[..., 1] - c[:, 1, None, None]) * (1.0 - squash)[:, None, None]
    x = w[..., 0] - c[:, 0, None, None] + shear[:, None, None] * y
    w[..., 0] = np.where(present, x + c[:, 0, None, None], 0.0)
    w[..., 1] = np.where(present, y + c[:, 1, None, None], 0.0)
    return w


def view_transform(windows: np.ndarray, rng: np.random.Generator, yaw_deg: float = 0.0,
                   pitch_deg: float = 0.0, squash: float = 0.0, shear: float = 0.0,
                   occlude: float = 0.0) -> np.ndarray:
    """Random viewpoint change of pixel windows (B, T, 18, 3), one draw per window: turn by
    yaw uniform in +/- ``yaw_deg`` and pitch uniform in +/- ``pitch_deg`` (degrees,
    :func:`turn`), vertical squash by u uniform in [0, ``squash``] and shear by k uniform in
    +/- ``shear`` (:func:`squash_shear`); with ``occlude`` > 0 the far side of a turned body
    goes missing (:func:`occlude_far_side`). A range of 0 draws nothing and changes nothing."""
    w = np.asarray(windows, dtype=np.float32)
    b = w.shape[0]
    if yaw_deg > 0 or pitch_deg > 0:
        yaw = np.deg2rad(rng.uniform(-yaw_deg, yaw_deg, b)) if yaw_deg > 0 else np.zeros(b)
        pitch = (np.deg2rad(rng.uniform(-pitch_deg, pitch_deg, b)) if pitch_deg > 0
                 else np.zeros(b))
        z = lift_depth(w)
        turned = turn(w, yaw, pitch, z)
        w = occlude_far_side(w, turned, yaw, occlude, rng, z) if occlude > 0 else turned
    if squash > 0 or shear > 0:
        sq = rng.uniform(0.0, squash, b) if squash > 0 else np.zeros(b)
        sh = rng.uniform(-shear, shear, b) if shear > 0 else np.zeros(b)
        w = squash_shear(w, sq, sh)
    return w.copy() if w is windows else w
