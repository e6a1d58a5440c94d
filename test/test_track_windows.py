"""Per-track online windows: time base, strides, gaps, out-of-order input, bounded memory."""

import numpy as np
import pytest

from har_ros.errors import ConfigError
from har_ros.track_windows import TrackWindows, WindowSpec


def _skel(x: float) -> np.ndarray:
    s = np.zeros((18, 3), np.float32)
    s[:, 0], s[:, 1], s[:, 2] = x, 2 * x, 1.0
    return s


SPEC = WindowSpec(window_frames=10, stride_frames=5, rate_hz=10.0, min_fill=1.0)


def feed(tw, key, times, value=lambda t: 100 * t):
    return [tw.observe(key, t, _skel(value(t))) for t in times]


@pytest.mark.parametrize("fps", [30.0, 10.0, 5.0])
def test_windows_are_resampled_to_model_rate_whatever_the_input_rate(fps):
    tw = TrackWindows(SPEC)
    times = 1000.0 + np.arange(0, 3.0, 1 / fps)
    out = [w for w in feed(tw, "a", times) if w is not None]
    assert out, "a 3 s stream must yield windows"
    w = out[0]
    assert w.window.shape == (10, 18, 3)
    assert w.end_s - w.start_s == pytest.approx(0.9)
    grid = w.start_s + np.arange(10) / 10.0
    np.testing.assert_allclose(w.window[:, 0, 0], 100 * grid, rtol=1e-5)  # linear motion
    ends = [o.end_s for o in out]
    assert np.all(np.diff(ends) >= 0.5 - 1e-6), "one window per stride (0.5 s)"


def test_out_of_order_and_duplicate_stamps_are_dropped_and_counted():
    tw = TrackWindows(SPEC)
    feed(tw, "a", [1.0, 1.1, 1.2])
    assert tw.observe("a", 1.2, _skel(0)) is None
    assert tw.observe("a", 1.05, _skel(0)) is None
    assert tw.dropped_out_of_order == 2
    feed(tw, "b", [1.0])  # another track has its own clock
    assert tw.dropped_out_of_order == 2


def test_long_gap_resets_the_window():
    tw = TrackWindows(SPEC)
    assert any(feed(tw, "a", np.arange(0, 1.5, 0.1)))
    after = feed(tw, "a", 5.0 + np.arange(0, 0.8, 0.1))
    assert tw.resets == 1 and not any(after), "no window until a whole new one is buffered"
    assert tw.is_warming_up("a")


def test_short_dropouts_are_bridged_but_missing_joints_stay_missing():
    tw = TrackWindows(SPEC)
    times = [t for t in np.arange(0, 1.2, 0.1) if not 0.45 < t < 0.65]  # 0.3 s hole
    w = [o for o in feed(tw, "a", times) if o is not None][-1]
    assert (w.window[:, 0, 2] > 0).all()
    tw2 = TrackWindows(SPEC)
    skel = _skel(1)
    skel[4] = 0  # r_wrist never seen
    out = [tw2.observe("a", t, skel) for t in np.arange(0, 1.2, 0.1)]
    windows = [o for o in out if o is not None]
    assert windows and all((w.window[:, 4] == 0).all() for w in windows)


def test_memory_is_bounded_and_vanished_tracks_are_forgotten():
    tw = TrackWindows(SPEC)
    feed(tw, "a", np.arange(0, 60, 1 / 30))
    assert len(tw._buffers["a"].stamps) <= (SPEC.window_s + SPEC.max_gap_s) * 30 + 2
    feed(tw, "b", [61.0])
    assert tw.forget_stale(63.5) == ["a"]  # a last seen at ~59.97, b at 61.0; limit 3 s
    assert tw.keys() == {"b"}
    assert tw.forget_stale(64.5) == ["b"] and len(tw) == 0


def test_invalid_spec_is_rejected():
    with pytest.raises(ConfigError):
        WindowSpec(window_frames=1, stride_frames=1, rate_hz=10).validate()
    with pytest.raises(ConfigError):
        WindowSpec(10, 5, 10.0, max_gap_s=2.0, gap_reset_s=1.0).validate()


def test_sanitize_rejects_nan_and_far_out_of_image_joints():
    from har_ros.frames import sanitize_skeletons

    s = np.zeros((1, 18, 3), np.float32)
    s[0, :, :] = (100, 100, 0.9)
    s[0, 1, 0] = np.nan
    s[0, 2, 0] = 1e9
    s[0, 3, 2] = 7.0  # confidence out of range
    s[0, 4, :2] = (-10, 500)  # slightly outside 640x480: kept (10 % margin)
    clean, rejected = sanitize_skeletons(s, 640, 480)
    assert rejected == 3
    assert (clean[0, 1:4] == 0).all() and clean[0, 4, 2] == pytest.approx(0.9)
    assert clean[0, 0, 2] == pytest.approx(0.9)


def test_partly_filled_window_is_padded_with_the_first_observation():
    spec = WindowSpec(window_frames=10, stride_frames=5, rate_hz=10.0, min_fill=0.5)
    tw = TrackWindows(spec)
    out = feed(tw, "a", 7.0 + np.arange(0, 1.0, 0.1))
    first = next(o for o in out if o is not None)
    assert first.end_s == pytest.approx(7.5) and first.start_s == pytest.approx(7.0)
    lead = first.window[:5, 0, 0]
    np.testing.assert_allclose(lead, 700.0)  # padded with the first frame (x = 100 * t)
    np.testing.assert_allclose(first.window[5:, 0, 0], 100 * (7.0 + np.arange(1, 6) / 10),
                               rtol=1e-5)
    assert all(o is None for o in out[:5]), "nothing before half a window"


@pytest.mark.reliability("a track's stamps jump back 1 h (bag loop, clock reset)",
                         "window restarts from the new frame (counted), windows resume")
def test_a_backwards_jump_restarts_the_window_instead_of_blocking_the_track():
    tw = TrackWindows(SPEC)
    feed(tw, "a", 3600.0 + np.arange(0, 1.5, 0.1))  # one frame an hour ahead, then real time
    after = [w for w in feed(tw, "a", 10.0 + np.arange(0, 2.0, 0.1)) if w is not None]
    assert after and after[0].end_s == pytest.approx(10.9), "a whole new window, then strides"
    assert tw.jumps_back == 1 and tw.dropped_out_of_order == 0
    assert tw.observe("a", 11.5, _skel(0)) is None and tw.dropped_out_of_order == 1, (
        "older by less than gap_reset_s is still dropped as out of order")


@pytest.mark.reliability("a track fed only a stamp far ahead, then nothing usable",
                         "forgotten after forget_after_s of node time (by arrival)")
def test_tracks_are_forgotten_by_arrival_as_well_as_by_stamp():
    tw = TrackWindows(SPEC)
    tw.observe("poisoned", 3600.0, _skel(0), now_s=100.0)
    for t in np.arange(0, 5.0, 0.1):
        tw.observe("live", 100.0 + t, _skel(1), now_s=100.0 + t)
        tw.forget_stale(100.0 + t, now_s=100.0 + t)
    assert tw.keys() == {"live"}, "the stamp an hour ahead is never 'behind' the newest stamp"
    # a node clock that went back (replay restarted with /clock) does not forget live tracks
    tw.forget_stale(104.9, now_s=50.0)
    assert tw.keys() == {"live"}


@pytest.mark.reliability("image_width/height 0 or absurd with coordinates of 3e38 px",
                         "joints rejected by an absolute bound (100000 px), counted")
@pytest.mark.parametrize("size", [(0, 0), (-5, 480), (2**31 - 1, 2**31 - 1)])
def test_no_image_size_does_not_switch_the_plausibility_check_off(size):
    from har_ros.frames import sanitize_skeletons

    s = np.zeros((1, 18, 3), np.float32)
    s[0, :, :] = (300, 200, 0.9)
    s[0, 1, 0] = 3e38
    s[0, 2, 1] = -3e38
    s[0, 3, 0] = 200_000.0  # beyond the documented 100000 px bound
    clean, rejected = sanitize_skeletons(s, *size)
    assert rejected == 3 and (clean[0, 1:4] == 0).all()
    assert (clean[0, 4:, 2] == pytest.approx(0.9)) and clean[0, 0, 2] == pytest.approx(0.9)


@pytest.mark.reliability("two cameras whose clocks differ by 10 s",
                         "each camera's tracks forgotten only by its own stamps")
def test_forgetting_by_stamp_compares_only_tracks_of_the_same_clock():
    tw = TrackWindows(SPEC)
    tw.observe(("cam_b", "1"), 90.0, _skel(0), now_s=0.0)
    tw.observe(("cam_a", "1"), 100.0, _skel(0), now_s=0.0)
    tw.forget_stale(100.0, now_s=0.0, same_clock=lambda k: k[0] == "cam_a")
    assert tw.keys() == {("cam_a", "1"), ("cam_b", "1")}
    assert tw.forget_stale(104.0, now_s=0.1, same_clock=lambda k: k[0] == "cam_a") == [
        ("cam_a", "1")]
