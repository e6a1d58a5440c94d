"""The model's decisions on a :class:`LabelSource` as suggestion intervals, per track and for
the operator, run offline with the action node's core (``bag_eval.run_offline``).

A suggestion is the label a subscriber would hold at each frame (the class when the decision
is OK, ``unknown`` when LOW_CONFIDENCE), merged into runs over the frames where the track is
in view; frames without a decision yet (warm-up) get no suggestion.
"""

from __future__ import annotations

from dataclasses import replace

from har_ros import seg_metrics as sm
from har_ros.labelling.source import LabelSource

#: A track unseen for longer than this many frame periods ends a suggestion run.
GAP_PERIODS = 3.0


def suggestions(source: LabelSource, model_path: str = "", classifier=None
                ) -> tuple[dict[str, list[dict]], list[str]]:
    """({track id or '' (operator): [{start, end, label}, ...]}, model classes). Times are
    seconds since ``source.origin_ns``; ``end`` is exclusive."""
    from har_ros.action_config import ActionNodeConfig
    from har_ros.bag_eval import camera_of, run_offline

    cams = sorted({f.camera_name for f in source.frames} | {camera_of(t) for t in
                                                             source.topics})
    cfg = replace(ActionNodeConfig(model_path=model_path), cameras=cams)
    trace = run_offline(iter(source.frames), cfg, classifier)
    origin, period = source.origin_ns, source.frame_period_s
    out: dict[str, list[dict]] = {}
    per_track: dict[str, list[int]] = {}
    for stamp, _, tids in trace.instants:
        for tid in tids:
            per_track.setdefault(tid, []).append(stamp)
    for tid, stamps in per_track.items():
        events = sorted(trace.tracks.get(tid, []), key=lambda e: e.stamp_ns)
        held = sm.held_labels([e.stamp_ns for e in events], [e.label for e in events], stamps)
        out[tid] = _runs(stamps, held, origin, period)
    stamps = sorted({s for s, _, _ in trace.instants})
    ops = trace.operator
    held = sm.held_labels([e.stamp_ns for e in ops], [e.label for e in ops], stamps)
    out[""] = _runs(stamps, held, origin, period)
    return {k: v for k, v in out.items() if v}, list(trace.classes)


def _runs(stamps: list[int], labels: list[str], origin_ns: int, period_s: float
          ) -> list[dict]:
    """Runs of equal labels over sorted ``stamps`` (ns), without NO_DECISION; a gap longer than
    :data:`GAP_PERIODS` frame periods ends a run."""
    runs: list[dict] = []
    cur = None
    for k, (s, lab) in enumerate(zip(stamps, labels, strict=True)):
        t = (s - origin_ns) * 1e-9
        nxt = (stamps[k + 1] - origin_ns) * 1e-9 if k + 1 < len(stamps) else t + period_s
        end = nxt if nxt - t <= GAP_PERIODS * period_s else t + period_s
        if lab == sm.NO_DECISION:
            cur = None
            continue
        if cur is not None and cur["label"] == lab and abs(cur["end"] - t) < 1e-9:
            cur["end"] = end
        else:
            cur = {"start": t, "end": end, "label": lab}
            runs.append(cur)
    return [{"start": round(r["start"], 6), "end": round(r["end"], 6), "label": r["label"]}
            for r in runs]
