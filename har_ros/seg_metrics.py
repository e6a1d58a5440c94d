"""Frame- and segment-level scores of a decision stream against time-interval truth.

A *stream* is what one output topic says over time: decisions (stamp ns, label) held until
the next one (sample-and-hold, the way a consumer of the topic sees it). It is scored at
*instants*, the stamps of the input frames. A prediction is a model class, ``unknown``
(LOW_CONFIDENCE: the node abstained) or ``no_decision`` (WARMING_UP, NO_PERSON, STALE, or
nothing published yet). Times in seconds unless the name says ns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from har_ros.metrics import classification_report

UNKNOWN = "unknown"
NO_DECISION = "no_decision"


def held_labels(decision_ns: Sequence[int], labels: Sequence[str], query_ns: Sequence[int]
                ) -> list[str]:
    """The label in force at each query stamp: the latest decision with stamp <= query.

    ``decision_ns`` must be sorted ascending; before the first decision -> ``no_decision``.
    """
    if len(decision_ns) == 0:
        return [NO_DECISION] * len(query_ns)
    idx = np.searchsorted(np.asarray(decision_ns, dtype=np.int64),
                          np.asarray(query_ns, dtype=np.int64), side="right") - 1
    return [labels[i] if i >= 0 else NO_DECISION for i in idx]


def frame_report(truth: Sequence[str], pred: Sequence[str], classes: Sequence[str]) -> dict:
    """Accuracy, macro-F1 (over truth classes present), per-class P/R/F1 and the confusion
    matrix (rows truth, columns ``classes + [unknown, no_decision]``), plus how often the
    output was unknown / no decision. Labels outside the columns count as ``no_decision``."""
    columns = [*classes, UNKNOWN, NO_DECISION]
    index = {c: i for i, c in enumerate(columns)}
    yt = np.array([index.get(t, index[NO_DECISION]) for t in truth], dtype=np.int64)
    yp = np.array([index.get(p, index[NO_DECISION]) for p in pred], dtype=np.int64)
    rep = classification_report(yt, yp, columns)
    n = len(yt)
    rep["columns"] = columns
    rep["unknown_rate"] = float(np.mean(yp == index[UNKNOWN])) if n else 0.0
    rep["no_decision_rate"] = float(np.mean(yp == index[NO_DECISION])) if n else 0.0
    rep["per_class"] = {c: v for c, v in rep["per_class"].items()
                        if v["support"] or c in classes}
    return rep


def truth_runs(times_s: Sequence[float], truth: Sequence[str | None], max_gap_s: float = 1.0
               ) -> list[tuple[int, int, str]]:
    """Maximal runs ``(first, last_exclusive, label)`` of equal non-None truth at consecutive
    instants no more than ``max_gap_s`` apart (a longer gap starts a new run)."""
    runs: list[list] = []
    for i, (t, lab) in enumerate(zip(times_s, truth, strict=True)):
        if lab is None:
            continue
        if runs and runs[-1][2] == lab and runs[-1][1] == i and t - times_s[i - 1] <= max_gap_s:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1, lab])
    return [(a, b, lab) for a, b, lab in runs]


def detection_delays(times_s: Sequence[float], truth: Sequence[str | None],
                     pred: Sequence[str], max_gap_s: float = 1.0) -> list[dict]:
    """For each truth run of a model class: when the stream first said that class (seconds
    after the run started; None = never during the run). ``unknown`` runs are skipped."""
    out = []
    for a, b, lab in truth_runs(times_s, truth, max_gap_s):
        if lab == UNKNOWN:
            continue
        hit = next((i for i in range(a, b) if pred[i] == lab), None)
        out.append({
            "label": lab, "start_s": float(times_s[a]), "end_s": float(times_s[b - 1]),
            "delay_s": None if hit is None else float(times_s[hit] - times_s[a]),
        })
    return out


def delay_summary(delays: Sequence[dict]) -> dict:
    """Detection rate and delay statistics (s), overall and per class."""

    def summarise(items: Sequence[dict]) -> dict:
        got = [d["delay_s"] for d in items if d["delay_s"] is not None]
        return {
            "segments": len(items),
            "detected": len(got),
            "detection_rate": len(got) / len(items) if items else 0.0,
            "delay_mean_s": float(np.mean(got)) if got else None,
            "delay_median_s": float(np.median(got)) if got else None,
            "delay_max_s": float(np.max(got)) if got else None,
        }

    per_class = {lab: summarise([d for d in delays if d["label"] == lab])
                 for lab in sorted({d["label"] for d in delays})}
    return {**summarise(delays), "per_class": per_class}
