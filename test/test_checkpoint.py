"""Checkpoint round trip and everything loading must refuse."""

from __future__ import annotations

import json
import pickle
import tracemalloc

import numpy as np
import pytest
import torch

from har_ros.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from har_ros.classifier import ActionClassifier
from har_ros.errors import CheckpointError, InputError
from har_ros.features import FeatureConfig
from har_ros.model import LSTMClassifier, ModelConfig

CLASSES = ["waiting", "opening_door", "closing_door"]


def _ckpt(hidden=16) -> Checkpoint:
    torch.manual_seed(0)
    fcfg = FeatureConfig()
    model = LSTMClassifier(ModelConfig(fcfg.num_features, len(CLASSES), hidden_size=hidden))
    model.set_feature_stats(torch.linspace(-1, 1, fcfg.num_features),
                            torch.linspace(0.5, 2, fcfg.num_features))
    return Checkpoint(model.eval(), CLASSES, 20, 2, 10.0, fcfg,
                      training_data={"sequences": 3}, metrics={"clip_accuracy": 0.5})


def _windows(n=4, t=20):
    rng = np.random.default_rng(0)
    w = rng.uniform(100, 400, (n, t, 18, 3)).astype(np.float32)
    w[..., 2] = 1.0
    return w


@pytest.fixture
def saved(tmp_path):
    return save_checkpoint(_ckpt(), tmp_path / "m")


def test_round_trip_same_predictions(saved):
    ck = _ckpt()
    loaded = load_checkpoint(saved)
    meta = json.loads((saved / "model.json").read_text())
    assert meta["window_s"] == 2.0 and meta["rate_hz"] == 10.0 and meta["format_version"] == 1
    assert loaded.classes == CLASSES and loaded.window_frames == 20 and loaded.stride_frames == 2
    assert loaded.feature_config == ck.feature_config and loaded.model_config == ck.model_config
    assert loaded.metrics == {"clip_accuracy": 0.5}
    clf_a, clf_b = ActionClassifier(ck), ActionClassifier.load(saved)
    pa, pb = clf_a.predict_proba(_windows()), clf_b.predict_proba(_windows())
    np.testing.assert_allclose(pa, pb, atol=1e-6)
    np.testing.assert_allclose(pb.sum(1), 1.0, atol=1e-5)
    assert clf_b.classes == CLASSES and clf_b.window_frames == 20 and clf_b.rate_hz == 10.0
    # loading via either file works too
    assert load_checkpoint(saved / "model.json").classes == CLASSES
    assert load_checkpoint(saved / "model.safetensors").classes == CLASSES


def test_predict_proba_checks_window_shape(saved):
    clf = ActionClassifier.load(saved)
    with pytest.raises(InputError, match=r"\(B, 20, 18, 3\)"):
        clf.predict_proba(_windows(t=19))


def test_refuses_pickle_files(tmp_path, saved):
    p = tmp_path / "model.pt"
    torch.save(_ckpt().model.state_dict(), p)
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(p)
    # a pickle renamed to model.safetensors is refused too, before anything is unpickled
    (saved / "model.safetensors").write_bytes(pickle.dumps({"w": [1, 2]}))
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint(saved)


def test_refuses_corrupted_safetensors(saved):
    data = (saved / "model.safetensors").read_bytes()
    (saved / "model.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt or not a safetensors"):
        load_checkpoint(saved)


def _edit_meta(folder, **changes):
    meta = json.loads((folder / "model.json").read_text())
    meta.update(changes)
    (folder / "model.json").write_text(json.dumps(meta))


def test_refuses_mismatched_class_count(saved):
    _edit_meta(saved, classes=CLASSES + ["extra"])
    with pytest.raises(CheckpointError, match="3 outputs but 4 classes"):
        load_checkpoint(saved)


def test_refuses_shape_mismatch(saved):
    meta = json.loads((saved / "model.json").read_text())
    meta["model_config"]["hidden_size"] = 32
    (saved / "model.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match=r"shape \(64, 92\), model_config needs \(128, 92\)"):
        load_checkpoint(saved)


def test_refuses_feature_config_mismatch(saved):
    meta = json.loads((saved / "model.json").read_text())
    meta["feature_config"]["velocities"] = False
    (saved / "model.json").write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="input_size 92 != 56 features"):
        load_checkpoint(saved)


@pytest.mark.parametrize("changes, message", [
    ({"format_version": 2}, "format_version 2 is not supported"),
    ({"format": "other"}, "format is 'other'"),
    ({"window_s": 3.0}, "disagrees with window_frames"),
    ({"rate_hz": -1}, r"rate_hz -1 is outside \[0.1, 1000\]"),
    ({"normalisation": {"feature_mean": [0.0], "feature_std": [1.0]}}, "normalisation"),
    ({"joints": ["nose", "tail"]}, "joints must be distinct COCO-18"),
    ({"joints": []}, "joints must be distinct COCO-18"),
])
def test_refuses_bad_metadata(saved, changes, message):
    _edit_meta(saved, **changes)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(saved)


def _edit_model_config(folder, **changes):
    meta = json.loads((folder / "model.json").read_text())
    meta["model_config"].update(changes)
    (folder / "model.json").write_text(json.dumps(meta))


@pytest.mark.reliability("checkpoint model.json window_frames 20000000",
                         "CheckpointError naming window_frames and its limit, before any "
                         "allocation")
def test_huge_window_is_refused_before_allocating(saved):
    # window_s agrees with window_frames / rate_hz, so only the size bound can refuse it
    _edit_meta(saved, window_frames=20_000_000, window_s=2_000_000.0)
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError,
                           match=r"window_frames 20000000 is outside \[1, 10000\]"):
            ActionClassifier.load(saved)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20, f"{peak / 2**20:.0f} MiB allocated before refusing"


@pytest.mark.reliability("checkpoint sizes out of bounds (stride, rate, classes, hidden units, "
                         "layers, total weights) or of the wrong JSON type",
                         "CheckpointError naming the field; no MemoryError or OverflowError")
@pytest.mark.parametrize("meta, model, message", [
    ({"stride_frames": 10**9}, {}, r"stride_frames 1000000000 is outside \[1, 10000\]"),
    ({"rate_hz": 10**400}, {}, r"rate_hz .* is outside \[0.1, 1000\]"),
    ({"rate_hz": 1e9, "window_s": 2e-8}, {}, r"rate_hz 1000000000.0 is outside"),
    ({"classes": [f"c{i}" for i in range(1001)]}, {"num_classes": 1001},
     r"classes 1001 is outside \[2, 1000\]"),
    ({"classes": ["a", "b", "x" * 201]}, {}, "1 to 200 characters"),
    ({"window_s": "2"}, {}, "window_s '2' disagrees"),
    ({"window_s": 10**400}, {}, "disagrees with window_frames"),
    ({}, {"hidden_size": 1_000_000}, r"hidden_size 1000000 is outside \[1, 2048\]"),
    ({}, {"num_layers": 1000}, r"num_layers 1000 is outside \[1, 16\]"),
    ({}, {"hidden_size": 2048, "num_layers": 16}, "more than the limit 50000000"),
    ({}, {"hidden_size": "16"}, "model_config 'hidden_size' has the wrong type"),
    ({}, {"num_layers": True}, "model_config 'num_layers' has the wrong type"),
    ({}, {"input_layer": 1}, "model_config 'input_layer' has the wrong type"),
])
def test_checkpoint_sizes_and_types_are_bounded(saved, meta, model, message):
    _edit_meta(saved, **meta)
    _edit_model_config(saved, **model)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(saved)


@pytest.mark.reliability("checkpoint whose safetensors holds an extra or reshaped tensor",
                         "CheckpointError naming the tensor, found from the file header")
def test_tensor_names_and_shapes_are_checked_against_the_metadata(saved):
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(saved / "model.safetensors"))
    save_file({**tensors, "extra.weight": torch.zeros(3)}, str(saved / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"unexpected \['extra.weight'\]"):
        load_checkpoint(saved)
    tensors["head.bias"] = torch.zeros(7)
    save_file(tensors, str(saved / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"head.bias has shape \(7,\), model_config needs "
                                              r"\(3,\)"):
        load_checkpoint(saved)


def test_joints_the_model_never_saw_are_ignored(tmp_path):
    """A model trained without eyes and ears (Penn Action, UTD-MHAD) gives the same output
    whether the live pose estimator found them or not; without the key all joints count."""
    from har_ros.skeleton import JOINT_NAMES, L_EAR, L_EYE, R_EAR, R_EYE

    face = [R_EYE, L_EYE, R_EAR, L_EAR]
    with_face = _windows()
    without = with_face.copy()
    without[:, :, face] = 0.0
    ck = _ckpt()
    ck.joints = tuple(j for i, j in enumerate(JOINT_NAMES) if i not in face)
    folder = save_checkpoint(ck, tmp_path / "m")
    assert json.loads((folder / "model.json").read_text())["joints"] == list(ck.joints)
    clf = ActionClassifier.load(folder)
    assert clf.checkpoint.joints == ck.joints
    np.testing.assert_array_equal(clf.predict_proba(with_face), clf.predict_proba(without))
    _edit_meta(folder, joints=list(JOINT_NAMES))  # the same weights, told to use every joint
    all_joints = ActionClassifier.load(folder)
    diff = all_joints.predict_proba(with_face) - all_joints.predict_proba(without)
    assert np.abs(diff).max() > 1e-4
    meta = json.loads((folder / "model.json").read_text())
    del meta["joints"]  # checkpoints from before the key: every joint
    (folder / "model.json").write_text(json.dumps(meta))
    assert load_checkpoint(folder).joints == JOINT_NAMES


def test_missing_files_and_unknown_files(tmp_path, saved):
    (saved / "model.json").unlink()
    with pytest.raises(CheckpointError, match="missing model.json"):
        load_checkpoint(saved)
    other = tmp_path / "weights.bin"
    other.write_bytes(b"\x00" * 16)
    with pytest.raises(CheckpointError, match="not a har_ros checkpoint"):
        load_checkpoint(other)
    with pytest.raises(CheckpointError, match="no such model"):
        load_checkpoint(tmp_path / "nowhere")
