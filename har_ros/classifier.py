"""``ActionClassifier``: the inference API the live action node calls.

>>> clf = ActionClassifier.load("har_ros/models/default")
>>> proba = clf.predict_proba(windows)   # windows (B, clf.window_frames, 18, 3) pixels
>>> clf.classes[int(proba[0].argmax())]

Windows must be sampled at ``clf.rate_hz`` (use :mod:`har_ros.resample`); joints the model
was not trained with are marked missing and features are computed inside, exactly as in
training. Small batches (the live node's usual case: one or a few tracks due at once) run
through the compiled :class:`~har_ros.lstm_kernel.LSTMKernel`, larger ones through PyTorch
(``engine`` picks one for every batch instead). With ``mirror_average`` (har_ros.mirroring)
each window is classified together with its mirror image and the two are averaged.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from har_ros.augment import mirrored
from har_ros.checkpoint import Checkpoint, load_checkpoint
from har_ros.errors import ConfigError, InputError
from har_ros.features import channel_joints, window_features
from har_ros.lstm_kernel import LSTMKernel
from har_ros.mirroring import average_mirrored, resolve, trained_swap_table
from har_ros.skeleton import NUM_JOINTS

#: Windows per forward pass in ``predict_proba``: larger batches fall out of cache
#: (``python -m bench model`` compares sizes; bench/results/model_latency.json).
DEFAULT_BATCH = 256
#: "auto" runs batches up to this size through the compiled kernel (its cost per window does
#: not depend on the batch), larger ones through PyTorch (cheaper per window in large batches;
#: the crossover is in bench/results/model_latency.json).
KERNEL_MAX_BATCH = 16
ENGINES = ("auto", "kernel", "torch")


class ActionClassifier:
    """A loaded checkpoint ready for batched CPU inference."""

    def __init__(self, checkpoint: Checkpoint, num_threads: int | None = None,
                 engine: str = "auto", mirror_average: str = "auto") -> None:
        if engine not in ENGINES:
            raise ConfigError(f"engine must be one of {ENGINES}, got {engine!r}")
        #: (C,) class swap table when windows are averaged with their mirror image, else None.
        self.mirror_table = resolve(mirror_average, trained_swap_table(
            checkpoint.classes, checkpoint.training_config))
        self.checkpoint = checkpoint
        self.classes: list[str] = list(checkpoint.classes)
        self.window_frames: int = int(checkpoint.window_frames)
        self.stride_frames: int = int(checkpoint.stride_frames)
        self.rate_hz: float = float(checkpoint.rate_hz)
        self.feature_config = checkpoint.feature_config
        #: Joints the model was trained with; the others are treated as missing.
        self._joints = mask = checkpoint.joint_mask
        self._model = checkpoint.model.eval()
        self.engine = engine
        cj = channel_joints(self.feature_config)
        self._kernel = LSTMKernel(self._model, zero_channels=(cj >= 0) & ~mask[cj])
        if engine != "torch":  # compile (first run) or load the cached machine code now
            self.predict_proba(np.zeros((1, self.window_frames, NUM_JOINTS, 3), np.float32))
        if num_threads is not None:
            torch.set_num_threads(num_threads)

    @classmethod
    def load(cls, path: str | Path, num_threads: int | None = None, engine: str = "auto",
             mirror_average: str = "auto") -> ActionClassifier:
        """Load a model folder (``model.safetensors`` + ``model.json``); CheckpointError if bad.

        ``engine``: "auto" (kernel for batches up to KERNEL_MAX_BATCH, else PyTorch),
        "kernel" or "torch" (the same network, logits equal to 1e-5).
        ``mirror_average``: "auto" (average with the mirror image when the model was trained
        with mirroring), "on" (ConfigError if it was not) or "off".
        """
        return cls(load_checkpoint(path), num_threads, engine, mirror_average)

    @property
    def mirror_averaging(self) -> bool:
        """Whether each window is averaged with its mirror image."""
        return self.mirror_table is not None

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
        if self.mirror_table is None:
            return self._proba(w, batch_size)
        n = w.shape[0]
        both = self._proba(np.concatenate([w, mirrored(w)]), batch_size)
        return average_mirrored(both[:n], both[n:], self.mirror_table)

    def _proba(self, w: np.ndarray, batch_size: int) -> np.ndarray:
        n = w.shape[0]
        if self.engine == "kernel" or (self.engine == "auto" and n <= KERNEL_MAX_BATCH):
            return self._kernel.proba_windows(w, self.feature_config, self._joints)
        out = np.empty((n, len(self.classes)), dtype=np.float32)
        with torch.inference_mode():
            for i in range(0, w.shape[0], batch_size):
                feats = torch.from_numpy(window_features(w[i:i + batch_size], self.feature_config,
                                                         self._joints))
                out[i:i + batch_size] = torch.softmax(self._model(feats), dim=-1).numpy()
        return out


def measure_latency(classifier: ActionClassifier, windows: np.ndarray, repeats: int = 200,
                    batch_windows: int = 4096) -> dict:
    """Median per-window latency at batch 1 (ms; the compiled kernel under the default
    engine) and batched throughput (windows/s; PyTorch)."""
    one = windows[:1]
    for _ in range(10):
        classifier.predict_proba(one)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        classifier.predict_proba(one)
        times.append(time.perf_counter() - t)
    batch = np.resize(windows, (batch_windows,) + windows.shape[1:])
    classifier.predict_proba(batch[:DEFAULT_BATCH])
    t = time.perf_counter()
    classifier.predict_proba(batch)
    dt = time.perf_counter() - t
    return {"engine": classifier.engine, "batch1_ms_median": 1e3 * float(np.median(times)),
            "batch1_ms_p90": 1e3 * float(np.percentile(times, 90)),
            "batched_windows_per_s": len(batch) / dt, "batch_size": min(DEFAULT_BATCH, len(batch))}
