"""The action side of the pipeline without ROS: skeleton frames in, decisions out.

Used by the action node (live), by offline bag evaluation and by benchmarks, so all of them
run exactly the same windowing, features, model and decision code. Time policy (which clock
judges what, and what an implausible stamp does): docs/time_policy.md.
"""

from __future__ import annotations

import time

import numpy as np

from har_ros import decisions as dec
from har_ros.action_config import ActionNodeConfig, resolve_model_path
from har_ros.classifier import ActionClassifier
from har_ros.conversions import MAX_STAMP_NS, msg_to_skeletons, stamp_to_ns
from har_ros.errors import ConfigError, InputError
from har_ros.frames import ActionDecision, SkeletonFrame, is_valid_track_id, sanitize_skeletons
from har_ros.stats import Counters, RollingPercentiles
from har_ros.track_windows import TrackWindows, WindowSpec


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
        min_fill=config.min_window_fill,
    ).validate()


#: Causes a whole SkeletonArray is refused for (diagnostics keys; rates decide WARN).
REFUSAL_CAUSES = ("bad_stamp", "future_stamp", "bad_messages")


def load_classifier(config: ActionNodeConfig) -> ActionClassifier:
    """The classifier ``config`` names (model, threads, engine, mirror averaging)."""
    return ActionClassifier.load(resolve_model_path(config.model_path),
                                 num_threads=config.torch_threads,
                                 engine=config.inference_engine,
                                 mirror_average=config.mirror_average)


class ActionPipeline:
    """Windows per (camera, track) -> batched LSTM -> smoothed per-track decisions, plus the
    fused operator-level decision on demand (:meth:`heartbeat`); both are
    :class:`har_ros.frames.ActionDecision`, ready to publish."""

    def __init__(self, config: ActionNodeConfig, classifier: ActionClassifier | None = None
                 ) -> None:
        self.config = config.validate()
        self.classifier = classifier or load_classifier(config)
        self.classes = list(self.classifier.classes)
        self.windows = TrackWindows(window_spec(config, self.classifier))
        self.fusion = dec.OperatorFusion(config.decision_config(), self.classes)
        self.smoothers: dict[tuple[str, str], dec.Smoother] = {}
        self.counters = Counters(*REFUSAL_CAUSES, "frames_in", "windows_classified",
                                 "joints_rejected", "bad_skeletons")
        self.infer_ms = RollingPercentiles()

    def process_message(self, msg: object, camera: str, now_s: float) -> list[ActionDecision]:
        """One ``SkeletonArray`` (the message object, any ROS binding) received from ``camera``
        at node time ``now_s`` (s): converted, checked and processed like :meth:`process`.

        A refused message is counted by cause (``bad_stamp``: negative, zero or malformed
        stamp; ``bad_messages``: other malformed content; ``future_stamp``) and raises
        InputError saying why; the caller logs it and goes on.
        """
        try:
            stamp_to_ns(msg.header.stamp, allow_zero=False)
        except InputError:
            self.counters.inc("bad_stamp")
            raise
        try:
            frame = msg_to_skeletons(msg)
        except InputError:
            self.counters.inc("bad_messages")
            raise
        frame.camera_name = camera  # the subscription names the camera, whatever the sender says
        return self.process(frame, now_s)

    def process(self, frame: SkeletonFrame, now_s: float) -> list[ActionDecision]:
        """Add one camera frame (received at node time ``now_s``, s); return the per-track
        decisions of the windows it completed (OK or LOW_CONFIDENCE, stamped with the frame's
        stamp, ``frame_id`` the frame's, ``window_probabilities`` the window's own).

        A frame whose stamp is not a plausible source stamp (not after 1970, beyond int32
        seconds) is counted as ``bad_stamp``, one stamped more than ``max_future_s`` ahead of
        ``now_s`` as ``future_stamp``; both raise InputError and touch no window or fusion
        state. Skeletons with an empty track id are skipped and counted (``bad_skeletons``).
        """
        if not 0 < frame.stamp_ns < MAX_STAMP_NS:
            self.counters.inc("bad_stamp")
            raise InputError(f"stamp {frame.stamp_ns} ns is not a source acquisition stamp")
        ahead_s = frame.stamp_ns * 1e-9 - now_s
        if ahead_s > self.config.max_future_s:
            self.counters.inc("future_stamp")
            raise InputError(
                f"stamp is {ahead_s:.3f} s ahead of the node clock (max_future_s = "
                f"{self.config.max_future_s}): source clock ahead of this node's?")
        self.counters.inc("frames_in")
        camera = frame.camera_name
        index = self.config.cameras.index(camera) if camera in self.config.cameras else -1
        region = self.config.region_for(index) if index >= 0 else None
        skeletons, rejected = sanitize_skeletons(frame.skeletons, frame.image_width,
                                                 frame.image_height)
        if rejected:
            self.counters.inc("joints_rejected", rejected)
        track_ids = list(frame.track_ids)
        if len(skeletons) != len(track_ids):
            self.counters.inc("bad_messages")
            raise InputError(f"{len(skeletons)} skeletons but {len(track_ids)} track ids")
        valid = [i for i, tid in enumerate(track_ids) if is_valid_track_id(tid)]
        if len(valid) != len(track_ids):
            self.counters.inc("bad_skeletons", len(track_ids) - len(valid))
            skeletons = skeletons[valid]
            track_ids = [track_ids[i] for i in valid]
        operator = dec.select_operator(skeletons, track_ids, region)
        self.fusion.note_frame(camera, frame.stamp_ns, now_s, operator)
        stamp_s = frame.stamp_ns * 1e-9
        ready = []
        for skel, tid in zip(skeletons, track_ids, strict=True):
            w = self.windows.observe((camera, tid), stamp_s, skel, frame.stamp_ns, now_s)
            if w is not None:
                ready.append(w)
        # by stamp only against tracks of this camera (cameras' clocks may differ), by
        # arrival for all
        self.windows.forget_stale(stamp_s, now_s, same_clock=lambda key: key[0] == camera)
        live = self.windows.keys()
        for key in [k for k in self.smoothers if k not in live]:
            del self.smoothers[key]
        if not ready:
            return []
        t0 = time.perf_counter()
        probs = self.classifier.predict_proba(np.stack([w.window for w in ready]))
        self.infer_ms.add((time.perf_counter() - t0) * 1e3)
        self.counters.inc("windows_classified", len(ready))
        out = []
        for w, p in zip(ready, probs, strict=True):
            _, tid = w.key
            start_ns = w.start_ns
            self.fusion.note_window(camera, tid, p, start_ns, frame.stamp_ns)
            smoother = self.smoothers.setdefault(w.key, dec.Smoother(self.fusion.config))
            status, idx, conf, smoothed = smoother.update(p)
            out.append(dec.classified(
                status, idx, conf, smoothed, self.classes, frame.stamp_ns, start_ns, [camera],
                frame_id=frame.frame_id, track_id=tid, window_probabilities=p))
        return out

    def heartbeat(self, now_s: float) -> ActionDecision:
        """The operator-level decision (track_id "") at node time ``now_s`` (s)."""
        return self.fusion.heartbeat(now_s)

    def diagnostics_values(self) -> dict[str, object]:
        values: dict[str, object] = dict(self.counters.snapshot())
        values["dropped_out_of_order"] = self.windows.dropped_out_of_order
        values["window_resets"] = self.windows.resets
        values["track_clock_jumps"] = self.windows.jumps_back
        values["clock_jumps"] = self.fusion.clock_jumps
        values["tracks"] = len(self.windows)
        values["inference_ms_p50"] = self.infer_ms.percentile(50)
        values["inference_ms_p95"] = self.infer_ms.percentile(95)
        values["inference_engine"] = self.classifier.engine
        values["mirror_average"] = self.classifier.mirror_averaging
        return values
