"""Fully populated sample messages of every custom type (every field non-default), shared by
the publishing helper process and the test that receives them."""

from __future__ import annotations

import array

from builtin_interfaces.msg import Time
from std_msgs.msg import Header

from har_ros.msg import ActionStamped, Keypoint2D, Skeleton2D, SkeletonArray


def keypoint() -> Keypoint2D:
    return Keypoint2D(x=12.5, y=480.25, confidence=0.875)


def skeleton(seed: int = 0) -> Skeleton2D:
    s = Skeleton2D(track_id=f"cam_ceiling/{seed + 7}", score=0.5 + seed / 8)  # exact in float32
    s.keypoints = [
        Keypoint2D(x=float(i * 10 + seed), y=float(i * 5 + 1), confidence=(i % 5) / 4)
        for i in range(18)
    ]
    return s


def skeleton_array() -> SkeletonArray:
    msg = SkeletonArray()
    msg.header = Header(stamp=Time(sec=1_700_000_123, nanosec=456_789_012), frame_id="cam_optical")
    msg.camera_name = "cam_ceiling"
    msg.image_width, msg.image_height = 640, 480
    msg.backend = "openpose_mobilenet"
    msg.skeletons = [skeleton(0), skeleton(1)]
    return msg


def action_stamped() -> ActionStamped:
    msg = ActionStamped()
    msg.header = Header(stamp=Time(sec=1_700_000_124, nanosec=1), frame_id="cam_optical")
    msg.window_start = Time(sec=1_700_000_122, nanosec=999_999_999)
    msg.track_id = "cam_ceiling/7"
    msg.cameras = ["cam_ceiling", "cam_side"]
    msg.action = "opening_door"
    msg.class_index = 3
    msg.confidence = 0.625
    msg.class_names = ["waiting", "changing_side", "closing_door", "opening_door"]
    msg.probabilities = array.array("f", [0.125, 0.125, 0.125, 0.625])
    msg.status = ActionStamped.LOW_CONFIDENCE
    return msg


SAMPLES = {
    "keypoint": (Keypoint2D, keypoint),
    "skeleton": (Skeleton2D, skeleton),
    "skeleton_array": (SkeletonArray, skeleton_array),
    "action_stamped": (ActionStamped, action_stamped),
}


def field_differences(a, b, path: str = "") -> list[str]:
    """Every leaf field where two messages differ, as 'path: a != b' (empty when equal)."""
    if hasattr(a, "get_fields_and_field_types"):
        diffs = []
        for name in a.get_fields_and_field_types():
            diffs += field_differences(getattr(a, name), getattr(b, name), f"{path}.{name}")
        return diffs
    if isinstance(a, (list, tuple, array.array)) or hasattr(a, "tolist"):
        a_list, b_list = list(a), list(b)
        if len(a_list) != len(b_list):
            return [f"{path}: length {len(a_list)} != {len(b_list)}"]
        diffs = []
        for i, (x, y) in enumerate(zip(a_list, b_list, strict=True)):
            diffs += field_differences(x, y, f"{path}[{i}]")
        return diffs
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]
