"""Play a rosbag2 bag's messages with their recorded timing, like ``ros2 bag play``.

Messages are published as raw CDR (bytes are not re-encoded), at the pace of their receive
times divided by ``rate``, optionally from an offset, looping, and with ``/clock`` (bag time)
for nodes running with ``use_sim_time``. Publishing needs no spinning, so :meth:`play` runs in
the caller's thread; set ``stop`` to end it early.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock

from har_ros.bags import typestore as ts
from har_ros.bags.reader import BagReader
from har_ros.errors import ConfigError
from har_ros.ros.conversions import ns_to_stamp
from har_ros.ros.recorder import message_class

#: Types whose CDR starts with a std_msgs/Header (stamp at bytes 4..12).
_HEADER_FIRST = {ts.IMAGE, ts.COMPRESSED_IMAGE, ts.SKELETON_ARRAY, ts.ACTION_STAMPED}


def cdr_header_stamp_ns(data: bytes) -> int | None:
    """Header stamp (ns) of a little-endian CDR message that starts with a Header."""
    if len(data) < 12 or data[1] != 1:
        return None
    sec, nsec = struct.unpack_from("<iI", data, 4)
    return sec * 1_000_000_000 + nsec


@dataclass
class PlayOptions:
    """How to play (times in seconds)."""

    rate: float = 1.0
    start_offset_s: float = 0.0
    loop: bool = False
    clock_hz: float = 0.0
    topics: Sequence[str] = ()
    remap: dict[str, str] = field(default_factory=dict)
    queue_depth: int = 100
    wait_for_subscribers: int = 0
    wait_timeout_s: float = 10.0
    delay_s: float = 0.0
    #: At the end, wait up to this long for reliable subscribers to acknowledge everything
    #: (a large image still being sent when the player exits would otherwise be lost).
    ack_timeout_s: float = 5.0

    def validate(self) -> PlayOptions:
        if self.rate <= 0:
            raise ConfigError("--rate must be > 0")
        if self.start_offset_s < 0 or self.clock_hz < 0 or self.delay_s < 0:
            raise ConfigError("--start-offset, --clock and --delay must be >= 0")
        return self


@dataclass
class Published:
    """One published message: topic, header stamp (ns, or None) and wall time (ns)."""

    topic: str
    stamp_ns: int | None
    wall_ns: int


class BagPlayer:
    """Publishes a bag's messages through ``node``'s publishers."""

    def __init__(self, node: Node, bag: BagReader, options: PlayOptions | None = None) -> None:
        self.node = node
        self.bag = bag
        self.options = opts = (options or PlayOptions()).validate()
        topics = list(opts.topics) or list(bag.topics)
        bag.check_topics(topics)
        self.topics = topics
        qos = QoSProfile(depth=opts.queue_depth, reliability=ReliabilityPolicy.RELIABLE)
        self.publishers = {}
        for topic in topics:
            msgtype = bag.topics[topic].msgtype
            cls = message_class(msgtype, topic)
            self.publishers[topic] = node.create_publisher(cls, opts.remap.get(topic, topic), qos)
        self.clock_pub = node.create_publisher(Clock, "/clock", 10) if opts.clock_hz else None
        self.counts = dict.fromkeys(topics, 0)
        self.log: list[Published] = []
        self.keep_log = False

    def wait_for_subscribers(self, stop: threading.Event | None = None) -> bool:
        """Wait until every publisher has ``wait_for_subscribers`` subscriptions."""
        n = self.options.wait_for_subscribers
        deadline = time.monotonic() + self.options.wait_timeout_s
        while time.monotonic() < deadline and not (stop and stop.is_set()):
            if all(p.get_subscription_count() >= n for p in self.publishers.values()):
                return True
            time.sleep(0.02)
        return all(p.get_subscription_count() >= n for p in self.publishers.values())

    def _publish_clock(self, bag_ns: int) -> None:
        if self.clock_pub is not None:
            self.clock_pub.publish(Clock(clock=ns_to_stamp(max(bag_ns, 0))))

    def _sleep_until(self, wall_target: float, bag_at, stop: threading.Event | None) -> bool:
        """Sleep until perf_counter() >= wall_target, publishing /clock meanwhile."""
        period = 1.0 / self.options.clock_hz if self.options.clock_hz else 0.05
        while True:
            now = time.perf_counter()
            if stop is not None and stop.is_set():
                return False
            if now >= wall_target:
                return True
            step = min(period, wall_target - now)
            time.sleep(step)
            if self.clock_pub is not None:
                self._publish_clock(bag_at(time.perf_counter()))

    def wait_for_acks(self) -> bool:
        """Wait (up to ``ack_timeout_s``) until reliable subscribers have acknowledged every
        message published; True when they all have."""
        from rclpy.duration import Duration

        timeout = Duration(nanoseconds=int(self.options.ack_timeout_s * 1e9))
        return all([p.wait_for_all_acked(timeout) for p in self.publishers.values()])

    def play(self, stop: threading.Event | None = None) -> dict[str, int]:
        """Publish the bag (once, or until ``stop`` with ``loop``); returns counts per topic."""
        opts = self.options
        if opts.wait_for_subscribers:
            self.wait_for_subscribers(stop)
        if opts.delay_s:
            time.sleep(opts.delay_s)
        first_ns = self.bag.start_ns + int(opts.start_offset_s * 1e9)
        while True:
            wall0 = time.perf_counter()

            def bag_at(wall: float, wall0=wall0) -> int:
                return first_ns + int((wall - wall0) * opts.rate * 1e9)

            self._publish_clock(first_ns)
            for m in self.bag.messages(self.topics, start_ns=first_ns):
                target = wall0 + (m.log_ns - first_ns) * 1e-9 / opts.rate
                if not self._sleep_until(target, bag_at, stop):
                    return self.counts
                self._publish_clock(m.log_ns)
                self.publishers[m.topic].publish(m.data)
                self.counts[m.topic] += 1
                if self.keep_log:
                    stamp = (cdr_header_stamp_ns(m.data)
                             if self.bag.topics[m.topic].msgtype in _HEADER_FIRST else None)
                    self.log.append(Published(m.topic, stamp, time.time_ns()))
            stopped = stop is not None and stop.is_set()
            if not opts.loop or stopped:
                if not stopped:  # played to the end: let the last messages arrive
                    self.wait_for_acks()
                return self.counts
