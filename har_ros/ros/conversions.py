"""The message <-> numpy conversions of :mod:`har_ros.conversions`, bound to rclpy's message
classes (same names; the functions that build messages need no ``types`` argument here).

Building fills uint8[] and float32[] fields with ``array.array`` (fast even with
ROS_PYTHON_CHECK_FIELDS=1, where assigning ``bytes`` is checked element by element).
"""

from __future__ import annotations

import array
from functools import partial

import numpy as np
from builtin_interfaces.msg import Time
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

from har_ros import conversions as core
from har_ros.conversions import (  # noqa: F401 - re-exported: reading is type-independent
    SUPPORTED_ENCODINGS,
    compressed_to_bgr,
    image_to_bgr,
    imgmsg_to_bgr,
    msg_to_action,
    msg_to_skeletons,
    stamp_to_ns,
)
from har_ros.frames import ActionDecision, SkeletonFrame  # noqa: F401 - re-exported
from har_ros.msg import ActionStamped, Keypoint2D, Skeleton2D, SkeletonArray


def _bytes_field(data: np.ndarray) -> array.array:
    out = array.array("B")
    out.frombytes(np.ascontiguousarray(data).data)
    return out


def _float32_field(data: np.ndarray) -> array.array:
    return array.array("f", np.ascontiguousarray(data, dtype=np.float32).tobytes())


RCLPY_TYPES = core.MessageTypes(
    Time=Time, Header=Header, Image=Image, CompressedImage=CompressedImage,
    Keypoint2D=Keypoint2D, Skeleton2D=Skeleton2D, SkeletonArray=SkeletonArray,
    ActionStamped=ActionStamped, bytes_field=_bytes_field, float32_field=_float32_field,
)

ns_to_stamp = partial(core.ns_to_stamp, types=RCLPY_TYPES)
skeletons_to_msg = partial(core.skeletons_to_msg, types=RCLPY_TYPES)
action_to_msg = partial(core.action_to_msg, types=RCLPY_TYPES)


def bgr_to_imgmsg(image: np.ndarray, header: Header | None = None, encoding: str = "bgr8"
                  ) -> Image:
    """BGR uint8 (H, W, 3) (or gray for mono8) -> ``sensor_msgs/Image``, unpadded rows."""
    return core.bgr_to_imgmsg(image, header or Header(), encoding, RCLPY_TYPES)


def bgr_to_compressed(image: np.ndarray, header: Header | None = None, fmt: str = "jpeg",
                      quality: int = 90) -> CompressedImage:
    """BGR uint8 (H, W, 3) -> ``sensor_msgs/CompressedImage`` (jpeg or png)."""
    return core.bgr_to_compressed(image, header or Header(), fmt, quality, RCLPY_TYPES)
