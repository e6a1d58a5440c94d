"""Penn Action loader: synthetic .mat in the published layout, and checks on the real data."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io

from har_ros.data.penn import PENN_CLASSES, load_penn_action, load_penn_clip
from har_ros.errors import DataError
from har_ros.skeleton import (
    L_EAR,
    L_SHOULDER,
    L_WRIST,
    NECK,
    NOSE,
    R_EYE,
    R_SHOULDER,
    R_WRIST,
)


def _write_clip(path, action="squat", train=1, t=5, vis=None):
    x = np.tile(np.arange(13, dtype=float) * 10 + 100, (t, 1))
    y = np.tile(np.arange(13, dtype=float) * 5 + 50, (t, 1))
    vis = np.ones((t, 13), np.uint8) if vis is None else vis
    scipy.io.savemat(str(path), {
        "action": np.array([action]), "pose": np.array(["front"]), "x": x, "y": y,
        "visibility": vis, "train": np.array([[train]]), "bbox": np.zeros((t, 4)),
        "dimensions": np.array([[360, 480, t]]), "nframes": np.array([[t]])})
    return x, y


def test_mapping_odd_columns_are_right_side(tmp_path):
    x, y = _write_clip(tmp_path / "0001.mat")
    seq, is_train = load_penn_clip(tmp_path / "0001.mat")
    sk = seq.skeletons
    assert is_train and seq.label == PENN_CLASSES.index("squat")
    assert sk.shape == (5, 18, 3)
    assert sk[0, NOSE, 0] == x[0, 0]
    assert sk[0, R_SHOULDER, 0] == x[0, 1] and sk[0, L_SHOULDER, 0] == x[0, 2]
    assert sk[0, R_WRIST, 0] == x[0, 5] and sk[0, L_WRIST, 0] == x[0, 6]
    np.testing.assert_allclose(sk[0, NECK, :2], [(x[0, 1] + x[0, 2]) / 2, (y[0, 1] + y[0, 2]) / 2])
    assert sk[0, R_EYE].tolist() == [0, 0, 0] and sk[0, L_EAR].tolist() == [0, 0, 0]
    np.testing.assert_allclose(np.diff(seq.stamps_s), 1 / 30)


def test_invisible_as_missing_option(tmp_path):
    vis = np.ones((5, 13), np.uint8)
    vis[2, 1] = 0  # right shoulder occluded in frame 2
    _write_clip(tmp_path / "0002.mat", vis=vis)
    kept, _ = load_penn_clip(tmp_path / "0002.mat", invisible_as_missing=False)
    dropped, _ = load_penn_clip(tmp_path / "0002.mat", invisible_as_missing=True)
    assert kept.skeletons[2, R_SHOULDER, 2] == 1
    assert dropped.skeletons[2, R_SHOULDER].tolist() == [0, 0, 0]
    assert dropped.skeletons[2, NECK, 2] == 0  # neck needs both shoulders
    assert dropped.skeletons[1, NECK, 2] == 1


def test_split_selection_and_unknown_action(tmp_path):
    _write_clip(tmp_path / "0001.mat", train=1)
    _write_clip(tmp_path / "0002.mat", train=-1, action="bowl")
    assert [s.clip_id for s in load_penn_action(tmp_path, "test").sequences] == ["0002"]
    assert len(load_penn_action(tmp_path, "all")) == 2
    _write_clip(tmp_path / "0003.mat", action="dancing")
    with pytest.raises(DataError, match=r"0003\.mat: unknown action 'dancing'"):
        load_penn_action(tmp_path)


def test_wrong_shape_is_rejected(tmp_path):
    scipy.io.savemat(str(tmp_path / "0004.mat"), {
        "action": np.array(["bowl"]), "x": np.zeros((3, 12)), "y": np.zeros((3, 12)),
        "visibility": np.ones((3, 12)), "train": np.array([[1]])})
    with pytest.raises(DataError, match=r"0004\.mat: x, y, visibility must be T x 13"):
        load_penn_clip(tmp_path / "0004.mat")


def test_real_data_right_side_is_image_left_in_front_views(shared_data):
    ds = load_penn_action(shared_data / "penn_action", invisible_as_missing=True)
    fronts = [s for s in ds.sequences if s.camera == "front"]
    backs = [s for s in ds.sequences if s.camera == "back"]
    assert len(fronts) > 20 and len(backs) > 20

    def right_left_of_left(seqs):
        sk = np.concatenate([s.skeletons for s in seqs])
        both = (sk[:, R_SHOULDER, 2] > 0) & (sk[:, L_SHOULDER, 2] > 0)
        return float((sk[both, R_SHOULDER, 0] < sk[both, L_SHOULDER, 0]).mean())

    assert right_left_of_left(fronts) > 0.8   # facing the camera: their right is image-left
    assert right_left_of_left(backs) < 0.4    # seen from behind: the opposite
