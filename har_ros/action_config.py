"""Configuration of the action node: every field is a declared ROS parameter (same name).

Window geometry comes from the model checkpoint; the window_* parameters exist only to assert
what a deployment expects (0 = take the checkpoint's), and a conflict fails at startup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from har_ros.config_help import check_number, check_number_list, default_of, described
from har_ros.decisions import DecisionConfig
from har_ros.errors import ConfigError
from har_ros.track_windows import WindowSpec


def shipped_model_path(name: str = "default") -> str:
    """A model shipped inside the package: har_ros/models/<name> ('default' or 'penn')."""
    import har_ros

    for root in har_ros.__path__:
        candidate = Path(root) / "models" / name
        if (candidate / "model.json").is_file():
            return str(candidate)
    return str(Path(har_ros.__path__[0]) / "models" / name)


def default_model_path() -> str:
    """The node's default model (har_ros/models/default, trained on UTD-MHAD)."""
    return shipped_model_path("default")


def resolve_model_path(value: str) -> str:
    """'' -> the default model; a bare name of a shipped model ('penn') -> its folder; else
    ``value`` itself (a model folder)."""
    if not value:
        return default_model_path()
    if "/" not in value and (Path(shipped_model_path(value)) / "model.json").is_file():
        return shipped_model_path(value)
    return value


@dataclass
class ActionNodeConfig:
    """Parameters of the action node (seconds, pixels)."""

    cameras: list[str] = field(
        default_factory=lambda: ["camera"],
        metadata=described(
            "Camera names: subscribes to '<name>/skeletons' (SkeletonArray) for each."
        ),
    )
    model_path: str = field(
        default="",
        metadata=described("Model folder (model.safetensors + model.json), or the name of a "
                           "shipped model ('default': UTD-MHAD, 'penn': Penn Action); empty = "
                           "default."),
    )
    expected_window_frames: int = field(
        default=0, metadata=described("Fail at startup unless the model's window has this many "
                                  "frames (0 = accept the checkpoint's).")
    )
    expected_rate_hz: float = field(
        default=0.0, metadata=described("Fail at startup unless the model's sampling rate is this "
                                    "(Hz; 0 = accept the checkpoint's).")
    )
    max_gap_s: float = field(
        default=default_of(WindowSpec, "max_gap_s"),
        metadata=described("Interpolate a joint across gaps up to this long (s); the default "
                           "bridges a pose node running at 2 fps or more."),
    )
    gap_reset_s: float = field(
        default=default_of(DecisionConfig, "gap_reset_s"),
        metadata=described("A track silent for longer than this, or whose stamps jump back by "
                           "more than this (bag loop, clock reset), restarts its window (s)."),
    )
    forget_after_s: float = field(
        default=default_of(WindowSpec, "forget_after_s"),
        metadata=described("Forget a track not seen for this long, by stamp or by arrival on the "
                           "node clock (s)."),
    )
    max_future_s: float = field(
        default=1.0,
        metadata=described("Refuse (and count) a SkeletonArray stamped more than this ahead of "
                           "the node clock (s): a source clock that runs ahead must not hold a "
                           "decision or block a track."),
    )
    min_window_fill: float = field(
        default=default_of(WindowSpec, "min_fill"),
        metadata=described("Classify a new track once this fraction of a window is buffered "
                           "(the start is padded with its first frame, as in training); 1 = "
                           "wait for a whole window."),
    )
    confidence_threshold: float = field(
        default=default_of(DecisionConfig, "confidence_threshold"),
        metadata=described("Below this smoothed probability the action is 'unknown' with status "
                           "LOW_CONFIDENCE."),
    )
    smoothing: float = field(
        default=default_of(DecisionConfig, "smoothing"),
        metadata=described("Weight of the newest window in the exponential smoothing of "
                           "probabilities (1 = no smoothing)."),
    )
    hysteresis: float = field(
        default=default_of(DecisionConfig, "hysteresis"),
        metadata=described("A new label must beat the current one by this probability margin "
                           "(stops flicker)."),
    )
    stale_after_s: float = field(
        default=default_of(DecisionConfig, "stale_after_s"),
        metadata=described("Input older than this (by arrival) makes the operator decision STALE "
                           "(s)."),
    )
    stale_after_frames: float = field(
        default=default_of(DecisionConfig, "stale_after_frames"),
        metadata=described("Also STALE when this many of a camera's frame intervals (the "
                           "longest of its recent ones, by arrival) pass without a frame, so a "
                           "fast camera's outage is seen sooner than stale_after_s; never "
                           "sooner than 0.25 s. 0 = stale_after_s only."),
    )
    fusion_tolerance_s: float = field(
        default=default_of(DecisionConfig, "fusion_tolerance_s"),
        metadata=described("Fuse camera views whose windows end within this of the newest (s)."),
    )
    heartbeat_hz: float = field(
        default=5.0, metadata=described("Rate of the operator-level 'action' topic, published even "
                                    "when nothing new arrives (Hz).")
    )
    deadline_periods: float = field(
        default=2.0,
        metadata=described("QoS deadline offered on 'action' and 'actions', in heartbeat periods "
                           "(deadline = deadline_periods / heartbeat_hz s): a subscriber "
                           "requesting it hears of a silent node after that long."),
    )
    liveliness_lease_s: float = field(
        default=1.0,
        metadata=described("QoS liveliness lease offered on 'action' and 'actions' (AUTOMATIC; s): "
                           "a subscriber requesting it hears of a killed or frozen node within "
                           "about this long."),
    )
    operator_regions: list[float] = field(
        default_factory=list,
        metadata=described("Workspace region per camera, flattened [x0, y0, x1, y1, ...] in pixels "
                       "(4 values per camera, same order as 'cameras'); empty = most prominent "
                       "person."),
    )
    publish_per_track: bool = field(
        default=True, metadata=described("Publish every track's decision on 'actions'.")
    )
    torch_threads: int = field(
        default=1, metadata=described("CPU threads for PyTorch inference.")
    )
    inference_engine: str = field(
        default="auto",
        metadata=described("'auto': the compiled kernel for up to 16 windows at once (faster "
                           "for small batches), PyTorch for more; 'kernel' or 'torch' for all "
                           "(same network, logits equal to 1e-5)."),
    )
    mirror_average: str = field(
        default="auto",
        metadata=described("Classify each window together with its mirror image (left and "
                           "right swapped) and average the two: 'auto' when the model was "
                           "trained with mirroring, 'on' (fail at startup if it was not), "
                           "'off'. Costs a second window through the network."),
    )
    diagnostics_period_s: float = field(
        default=1.0, metadata=described("Period of the /diagnostics status (s).")
    )

    def decision_config(self) -> DecisionConfig:
        return DecisionConfig(
            confidence_threshold=self.confidence_threshold,
            smoothing=self.smoothing,
            hysteresis=self.hysteresis,
            stale_after_s=self.stale_after_s,
            stale_after_frames=self.stale_after_frames,
            fusion_tolerance_s=self.fusion_tolerance_s,
            gap_reset_s=self.gap_reset_s,
        )

    def deadline_s(self) -> float:
        """The QoS deadline offered on 'action' and 'actions' (s)."""
        return self.deadline_periods / self.heartbeat_hz

    def region_for(self, index: int) -> tuple[float, float, float, float] | None:
        if not self.operator_regions:
            return None
        r = self.operator_regions[4 * index: 4 * index + 4]
        return (r[0], r[1], r[2], r[3])

    def validate(self) -> ActionNodeConfig:
        """Raise ConfigError naming the parameter and its allowed range; return self if valid.

        Ranges (s = seconds): expected_window_frames 0..10000 (the checkpoint bound),
        expected_rate_hz [0, 1000], max_gap_s [0, 60], gap_reset_s (0, 3600] and above
        max_gap_s, forget_after_s (0, 86400], min_window_fill (0, 1], stale_after_s (0, 3600],
        fusion_tolerance_s [0, 60], heartbeat_hz (0, 100], deadline_periods (1, 100],
        liveliness_lease_s [0.05, 3600], torch_threads 1..256, mirror_average auto/on/off,
        diagnostics_period_s [0.05, 3600]; confidence_threshold, smoothing, hysteresis and
        stale_after_frames as in :class:`har_ros.decisions.DecisionConfig`.
        """
        if not self.cameras or len(set(self.cameras)) != len(self.cameras):
            raise ConfigError(f"parameter 'cameras' = {self.cameras}: give distinct names")
        if self.operator_regions and len(self.operator_regions) != 4 * len(self.cameras):
            raise ConfigError(
                f"parameter 'operator_regions' has {len(self.operator_regions)} values: give 4 "
                f"per camera ({4 * len(self.cameras)}) or none"
            )
        # name: (low, high, low excluded, integer, what it means)
        ranges = {
            "expected_window_frames": (0, 10000, False, True, "0 = the checkpoint's window"),
            "expected_rate_hz": (0, 1000, False, False, "0 = the checkpoint's rate"),
            "max_gap_s": (0, 60, False, False, "0 = never interpolate across a gap"),
            "gap_reset_s": (0, 3600, True, False, "must also exceed max_gap_s"),
            "forget_after_s": (0, 86400, True, False, "a track unseen this long is forgotten"),
            "min_window_fill": (0, 1, True, False, "1 = wait for a whole window"),
            "stale_after_s": (0, 3600, True, False, "older input makes the decision STALE"),
            "fusion_tolerance_s": (0, 60, False, False, "0 = fuse only equal window ends"),
            "heartbeat_hz": (0, 100, True, False, "rate of the 'action' topic"),
            "deadline_periods": (1, 100, True, False,
                                 "QoS deadline in heartbeat periods; 2 leaves room for jitter"),
            "liveliness_lease_s": (0.05, 3600, False, False, "QoS liveliness lease"),
            "torch_threads": (1, 256, False, True, "CPU threads for inference"),
            "diagnostics_period_s": (0.05, 3600, False, False, "period of /diagnostics"),
        }
        for name, (low, high, low_open, integer, hint) in ranges.items():
            check_number(name, getattr(self, name), low, high, low_open=low_open,
                         integer=integer, hint=hint)
        if self.gap_reset_s <= self.max_gap_s:
            raise ConfigError(f"parameter 'gap_reset_s' = {self.gap_reset_s} must exceed "
                              f"'max_gap_s' = {self.max_gap_s}: a gap that is bridged cannot "
                              "also restart the window")
        check_number_list("operator_regions", self.operator_regions, 0, 100000)
        for i in range(0, len(self.operator_regions), 4):
            x0, y0, x1, y1 = self.operator_regions[i: i + 4]
            if not (x0 < x1 and y0 < y1):
                raise ConfigError(f"parameter 'operator_regions' camera {i // 4}: "
                                  f"[{x0}, {y0}, {x1}, {y1}] needs x0 < x1 and y0 < y1 (pixels)")
        from har_ros.classifier import ENGINES  # imports torch
        from har_ros.mirroring import MIRROR_MODES

        if self.inference_engine not in ENGINES:
            raise ConfigError(f"parameter 'inference_engine' = {self.inference_engine!r}: use "
                              f"one of {', '.join(repr(e) for e in ENGINES)}")
        if self.mirror_average not in MIRROR_MODES:
            raise ConfigError(f"parameter 'mirror_average' = {self.mirror_average!r}: use "
                              f"one of {', '.join(repr(m) for m in MIRROR_MODES)}")
        try:
            self.decision_config().validate()
        except ConfigError as exc:
            raise ConfigError(f"action node parameters: {exc}") from exc
        if not (math.isfinite(self.max_future_s) and self.max_future_s > 0):
            raise ConfigError(f"parameter 'max_future_s' = {self.max_future_s}: give a finite "
                              "number of seconds > 0 (default 1.0)")
        return self
