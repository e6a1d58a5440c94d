"""From window probabilities to safe decisions: smoothing, hysteresis, abstention, operator
selection, multi-camera fusion and the heartbeat status. No ROS imports.

Decisions are :class:`har_ros.frames.ActionDecision` with a :class:`har_ros.status.Status`
(OK, LOW_CONFIDENCE ("unknown"), STALE, NO_PERSON, WARMING_UP: ActionStamped's values).
``*_ns`` values are source-image acquisition stamps in integer nanoseconds (kept exact, so
published stamps equal the images'); ``now_s`` and ``received_s`` are the node's clock in
seconds (input freshness is judged by arrival, so a replayed bag with use_sim_time behaves
like live input). Configured durations are seconds. The time policy (what a stamp
out of order, jumping back, or a node clock going back does) is in docs/time_policy.md.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from har_ros.config_help import check_number
from har_ros.errors import InputError
from har_ros.frames import ActionDecision
from har_ros.skeleton import NECK, NUM_JOINTS
from har_ros.status import UNKNOWN, Status


@dataclass(frozen=True)
class DecisionConfig:
    """Tunables of the decision layer (all validated)."""

    confidence_threshold: float = 0.5
    smoothing: float = 0.6
    hysteresis: float = 0.1
    stale_after_s: float = 1.0
    stale_after_frames: float = 3.0
    fusion_tolerance_s: float = 0.2
    gap_reset_s: float = 1.0

    def validate(self) -> DecisionConfig:
        """Raise ConfigError naming the field and its allowed range; return self if valid."""
        check_number("confidence_threshold", self.confidence_threshold, 0, 1, high_open=True,
                     hint="0 = never abstain")
        check_number("smoothing", self.smoothing, 0, 1, low_open=True,
                     hint="weight of the newest window; 1 = no smoothing")
        check_number("hysteresis", self.hysteresis, 0, 1, high_open=True,
                     hint="probability margin a new label must win by")
        check_number("stale_after_s", self.stale_after_s, 0, 3600, low_open=True,
                     hint="seconds; older input makes the decision STALE")
        check_number("stale_after_frames", self.stale_after_frames, 0, 1000,
                     hint="frame intervals; 0 = judge by stale_after_s only")
        check_number("fusion_tolerance_s", self.fusion_tolerance_s, 0, 60,
                     hint="seconds; 0 = fuse only equal window ends")
        check_number("gap_reset_s", self.gap_reset_s, 0, 3600, low_open=True,
                     hint="seconds; a camera clock stepping back further restarts its view")
        return self


def classified(status: Status, class_index: int, confidence: float, probabilities: np.ndarray,
               classes: Sequence[str], stamp_ns: int, window_start_ns: int,
               cameras: Sequence[str], frame_id: str = "", track_id: str = "",
               window_probabilities: np.ndarray | None = None) -> ActionDecision:
    """The decision on a classified (and smoothed) window: OK or LOW_CONFIDENCE, with the
    probabilities of ``classes``; action "unknown" and class -1 unless OK."""
    ok = status == Status.OK and class_index >= 0
    return ActionDecision(
        stamp_ns=stamp_ns, window_start_ns=window_start_ns, frame_id=frame_id,
        track_id=track_id, cameras=list(cameras),
        action=classes[class_index] if ok else UNKNOWN, class_index=class_index if ok else -1,
        confidence=confidence, class_names=list(classes), probabilities=probabilities,
        status=Status(status), window_probabilities=window_probabilities)


class Smoother:
    """Exponential smoothing of probabilities with hysteresis and abstention, for one stream."""

    def __init__(self, config: DecisionConfig) -> None:
        self.config = config
        self._probs: np.ndarray | None = None
        self._label = -1

    def update(self, probs: np.ndarray) -> tuple[Status, int, float, np.ndarray]:
        """Add one window's probabilities; return (status, class_index, confidence, smoothed):
        OK with the kept label, or LOW_CONFIDENCE with class_index -1."""
        p = np.asarray(probs, dtype=np.float64)
        a = self.config.smoothing
        self._probs = p if self._probs is None or self._probs.shape != p.shape else (
            a * p + (1 - a) * self._probs
        )
        s = self._probs
        top = int(s.argmax())
        margin = self.config.hysteresis
        if self._label < 0 or top == self._label or s[top] > s[self._label] + margin:
            self._label = top
        conf = float(s[self._label])
        if conf < self.config.confidence_threshold:
            return Status.LOW_CONFIDENCE, -1, conf, s.astype(np.float32)
        return Status.OK, self._label, conf, s.astype(np.float32)


def prominence(skeletons: np.ndarray) -> np.ndarray:
    """(P, 18, 3) -> (P,): bounding-box area (px^2) of each person's detected joints times
    their mean confidence; 0 with fewer than two joints."""
    present = skeletons[..., 2] > 0
    n = present.sum(axis=1)
    xy = skeletons[..., :2]
    hi = np.where(present[..., None], xy, -np.inf).max(axis=1)
    lo = np.where(present[..., None], xy, np.inf).min(axis=1)
    area = np.prod(np.maximum(hi - lo, 0.0), axis=1)  # 0 with one joint, -inf -> 0 with none
    conf = np.where(present, skeletons[..., 2], 0.0).sum(axis=1) / np.maximum(n, 1)
    return area * conf


def select_operator(
    skeletons: np.ndarray, track_ids: list[str], region: tuple[float, float, float, float] | None
) -> str | None:
    """The operator's track id: the most prominent person whose neck (or joint centroid) lies
    in ``region`` (x0, y0, x1, y1 pixels), or the most prominent overall without a region
    (the first of equals)."""
    s = np.asarray(skeletons, dtype=np.float32).reshape(-1, NUM_JOINTS, 3)
    if len(s) != len(track_ids):
        raise InputError(f"{len(s)} skeletons but {len(track_ids)} track ids")
    present = s[..., 2] > 0
    n = present.sum(axis=1)
    candidates = n > 0
    if region is not None:
        xy_sum = np.where(present[..., None], s[..., :2], 0.0).sum(axis=1)
        centroid = xy_sum / np.maximum(n, 1)[:, None]
        centre = np.where(present[:, NECK, None], s[:, NECK, :2], centroid)
        candidates &= ((region[0] <= centre[:, 0]) & (centre[:, 0] <= region[2])
                       & (region[1] <= centre[:, 1]) & (centre[:, 1] <= region[3]))
    idx = np.flatnonzero(candidates)
    if len(idx) == 0:
        return None
    return track_ids[int(idx[np.argmax(prominence(s[idx]))])]


def fuse(views: list[tuple[str, np.ndarray, int, int]], tolerance_s: float
         ) -> tuple[np.ndarray, list[str], int, int]:
    """Combine per-camera probabilities (camera, probs, window_start_ns, window_end_ns).

    Views whose window ends within ``tolerance_s`` of the newest are combined as a normalised
    product (mean of log-probabilities); returns (probs, cameras, start_s, end_s).
    """
    newest = max(v[3] for v in views)
    used = [v for v in views if (newest - v[3]) * 1e-9 <= tolerance_s]
    logp = np.mean([np.log(np.clip(v[1], 1e-6, 1.0)) for v in used], axis=0)
    p = np.exp(logp - logp.max())
    return (p / p.sum()).astype(np.float32), [v[0] for v in used], min(v[2] for v in used), newest


#: Arrival intervals kept per camera to judge how late its next frame is.
INTERVALS_KEPT = 16
#: Fewest intervals seen before a camera is judged by its own frame rate.
MIN_INTERVALS = 4
#: A camera is never judged stale sooner than this after its last frame (s): one heartbeat
#: period at the default rate, so ordinary jitter of a fast camera is not an outage.
MIN_STALE_S = 0.25


@dataclass
class _CameraState:
    received: float = float("-inf")
    intervals: deque = field(default_factory=lambda: deque(maxlen=INTERVALS_KEPT))
    stamp_ns: int = 0
    operator: str | None = None
    view: tuple[np.ndarray, int, int] | None = None  # probs, start_ns, end_ns of the operator
    version: int = 0  # bumped whenever ``view`` changes


#: What :meth:`OperatorFusion.note_frame` did with a frame.
ACCEPTED, OUT_OF_ORDER, JUMPED_BACK = "accepted", "out_of_order", "jumped_back"


class OperatorFusion:
    """The operator-level decision across cameras, with an explicit status at every heartbeat.

    Per camera, only frames with a stamp newer than the camera's newest refresh it: a
    duplicate or a frame older by up to ``gap_reset_s`` is ignored (a camera whose clock
    froze goes STALE), a frame older by more is a backwards jump of the camera clock (bag
    loop, clock reset) that drops the camera's view and starts it again from this frame.
    """

    def __init__(self, config: DecisionConfig, classes: Sequence[str]) -> None:
        self.config = config.validate()
        self.classes = list(classes)
        self._cams: dict[str, _CameraState] = {}
        self._smoother = Smoother(config)
        self._fused_key: tuple | None = None
        self._last: ActionDecision | None = None
        self.clock_jumps = 0

    def note_frame(
        self, camera: str, stamp_ns: int, received_s: float, operator: str | None
    ) -> str:
        """A SkeletonArray stamped ``stamp_ns`` arrived from ``camera`` at node time
        ``received_s``; ``operator`` is its selected track or None. Returns ACCEPTED,
        OUT_OF_ORDER (ignored) or JUMPED_BACK (accepted after dropping the camera's view)."""
        cam = self._cams.setdefault(camera, _CameraState())
        result = ACCEPTED
        if cam.stamp_ns and stamp_ns <= cam.stamp_ns:
            if (cam.stamp_ns - stamp_ns) * 1e-9 <= self.config.gap_reset_s:
                return OUT_OF_ORDER
            self.clock_jumps += 1
            cam.view = None
            cam.version += 1
            result = JUMPED_BACK
        if operator != cam.operator and cam.view is not None:
            cam.view = None
            cam.version += 1
        gap = received_s - cam.received
        if 0 < gap <= self.config.stale_after_s:  # longer gaps were outages, not the rate
            cam.intervals.append(gap)
        cam.received, cam.stamp_ns, cam.operator = received_s, stamp_ns, operator
        return result

    def stale_limit(self, camera: str) -> float:
        """How long (s) after its last accepted frame ``camera``'s input goes stale:
        ``stale_after_s``, or sooner, ``stale_after_frames`` times the longest of its recent
        arrival intervals (a camera is late when several of its frames are missing), but never
        under :data:`MIN_STALE_S`."""
        cfg, cam = self.config, self._cams.get(camera)
        if cam is None or not cfg.stale_after_frames or len(cam.intervals) < MIN_INTERVALS:
            return cfg.stale_after_s
        by_rate = cfg.stale_after_frames * max(cam.intervals)
        return min(cfg.stale_after_s, max(MIN_STALE_S, by_rate))

    def note_window(
        self, camera: str, track: str, probs: np.ndarray, start_ns: int, end_ns: int
    ) -> None:
        """A window of ``track`` on ``camera`` ending at source stamp ``end_ns`` was classified."""
        cam = self._cams.setdefault(camera, _CameraState())
        if track == cam.operator and end_ns <= cam.stamp_ns:
            cam.view = (probs, start_ns, end_ns)
            cam.version += 1

    def heartbeat(self, now_s: float) -> ActionDecision:
        """The operator-level decision (track_id "") to publish at node time ``now_s`` (never
        a stale label presented as OK). A node clock that went back (a replay restarted with
        /clock) counts the cameras' arrivals from the new now, so they go stale on the new time
        line, never freeze."""
        cfg = self.config
        for s in self._cams.values():
            s.received = min(s.received, now_s)
        fresh = {c: s for c, s in self._cams.items()
                 if now_s - s.received <= self.stale_limit(c)}
        newest_stamp = max((s.stamp_ns for s in self._cams.values()), default=0)
        if not fresh:
            return ActionDecision.without_window(Status.STALE, newest_stamp)
        with_person = {c: s for c, s in fresh.items() if s.operator is not None}
        stamp = max(s.stamp_ns for s in fresh.values())
        if not with_person:
            return ActionDecision.without_window(Status.NO_PERSON, stamp, sorted(fresh))
        # a view is current when its window ends at or before the camera's newest stamp and
        # no more than stale_after_s before it
        views = [
            (c, s.view[0], s.view[1], s.view[2]) for c, s in with_person.items()
            if s.view is not None and 0 <= (s.stamp_ns - s.view[2]) * 1e-9 <= cfg.stale_after_s
        ]
        if not views:
            return ActionDecision.without_window(Status.WARMING_UP, stamp, sorted(with_person))
        probs, cams, start, end = fuse(views, cfg.fusion_tolerance_s)
        # smooth once per new set of fused views (not by comparing stamps, which jump back)
        key = tuple((c, self._cams[c].version) for c in cams)
        if key != self._fused_key or self._last is None:
            status, idx, conf, smoothed = self._smoother.update(probs)
            self._last = classified(status, idx, conf, smoothed, self.classes, end, start, cams)
            self._fused_key = key
        return self._last
