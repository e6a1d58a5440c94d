"""Safety gate node: the operator-level decisions ('action') -> a speed fraction for a robot
('speed_scale', std_msgs/Float64, 0..1), a reference an integrator can copy.

A thin adapter over :class:`har_ros.safety_gate.SafetyGate` (the rules and the behaviour
table are there and in docs/safety_gate.md). It subscribes to 'action' with the QoS contract
(har_ros/ros/qos.py: the requested deadline and liveliness lease are parameters) and feeds
the gate the decisions, their arrival time on the node clock, the publisher's id, the number
of publishers on the topic (the ROS graph) and the subscription's deadline / liveliness
events. 'speed_scale' carries no stamp (Float64): it is published every 1/publish_hz s and at
once whenever the fraction drops, with the same QoS contract (deadline 2 periods), so the
robot side can detect a dead gate the same way. No message ends the node: every callback
catches, counts by cause (/diagnostics) and goes on; an internal error commands the safe
fraction.
"""

from __future__ import annotations

import time

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.node import Node
from std_msgs.msg import Float64

from har_ros.msg import ActionStamped
from har_ros.ros import diagnostics as diag
from har_ros.ros.params import declare_config
from har_ros.ros.qos import decision_qos, describe
from har_ros.safety_gate import REFUSAL_CAUSES, GateInput, SafetyGate, SafetyGateConfig

INPUT_TOPIC = "action"
OUTPUT_TOPIC = "speed_scale"
ERROR_CAUSES = {"internal_errors": "internal errors caught (safe fraction commanded)"}


def _publisher_id(info: object) -> str:
    """The sending publisher's GID as hex ('' when the middleware does not give one)."""
    gid = info.get("publisher_gid") if isinstance(info, dict) else None
    data = gid.get("data") if isinstance(gid, dict) else None
    return bytes(data).hex() if data is not None else ""


class SafetyGateNode(Node):
    """ROS 2 node ``safety_gate``; parameters in :class:`har_ros.safety_gate.SafetyGateConfig`."""

    def __init__(self, node_name: str = "safety_gate", **kwargs) -> None:
        super().__init__(node_name, **kwargs)
        self.config = cfg = declare_config(self, SafetyGateConfig)
        self.gate = SafetyGate(cfg)
        self.internal_errors = 0
        self._published: float | None = None
        self.rates = diag.PeriodRates((*ERROR_CAUSES, *REFUSAL_CAUSES), time.monotonic())
        in_qos = decision_qos(cfg.deadline_s, cfg.liveliness_lease_s)
        events = SubscriptionEventCallbacks(
            deadline=lambda _info: self._event(self.gate.on_deadline_missed),
            liveliness=lambda info: self._event(lambda: self.gate.on_liveliness(
                info.alive_count, info.not_alive_count)),
            incompatible_qos=lambda _info: self._event(self.gate.on_incompatible_qos),
        )
        self.sub = self.create_subscription(ActionStamped, INPUT_TOPIC, self._on_action, in_qos,
                                            event_callbacks=events)
        out_qos = decision_qos(cfg.output_deadline_s(), cfg.liveliness_lease_s)
        self.pub = self.create_publisher(Float64, OUTPUT_TOPIC, out_qos)
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(1.0 / cfg.publish_hz, self._tick)
        self.create_timer(cfg.diagnostics_period_s, self._publish_diagnostics)
        self.get_logger().info(
            f"'{self.sub.topic_name}' -> '{self.pub.topic_name}' (Float64, 0..1); requests "
            f"{describe(in_qos)}; safe fraction {cfg.safe_fraction}")
        self._tick()

    def _now_s(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _internal_error(self, where: str, exc: Exception) -> None:
        self.internal_errors += 1
        self.get_logger().error(f"{where}: {type(exc).__name__}: {exc} (caught, safe fraction "
                                "commanded, node goes on)", throttle_duration_sec=2.0)
        try:
            self._publish(self.config.safe_fraction, "internal error")
        except Exception:  # noqa: BLE001, S110 - nothing more can be done here
            pass

    def _publish(self, fraction: float, reason: str) -> None:
        if fraction != self._published:
            text = f"speed fraction {fraction:.2f}: {reason}"
            # one call site per severity (rclpy refuses to change it at a call site)
            if self._published is not None and fraction < self._published:
                self.get_logger().warning(text)
            else:
                self.get_logger().info(text)
        self._published = fraction
        self.pub.publish(Float64(data=float(fraction)))

    def _event(self, handler) -> None:
        try:
            handler()
            self._evaluate(publish_on_drop_only=True)
        except Exception as exc:  # noqa: BLE001 - no event may end the node
            self._internal_error("QoS event", exc)

    def _on_action(self, msg: ActionStamped, info: object) -> None:
        """A decision with its MessageInfo (two arguments: rclpy then passes the sender)."""
        try:
            stamp = msg.header.stamp
            self.gate.on_message(GateInput(
                stamp_sec=stamp.sec, stamp_nanosec=stamp.nanosec, status=msg.status,
                action=msg.action, track_id=msg.track_id, confidence=float(msg.confidence),
                publisher=_publisher_id(info)), self._now_s())
            self._evaluate(publish_on_drop_only=True)
        except Exception as exc:  # noqa: BLE001 - no message may end the node
            self._internal_error("decision", exc)

    def _evaluate(self, publish_on_drop_only: bool) -> None:
        out = self.gate.update(self._now_s())
        if not publish_on_drop_only or (self._published is None
                                        or out.fraction < self._published):
            self._publish(out.fraction, out.reason)

    def _tick(self) -> None:
        try:
            self.gate.on_publishers(self.count_publishers(self.sub.topic_name))
            self._evaluate(publish_on_drop_only=False)
        except Exception as exc:  # noqa: BLE001 - the output must keep coming
            self._internal_error("tick", exc)

    def diagnostics_values(self) -> dict[str, object]:
        values = self.gate.diagnostics_values()
        values["internal_errors"] = self.internal_errors
        return values

    def _publish_diagnostics(self) -> None:
        try:
            values = self.diagnostics_values()
            rates = self.rates.update(values, time.monotonic())
            values.update({f"{k}_per_s": v for k, v in rates.items()})
            out = self.gate.last_output
            parts = [f"{text}: {rates[k]:.1f}/s" for k, text in
                     (*ERROR_CAUSES.items(), *REFUSAL_CAUSES.items()) if rates.get(k, 0) > 0]
            if rates.get("internal_errors", 0) > 0:
                level = diag.ERROR
            elif out.fault or parts:
                level = diag.WARN
            else:
                level = diag.OK
            message = f"speed {out.fraction:.2f}: {out.reason}"
            if parts:
                message += "; " + "; ".join(parts)
            diag.publish_status(self, self.diag_pub, OUTPUT_TOPIC, "safety_gate", values, level,
                                message)
        except Exception as exc:  # noqa: BLE001 - diagnostics must not end the node
            self._internal_error("diagnostics", exc)
