"""Few-shot adaptation: start a run from another model's encoder (``init_from``).

The new network keeps the init model's LSTM (and input layer), its feature standardisation,
joints, window length, sampling rate and architecture: its input layer only understands
features computed that way. Only the output head is new, sized for this run's classes; rows
of classes with the same name in both models start from the init model's row. ``freeze:
encoder`` trains the head only; ``encoder_lr_scale`` slows the encoder down otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
from torch import nn

from har_ros.checkpoint import Checkpoint, load_checkpoint
from har_ros.errors import CheckpointError, ConfigError
from har_ros.model import LSTMClassifier
from har_ros.training.config import TrainConfig

#: ``model`` keys the init model decides (the weights' shapes and how they are read).
ARCHITECTURE_KEYS = ("hidden_size", "num_layers", "pool", "input_layer", "view_bins")
#: Name prefixes of the head's tensors in :class:`LSTMClassifier`; everything else but the
#: standardisation buffers is the encoder.
HEAD_PREFIX = "head."


@dataclass
class InitModel:
    """The init model and the run config adopted to it."""

    checkpoint: Checkpoint
    cfg: TrainConfig
    #: Config key -> [value asked for, value used (the init model's)] where they differed.
    overridden: dict = field(default_factory=dict)

    def provenance(self, classes: list[str]) -> dict:
        """What ``model.json`` / ``metrics.json`` record about the start point."""
        src = self.checkpoint.classes
        return {"init_from": self.cfg.init_from, "freeze": self.cfg.freeze,
                "encoder_lr_scale": self.cfg.encoder_lr_scale,
                "init_classes": list(src),
                "head_rows_from_init": [c for c in classes if c in src],
                "overridden": self.overridden}


def load_init(cfg: TrainConfig) -> InitModel:
    """Load ``cfg.init_from`` and return it with ``cfg`` adopted to it (window, rate,
    features, architecture); ConfigError naming ``init_from`` when it cannot be used."""
    try:
        ckpt = load_checkpoint(cfg.init_from)
    except CheckpointError as exc:
        raise ConfigError(f"init_from: {exc} (give a model folder with model.safetensors and "
                          "model.json, e.g. har_ros/models/default)") from exc
    return adopt(cfg, ckpt)


def adopt(cfg: TrainConfig, ckpt: Checkpoint) -> InitModel:
    """``cfg`` with ``rate_hz``, ``window_s``, ``features`` and the architecture keys of
    ``model`` replaced by ``ckpt``'s; the differences are listed in ``overridden``."""
    overridden: dict = {}
    if abs(cfg.rate_hz - ckpt.rate_hz) > 1e-9:
        overridden["rate_hz"] = [cfg.rate_hz, ckpt.rate_hz]
    if cfg.window_frames != ckpt.window_frames:
        overridden["window_s"] = [cfg.window_s, ckpt.window_s]
    fcfg = cfg.feature_config()
    if fcfg != ckpt.feature_config:
        mine, theirs = fcfg.to_dict(), ckpt.feature_config.to_dict()
        for k in sorted(set(mine) | set(theirs)):
            if mine.get(k) != theirs.get(k):
                overridden[f"features.{k}"] = [mine.get(k), theirs.get(k)]
    arch = ckpt.model_config.to_dict()
    model = dict(cfg.model)
    for k in ARCHITECTURE_KEYS:
        default = getattr(cfg.model_config(arch["input_size"], 2), k)
        if model.get(k, default) != arch[k]:
            overridden[f"model.{k}"] = [model.get(k, default), arch[k]]
        model[k] = arch[k]
    new = replace(cfg, rate_hz=ckpt.rate_hz, window_s=ckpt.window_s,
                  features=ckpt.feature_config.to_dict(), model=model)
    if new.window_frames != ckpt.window_frames:  # rounding of window_s * rate_hz
        raise ConfigError(f"init_from: window of {ckpt.window_frames} frames at "
                          f"{ckpt.rate_hz} Hz cannot be expressed as window_s")
    return InitModel(ckpt, new, overridden)


def init_network(init: InitModel, classes: list[str]) -> LSTMClassifier:
    """A network with the init model's encoder and standardisation and a new head for
    ``classes`` (rows of classes the init model also has are copied); frozen per ``freeze``."""
    src = init.checkpoint.model
    net = LSTMClassifier(init.cfg.model_config(src.config.input_size, len(classes)))
    state = {k: v for k, v in src.state_dict().items() if not k.startswith(HEAD_PREFIX)}
    missing, unexpected = net.load_state_dict(state, strict=False)
    if unexpected or any(not k.startswith(HEAD_PREFIX) for k in missing):
        raise ConfigError(f"init_from: {init.cfg.init_from} does not fit this network "
                          f"(missing {missing}, unexpected {unexpected})")
    bins, n_src, n_new = src.config.view_bins, len(init.checkpoint.classes), len(classes)
    with torch.no_grad():
        for i, name in enumerate(classes):
            if name in init.checkpoint.classes:
                j = init.checkpoint.classes.index(name)
                for k in range(bins):  # one row per (view bin, class): bin-major
                    net.head.weight[k * n_new + i] = src.head.weight[k * n_src + j]
                    net.head.bias[k * n_new + i] = src.head.bias[k * n_src + j]
    if init.cfg.freeze == "encoder":
        for p in encoder_parameters(net):
            p.requires_grad_(False)
    return net


def encoder_parameters(net: LSTMClassifier) -> list[nn.Parameter]:
    """The encoder's trainable tensors (everything but the head)."""
    return [p for k, p in net.named_parameters() if not k.startswith(HEAD_PREFIX)]


def parameter_groups(net: nn.Module, cfg: TrainConfig) -> list[dict]:
    """Optimiser parameter groups (``params``, ``lr``) of the trainable weights: the whole
    network at ``cfg.lr``, or with ``init_from`` the head at ``lr`` and the encoder at
    ``lr * encoder_lr_scale`` (frozen weights are left out)."""
    if not cfg.init_from or cfg.encoder_lr_scale == 1.0:
        return [{"params": [p for p in net.parameters() if p.requires_grad], "lr": cfg.lr}]
    head = [p for k, p in net.named_parameters() if k.startswith(HEAD_PREFIX)]
    enc = [p for p in encoder_parameters(net) if p.requires_grad]
    groups = [{"params": head, "lr": cfg.lr}]
    if enc and cfg.encoder_lr_scale > 0:
        groups.append({"params": enc, "lr": cfg.lr * cfg.encoder_lr_scale})
    return groups
