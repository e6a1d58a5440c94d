"""Plain data forms of the pipeline's messages (no ROS imports); ``har_ros.ros.conversions``
maps them to and from ``SkeletonArray`` and ``ActionStamped``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class SkeletonFrame:
    """All people seen in one camera image (the numpy form of one ``SkeletonArray``).

    ``skeletons`` is (P, 18, 3) float32: x, y in pixels of the source image (origin top-left)
    and confidence (0 = missing). ``stamp_ns`` is the image's acquisition stamp (integer ns).
    """

    stamp_ns: int
    frame_id: str
    camera_name: str
    image_width: int
    image_height: int
    backend: str
    skeletons: np.ndarray
    track_ids: list[str]
    scores: np.ndarray


@dataclass
class ActionDecision:
    """The numpy form of one ``ActionStamped`` (see msg/ActionStamped.msg for the contract)."""

    stamp_ns: int
    window_start_ns: int
    frame_id: str
    track_id: str
    cameras: list[str]
    action: str
    class_index: int
    confidence: float
    class_names: list[str]
    probabilities: Sequence[float]
    status: int
