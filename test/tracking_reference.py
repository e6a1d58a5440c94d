"""The numpy ``pose_distance`` of the tracker (to commit eb9f7ba), kept as the test oracle
for the compiled loops that replaced it. Not used by the package."""

from __future__ import annotations

import numpy as np

from har_ros.tracking import _anchor, _box_size, _valid


def reference_pose_distance(
    a: np.ndarray, b: np.ndarray, min_conf: float = 0.05, min_size_px: float = 20.0
) -> np.ndarray:
    """(A, B) mean distance of the joints two skeletons share, over the mean person size.

    Person size is the diagonal of the bounding box of a skeleton's joints (at least
    ``min_size_px``); with fewer than 2 shared joints the neck (or joint centre) is compared.
    """
    va, vb = _valid(a, min_conf), _valid(b, min_conf)
    both = va[:, None, :] & vb[None, :, :]  # (A, B, 18)
    diff = a[:, None, :, :2] - b[None, :, :, :2]
    dist = np.hypot(diff[..., 0], diff[..., 1])
    common = both.sum(axis=-1)
    joint_mean = (dist * both).sum(axis=-1) / np.maximum(common, 1)
    anchor_diff = _anchor(a, va)[:, None] - _anchor(b, vb)[None]
    anchor_dist = np.hypot(anchor_diff[..., 0], anchor_diff[..., 1])
    mean_dist = np.where(common >= 2, joint_mean, anchor_dist)
    size_a, _ = _box_size(a, va)
    size_b, _ = _box_size(b, vb)
    size = np.maximum((size_a[:, None] + size_b[None, :]) / 2.0, min_size_px)
    return (mean_dist / size).astype(np.float64)
