"""The pose node's health from what happened in the last diagnostics period (no ROS).

Lifetime counters only grow, so a node that once saw a bad frame would warn forever. The level
is decided on the counts of the last period instead: frames dropped by the newest-frame policy
are by design and never a warning; bad input, backend failures and clock jumps in the period
are a WARN naming the causes; internal errors or a batch stuck in processing are an ERROR.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Input refused or dropped, by cause (each also counts in ``bad_messages``).
BAD_INPUT: tuple[str, ...] = ("refused_size", "bad_image", "bad_stamp", "future_stamp",
                              "out_of_order")
#: Events worth a WARN when they happen in a period.
WARN_CAUSES: tuple[str, ...] = (*BAD_INPUT, "backend_errors", "clock_jumps")
#: Events worth an ERROR when they happen in a period (a fault of the node itself).
ERROR_CAUSES: tuple[str, ...] = ("internal_errors",)

OK, WARN, ERROR = "ok", "warn", "error"


@dataclass
class Health:
    """Level (OK, WARN or ERROR), a one-line message and per-second rates of the period."""

    level: str
    message: str
    rates: dict[str, float]


class PeriodCounts:
    """Differences of growing counters between successive calls (one call per period)."""

    def __init__(self) -> None:
        self._previous: dict[str, int] = {}

    def update(self, counts: dict[str, int]) -> dict[str, int]:
        """How much each counter grew since the previous call (since zero on the first)."""
        delta = {k: v - self._previous.get(k, 0) for k, v in counts.items()}
        self._previous = dict(counts)
        return delta


def assess(delta: dict[str, int], period_s: float, busy_s: float, longest_batch_s: float,
           max_processing_s: float) -> Health:
    """The node's health from one period's counter growth ``delta`` over ``period_s`` seconds.

    ``busy_s``: how long the batch now in processing has been running (0 when idle);
    ``longest_batch_s``: the longest batch finished in the period (s). Either above
    ``max_processing_s`` means every camera was blocked meanwhile.
    """
    period_s = max(period_s, 1e-9)
    rates = {f"{k}_per_s": v / period_s for k, v in delta.items()}
    problems: list[str] = []
    level = OK
    if busy_s > max_processing_s:
        level = ERROR
        problems.append(f"blocked: one batch has been processing for {busy_s:.1f} s, no camera "
                        "gets skeletons")
    elif longest_batch_s > max_processing_s:
        level = WARN
        problems.append(f"was blocked: one batch took {longest_batch_s:.1f} s")
    errors = [f"{delta[k]} {k}" for k in ERROR_CAUSES if delta.get(k)]
    if errors:
        level = ERROR
        problems.append(f"{', '.join(errors)} in the last {period_s:.1f} s (see the log)")
    warnings = [f"{delta[k]} {k}" for k in WARN_CAUSES if delta.get(k)]
    if warnings:
        level = WARN if level == OK else level
        problems.append(f"input problems in the last {period_s:.1f} s: {', '.join(warnings)}")
    return Health(level, "; ".join(problems) or "ok", rates)
