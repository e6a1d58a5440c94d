"""The loss of a network with camera-azimuth bins (har_ros/view_bins.py)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def view_loss(joint_logits: torch.Tensor, labels: torch.Tensor, views: np.ndarray,
              label_smoothing: float = 0.0, weight: float = 1.0) -> torch.Tensor:
    """Mean loss of (B, K, C) ``joint_logits`` for class ``labels`` (B,) and bins ``views``
    (B,; -1 = unknown).

    A window with a known bin is a cross-entropy over all K x C (bin, class) pairs, target
    ``bin * C + label``, with ``label_smoothing``; one with an unknown bin is the negative log
    of its class's probability summed over the bins. With ``weight`` < 1 the result is
    ``weight`` x that + (1 - ``weight``) x the class loss of every window (summed over bins).
    """
    if weight < 1.0:
        marginal = F.cross_entropy(torch.logsumexp(joint_logits, dim=1), labels,
                                   label_smoothing=label_smoothing)
        if weight == 0.0:
            return marginal
        return (weight * view_loss(joint_logits, labels, views, label_smoothing)
                + (1.0 - weight) * marginal)
    b, k, c = joint_logits.shape
    flat = joint_logits.reshape(b, k * c)
    view = torch.from_numpy(np.asarray(views, dtype=np.int64))
    known = view >= 0
    total = joint_logits.new_zeros(())
    if bool(known.any()):
        target = view[known] * c + labels[known]
        total = total + F.cross_entropy(flat[known], target, reduction="sum",
                                        label_smoothing=label_smoothing)
    if not bool(known.all()):
        unk = ~known
        marginal = torch.logsumexp(joint_logits[unk], dim=1)  # (U, C) class log-scores
        total = total + F.cross_entropy(marginal, labels[unk], reduction="sum",
                                        label_smoothing=label_smoothing)
    return total / b
