"""Write rosbag2 bags (sqlite3 or mcap) with rosbags, plus builders of rosbags message objects.

>>> with BagWriter("out_bag", storage="mcap") as bag:
...     bag.add_topic("/cam0/image_raw", IMAGE)
...     bag.write("/cam0/image_raw", log_ns, cdr_bytes)       # raw CDR (e.g. from rclpy)
...     bag.write_message("/cam0/skeletons", log_ns, skeleton_message(frame))

Type names, message definitions and RIHS01 hashes come from :mod:`har_ros.bags.typestore`,
so rosbags and rclpy both read the bags back. The bag is closed (metadata written, sqlite
committed) on every exit from the ``with`` block, including exceptions and Ctrl-C, so what
was written stays readable.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from har_ros import conversions as conv
from har_ros.bags import typestore as ts
from har_ros.conversions import MessageTypes
from har_ros.errors import DataError, InputError
from har_ros.frames import ActionDecision, SkeletonFrame

STORAGES = ("sqlite3", "mcap")


class BagWriter:
    """A new bag folder; ``counts`` holds messages written per topic."""

    def __init__(self, path: str | Path, storage: str = "sqlite3") -> None:
        from rosbags.rosbag2 import StoragePlugin, Writer

        if storage not in STORAGES:
            raise DataError(f"unknown bag storage {storage!r}; use {' or '.join(STORAGES)}")
        self.path = Path(path)
        if self.path.exists():
            raise DataError(f"bag {self.path} exists already; choose a new output folder")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        plugin = StoragePlugin.MCAP if storage == "mcap" else StoragePlugin.SQLITE3
        self.storage = storage
        self._writer = Writer(self.path, version=9, storage_plugin=plugin)
        self._writer.open()
        self._conns: dict[str, object] = {}
        self.types: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        self.closed = False

    def add_topic(self, topic: str, msgtype: str) -> None:
        """Declare a topic of type ``pkg/msg/Name`` (DataError if the type is unknown)."""
        if topic in self._conns:
            if self.types[topic] != msgtype:
                raise DataError(f"topic {topic!r} already added with type {self.types[topic]}")
            return
        if not ts.known_type(msgtype):
            raise DataError(f"topic {topic!r}: unknown message type {msgtype!r}; known are the "
                            "ROS 2 Kilted std types and har_ros/msg/*")
        self._conns[topic] = self._writer.add_connection(topic, msgtype,
                                                         typestore=ts.make_typestore())
        self.types[topic] = msgtype
        self.counts[topic] = 0

    def write(self, topic: str, log_ns: int, data: bytes | memoryview) -> None:
        """Append raw CDR bytes received at ``log_ns`` (ns) on an added topic."""
        conn = self._conns.get(topic)
        if conn is None:
            raise DataError(f"topic {topic!r} was not added to bag {self.path}")
        self._writer.write(conn, int(log_ns), data)
        self.counts[topic] += 1

    def write_message(self, topic: str, log_ns: int, msg: object) -> None:
        """Serialise a rosbags message object and append it (adds the topic if needed)."""
        self.add_topic(topic, msg.__msgtype__)
        self.write(topic, log_ns, ts.make_typestore().serialize_cdr(msg, msg.__msgtype__))

    def flush(self) -> None:
        """Put everything written so far on disk, so a killed recorder loses only what came
        after (``har-ros record --reindex`` makes the rest readable): sqlite3 commits; MCAP
        closes its open chunk (rosbags would wait for 1 MiB) and flushes the file."""
        storage = self._writer.storage
        conn = getattr(storage, "conn", None)
        if conn is not None:
            conn.commit()
        chunk = getattr(storage, "chunk", None)
        if chunk is not None and hasattr(storage, "close_chunk"):
            if chunk.bio.tell():
                storage.close_chunk()
            storage.bio.flush()

    def close(self) -> None:
        """Write metadata.yaml and close; safe to call twice."""
        if not self.closed:
            self.closed = True
            self._writer.close()

    def __enter__(self) -> BagWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------- builders
def _types():
    return ts.make_typestore().types


def rosbags_types() -> MessageTypes:
    """The conversions' message classes for rosbags (uint8[] / float32[] as numpy arrays)."""
    t = _types()
    return MessageTypes(
        Time=t["builtin_interfaces/msg/Time"], Header=t["std_msgs/msg/Header"],
        Image=t[ts.IMAGE], CompressedImage=t[ts.COMPRESSED_IMAGE],
        Keypoint2D=t["har_ros/msg/Keypoint2D"], Skeleton2D=t["har_ros/msg/Skeleton2D"],
        SkeletonArray=t[ts.SKELETON_ARRAY], ActionStamped=t[ts.ACTION_STAMPED],
        bytes_field=lambda a: np.ascontiguousarray(a, dtype=np.uint8).reshape(-1),
        float32_field=lambda a: np.ascontiguousarray(a, dtype=np.float32),
    )


def header(stamp_ns: int, frame_id: str = "") -> object:
    """A rosbags ``std_msgs/Header`` with an integer-ns stamp."""
    return conv.make_header(stamp_ns, frame_id, rosbags_types())


def image_message(bgr: np.ndarray, stamp_ns: int, frame_id: str = "",
                  compressed: bool = False, quality: int = 90) -> object:
    """BGR uint8 (H, W, 3) -> rosbags ``sensor_msgs/Image`` (bgr8) or jpeg CompressedImage."""
    types = rosbags_types()
    head = conv.make_header(stamp_ns, frame_id, types)
    try:
        if compressed:
            return conv.bgr_to_compressed(bgr, head, "jpeg", quality, types)
        return conv.bgr_to_imgmsg(bgr, head, "bgr8", types)
    except InputError as exc:
        raise DataError(f"cannot store the image: {exc}") from exc


def skeleton_message(frame: SkeletonFrame) -> object:
    """:class:`SkeletonFrame` -> rosbags ``har_ros/msg/SkeletonArray``."""
    return conv.skeletons_to_msg(frame, rosbags_types())


def action_message(d: ActionDecision) -> object:
    """:class:`ActionDecision` -> rosbags ``har_ros/msg/ActionStamped``."""
    return conv.action_to_msg(d, rosbags_types())
