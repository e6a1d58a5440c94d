"""Decision layer: abstention, hysteresis, operator selection, fusion and heartbeat status."""

import numpy as np
import pytest

from har_ros import decisions as dec
from har_ros.status import Status

CFG = dec.DecisionConfig(confidence_threshold=0.5, smoothing=1.0, hysteresis=0.1,
                         stale_after_s=1.0, fusion_tolerance_s=0.2)
CLASSES = ["a", "b"]


def test_low_confidence_abstains_with_unknown():
    s = dec.Smoother(CFG)
    status, idx, conf, _ = s.update(np.array([0.4, 0.35, 0.25]))
    assert (status, idx) == (Status.LOW_CONFIDENCE, -1) and conf == pytest.approx(0.4)
    d = dec.classified(status, idx, conf, np.array([0.4, 0.35, 0.25]), ["a", "b", "c"], 1, 0,
                       ["c1"])
    assert (d.action, d.class_index, d.label) == ("unknown", -1, "unknown")


def test_hysteresis_keeps_label_until_clearly_beaten():
    s = dec.Smoother(CFG)
    assert s.update(np.array([0.7, 0.3]))[1] == 0
    status, idx, conf, _ = s.update(np.array([0.45, 0.55]))
    assert (status, idx) == (Status.LOW_CONFIDENCE, -1) and conf == pytest.approx(0.45), (
        "a 0.1 lead does not flip the label; the kept label is below threshold -> unknown")
    status, idx, _, _ = s.update(np.array([0.52, 0.48]))
    assert (status, idx) == (Status.OK, 0)
    status, idx, _, _ = s.update(np.array([0.3, 0.7]))
    assert (status, idx) == (Status.OK, 1)


def test_smoothing_averages_windows():
    s = dec.Smoother(dec.DecisionConfig(smoothing=0.5, confidence_threshold=0.0))
    s.update(np.array([1.0, 0.0]))
    _, _, _, p = s.update(np.array([0.0, 1.0]))
    np.testing.assert_allclose(p, [0.5, 0.5])


def _person(x0, y0, size, conf=0.9):
    s = np.zeros((18, 3), np.float32)
    s[:, 0] = x0 + np.linspace(0, size / 2, 18)
    s[:, 1] = y0 + np.linspace(0, size, 18)
    s[:, 2] = conf
    return s


def test_operator_is_most_prominent_or_in_region():
    skels = np.stack([_person(10, 10, 50), _person(300, 100, 200)])
    assert dec.select_operator(skels, ["a", "b"], None) == "b"
    assert dec.select_operator(skels, ["a", "b"], (0, 0, 100, 100)) == "a"
    assert dec.select_operator(skels, ["a", "b"], (500, 500, 600, 600)) is None
    assert dec.select_operator(np.zeros((0, 18, 3)), [], None) is None


def _operator_one_by_one(skeletons, track_ids, region):
    """The per-person loop select_operator replaced (vectorised: 0.3 ms less per frame)."""
    best, best_score = None, 0.0
    for skel, tid in zip(skeletons, track_ids, strict=True):
        present = skel[:, 2] > 0
        if not present.any():
            continue
        cx, cy = skel[1, :2] if skel[1, 2] > 0 else skel[present, :2].mean(axis=0)
        if region is not None and not (region[0] <= cx <= region[2]
                                       and region[1] <= cy <= region[3]):
            continue
        score = 0.0
        if present.sum() >= 2:
            xy = skel[present, :2]
            score = float(np.prod(xy.max(axis=0) - xy.min(axis=0))) * float(
                skel[present, 2].mean())
        if best is None or score > best_score:
            best, best_score = tid, score
    return best


def test_operator_choice_equals_the_one_by_one_definition():
    rng = np.random.default_rng(5)
    for trial in range(300):
        p = int(rng.integers(0, 6))
        skels = np.stack([_person(*rng.uniform(0, 400, 2), rng.uniform(5, 300),
                                  rng.uniform(0.2, 1)) for _ in range(p)]) if p else \
            np.zeros((0, 18, 3), np.float32)
        skels[rng.random(skels.shape[:2]) < rng.uniform(0, 0.95)] = 0.0  # missing joints
        if p and trial % 7 == 0:
            skels[0] = skels[-1]  # equals: the first wins
        ids = [f"t{k}" for k in range(p)]
        for region in (None, (0, 0, 250, 250), (100, 50, 500, 480)):
            assert dec.select_operator(skels, ids, region) == _operator_one_by_one(
                skels, ids, region), (trial, region)


def test_fusion_is_a_normalised_product_within_tolerance():
    p, cams, start, end = dec.fuse(
        [("c1", np.array([0.8, 0.2]), 0, 1_000_000_000),
         ("c2", np.array([0.6, 0.4]), 0, 1_100_000_000),
         ("old", np.array([0.0, 1.0]), 0, 500_000_000)], tolerance_s=0.2)
    assert cams == ["c1", "c2"] and end == 1_100_000_000
    expected = np.sqrt(np.array([0.8 * 0.6, 0.2 * 0.4]))
    np.testing.assert_allclose(p, expected / expected.sum(), rtol=1e-5)


def test_heartbeat_statuses_never_repeat_a_stale_label_as_ok():
    f = dec.OperatorFusion(CFG, CLASSES)
    assert f.heartbeat(0.0).status == Status.STALE  # nothing ever arrived
    f.note_frame("c1", 5_000_000_000, received_s=10.0, operator=None)
    assert f.heartbeat(10.1).status == Status.NO_PERSON
    f.note_frame("c1", 5_100_000_000, received_s=10.1, operator="c1/1")
    assert f.heartbeat(10.2).status == Status.WARMING_UP
    f.note_window("c1", "c1/1", np.array([0.9, 0.1]), 4_100_000_000, 5_100_000_000)
    d = f.heartbeat(10.2)
    assert (d.status, d.class_index, d.stamp_ns, d.window_start_ns) == (
        Status.OK, 0, 5_100_000_000, 4_100_000_000)
    stale = f.heartbeat(11.5)  # camera silent for 1.4 s > stale_after_s
    assert stale.status == Status.STALE and stale.class_index == -1


def test_a_dead_camera_degrades_fusion_without_blocking_it():
    f = dec.OperatorFusion(CFG, CLASSES)
    for cam, p in (("c1", [0.9, 0.1]), ("c2", [0.2, 0.8])):
        f.note_frame(cam, 5_000_000_000, 10.0, f"{cam}/1")
        f.note_window(cam, f"{cam}/1", np.array(p), 4_000_000_000, 5_000_000_000)
    assert sorted(f.heartbeat(10.1).cameras) == ["c1", "c2"]
    f.note_frame("c1", 5_500_000_000, 10.9, "c1/1")
    f.note_window("c1", "c1/1", np.array([0.9, 0.1]), 4_500_000_000, 5_500_000_000)
    d = f.heartbeat(11.3)  # c2 silent since 10.0
    assert d.status == Status.OK and d.cameras == ["c1"] and d.class_index == 0


def _ok_view(fusion, camera, end_ns, probs=(0.9, 0.1), received_s=0.0):
    fusion.note_frame(camera, end_ns, received_s, f"{camera}/1")
    fusion.note_window(camera, f"{camera}/1", np.array(probs, np.float32), end_ns - 10**9,
                       end_ns)


@pytest.mark.reliability("camera stamps jump back (bag loop) after a decision",
                         "old view dropped, decisions follow the new stamps (no freeze)")
def test_fusion_follows_a_camera_clock_that_jumps_back():
    f = dec.OperatorFusion(CFG, CLASSES)
    _ok_view(f, "cam", 3600 * 10**9, (0.9, 0.1), received_s=10.0)
    assert f.heartbeat(10.1).status == Status.OK
    _ok_view(f, "cam", 5 * 10**9, (0.1, 0.9), received_s=10.2)  # back by an hour
    d = f.heartbeat(10.3)
    assert (d.status, d.class_index, d.stamp_ns) == (Status.OK, 1, 5 * 10**9), (
        "the decision is the new view's, not the one stamped an hour ahead")
    assert f.clock_jumps == 1


@pytest.mark.reliability("camera keeps sending the same stamp (frozen camera clock)",
                         "operator decision goes STALE after stale_after_s, never stays OK")
def test_a_frozen_camera_clock_goes_stale():
    f = dec.OperatorFusion(CFG, CLASSES)
    _ok_view(f, "cam", 100 * 10**9, received_s=0.0)
    for now in np.arange(0.1, 3.0, 0.1):
        f.note_frame("cam", 100 * 10**9, now, "cam/1")  # duplicate stamp, new arrival
    assert f.heartbeat(3.0).status == Status.STALE


@pytest.mark.reliability("a view whose window ends after the camera's newest stamp",
                         "never fused (WARMING_UP instead of OK)")
def test_a_view_ahead_of_its_camera_is_not_presented():
    f = dec.OperatorFusion(CFG, CLASSES)
    f.note_frame("cam", 100 * 10**9, 0.0, "cam/1")
    f.note_window("cam", "cam/1", np.array([0.9, 0.1]), 3599 * 10**9, 3600 * 10**9)
    assert f.heartbeat(0.1).status == Status.WARMING_UP


@pytest.mark.reliability("node clock jumps back (replay restarted with /clock)",
                         "freshness counts from the new now: STALE after stale_after_s")
def test_a_node_clock_going_back_does_not_freeze_freshness():
    f = dec.OperatorFusion(CFG, CLASSES)
    _ok_view(f, "cam", 100 * 10**9, received_s=100.0)
    assert f.heartbeat(100.1).status == Status.OK
    assert f.heartbeat(10.0).status == Status.OK  # just heard, on the new time line
    assert f.heartbeat(11.5).status == Status.STALE, "not fresh until the clock reaches 100 s again"


def _camera_at(fusion, camera, rate_hz, frames, t0_s=10.0):
    """``frames`` frames of a camera at ``rate_hz`` (stamps and arrivals alike), the last one
    with a classified operator view; returns the last arrival time (s)."""
    dt = 1.0 / rate_hz
    for k in range(frames):
        t = t0_s + k * dt
        fusion.note_frame(camera, int(t * 1e9), t, "cam/1")
    fusion.note_window(camera, "cam/1", np.array([0.9, 0.1]), int((t - 2) * 1e9), int(t * 1e9))
    return t


@pytest.mark.reliability("a 10 fps camera stops sending",
                         "STALE after 3 of its frame intervals (0.3 s), not after stale_after_s")
def test_a_fast_cameras_outage_is_stale_after_a_few_missing_frames():
    f = dec.OperatorFusion(CFG, CLASSES)
    last = _camera_at(f, "cam", 10.0, 20)
    assert f.heartbeat(last + 0.29).status == Status.OK
    assert f.heartbeat(last + 0.31).status == Status.STALE
    # judged by stale_after_s alone when the option is off
    off = dec.OperatorFusion(dec.DecisionConfig(stale_after_frames=0), CLASSES)
    last = _camera_at(off, "cam", 10.0, 20)
    assert off.heartbeat(last + 0.9).status == Status.OK
    assert off.heartbeat(last + 1.01).status == Status.STALE


def test_stale_by_rate_is_bounded_by_stale_after_s_and_a_floor():
    cfg = dec.DecisionConfig()
    slow = dec.OperatorFusion(cfg, CLASSES)  # 2 fps: 3 intervals = 1.5 s > stale_after_s
    last = _camera_at(slow, "cam", 2.0, 10)
    assert slow.stale_limit("cam") == cfg.stale_after_s
    assert slow.heartbeat(last + 0.9).status == Status.OK
    fast = dec.OperatorFusion(cfg, CLASSES)  # 100 fps: 3 intervals = 0.03 s < the floor
    last = _camera_at(fast, "cam", 100.0, 50)
    assert fast.stale_limit("cam") == pytest.approx(dec.MIN_STALE_S)
    assert fast.heartbeat(last + 0.2).status == Status.OK
    # too few frames to know the rate: stale_after_s
    new = dec.OperatorFusion(cfg, CLASSES)
    _camera_at(new, "cam", 10.0, 3)
    assert new.stale_limit("cam") == cfg.stale_after_s


def test_an_outage_does_not_count_as_the_cameras_rate():
    f = dec.OperatorFusion(CFG, CLASSES)
    last = _camera_at(f, "cam", 10.0, 20)
    # silent for 2 s (stale), then back at 10 fps: the 2 s gap is not an interval
    _camera_at(f, "cam", 10.0, 6, t0_s=last + 2.0)
    assert f.stale_limit("cam") == pytest.approx(0.3)
