"""Action node: SkeletonArray streams -> per-track and operator-level ActionStamped.

A thin adapter over plain modules: per-track windows on the model's time base
(har_ros.track_windows), the classifier (har_ros.classifier, same features as training) and
the decision layer (har_ros.decisions: smoothing, abstention, operator selection, fusion,
heartbeat). Stamps are the source images' acquisition stamps, never now().
"""

from __future__ import annotations

import time

import numpy as np
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from std_msgs.msg import Header

from har_ros import decisions as dec
from har_ros.action_config import ActionNodeConfig, default_model_path
from har_ros.classifier import ActionClassifier
from har_ros.errors import ConfigError, InputError
from har_ros.msg import ActionStamped, SkeletonArray
from har_ros.ros import conversions as conv
from har_ros.ros import diagnostics as diag
from har_ros.ros.params import declare_config
from har_ros.stats import Counters, RollingPercentiles
from har_ros.track_windows import TrackWindows, WindowSpec

RELIABLE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)


def window_spec(config: ActionNodeConfig, clf: ActionClassifier) -> WindowSpec:
    """The window geometry from the checkpoint, checked against the node's expectations."""
    if config.expected_window_frames and config.expected_window_frames != clf.window_frames:
        raise ConfigError(
            f"parameter 'expected_window_frames' = {config.expected_window_frames} but the model "
            f"uses {clf.window_frames} frames: set it to 0 or use a matching model"
        )
    if config.expected_rate_hz and abs(config.expected_rate_hz - clf.rate_hz) > 1e-6:
        raise ConfigError(
            f"parameter 'expected_rate_hz' = {config.expected_rate_hz} but the model samples at "
            f"{clf.rate_hz} Hz: set it to 0 or use a matching model"
        )
    return WindowSpec(
        window_frames=clf.window_frames,
        stride_frames=clf.stride_frames,
        rate_hz=clf.rate_hz,
        max_gap_s=config.max_gap_s,
        gap_reset_s=config.gap_reset_s,
        forget_after_s=config.forget_after_s,
    ).validate()


class ActionNode(Node):
    """ROS 2 node ``action_node``; parameters in :class:`har_ros.action_config.ActionNodeConfig`."""

    def __init__(self, node_name: str = "action_node", **kwargs) -> None:
        super().__init__(node_name, **kwargs)
        self.config = cfg = declare_config(self, ActionNodeConfig)
        self.classifier = ActionClassifier.load(
            cfg.model_path or default_model_path(), num_threads=cfg.torch_threads
        )
        self.classes = self.classifier.classes
        self.windows = TrackWindows(window_spec(cfg, self.classifier))
        self.smoothers: dict[tuple[str, str], dec.Smoother] = {}
        self.fusion = dec.OperatorFusion(cfg.decision_config())
        self.counters = Counters("frames_in", "windows_classified", "bad_messages")
        self.infer_ms = RollingPercentiles()
        self.latency_ms = RollingPercentiles()
        self.actions_pub = self.create_publisher(ActionStamped, "actions", RELIABLE)
        self.action_pub = self.create_publisher(ActionStamped, "action", RELIABLE)
        for i, camera in enumerate(cfg.cameras):
            self.create_subscription(
                SkeletonArray,
                f"{camera}/skeletons",
                lambda msg, c=camera, i=i: self._on_skeletons(c, i, msg),
                RELIABLE,
            )
        self.diag_pub = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.create_timer(1.0 / cfg.heartbeat_hz, self._heartbeat)
        self.create_timer(cfg.diagnostics_period_s, self._publish_diagnostics)
        self.get_logger().info(
            f"model {len(self.classes)} classes, window {self.classifier.window_frames} frames at "
            f"{self.classifier.rate_hz} Hz, cameras {cfg.cameras}"
        )

    def _now_s(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    # ------------------------------------------------------------------ input
    def _on_skeletons(self, camera: str, index: int, msg: SkeletonArray) -> None:
        self.counters.inc("frames_in")
        try:
            frame = conv.msg_to_skeletons(msg)
        except InputError as exc:
            self.counters.inc("bad_messages")
            self.get_logger().warning(f"'{camera}': bad SkeletonArray: {exc}",
                                      throttle_duration_sec=2.0)
            return
        self.handle_frame(camera, index, frame, self._now_s())

    def handle_frame(self, camera: str, index: int, frame: conv.SkeletonFrame, now_s: float
                     ) -> None:
        """Window, classify (batched over the frame's tracks) and publish one camera frame."""
        operator = dec.select_operator(
            frame.skeletons, frame.track_ids, self.config.region_for(index)
        )
        self.fusion.note_frame(camera, frame.stamp_ns, now_s, operator)
        stamp_s = frame.stamp_ns * 1e-9
        ready = []
        for skel, tid in zip(frame.skeletons, frame.track_ids, strict=True):
            w = self.windows.observe((camera, tid), stamp_s, skel)
            if w is not None:
                ready.append(w)
        self.windows.forget_stale(stamp_s)
        if not ready:
            return
        t0 = time.perf_counter()
        probs = self.classifier.predict_proba(np.stack([w.window for w in ready]))
        self.infer_ms.add((time.perf_counter() - t0) * 1e3)
        self.counters.inc("windows_classified", len(ready))
        start_ns = frame.stamp_ns - int(round(self.windows.spec.window_s * 1e9))
        for w, p in zip(ready, probs, strict=True):
            _, tid = w.key
            self.fusion.note_window(camera, tid, p, start_ns, frame.stamp_ns)
            smoother = self.smoothers.setdefault(w.key, dec.Smoother(self.fusion.config))
            status, idx, conf, smoothed = smoother.update(p)
            if self.config.publish_per_track:
                decision = dec.Decision(status, idx, conf, smoothed, frame.stamp_ns, start_ns,
                                        [camera])
                self.actions_pub.publish(self._to_msg(decision, frame.frame_id, tid))
        self.latency_ms.add((self._now_s() - stamp_s) * 1e3)
        live = self.windows.keys()
        for key in [k for k in self.smoothers if k not in live]:
            del self.smoothers[key]

    # ------------------------------------------------------------------ output
    def _to_msg(self, d: dec.Decision, frame_id: str, track_id: str) -> ActionStamped:
        has_probs = d.probabilities is not None and d.status in (dec.OK, dec.LOW_CONFIDENCE)
        return conv.action_to_msg(conv.ActionDecision(
            stamp_ns=d.stamp_ns,
            window_start_ns=d.window_start_ns if has_probs else 0,
            frame_id=frame_id,
            track_id=track_id,
            cameras=list(d.cameras),
            action=d.action(self.classes),
            class_index=d.class_index if d.status == dec.OK else -1,
            confidence=d.confidence if has_probs else 0.0,
            class_names=list(self.classes) if has_probs else [],
            probabilities=d.probabilities if has_probs else [],
            status=d.status,
        ))

    def _heartbeat(self) -> None:
        decision = self.fusion.heartbeat(self._now_s())
        self.action_pub.publish(self._to_msg(decision, "", ""))

    def diagnostics_values(self) -> dict[str, object]:
        values: dict[str, object] = dict(self.counters.snapshot())
        values["dropped_out_of_order"] = self.windows.dropped_out_of_order
        values["window_resets"] = self.windows.resets
        values["tracks"] = len(self.windows)
        values["inference_ms_p50"] = self.infer_ms.percentile(50)
        values["inference_ms_p95"] = self.infer_ms.percentile(95)
        values["latency_ms_p50"] = self.latency_ms.percentile(50)
        values["latency_ms_p95"] = self.latency_ms.percentile(95)
        return values

    def _publish_diagnostics(self) -> None:
        values = self.diagnostics_values()
        level = diag.WARN if values["bad_messages"] or values["dropped_out_of_order"] else diag.OK
        status = diag.status_msg(f"{self.get_name()}: action", "lstm", level,
                                 "ok" if level == diag.OK else "bad or out-of-order input", values)
        header = Header(stamp=self.get_clock().now().to_msg())
        self.diag_pub.publish(diag.array_msg(header, [status]))
