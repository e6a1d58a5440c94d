"""UTD-MHAD loader: synthetic d_skel files and a check on the real data."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.io

from har_ros.data.utd import PIXELS_PER_METRE, UTD_CLASSES, load_utd_mhad
from har_ros.errors import DataError
from har_ros.skeleton import L_EYE, L_SHOULDER, L_WRIST, NECK, NOSE, R_EAR, R_SHOULDER


def _write(path, t=6, seed=0):
    rng = np.random.default_rng(seed)
    d = rng.normal(0, 0.3, size=(20, 3, t))
    d[:, 2] += 2.8
    scipy.io.savemat(str(path), {"d_skel": d})
    return d


def test_projection_and_joint_mapping(tmp_path):
    d = _write(tmp_path / "a3_s2_t1_skeleton.mat")
    ds = load_utd_mhad(tmp_path)
    (seq,) = ds.sequences
    assert ds.classes == UTD_CLASSES and seq.label == 2 and seq.subject == "s2"
    sk = seq.skeletons
    assert sk.shape == (6, 18, 3)
    # u = cx - s*x, v = cy - s*y; head -> nose, shoulder_center -> neck, Kinect wrist -> wrist
    np.testing.assert_allclose(sk[:, NOSE, 0], 320 - PIXELS_PER_METRE * d[0, 0], rtol=1e-5)
    np.testing.assert_allclose(sk[:, NECK, 1], 240 - PIXELS_PER_METRE * d[1, 1], rtol=1e-5)
    np.testing.assert_allclose(sk[:, L_SHOULDER, 0], 320 - PIXELS_PER_METRE * d[4, 0], rtol=1e-5)
    np.testing.assert_allclose(sk[:, L_WRIST, 1], 240 - PIXELS_PER_METRE * d[6, 1], rtol=1e-5)
    np.testing.assert_allclose(sk[:, R_SHOULDER, 0], 320 - PIXELS_PER_METRE * d[8, 0], rtol=1e-5)
    assert (sk[:, [L_EYE, R_EAR]] == 0).all()


def test_filters_and_untracked_joints(tmp_path):
    _write(tmp_path / "a1_s1_t1_skeleton.mat")
    _write(tmp_path / "a2_s2_t1_skeleton.mat")
    d = _write(tmp_path / "a2_s3_t2_skeleton.mat")
    d[0, :, 1] = 0.0  # head not tracked in frame 1
    scipy.io.savemat(str(tmp_path / "a2_s3_t2_skeleton.mat"), {"d_skel": d})
    ds = load_utd_mhad(tmp_path, subjects=[3])
    assert [s.clip_id for s in ds.sequences] == ["a2_s3_t2_skeleton"]
    assert ds.sequences[0].skeletons[1, NOSE].tolist() == [0, 0, 0]
    assert len(load_utd_mhad(tmp_path, actions=[2])) == 2
    p3 = ds.sequences[0].points3d  # the 3D joints for virtual cameras: same mapping, metres
    assert np.isnan(p3[1, NOSE]).all() and np.isnan(p3[:, [L_EYE, R_EAR]]).all()
    np.testing.assert_allclose(p3[:, L_SHOULDER], d[4].T, rtol=1e-6)
    np.testing.assert_allclose(p3[0, NOSE], d[0, :, 0], rtol=1e-6)


def test_bad_files(tmp_path):
    scipy.io.savemat(str(tmp_path / "a1_s1_t1_skeleton.mat"), {"d_skel": np.zeros((15, 3, 4))})
    with pytest.raises(DataError, match=r"a1_s1_t1_skeleton\.mat: d_skel must be 20 x 3 x T"):
        load_utd_mhad(tmp_path)
    (tmp_path / "a1_s1_t1_skeleton.mat").unlink()
    _write(tmp_path / "a28_s1_t1_skeleton.mat")
    with pytest.raises(DataError, match="unknown action a28"):
        load_utd_mhad(tmp_path)


def test_real_data_person_right_is_image_left(shared_data):
    ds = load_utd_mhad(shared_data / "utd_mhad", subjects=[1], trials=[1])
    sk = np.concatenate([s.skeletons for s in ds.sequences])
    assert len(ds) == 27
    assert (sk[:, R_SHOULDER, 0] < sk[:, L_SHOULDER, 0]).mean() > 0.95
    assert (sk[:, NOSE, 1] < sk[:, NECK, 1]).mean() > 0.95  # head above neck (y down)
