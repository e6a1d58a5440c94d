"""The pose side of the pipeline without ROS: BGR images in, tracked skeleton frames out.

Used by the pose node (live), by offline evaluation of image bags, skeleton extraction from
videos and benchmarks, so all of them run the same backend, tracking and output contract.

Time policy per camera (:class:`StampGate`, applied by :meth:`PosePipeline.admit`): a stamp
more than ``max_future_s`` ahead of the caller's clock is rejected; a stamp at or before the
camera's previous one by at most ``clock_jump_s`` is dropped as out of order; a step back of
more than ``clock_jump_s`` (bag loop, clock reset) restarts that camera's tracker. Failures are
isolated per frame (:meth:`PosePipeline.process_isolated`): when the backend fails on a batch,
each frame is retried alone, so only the bad one is lost.
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
                  "max_batch": config.max_batch, "runtime": config.runtime,
                  "device": config.device, "precision": config.precision}
    return {k: v for k, v in candidates.items() if k in accepted and v is not None}


#: Verdicts of :meth:`StampGate.check` (also the diagnostics counter names of the rejections).
STAMP_OK = "ok"
FUTURE_STAMP = "future_stamp"
OUT_OF_ORDER = "out_of_order"
CLOCK_JUMP = "clock_jumps"


class StampGate:
    """Per-camera stamp ordering and plausibility (integer nanoseconds of the source clock)."""

    def __init__(self, max_future_s: float, clock_jump_s: float) -> None:
        """``max_future_s`` (0 = no check) and ``clock_jump_s``: see :mod:`har_ros.pose_config`."""
        self.max_future_ns = int(max_future_s * 1e9)
        self.clock_jump_ns = int(clock_jump_s * 1e9)
        self._last: dict[str, int] = {}

    def check(self, camera: str, stamp_ns: int, now_ns: int | None = None) -> str:
        """Verdict on ``camera``'s next image stamped ``stamp_ns``; ``now_ns`` is the reader's
        clock on the same time base (None or 0: unknown, e.g. sim time before /clock).

        Returns STAMP_OK or CLOCK_JUMP (the image is accepted and becomes the camera's latest)
        or FUTURE_STAMP / OUT_OF_ORDER (rejected; the camera's latest stamp is unchanged).
        """
        if self.max_future_ns and now_ns and stamp_ns - now_ns > self.max_future_ns:
            return FUTURE_STAMP
        last = self._last.get(camera)
        verdict = STAMP_OK
        if last is not None and stamp_ns <= last:
            if last - stamp_ns <= self.clock_jump_ns:
                return OUT_OF_ORDER
            verdict = CLOCK_JUMP
        self._last[camera] = stamp_ns
        return verdict


@dataclass
class FrameFailure:
    """One frame of a batch that produced no SkeletonFrame: which camera, why (the diagnostics
    counter: ``backend_errors`` or ``internal_errors``) and the exception."""

    camera: str
    cause: str
    error: Exception


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
        self.stamps = StampGate(config.max_future_s, config.clock_jump_s)

    def admit(self, camera: str, stamp_ns: int, now_ns: int | None = None) -> str:
        """Apply the time policy to ``camera``'s next image (see :class:`StampGate`): returns
        the verdict; on CLOCK_JUMP the camera's tracker is restarted (track ids keep counting
        up, so no id is reused for another person)."""
        verdict = self.stamps.check(camera, stamp_ns, now_ns)
        if verdict == CLOCK_JUMP:
            self.trackers[camera].reset()
        return verdict

    def process(self, batch: list[CameraImage]) -> list[SkeletonFrame]:
        """Estimate and track people in one image per camera; frames in the input's order.

        Raises the first frame's error when any frame fails (offline tools stop on it); the
        node uses :meth:`process_isolated`.
        """
        results = self.process_isolated(batch)
        for result in results:
            if isinstance(result, FrameFailure):
                raise result.error
        return results

    def process_isolated(self, batch: list[CameraImage]) -> list[SkeletonFrame | FrameFailure]:
        """Like :meth:`process`, but a frame that fails becomes a :class:`FrameFailure` and
        costs no other frame: a failed batch call is retried one frame at a time."""
        if not batch:
            return []
        t0 = time.perf_counter()
        try:
            people_per_frame: list[np.ndarray | Exception] = list(
                self.backend.infer([item.image for item in batch]))
            self.backend_ms.add((time.perf_counter() - t0) * 1e3 / len(batch))
        except Exception as batch_error:  # noqa: BLE001 - isolate the frame that caused it
            if len(batch) == 1:
                people_per_frame = [batch_error]
            else:
                people_per_frame = [self._infer_one(item) for item in batch]
        results: list[SkeletonFrame | FrameFailure] = []
        for item, people in zip(batch, people_per_frame, strict=True):
            if isinstance(people, Exception):
                results.append(FrameFailure(item.camera, "backend_errors", people))
                continue
            try:
                results.append(self._track(item, people))
            except Exception as exc:  # noqa: BLE001 - one camera's failure stays its own
                results.append(FrameFailure(item.camera, "internal_errors", exc))
        return results

    def _infer_one(self, item: CameraImage) -> np.ndarray | Exception:
        t0 = time.perf_counter()
        try:
            people = self.backend.infer([item.image])[0]
        except Exception as exc:  # noqa: BLE001 - returned to the caller as the frame's failure
            return exc
        self.backend_ms.add((time.perf_counter() - t0) * 1e3)
        return people

    def _track(self, item: CameraImage, people: np.ndarray) -> SkeletonFrame:
        tracks = self.trackers[item.camera].update(people, item.stamp_ns * 1e-9)
        skeletons = (np.stack([t.skeleton for t in tracks]).astype(np.float32) if tracks
                     else np.zeros((0, 18, 3), np.float32))
        return SkeletonFrame(
            stamp_ns=item.stamp_ns,
            frame_id=item.frame_id,
            camera_name=item.camera,
            image_width=item.image.shape[1],
            image_height=item.image.shape[0],
            backend=self.config.backend,
            skeletons=skeletons,
            track_ids=[make_track_id(item.camera, t.track_id) for t in tracks],
            scores=np.array([t.score for t in tracks], dtype=np.float32),
        )

    def close(self) -> None:
        self.backend.close()
