"""The status of an action decision, defined once (no ROS imports).

The values equal ``har_ros/ActionStamped``'s constants (test/test_status.py checks the built
message), so a :class:`Status` can be written to and compared with ``msg.status`` directly.
"""

from __future__ import annotations

import enum


class Status(enum.IntEnum):
    """How far a decision can be trusted (msg/ActionStamped.msg has the full contract)."""

    #: A person's window was classified with enough confidence: ``action`` is the class.
    OK = 0
    #: Classified, but below the confidence threshold: ``action`` is "unknown".
    LOW_CONFIDENCE = 1
    #: No input within the staleness limit: no decision.
    STALE = 2
    #: Fresh input, but nobody in view (or in the workspace region): no decision.
    NO_PERSON = 3
    #: A person is tracked but no window is full yet: no decision yet.
    WARMING_UP = 4


#: The action of every decision that is not OK (``ActionStamped.UNKNOWN``).
UNKNOWN = "unknown"

#: Status value -> name ("OK", "LOW_CONFIDENCE", ...): the one table of status names.
STATUS_NAMES: dict[int, str] = {s.value: s.name for s in Status}


def label_of(status: int, action: str) -> str:
    """What a consumer reads from one decision: the action when OK, "unknown" when
    LOW_CONFIDENCE, else the status name in lower case ("stale", "no_person", "warming_up");
    "?" for a value that is no status."""
    if status == Status.OK:
        return action
    if status == Status.LOW_CONFIDENCE:
        return UNKNOWN
    name = STATUS_NAMES.get(status)
    return name.lower() if name is not None else "?"
