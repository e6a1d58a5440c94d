"""Training configuration: :class:`TrainConfig`, the predecessor-project baselines, YAML loading
(no torch import, so ``har-ros train --help`` stays light).

"Predecessor" is the project har_ros grew from (Chevalier's LSTM-HAR as adapted by
stuarteiffert for 2D pose). Its baselines keep their configuration values ``seed``,
``seed_std`` and ``seed_net`` (config files and ``har-ros train --baseline``); the random seed
is the ``seed`` field.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

from har_ros.augment import AugmentConfig
from har_ros.errors import ConfigError
from har_ros.features import FeatureConfig
from har_ros.resample import DEFAULT_MAX_GAP_S, frames_for
from har_ros.view_bins import VIEW_BIN_LAYOUTS
from har_ros.viewpoint import CameraRanges

if TYPE_CHECKING:
    from har_ros.model import ModelConfig

SPLITS = ("cross_subject", "cross_view", "official", "kfold", "blocks", "random")
#: Values of ``freeze`` (with ``init_from``): train every weight, or only the new head.
FREEZE = ("none", "encoder")
#: Top-level keys holding a path; in a config file a relative path is relative to the file's
#: folder (absolute paths are kept). Paths given on the command line stay relative to the
#: current directory.
PATH_KEYS = ("data_root", "init_from")
#: ``dataset_options`` keys holding a path (resolved the same way).
DATASET_PATH_KEYS = ("label_map",)
#: Values of ``baseline``: "" (this config) or a predecessor-project baseline.
BASELINES = ("", "seed", "seed_std", "seed_net")
#: Baselines trained with the predecessor's optimiser (PREDECESSOR_RECIPE), not this config's.
PREDECESSOR_OPTIMISER_BASELINES = ("seed", "seed_std")

#: The predecessor's training recipe: Adam with coupled L2 (TF ``lambda * sum(l2_loss(w))`` ==
#: Adam ``weight_decay=lambda``) on all parameters, lr 0.0025 decayed x0.96 (staircase) every
#: 100,000 training samples, batch 512, plain cross-entropy (no label smoothing), no gradient
#: clipping, final weights, 32-frame windows. ``epochs`` stays the config's / caller's.
PREDECESSOR_RECIPE = {"lr": 0.0025, "weight_decay": 0.0015, "batch_size": 512,
                      "label_smoothing": 0.0, "select": "last"}
PREDECESSOR_LR_DECAY = 0.96
PREDECESSOR_LR_DECAY_SAMPLES = 100_000
PREDECESSOR_WINDOW_FRAMES = 32


@dataclass
class TrainConfig:
    """Everything a training run needs; YAML files in ``config/train_*.yaml`` set these keys."""

    dataset: str = "utd"
    data_root: str = "../shared/data/utd_mhad"
    dataset_options: dict = field(default_factory=dict)
    split: str = "cross_subject"
    train_subjects: list = field(default_factory=list)
    test_subjects: list = field(default_factory=list)
    #: split: cross_view: the views (``camera`` of each sequence) to train and to test on.
    train_cameras: list = field(default_factory=list)
    test_cameras: list = field(default_factory=list)
    folds: int = 4
    fold: int = 0
    #: split: blocks: seconds dropped around every cut between two time blocks (None: one
    #: window, ``window_s``), so training windows do not share frames with test windows.
    block_gap_s: float | None = None
    test_fraction: float = 0.2
    val_fraction: float = 0.15
    rate_hz: float = 15.0
    window_s: float = 2.0
    stride_s: float = 0.2
    train_stride_s: float = 0.2
    max_windows_per_clip: int = 8
    max_gap_s: float = DEFAULT_MAX_GAP_S
    features: dict = field(default_factory=dict)
    model: dict = field(default_factory=dict)
    augment: dict = field(default_factory=dict)
    #: Render 3D clips through a new random virtual camera every epoch
    #: (:class:`har_ros.viewpoint.CameraRanges` keys); empty = use the 2D skeletons as loaded.
    virtual_cameras: dict = field(default_factory=dict)
    #: Class pairs exchanged when a window is mirrored (e.g. swipe_left <-> swipe_right).
    mirror_swap: dict = field(default_factory=dict)
    #: Data label -> class the model learns (many-to-one merges classes the cell does not
    #: need apart; null leaves a label's clips out), applied before the split; names the map
    #: does not list stay as they are. The model's classes are the mapped names.
    merge_classes: dict = field(default_factory=dict)
    epochs: int = 80
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-2
    label_smoothing: float = 0.1
    patience: int = 20
    #: "best": weights of the epoch with the lowest validation loss; "last": final weights.
    select: str = "best"
    #: Random seed (numpy and torch).
    seed: int = 0
    threads: int = 1
    max_minutes: float = 9.0
    #: "" (this config), or a predecessor-project baseline: "seed" (its network, raw-pixel
    #: input, 32-frame windows and optimiser; no standardisation, no augmentation), "seed_std"
    #: (the same with per-channel standardisation) or "seed_net" (its network and standardised
    #: raw-pixel input, no augmentation, trained with this config's optimiser and schedule).
    baseline: str = ""
    #: Model folder whose encoder (LSTM and standardisation) starts this run; a new output
    #: head is made for this data's classes. The run takes that model's window, rate,
    #: features, joints and architecture (its input layer expects them) and says what it
    #: overrode. "" = train from scratch.
    init_from: str = ""
    #: With ``init_from``: "none" trains every weight, "encoder" only the new head.
    freeze: str = "none"
    #: With ``init_from``: the encoder's learning rate as a fraction of ``lr`` (the head
    #: gets ``lr``); lower keeps more of what the init model learned.
    encoder_lr_scale: float = 1.0
    #: Model folders whose averaged probabilities (each served as the action node serves it,
    #: mirror averaging included) are a second training target beside the labels:
    #: distillation of an ensemble into one network of this config's size. They must have
    #: this run's classes, window and rate. [] = labels only.
    distill_from: list = field(default_factory=list)
    #: With ``distill_from``: weight of the teachers' probabilities in the loss (the labels
    #: get 1 - this).
    distill_weight: float = 0.5
    #: With ``model.view_bins`` > 1: weight of the (view bin, class) pair loss; the class
    #: loss (its probability summed over the bins) gets 1 - this.
    view_loss_weight: float = 1.0
    #: With ``model.view_bins`` > 1, how bins cut the circle of azimuths: "centred" (bin 0
    #: centred on the front; 4 bins are front, right side, back, left side) or "split" (bin
    #: edges at the front and the back; 2 bins are the person's right and left side).
    view_bin_layout: str = "centred"
    #: Keep only this many labelled clips per class of the training part (drawn at random
    #: with ``seed``, before the validation clips are taken from them; 0 = all): the
    #: few-shot setting. The other training clips are left out, or with ``self_training``
    #: become its unlabelled pool (their labels are never read).
    labelled_per_class: int = 0
    #: Self-training (pseudo-labelling) rounds, one fraction each, e.g. [0.5, 1.0]: a
    #: teacher trained on the labelled clips labels the unlabelled pool, and per round the
    #: most confident fraction of the clips it assigns to each class join the labelled
    #: clips to train a student (``epochs``, from the same start), which teaches the next
    #: round. Needs ``labelled_per_class`` and clip-labelled data
    #: (:mod:`har_ros.training.self_training`). [] = off.
    self_training: list = field(default_factory=list)
    #: Epochs of each self-training student (None: ``epochs``); students see many more clips
    #: than the teacher, so fewer epochs do.
    self_training_epochs: int | None = None

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """Build from a (YAML) mapping; unknown keys raise ConfigError."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown training option(s): {', '.join(sorted(unknown))}")
        cfg = cls(**data)
        if cfg.split not in SPLITS:
            raise ConfigError(f"split must be one of {SPLITS}, got {cfg.split!r}")
        if cfg.select not in ("best", "last"):
            raise ConfigError(f"select must be 'best' or 'last', got {cfg.select!r}")
        if cfg.baseline not in BASELINES:
            raise ConfigError(f"baseline must be one of {BASELINES}, got {cfg.baseline!r}")
        if cfg.freeze not in FREEZE:
            raise ConfigError(f"freeze must be one of {FREEZE}, got {cfg.freeze!r}")
        if cfg.freeze != "none" and not cfg.init_from:
            raise ConfigError(f"freeze: {cfg.freeze} needs init_from (a model folder whose "
                              "encoder to keep); set init_from or freeze: none")
        if cfg.init_from and cfg.baseline:
            raise ConfigError(f"init_from cannot be combined with baseline {cfg.baseline!r} "
                              "(a baseline fixes its own network and inputs); drop one of them")
        if not isinstance(cfg.distill_from, list) or not all(
                isinstance(f, str) and f for f in cfg.distill_from):
            raise ConfigError("distill_from must be a list of model folders, got "
                              f"{cfg.distill_from!r}")
        if not 0.0 <= cfg.view_loss_weight <= 1.0:
            raise ConfigError(f"view_loss_weight must be in [0, 1], got {cfg.view_loss_weight}")
        if cfg.view_bin_layout not in VIEW_BIN_LAYOUTS:
            raise ConfigError(f"view_bin_layout must be one of {', '.join(VIEW_BIN_LAYOUTS)}, "
                              f"got {cfg.view_bin_layout!r}")
        if not 0.0 < cfg.distill_weight <= 1.0:
            raise ConfigError(f"distill_weight must be in (0, 1], got {cfg.distill_weight}")
        if not 0.0 <= cfg.encoder_lr_scale <= 1.0:
            raise ConfigError(f"encoder_lr_scale must be in [0, 1], got {cfg.encoder_lr_scale}")
        if cfg.labelled_per_class < 0:
            raise ConfigError(f"labelled_per_class must be >= 0, got {cfg.labelled_per_class}")
        if not isinstance(cfg.self_training, list) or not all(
                isinstance(f, (int, float)) and not isinstance(f, bool) and 0 < f <= 1
                for f in cfg.self_training):
            raise ConfigError("self_training must be a list of fractions in (0, 1], one per "
                              f"round (e.g. [0.5, 1.0]), got {cfg.self_training!r}")
        if cfg.self_training_epochs is not None and cfg.self_training_epochs < 1:
            raise ConfigError(f"self_training_epochs must be >= 1 or null, got "
                              f"{cfg.self_training_epochs}")
        if cfg.self_training and not cfg.labelled_per_class:
            raise ConfigError("self_training needs labelled_per_class (the training clips "
                              "beyond it are the unlabelled pool); set labelled_per_class")
        for key, target in cfg.merge_classes.items():
            if not isinstance(key, str) or not (target is None or (isinstance(target, str)
                                                                  and target)):
                raise ConfigError(f"merge_classes entry {key!r}: {target!r}: map a data label "
                                  "to a class name or null")
        if cfg.block_gap_s is not None and cfg.block_gap_s < 0:
            raise ConfigError(f"block_gap_s must be >= 0 seconds, got {cfg.block_gap_s}")
        return cfg

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return asdict(self)

    @property
    def window_frames(self) -> int:
        """Window length in model frames (the predecessor baselines: its 32)."""
        if self.baseline:
            return PREDECESSOR_WINDOW_FRAMES
        return frames_for(self.window_s, self.rate_hz)

    def effective(self) -> TrainConfig:
        """This config with the predecessor's optimiser settings where the baseline uses them."""
        return replace(self, **PREDECESSOR_RECIPE) if self.predecessor_optimiser else self

    @property
    def predecessor_optimiser(self) -> bool:
        """True for the baselines trained with the predecessor's Adam + staircase decay."""
        return self.baseline in PREDECESSOR_OPTIMISER_BASELINES

    @property
    def stride_frames(self) -> int:
        """Evaluation / inference stride in model frames."""
        return frames_for(self.stride_s, self.rate_hz)

    def feature_config(self) -> FeatureConfig:
        """Feature channels (the predecessor baselines force raw pixels)."""
        if self.baseline == "seed":
            return FeatureConfig.predecessor()
        if self.baseline in ("seed_std", "seed_net"):
            return replace(FeatureConfig.predecessor(), standardise=True)
        return FeatureConfig.from_dict(self.features)

    def augment_config(self) -> AugmentConfig:
        """Augmentation (the predecessor baselines have none)."""
        if self.baseline:
            return AugmentConfig(mirror=0, rotate_deg=0, scale=0, stretch=0, joint_dropout=0,
                                 frame_dropout=0, noise=0, speeds=(1.0,))
        return AugmentConfig.from_dict(self.augment)

    def camera_ranges(self) -> CameraRanges | None:
        """Virtual-camera ranges, or None when this config does not render 3D clips."""
        return CameraRanges.from_dict(self.virtual_cameras) if self.virtual_cameras else None

    def model_config(self, input_size: int, num_classes: int) -> ModelConfig:
        """Network architecture for this input and class count."""
        from har_ros.model import ModelConfig, predecessor_model_config  # imports torch

        if self.baseline:
            return predecessor_model_config(input_size, num_classes)
        return ModelConfig.from_dict({**self.model, "input_size": input_size,
                                      "num_classes": num_classes})


def resolve_paths(data: dict, folder: Path) -> dict:
    """``data`` with the relative paths under PATH_KEYS and ``dataset_options`` /
    DATASET_PATH_KEYS made relative to ``folder`` (absolute and empty paths unchanged)."""

    def fix(value):
        if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
            return os.path.normpath(folder / value)
        return value

    out = dict(data)
    for key in PATH_KEYS:
        if key in out:
            out[key] = fix(out[key])
    if isinstance(out.get("distill_from"), list):
        out["distill_from"] = [fix(v) for v in out["distill_from"]]
    if isinstance(out.get("dataset_options"), dict):
        out["dataset_options"] = {k: fix(v) if k in DATASET_PATH_KEYS else v
                                  for k, v in out["dataset_options"].items()}
    return out


def load_config(path: str | Path, overrides: dict | None = None,
                sets: list[str] | None = None) -> dict:
    """Config YAML as a dict, with ``overrides`` (None values ignored) and ``KEY=VALUE``
    strings (dots for nested keys, VALUE parsed as YAML) applied.

    Relative paths written in the file (``data_root``, ``init_from``, ``distill_from``,
    ``dataset_options.label_map``) are relative to the file's folder; those in ``overrides``
    and ``sets`` (the command line) to the current directory."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of training options")
    data = resolve_paths(data, path.resolve().parent)
    for k, v in (overrides or {}).items():
        if v is not None:
            data[k] = v
    for item in sets or []:
        if "=" not in item:
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        node = data
        parts = key.strip().split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ConfigError(f"--set {key}: {p} is not a mapping")
        node[parts[-1]] = yaml.safe_load(value)
    return data
