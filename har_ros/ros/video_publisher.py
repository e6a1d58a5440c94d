"""Camera publisher: plays a video file as a sensor_msgs/Image (or CompressedImage) topic at
the file's frame rate, stamped like a camera driver stamps (clock time at capture)."""

from __future__ import annotations

from dataclasses import dataclass, field

from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

from har_ros.errors import ConfigError
from har_ros.ros import conversions as conv
from har_ros.ros.params import declare_config
from har_ros.video_source import VideoSource


@dataclass
class VideoPublisherConfig:
    """Parameters of the camera publisher."""

    video_path: str = field(default="", metadata={"help": "Video file to play (required)."})
    camera: str = field(default="camera", metadata={"help": "Publishes '<camera>/image_raw'."})
    frame_id: str = field(default="camera_optical", metadata={"help": "header.frame_id."})
    rate_factor: float = field(default=1.0, metadata={"help": "Playback speed (1 = real time)."})
    compressed: bool = field(
        default=False, metadata={"help": "Publish '<camera>/image_raw/compressed' (jpeg)."}
    )
    loop: bool = field(default=False, metadata={"help": "Start again at the end."})
    max_width: int = field(default=0, metadata={"help": "Downscale wider frames (0 = keep)."})
    wait_for_subscribers: int = field(
        default=0,
        metadata={"help": "Hold the first frame until this many subscribers have matched "
                          "(0 = start at once, as a live camera does; frames sent before "
                          "discovery completes are lost)."},
    )
    exit_at_end: bool = field(
        default=False, metadata={"help": "Shut the process's ROS context down at the end."}
    )

    def validate(self) -> VideoPublisherConfig:
        if not self.video_path:
            raise ConfigError("parameter 'video_path' is required: the video file to play")
        if self.rate_factor <= 0:
            raise ConfigError("parameter 'rate_factor' must be > 0")
        if self.wait_for_subscribers < 0:
            raise ConfigError("parameter 'wait_for_subscribers' must be >= 0")
        return self


class VideoPublisher(Node):
    """Publishes one frame per timer tick; ``finished`` turns True at the end of the file."""

    def __init__(self, node_name: str = "video_publisher", **kwargs) -> None:
        super().__init__(node_name, **kwargs)
        self.config = cfg = declare_config(self, VideoPublisherConfig)
        self.source = VideoSource(cfg.video_path, max_width=cfg.max_width)
        self._frames = self.source.frames()
        qos = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
        if cfg.compressed:
            self.pub = self.create_publisher(CompressedImage, f"{cfg.camera}/image_raw/compressed",
                                             qos)
        else:
            self.pub = self.create_publisher(Image, f"{cfg.camera}/image_raw", qos)
        self.published = 0
        self.finished = False
        #: the most recent frames sent, stamp_ns -> BGR frame (for annotating results)
        self.recent: dict[int, object] = {}
        self.timer = self.create_timer(1.0 / (self.source.fps * cfg.rate_factor), self._tick)

    def _tick(self) -> None:
        if self.published == 0 and not self._subscribers_ready():
            return
        try:
            frame = next(self._frames)
        except StopIteration:
            if self.config.loop:
                self._frames = self.source.frames()
                return
            self.finished = True
            self.timer.cancel()
            self.get_logger().info(f"end of {self.config.video_path}: {self.published} frames")
            if self.config.exit_at_end:
                self.context.try_shutdown()
            return
        header = Header(stamp=self.get_clock().now().to_msg(), frame_id=self.config.frame_id)
        if self.config.compressed:
            msg = conv.bgr_to_compressed(frame, header)
        else:
            msg = conv.bgr_to_imgmsg(frame, header)
        self.pub.publish(msg)
        self.published += 1
        self.recent[conv.stamp_to_ns(header.stamp)] = frame
        while len(self.recent) > 64:
            self.recent.pop(next(iter(self.recent)))

    def _subscribers_ready(self) -> bool:
        """True once ``wait_for_subscribers`` subscribers have matched the image publisher."""
        wanted = self.config.wait_for_subscribers
        if self.pub.get_subscription_count() >= wanted:
            return True
        self.get_logger().info(f"waiting for {wanted} subscriber(s) on {self.pub.topic_name}",
                               throttle_duration_sec=5.0)
        return False
