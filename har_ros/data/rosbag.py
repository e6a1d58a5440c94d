"""Skeleton recordings made by our own pose node: ``har_ros/msg/SkeletonArray`` topics in
rosbag2 bags (sqlite3 or mcap, read with ``rosbags``), labelled by a labels file of time
intervals (docs/labels_format.md) next to each bag.

Each (topic, track id) of each bag becomes one :class:`SkeletonSequence`: stamps from the
message headers (seconds since the labels' origin), skeletons (T, 18, 3) in pixels, per-frame
class indices from the intervals (-1 where unlabelled or "unknown"). The subject is the bag's
folder name unless given; the camera is the message's ``camera_name``. A message that cannot
be used (truncated CDR, impossible stamp, malformed skeleton) is skipped, and each bag with
skipped messages is reported as a warning on the ``har_ros.data.rosbag`` logger.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from har_ros.data.common import SkeletonDataset, SkeletonSequence, mark_missing
from har_ros.errors import DataError


def load_rosbag_recordings(bag_paths: list[str | Path], labels_paths: list[str | Path],
                           label_map: str | Path | None = None,
                           topics: list[str] | None = None,
                           subjects: list[str] | None = None) -> SkeletonDataset:
    """Read labelled skeleton bags into a :class:`SkeletonDataset`.

    ``labels_paths[i]`` labels ``bag_paths[i]``. Classes come from ``label_map`` (JSON
    ``{name: id}`` or YAML ``classes: [...]``), else from the labels files' ``classes``, else
    the sorted labels used. ``topics`` defaults to every SkeletonArray topic of each bag.
    Raises DataError naming the bag or labels file when something does not fit.
    """
    from har_ros.bags.labels import UNKNOWN, load_labels
    from har_ros.bags.reader import BagReader, SkipCount, read_skeletons
    from har_ros.bags.typestore import SKELETON_ARRAY
    from har_ros.data.recordings import load_label_map

    if len(bag_paths) != len(labels_paths):
        raise DataError(f"{len(bag_paths)} bags but {len(labels_paths)} labels files: give one "
                        "labels file per bag")
    labels = [load_labels(p) for p in labels_paths]
    if label_map is not None:
        classes = load_label_map(label_map)
    else:
        declared = next((lab.classes for lab in labels if lab.classes), None)
        classes = list(declared) if declared else sorted(
            {x for lab in labels for x in lab.labels_used()} - {UNKNOWN})
    for lab in labels:
        lab.check_classes(classes)
    index = {name: i for i, name in enumerate(classes)}
    sequences: list[SkeletonSequence] = []
    rates: list[float] = []
    for b, (bag_path, lab) in enumerate(zip(bag_paths, labels, strict=True)):
        subject = subjects[b] if subjects else Path(bag_path).name
        per_track: dict[tuple[str, str], list[tuple[int, np.ndarray, str]]] = {}
        with BagReader(bag_path) as bag:
            chosen = topics or bag.topics_of_type([SKELETON_ARRAY])
            if not chosen:
                raise DataError(f"{bag_path}: no SkeletonArray topic (record the pose node's "
                                "'<camera>/skeletons')")
            bag.check_topics(chosen, [SKELETON_ARRAY])
            skipped = SkipCount()
            for msg, frame in skipped.readable(bag.messages(chosen),
                                               lambda m, b=bag: read_skeletons(b, m)):
                for skel, tid in zip(frame.skeletons, frame.track_ids, strict=True):
                    per_track.setdefault((msg.topic, tid), []).append(
                        (frame.stamp_ns, skel, frame.camera_name))
        if skipped.skipped:
            logging.getLogger(__name__).warning("%s: %s (first: %s)", bag_path, skipped.summary(),
                                                next(iter(skipped.examples.values())))
        if not per_track:
            raise DataError(f"{bag_path}: the skeleton topics hold no tracked person"
                            + (f" ({skipped.summary()})" if skipped.skipped else ""))
        origin = lab.origin_ns if lab.origin_ns is not None else min(
            s for obs in per_track.values() for s, _, _ in obs)
        for (_topic, tid), obs in sorted(per_track.items()):
            obs.sort(key=lambda o: o[0])
            stamps = np.array([o[0] for o in obs], dtype=np.int64)
            keep = np.concatenate([[True], np.diff(stamps) > 0])  # duplicate stamps: first wins
            stamps_s = (stamps[keep] - origin) * 1e-9
            skels = mark_missing(np.stack([o[1] for o in obs])[keep].astype(np.float32))
            frame_labels = np.array(
                [index.get(lab.label_at(t, tid) or UNKNOWN, -1) for t in stamps_s],
                dtype=np.int64)
            if len(stamps_s) > 1:
                rates.append(1.0 / float(np.median(np.diff(stamps_s))))
            sequences.append(SkeletonSequence(skels, stamps_s, frame_labels, subject,
                                              obs[0][2], f"{Path(bag_path).name}:{tid}"))
    fps = float(np.median(rates)) if rates else 0.0
    return SkeletonDataset("rosbag", classes, fps, sequences)


def load_rosbag_folder(root: str | Path, label_map: str | Path | None = None,
                       topics: list[str] | None = None) -> SkeletonDataset:
    """Every bag folder under ``root`` with its labels file ``<bag>.labels.yaml`` beside it
    (the layout ``har-ros train --dataset rosbag --data-root DIR`` reads)."""
    root = Path(root)
    bags = sorted(p for p in root.iterdir() if (p / "metadata.yaml").is_file()) \
        if root.is_dir() else []
    if not bags:
        raise DataError(f"{root}: no rosbag2 bag folders (with metadata.yaml) found")
    labels = [p.with_name(p.name + ".labels.yaml") for p in bags]
    missing = [str(p) for p in labels if not p.is_file()]
    if missing:
        raise DataError(f"labels files missing: {', '.join(missing)} (one per bag)")
    return load_rosbag_recordings(bags, labels, label_map, topics)
