"""The one QoS profile of the decision topics: ``action`` (operator heartbeat), ``actions``
(per track) and the safety gate's ``speed_scale``.

Publishers offer it and a subscriber that must notice a dead or frozen publisher requests it
(docs/safety_gate.md): RELIABLE, VOLATILE, KEEP_LAST ``depth``, a **deadline** (the longest
time between two messages the publisher promises; a subscriber's "requested deadline missed"
event fires when it passes without a message) and **AUTOMATIC liveliness with a lease** (the
DDS participant asserts the publisher alive every 2/3 of the lease on its own threads; a
subscriber's "liveliness changed" event reports alive_count 0 when a lease expires: process
killed or frozen, host or network gone).

DDS matching rules: a subscriber connects only when its requested deadline and lease are
each >= the publisher's offered ones (an incompatible subscriber gets no messages and an
"incompatible QoS" event), so a consumer requests at least what the publisher offers.
"""

from __future__ import annotations

import math

from rclpy.duration import Duration
from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    LivelinessPolicy,
    QoSProfile,
    ReliabilityPolicy,
)

#: Depth of the decision topics' history (keep-last).
DEPTH = 10


def _duration(seconds: float) -> Duration:
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"a QoS duration must be a finite number of seconds > 0, got {seconds!r}")
    return Duration(nanoseconds=int(round(seconds * 1e9)))


def decision_qos(deadline_s: float, liveliness_lease_s: float, depth: int = DEPTH) -> QoSProfile:
    """The profile of ``action``/``actions``/``speed_scale``: RELIABLE, VOLATILE, KEEP_LAST
    ``depth``, deadline ``deadline_s`` and AUTOMATIC liveliness with lease
    ``liveliness_lease_s`` (seconds, finite and > 0).

    A publisher passes what it offers; a subscriber passes what it requests (each >= the
    publisher's, or DDS does not connect them)."""
    return QoSProfile(
        history=HistoryPolicy.KEEP_LAST,
        depth=depth,
        reliability=ReliabilityPolicy.RELIABLE,
        durability=DurabilityPolicy.VOLATILE,
        deadline=_duration(deadline_s),
        liveliness=LivelinessPolicy.AUTOMATIC,
        liveliness_lease_duration=_duration(liveliness_lease_s),
    )


def describe(profile: QoSProfile) -> str:
    """One line for logs: the contract's policies of ``profile``."""
    lease_s = profile.liveliness_lease_duration.nanoseconds * 1e-9
    return (f"{profile.reliability.name} {profile.durability.name} depth {profile.depth}, "
            f"deadline {profile.deadline.nanoseconds * 1e-9:.3f} s, liveliness "
            f"{profile.liveliness.name} lease {lease_s:.3f} s")
