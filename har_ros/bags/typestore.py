"""A rosbags typestore for ROS 2 Kilted (same std types as Jazzy) plus har_ros's messages.

The custom messages are registered from the ``.msg`` text of this package (the source tree's
``msg/`` or the installed ``share/har_ros/msg``), so the definitions and RIHS01 type hashes
written into bags are the ones rosidl generates and rclpy checks.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from rosbags.typesys import Stores, get_types_from_msg, get_typestore
from rosbags.typesys.store import Typestore

from har_ros.errors import DataError

PACKAGE = "har_ros"
#: Our message type names as they appear in bags.
SKELETON_ARRAY = "har_ros/msg/SkeletonArray"
ACTION_STAMPED = "har_ros/msg/ActionStamped"
IMAGE = "sensor_msgs/msg/Image"
COMPRESSED_IMAGE = "sensor_msgs/msg/CompressedImage"
CLOCK = "rosgraph_msgs/msg/Clock"
IMAGE_TYPES = (IMAGE, COMPRESSED_IMAGE)


def msg_dir() -> Path:
    """The folder holding har_ros's ``*.msg`` files (source tree first, then install prefix)."""
    here = Path(__file__).resolve().parents[2] / "msg"
    candidates = [here, Path(sys.prefix) / "share" / PACKAGE / "msg"]
    for c in candidates:
        if (c / "SkeletonArray.msg").is_file():
            return c
    raise DataError(
        "cannot find har_ros's message definitions (SkeletonArray.msg) in "
        + ", ".join(str(c) for c in candidates)
    )


@functools.cache
def make_typestore() -> Typestore:
    """ROS 2 Kilted std types + ``har_ros/msg/*`` (cached: one store per process)."""
    store = get_typestore(Stores.ROS2_KILTED)
    types: dict = {}
    for path in sorted(msg_dir().glob("*.msg")):
        types.update(get_types_from_msg(path.read_text(encoding="utf-8"),
                                        f"{PACKAGE}/msg/{path.stem}"))
    store.register(types)
    return store


def known_type(msgtype: str) -> bool:
    """True when ``msgtype`` (``pkg/msg/Name``) can be (de)serialised without the bag's help."""
    return msgtype in make_typestore().fielddefs
