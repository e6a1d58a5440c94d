"""Build diagnostic_msgs/DiagnosticStatus messages from plain key/value dicts."""

from __future__ import annotations

import math

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.node import Node
from rclpy.publisher import Publisher
from std_msgs.msg import Header


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def status_msg(
    name: str, hardware_id: str, level: bytes, message: str, values: dict[str, object]
) -> DiagnosticStatus:
    """One DiagnosticStatus with ``values`` as KeyValue pairs (floats with 3 decimals)."""
    return DiagnosticStatus(
        level=level,
        name=name,
        message=message,
        hardware_id=hardware_id,
        values=[KeyValue(key=k, value=_fmt(v)) for k, v in values.items()],
    )


def array_msg(header: Header, statuses: list[DiagnosticStatus]) -> DiagnosticArray:
    """Wrap statuses into the DiagnosticArray published on /diagnostics."""
    return DiagnosticArray(header=header, status=statuses)


OK, WARN, ERROR, STALE = (
    DiagnosticStatus.OK,
    DiagnosticStatus.WARN,
    DiagnosticStatus.ERROR,
    DiagnosticStatus.STALE,
)


def publish(node: Node, publisher: Publisher, what: str, hardware_id: str,
            values: dict[str, object], warn_keys: tuple[str, ...], warning: str) -> None:
    """Publish one status named '<node>: <what>': WARN with ``warning`` when any of
    ``warn_keys`` is non-zero in ``values``, else OK. Stamped with the node's clock (a
    diagnostics stamp, not a data stamp)."""
    level = WARN if any(values.get(k) for k in warn_keys) else OK
    status = status_msg(f"{node.get_name()}: {what}", hardware_id, level,
                        warning if level == WARN else "ok", values)
    header = Header(stamp=node.get_clock().now().to_msg())
    publisher.publish(array_msg(header, [status]))
