"""The measured pose-detector error model and its training augmentation (har_ros.pose_noise)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from har_ros.augment import AugmentConfig, augment_windows
from har_ros.errors import ConfigError, DataError
from har_ros.pose_noise import (
    FORMAT,
    DetectorErrorModel,
    apply_detector_errors,
    load_error_model,
    window_height_px,
)
from har_ros.skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS

SHIPPED = Path(__file__).resolve().parents[1] / "har_ros/pose/openpose_mobilenet_errors.json"
ZEROS = np.zeros((4, NUM_JOINTS)).tolist()
EDGES = [80.0, 120.0, 200.0]
HEIGHTS = (60.0, 100.0, 160.0, 300.0)  # one per height bin
PAIRS = [["r_wrist", "l_wrist"], ["r_knee", "l_knee"]]


def model_dict(**override: object) -> dict:
    """A valid model whose rates differ per joint and per height bin."""
    j = np.arange(NUM_JOINTS) / NUM_JOINTS
    rows = np.arange(len(EDGES) + 1)[:, None]
    data = {
        "format": FORMAT,
        "backend": "test",
        "joints": list(JOINT_NAMES),
        "height_bins_px": EDGES,
        "torso_ratio": 2.5,
        "miss_window": (0.05 + 0.1 * rows + 0.1 * j).tolist(),
        "miss_frame": (0.02 + 0.05 * rows + 0.05 * j).tolist(),
        "jitter": (0.004 * (rows + 1) + 0 * j).tolist(),
        "swap_pairs": PAIRS,
        "swap_frame": [0.05, 0.1],
    }
    data.update(override)
    return data


def full_windows(height_px: float, b: int, t: int = 30) -> np.ndarray:
    """(b, t, 18, 3) still, complete upright skeletons ``height_px`` tall (eyes to ankles)."""
    frac = {"nose": 0.06, "neck": 0.15, "shoulder": 0.17, "elbow": 0.33, "wrist": 0.45,
            "hip": 0.5, "knee": 0.72, "ankle": 1.0, "eye": 0.04, "ear": 0.05}
    base = np.zeros((NUM_JOINTS, 3), np.float32)
    for j, name in enumerate(JOINT_NAMES):
        side = -0.15 if name.startswith("r_") else 0.15 if name.startswith("l_") else 0.0
        y = (frac[name.split("_")[-1]] - 0.04) / 0.96
        base[j] = (320 + side * height_px, 50 + y * height_px, 0.9)
    return np.broadcast_to(base, (b, t, NUM_JOINTS, 3)).copy()


@pytest.fixture(scope="module")
def model() -> DetectorErrorModel:
    return DetectorErrorModel.from_dict(model_dict())


@pytest.mark.parametrize("k", range(len(HEIGHTS)))
def test_miss_rates_per_height_bin_are_reproduced(model: DetectorErrorModel, k: int) -> None:
    w = full_windows(HEIGHTS[k], b=1500)
    out = apply_detector_errors(w, np.random.default_rng(k), model)
    missing = out[..., 2] <= 0  # (B, T, 18)
    whole = missing.all(axis=1).mean(axis=0)  # per joint
    p_w, p_f = model.miss_window[k], model.miss_frame[k]
    # a whole window missed by chance from flicker alone is negligible (p_f ** 30);
    # tolerance: 4.5 binomial standard deviations over the windows
    tol = 4.5 * np.sqrt(p_w * (1 - p_w) / len(w))
    assert np.all(np.abs(whole - p_w) < tol)
    assert np.all(np.abs(missing.mean(axis=(0, 1)) - (p_w + (1 - p_w) * p_f)) < tol + 0.01)
    not_whole = ~missing.all(axis=1)
    flicker = (missing & not_whole[:, None, :]).sum(axis=(0, 1)) / (not_whole.sum(0) * w.shape[1])
    assert np.allclose(flicker, p_f, atol=0.02)


@pytest.mark.parametrize("k", range(len(HEIGHTS)))
def test_jitter_is_the_measured_fraction_of_person_height(model: DetectorErrorModel,
                                                          k: int) -> None:
    still = full_windows(HEIGHTS[k], b=400)
    no_miss = DetectorErrorModel.from_dict(model_dict(
        miss_window=ZEROS, miss_frame=ZEROS, swap_frame=[0.0, 0.0]))
    out = apply_detector_errors(still, np.random.default_rng(1), no_miss)
    # the bench's estimator: second difference / sqrt(6) of a still joint = its noise sigma
    second = (out[:, :-2, :, :2] - 2 * out[:, 1:-1, :, :2] + out[:, 2:, :, :2]) / np.sqrt(6)
    height = window_height_px(still)[0]
    assert second.std() / height == pytest.approx(model.jitter[k, 0], rel=0.05)


def test_left_right_swaps_happen_at_the_measured_rate(model: DetectorErrorModel) -> None:
    w = full_windows(150.0, b=2000)
    only_swaps = DetectorErrorModel.from_dict(model_dict(
        miss_window=ZEROS, miss_frame=ZEROS, jitter=ZEROS))
    out = apply_detector_errors(w, np.random.default_rng(2), only_swaps)
    for (right, left), p in zip(PAIRS, only_swaps.swap_frame, strict=True):
        ri, li = JOINT_INDEX[right], JOINT_INDEX[left]
        swapped = out[..., ri, 0] == w[..., li, 0]
        assert swapped.mean() == pytest.approx(p, abs=0.01)
        assert np.array_equal(out[swapped][:, li], w[swapped][:, ri])
    others = [j for j in range(NUM_JOINTS)
              if JOINT_NAMES[j] not in {n for pair in PAIRS for n in pair}]
    assert np.array_equal(out[..., others, :], w[..., others, :])


def test_shapes_kept_and_missing_joints_stay_missing(model: DetectorErrorModel) -> None:
    rng = np.random.default_rng(3)
    w = full_windows(110.0, b=64, t=20)
    gone = rng.random(w.shape[:3]) < 0.3
    gone[..., JOINT_INDEX["r_eye"]:] = True  # like UTD-MHAD: no eyes or ears at all
    w[gone] = 0.0
    out = apply_detector_errors(w, rng, model, strength=2.0)
    assert out.shape == w.shape and out.dtype == np.float32
    assert np.all(out[gone] == 0.0)
    assert np.all(out[out[..., 2] <= 0][:, :2] == 0.0)


def test_same_seed_same_result_and_strength_zero_is_identity(model: DetectorErrorModel) -> None:
    w = full_windows(90.0, b=16)
    a = apply_detector_errors(w, np.random.default_rng(7), model)
    b = apply_detector_errors(w, np.random.default_rng(7), model)
    c = apply_detector_errors(w, np.random.default_rng(8), model)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.array_equal(apply_detector_errors(w, np.random.default_rng(7), model, 0.0), w)


@pytest.mark.parametrize("text, complaint", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    (json.dumps(model_dict(format="other/1")), "'format'"),
    (json.dumps(model_dict(joints=list(JOINT_NAMES[:17]))), "'joints'"),
    (json.dumps(model_dict(height_bins_px=[120, 80, 200])), "height_bins_px"),
    (json.dumps(model_dict(miss_window=[[0.1] * NUM_JOINTS] * 3)), "'miss_window'"),
    (json.dumps(model_dict(miss_frame=[[1.5] * NUM_JOINTS] * 4)), "probabilities"),
    (json.dumps(model_dict(jitter=[[-0.1] * NUM_JOINTS] * 4)), "'jitter'"),
    (json.dumps(model_dict(swap_pairs=[["r_wrist", "l_hand"], ["r_knee", "l_knee"]])),
     "unknown joint"),
    (json.dumps(model_dict(torso_ratio=[1, 2])), "'torso_ratio'"),
    (json.dumps(model_dict(swap_frame=[0.1])), "'swap_frame'"),
    (json.dumps({k: v for k, v in model_dict().items() if k != "jitter"}), "missing key 'jitter'"),
    (json.dumps(model_dict(miss_frame="high")), "'miss_frame'"),
])
def test_loader_rejects_malformed_files(tmp_path: Path, text: str, complaint: str) -> None:
    path = tmp_path / "errors.json"
    path.write_text(text)
    with pytest.raises(DataError, match=complaint):
        DetectorErrorModel.load(path)


def test_loader_rejects_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read"):
        DetectorErrorModel.load(tmp_path / "absent.json")


def test_shipped_model_loads_with_its_command() -> None:
    m = load_error_model("openpose_mobilenet")
    assert m.backend == "openpose_mobilenet"
    assert "bench.bench_pose_errors" in json.loads(SHIPPED.read_text())["command"]
    assert m.miss_window.shape == (len(m.height_bins_px) + 1, NUM_JOINTS)


def test_augment_config_turns_detector_errors_on_by_name_or_path(tmp_path: Path) -> None:
    off = AugmentConfig(rotate_deg=0, scale=0, stretch=0, joint_dropout=0, frame_dropout=0,
                        noise=0)
    path = tmp_path / "errors.json"
    path.write_text(json.dumps(model_dict()))
    w = full_windows(100.0, b=200)
    assert np.array_equal(augment_windows(w, np.random.default_rng(0), off), w)
    for name in ("openpose_mobilenet", str(path)):
        cfg = AugmentConfig.from_dict({**off.to_dict(), "detector_errors": name})
        out = augment_windows(w, np.random.default_rng(0), cfg)
        assert (out[..., 2] <= 0).any() and out.shape == w.shape
    half = AugmentConfig.from_dict({**off.to_dict(), "detector_errors": "openpose_mobilenet",
                                    "detector_errors_prob": 0.5})
    out = augment_windows(w, np.random.default_rng(0), half)
    clean = (out == w).all(axis=(1, 2, 3))
    assert 0.3 < clean.mean() < 0.7  # about half the windows keep the clean skeletons
    with pytest.raises(ConfigError, match="detector_errors_prob"):
        augment_windows(w, np.random.default_rng(0), AugmentConfig(
            detector_errors="openpose_mobilenet", detector_errors_prob=1.5))
    bad = AugmentConfig(detector_errors="no_such_backend")
    with pytest.raises(ConfigError, match="detector_errors"):
        augment_windows(w, np.random.default_rng(0), bad)
