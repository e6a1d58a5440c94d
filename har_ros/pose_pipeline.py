"""The pose side of the pipeline without ROS: BGR images in, tracked skeleton frames out.

Used by the pose node (live), by offline evaluation of image bags, skeleton extraction from
videos and benchmarks, so all of them run the same backend, tracking and output contract.
"""

from __future__ import annotations

import inspect
import time
from dataclasses import dataclass

import numpy as np

from har_ros.frames import SkeletonFrame, make_track_id
from har_ros.pose import backend_class, make_backend
from har_ros.pose_config import PoseNodeConfig
from har_ros.stats import RollingPercentiles
from har_ros.tracking import Tracker, TrackerConfig


def backend_options(config: PoseNodeConfig) -> dict[str, object]:
    """The configuration values the chosen backend accepts, as keyword options."""
    accepted = inspect.signature(backend_class(config.backend).__init__).parameters
    candidates = {"weights_path": config.weights_path or None, "net_height": config.net_height,
                  "max_batch": config.max_batch}
    return {k: v for k, v in candidates.items() if k in accepted and v is not None}


@dataclass
class CameraImage:
    """One image to process: BGR uint8 (H, W, 3) with its acquisition stamp and frame id."""

    camera: str
    image: np.ndarray
    stamp_ns: int
    frame_id: str = ""


class PosePipeline:
    """Backend (batched across cameras where it can) + one tracker per camera."""

    def __init__(self, config: PoseNodeConfig) -> None:
        self.config = config.validate()
        self.backend = make_backend(config.backend, **backend_options(config))
        tracker_config = TrackerConfig(
            max_age_s=config.track_max_age_s,
            max_cost=config.track_max_cost,
            roi=tuple(config.roi) if config.roi else None,
            max_people=config.max_people,
        )
        self.trackers = {camera: Tracker(tracker_config) for camera in config.cameras}
        self.backend_ms = RollingPercentiles()

    def process(self, batch: list[CameraImage]) -> list[SkeletonFrame]:
        """Estimate and track people in one image per camera; frames in the input's order."""
        if not batch:
            return []
        t0 = time.perf_counter()
        results = self.backend.infer([item.image for item in batch])
        self.backend_ms.add((time.perf_counter() - t0) * 1e3 / len(batch))
        frames = []
        for item, people in zip(batch, results, strict=True):
            tracks = self.trackers[item.camera].update(people, item.stamp_ns * 1e-9)
            skeletons = (np.stack([t.skeleton for t in tracks]).astype(np.float32) if tracks
                         else np.zeros((0, 18, 3), np.float32))
            frames.append(SkeletonFrame(
                stamp_ns=item.stamp_ns,
                frame_id=item.frame_id,
                camera_name=item.camera,
                image_width=item.image.shape[1],
                image_height=item.image.shape[0],
                backend=self.config.backend,
                skeletons=skeletons,
                track_ids=[make_track_id(item.camera, t.track_id) for t in tracks],
                scores=np.array([t.score for t in tracks], dtype=np.float32),
            ))
        return frames

    def close(self) -> None:
        self.backend.close()
