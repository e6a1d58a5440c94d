"""2D viewpoint augmentation (har_ros/augment_view2d.py) on synthetic pixel skeletons."""

from __future__ import annotations

import numpy as np
import pytest

from har_ros.augment import AugmentConfig, augment_windows
from har_ros.augment_view2d import lift_depth, occlude_far_side, turn, view_transform
from har_ros.skeleton import (
    L_ANKLE,
    L_ELBOW,
    L_HIP,
    L_KNEE,
    L_SHOULDER,
    L_WRIST,
    NECK,
    NOSE,
    NUM_JOINTS,
    R_ANKLE,
    R_ELBOW,
    R_HIP,
    R_KNEE,
    R_SHOULDER,
    R_WRIST,
)

SHOULDER_W = 40.0  # pixels; bones below are longer than the body-proportion priors
THIGH = 90.0


def _standing() -> np.ndarray:
    """(18, 3) frontal person in pixels (y down), arms and legs hanging straight, no face."""
    s = np.zeros((NUM_JOINTS, 3), np.float32)
    pts = {NECK: (100, 100), NOSE: (100, 60),
           R_SHOULDER: (80, 100), L_SHOULDER: (120, 100),
           R_ELBOW: (80, 150), L_ELBOW: (120, 150), R_WRIST: (80, 200), L_WRIST: (120, 200),
           R_HIP: (85, 200), L_HIP: (115, 200),
           R_KNEE: (85, 200 + THIGH), L_KNEE: (115, 200 + THIGH),
           R_ANKLE: (85, 300 + THIGH), L_ANKLE: (115, 300 + THIGH)}
    for j, (x, y) in pts.items():
        s[j] = (x, y, 1.0)
    return s


def _squat_window(frames: int = 8) -> np.ndarray:
    """(1, T, 18, 3): standing in frame 0, then the knees come up to 60 % of the thigh's 2D
    length (a frontal squat: the thighs point at the camera), shins shifted with them."""
    w = np.repeat(_standing()[None, None], frames, axis=1)
    for t in range(1, frames):
        for knee, ankle in ((R_KNEE, R_ANKLE), (L_KNEE, L_ANKLE)):
            w[0, t, knee, 1] = 200 + 0.6 * THIGH
            w[0, t, ankle, 1] = w[0, t, knee, 1] + 100
    return w


def test_zero_strength_is_identity_and_draws_nothing():
    w = _squat_window()
    rng = np.random.default_rng(3)
    state = rng.bit_generator.state
    out = view_transform(w, rng)
    assert np.array_equal(out, w) and out is not w
    assert rng.bit_generator.state == state
    # The whole augmentation with every other range off is the identity too.
    off = AugmentConfig(rotate_deg=0, scale=0, stretch=0, joint_dropout=0, frame_dropout=0,
                        noise=0)
    assert np.array_equal(augment_windows(w, np.random.default_rng(0), off), w)


def test_shape_dtype_kept_and_missing_joints_stay_missing():
    w = np.repeat(_squat_window(), 5, axis=0)
    w[1, :, R_WRIST] = 0.0
    w[2, 3] = 0.0
    w[3] = 0.0
    cfg = AugmentConfig(yaw_deg=90, pitch_deg=30, squash=0.3, shear=0.3, occlude=1.0)
    out = augment_windows(w, np.random.default_rng(0), cfg)
    assert out.shape == w.shape and out.dtype == np.float32
    assert np.isfinite(out).all()
    missing = w[..., 2] <= 0
    assert (out[missing] == 0).all()


def test_turn_foreshortens_left_right_widths_by_cos_and_keeps_heights():
    w = _squat_window()
    for deg in (30.0, 60.0, -45.0):
        a = np.deg2rad(deg)
        out = turn(w, np.array([a]), np.array([0.0]))
        width = out[0, :, L_SHOULDER, 0] - out[0, :, R_SHOULDER, 0]
        np.testing.assert_allclose(width, SHOULDER_W * np.cos(a), rtol=1e-5)
        np.testing.assert_allclose(out[..., 1], w[..., 1], atol=1e-4)


def test_turn_to_side_view_moves_foreshortened_knees_sideways_by_lifted_depth():
    w = _squat_window()
    z = lift_depth(w)
    # Standing: thigh at full length, no depth between hip and knee.
    assert z[0, 0, R_KNEE] == pytest.approx(z[0, 0, R_HIP], abs=1e-4)
    # Squatting: knees ahead of the hips by sqrt(L^2 - l^2), L the longest thigh seen.
    ahead = np.sqrt(THIGH ** 2 - (0.6 * THIGH) ** 2)
    np.testing.assert_allclose(z[0, 1:, R_KNEE] - z[0, 1:, R_HIP], ahead, rtol=1e-5)
    out = turn(w, np.array([np.pi / 2]), np.array([0.0]))
    dx = out[0, :, R_KNEE, 0] - out[0, :, R_HIP, 0]
    assert dx[0] == pytest.approx(0.0, abs=1e-3)
    np.testing.assert_allclose(dx[1:], ahead, rtol=1e-4)
    # Left and right halves overlap in the side view.
    np.testing.assert_allclose(out[0, :, L_SHOULDER, 0], out[0, :, R_SHOULDER, 0], atol=1e-3)


def test_pitch_shortens_vertical_extent_of_a_flat_body_by_cos():
    w = _standing()[None, None].copy()
    w[..., NOSE, :] = 0.0  # the nose sits ahead of the body plane by the prior
    e = np.deg2rad(35.0)
    out = turn(w, np.array([0.0]), np.array([e]))
    present = w[0, 0, :, 2] > 0
    h_in = np.ptp(w[0, 0, present, 1])
    h_out = np.ptp(out[0, 0, present, 1])
    assert h_out == pytest.approx(h_in * np.cos(e), rel=1e-5)


def test_squash_and_shear_act_about_the_window_centre_within_their_ranges():
    w = np.repeat(_squat_window(), 64, axis=0)
    present = w[..., 2] > 0
    out = view_transform(w, np.random.default_rng(1), squash=0.3)
    ratio = np.ptp(np.where(present, out[..., 1], np.nan)[:, 0][:, present[0, 0]], axis=1) \
        / np.ptp(w[0, 0, present[0, 0], 1])
    assert (ratio <= 1 + 1e-6).all() and (ratio >= 0.7 - 1e-6).all() and ratio.std() > 0
    np.testing.assert_allclose(out[..., 0], w[..., 0], atol=1e-4)
    out = view_transform(w, np.random.default_rng(1), shear=0.2)
    np.testing.assert_allclose(out[..., 1], w[..., 1], atol=1e-4)
    # x moves in proportion to height: neck and ankle of the same body shift in opposite
    # directions relative to each other by at most 0.2 x their height difference.
    shift = (out[:, 0, R_ANKLE, 0] - out[:, 0, NECK, 0]) - (w[:, 0, R_ANKLE, 0] - w[:, 0, NECK, 0])
    height = w[0, 0, R_ANKLE, 1] - w[0, 0, NECK, 1]
    assert (np.abs(shift) <= 0.2 * height + 1e-3).all() and np.abs(shift).max() > 0.1 * height


def test_occlusion_hides_only_the_far_side_of_a_side_view():
    w = np.repeat(_standing()[None, None], 4, axis=1)
    w[..., NECK, :2] = 0.5 * (w[..., R_SHOULDER, :2] + w[..., L_SHOULDER, :2])  # derived neck
    rng = np.random.default_rng(0)
    out = view_transform(w, rng, yaw_deg=1e-9, occlude=1.0)  # no turn: nothing is hidden
    assert ((out[..., 2] > 0) == (w[..., 2] > 0)).all()
    a = np.array([np.pi / 2])
    out = occlude_far_side(w, turn(w, a, np.zeros(1)), a, 1.0, rng)
    right = [R_SHOULDER, R_ELBOW, R_WRIST, R_HIP, R_KNEE, R_ANKLE]
    left = [L_SHOULDER, L_ELBOW, L_WRIST, L_HIP, L_KNEE, L_ANKLE]
    lost = out[0, :, :, 2] <= 0
    # Turned by +90 degrees (z' = -x), the left side (image right, x > centre) goes behind.
    assert lost[:, left].all() and not lost[:, right].any()
    assert lost[:, NECK].all() and not lost[:, NOSE].any()
