"""Image sources for the pose pipeline outside ROS: a video file's frames or a bag's image
messages, as :class:`har_ros.pose_pipeline.CameraImage` with source stamps (ns)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING

from har_ros.pose_pipeline import CameraImage

if TYPE_CHECKING:
    from har_ros.bags.reader import BagReader, SkipCount

#: Stamp of a video's first frame (ns): one second, because the nodes and bag tools refuse
#: the unset stamp 0 as a source stamp.
VIDEO_T0_NS = 1_000_000_000


def video_frames(path: str, camera: str, limit: int = 0, t0_ns: int = VIDEO_T0_NS
                 ) -> Iterator[CameraImage]:
    """CameraImage per frame of a video: stamps t0 + i / fps (ns)."""
    from har_ros.video_source import VideoSource

    src = VideoSource(path)
    for i, image in enumerate(src.frames(limit)):
        yield CameraImage(camera, image, t0_ns + int(round(i * 1e9 / src.fps)),
                          f"{camera}_optical")


def bag_images(bag: BagReader, topics: list[str] | None, limit: int = 0,
               skipped: SkipCount | None = None) -> Iterator[CameraImage]:
    """CameraImage per image message of ``topics`` (bag order); a message that cannot be used
    is skipped and counted in ``skipped`` (a :class:`har_ros.bags.reader.SkipCount`)."""
    from har_ros.bag_eval import camera_of
    from har_ros.bags.reader import SkipCount, read_image

    skipped = skipped if skipped is not None else SkipCount()
    messages = islice(bag.messages(topics), limit or None)
    for m, (image, stamp, frame_id) in skipped.readable(messages, lambda m: read_image(bag, m)):
        yield CameraImage(camera_of(m.topic), image, stamp, frame_id)
