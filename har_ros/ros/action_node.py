"""Action node: SkeletonArray streams -> per-track and operator-level ActionStamped.

A thin adapter over :class:`har_ros.action_pipeline.ActionPipeline` (windows on the model's
time base, the classifier with the training features, smoothing, abstention, operator
selection, fusion, heartbeat). Stamps are the source images' acquisition stamps, never now();
the node clock (wall clock, or /clock with use_sim_time) judges freshness and "future"
(docs/time_policy.md). No message ends the node: every callback catches, counts by cause
(diagnostics) and goes on.
"""

from __future__ import annotations

import time

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.event_handler import PublisherEventCallbacks
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy

from har_ros.action_config import ActionNodeConfig
from har_ros.action_pipeline import ActionPipeline
from har_ros.errors import InputError
from har_ros.frames import ActionDecision
from har_ros.msg import ActionStamped, SkeletonArray
from har_ros.ros import conversions as conv
from har_ros.ros import diagnostics as diag
from har_ros.ros.params import declare_config
from har_ros.ros.qos import decision_qos, describe
from har_ros.stats import RollingPercentiles
from har_ros.status import Status

RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)

#: Counters whose rate over the last diagnostics period raises the status, with what it means.
WARN_CAUSES = {
    "bad_stamp": "refused SkeletonArrays with an invalid stamp (negative, zero, malformed)",
    "future_stamp": "refused SkeletonArrays stamped ahead of the node clock (max_future_s)",
    "bad_messages": "refused malformed SkeletonArrays",
    "bad_skeletons": "skipped skeletons without a track id",
    "dropped_out_of_order": "dropped out-of-order or duplicate stamps",
    "clock_jumps": "a camera's stamps jumped back: its windows restarted",
}
ERROR_CAUSES = {"internal_errors": "internal errors caught (node kept running)"}


def diagnostic_status(rates: dict[str, float]) -> tuple[bytes, str]:
    """The level and message of the node's status from per-second rates over the last
    diagnostics period: ERROR for internal errors, WARN for refused or dropped input, else OK."""
    parts, level = [], diag.OK
    for causes, cause_level in ((ERROR_CAUSES, diag.ERROR), (WARN_CAUSES, diag.WARN)):
        for key, text in causes.items():
            if rates.get(key, 0.0) > 0:
                parts.append(f"{text}: {rates[key]:.1f}/s")
                if level == diag.OK:
                    level = cause_level
    return level, "; ".join(parts) if parts else "ok"


class ActionNode(Node):
    """ROS 2 node ``action_node``; parameters in :class:`har_ros.action_config.ActionNodeConfig`."""

    def __init__(self, node_name: str = "action_node", **kwargs) -> None:
        super().__init__(node_name, **kwargs)
        self.config = cfg = declare_config(self, ActionNodeConfig)
        self.pipeline = ActionPipeline(cfg)
        self.latency_ms = RollingPercentiles()
        self.pipeline.counters.inc("internal_errors", 0)
        self.rates = diag.PeriodRates((*ERROR_CAUSES, *WARN_CAUSES), time.monotonic())
        # The QoS contract (har_ros/ros/qos.py): a deadline of deadline_periods heartbeats and
        # AUTOMATIC liveliness, so a subscriber requesting them hears of a dead or frozen node.
        # 'actions' offers the same profile (its silence is normal with nobody in view: there
        # the liveliness is what tells a dead node). A missed offered deadline on 'action' (a
        # late heartbeat) is counted in diagnostics.
        self.decision_qos = decision_qos(cfg.deadline_s(), cfg.liveliness_lease_s)
        self.pipeline.counters.inc("heartbeat_deadline_missed", 0)
        late = PublisherEventCallbacks(
            deadline=lambda _info: self.pipeline.counters.inc("heartbeat_deadline_missed"))
        self.actions_pub = self.create_publisher(ActionStamped, "actions", self.decision_qos)
        self.action_pub = self.create_publisher(ActionStamped, "action", self.decision_qos,
                                                event_callbacks=late)
        for camera in cfg.cameras:
            self.create_subscription(SkeletonArray, f"{camera}/skeletons",
                                     lambda msg, c=camera: self._on_skeletons(c, msg), RELIABLE)
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(1.0 / cfg.heartbeat_hz, self._heartbeat)
        self.create_timer(cfg.diagnostics_period_s, self._publish_diagnostics)
        clf = self.pipeline.classifier
        self.get_logger().info(
            f"model: {len(clf.classes)} classes, window {clf.window_frames} frames at "
            f"{clf.rate_hz} Hz; cameras {cfg.cameras}; 'action'/'actions' QoS: "
            f"{describe(self.decision_qos)}"
        )

    def _now_s(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _internal_error(self, where: str, exc: Exception) -> None:
        self.pipeline.counters.inc("internal_errors")
        self.get_logger().error(f"{where}: {type(exc).__name__}: {exc} (caught, node goes on)",
                                throttle_duration_sec=2.0)

    def _on_skeletons(self, camera: str, msg: SkeletonArray) -> None:
        try:
            decisions = self.pipeline.process_message(msg, camera, self._now_s())
            if not decisions:
                return
            if self.config.publish_per_track:
                for decision in decisions:
                    self.actions_pub.publish(conv.action_to_msg(decision))
            # end-to-end latency: image acquisition stamp -> decisions published (same clock)
            self.latency_ms.add((self._now_s() - decisions[0].stamp_ns * 1e-9) * 1e3)
        except InputError as exc:  # counted by cause in the pipeline
            self.get_logger().warning(f"'{camera}': SkeletonArray skipped: {exc}",
                                      throttle_duration_sec=2.0)
        except Exception as exc:  # noqa: BLE001 - no message may end the node
            self._internal_error(f"'{camera}' SkeletonArray", exc)

    def _heartbeat(self) -> None:
        try:
            msg = conv.action_to_msg(self.pipeline.heartbeat(self._now_s()))
        except Exception as exc:  # noqa: BLE001 - the heartbeat must keep coming
            self._internal_error("heartbeat", exc)
            msg = conv.action_to_msg(ActionDecision.without_window(Status.STALE, 0))
        self.action_pub.publish(msg)

    def diagnostics_values(self) -> dict[str, object]:
        values = self.pipeline.diagnostics_values()
        values["latency_ms_p50"] = self.latency_ms.percentile(50)
        values["latency_ms_p95"] = self.latency_ms.percentile(95)
        return values

    def _publish_diagnostics(self) -> None:
        try:
            values = self.diagnostics_values()
            rates = self.rates.update(values, time.monotonic())
            values.update({f"{k}_per_s": v for k, v in rates.items()})
            level, message = diagnostic_status(rates)
            diag.publish_status(self, self.diag_pub, "action", "lstm", values, level, message)
        except Exception as exc:  # noqa: BLE001 - diagnostics must not end the node
            self._internal_error("diagnostics", exc)
