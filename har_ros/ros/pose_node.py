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

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

from har_ros.draw import draw_skeletons
from har_ros.errors import InputError
from har_ros.latest_frames import LatestFrameSlots
from har_ros.msg import SkeletonArray
from har_ros.pose import backend_class, make_backend
from har_ros.pose_config import PoseNodeConfig
from har_ros.ros import conversions as conv
from har_ros.ros import diagnostics as diag
from har_ros.ros.params import declare_config
from har_ros.stats import Counters, RollingPercentiles
from har_ros.tracking import Tracker, TrackerConfig

SKELETON_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)


def backend_options(config: PoseNodeConfig) -> dict[str, object]:
    """The node parameters the chosen backend accepts, as keyword options."""
    import inspect

    accepted = inspect.signature(backend_class(config.backend).__init__).parameters
    candidates = {"weights_path": config.weights_path or None, "net_height": config.net_height}
    return {k: v for k, v in candidates.items() if k in accepted and v is not None}


class PoseNode(Node):
    """ROS 2 node ``pose_node``; parameters in :class:`har_ros.pose_config.PoseNodeConfig`."""

    def __init__(self, node_name: str = "pose_node", **kwargs) -> None:
        super().__init__(node_name, **kwargs)
        self.config = declare_config(self, PoseNodeConfig)
        cfg = self.config
        self.backend = make_backend(cfg.backend, **backend_options(cfg))
        self.counters = Counters("frames_in", "frames_out", "bad_messages", "people_out")
        self.backend_ms = RollingPercentiles()
        self.node_ms = RollingPercentiles()
        self.slots = LatestFrameSlots()
        self.trackers: dict[str, Tracker] = {}
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
            self.trackers[camera] = Tracker(
                TrackerConfig(
                    max_age_s=cfg.track_max_age_s,
                    max_cost=cfg.track_max_cost,
                    roi=tuple(cfg.roi) if cfg.roi else None,
                    max_people=cfg.max_people,
                )
            )
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
        self.get_logger().info(f"backend '{cfg.backend}' ready, max_batch={self.backend.max_batch}")

    # ------------------------------------------------------------------ callbacks
    def _on_image(self, camera: str, msg: Image | CompressedImage) -> None:
        self.counters.inc("frames_in")
        self.slots.put(camera, (msg, time.perf_counter()))

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
    def process(self, pending: dict[str, tuple[object, float]]) -> None:
        """Convert, estimate, track and publish one batch of newest frames (one per camera)."""
        t0 = time.perf_counter()
        cameras, images, msgs = [], [], []
        for camera, (msg, _) in pending.items():
            try:
                images.append(conv.image_to_bgr(msg))
            except InputError as exc:
                self.counters.inc("bad_messages")
                self.get_logger().warning(
                    f"camera '{camera}': skipped a bad image: {exc}", throttle_duration_sec=2.0
                )
                continue
            cameras.append(camera)
            msgs.append(msg)
        if not images:
            return
        t1 = time.perf_counter()
        results = self.backend.infer(images)
        t2 = time.perf_counter()
        for camera, msg, image, people in zip(cameras, msgs, images, results, strict=True):
            stamp_ns = conv.stamp_to_ns(msg.header.stamp)
            tracks = self.trackers[camera].update(people, stamp_ns * 1e-9)
            skeletons = (
                np.stack([t.skeleton for t in tracks]).astype(np.float32)
                if tracks
                else np.zeros((0, 18, 3), np.float32)
            )
            frame = conv.SkeletonFrame(
                stamp_ns=stamp_ns,
                frame_id=msg.header.frame_id,
                camera_name=camera,
                image_width=image.shape[1],
                image_height=image.shape[0],
                backend=self.config.backend,
                skeletons=skeletons,
                track_ids=[f"{camera}/{t.track_id}" for t in tracks],
                scores=np.array([t.score for t in tracks], dtype=np.float32),
            )
            self.skeleton_pubs[camera].publish(conv.skeletons_to_msg(frame))
            self.counters.inc("frames_out")
            self.counters.inc("people_out", len(tracks))
            if camera in self.annotated_pubs:
                drawn = draw_skeletons(image.copy(), skeletons, [t.track_id for t in tracks])
                self.annotated_pubs[camera].publish(conv.bgr_to_imgmsg(drawn, msg.header))
        t3 = time.perf_counter()
        self.backend_ms.add((t2 - t1) * 1e3 / len(images))
        self.node_ms.add(((t1 - t0) + (t3 - t2)) * 1e3 / len(images))

    # ------------------------------------------------------------------ diagnostics
    def diagnostics_values(self) -> dict[str, object]:
        """Counters and timing percentiles reported on /diagnostics."""
        values: dict[str, object] = dict(self.counters.snapshot())
        values["frames_dropped"] = sum(self.slots.dropped(c) for c in self.config.cameras)
        values["backend"] = self.config.backend
        values["backend_ms_p50"] = self.backend_ms.percentile(50)
        values["backend_ms_p95"] = self.backend_ms.percentile(95)
        values["node_overhead_ms_p50"] = self.node_ms.percentile(50)
        values["node_overhead_ms_p95"] = self.node_ms.percentile(95)
        return values

    def _publish_diagnostics(self) -> None:
        values = self.diagnostics_values()
        level = diag.WARN if values["bad_messages"] or values["frames_dropped"] else diag.OK
        status = diag.status_msg(
            f"{self.get_name()}: pose",
            self.config.backend,
            level,
            "dropping frames or bad input" if level != diag.OK else "ok",
            values,
        )
        header = Header(stamp=self.get_clock().now().to_msg())
        self.diag_pub.publish(diag.array_msg(header, [status]))

    def close(self) -> None:
        """Stop the worker and release the backend."""
        self._running = False
        self.slots.close()
        self._worker.join(timeout=5.0)
        self.backend.close()
