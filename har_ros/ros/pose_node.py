"""Pose node: camera images -> tracked COCO-18 skeletons (``har_ros/SkeletonArray``).

A thin adapter: image conversion (conversions), the pose backend (har_ros.pose), tracking
(har_ros.tracking) and the newest-frame policy (har_ros.latest_frames) are plain modules.
Subscription callbacks only store the newest message per camera; one worker thread converts,
runs the backend (batched across cameras when it can), tracks and publishes with the source
image's header. A bad message is logged (throttled), counted and skipped.
"""

from __future__ import annotations

import threading
import time

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

from har_ros.draw import draw_skeletons
from har_ros.errors import InputError
from har_ros.frames import track_number
from har_ros.latest_frames import LatestFrameSlots
from har_ros.msg import SkeletonArray
from har_ros.pose_config import PoseNodeConfig
from har_ros.pose_pipeline import CameraImage, PosePipeline
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
        self.counters = Counters("frames_in", "frames_out", "bad_messages", "people_out")
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
        self.get_logger().info(
            f"backend '{cfg.backend}' ready, max_batch={self.pipeline.backend.max_batch}"
        )

    # ------------------------------------------------------------------ callbacks
    def _on_image(self, camera: str, msg: Image | CompressedImage) -> None:
        self.counters.inc("frames_in")
        self.slots.put(camera, msg)

    def _work(self) -> None:
        while self._running:
            pending = self.slots.take_all(timeout_s=0.1)
            if pending:
                try:
                    self.process(pending)
                except Exception as exc:  # never let one batch kill the worker
                    self.counters.inc("worker_errors")
                    self.get_logger().error(
                        f"processing failed: {exc!r}", throttle_duration_sec=5.0
                    )

    # ------------------------------------------------------------------ processing
    def process(self, pending: dict[str, Image | CompressedImage]) -> None:
        """Convert, estimate, track and publish one batch of newest frames (one per camera)."""
        t0 = time.perf_counter()
        batch = []
        for camera, msg in pending.items():
            try:
                image = conv.image_to_bgr(msg)
                stamp_ns = conv.stamp_to_ns(msg.header.stamp, allow_zero=False)
            except InputError as exc:
                self.counters.inc("bad_messages")
                self.get_logger().warning(
                    f"camera '{camera}': skipped a bad image: {exc}", throttle_duration_sec=2.0
                )
                continue
            batch.append(CameraImage(camera, image, stamp_ns,
                                     msg.header.frame_id))
        if not batch:
            return
        t1 = time.perf_counter()
        frames = self.pipeline.process(batch)
        t2 = time.perf_counter()
        for item, frame in zip(batch, frames, strict=True):
            self.skeleton_pubs[item.camera].publish(conv.skeletons_to_msg(frame))
            self.counters.inc("frames_out")
            self.counters.inc("people_out", len(frame.track_ids))
            if item.camera in self.annotated_pubs:
                ids = [track_number(t) for t in frame.track_ids]
                drawn = draw_skeletons(item.image, frame.skeletons, ids)
                header = Header(stamp=conv.ns_to_stamp(item.stamp_ns), frame_id=item.frame_id)
                self.annotated_pubs[item.camera].publish(conv.bgr_to_imgmsg(drawn, header))
        t3 = time.perf_counter()
        self.node_ms.add(((t1 - t0) + (t3 - t2)) * 1e3 / len(batch))

    # ------------------------------------------------------------------ diagnostics
    def diagnostics_values(self) -> dict[str, object]:
        """Counters and timing percentiles reported on /diagnostics."""
        values: dict[str, object] = dict(self.counters.snapshot())
        values["frames_dropped"] = sum(self.slots.dropped(c) for c in self.config.cameras)
        values["backend"] = self.config.backend
        values["backend_ms_p50"] = self.pipeline.backend_ms.percentile(50)
        values["backend_ms_p95"] = self.pipeline.backend_ms.percentile(95)
        values["node_overhead_ms_p50"] = self.node_ms.percentile(50)
        values["node_overhead_ms_p95"] = self.node_ms.percentile(95)
        return values

    def _publish_diagnostics(self) -> None:
        diag.publish(self, self.diag_pub, "pose", self.config.backend, self.diagnostics_values(),
                     ("bad_messages", "frames_dropped"), "dropping frames or bad input")

    def close(self) -> None:
        """Stop the worker and release the backend."""
        self._running = False
        self.slots.close()
        self._worker.join(timeout=5.0)
        self.pipeline.close()
