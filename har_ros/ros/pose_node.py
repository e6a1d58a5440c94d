"""Pose node: camera images -> tracked COCO-18 skeletons (``har_ros/SkeletonArray``).

A thin adapter: image conversion (conversions), the pose backend (har_ros.pose), tracking
(har_ros.tracking) and the newest-frame policy (har_ros.latest_frames) are plain modules.
Subscription callbacks only store the newest message per camera; one worker thread converts,
runs the backend (batched across cameras when it can), tracks and publishes with the source
image's header. No message ends the node: a bad one is logged (throttled), counted by cause and
skipped. Cheap checks run in the callback, before a message can replace a good pending frame:
an unset or invalid stamp, and an image beyond ``max_image_pixels`` / ``max_aspect_ratio``
(read from the message's fields or the png/jpeg header, nothing decoded). The worker applies
the per-camera time policy (:meth:`har_ros.pose_pipeline.PosePipeline.admit`) and isolates
failures per frame, so one camera's bad frame never costs another camera's frame.
"""

from __future__ import annotations

import threading
import time

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

from har_ros.conversions import ImageRefusedError, image_message_size
from har_ros.draw import draw_skeletons
from har_ros.errors import InputError
from har_ros.frames import SkeletonFrame, track_number
from har_ros.latest_frames import LatestFrameSlots
from har_ros.msg import SkeletonArray
from har_ros.pose_config import PoseNodeConfig
from har_ros.pose_health import BAD_INPUT, ERROR, WARN, PeriodCounts, assess
from har_ros.pose_pipeline import (
    CLOCK_JUMP,
    STAMP_OK,
    CameraImage,
    FrameFailure,
    PosePipeline,
)
from har_ros.ros import conversions as conv
from har_ros.ros import diagnostics as diag
from har_ros.ros.params import declare_config
from har_ros.stats import Counters, RollingPercentiles

SKELETON_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)


class PoseNode(Node):
    """ROS 2 node ``pose_node``; parameters in :class:`har_ros.pose_config.PoseNodeConfig`."""

    def __init__(self, node_name: str = "pose_node", **kwargs) -> None:
        super().__init__(node_name, **kwargs)
        self.config = declare_config(self, PoseNodeConfig)
        cfg = self.config
        self.pipeline = PosePipeline(cfg)
        #: What runs the network (runtime, device, precision); reported in /diagnostics.
        self.runtime_info = self.pipeline.backend.runtime_info()
        self.limits = cfg.image_limits()
        self.counters = Counters("frames_in", "frames_out", "people_out", "bad_messages",
                                 *BAD_INPUT, "clock_jumps", "backend_errors", "internal_errors")
        self._period_counts = PeriodCounts()
        self._last_diag_s = time.monotonic()
        self._batch_started_s: float | None = None
        self._longest_batch_s = 0.0
        self.node_ms = RollingPercentiles()
        self.slots = LatestFrameSlots()
        self.skeleton_pubs = {}
        self.annotated_pubs = {}
        image_qos = QoSProfile(
            depth=1,
            reliability=ReliabilityPolicy.BEST_EFFORT
            if cfg.image_reliability == "best_effort"
            else ReliabilityPolicy.RELIABLE,
        )
        for i, camera in enumerate(cfg.cameras):
            topic = cfg.topic_for(i)
            msg_type = CompressedImage if topic.rstrip("/").endswith("/compressed") else Image
            self.skeleton_pubs[camera] = self.create_publisher(
                SkeletonArray, f"{camera}/skeletons", SKELETON_QOS
            )
            if cfg.publish_annotated:
                self.annotated_pubs[camera] = self.create_publisher(
                    Image, f"{camera}/annotated", 1
                )
            self.create_subscription(
                msg_type, topic, lambda msg, c=camera: self._on_image(c, msg), image_qos
            )
            self.get_logger().info(
                f"camera '{camera}': {msg_type.__name__} on '{self.resolve_topic_name(topic)}'"
            )
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(cfg.diagnostics_period_s, self._publish_diagnostics)
        self._running = True
        self._worker = threading.Thread(target=self._work, name="pose_worker", daemon=True)
        self._worker.start()
        runs_on = ", ".join(f"{k} {v}" for k, v in self.runtime_info.items())
        self.get_logger().info(
            f"backend '{cfg.backend}' ready, max_batch={self.pipeline.backend.max_batch}"
            + (f", {runs_on}" if runs_on else "")
        )

    # ------------------------------------------------------------------ callbacks
    def _on_image(self, camera: str, msg: Image | CompressedImage) -> None:
        try:
            self.counters.inc("frames_in")
            try:
                conv.stamp_to_ns(msg.header.stamp, allow_zero=False)
            except InputError as exc:
                self._skip(camera, "bad_stamp", exc)
                return
            try:
                self.limits.check(*image_message_size(msg))
            except ImageRefusedError as exc:
                self._skip(camera, "refused_size", exc)
                return
            except InputError as exc:
                self._skip(camera, "bad_image", exc)
                return
            self.slots.put(camera, msg)
        except Exception as exc:  # noqa: BLE001 - no message may end the node
            self._internal_error(f"camera '{camera}': image callback", exc)

    def _skip(self, camera: str, cause: str, error: object) -> None:
        """Count a skipped image under ``cause`` (and bad_messages) and log it, throttled."""
        self.counters.inc(cause)
        self.counters.inc("bad_messages")
        self.get_logger().warning(
            f"camera '{camera}': skipped a bad image ({cause}): {error}",
            throttle_duration_sec=2.0)

    def _internal_error(self, where: str, error: Exception) -> None:
        self.counters.inc("internal_errors")
        self.get_logger().error(f"{where} failed: {error!r}", throttle_duration_sec=5.0)

    def _work(self) -> None:
        while self._running:
            try:
                pending = self.slots.take_all(timeout_s=0.1)
                if not pending:
                    continue
                started = self._batch_started_s = time.monotonic()
                try:
                    self.process(pending)
                finally:
                    self._batch_started_s = None
                    self._longest_batch_s = max(self._longest_batch_s,
                                                time.monotonic() - started)
            except Exception as exc:  # noqa: BLE001 - never let one batch kill the worker
                self._internal_error("processing", exc)

    # ------------------------------------------------------------------ processing
    def process(self, pending: dict[str, Image | CompressedImage]) -> None:
        """Convert, estimate, track and publish one batch of newest frames (one per camera).

        Each frame is admitted (time policy), converted, estimated, tracked and published on
        its own account: a failure is counted by cause and costs only that frame.
        """
        t0 = time.perf_counter()
        now_ns = self.get_clock().now().nanoseconds
        batch = []
        for camera, msg in pending.items():
            item = self._admit(camera, msg, now_ns)
            if item is not None:
                batch.append(item)
        if not batch:
            return
        t1 = time.perf_counter()
        results = self.pipeline.process_isolated(batch)
        t2 = time.perf_counter()
        published = 0
        for item, frame in zip(batch, results, strict=True):
            if isinstance(frame, FrameFailure):
                self.counters.inc(frame.cause)
                self.get_logger().warning(
                    f"camera '{item.camera}': frame lost ({frame.cause}): {frame.error!r}",
                    throttle_duration_sec=2.0)
                continue
            try:
                self._publish(item, frame)
                published += 1
            except Exception as exc:  # noqa: BLE001 - one camera's failure stays its own
                self._internal_error(f"camera '{item.camera}': publishing", exc)
        t3 = time.perf_counter()
        if published:
            self.node_ms.add(((t1 - t0) + (t3 - t2)) * 1e3 / len(batch))

    def _admit(self, camera: str, msg: Image | CompressedImage, now_ns: int
               ) -> CameraImage | None:
        """The frame as a CameraImage, or None (counted) when its stamp or image is refused."""
        try:
            stamp_ns = conv.stamp_to_ns(msg.header.stamp, allow_zero=False)
        except InputError as exc:
            self._skip(camera, "bad_stamp", exc)
            return None
        verdict = self.pipeline.admit(camera, stamp_ns, now_ns)
        if verdict == CLOCK_JUMP:
            self.counters.inc("clock_jumps")
            self.get_logger().warning(
                f"camera '{camera}': stamp jumped back to {stamp_ns * 1e-9:.3f} s (bag loop or "
                "clock reset): its tracks restart", throttle_duration_sec=2.0)
        elif verdict != STAMP_OK:
            self._skip(camera, verdict, f"stamp {stamp_ns * 1e-9:.3f} s, node clock "
                                        f"{now_ns * 1e-9:.3f} s")
            return None
        try:
            image = conv.image_to_bgr(msg, self.limits)
        except ImageRefusedError as exc:
            self._skip(camera, "refused_size", exc)
            return None
        except InputError as exc:
            self._skip(camera, "bad_image", exc)
            return None
        except Exception as exc:  # noqa: BLE001 - e.g. a decoder running out of memory
            self._skip(camera, "bad_image", repr(exc))
            return None
        return CameraImage(camera, image, stamp_ns, msg.header.frame_id)

    def _publish(self, item: CameraImage, frame: SkeletonFrame) -> None:
        self.skeleton_pubs[item.camera].publish(conv.skeletons_to_msg(frame))
        self.counters.inc("frames_out")
        self.counters.inc("people_out", len(frame.track_ids))
        if item.camera in self.annotated_pubs:
            ids = [track_number(t) for t in frame.track_ids]
            drawn = draw_skeletons(item.image, frame.skeletons, ids)
            header = Header(stamp=conv.ns_to_stamp(item.stamp_ns), frame_id=item.frame_id)
            self.annotated_pubs[item.camera].publish(conv.bgr_to_imgmsg(drawn, header))

    # ------------------------------------------------------------------ diagnostics
    def diagnostics_values(self) -> dict[str, object]:
        """Lifetime counters and timing percentiles reported on /diagnostics."""
        values: dict[str, object] = dict(self.counters.snapshot())
        values["frames_dropped"] = sum(self.slots.dropped(c) for c in self.config.cameras)
        values["backend"] = self.config.backend
        for key, value in self.runtime_info.items():
            values[f"pose_{key}"] = value
        values["backend_ms_p50"] = self.pipeline.backend_ms.percentile(50)
        values["backend_ms_p95"] = self.pipeline.backend_ms.percentile(95)
        values["node_overhead_ms_p50"] = self.node_ms.percentile(50)
        values["node_overhead_ms_p95"] = self.node_ms.percentile(95)
        return values

    def _publish_diagnostics(self) -> None:
        try:
            values = self.diagnostics_values()
            now_s = time.monotonic()
            period_s, self._last_diag_s = now_s - self._last_diag_s, now_s
            started = self._batch_started_s
            busy_s = now_s - started if started is not None else 0.0
            longest, self._longest_batch_s = self._longest_batch_s, 0.0
            counts = {k: v for k, v in values.items() if isinstance(v, int)}
            health = assess(self._period_counts.update(counts), period_s, busy_s, longest,
                            self.config.max_processing_s)
            for key in ("frames_in", "frames_out", "frames_dropped", "bad_messages"):
                values[f"{key}_per_s"] = health.rates.get(f"{key}_per_s", 0.0)
            values["busy_s"] = busy_s
            level = {WARN: diag.WARN, ERROR: diag.ERROR}.get(health.level, diag.OK)
            status = diag.status_msg(f"{self.get_name()}: pose", self.config.backend, level,
                                     health.message, values)
            header = Header(stamp=self.get_clock().now().to_msg())
            self.diag_pub.publish(diag.array_msg(header, [status]))
        except Exception as exc:  # noqa: BLE001 - diagnostics must not end the node
            self._internal_error("diagnostics", exc)

    def close(self) -> None:
        """Stop the worker and release the backend."""
        self._running = False
        self.slots.close()
        self._worker.join(timeout=5.0)
        self.pipeline.close()
