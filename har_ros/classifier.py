"""``ActionClassifier``: the inference API the live action node calls.

>>> clf = ActionClassifier.load("har_ros/models/default")
>>> proba = clf.predict_proba(windows)   # windows (B, clf.window_frames, 18, 3) pixels
>>> clf.classes[int(proba[0].argmax())]

Windows must be sampled at ``clf.rate_hz`` (use :mod:`har_ros.resample`); joints the model
was not trained with are marked missing and features are computed inside, exactly as in
training.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from har_ros.checkpoint import Checkpoint, load_checkpoint
from har_ros.errors import InputError
from har_ros.features import window_features
from har_ros.skeleton import NUM_JOINTS, keep_joints

#: Windows per forward pass in ``predict_proba``: the fastest of 32-4096 measured on the 2-core
#: x86_64 machines here (``python bench/bench_model.py``): larger batches fall out of cache.
DEFAULT_BATCH = 256


class ActionClassifier:
    """A loaded checkpoint ready for batched CPU inference."""

    def __init__(self, checkpoint: Checkpoint, num_threads: int | None = None) -> None:
        self.checkpoint = checkpoint
        self.classes: list[str] = list(checkpoint.classes)
        self.window_frames: int = int(checkpoint.window_frames)
        self.stride_frames: int = int(checkpoint.stride_frames)
        self.rate_hz: float = float(checkpoint.rate_hz)
        self.feature_config = checkpoint.feature_config
        mask = checkpoint.joint_mask
        #: Joints to keep, or None when the model uses all 18 (no copy on the hot path).
        self._keep = None if mask.all() else mask
        self._model = checkpoint.model.eval()
        if num_threads is not None:
            torch.set_num_threads(num_threads)

    @classmethod
    def load(cls, path: str | Path, num_threads: int | None = None) -> ActionClassifier:
        """Load a model folder (``model.safetensors`` + ``model.json``); CheckpointError if bad."""
        return cls(load_checkpoint(path), num_threads)

    @property
    def window_s(self) -> float:
        """Window length in seconds."""
        return self.window_frames / self.rate_hz

    def predict_proba(self, windows: np.ndarray, batch_size: int = DEFAULT_BATCH) -> np.ndarray:
        """(B, window_frames, 18, 3) pixel windows at ``rate_hz`` -> (B, C) float32 probabilities.

        Raises InputError when the shape is wrong.
        """
        w = np.asarray(windows, dtype=np.float32)
        if w.ndim != 4 or w.shape[1:] != (self.window_frames, NUM_JOINTS, 3):
            raise InputError(f"windows must be (B, {self.window_frames}, 18, 3), got {w.shape}")
        if self._keep is not None:
            w = keep_joints(w, self._keep)
        out = np.empty((w.shape[0], len(self.classes)), dtype=np.float32)
        with torch.inference_mode():
            for i in range(0, w.shape[0], batch_size):
                feats = torch.from_numpy(window_features(w[i:i + batch_size], self.feature_config))
                out[i:i + batch_size] = torch.softmax(self._model(feats), dim=-1).numpy()
        return out
