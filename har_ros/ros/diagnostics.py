"""Build diagnostic_msgs/DiagnosticStatus messages from plain key/value dicts."""

from __future__ import annotations

import math

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
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
