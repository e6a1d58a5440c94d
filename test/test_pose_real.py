"""Pose backends on real footage from ../shared/data (skipped when absent or not installed).

Reference joint positions on seed_tennis.jpg were read off OpenPose's own rendering of the same
image (seed_tennis_openpose_render.png), in image pixels. The player faces the camera, so his
right shoulder is on the image's left in that rendering.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from bench.bench_id_switches import ColumnIdentity
from har_ros.errors import BackendUnavailableError
from har_ros.pose import make_backend
from har_ros.skeleton import (
    FLIP_PERMUTATION,
    JOINT_INDEX,
    L_ELBOW,
    L_HIP,
    L_SHOULDER,
    L_WRIST,
    NECK,
    NOSE,
    R_ELBOW,
    R_HIP,
    R_SHOULDER,
    R_WRIST,
)
from har_ros.tracking import Tracker

from conftest import require_file

#: Joints of the tennis player measured on OpenPose's rendering (pixels, +-3 px reading error).
TENNIS_REFERENCE = {
    "nose": (330, 362), "neck": (330, 392), "r_shoulder": (302, 383), "r_elbow": (270, 413),
    "r_wrist": (285, 450), "l_shoulder": (360, 395), "l_elbow": (368, 443),
    "l_wrist": (337, 453), "r_hip": (300, 458), "r_knee": (310, 507),
}
#: 12 px is 5 % of the player's height (~240 px): the spread between two good estimators.
TENNIS_TOLERANCE_PX = 12.0
#: The player's box (x0, y0, x1, y1): everyone OpenPose draws elsewhere is a spectator.
PLAYER_BOX = (230, 330, 420, 620)
UPPER_BODY = (NOSE, NECK, R_SHOULDER, R_ELBOW, R_WRIST, L_SHOULDER, L_ELBOW, L_WRIST, R_HIP, L_HIP)


def _backend(name: str, **options):
    try:
        return make_backend(name, **options)
    except BackendUnavailableError as exc:
        pytest.skip(f"backend {name} cannot run here: {exc}")


@pytest.fixture(scope="module")
def openpose():
    backend = _backend("openpose_mobilenet", max_batch=2)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def tennis(shared_data: Path) -> np.ndarray:
    return cv2.imread(str(require_file(shared_data / "images" / "seed_tennis.jpg")))


def on_player(people: np.ndarray) -> np.ndarray:
    x0, y0, x1, y1 = PLAYER_BOX
    neck = people[:, NECK]
    inside = (neck[:, 0] > x0) & (neck[:, 0] < x1) & (neck[:, 1] > y0) & (neck[:, 1] < y1)
    return people[inside & (neck[:, 2] > 0)]


def test_tennis_one_player_where_openpose_puts_him(openpose, tennis):
    (people,) = openpose.infer([tennis])
    player = on_player(people)
    assert len(player) == 1, "exactly one skeleton on the player"
    player = player[0]
    for name, ref in TENNIS_REFERENCE.items():
        joint = player[JOINT_INDEX[name]]
        assert joint[2] > 0.2, f"{name} not detected"
        err = float(np.hypot(joint[0] - ref[0], joint[1] - ref[1]))
        assert err < TENNIS_TOLERANCE_PX, f"{name} is {err:.1f} px from OpenPose's"
    # Left stays left: the player's right shoulder is on the image's left, as rendered.
    assert player[R_SHOULDER, 0] < player[NECK, 0] < player[L_SHOULDER, 0]
    # Anyone else found is in the stands (OpenPose's render shows the spectator at top right).
    others = people[[not np.array_equal(p, player) for p in people]]
    for other in others:
        seen = other[other[:, 2] > 0]
        assert (seen[:, 0] > 420).all() and (seen[:, 1] < 330).all()


def test_mirrored_image_mirrors_the_skeleton(openpose, tennis):
    """Flipping the image swaps left and right joints: checks the left/right channel order."""
    flipped = np.ascontiguousarray(tennis[:, ::-1])
    original, mirrored = openpose.infer([tennis, flipped])  # one batch of two frames
    a = on_player(original)[0]
    back = mirrored.copy()  # mirror the result back: x -> width - 1 - x, swap sides
    found = back[..., 2] > 0
    back[..., 0] = np.where(found, tennis.shape[1] - 1 - back[..., 0], 0)
    b = on_player(back[:, list(FLIP_PERMUTATION)])[0]
    assert b[R_SHOULDER, 0] < b[L_SHOULDER, 0]
    for j in UPPER_BODY:
        assert np.hypot(*(a[j, :2] - b[j, :2])) < TENNIS_TOLERANCE_PX


def test_batch_equals_single_frames(openpose, tennis):
    darker = (tennis * 0.8).astype(np.uint8)
    batch = openpose.infer([tennis, darker])
    single = [openpose.infer([tennis])[0], openpose.infer([darker])[0]]
    for got, want in zip(batch, single):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=1e-3)


def test_mediapipe_agrees_with_openpose_left_stays_left(openpose, tennis):
    mediapipe = _backend("mediapipe")
    try:
        (mp_people,) = mediapipe.infer([tennis])
    finally:
        mediapipe.close()
    (op_people,) = openpose.infer([tennis])
    assert len(mp_people) == 1
    mp, op = mp_people[0], on_player(op_people)[0]
    for j in UPPER_BODY:
        assert np.hypot(*(mp[j, :2] - op[j, :2])) < 15.0, f"joint {j}"
    def dist(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.hypot(*(a[:2] - b[:2])))

    for right, left in ((R_SHOULDER, L_SHOULDER), (R_ELBOW, L_ELBOW), (R_HIP, L_HIP)):
        # each backend's right joint is nearer the other's right joint than its left one
        assert dist(mp[right], op[right]) < dist(mp[right], op[left])
        assert dist(mp[left], op[left]) < dist(mp[left], op[right])


def test_exercise_three_people_with_stable_ids(shared_data: Path):
    """exercise.avi: three people side by side for the whole clip, so identity = position.

    Every 2nd frame of the first 24 s (5 fps, 120 frames) at net height 288 (the clip's own
    height). Each person is the nearest of the three column centres; per person and frame the
    track with most joints counts. An id switch is a change of that id between successive
    observations. Measured: 0 switches in 360 observations (0 over the whole clip at net height
    368 and 10 fps). The bound, 2 %, allows 7 switches: one per 5 s per person.
    """
    path = require_file(shared_data / "video" / "exercise.avi")
    backend = _backend("openpose_mobilenet", net_height=288)
    tracker = Tracker()
    cap = cv2.VideoCapture(str(path))
    identity = ColumnIdentity()
    frames = three = 0
    for index in range(240):
        ok, image = cap.read()
        assert ok, f"could not read frame {index}"
        if index % 2:
            continue
        (people,) = backend.infer([image])
        tracks = tracker.update(people, index / 10.0)
        frames += 1
        three += len(tracks) == 3
        identity.observe(tracks)
    backend.close()
    assert three / frames > 0.95, f"3 people in only {three}/{frames} frames"
    switches, observations, last = identity.switches, identity.observations, identity.last
    assert observations > 0.95 * 3 * frames
    rate = switches / observations
    assert rate < 0.02, f"id switch rate {rate:.3%} ({switches}/{observations}), ids {identity.ids}"
    assert len(last) == 3 and len(set(last.values())) == 3
