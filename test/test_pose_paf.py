"""PAF grouping on synthetic heatmaps and part affinity fields built from known skeletons."""

from __future__ import annotations

import numpy as np
import pytest

from har_ros.errors import ConfigError, InputError
from har_ros.pose.paf import PAF_LIMBS, PafParams, decode, find_peaks, upsample_maps
from har_ros.skeleton import L_SHOULDER, L_WRIST, NECK, NUM_JOINTS, R_SHOULDER

# Two people facing the camera (their right side on image left), COCO-18, image pixels.
PERSON_A = np.array(
    [
        [60, 40], [60, 60], [48, 60], [44, 80], [42, 100], [72, 60], [76, 80], [78, 100],
        [52, 105], [52, 135], [52, 165], [68, 105], [68, 135], [68, 165], [56, 36], [64, 36],
        [52, 38], [68, 38],
    ],
    dtype=np.float32,
)
PERSON_B = PERSON_A + np.array([150.0, 20.0], dtype=np.float32)


def render_maps(
    people: list[np.ndarray], size: tuple[int, int], scale: float, sigma: float, width: float
) -> tuple[np.ndarray, np.ndarray]:
    """Heatmaps (H, W, 19) and PAFs (H, W, 38) of ``people`` on a map ``scale`` x the image.

    Joints with NaN coordinates are absent. Map pixel u sees image pixel (u + 0.5) / scale - 0.5.
    """
    w, h = int(size[0] * scale), int(size[1] * scale)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    heat = np.zeros((h, w, NUM_JOINTS + 1), np.float32)
    pafs = np.zeros((h, w, 38), np.float32)
    count = np.zeros((h, w, 19), np.float32)
    for person in people:
        pts = (person + 0.5) * scale - 0.5
        for j, (x, y) in enumerate(pts):
            if np.isfinite(x):
                g = np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma**2))
                heat[..., j] = np.maximum(heat[..., j], g)
        for k, (a, b, cx, cy) in enumerate(PAF_LIMBS):
            if not (np.isfinite(pts[a]).all() and np.isfinite(pts[b]).all()):
                continue
            d = pts[b] - pts[a]
            length = float(np.linalg.norm(d))
            u = d / length
            rel_x, rel_y = xs - pts[a][0], ys - pts[a][1]
            along = rel_x * u[0] + rel_y * u[1]
            across = np.abs(rel_x * u[1] - rel_y * u[0])
            on = (along >= 0) & (along <= length) & (across <= width)
            pafs[on, cx] += u[0]
            pafs[on, cy] += u[1]
            count[on, k] += 1
    for k, (_, _, cx, cy) in enumerate(PAF_LIMBS):
        n = np.maximum(count[..., k], 1)
        pafs[..., cx] /= n
        pafs[..., cy] /= n
    heat[..., NUM_JOINTS] = 1.0 - heat[..., :NUM_JOINTS].max(axis=2)
    return heat, pafs


def match_by_neck(found: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """The found person whose neck is nearest to ``truth``'s neck."""
    d = np.linalg.norm(found[:, NECK, :2] - truth[NECK], axis=1)
    return found[int(np.argmin(d))]


def test_two_people_full_resolution():
    heat, pafs = render_maps([PERSON_A, PERSON_B], (320, 240), 1.0, 2.0, 2.0)
    people = decode(heat, pafs, (320, 240))
    assert people.shape == (2, NUM_JOINTS, 3)
    assert people.dtype == np.float32
    for truth in (PERSON_A, PERSON_B):
        person = match_by_neck(people, truth)
        err = np.linalg.norm(person[:, :2] - truth, axis=1)
        assert err.max() < 1.0, err
        assert (person[:, 2] > 0.5).all()


def test_two_people_from_stride8_output_upsampled():
    """The backend's path: stride-8 maps, upsampled 4x, positions back in image pixels."""
    size = (320, 240)
    heat, pafs = render_maps([PERSON_A, PERSON_B], size, 1 / 8, 1.0, 1.0)
    net_out = np.concatenate([heat, pafs], axis=2).transpose(2, 0, 1)  # (57, 30, 40)
    up_heat, up_pafs = upsample_maps(net_out, 4.0)
    assert up_heat.shape == (120, 160, NUM_JOINTS) and up_pafs.shape == (120, 160, 38)
    people = decode(up_heat, up_pafs, size, map_scale=0.5)
    assert len(people) == 2
    for truth in (PERSON_A, PERSON_B):
        person = match_by_neck(people, truth)
        err = np.linalg.norm(person[:, :2] - truth, axis=1)
        assert err.max() < 3.0, err


def test_missing_joints_are_zero_and_sides_kept():
    partial = PERSON_B.copy()
    partial[L_WRIST] = np.nan
    heat, pafs = render_maps([PERSON_A, partial], (320, 240), 1.0, 2.0, 2.0)
    people = decode(heat, pafs, (320, 240))
    b = match_by_neck(people, PERSON_B)
    assert (b[L_WRIST] == 0).all()
    assert b[R_SHOULDER, 0] < b[L_SHOULDER, 0]  # right shoulder stays on image left
    a = match_by_neck(people, PERSON_A)
    assert a[L_WRIST, 2] > 0.5


def test_limbs_without_field_do_not_join_people():
    """Heatmap peaks with no affinity field between them stay apart and are then dropped."""
    heat, _ = render_maps([PERSON_A], (320, 240), 1.0, 2.0, 2.0)
    people = decode(heat, np.zeros(heat.shape[:2] + (38,), np.float32), (320, 240))
    assert people.shape == (0, NUM_JOINTS, 3)


def test_small_fragments_are_dropped_by_min_parts():
    head_only = np.full_like(PERSON_A, np.nan)
    for j in (0, 14, 15):  # nose and eyes: 3 parts, below the default min_parts of 4
        head_only[j] = PERSON_B[j]
    heat, pafs = render_maps([PERSON_A, head_only], (320, 240), 1.0, 2.0, 2.0)
    assert len(decode(heat, pafs, (320, 240))) == 1
    assert len(decode(heat, pafs, (320, 240), PafParams(min_parts=3))) == 2


def test_find_peaks_separates_close_peaks_and_thresholds():
    heat = np.zeros((40, 40, 2), np.float32)
    heat[10, 10, 0] = 0.9
    heat[10, 14, 0] = 0.8
    heat[30, 30, 0] = 0.05  # below threshold
    heat[20, 20, 1] = 0.7
    peaks = find_peaks(heat, 0.1, 0.0)
    assert sorted(map(tuple, peaks[0][:, :2].round().tolist())) == [(10, 10), (14, 10)]
    assert peaks[1][0].tolist() == pytest.approx([20, 20, 0.7], abs=1e-5)


def test_bad_inputs_and_params():
    with pytest.raises(InputError):
        decode(np.zeros((10, 10, 5)), np.zeros((10, 10, 38)), (80, 80))
    with pytest.raises(InputError):
        decode(np.zeros((10, 10, 19)), np.zeros((10, 11, 38)), (80, 80))
    with pytest.raises(ConfigError):
        PafParams(min_parts=0)
    with pytest.raises(ConfigError):
        PafParams(peak_threshold=1.5)
