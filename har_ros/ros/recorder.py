"""Record topics into a rosbag2 bag, like ``ros2 bag record``: raw CDR from rclpy, written by
rosbags (sqlite3 or mcap) from a writer thread so callbacks never wait for the disk.

Topics are subscribed as soon as discovery shows a publisher (type taken from the graph);
QoS follows the publishers (reliable unless one of them is best effort). Receive times are
this node's clock (wall time, or /clock with use_sim_time). :meth:`BagRecorder.close` drains
the queue and closes the bag, so everything received is readable after Ctrl-C.
"""

from __future__ import annotations

import importlib
import queue
import threading
import time
from collections.abc import Sequence

from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

from har_ros.bags import typestore as ts
from har_ros.bags.writer import BagWriter
from har_ros.errors import DataError


def message_class(msgtype: str, topic: str = "") -> type:
    """The rclpy message class of ``pkg/msg/Name``; DataError (naming the topic when given)
    if it is not installed here."""
    try:
        pkg, kind, name = msgtype.split("/")
        return getattr(importlib.import_module(f"{pkg}.{kind}"), name)
    except (ValueError, ImportError, AttributeError) as exc:
        where = f"topic {topic!r}: " if topic else ""
        raise DataError(f"{where}unknown message type {msgtype!r} (no Python message package "
                        f"for it in this environment)") from exc


class BagRecorder(Node):
    """Subscribes to ``topics`` (absolute or relative names) and writes them to a new bag
    ``output`` (``storage`` sqlite3 or mcap); the bag is owned by the writer thread.

    ``received`` counts messages per topic. A topic that cannot be recorded (published with
    several types, or a type without a Python message class here or unknown to the bag writer)
    is logged once and listed in ``skipped`` (topic -> reason); the others keep recording. A
    topic that gains a second type after it was subscribed keeps recording its first type and
    is listed too.
    """

    def __init__(self, output: str, topics: Sequence[str], storage: str = "sqlite3",
                 all_topics: bool = False, node_name: str = "har_ros_recorder",
                 flush_period_s: float = 1.0, queue_depth: int = 100, **kwargs) -> None:
        super().__init__(node_name, **kwargs)
        self.output = output
        self.writer: BagWriter | None = None
        self.wanted = {self.resolve_topic_name(t) for t in topics}
        self.all_topics = all_topics
        self.queue_depth = queue_depth
        self.flush_period_s = flush_period_s
        self.received: dict[str, int] = {}
        self.subscribed: dict[str, str] = {}
        self.skipped: dict[str, str] = {}
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._running = True
        self._write_error: BaseException | None = None
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._write_loop, args=(storage,),
                                        name="bag_writer", daemon=True)
        self._thread.start()
        self._opened.wait()
        if self._write_error is not None:
            raise self._write_error
        self._discover()
        self.create_timer(0.1, self._discover)

    # ------------------------------------------------------------------ discovery
    def missing_topics(self) -> list[str]:
        """Requested topics neither subscribed nor skipped yet (no publisher seen)."""
        return sorted(self.wanted - set(self.subscribed) - set(self.skipped))

    def _discover(self) -> None:
        for topic, types in self.get_topic_names_and_types():
            if topic in self.subscribed:
                extra = sorted(set(types) - {self.subscribed[topic]})
                if extra:
                    self._skip(topic, f"partly recorded: also published as "
                               f"{', '.join(extra)}; only {self.subscribed[topic]} is recorded")
                continue
            if topic in self.skipped or not (self.all_topics or topic in self.wanted):
                continue
            if self.all_topics and topic in ("/rosout", "/parameter_events"):
                continue
            try:
                msgtype, cls = self._recordable(types)
            except DataError as exc:
                self._skip(topic, f"not recorded: {exc}")
                continue
            self._queue.put(("topic", topic, msgtype))
            self.create_subscription(cls, topic, lambda data, t=topic: self._on_message(t, data),
                                     self._qos_for(topic), raw=True)
            self.subscribed[topic] = msgtype
            self.received.setdefault(topic, 0)
            self.get_logger().info(f"recording {topic} ({msgtype})")

    @staticmethod
    def _recordable(types: Sequence[str]) -> tuple[str, type]:
        """(type name, rclpy class) of a topic this recorder can write; DataError saying why
        not otherwise."""
        if len(types) != 1:
            raise DataError(f"published with several types ({', '.join(types)}); a bag topic "
                            "has one")
        msgtype = types[0]
        cls = message_class(msgtype)
        if not ts.known_type(msgtype):
            raise DataError(f"message type {msgtype!r} is not known to the bag writer (ROS 2 "
                            "Kilted std messages and har_ros/msg/* are)")
        return msgtype, cls

    def _skip(self, topic: str, reason: str) -> None:
        """Report a topic that is not (or not fully) recorded, once per topic."""
        if topic not in self.skipped:
            self.skipped[topic] = reason
            self.get_logger().warning(f"{topic}: {reason}")

    def _qos_for(self, topic: str) -> QoSProfile:
        infos = self.get_publishers_info_by_topic(topic)
        best_effort = any(i.qos_profile.reliability == ReliabilityPolicy.BEST_EFFORT
                          for i in infos)
        return QoSProfile(
            depth=self.queue_depth,
            reliability=ReliabilityPolicy.BEST_EFFORT if best_effort
            else ReliabilityPolicy.RELIABLE,
            durability=DurabilityPolicy.VOLATILE,
        )

    # ------------------------------------------------------------------ writing
    def _on_message(self, topic: str, data: bytes) -> None:
        self.received[topic] += 1
        self._queue.put(("msg", topic, self.get_clock().now().nanoseconds, data))

    def _write_loop(self, storage: str) -> None:
        try:
            self.writer = BagWriter(self.output, storage)
        except DataError as exc:
            self._write_error = exc
            return
        finally:
            self._opened.set()
        try:
            self._drain()
        finally:
            self.writer.close()

    def _drain(self) -> None:
        last_flush = time.monotonic()
        while True:
            try:
                item = self._queue.get(timeout=0.1)
            except queue.Empty:
                if not self._running:
                    return
                item = None
            if item is not None and self._write_error is None:
                try:
                    if item[0] == "topic":
                        self.writer.add_topic(item[1], item[2])
                    else:
                        self.writer.write(*item[1:])
                except Exception as exc:  # noqa: BLE001 - reported by close()
                    self._write_error = exc
            if time.monotonic() - last_flush > self.flush_period_s and self._write_error is None:
                self.writer.flush()
                last_flush = time.monotonic()

    @property
    def pending(self) -> int:
        """Messages received but not written yet."""
        return self._queue.qsize()

    def close(self) -> dict[str, int]:
        """Write what is queued, close the bag, return messages written per topic."""
        self._running = False
        self._thread.join()
        if self._write_error is not None:
            raise DataError(f"writing bag {self.output} failed: {self._write_error}")
        return dict(self.writer.counts) if self.writer is not None else {}
