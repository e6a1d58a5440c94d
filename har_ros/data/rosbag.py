"""Skeleton recordings from rosbag2 bags (``har_ros/msg/Skeleton2DArray`` topics).

Signature only: the lead implements it. It must return the same in-memory form as every
other loader (per-frame labels from a label topic or a side CSV, stamps from the message
headers, one sequence per tracked person id).
"""

from __future__ import annotations

from pathlib import Path

from har_ros.data.common import SkeletonDataset


def load_rosbag_recordings(bag_paths: list[str | Path], skeleton_topic: str = "/skeletons",
                           label_map: str | Path | None = None,
                           labels_topic: str | None = None,
                           subject: str = "unknown", camera: str = "unknown") -> SkeletonDataset:
    """Read skeleton messages from rosbag2 bags into a :class:`SkeletonDataset`.

    Each track id in each bag becomes one :class:`SkeletonSequence` (stamps from the message
    headers, seconds; skeletons (T, 18, 3) pixels). Not implemented yet.
    """
    raise NotImplementedError("load_rosbag_recordings is not implemented yet")
