"""Configuration of the pose node: every field is a declared ROS parameter (same name).

Defaults here equal config/pose_node.yaml. ``validate()`` raises ConfigError naming the
parameter and what to change; the node calls it once at startup and refuses to start on error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from har_ros.config_help import check_number, check_number_list, default_of, described
from har_ros.errors import ConfigError
from har_ros.pose.base import DEFAULT_NET_HEIGHT
from har_ros.tracking import TrackerConfig

if TYPE_CHECKING:
    from har_ros.conversions import ImageLimits


@dataclass
class PoseNodeConfig:
    """Parameters of the pose node (units: pixels of the source image, seconds)."""

    cameras: list[str] = field(
        default_factory=lambda: ["camera"],
        metadata=described(
            "Logical camera names. Camera i subscribes to image_topics[i] (default "
            "'<name>/image_raw') and publishes '<name>/skeletons' (SkeletonArray) and, if "
            "enabled, '<name>/annotated' (Image). Topic names are relative: remap them."
        ),
    )
    image_topics: list[str] = field(
        default_factory=list,
        metadata=described(
            "Image topic per camera (same order as 'cameras'); empty = '<name>/image_raw'. "
            "A topic ending in '/compressed' is subscribed as sensor_msgs/CompressedImage "
            "(jpeg/png), any other as sensor_msgs/Image (rgb8, bgr8, mono8, rgba8, bgra8)."
        ),
    )
    backend: str = field(
        default="openpose_mobilenet",
        metadata=described("Pose estimator: openpose_mobilenet, mediapipe or pyopenpose."),
    )
    weights_path: str = field(
        default="",
        metadata=described(
            "openpose_mobilenet weights file (graph_opt.pb); empty = HAR_ROS_WEIGHTS_DIR or "
            "<prefix>/share/har_ros/weights (see 'har-ros fetch-weights')."
        ),
    )
    net_height: int = field(
        default=DEFAULT_NET_HEIGHT,
        metadata=described("openpose_mobilenet network input height in pixels (multiple of 16)."),
    )
    runtime: str = field(
        default="auto",
        metadata=described(
            "openpose_mobilenet inference runtime: 'auto' (OpenVINO when the openvino package "
            "is installed, else OpenCV's cv2.dnn), 'openvino' (fails at start without it) or "
            "'opencv'. Both give the same skeletons; OpenVINO is faster. Reported in "
            "/diagnostics and 'har-ros info'."
        ),
    )
    device: str = field(
        default="auto",
        metadata=described(
            "Where openpose_mobilenet runs: 'auto' (a GPU when OpenVINO reports one, else the "
            "CPU), 'cpu' or 'gpu' (OpenVINO's GPU plugin, i.e. an Intel GPU; fails at start "
            "when there is none)."
        ),
    )
    precision: str = field(
        default="f32",
        metadata=described(
            "openpose_mobilenet inference precision: 'f32', or 'bf16' / 'f16' (OpenVINO only, "
            "and only where the device reports the capability, else the node refuses to "
            "start). Always set explicitly: OpenVINO would pick bf16 by itself on AMX CPUs, "
            "which changes the heat maps and loses people. 'int8' (OpenVINO, devices with "
            "INT8 support) runs the network quantised by 'har-ros quantize-pose', one model "
            "per network input size, kept next to the weights: cheaper on CPUs with INT8 "
            "instructions, at a measured cost in skeletons (docs/benchmarks.md). The node "
            "refuses to start when the model for 640x480 images at net_height is missing or "
            "was made from other weights; never falls back to f32."
        ),
    )
    max_batch: int = field(
        default=4,
        metadata=described("Run up to this many same-sized camera frames through the backend in "
                           "one call (cheaper per frame than one call each); 1 = one frame per "
                           "call."),
    )
    max_people: int = field(
        default=default_of(TrackerConfig, "max_people"),
        metadata=described("Keep at most this many people per image (0 = no limit)."),
    )
    roi: list[float] = field(
        default_factory=list,
        metadata=described(
            "Region of interest [x0, y0, x1, y1] in pixels; people centred outside it are "
            "dropped (empty = whole image)."
        ),
    )
    track_max_age_s: float = field(
        default=default_of(TrackerConfig, "max_age_s"),
        metadata=described("Keep a track this long without detections before forgetting it (s)."),
    )
    track_max_cost: float = field(
        default=default_of(TrackerConfig, "max_cost"),
        metadata=described(
            "Largest matching cost (joint distance / person size) to continue a track."
        ),
    )
    publish_annotated: bool = field(
        default=False,
        metadata=described("Also publish '<name>/annotated' images with skeletons and track ids."),
    )
    image_reliability: str = field(
        default="reliable",
        metadata=described(
            "QoS reliability of the image subscriptions: 'reliable' or 'best_effort' (depth 1)."
        ),
    )
    diagnostics_period_s: float = field(
        default=1.0, metadata=described("Period of the /diagnostics status (s).")
    )
    max_image_pixels: int = field(
        default=4096 * 3072,
        metadata=described(
            "Refuse an image with more pixels (width * height) than this, read from the "
            "message's fields or the png/jpeg header before anything is decoded, so one message "
            "cannot exhaust memory or block the other cameras. The default admits 4K frames."
        ),
    )
    max_aspect_ratio: float = field(
        default=8.0,
        metadata=described(
            "Refuse an image whose longer side is more than this many times its shorter side "
            "(the network input is sized by the aspect ratio; no camera delivers such strips)."
        ),
    )
    max_future_s: float = field(
        default=1.0,
        metadata=described(
            "Reject an image stamped more than this far ahead of the node's clock (s): a wrong "
            "source clock would otherwise make every later frame look out of order. "
            "0 = no check."
        ),
    )
    clock_jump_s: float = field(
        default=1.0,
        metadata=described(
            "A camera's stamp stepping back by more than this (s) is a clock jump (bag loop, "
            "clock reset): that camera's tracks restart. A smaller step back or a repeated "
            "stamp is dropped as out of order, so it cannot reset the tracker."
        ),
    )
    max_processing_s: float = field(
        default=5.0,
        metadata=described(
            "Diagnostics report ERROR 'blocked' while one batch has been in processing for "
            "longer than this (s): no camera gets skeletons meanwhile."
        ),
    )

    def topic_for(self, index: int) -> str:
        """Image topic of camera ``index``."""
        if self.image_topics:
            return self.image_topics[index]
        return f"{self.cameras[index]}/image_raw"

    def validate(self) -> PoseNodeConfig:
        """Raise ConfigError with the parameter to change; return self when valid.

        Ranges: net_height a multiple of 16 in [64, 1024] pixels, max_batch 1..64, max_people
        0..1000, roi finite pixels, track_max_age_s (0, 3600] s, track_max_cost (0, 100],
        diagnostics_period_s [0.05, 3600] s.
        """
        if not self.cameras or any(not c or "/" in c or " " in c for c in self.cameras):
            raise ConfigError(
                f"parameter 'cameras' = {self.cameras}: give one or more names without '/' "
                "or spaces, e.g. ['cam_ceiling', 'cam_side']"
            )
        if len(set(self.cameras)) != len(self.cameras):
            raise ConfigError(f"parameter 'cameras' = {self.cameras} has duplicate names")
        if self.image_topics and len(self.image_topics) != len(self.cameras):
            raise ConfigError(
                f"parameter 'image_topics' has {len(self.image_topics)} entries but 'cameras' "
                f"has {len(self.cameras)}: give one topic per camera, or none for the defaults"
            )
        check_number("net_height", self.net_height, 64, 1024, integer=True,
                     hint="a multiple of 16; 368 is OpenPose's default, 256 is faster and "
                     "less accurate")
        if self.net_height % 16:
            raise ConfigError(
                f"parameter 'net_height' = {self.net_height}: use a multiple of 16 in "
                "[64, 1024] (368 is OpenPose's default; 256 is faster and less accurate)"
            )
        self._validate_runtime()
        check_number("max_batch", self.max_batch, 1, 64, integer=True,
                     hint="frames per backend call; 1 = one at a time")
        check_number("max_people", self.max_people, 0, 1000, integer=True,
                     hint="0 = no limit")
        check_number_list("roi", self.roi, 0, 100000)
        if self.roi and (
            len(self.roi) != 4 or self.roi[0] >= self.roi[2] or self.roi[1] >= self.roi[3]
        ):
            raise ConfigError(
                f"parameter 'roi' = {self.roi}: give [x0, y0, x1, y1] pixels with x0 < x1 and "
                "y0 < y1, or [] for the whole image"
            )
        check_number("track_max_age_s", self.track_max_age_s, 0, 3600, low_open=True,
                     hint="seconds a track survives without detections")
        check_number("track_max_cost", self.track_max_cost, 0, 100, low_open=True,
                     hint="joint distance / person size")
        if self.image_reliability not in ("reliable", "best_effort"):
            raise ConfigError(
                f"parameter 'image_reliability' = {self.image_reliability!r}: "
                "use 'reliable' or 'best_effort'"
            )
        check_number("diagnostics_period_s", self.diagnostics_period_s, 0.05, 3600,
                     hint="seconds between /diagnostics messages")
        self._validate_input_limits()
        return self

    def image_limits(self) -> ImageLimits:
        """The image size limits of this configuration."""
        from har_ros.conversions import ImageLimits  # OpenCV only when images are handled

        return ImageLimits(self.max_image_pixels, self.max_aspect_ratio)

    def _validate_runtime(self) -> None:
        from har_ros.pose.runtimes import DEVICES, PRECISIONS, RUNTIMES, check_choice

        check_choice("runtime", self.runtime, RUNTIMES)
        check_choice("device", self.device, DEVICES)
        check_choice("precision", self.precision, PRECISIONS)
        if self.backend != "openpose_mobilenet":
            for name, value, default in (("runtime", self.runtime, "auto"),
                                         ("device", self.device, "auto"),
                                         ("precision", self.precision, "f32")):
                if value != default and not (name == "device" and value == "cpu"):
                    raise ConfigError(
                        f"parameter '{name}' = {value!r} applies to backend "
                        f"'openpose_mobilenet' only (backend is {self.backend!r}); leave it "
                        f"at {default!r}"
                    )

    def _validate_input_limits(self) -> None:
        check_number("max_image_pixels", self.max_image_pixels, 64, 2**31, integer=True,
                     hint="at least the largest camera's width * height; default 4096 * 3072")
        check_number("max_aspect_ratio", self.max_aspect_ratio, 1.0, 1000.0,
                     hint="longer side / shorter side; default 8")
        check_number("max_future_s", self.max_future_s, 0, 86400, hint="seconds; 0 = no check")
        check_number("clock_jump_s", self.clock_jump_s, 0, 3600, low_open=True, hint="seconds")
        check_number("max_processing_s", self.max_processing_s, 0, 3600, low_open=True,
                     hint="seconds a batch may take before diagnostics say blocked")
