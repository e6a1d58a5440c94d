"""Features: invariances, missing joints, masks, velocities; augmentation's mirror."""

from __future__ import annotations

import numpy as np
import pytest

from har_ros.augment import AugmentConfig, augment_windows, mirror
from har_ros.errors import ConfigError
from har_ros.features import FeatureConfig, window_features
from har_ros.skeleton import (
    FLIP_PERMUTATION,
    L_ANKLE,
    L_EYE,
    L_HIP,
    L_SHOULDER,
    L_WRIST,
    NECK,
    NUM_JOINTS,
    R_HIP,
    R_SHOULDER,
    R_WRIST,
)

J2 = 2 * NUM_JOINTS


def _windows(b=3, t=8, seed=0) -> np.ndarray:
    """Plausible upright skeletons: neck at (300, 200), hips 100 px below, joints around."""
    rng = np.random.default_rng(seed)
    w = np.zeros((b, t, NUM_JOINTS, 3), np.float32)
    w[..., 0] = 300 + rng.normal(0, 40, (b, t, NUM_JOINTS))
    w[..., 1] = 260 + rng.normal(0, 60, (b, t, NUM_JOINTS))
    w[..., NECK, :2] = [300, 200]
    w[..., R_HIP, :2] = [280, 300]
    w[..., L_HIP, :2] = [320, 300]
    w[..., 2] = 1.0
    w[:, :, L_EYE] = 0.0  # never detected
    return w


def test_shape_dtype_and_channel_count():
    cfg = FeatureConfig()
    f = window_features(_windows(), cfg)
    assert f.shape == (3, 8, cfg.num_features) and f.dtype == np.float32
    assert cfg.num_features == 36 + 18 + 36 + 2
    assert FeatureConfig.predecessor().num_features == 36


def test_translation_and_scale_invariance():
    w = _windows()
    moved = w.copy()
    present = moved[..., 2] > 0
    moved[..., :2] = np.where(present[..., None], moved[..., :2] * 2.5 + [130.0, -40.0], 0)
    np.testing.assert_allclose(window_features(w), window_features(moved), atol=1e-4)


def test_raw_seed_features_are_pixels():
    w = _windows()
    f = window_features(w, FeatureConfig.predecessor())
    np.testing.assert_allclose(f[0, 0, 2 * NECK: 2 * NECK + 2], [300, 200])


def test_missing_joints_are_zero_and_do_not_drag_origin_or_scale():
    w = _windows()
    base = window_features(w)
    # A missing joint reported at (0, 0) must not move anything else.
    w2 = w.copy()
    w2[0, 3, R_WRIST] = 0.0
    f2 = window_features(w2)
    other = [j for j in range(NUM_JOINTS) if j != R_WRIST]
    cols = np.array([[2 * j, 2 * j + 1] for j in other]).ravel()
    np.testing.assert_allclose(f2[0, 3, cols], base[0, 3, cols], atol=1e-5)
    assert f2[0, 3, 2 * R_WRIST] == 0 and f2[0, 3, 2 * R_WRIST + 1] == 0
    assert f2[0, 3, J2 + R_WRIST] == 0 and base[0, 3, J2 + R_WRIST] == 1  # mask channel
    assert (f2[0, :, J2 + L_EYE] == 0).all()
    # velocity into and out of the gap is 0, not a jump to the image origin
    v0 = J2 + NUM_JOINTS
    assert f2[0, 3, v0 + 2 * R_WRIST] == 0 and f2[0, 4, v0 + 2 * R_WRIST] == 0


def test_missing_neck_falls_back_to_hips_without_jump():
    w = _windows(b=1, t=6)
    full = window_features(w)
    w[0, 2, NECK] = 0.0
    f = window_features(w)
    # Same hips and torso vector in every frame -> the fallback origin equals the neck.
    np.testing.assert_allclose(f[0, 2, 2 * L_ANKLE: 2 * L_ANKLE + 2],
                               full[0, 2, 2 * L_ANKLE: 2 * L_ANKLE + 2], atol=1e-5)


def test_all_missing_window_is_finite_zeros():
    f = window_features(np.zeros((2, 5, NUM_JOINTS, 3), np.float32))
    assert np.isfinite(f).all() and (f == 0).all()


def test_velocities_are_frame_differences():
    w = _windows(b=1, t=4)
    w[0, :, R_WRIST, 0] = 300 + np.arange(4) * 10.0  # 10 px per frame to the right
    f = window_features(w, FeatureConfig(root_motion=False))
    torso = np.hypot(0, 100)  # neck (300,200) to hip midpoint (300,300)
    vx = f[0, 1:, J2 + NUM_JOINTS + 2 * R_WRIST]
    np.testing.assert_allclose(vx, 10 / torso, rtol=1e-4)


def test_root_motion_tracks_body_displacement():
    w = _windows(b=1, t=4)
    w[0, :, :, 0] += (np.arange(4) * 20.0)[:, None]  # walking right, 20 px per frame
    w[..., 2] = np.where(w[..., 0] > 0, w[..., 2], 0)
    w[:, :, L_EYE] = 0.0
    f = window_features(w)
    np.testing.assert_allclose(f[0, :, -2], (np.arange(4) - 3) * 20 / 100.0, atol=1e-4)
    np.testing.assert_allclose(f[0, :, -1], 0.0, atol=1e-4)
    # vertical only: walking across the image leaves no trace, bending down does
    cfg = FeatureConfig(root_motion_horizontal=False)
    assert cfg.num_features == 91
    np.testing.assert_allclose(window_features(w, cfg)[0, :, -1], 0.0, atol=1e-4)
    w[0, :, :, 1] += (np.arange(4) * 10.0)[:, None]
    w[:, :, L_EYE] = 0.0
    np.testing.assert_allclose(window_features(w, cfg)[0, :, -1], (np.arange(4) - 3) * 0.1,
                               atol=1e-4)


def test_config_round_trip_and_validation():
    cfg = FeatureConfig(velocities=False)
    assert FeatureConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="unknown feature option"):
        FeatureConfig.from_dict({"colour": True})


def test_mirror_swaps_left_and_right():
    w = _windows(b=1, t=2)
    w[0, :, R_WRIST, :2] = [200, 250]  # right wrist far image-left
    w[0, :, L_WRIST, :2] = [330, 250]
    m = mirror(w, np.array([True]))
    present = w[0, 0, :, 2] > 0
    cx = w[0][..., 0][w[0][..., 2] > 0].mean()
    # the new left wrist is the old right wrist reflected about the window's mean x
    np.testing.assert_allclose(m[0, 0, L_WRIST, 0], 2 * cx - 200, atol=1e-3)
    np.testing.assert_allclose(m[0, 0, R_WRIST, 0], 2 * cx - 330, atol=1e-3)
    # the never-detected left eye is now the (missing) right eye
    assert m[0, 0, FLIP_PERMUTATION[L_EYE]].tolist() == [0, 0, 0]
    assert (m[0, 0, :, 2] > 0).sum() == present.sum()
    # mirroring twice is the identity
    np.testing.assert_allclose(mirror(m, np.array([True])), w, atol=1e-3)
    # features of a mirrored window: the left shoulder channel holds the old right shoulder
    f, fm = window_features(w), window_features(m)
    np.testing.assert_allclose(fm[0, 0, 2 * L_SHOULDER], -f[0, 0, 2 * R_SHOULDER], atol=1e-4)


def test_augment_keeps_missing_joints_missing_and_changes_present_ones():
    w = _windows()
    rng = np.random.default_rng(0)
    a = augment_windows(w, rng, AugmentConfig(mirror=0.0, joint_dropout=0.2))
    assert a.shape == w.shape and a.dtype == np.float32
    assert (a[:, :, L_EYE] == 0).all()
    missing = a[..., 2] == 0
    assert (a[missing] == 0).all()
    assert missing.sum() > (w[..., 2] == 0).sum()  # dropout removed some joints
    assert not np.allclose(a[~missing][:, :2], w[~missing][:, :2])


def test_simulate_low_fps_interpolates_between_kept_frames():
    from har_ros.augment import simulate_low_fps

    w = _windows(b=2, t=7)
    w[:, :, R_WRIST, 0] = np.array([0, 5, 1, 9, 2, 7, 3], np.float32) + 100
    w[1, 3, L_SHOULDER] = 0.0  # missing at a kept frame -> missing around it
    s = simulate_low_fps(w, 3)  # kept frames 0, 3, 6 (counted back from the last)
    np.testing.assert_allclose(s[0, :, R_WRIST, 0] - 100, [0, 3, 6, 9, 7, 5, 3], atol=1e-4)
    assert (s[1, 1:6, L_SHOULDER] == 0).all() and s[1, 6, L_SHOULDER, 2] == 1


ALL_CONFIGS = [FeatureConfig(n, m, v, r, h, scale_shoulders=s)
               for n in (True, False) for m in (True, False) for v in (True, False)
               for r in (True, False) for h in (True, False) for s in (True, False)]


def _adversarial_windows(seed: int = 0) -> np.ndarray:
    """Windows that exercise every fallback of the body frame: sparse joints, no neck, no
    hips, no shoulders, nobody at all, NaN / inf coordinates and confidences, negatives."""
    rng = np.random.default_rng(seed)
    w = _windows(b=64, t=12, seed=seed)
    w[..., :2] += rng.normal(0, 5, w[..., :2].shape).astype(np.float32)
    w[rng.random(w.shape[:3]) < 0.25] = 0.0
    w[1:4, :, NECK] = 0.0
    w[2:5, :, R_HIP] = 0.0
    w[3:6, :, [R_SHOULDER, L_SHOULDER]] = 0.0
    w[6, ::2] = 0.0
    w[7] = 0.0
    w[8, :, :, 2] = -1.0
    w[9, 3, 4, 0] = np.nan
    w[10, 5, NECK, 1] = np.inf
    w[11, :, 2, 2] = np.nan
    w[12, :6] = 0.0
    w[13, 6:] = 0.0
    w[14, :, [NECK, R_HIP, L_HIP]] = 0.0
    w[15, :, 1:] = 0.0  # one joint only (the nose)
    return w


def test_compiled_kernel_matches_the_numpy_reference_on_adversarial_windows():
    """The compiled feature loops equal the numpy code that trained the shipped models, for
    every channel option and every origin/scale fallback (float32 rounding apart)."""
    from feature_reference import reference_window_features

    w = _adversarial_windows()
    for cfg in ALL_CONFIGS:
        got, ref = window_features(w, cfg), reference_window_features(w, cfg)
        assert got.shape == ref.shape == (64, 12, cfg.num_features)
        np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5, err_msg=str(cfg))
        assert np.isfinite(got).all()
    for t in (1, 2):  # windows shorter than any model's, still defined
        np.testing.assert_allclose(window_features(w[:, :t]), reference_window_features(w[:, :t]),
                                   rtol=1e-5, atol=1e-5)


def test_compiled_kernel_matches_the_numpy_reference_on_real_windows(shared_data):
    """Every window of two UTD-MHAD subjects and of Penn Action clips with invisible joints."""
    from feature_reference import reference_window_features

    from har_ros.data.penn import load_penn_clip
    from har_ros.data.utd import load_utd_mhad
    from har_ros.training import build_windows

    utd = load_utd_mhad(shared_data / "utd_mhad", subjects=[2, 7])
    penn = [load_penn_clip(p, invisible_as_missing=True)[0]
            for p in sorted((shared_data / "penn_action" / "labels").glob("*.mat"))[:60]]
    for seqs in (utd.sequences, penn):
        wi = build_windows(seqs, 15.0, 30, 3)
        w = wi.gather(np.arange(len(wi)))
        assert len(w) > 300
        for cfg in (FeatureConfig(), FeatureConfig(root_motion_horizontal=False),
                    FeatureConfig(scale_shoulders=True), FeatureConfig.predecessor()):
            np.testing.assert_allclose(window_features(w, cfg),
                                       reference_window_features(w, cfg), rtol=1e-5, atol=1e-5)


def test_shoulder_scale_keeps_the_body_size_when_a_camera_looks_down():
    """Seen from above, the torso shortens in the image and the shoulders do not: with
    scale_shoulders the window scale (here read from the wrists' normalised x) stays, with
    the torso alone it grows ~3x. Seen from the side (shoulders narrow), both use the torso."""
    w = _windows(b=1, t=6)
    w[..., R_SHOULDER, :2] = [265, 205]
    w[..., L_SHOULDER, :2] = [335, 205]  # 70 px wide: 1.4 x 70 = 98 px ~ the 100 px torso
    down = w.copy()
    down[..., 1] = 200 + (w[..., 1] - 200) * 0.34  # elevation ~70 degrees: y shrinks
    side = w.copy()
    side[..., 0] = 300 + (w[..., 0] - 300) * 0.2  # from the side: x shrinks
    xs = [R_WRIST * 2, L_WRIST * 2]
    for cfg, ratio in ((FeatureConfig(scale_shoulders=True), 1.0), (FeatureConfig(), 1 / 0.34)):
        f, fd = window_features(w, cfg), window_features(down, cfg)
        np.testing.assert_allclose(fd[..., xs], f[..., xs] * ratio, rtol=0.05)
    for cfg in (FeatureConfig(scale_shoulders=True), FeatureConfig()):
        np.testing.assert_allclose(window_features(side, cfg)[..., xs],
                                   window_features(w, cfg)[..., xs] * 0.2, rtol=1e-4)


def test_channel_joints_names_the_joint_behind_every_channel():
    """Each channel is exactly 0 when its joint is missing (the LSTM kernel relies on it)."""
    from har_ros.features import channel_joints

    w = _windows(b=1, t=6)
    for cfg in ALL_CONFIGS:
        cj = channel_joints(cfg)
        assert cj.shape == (cfg.num_features,)
        for j in range(NUM_JOINTS):
            gone = w.copy()
            gone[:, :, j] = 0.0
            f = window_features(gone, cfg)
            assert (f[..., cj == j] == 0).all()
            if (j != NECK or not cfg.normalise) and j != L_EYE:  # neck: origin; L_EYE: absent
                assert (window_features(w, cfg)[..., cj == j] != 0).any()


def test_augment_all_missing_window_stays_empty_without_warnings():
    import warnings

    w = _windows(b=2, t=4)
    w[1] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = augment_windows(w, np.random.default_rng(1), AugmentConfig(low_fps=1.0))
    assert (a[1] == 0).all() and np.isfinite(a).all()


def test_unused_joints_count_as_missing():
    """``joints`` (a model's joint mask) gives the features of windows without those joints."""
    from har_ros.skeleton import keep_joints

    w = _adversarial_windows(seed=3)
    joints = np.ones(NUM_JOINTS, bool)
    joints[[L_EYE, R_WRIST, NECK]] = False
    for cfg in ALL_CONFIGS[::3]:
        np.testing.assert_array_equal(window_features(w, cfg, joints),
                                      window_features(keep_joints(w, joints), cfg))


def _numpy_smooth(w: np.ndarray, passes: int) -> np.ndarray:
    """Reference for ``smooth_passes``: the [1/4, 1/2, 1/4] filter over present triples."""
    out = np.array(w, np.float32)
    present = (w[..., 2] > 0) & np.isfinite(w[..., :2]).all(-1)
    ok = present[:, :-2] & present[:, 1:-1] & present[:, 2:]
    for _ in range(passes):
        src = out.copy()
        mid = 0.25 * src[:, :-2, :, :2] + 0.5 * src[:, 1:-1, :, :2] + 0.25 * src[:, 2:, :, :2]
        out[:, 1:-1, :, :2] = np.where(ok[..., None], mid, src[:, 1:-1, :, :2])
    return out


def test_smoothing_is_the_documented_filter_on_every_channel_option():
    """smooth_passes k = the reference filter applied k times, then the unsmoothed features;
    first and last frames stay as detected; a joint missing next door is not smoothed."""
    from feature_reference import reference_window_features

    w = _adversarial_windows()
    for passes in (1, 2):
        for cfg in ALL_CONFIGS:
            smoothed = FeatureConfig(**{**cfg.to_dict(), "smooth_passes": passes})
            # atol: raw-pixel channels (normalise off) are float32 values in the hundreds,
            # whose last bit is 3e-5 to 6e-5; the compiled loop and numpy may round the
            # weighted sums differently (fused multiply-add)
            np.testing.assert_allclose(window_features(w, smoothed),
                                       reference_window_features(_numpy_smooth(w, passes), cfg),
                                       rtol=1e-5, atol=1e-4, err_msg=str(smoothed))


def test_smoothing_damps_jitter_and_keeps_steady_motion():
    """Frame-to-frame jitter loses most of its velocity energy; a joint moving at constant
    speed keeps its velocity (the filter is linear-phase)."""
    rng = np.random.default_rng(0)
    w = np.zeros((1, 30, NUM_JOINTS, 3), np.float32)
    w[..., 2] = 1.0
    w[..., 1] = 200.0 + 10.0 * np.arange(NUM_JOINTS)[None, None]  # a body 170 px tall
    w[0, :, NECK, 1] = 100.0
    w[0, :, R_HIP, 1] = w[0, :, L_HIP, 1] = 150.0
    w[..., 0] = 300.0 + 2.0 * np.arange(30)[None, :, None]  # everyone drifts right
    jittered = w.copy()
    jittered[..., :2] += rng.normal(0.0, 2.0, jittered[..., :2].shape).astype(np.float32)
    plain, smooth = FeatureConfig(), FeatureConfig(smooth_passes=2)
    vel = slice(2 * NUM_JOINTS + NUM_JOINTS, 4 * NUM_JOINTS + NUM_JOINTS)
    inner = slice(3, 27)

    def noise(cfg: FeatureConfig) -> np.ndarray:
        return (window_features(jittered, cfg)[0, inner, vel]
                - window_features(w, cfg)[0, inner, vel])

    noise_plain, noise_smooth = noise(plain), noise(smooth)
    assert np.std(noise_smooth) < 0.5 * np.std(noise_plain)
    np.testing.assert_allclose(window_features(w, smooth), window_features(w, plain), atol=1e-5)
    with pytest.raises(ConfigError, match="smooth_passes"):
        FeatureConfig.from_dict({"smooth_passes": 99})
    with pytest.raises(ConfigError, match="smooth_passes"):
        FeatureConfig.from_dict({"smooth_passes": True})
