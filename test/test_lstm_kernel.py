"""The compiled LSTM forward pass equals PyTorch's for every architecture option, both
shipped models and real windows; the classifier's engines agree."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from har_ros.action_config import ActionNodeConfig, shipped_model_path
from har_ros.classifier import ActionClassifier
from har_ros.errors import ConfigError
from har_ros.lstm_kernel import LSTMKernel, _tanh
from har_ros.model import LSTMClassifier, ModelConfig


def _random_model(seed: int, **arch) -> LSTMClassifier:
    torch.manual_seed(seed)
    model = LSTMClassifier(ModelConfig(input_size=23, num_classes=5, **arch)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-0.4, 0.4)  # larger than init: saturates some gates
    g = torch.Generator().manual_seed(seed)
    model.set_feature_stats(torch.randn(23, generator=g), torch.rand(23, generator=g) + 0.1)
    return model


def _torch_logits(model: LSTMClassifier, feats: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        return model(torch.from_numpy(feats)).numpy()


@pytest.mark.parametrize("arch", [
    {"hidden_size": 16},
    {"hidden_size": 37, "pool": "mean"},  # not a multiple of the 4-row unroll
    {"hidden_size": 20, "num_layers": 3, "pool": "mean"},
    {"hidden_size": 24, "input_layer": True},  # the predecessor project's network
    {"hidden_size": 13, "num_layers": 2, "input_layer": True, "pool": "mean"},
])
def test_kernel_logits_equal_pytorch_for_every_architecture_option(arch):
    model = _random_model(1, **arch)
    feats = np.random.default_rng(2).normal(0, 2, (6, 11, 23)).astype(np.float32)
    np.testing.assert_allclose(LSTMKernel(model).logits(feats), _torch_logits(model, feats),
                               atol=2e-5, rtol=1e-5)


def test_dropping_zero_channels_is_exact_and_a_wrong_mask_is_not():
    """Channels that are 0 by construction fold into the bias; the test would catch a kernel
    that ignored the mask or dropped channels that carry signal."""
    model = _random_model(3, hidden_size=16)
    feats = np.random.default_rng(4).normal(0, 1, (4, 9, 23)).astype(np.float32)
    zero = np.zeros(23, bool)
    zero[[0, 5, 6, 22]] = True
    feats[..., zero] = 0.0
    ref = _torch_logits(model, feats)
    np.testing.assert_allclose(LSTMKernel(model, zero).logits(feats), ref, atol=2e-5)
    wrong = zero.copy()
    wrong[1] = True
    assert np.abs(LSTMKernel(model, wrong).logits(feats) - ref).max() > 1e-3


def test_fast_tanh_is_within_a_micro_of_the_exact_function():
    x = np.linspace(-12, 12, 20001, dtype=np.float32)
    err = max(abs(float(_tanh(v)) - np.tanh(float(v))) for v in x)
    assert err < 2e-6, err


def _real_windows(shared_data, clf: ActionClassifier) -> np.ndarray:
    from har_ros.data.utd import load_utd_mhad
    from har_ros.training import build_windows

    ds = load_utd_mhad(shared_data / "utd_mhad", subjects=[2, 6])
    wi = build_windows(ds.sequences, clf.rate_hz, clf.window_frames, 3)
    w = wi.gather(np.arange(len(wi)))
    w[::7, :, 4] = 0.0  # some windows lose a wrist, as live tracks do
    return w


@pytest.mark.parametrize("name", ["default", "penn"])
def test_engines_agree_on_both_shipped_models_and_real_windows(shared_data, name):
    kernel = ActionClassifier.load(shipped_model_path(name), engine="kernel")
    reference = ActionClassifier.load(shipped_model_path(name), engine="torch")
    w = _real_windows(shared_data, kernel)
    assert len(w) > 100
    p_kernel, p_torch = kernel.predict_proba(w), reference.predict_proba(w)
    np.testing.assert_allclose(p_kernel, p_torch, atol=1e-5)
    assert (p_kernel.argmax(1) == p_torch.argmax(1)).all()
    auto = ActionClassifier.load(shipped_model_path(name))
    for n in (1, 3, 40):  # kernel below KERNEL_MAX_BATCH, PyTorch above
        np.testing.assert_allclose(auto.predict_proba(w[:n]), p_torch[:n], atol=1e-5)


def test_unknown_engine_is_refused_with_the_choices():
    with pytest.raises(ConfigError, match="auto"):
        ActionClassifier.load(shipped_model_path("default"), engine="gpu")
    with pytest.raises(ConfigError, match="inference_engine"):
        ActionNodeConfig(inference_engine="gpu").validate()


def test_wrong_shapes_are_refused_before_the_unchecked_loops():
    from har_ros.errors import InputError
    from har_ros.features import FeatureConfig

    kernel = LSTMKernel(_random_model(5, hidden_size=8))
    for bad in (np.zeros((2, 5, 22), np.float32), np.zeros((2, 0, 23), np.float32),
                np.zeros((5, 23), np.float32)):
        with pytest.raises(InputError):
            kernel.logits(bad)
    joints = np.ones(18, bool)
    with pytest.raises(InputError):  # FeatureConfig() has 92 channels, the model 23
        kernel.proba_windows(np.zeros((1, 5, 18, 3), np.float32), FeatureConfig(), joints)
    with pytest.raises(InputError):
        kernel.proba_windows(np.zeros((1, 5, 17, 3), np.float32), FeatureConfig(), joints)
