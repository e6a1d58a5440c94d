"""The joint layout, defined once: OpenPose COCO-18.

A skeleton is a float32 array of shape (18, 3): x, y in image pixels (origin top-left, x to the
right, y down) and a confidence in [0, 1]. Confidence 0 means "joint not detected"; x and y of a
missing joint are 0 as well (OpenPose's convention). `msg/Skeleton2D.msg` mirrors these constants
and a test checks that both agree.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

JOINT_NAMES: tuple[str, ...] = (
    "nose",
    "neck",
    "r_shoulder",
    "r_elbow",
    "r_wrist",
    "l_shoulder",
    "l_elbow",
    "l_wrist",
    "r_hip",
    "r_knee",
    "r_ankle",
    "l_hip",
    "l_knee",
    "l_ankle",
    "r_eye",
    "l_eye",
    "r_ear",
    "l_ear",
)
NUM_JOINTS = len(JOINT_NAMES)
JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(JOINT_NAMES)}

NOSE, NECK = 0, 1
R_SHOULDER, R_ELBOW, R_WRIST = 2, 3, 4
L_SHOULDER, L_ELBOW, L_WRIST = 5, 6, 7
R_HIP, R_KNEE, R_ANKLE = 8, 9, 10
L_HIP, L_KNEE, L_ANKLE = 11, 12, 13
R_EYE, L_EYE, R_EAR, L_EAR = 14, 15, 16, 17

#: Bones drawn and used for plausibility checks, as (parent, child) joint indices.
LIMBS: tuple[tuple[int, int], ...] = (
    (NECK, R_SHOULDER), (NECK, L_SHOULDER),
    (R_SHOULDER, R_ELBOW), (R_ELBOW, R_WRIST),
    (L_SHOULDER, L_ELBOW), (L_ELBOW, L_WRIST),
    (NECK, R_HIP), (R_HIP, R_KNEE), (R_KNEE, R_ANKLE),
    (NECK, L_HIP), (L_HIP, L_KNEE), (L_KNEE, L_ANKLE),
    (NECK, NOSE), (NOSE, R_EYE), (R_EYE, R_EAR), (NOSE, L_EYE), (L_EYE, L_EAR),
)

#: Index permutation that swaps left and right (for mirroring a skeleton horizontally).
FLIP_PERMUTATION: tuple[int, ...] = tuple(
    JOINT_INDEX[n.replace("r_", "#").replace("l_", "r_").replace("#", "l_")] for n in JOINT_NAMES
)


def empty_skeleton() -> np.ndarray:
    """Return an (18, 3) float32 skeleton with every joint missing."""
    return np.zeros((NUM_JOINTS, 3), dtype=np.float32)


def missing_mask(skeleton: np.ndarray) -> np.ndarray:
    """Boolean mask (..., 18): True where a joint is missing (confidence <= 0 or not finite)."""
    conf = skeleton[..., 2]
    xy_ok = np.isfinite(skeleton[..., 0]) & np.isfinite(skeleton[..., 1])
    return ~(np.isfinite(conf) & (conf > 0) & xy_ok)


def joint_mask(names: Iterable[str]) -> np.ndarray:
    """(18,) bool: True for the joints named in ``names``."""
    wanted = set(names)
    return np.array([name in wanted for name in JOINT_NAMES])


def keep_joints(skeletons: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Copy of (..., 18, 3) ``skeletons`` with the joints where ``keep`` (18,) bool is False
    marked missing (x = y = confidence = 0), e.g. joints a model never saw in training."""
    out = np.array(skeletons, dtype=np.float32, copy=True)
    out[..., ~np.asarray(keep, dtype=bool), :] = 0.0
    return out
