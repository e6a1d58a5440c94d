"""Action node: SkeletonArray streams -> per-track and operator-level ActionStamped.

A thin adapter over :class:`har_ros.action_pipeline.ActionPipeline` (windows on the model's
time base, the classifier with the training features, smoothing, abstention, operator
selection, fusion, heartbeat). Stamps are the source images' acquisition stamps, never now().
"""

from __future__ import annotations

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy

from har_ros.action_config import ActionNodeConfig
from har_ros.action_pipeline import ActionPipeline
from har_ros.errors import InputError
from har_ros.msg import ActionStamped, SkeletonArray
from har_ros.ros import conversions as conv
from har_ros.ros import diagnostics as diag
from har_ros.ros.params import declare_config
from har_ros.stats import RollingPercentiles

RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)


class ActionNode(Node):
    """ROS 2 node ``action_node``; parameters in :class:`har_ros.action_config.ActionNodeConfig`."""

    def __init__(self, node_name: str = "action_node", **kwargs) -> None:
        super().__init__(node_name, **kwargs)
        self.config = cfg = declare_config(self, ActionNodeConfig)
        self.pipeline = ActionPipeline(cfg)
        self.latency_ms = RollingPercentiles()
        self.actions_pub = self.create_publisher(ActionStamped, "actions", RELIABLE)
        self.action_pub = self.create_publisher(ActionStamped, "action", RELIABLE)
        for camera in cfg.cameras:
            self.create_subscription(SkeletonArray, f"{camera}/skeletons",
                                     lambda msg, c=camera: self._on_skeletons(c, msg), RELIABLE)
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(1.0 / cfg.heartbeat_hz, self._heartbeat)
        self.create_timer(cfg.diagnostics_period_s, self._publish_diagnostics)
        clf = self.pipeline.classifier
        self.get_logger().info(
            f"model: {len(clf.classes)} classes, window {clf.window_frames} frames at "
            f"{clf.rate_hz} Hz; cameras {cfg.cameras}"
        )

    def _now_s(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_skeletons(self, camera: str, msg: SkeletonArray) -> None:
        try:
            frame = conv.msg_to_skeletons(msg)
        except InputError as exc:
            self.pipeline.counters.inc("bad_messages")
            self.get_logger().warning(f"'{camera}': bad SkeletonArray skipped: {exc}",
                                      throttle_duration_sec=2.0)
            return
        frame.camera_name = camera  # the subscription names the camera, whatever the sender says
        decisions = self.pipeline.process(frame, self._now_s())
        if not decisions:
            return
        if self.config.publish_per_track:
            for td in decisions:
                action = self.pipeline.to_action(td.decision, td.frame_id, td.track_id)
                self.actions_pub.publish(conv.action_to_msg(action))
        # end-to-end latency: image acquisition stamp -> decisions published (same clock only)
        self.latency_ms.add((self._now_s() - frame.stamp_ns * 1e-9) * 1e3)

    def _heartbeat(self) -> None:
        decision = self.pipeline.heartbeat(self._now_s())
        self.action_pub.publish(conv.action_to_msg(self.pipeline.to_action(decision, "", "")))

    def diagnostics_values(self) -> dict[str, object]:
        values = self.pipeline.diagnostics_values()
        values["latency_ms_p50"] = self.latency_ms.percentile(50)
        values["latency_ms_p95"] = self.latency_ms.percentile(95)
        return values

    def _publish_diagnostics(self) -> None:
        diag.publish(self, self.diag_pub, "action", "lstm", self.diagnostics_values(),
                     ("bad_messages", "dropped_out_of_order"), "bad or out-of-order input")
