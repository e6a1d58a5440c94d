"""Model checkpoints: ``model.safetensors`` (weights) + ``model.json`` (everything else).

``model.json`` holds: format name and version, classes, window length in frames and seconds,
stride (frames), sampling rate (Hz), the joints the model was trained with (the others are
treated as missing when it runs; checkpoints without the key use all 18), feature config,
model config, per-channel normalisation stats, a training-data summary, metrics and the
training config. Loading validates all of it
against the weights (tensor names and shapes, class count, feature count) and refuses pickle
files (``torch.save``/``.pt``/``.pkl``: loading them can run arbitrary code) and anything
else it does not recognise, with a :class:`~har_ros.errors.CheckpointError` saying what is
wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from har_ros.errors import CheckpointError, ConfigError
from har_ros.features import FeatureConfig
from har_ros.model import LSTMClassifier, ModelConfig
from har_ros.skeleton import JOINT_NAMES, joint_mask

FORMAT_NAME = "har_ros.action_model"
FORMAT_VERSION = 1
WEIGHTS_FILE = "model.safetensors"
META_FILE = "model.json"
_STAT_KEYS = ("feature_mean", "feature_std")

#: Bounds on every size in ``model.json``, checked before anything is allocated, so a corrupt
#: or hostile checkpoint fails with a CheckpointError instead of exhausting memory. Each is
#: far above what a skeleton action model needs (the shipped ones: 30-frame windows, stride
#: 3, 15 Hz, 128 hidden units, 1 layer, 26 and 15 classes).
LIMITS: dict[str, tuple[float, float]] = {
    "window_frames": (1, 10000),
    "stride_frames": (1, 10000),
    "rate_hz": (0.1, 1000.0),
    "classes": (2, 1000),
    "hidden_size": (1, 2048),
    "num_layers": (1, 16),
}
#: Largest number of network weights (float32) a checkpoint may declare.
MAX_PARAMETERS = 50_000_000
#: Largest model.json and model.safetensors files read (bytes).
MAX_META_BYTES = 16 * 1024 * 1024
MAX_WEIGHTS_BYTES = 4 * MAX_PARAMETERS + 16 * 1024 * 1024
#: model_config keys and their JSON types (bool is not accepted where a number is meant).
_MODEL_TYPES: dict[str, tuple[type, ...]] = {
    "input_size": (int,), "num_classes": (int,), "hidden_size": (int,), "num_layers": (int,),
    "dropout": (int, float), "pool": (str,), "input_layer": (bool,),
    "view_bins": (int,),
}


@dataclass
class Checkpoint:
    """A trained model and what is needed to feed it (window, rate, features, classes)."""

    model: LSTMClassifier
    classes: list[str]
    window_frames: int
    stride_frames: int
    rate_hz: float
    feature_config: FeatureConfig
    training_data: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    training_config: dict = field(default_factory=dict)
    #: COCO-18 joint names present in the training data; the others are marked missing
    #: before the features (a live pose estimator finds e.g. eyes and ears, which Penn
    #: Action and UTD-MHAD lack: the network never learned what they mean).
    joints: tuple[str, ...] = JOINT_NAMES

    @property
    def joint_mask(self) -> np.ndarray:
        """(18,) bool: True for the joints in ``joints``."""
        return joint_mask(self.joints)

    @property
    def model_config(self) -> ModelConfig:
        """The network's architecture."""
        return self.model.config

    @property
    def window_s(self) -> float:
        """Window length in seconds."""
        return self.window_frames / self.rate_hz

    def metadata(self) -> dict:
        """The ``model.json`` content."""
        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "classes": list(self.classes),
            "window_frames": int(self.window_frames),
            "window_s": round(self.window_s, 6),
            "stride_frames": int(self.stride_frames),
            "rate_hz": float(self.rate_hz),
            "joints": list(self.joints),
            "feature_config": self.feature_config.to_dict(),
            "model_config": self.model_config.to_dict(),
            "normalisation": {k: [float(v) for v in getattr(self.model, k).tolist()]
                              for k in _STAT_KEYS},
            "training_data": self.training_data,
            "metrics": self.metrics,
            "training_config": self.training_config,
        }


def save_checkpoint(ckpt: Checkpoint, folder: str | Path) -> Path:
    """Write ``folder/model.safetensors`` and ``folder/model.json``; returns the folder."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().contiguous() for k, v in ckpt.model.state_dict().items()
               if k not in _STAT_KEYS}
    save_file(tensors, str(folder / WEIGHTS_FILE), metadata={"format": FORMAT_NAME})
    (folder / META_FILE).write_text(json.dumps(ckpt.metadata(), indent=1) + "\n",
                                    encoding="utf-8")
    return folder


def _refuse_unknown(path: Path) -> None:
    """Raise CheckpointError for pickles, zip (torch.save) and other non-checkpoint files."""
    with path.open("rb") as f:
        head = f.read(8)
    if head[:1] == b"\x80" or path.suffix in (".pt", ".pth", ".pkl", ".pickle", ".ckpt"):
        raise CheckpointError(f"{path}: pickle/torch.save checkpoints are refused (loading one "
                              f"can execute code); use a model folder with {WEIGHTS_FILE} + "
                              f"{META_FILE}")
    if head[:4] == b"PK\x03\x04":
        raise CheckpointError(f"{path}: a zip/torch.save archive (pickle inside) is refused; "
                              f"use {WEIGHTS_FILE} + {META_FILE}")


def _resolve(path: Path) -> tuple[Path, Path]:
    if path.is_dir():
        folder = path
    elif path.is_file():
        _refuse_unknown(path)
        if path.name not in (WEIGHTS_FILE, META_FILE):
            raise CheckpointError(f"{path}: not a har_ros checkpoint (expected a folder with "
                                  f"{WEIGHTS_FILE} and {META_FILE})")
        folder = path.parent
    else:
        raise CheckpointError(f"{path}: no such model folder or file")
    weights, meta = folder / WEIGHTS_FILE, folder / META_FILE
    for p in (weights, meta):
        if not p.is_file():
            raise CheckpointError(f"{folder}: missing {p.name}")
    _refuse_unknown(weights)
    return weights, meta


def _require(meta: dict, key: str, types, where: Path):
    if key not in meta:
        raise CheckpointError(f"{where}: missing key {key!r}")
    if not isinstance(meta[key], types) or isinstance(meta[key], bool):
        raise CheckpointError(f"{where}: {key!r} has the wrong type ({type(meta[key]).__name__})")
    return meta[key]


def _bound(name: str, value: float, where: Path) -> None:
    """CheckpointError unless ``value`` is finite and within ``LIMITS[name]``."""
    low, high = LIMITS[name]
    if not low <= value <= high:  # False for NaN; ints of any size compare without overflow
        raise CheckpointError(f"{where}: {name} {value!r} is outside [{low:g}, {high:g}] "
                              "(a corrupt or foreign checkpoint)")


def parameter_count(mcfg: ModelConfig) -> int:
    """Number of weights :class:`LSTMClassifier` allocates for ``mcfg`` (without the two
    normalisation vectors)."""
    h, f = mcfg.hidden_size, mcfg.input_size
    count = f * h + h if mcfg.input_layer else 0
    lstm_in = h if mcfg.input_layer else f
    for layer in range(mcfg.num_layers):
        count += 4 * h * ((lstm_in if layer == 0 else h) + h + 2)
    return count + h * mcfg.head_size + mcfg.head_size


def _model_config(meta: dict, fcfg: FeatureConfig, where: Path) -> ModelConfig:
    """The checked ``model_config``: JSON types and sizes bounded before any allocation."""
    raw = _require(meta, "model_config", dict, where)
    for key, types in _MODEL_TYPES.items():
        value = raw.get(key)
        if key in raw and (not isinstance(value, types)
                           or (isinstance(value, bool) and bool not in types)):
            raise CheckpointError(f"{where}: model_config {key!r} has the wrong type "
                                  f"({type(value).__name__})")
    for key in ("hidden_size", "num_layers"):
        if key in raw:
            _bound(key, raw[key], where)
    try:
        mcfg = ModelConfig.from_dict(raw)
    except ConfigError as exc:
        raise CheckpointError(f"{where}: {exc}") from exc
    if mcfg.input_size != fcfg.num_features:
        raise CheckpointError(f"{where}: model input_size {mcfg.input_size} != "
                              f"{fcfg.num_features} features of its feature_config")
    if parameter_count(mcfg) > MAX_PARAMETERS:
        raise CheckpointError(f"{where}: model_config declares {parameter_count(mcfg)} "
                              f"weights, more than the limit {MAX_PARAMETERS}")
    return mcfg


def _check_tensor_headers(weights: Path, expected: dict[str, tuple[int, ...]]) -> None:
    """Compare names and shapes in the safetensors header with ``expected`` before any
    tensor is read."""
    from safetensors import SafetensorError, safe_open

    size = weights.stat().st_size
    if size > MAX_WEIGHTS_BYTES:
        raise CheckpointError(f"{weights}: {size} bytes, more than the limit "
                              f"{MAX_WEIGHTS_BYTES} for a model within the size limits")
    try:
        with safe_open(str(weights), framework="pt") as f:
            shapes = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{weights}: corrupt or not a safetensors file ({exc})") from exc
    missing = sorted(set(expected) - set(shapes))
    extra = sorted(set(shapes) - set(expected))
    if missing or extra:
        raise CheckpointError(f"{weights}: tensors do not match model_config (missing "
                              f"{missing[:4]}, unexpected {extra[:4]})")
    for k, shape in expected.items():
        if shapes[k] != tuple(shape):
            raise CheckpointError(f"{weights}: {k} has shape {shapes[k]}, "
                                  f"model_config needs {tuple(shape)}")


def load_checkpoint(path: str | Path) -> Checkpoint:
    """Load and validate a model folder (or its ``model.json``/``model.safetensors``)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    weights, meta_path = _resolve(Path(path))
    if meta_path.stat().st_size > MAX_META_BYTES:
        raise CheckpointError(f"{meta_path}: larger than {MAX_META_BYTES} bytes")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{meta_path}: not valid JSON ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise CheckpointError(f"{meta_path}: format is {found!r}, expected {FORMAT_NAME!r}")
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(f"{meta_path}: format_version {version!r} is not supported "
                              f"(this har_ros reads version {FORMAT_VERSION})")
    classes = _require(meta, "classes", list, meta_path)
    _bound("classes", len(classes), meta_path)
    if not all(isinstance(c, str) and 0 < len(c) <= 200 for c in classes) or len(
            set(classes)) != len(classes):
        raise CheckpointError(f"{meta_path}: classes must be distinct names of 1 to 200 "
                              "characters")
    window_frames = _require(meta, "window_frames", int, meta_path)
    stride_frames = _require(meta, "stride_frames", int, meta_path)
    rate_hz = _require(meta, "rate_hz", (int, float), meta_path)
    _bound("window_frames", window_frames, meta_path)
    _bound("stride_frames", stride_frames, meta_path)
    _bound("rate_hz", rate_hz, meta_path)
    rate_hz = float(rate_hz)
    window_s = meta.get("window_s", window_frames / rate_hz)
    if not (isinstance(window_s, (int, float)) and not isinstance(window_s, bool)
            and -1e9 < window_s < 1e9 and abs(window_s - window_frames / rate_hz) <= 1e-3):
        raise CheckpointError(f"{meta_path}: window_s {window_s!r} disagrees with "
                              f"window_frames / rate_hz = {window_frames / rate_hz:.4f}")
    joints = meta.get("joints", list(JOINT_NAMES))
    if (not isinstance(joints, list) or not joints or len(set(joints)) != len(joints)
            or not all(isinstance(j, str) and j in JOINT_NAMES for j in joints)):
        raise CheckpointError(f"{meta_path}: joints must be distinct COCO-18 joint names "
                              f"({', '.join(JOINT_NAMES)})")
    try:
        fcfg = FeatureConfig.from_dict(_require(meta, "feature_config", dict, meta_path))
    except ConfigError as exc:
        raise CheckpointError(f"{meta_path}: {exc}") from exc
    mcfg = _model_config(meta, fcfg, meta_path)
    if mcfg.num_classes != len(classes):
        raise CheckpointError(f"{meta_path}: model has {mcfg.num_classes} outputs but "
                              f"{len(classes)} classes are listed")
    norm = _require(meta, "normalisation", dict, meta_path)
    stats = {}
    for k in _STAT_KEYS:
        arr = np.asarray(norm.get(k, []), dtype=np.float64)
        if arr.shape != (mcfg.input_size,) or not np.isfinite(arr).all():
            raise CheckpointError(f"{meta_path}: normalisation {k} must be {mcfg.input_size} "
                                  f"finite numbers")
        stats[k] = torch.tensor(arr, dtype=torch.float32)
    model = LSTMClassifier(mcfg)
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items() if k not in _STAT_KEYS}
    _check_tensor_headers(weights, expected)
    try:
        tensors = load_file(str(weights))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{weights}: corrupt or not a safetensors file ({exc})") from exc
    for k in expected:
        if not torch.isfinite(tensors[k]).all():
            raise CheckpointError(f"{weights}: {k} contains NaN/inf")
    model.load_state_dict({**tensors, **stats}, strict=True)
    model.eval()
    return Checkpoint(model, list(classes), window_frames, stride_frames, rate_hz, fcfg,
                      training_data=meta.get("training_data", {}),
                      metrics=meta.get("metrics", {}),
                      training_config=meta.get("training_config", {}),
                      joints=tuple(j for j in JOINT_NAMES if j in joints))
