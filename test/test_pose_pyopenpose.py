"""pyopenpose adapter, run against a stand-in module mimicking OpenPose's Python API."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from har_ros.errors import BackendUnavailableError, ConfigError
from har_ros.pose import make_backend
from har_ros.pose.pyopenpose_backend import check_keypoints
from har_ros.skeleton import L_SHOULDER, NUM_JOINTS, R_SHOULDER

STAND_IN = Path(__file__).parent / "stand_ins" / "pyopenpose_stand_in.py"


@pytest.fixture
def stand_in(monkeypatch):
    """Load the stand-in and make ``import pyopenpose`` return it for this test only."""
    spec = importlib.util.spec_from_file_location("pyopenpose_stand_in", STAND_IN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "pyopenpose", module)
    return module


@pytest.fixture
def no_pyopenpose(monkeypatch):
    """Make both import paths of pyopenpose fail, whatever is installed."""
    monkeypatch.setitem(sys.modules, "pyopenpose", None)
    monkeypatch.setitem(sys.modules, "openpose", None)


def test_coco_model_is_selected_and_output_mapped(stand_in):
    backend = make_backend("pyopenpose", model_folder="/opt/openpose/models")
    assert backend._wrapper.params["model_pose"] == "COCO"
    assert backend._wrapper.params["model_folder"] == "/opt/openpose/models"
    image = np.full((240, 320, 3), 128, np.uint8)
    (people,) = backend.infer([image])
    assert people.shape == (1, NUM_JOINTS, 3) and people.dtype == np.float32
    assert people[0, R_SHOULDER, 0] < people[0, L_SHOULDER, 0]
    assert people[0, 0, :2] == pytest.approx([160, 36])
    backend.close()
    assert backend._wrapper is None


def test_no_people_gives_empty_array(stand_in):
    backend = make_backend("pyopenpose")
    (people,) = backend.infer([np.zeros((64, 64, 3), np.uint8)])
    assert people.shape == (0, NUM_JOINTS, 3)


def test_body25_output_is_rejected(stand_in):
    stand_in.FORCE_JOINTS = 25
    backend = make_backend("pyopenpose")
    with pytest.raises(ConfigError, match="BODY_25"):
        backend.infer([np.full((64, 64, 3), 100, np.uint8)])


def test_check_keypoints_shapes():
    assert check_keypoints(None).shape == (0, NUM_JOINTS, 3)
    assert check_keypoints(np.zeros((0,))).shape == (0, NUM_JOINTS, 3)
    assert check_keypoints(np.ones((2, 18, 3))).shape == (2, 18, 3)
    with pytest.raises(ConfigError, match="25 joints"):
        check_keypoints(np.ones((2, 25, 3)))
    with pytest.raises(ConfigError, match="MPI"):
        check_keypoints(np.ones((1, 15, 3)))


def test_other_models_are_refused(stand_in):
    with pytest.raises(ConfigError, match="COCO"):
        make_backend("pyopenpose", model_pose="BODY_25")
    with pytest.raises(ConfigError, match="model_pose"):
        make_backend("pyopenpose", extra_params={"model_pose": "BODY_25"})


def test_missing_module_says_how_to_install(no_pyopenpose):
    with pytest.raises(BackendUnavailableError, match="BUILD_PYTHON"):
        make_backend("pyopenpose")


@pytest.mark.reliability("4000x100 image (aspect 40) into pyopenpose with net_resolution -1x368",
                         "squeezed to 400x100 before OpenPose; keypoints in the image's pixels")
def test_wide_images_are_squeezed_before_openpose(stand_in, monkeypatch):
    seen: list[tuple[int, ...]] = []

    class RecordingDatum(stand_in.Datum):
        def __setattr__(self, name, value):
            if name == "cvInputData" and value is not None:
                seen.append(value.shape)
            super().__setattr__(name, value)

    monkeypatch.setattr(stand_in, "Datum", RecordingDatum)
    backend = make_backend("pyopenpose")
    normal = backend.infer([np.full((100, 400, 3), 200, np.uint8)])[0]
    wide = backend.infer([np.full((100, 4000, 3), 200, np.uint8)])[0]
    assert seen[-1] == (100, 400, 3)
    np.testing.assert_allclose(wide[..., 0], normal[..., 0] * 10, rtol=1e-5)
    np.testing.assert_allclose(wide[..., 1:], normal[..., 1:])
