"""Resampling to the model rate, gap handling, subsampling, windows."""

from __future__ import annotations

import numpy as np
import pytest

from har_ros.data.common import SkeletonSequence
from har_ros.errors import ConfigError
from har_ros.resample import (
    frames_for,
    resample_sequence,
    resample_skeletons,
    sliding_windows,
    subsample,
)
from har_ros.skeleton import NUM_JOINTS, R_WRIST


def _linear(t_s: np.ndarray) -> np.ndarray:
    """Joints moving linearly in time: x = 100 + 30*t + j, y = 50 + j (pixels)."""
    sk = np.zeros((t_s.size, NUM_JOINTS, 3), np.float32)
    j = np.arange(NUM_JOINTS)
    sk[..., 0] = 100 + 30 * t_s[:, None] + j
    sk[..., 1] = 50 + j
    sk[..., 2] = 1.0
    return sk


def test_30_to_10_fps_picks_exact_frames():
    t = np.arange(30) / 30.0
    sk = _linear(t)
    out, ts = resample_skeletons(sk, t, 10.0)
    np.testing.assert_allclose(ts, np.arange(10) / 10.0, atol=1e-9)
    np.testing.assert_allclose(out, sk[::3], atol=1e-4)


def test_upsampling_interpolates_linearly():
    t = np.arange(6) / 5.0  # 5 fps
    out, ts = resample_skeletons(_linear(t), t, 15.0)
    np.testing.assert_allclose(out, _linear(ts), atol=1e-3)


def test_short_gap_interpolated_long_gap_stays_missing():
    t = np.arange(20) / 30.0
    sk = _linear(t)
    sk[5:7, R_WRIST] = 0.0     # 2 frames missing: neighbours 0.1 s apart -> bridged
    sk[10:19, R_WRIST] = 0.0   # 9 frames missing: neighbours 0.33 s apart -> not bridged
    out, ts = resample_skeletons(sk, t, 30.0, max_gap_s=0.2)
    ref = _linear(ts)
    np.testing.assert_allclose(out[5:7, R_WRIST], ref[5:7, R_WRIST], atol=1e-3)
    assert (out[10:19, R_WRIST] == 0).all()
    assert (out[10:19, R_WRIST - 1, 2] == 1).all()  # other joints unaffected
    assert out[19, R_WRIST, 2] == 1


def test_irregular_stamps_and_jitter():
    rng = np.random.default_rng(0)
    t = np.cumsum(rng.uniform(0.05, 0.12, 30))
    out, ts = resample_skeletons(_linear(t), t, 15.0)
    assert ts[0] == t[0] and ts[-1] <= t[-1]
    np.testing.assert_allclose(out, _linear(ts), atol=1e-3)


def test_per_frame_labels_follow_last_input_frame():
    t = np.arange(9) / 30.0
    seq = SkeletonSequence(_linear(t), t, np.array([0, 0, 0, 0, 1, 1, 1, 1, 1]))
    r = resample_sequence(seq, 10.0)  # output times 0, 0.1, 0.2 s = input frames 0, 3, 6
    assert r.label.tolist() == [0, 0, 1]
    t2 = np.array([0, 0.03, 0.06, 0.09, 0.095, 0.15, 0.2, 0.25, 0.3])
    seq2 = SkeletonSequence(_linear(t2), t2, seq.label)  # frame 4 (label 1) is last before 0.1 s
    assert resample_sequence(seq2, 10.0).label.tolist() == [0, 1, 1, 1]


def test_subsample_then_resample_to_model_rate():
    t = np.arange(60) / 30.0
    seq = SkeletonSequence(_linear(t), t, 3)
    low = subsample(seq, 5.0)
    np.testing.assert_allclose(np.diff(low.stamps_s), 0.2, atol=1e-9)
    back = resample_sequence(low, 15.0)
    np.testing.assert_allclose(back.skeletons, _linear(back.stamps_s), atol=1e-3)


def test_sliding_windows_and_padding():
    sk = _linear(np.arange(10) / 10.0)
    w, ends = sliding_windows(sk, 4, 3)
    assert w.shape == (3, 4, NUM_JOINTS, 3) and ends.tolist() == [3, 6, 9]
    np.testing.assert_array_equal(w[1], sk[3:7])
    short, e = sliding_windows(sk[:2], 4, 1)
    assert short.shape == (1, 4, NUM_JOINTS, 3) and e.tolist() == [1]
    np.testing.assert_array_equal(short[0, :3], np.repeat(sk[:1], 3, axis=0))


def test_last_window_ends_at_last_frame():
    sk = _linear(np.arange(11) / 10.0)
    _, ends = sliding_windows(sk, 4, 3)
    assert ends.tolist() == [3, 6, 9, 10]


def test_frames_for():
    assert frames_for(2.0, 15.0) == 30
    with pytest.raises(ConfigError):
        frames_for(0.0, 15.0)


def test_compiled_resampling_equals_the_numpy_reference():
    """Jittered and irregular stamps, dropped joints and frames, NaN / inf values, gaps longer
    than max_gap, output grids before, inside and after the input, one-frame inputs, and the
    live node's grid (padded with the first stamp)."""
    from resample_reference import reference_resample_skeletons

    rng = np.random.default_rng(11)
    for trial in range(200):
        n = int(rng.integers(1, 60))
        t = np.cumsum(rng.choice([1 / 30, 1 / 15, 0.01, 0.25, 0.6], n, p=[.5, .2, .1, .1, .1]))
        t += rng.normal(0, 0.002, n) * (trial % 2)
        t = np.sort(t)
        sk = _linear(t) + rng.normal(0, 3, (n, NUM_JOINTS, 3)).astype(np.float32)
        sk[..., 2] = rng.uniform(-0.2, 1, (n, NUM_JOINTS))
        sk[rng.random((n, NUM_JOINTS)) < 0.2] = 0.0
        if trial % 5 == 0:
            sk[rng.integers(n), rng.integers(NUM_JOINTS), rng.integers(3)] = np.nan
        if trial % 9 == 0:
            sk[rng.integers(n), rng.integers(NUM_JOINTS), 0] = np.inf
        rate = float(rng.choice([5.0, 15.0, 30.0, 22.0]))
        gap = float(rng.choice([0.0, 0.1, 0.3, 0.5]))
        grids = [None, np.maximum(t[-1] - np.arange(29, -1, -1) / 15.0, t[0]),
                 t[0] - 0.5 + np.arange(40) / 20.0, t.copy()]
        for grid in grids:
            got, t_got = resample_skeletons(sk, t, rate, gap, grid)
            with np.errstate(invalid="ignore"):  # the reference multiplies inf by 0
                ref, t_ref = reference_resample_skeletons(sk, t, rate, gap, grid)
            np.testing.assert_array_equal(t_got, t_ref)
            np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-4, err_msg=str(trial))
            np.testing.assert_array_equal(got[..., 2] > 0, ref[..., 2] > 0)
