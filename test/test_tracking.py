"""Tracker unit tests on synthetic skeletons: ids stay with people, never get reused."""

from __future__ import annotations

import numpy as np
import pytest

from har_ros.errors import ConfigError, InputError
from har_ros.skeleton import NECK, NUM_JOINTS
from har_ros.tracking import Tracker, TrackerConfig

# A 100-pixel-tall upright figure, COCO-18, relative to its neck.
_FIGURE = np.array(
    [
        [0, -15], [0, 0], [-12, 0], [-16, 20], [-18, 40], [12, 0], [16, 20], [18, 40],
        [-8, 45], [-8, 70], [-8, 95], [8, 45], [8, 70], [8, 95], [-4, -19], [4, -19],
        [-8, -17], [8, -17],
    ],
    dtype=np.float32,
)


def person(x: float, y: float = 100.0, conf: float = 0.8, scale: float = 1.0) -> np.ndarray:
    """(18, 3) skeleton with its neck at (x, y) pixels."""
    out = np.empty((NUM_JOINTS, 3), np.float32)
    out[:, :2] = _FIGURE * scale + (x, y)
    out[:, 2] = conf
    return out


def frame(*people: np.ndarray) -> np.ndarray:
    if not people:
        return np.zeros((0, NUM_JOINTS, 3), np.float32)
    return np.stack(people)


def ids_by_x(tracks) -> list[int]:
    """Track ids ordered by the neck's x position."""
    return [t.track_id for t in sorted(tracks, key=lambda t: t.skeleton[NECK, 0])]


def test_stable_ids_while_people_move():
    tracker = Tracker()
    first = ids_by_x(tracker.update(frame(person(100), person(300)), 0.0))
    assert len(set(first)) == 2
    for k in range(1, 30):
        tracks = tracker.update(frame(person(100 + 2 * k), person(300 - 2 * k)), k * 0.1)
        assert ids_by_x(tracks) == first


def test_order_of_detections_does_not_matter():
    tracker = Tracker()
    a, b = ids_by_x(tracker.update(frame(person(100), person(300)), 0.0))
    tracks = tracker.update(frame(person(302), person(101)), 0.1)
    assert [t.track_id for t in tracks] == [b, a]


def test_entering_and_leaving():
    tracker = Tracker(TrackerConfig(max_age_s=0.5))
    (a,) = [t.track_id for t in tracker.update(frame(person(100)), 0.0)]
    tracks = tracker.update(frame(person(100), person(400)), 0.1)
    assert ids_by_x(tracks)[0] == a
    b = ids_by_x(tracks)[1]
    assert b != a
    # b leaves; after max_age_s its track is gone and a newcomer at the same place gets a new id
    for k in range(2, 10):
        tracker.update(frame(person(100)), k * 0.1)
    assert [t.track_id for t in tracker.tracks] == [a]
    tracks = tracker.update(frame(person(100), person(400)), 1.0)
    assert ids_by_x(tracks)[0] == a
    assert ids_by_x(tracks)[1] not in (a, b)


def test_crossing_people_keep_their_ids():
    """Two people walk past each other; motion prediction keeps ids through the crossing."""
    tracker = Tracker()
    left, right = ids_by_x(tracker.update(frame(person(100), person(305)), 0.0))
    for k in range(1, 21):
        # Same height, 10 px per frame towards each other: between k = 10 and 11 each one is
        # nearer to where the other was, so only motion prediction can keep the ids right.
        xa, xb = 100 + 10 * k, 305 - 10 * k
        people = frame(person(xa), person(xb))
        tracks = tracker.update(people, k * 0.1)
        by_det = [t.track_id for t in tracks]
        assert by_det == [left, right], f"step {k}"
    # at the end the one that started on the left is on the right
    final = ids_by_x(tracks)
    assert final == [right, left]


def test_occlusion_gap_keeps_the_id():
    tracker = Tracker(TrackerConfig(max_age_s=1.0))
    a, b = ids_by_x(tracker.update(frame(person(100), person(300)), 0.0))
    for k in range(1, 6):  # b hidden for 0.5 s, a keeps walking
        tracker.update(frame(person(100 + k)), 0.1 * k)
    tracks = tracker.update(frame(person(106), person(302)), 0.6)
    assert ids_by_x(tracks) == [a, b]


def test_person_hidden_behind_another_while_crossing_keeps_the_id():
    tracker = Tracker(TrackerConfig(max_age_s=1.0))
    a, b = ids_by_x(tracker.update(frame(person(100), person(305)), 0.0))
    for k in range(1, 21):
        xa, xb = 100 + 10 * k, 305 - 10 * k
        hidden = 9 <= k <= 12  # b is behind a around the crossing
        people = frame(person(xa)) if hidden else frame(person(xa), person(xb))
        tracks = tracker.update(people, k * 0.1)
        assert [t.track_id for t in tracks] == ([a] if hidden else [a, b]), f"step {k}"


def test_gap_longer_than_max_age_gives_a_new_id():
    tracker = Tracker(TrackerConfig(max_age_s=0.3))
    (a,) = [t.track_id for t in tracker.update(frame(person(100)), 0.0)]
    tracker.update(frame(), 0.2)
    (b,) = [t.track_id for t in tracker.update(frame(person(100)), 0.5)]
    assert b != a


def test_stray_limb_detected_as_a_person_is_dropped():
    """A bottom-up estimator can emit a person's arm as an extra 'person' (seen on real video)."""
    tracker = Tracker()
    whole = person(100)
    arm = np.zeros((NUM_JOINTS, 3), np.float32)
    arm[5:8] = whole[5:8] + (3, 2, 0)  # l_shoulder, l_elbow, l_wrist again, slightly off
    arm[17] = whole[17]
    tracks = tracker.update(frame(whole, arm, person(300)), 0.0)
    assert len(tracks) == 2
    unfiltered = Tracker(TrackerConfig(drop_fragments=False))
    assert len(unfiltered.update(frame(whole, arm), 0.0)) == 2


def test_young_duplicate_cannot_take_over_an_established_track():
    tracker = Tracker()
    for k in range(5):
        (established,) = tracker.update(frame(person(100)), 0.1 * k)
    # a second, partial detection of the same person at the same place (not a fragment:
    # 8 joints) starts a young track...
    partial = person(101)
    partial[8:] = 0
    tracks = tracker.update(frame(person(100), partial), 0.5)
    young = [t.track_id for t in tracks if t.track_id != established.track_id]
    assert len(young) == 1
    # ...which must not win the person next time, even when it fits slightly better
    later = person(101)
    tracks = tracker.update(frame(later), 0.6)
    assert [t.track_id for t in tracks] == [established.track_id]
    assert young[0] not in [t.track_id for t in tracker.tracks]  # and it is forgotten


def test_ids_are_never_reused():
    tracker = Tracker(TrackerConfig(max_age_s=0.0))
    seen: list[int] = []
    for k in range(10):
        # every other frame is empty, so every person is new (max_age 0)
        people = frame(person(100), person(300)) if k % 2 == 0 else frame()
        seen += [t.track_id for t in tracker.update(people, 0.1 * k)]
    assert len(seen) == 10 and len(set(seen)) == 10
    tracker.reset()
    after = [t.track_id for t in tracker.update(frame(person(100)), 5.0)]
    assert after[0] > max(seen)


def test_far_jump_is_not_matched():
    tracker = Tracker(TrackerConfig(max_cost=0.5))
    (a,) = [t.track_id for t in tracker.update(frame(person(100)), 0.0)]
    (b,) = [t.track_id for t in tracker.update(frame(person(500)), 0.1)]
    assert b != a


def test_roi_drops_people_outside():
    tracker = Tracker(TrackerConfig(roi=(0, 0, 200, 480)))
    tracks = tracker.update(frame(person(100), person(300)), 0.0)
    assert len(tracks) == 1
    assert tracks[0].skeleton[NECK, 0] == pytest.approx(100)


def test_max_people_keeps_the_most_prominent():
    tracker = Tracker(TrackerConfig(max_people=2))
    people = frame(person(100, scale=0.5), person(300, scale=1.5), person(500, conf=0.9))
    tracks = tracker.update(people, 0.0)
    kept = sorted(float(t.skeleton[NECK, 0]) for t in tracks)
    assert kept == [300.0, 500.0]


def test_score_and_min_joints():
    tracker = Tracker(TrackerConfig(min_joints=5))
    sparse = np.zeros((NUM_JOINTS, 3), np.float32)
    sparse[:3] = person(100)[:3]  # 3 joints only
    tracks = tracker.update(frame(person(300, conf=0.6), sparse), 0.0)
    assert len(tracks) == 1
    assert tracks[0].score == pytest.approx(0.6)


def test_returned_tracks_are_snapshots():
    tracker = Tracker()
    (t0,) = tracker.update(frame(person(100)), 0.0)
    tracker.update(frame(person(120)), 0.1)
    assert t0.skeleton[NECK, 0] == pytest.approx(100)


def test_time_going_backwards_resets():
    tracker = Tracker()
    (a,) = [t.track_id for t in tracker.update(frame(person(100)), 10.0)]
    (b,) = [t.track_id for t in tracker.update(frame(person(100)), 1.0)]
    assert b != a


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_age_s": -1},
        {"max_cost": 0},
        {"roi": (10, 10, 5, 20)},
        {"roi": (0, 0, 1)},
        {"max_people": -2},
        {"min_joints": 0},
        {"velocity_smoothing": 2},
    ],
)
def test_bad_config_raises(kwargs):
    with pytest.raises(ConfigError):
        TrackerConfig(**kwargs)


def test_bad_input_raises():
    tracker = Tracker()
    with pytest.raises(InputError):
        tracker.update(np.zeros((2, 17, 3)), 0.0)
    with pytest.raises(InputError):
        tracker.update(frame(person(1)), float("nan"))


def test_compiled_pose_distance_equals_the_numpy_reference():
    """Random people with missing, low-confidence and neck-less skeletons, empty sets."""
    from tracking_reference import reference_pose_distance

    from har_ros.tracking import pose_distance

    rng = np.random.default_rng(8)
    for trial in range(200):
        a, b = (rng.uniform(0, 640, (int(rng.integers(0, 6)), 18, 3)).astype(np.float32)
                for _ in range(2))
        for s in (a, b):
            s[..., 2] = rng.uniform(0, 1, s.shape[:2])
            s[rng.random(s.shape[:2]) < rng.uniform(0, 0.95)] = 0.0
            if trial % 4 == 0 and len(s):
                s[0, 1] = 0.0  # no neck: the joints' centre anchors
        got = pose_distance(a, b, 0.05, 20.0)
        assert got.shape == (len(a), len(b))
        np.testing.assert_allclose(got, reference_pose_distance(a, b, 0.05, 20.0), rtol=1e-5,
                                   atol=1e-7)


def test_a_nan_joint_is_ignored_not_poisoning_the_match():
    from har_ros.tracking import pose_distance

    rng = np.random.default_rng(3)
    a = rng.uniform(100, 300, (1, 18, 3)).astype(np.float32)
    a[..., 2] = 0.9
    b = a + np.float32(4.0)
    b[..., 2] = 0.9
    clean = pose_distance(a, b)
    b[0, 7, :2] = np.nan
    d = pose_distance(a, b)
    assert np.isfinite(d).all() and abs(d[0, 0] - clean[0, 0]) < 0.05
