"""Distillation targets: the averaged probabilities of trained models (an ensemble) for the
windows of a training batch, so that one network learns what several agree on.

The teachers see exactly the student's augmented pixel windows (mirrored ones included; a
teacher's probabilities for a mirrored window already name the mirrored classes) and are
served as the action node serves them (``mirror_average`` auto). The loss a batch adds is the
cross-entropy of the student's softmax against the teachers' mean probabilities, weighted by
``distill_weight`` against the labels' cross-entropy (Hinton et al., "Distilling the
Knowledge in a Neural Network", 2015; temperature 1).
"""

from __future__ import annotations

import numpy as np
import torch

from har_ros.errors import ConfigError


class Teachers:
    """Trained models whose mean probabilities are a training target."""

    def __init__(self, folders: list[str], classes: list[str], window_frames: int,
                 rate_hz: float) -> None:
        from har_ros.classifier import ActionClassifier

        self.folders = list(folders)
        self.models = [ActionClassifier.load(f, engine="torch") for f in folders]
        for folder, clf in zip(folders, self.models):
            if list(clf.classes) != list(classes):
                raise ConfigError(f"distill_from {folder}: its classes {clf.classes} differ from "
                                  f"this run's {classes}; distil from models of the same classes")
            if clf.window_frames != window_frames or abs(clf.rate_hz - rate_hz) > 1e-6:
                raise ConfigError(f"distill_from {folder}: window of {clf.window_frames} frames at "
                                  f"{clf.rate_hz:g} Hz, this run's {window_frames} at "
                                  f"{rate_hz:g} Hz; use the teachers' window_s and rate_hz")

    def targets(self, windows: np.ndarray) -> torch.Tensor:
        """(B, C) float32 mean probabilities of the teachers for pixel windows (B, T, 18, 3)."""
        return torch.from_numpy(np.mean([m.predict_proba(windows) for m in self.models], axis=0))

    def provenance(self) -> dict:
        """What the checkpoint records about its teachers."""
        return {"teachers": self.folders}


def distill_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of softmax(``logits``) against target probabilities (B, C)."""
    return -(targets * torch.log_softmax(logits, dim=1)).sum(dim=1).mean()
