"""The LSTM classifier: shapes, causality, configs, the predecessor-project baseline."""

from __future__ import annotations

import pytest
import torch

from har_ros.errors import ConfigError
from har_ros.model import LSTMClassifier, ModelConfig, predecessor_model_config


def test_output_shape_and_standardisation():
    torch.manual_seed(0)
    m = LSTMClassifier(ModelConfig(10, 4, hidden_size=8, num_layers=2, dropout=0.1)).eval()
    x = torch.randn(3, 7, 10)
    assert m(x).shape == (3, 4)
    ref = m(x)  # identity stats
    m.set_feature_stats(torch.full((10,), 5.0), torch.full((10,), 2.0))
    torch.testing.assert_close(m(x * 2 + 5), ref)
    assert not torch.allclose(m(x), ref)


def test_unidirectional_outputs_depend_only_on_past_frames():
    torch.manual_seed(0)
    m = LSTMClassifier(ModelConfig(6, 3, hidden_size=8)).eval()
    x = torch.randn(1, 9, 6)
    out_full, _ = m.lstm(x)
    out_prefix, _ = m.lstm(x[:, :5])
    # unidirectional: outputs up to t depend only on frames <= t
    torch.testing.assert_close(out_full[:, :5], out_prefix)


def test_config_validation_and_round_trip():
    cfg = ModelConfig(92, 27, hidden_size=64, pool="mean")
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="pool"):
        ModelConfig(92, 27, pool="max")
    with pytest.raises(ConfigError, match="unknown model option"):
        ModelConfig.from_dict({**cfg.to_dict(), "bidirectional": True})


def test_seed_baseline_config():
    cfg = predecessor_model_config(36, 6)
    assert (cfg.hidden_size, cfg.num_layers, cfg.input_size) == (128, 1, 36)
