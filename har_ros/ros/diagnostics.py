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


class PeriodRates:
    """Per-second rates of lifetime counters over the last period (between two calls of
    :meth:`update`), so a status reflects what happens now, not what ever happened."""

    def __init__(self, keys: tuple[str, ...], t0_s: float) -> None:
        """``t0_s``: when the counters started at zero (s, the clock :meth:`update` gets)."""
        self.keys = keys
        self._last = dict.fromkeys(keys, 0.0)
        self._last_t = t0_s

    def update(self, values: dict[str, object], t_s: float) -> dict[str, float]:
        """Rates (per s) of ``keys`` in ``values`` since the previous call, at time ``t_s``
        (s, a monotonic clock)."""
        now = {k: float(values.get(k, 0) or 0) for k in self.keys}
        dt = max(t_s - self._last_t, 1e-6)
        rates = {k: max(now[k] - self._last[k], 0.0) / dt for k in self.keys}
        self._last, self._last_t = now, t_s
        return rates


def publish_status(node: Node, publisher: Publisher, what: str, hardware_id: str,
                   values: dict[str, object], level: bytes, message: str) -> None:
    """Publish one status named '<node>: <what>' with the given level and message, stamped
    with the node's clock (a diagnostics stamp, not a data stamp)."""
    status = status_msg(f"{node.get_name()}: {what}", hardware_id, level, message, values)
    header = Header(stamp=node.get_clock().now().to_msg())
    publisher.publish(array_msg(header, [status]))
