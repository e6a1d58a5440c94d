"""Plain data forms of the pipeline's messages (no ROS imports); ``har_ros.ros.conversions``
maps them to and from ``SkeletonArray`` and ``ActionStamped``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from har_ros.status import UNKNOWN, Status, label_of


def make_track_id(camera: str, number: int) -> str:
    """The published track id of person ``number`` of ``camera``: '<camera>/<number>'."""
    return f"{camera}/{number}"


def track_number(track_id: str) -> int:
    """The per-camera number in a track id made by :func:`make_track_id`."""
    return int(track_id.rsplit("/", 1)[-1])


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
    """One decision, per track or operator-level (``track_id`` ""): what the action pipeline
    produces, the nodes publish as ``ActionStamped`` and bag evaluation scores (see
    msg/ActionStamped.msg for the contract).

    ``stamp_ns`` is the acquisition stamp (integer ns) of the newest frame in the window,
    ``window_start_ns`` of the oldest (0 without a window); ``frame_id`` is the camera frame
    of a per-track decision ("" for the operator). ``probabilities`` are the published
    (smoothed) ones in ``class_names`` order, empty without a classified window.
    ``window_probabilities`` are the classified window's own, before smoothing (per-track
    decisions of the pipeline only; not part of the message).
    """

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
    status: Status
    window_probabilities: np.ndarray | None = None

    @classmethod
    def without_window(cls, status: Status, stamp_ns: int, cameras: Sequence[str] = (),
                       frame_id: str = "", track_id: str = "") -> ActionDecision:
        """A decision that has no classified window (STALE, NO_PERSON, WARMING_UP): action
        "unknown", no class, confidence 0, no probabilities."""
        return cls(stamp_ns=stamp_ns, window_start_ns=0, frame_id=frame_id, track_id=track_id,
                   cameras=list(cameras), action=UNKNOWN, class_index=-1, confidence=0.0,
                   class_names=[], probabilities=[], status=Status(status))

    @property
    def label(self) -> str:
        """What a consumer reads from it (:func:`har_ros.status.label_of`)."""
        return label_of(self.status, self.action)


#: Largest image side (px) taken as a real image size; a larger or non-positive
#: ``image_width``/``image_height`` counts as no size at all.
MAX_IMAGE_SIDE_PX = 100_000
#: Without a usable image size, joints farther than this from the origin (px) are rejected.
MAX_ABS_COORDINATE_PX = 100_000.0


def sanitize_skeletons(skeletons: np.ndarray, width: int, height: int, margin: float = 0.1
                       ) -> tuple[np.ndarray, int]:
    """Mark implausible joints missing: non-finite values, confidence outside (0, 1], or
    positions more than ``margin`` (fraction of the image size) outside the image.

    Without a usable image size (``width``/``height`` of 0, negative or above
    :data:`MAX_IMAGE_SIDE_PX`) the position check is not switched off: positions farther
    than :data:`MAX_ABS_COORDINATE_PX` pixels from the origin are rejected instead.
    Returns (cleaned copy, number of joints rejected).
    """
    out = np.array(skeletons, dtype=np.float32, copy=True)
    x, y, c = out[..., 0], out[..., 1], out[..., 2]
    present = c > 0
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(out).all(axis=-1) | (c > 1.0)
        if 0 < width <= MAX_IMAGE_SIDE_PX and 0 < height <= MAX_IMAGE_SIDE_PX:
            mx, my = margin * width, margin * height
            bad |= (x < -mx) | (x > width + mx) | (y < -my) | (y > height + my)
        else:
            bad |= (np.abs(x) > MAX_ABS_COORDINATE_PX) | (np.abs(y) > MAX_ABS_COORDINATE_PX)
    rejected = int((bad & (present | ~np.isfinite(c))).sum())
    out[bad] = 0.0
    return out, rejected


def is_valid_track_id(track_id: str) -> bool:
    """A track id a decision can be published under: not empty, not only whitespace (an
    empty id is reserved for the operator-level decision)."""
    return bool(track_id and track_id.strip())
