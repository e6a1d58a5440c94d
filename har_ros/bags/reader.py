"""Read rosbag2 bags (sqlite3 or mcap) with rosbags; every failure is a DataError naming the bag.

>>> with BagReader("run1") as bag:
...     for m in bag.messages(["/cam0/image_raw"]):
...         image = decode_image(bag.deserialize(m))

Timestamps are integer nanoseconds: ``BagMessage.log_ns`` is when the recorder received the
message; header stamps (acquisition times) are inside the message. Truncated or corrupt
files raise DataError with the number of messages read so far, so a caller can keep them.
One bad message inside a good file (truncated CDR, undecodable image, impossible stamp) is a
:class:`BadMessage`: the bag tools skip it and count it in a :class:`SkipCount`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from har_ros import conversions as conv
from har_ros.bags import typestore as ts
from har_ros.errors import DataError, InputError

T = TypeVar("T")


@dataclass(frozen=True)
class TopicInfo:
    """One topic of a bag: its type (``pkg/msg/Name``) and message count."""

    topic: str
    msgtype: str
    count: int


@dataclass(frozen=True)
class BagMessage:
    """One serialised message: topic, type, receive time (ns) and raw CDR bytes."""

    topic: str
    msgtype: str
    log_ns: int
    data: bytes


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class BagReader:
    """An open rosbag2 bag folder (or a bare ``.mcap`` / ``.db3`` file inside one)."""

    def __init__(self, path: str | Path) -> None:
        from rosbags.rosbag2 import Reader

        path = Path(path)
        if path.is_file() and path.suffix in (".mcap", ".db3"):
            path = path.parent
        self.path = path
        if not path.exists():
            raise DataError(f"bag {path} does not exist")
        if not (path / "metadata.yaml").is_file():
            raise DataError(
                f"bag {path} has no metadata.yaml: not a rosbag2 folder, or its recorder was "
                "killed before closing it (recover it with "
                f"'har-ros record --reindex {path}')"
            )
        try:
            self._reader = Reader(path)
            self._reader.open()
        except Exception as exc:  # noqa: BLE001 - rosbags, sqlite and yaml raise many types
            raise DataError(f"bag {path} cannot be opened (truncated or corrupt?): "
                            f"{_reason(exc)}") from exc
        self._conns = {c.id: c for c in self._reader.connections}
        self._store = None

    # ------------------------------------------------------------------ description
    @property
    def topics(self) -> dict[str, TopicInfo]:
        """Topic name -> :class:`TopicInfo`, in the bag's order."""
        out: dict[str, TopicInfo] = {}
        for c in self._reader.connections:
            prev = out.get(c.topic)
            out[c.topic] = TopicInfo(c.topic, c.msgtype, c.msgcount + (prev.count if prev else 0))
        return out

    @property
    def start_ns(self) -> int:
        """Receive time of the first message (ns); 0 for an empty bag."""
        return int(self._reader.start_time) if self._reader.message_count else 0

    @property
    def end_ns(self) -> int:
        """Receive time of the last message (ns); 0 for an empty bag."""
        return int(self._reader.end_time) if self._reader.message_count else 0

    @property
    def duration_s(self) -> float:
        """Receive time of the last message minus the first (s)."""
        return (self.end_ns - self.start_ns) * 1e-9

    @property
    def message_count(self) -> int:
        return int(self._reader.message_count)

    @property
    def storage(self) -> str:
        """``sqlite3`` or ``mcap``."""
        import yaml

        meta = yaml.safe_load((self.path / "metadata.yaml").read_text(encoding="utf-8"))
        return str(meta["rosbag2_bagfile_information"]["storage_identifier"])

    def check_topics(self, topics: Iterable[str], types: Iterable[str] | None = None) -> None:
        """DataError unless every topic is in the bag (and of one of ``types`` when given)."""
        have = self.topics
        allowed = tuple(types) if types is not None else None
        for topic in topics:
            if topic not in have:
                listing = ", ".join(f"{t} ({i.msgtype})" for t, i in have.items()) or "none"
                raise DataError(f"bag {self.path}: unknown topic {topic!r}; topics: {listing}")
            if allowed is not None and have[topic].msgtype not in allowed:
                raise DataError(
                    f"bag {self.path}: topic {topic!r} has type {have[topic].msgtype}; "
                    f"expected {' or '.join(allowed)}"
                )

    def topics_of_type(self, types: Iterable[str]) -> list[str]:
        """Topics whose type is in ``types``, in the bag's order."""
        wanted = set(types)
        return [t for t, info in self.topics.items() if info.msgtype in wanted]

    # ------------------------------------------------------------------ messages
    def messages(self, topics: Iterable[str] | None = None, start_ns: int | None = None,
                 stop_ns: int | None = None) -> Iterator[BagMessage]:
        """Messages in receive-time order (all topics, or ``topics`` which must exist).

        A read failure part-way raises DataError saying how many messages were good.
        """
        conns = []
        if topics is not None:
            topics = list(topics)
            self.check_topics(topics)
            conns = [c for c in self._reader.connections if c.topic in topics]
        n = 0
        it = None
        try:
            it = self._reader.messages(connections=conns, start=start_ns, stop=stop_ns)
            for conn, stamp, raw in it:
                n += 1
                yield BagMessage(conn.topic, conn.msgtype, int(stamp), bytes(raw))
        except DataError:
            raise
        except GeneratorExit:
            raise
        except Exception as exc:  # noqa: BLE001 - rosbags/sqlite/mcap parse errors
            raise DataError(f"bag {self.path} is truncated or corrupt: read {n} messages, then "
                            f"{_reason(exc)}") from exc
        finally:
            if it is not None and hasattr(it, "close"):
                it.close()

    def _typestore(self, msgtype: str):
        if ts.known_type(msgtype):
            return ts.make_typestore()
        if self._store is None:
            from rosbags.typesys import Stores, get_types_from_msg, get_typestore

            store = get_typestore(Stores.ROS2_KILTED)
            store.register(ts.make_typestore().fielddefs)
            for c in self._reader.connections:
                if c.msgtype not in store.fielddefs and c.msgdef.data:
                    try:
                        store.register(get_types_from_msg(c.msgdef.data, c.msgtype))
                    except Exception:  # noqa: BLE001 - an unparsable definition stays unknown
                        continue
            self._store = store
        if msgtype not in self._store.fielddefs:
            raise DataError(f"bag {self.path}: unknown message type {msgtype!r} (neither a ROS 2 "
                            "std type, a har_ros type, nor defined in the bag)")
        return self._store

    def deserialize(self, msg: BagMessage) -> object:
        """A rosbags message object (same field names as the ROS message)."""
        store = self._typestore(msg.msgtype)
        try:
            return store.deserialize_cdr(msg.data, msg.msgtype)
        except Exception as exc:  # noqa: BLE001 - malformed CDR
            raise DataError(f"bag {self.path}: a {msg.msgtype} message on {msg.topic} at "
                            f"{msg.log_ns} ns cannot be decoded: {_reason(exc)}") from exc

    # ------------------------------------------------------------------ lifetime
    def close(self) -> None:
        try:
            self._reader.close()
        except Exception:  # noqa: BLE001, S110 - closing a broken file must not mask the cause
            pass

    def __enter__(self) -> BagReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------- decoding
# rosbags messages have the ROS field names: the one set of conversions reads them.
stamp_ns = conv.stamp_to_ns
decode_skeletons = conv.msg_to_skeletons
decode_action = conv.msg_to_action


def decode_image(msg: object) -> np.ndarray:
    """A rosbags Image or CompressedImage -> BGR uint8 (H, W, 3); DataError if undecodable."""
    try:
        return conv.image_to_bgr(msg)
    except InputError as exc:
        raise DataError(f"image cannot be decoded: {exc}") from exc


def header_stamp_ns(msg: object) -> int | None:
    """The message's ``header.stamp`` in ns, or None when it has no header."""
    header = getattr(msg, "header", None)
    return stamp_ns(header.stamp) if header is not None else None


# ---------------------------------------------------------------------------- bad messages
BAD_CDR = "bad CDR"
BAD_STAMP = "bad stamp"
BAD_IMAGE = "bad image"
BAD_SKELETONS = "bad skeletons"
BAD_ACTION = "bad action"


class BadMessage(InputError):
    """One message of a bag cannot be used; ``cause`` is one of the ``BAD_*`` names."""

    def __init__(self, cause: str, m: BagMessage, detail: str) -> None:
        super().__init__(f"{cause}: {m.msgtype} on {m.topic} received at {m.log_ns} ns: "
                         f"{detail}")
        self.cause = cause


@dataclass
class SkipCount:
    """Messages a bag tool read and skipped, by cause, with the first reason of each cause.

    ``read`` counts every message looked at (skipped ones included)."""

    read: int = 0
    causes: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    @property
    def skipped(self) -> int:
        return sum(self.causes.values())

    def add(self, exc: BadMessage) -> None:
        """Count one skipped message (``read`` is counted by the caller)."""
        self.causes[exc.cause] += 1
        self.examples.setdefault(exc.cause, str(exc))

    def readable(self, messages: Iterable[BagMessage], read: Callable[[BagMessage], T]
                 ) -> Iterator[tuple[BagMessage, T]]:
        """(message, ``read(message)``) for every message ``read`` can use; a BadMessage is
        counted here and the message skipped."""
        for m in messages:
            self.read += 1
            try:
                value = read(m)
            except BadMessage as exc:
                self.add(exc)
                continue
            yield m, value

    def summary(self) -> str:
        """E.g. 'skipped 3 of 795 messages: 2 bad image, 1 bad stamp'."""
        if not self.skipped:
            return f"skipped 0 of {self.read} messages"
        parts = ", ".join(f"{n} {cause}" for cause, n in
                          sorted(self.causes.items(), key=lambda item: (-item[1], item[0])))
        return f"skipped {self.skipped} of {self.read} messages: {parts}"

    def as_dict(self) -> dict:
        """For report files: counts by cause and the first reason of each."""
        return {"read": self.read, "skipped": self.skipped, "by_cause": dict(self.causes),
                "first_reason": dict(self.examples), "summary": self.summary()}


def _deserialize(bag: BagReader, m: BagMessage) -> object:
    try:
        return bag.deserialize(m)
    except DataError as exc:
        raise BadMessage(BAD_CDR, m, str(exc.__cause__ or exc)) from exc


def _source_stamp(msg: object, m: BagMessage) -> int:
    try:
        return conv.stamp_to_ns(msg.header.stamp, allow_zero=False)
    except InputError as exc:
        raise BadMessage(BAD_STAMP, m, str(exc)) from exc


def read_image(bag: BagReader, m: BagMessage) -> tuple[np.ndarray, int, str]:
    """An Image / CompressedImage message -> (BGR uint8 (H, W, 3), header stamp ns, frame_id);
    BadMessage when it cannot be decoded or its stamp is impossible (zero included, as the
    pose node refuses it)."""
    msg = _deserialize(bag, m)
    stamp = _source_stamp(msg, m)
    try:
        image = conv.image_to_bgr(msg)
    except InputError as exc:
        raise BadMessage(BAD_IMAGE, m, str(exc)) from exc
    return image, stamp, msg.header.frame_id


def read_skeletons(bag: BagReader, m: BagMessage):
    """A SkeletonArray message -> :class:`SkeletonFrame`; BadMessage when it cannot be decoded,
    its stamp is impossible (zero included, as the action node refuses it) or a skeleton is
    malformed."""
    msg = _deserialize(bag, m)
    _source_stamp(msg, m)
    try:
        return conv.msg_to_skeletons(msg)
    except InputError as exc:
        raise BadMessage(BAD_SKELETONS, m, str(exc)) from exc


def read_action(bag: BagReader, m: BagMessage):
    """An ActionStamped message -> :class:`ActionDecision`; BadMessage when undecodable."""
    msg = _deserialize(bag, m)
    try:
        return conv.msg_to_action(msg)
    except InputError as exc:
        raise BadMessage(BAD_ACTION, m, str(exc)) from exc
