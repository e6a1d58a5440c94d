"""Causal LSTM action classifier over per-frame feature windows.

Input (B, T, F) features (T frames at the model rate, F from FeatureConfig), standardised
inside the model with the training set's per-channel mean/std (buffers saved in the
checkpoint). Unidirectional LSTM, so the output for a window only depends on its frames
(and a streaming implementation could reuse state). Output: (B, C) logits.

With ``view_bins`` K > 1 the head has K x C outputs: a score for every (camera-azimuth bin,
class) pair, trained on rendered clips whose camera is known (har_ros/view_bins.py). The
class logits are the log of the summed probabilities over the bins (logsumexp), so a
softmax over them is the class marginal. This lets the last layer combine "from which side"
with "which motion" (a swipe towards the camera is swipe_left from one side and swipe_right
from the other), which one linear layer over the pooled LSTM state cannot.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
from torch import nn

from har_ros.errors import ConfigError

POOLS = ("last", "mean")


@dataclass(frozen=True)
class ModelConfig:
    """Architecture; stored in every checkpoint."""

    input_size: int
    num_classes: int
    hidden_size: int = 128
    num_layers: int = 1
    dropout: float = 0.0
    #: "last": classify the final LSTM output; "mean": average the outputs over the window.
    pool: str = "last"
    #: Linear(input_size -> hidden_size) + ReLU before the LSTM, as in the predecessor project
    #: (Chevalier's LSTM-HAR). Off by default; checkpoints without this key load unchanged.
    input_layer: bool = False
    #: Camera-azimuth bins of the head (1 = a plain class head; see the module docstring).
    view_bins: int = 1

    def __post_init__(self) -> None:
        if self.input_size < 1 or self.num_classes < 2:
            raise ConfigError("input_size must be >= 1 and num_classes >= 2")
        if self.hidden_size < 1 or self.num_layers < 1:
            raise ConfigError("hidden_size and num_layers must be >= 1")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.pool not in POOLS:
            raise ConfigError(f"pool must be one of {POOLS}, got {self.pool!r}")
        if not 1 <= self.view_bins <= 36:
            raise ConfigError(f"view_bins must be in [1, 36], got {self.view_bins}")

    @property
    def head_size(self) -> int:
        """Outputs of the last layer: ``view_bins`` x ``num_classes``."""
        return self.view_bins * self.num_classes

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        """Inverse of ``to_dict``; unknown keys raise ConfigError."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown model option(s): {', '.join(sorted(unknown))}")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ConfigError(f"incomplete model config: {exc}") from exc


def predecessor_model_config(input_size: int, num_classes: int) -> ModelConfig:
    """The predecessor project's network: ReLU input layer, one LSTM layer, 128 hidden units,
    last output, no dropout."""
    return ModelConfig(input_size, num_classes, hidden_size=128, num_layers=1, dropout=0.0,
                       pool="last", input_layer=True)


class LSTMClassifier(nn.Module):
    """Standardise -> [linear + ReLU] -> LSTM (unidirectional) -> pool -> dropout -> logits."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("feature_mean", torch.zeros(config.input_size))
        self.register_buffer("feature_std", torch.ones(config.input_size))
        lstm_in = config.input_size
        if config.input_layer:
            self.input_layer = nn.Sequential(nn.Linear(config.input_size, config.hidden_size),
                                             nn.ReLU())
            lstm_in = config.hidden_size
        self.lstm = nn.LSTM(lstm_in, config.hidden_size, num_layers=config.num_layers,
                            batch_first=True,
                            dropout=config.dropout if config.num_layers > 1 else 0.0)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden_size, config.head_size)

    def set_feature_stats(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Per-channel standardisation (F,) tensors; std is floored at 1e-3."""
        self.feature_mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.feature_std.copy_(torch.as_tensor(std, dtype=torch.float32).clamp_min(1e-3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, F) features -> (B, C) class logits (marginal over view bins)."""
        z = self.forward_joint(x)
        return z[:, 0] if z.shape[1] == 1 else torch.logsumexp(z, dim=1)

    def forward_joint(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, F) features -> (B, view_bins, C) logits of every (view bin, class) pair."""
        x = (x - self.feature_mean) / self.feature_std
        if self.config.input_layer:
            x = self.input_layer(x)
        out, _ = self.lstm(x)
        h = out[:, -1] if self.config.pool == "last" else out.mean(dim=1)
        z = self.head(self.drop(h))
        return z.view(z.shape[0], self.config.view_bins, self.config.num_classes)
