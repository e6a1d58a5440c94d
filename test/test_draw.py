"""draw_skeletons: limbs where the joints are, sides in distinct colours, text above heads."""

from __future__ import annotations

import numpy as np
import pytest

from har_ros.draw import LEFT_COLOUR, RIGHT_COLOUR, draw_skeletons, limb_side
from har_ros.errors import InputError
from har_ros.skeleton import (
    L_ELBOW,
    L_SHOULDER,
    NECK,
    NOSE,
    NUM_JOINTS,
    R_ELBOW,
    R_HIP,
    R_SHOULDER,
)


def skeleton_with(points: dict[int, tuple[float, float]]) -> np.ndarray:
    out = np.zeros((1, NUM_JOINTS, 3), np.float32)
    for j, (x, y) in points.items():
        out[0, j] = (x, y, 0.9)
    return out


def colour_near(image: np.ndarray, x: int, y: int) -> np.ndarray:
    """Unit BGR vector of the brightest pixel within 3 px of (x, y) on row y (anti-aliasing)."""
    row = image[y, x - 3 : x + 4].astype(np.float64)
    pixel = row[int(row.sum(axis=1).argmax())]
    return pixel / max(np.linalg.norm(pixel), 1e-9)


def unit(colour: tuple[int, int, int]) -> np.ndarray:
    v = np.array(colour, np.float64)
    return v / np.linalg.norm(v)


def test_limbs_are_drawn_in_side_colours():
    image = np.zeros((200, 200, 3), np.uint8)
    skel = skeleton_with(
        {NECK: (100, 50), R_SHOULDER: (60, 50), L_SHOULDER: (140, 50), R_ELBOW: (60, 120),
         L_ELBOW: (140, 120)}
    )
    out = draw_skeletons(image, skel)
    right, left = colour_near(out, 60, 90), colour_near(out, 140, 90)  # mid upper arms
    assert right @ unit(RIGHT_COLOUR) > 0.99 and right @ unit(LEFT_COLOUR) < 0.9
    assert left @ unit(LEFT_COLOUR) > 0.99 and left @ unit(RIGHT_COLOUR) < 0.9
    assert not out[140:, :].any()  # nothing below the elbows
    assert not image.any()  # the input is not modified


def test_missing_joints_draw_nothing():
    image = np.zeros((100, 100, 3), np.uint8)
    skel = skeleton_with({NECK: (50, 20)})
    skel[0, NECK, 2] = 0.0
    out = draw_skeletons(image, skel)
    assert not out.any()


def test_ids_and_labels_are_written_above_the_head():
    image = np.zeros((240, 320, 3), np.uint8)
    skel = skeleton_with({NOSE: (160, 120), NECK: (160, 150), R_HIP: (150, 220)})
    plain = draw_skeletons(image, skel)
    with_id = draw_skeletons(image, skel, track_ids=[7])
    with_label = draw_skeletons(image, skel, track_ids=[7], labels=["waving"])
    above = slice(0, 115)
    assert not plain[above].any()
    assert with_id[above].any()
    # the label makes the caption wider
    assert (with_label[above].sum(axis=2) > 0).sum() > (with_id[above].sum(axis=2) > 0).sum()


def test_limb_sides():
    assert limb_side(NECK, R_SHOULDER) == "right"
    assert limb_side(NECK, L_SHOULDER) == "left"
    assert limb_side(NECK, NOSE) == "centre"


def test_empty_and_bad_inputs():
    image = np.zeros((50, 50, 3), np.uint8)
    assert not draw_skeletons(image, np.zeros((0, NUM_JOINTS, 3))).any()
    with pytest.raises(InputError):
        draw_skeletons(image, np.zeros((1, 17, 3)))
    with pytest.raises(InputError):
        draw_skeletons(image, skeleton_with({NECK: (1, 1)}), track_ids=[1, 2])
    with pytest.raises(InputError):
        draw_skeletons(np.zeros((50, 50)), skeleton_with({NECK: (1, 1)}))
