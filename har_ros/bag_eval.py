"""Evaluate the pipeline on a labelled bag, offline, with the nodes' own core code.

Image bags (sensor_msgs/Image or CompressedImage) go through :class:`PosePipeline` then
:class:`ActionPipeline`; SkeletonArray bags go straight to :class:`ActionPipeline`. Frames are
processed one by one in the bag's order with the node clock set to each frame's acquisition
stamp (simulated time), so results are deterministic and as fast as the machine allows.

The result is a :class:`Trace` (what the ``actions`` and ``action`` topics would carry),
scored by :func:`score_trace` against a labels file (see docs/labels_format.md) with the
metrics of :mod:`har_ros.seg_metrics`. Online runs build a Trace from recorded topics
(:func:`trace_from_outputs`) and are scored by the same function. No rclpy here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from har_ros import seg_metrics as sm
from har_ros.bags import typestore as ts
from har_ros.bags.labels import Labels
from har_ros.bags.reader import BadMessage, BagReader, SkipCount, read_image, read_skeletons
from har_ros.errors import DataError
from har_ros.frames import ActionDecision, SkeletonFrame

INPUT_TYPES = (*ts.IMAGE_TYPES, ts.SKELETON_ARRAY)


def camera_of(topic: str) -> str:
    """Camera name from a topic: '/cam0/image_raw[/compressed]' or '/cam0/skeletons' -> 'cam0'."""
    parts = [p for p in topic.split("/") if p]
    for suffix in (["image_raw", "compressed"], ["image_raw"], ["skeletons"], ["compressed"]):
        if len(parts) > len(suffix) and parts[-len(suffix):] == suffix:
            parts = parts[:-len(suffix)]
            break
    return "_".join(parts) or "camera"


@dataclass
class Event:
    """One published decision: stamp (ns, acquisition time of the newest frame), label
    (:func:`har_ros.status.label_of`: a class, "unknown", or a status name that scores as
    no decision), and probabilities (smoothed as published; ``raw`` = the window's own,
    offline only)."""

    stamp_ns: int
    label: str
    probs: np.ndarray | None = None
    raw: np.ndarray | None = None


@dataclass
class Trace:
    """The pipeline's output on one bag: per-track and operator streams, and the input frames
    (instants) at which they are scored."""

    classes: list[str]
    instants: list[tuple[int, str, list[str]]] = field(default_factory=list)
    tracks: dict[str, list[Event]] = field(default_factory=dict)
    operator: list[Event] = field(default_factory=list)
    frames_in: int = 0
    wall_s: float = 0.0
    skipped: SkipCount = field(default_factory=SkipCount)

    @property
    def span_s(self) -> float:
        """Time between the first and last input frame (s)."""
        if not self.instants:
            return 0.0
        stamps = [s for s, _, _ in self.instants]
        return (max(stamps) - min(stamps)) * 1e-9

    @property
    def first_stamp_ns(self) -> int:
        return min(s for s, _, _ in self.instants) if self.instants else 0


def pick_topics(bag: BagReader, topics: Sequence[str] | None = None) -> list[str]:
    """The input topics to evaluate: the given ones (checked), or every SkeletonArray topic,
    or else every image topic. DataError when there is none or types are mixed."""
    if topics:
        bag.check_topics(topics, INPUT_TYPES)
        chosen = list(topics)
    else:
        chosen = bag.topics_of_type([ts.SKELETON_ARRAY]) or bag.topics_of_type(ts.IMAGE_TYPES)
        if not chosen:
            listing = ", ".join(f"{t} ({i.msgtype})" for t, i in bag.topics.items())
            raise DataError(f"bag {bag.path} has no Image, CompressedImage or SkeletonArray "
                            f"topic to evaluate (topics: {listing or 'none'})")
    kinds = {bag.topics[t].msgtype == ts.SKELETON_ARRAY for t in chosen}
    if len(kinds) > 1:
        raise DataError(f"bag {bag.path}: evaluate either image topics or skeleton topics, "
                        f"not both ({', '.join(chosen)})")
    cams = [camera_of(t) for t in chosen]
    if len(set(cams)) != len(cams):
        raise DataError(f"topics {chosen} map to duplicate camera names {cams}")
    return chosen


def bag_frames(bag: BagReader, topics: Sequence[str], pose_config=None, progress: bool = True,
               skipped: SkipCount | None = None) -> Iterator[SkeletonFrame]:
    """Skeleton frames from a bag, in bag order: decoded SkeletonArrays, or images through a
    :class:`PosePipeline` (``pose_config``: a PoseNodeConfig; cameras are set from topics).

    A message that cannot be used (see :class:`BadMessage`) is skipped and counted in
    ``skipped``, as the nodes skip and count a bad message."""
    from tqdm import tqdm

    cams = {t: camera_of(t) for t in topics}
    images = bag.topics[topics[0]].msgtype in ts.IMAGE_TYPES
    pose = None
    if images:
        from dataclasses import replace

        from har_ros.pose_config import PoseNodeConfig
        from har_ros.pose_pipeline import CameraImage, PosePipeline

        cfg = replace(pose_config or PoseNodeConfig(), cameras=list(cams.values()),
                      image_topics=[])
        pose = PosePipeline(cfg)
    total = sum(bag.topics[t].count for t in topics)
    skipped = skipped if skipped is not None else SkipCount()
    try:
        for m in tqdm(bag.messages(topics), total=total, disable=not progress, unit="frame",
                      desc="images -> pose -> actions" if images else "skeletons -> actions"):
            skipped.read += 1
            try:
                if pose is None:
                    frame = read_skeletons(bag, m)
                else:
                    image, stamp, frame_id = read_image(bag, m)
            except BadMessage as exc:
                skipped.add(exc)
                continue
            if pose is None:
                frame.camera_name = cams[m.topic]
                yield frame
                continue
            yield pose.process([CameraImage(cams[m.topic], image, stamp, frame_id)])[0]
    finally:
        if pose is not None:
            pose.close()


def evaluate_offline(bag_path: str | Path, topics: Sequence[str] | None = None,
                     pose_config=None, action_config=None, classifier=None,
                     progress: bool = True) -> tuple[Trace, list[str]]:
    """Run a bag through the pipeline offline; returns (trace, evaluated topics).

    All cameras of the chosen topics are registered before the first frame.
    """
    from dataclasses import replace

    from har_ros.action_config import ActionNodeConfig

    with BagReader(bag_path) as bag:
        chosen = pick_topics(bag, topics)
        cfg = replace(action_config or ActionNodeConfig(),
                      cameras=[camera_of(t) for t in chosen])
        skipped = SkipCount()
        trace = run_offline(bag_frames(bag, chosen, pose_config, progress, skipped), cfg,
                            classifier)
        trace.skipped = skipped
    return trace, chosen


def run_offline(frames: Iterator[SkeletonFrame], cfg, classifier=None) -> Trace:
    """Feed frames to an :class:`ActionPipeline` (config ``cfg`` naming every camera) at
    simulated time = frame stamp; collect every per-track decision and the operator decision
    after every frame (as the heartbeat would publish it)."""
    from har_ros.action_pipeline import ActionPipeline, load_classifier

    t0 = time.perf_counter()
    clf = classifier or load_classifier(cfg)
    pipe = ActionPipeline(cfg, clf)
    trace = Trace(classes=list(clf.classes))
    for frame in frames:
        now_s = frame.stamp_ns * 1e-9
        trace.frames_in += 1
        trace.instants.append((frame.stamp_ns, frame.camera_name, list(frame.track_ids)))
        for a in pipe.process(frame, now_s):
            trace.tracks.setdefault(a.track_id, []).append(_event(a))
        op = pipe.heartbeat(now_s)
        ev = Event(op.stamp_ns, op.label)
        last = trace.operator[-1] if trace.operator else None
        if last is None or (last.stamp_ns, last.label) != (ev.stamp_ns, ev.label):
            trace.operator.append(ev)
    trace.wall_s = time.perf_counter() - t0
    return trace


def _event(a: ActionDecision) -> Event:
    """The Event of one decision (raw probabilities when the pipeline gave them)."""
    probs = np.asarray(a.probabilities, np.float32) if len(a.probabilities) else None
    raw = (np.asarray(a.window_probabilities, np.float32)
           if a.window_probabilities is not None else None)
    return Event(a.stamp_ns, a.label, probs, raw)


def trace_from_outputs(classes: Sequence[str], frames: Sequence[SkeletonFrame],
                       actions: Sequence[ActionDecision], operator: Sequence[ActionDecision],
                       wall_s: float = 0.0) -> Trace:
    """A Trace from recorded topics of an online run: the skeleton frames the action node got
    (instants), its per-track ``actions`` and its operator-level ``action`` messages."""
    trace = Trace(classes=list(classes), frames_in=len(frames), wall_s=wall_s)
    for f in sorted(frames, key=lambda f: f.stamp_ns):
        trace.instants.append((f.stamp_ns, f.camera_name, list(f.track_ids)))
    for a in sorted(actions, key=lambda a: a.stamp_ns):
        trace.tracks.setdefault(a.track_id, []).append(_event(a))
    for a in sorted(operator, key=lambda a: a.stamp_ns):
        trace.operator.append(Event(a.stamp_ns, a.label))
    return trace


# ---------------------------------------------------------------------------- scoring
def _stream(events: Sequence[Event], query_ns: Sequence[int]) -> list[str]:
    events = sorted(events, key=lambda e: e.stamp_ns)
    return sm.held_labels([e.stamp_ns for e in events], [e.label for e in events], query_ns)


def _clip_report(trace: Trace, labels: Labels, origin_ns: int, raw: bool) -> dict | None:
    """Per truth run of each track: argmax of the mean window probabilities (raw windows
    offline, else the published smoothed ones) of windows ending inside the run."""
    from har_ros.metrics import classification_report

    classes = trace.classes
    truth_idx, pred_idx = [], []
    missing = 0
    for track, stamps, truth in _track_instants(trace, labels, origin_ns):
        times = [(s - origin_ns) * 1e-9 for s in stamps]
        events = trace.tracks.get(track, [])
        ev_ns = np.array([e.stamp_ns for e in events], dtype=np.int64)
        for a, b, lab in sm.truth_runs(times, truth):
            if lab not in classes:
                continue
            inside = [e for e, s in zip(events, ev_ns, strict=True)
                      if stamps[a] <= s <= stamps[b - 1]]
            probs = [e.raw if raw else e.probs for e in inside]
            probs = [p for p in probs if p is not None]
            truth_idx.append(classes.index(lab))
            if probs:
                pred_idx.append(int(np.mean(probs, axis=0).argmax()))
            else:
                pred_idx.append(len(classes))
                missing += 1
    if not truth_idx:
        return None
    rep = classification_report(np.array(truth_idx), np.array(pred_idx),
                                [*classes, sm.NO_DECISION])
    rep["clips_without_window"] = missing
    rep["probabilities"] = "raw windows" if raw else "published (smoothed)"
    return rep


def _track_instants(trace: Trace, labels: Labels, origin_ns: int):
    """(track, stamps, truth) per track: every frame the track appears in."""
    per: dict[str, list[int]] = {}
    for stamp, _, tids in trace.instants:
        for tid in tids:
            per.setdefault(tid, []).append(stamp)
    for tid in sorted(per):
        stamps = per[tid]
        truth = [labels.label_at((s - origin_ns) * 1e-9, tid) for s in stamps]
        yield tid, stamps, truth


def score_trace(trace: Trace, labels: Labels, topics: Sequence[str] = ()) -> dict:
    """Frame-level, segment-level (detection delay) and clip-level scores of both streams.

    Labels are checked against the model's classes and the bag's time span first.
    """
    if not trace.instants:
        why = f" ({trace.skipped.summary()})" if trace.skipped.skipped else ""
        raise DataError(f"no input frames were evaluated{why}")
    labels.check_classes(trace.classes)
    origin = labels.origin_ns if labels.origin_ns is not None else trace.first_stamp_ns
    span = (max(s for s, _, _ in trace.instants) - origin) * 1e-9
    labels.check_range(span)
    report: dict = {
        "classes": trace.classes, "topics": list(topics), "origin_ns": int(origin),
        "frames": trace.frames_in, "span_s": trace.span_s, "wall_s": trace.wall_s,
        "x_real_time": trace.span_s / trace.wall_s if trace.wall_s > 0 else None,
        "skipped_messages": trace.skipped.as_dict(),
    }
    # operator level: each distinct frame stamp, truth from intervals without a track
    stamps = sorted({s for s, _, _ in trace.instants})
    times = [(s - origin) * 1e-9 for s in stamps]
    truth = [labels.label_at(t) for t in times]
    pred = _stream(trace.operator, stamps)
    keep = [i for i, t in enumerate(truth) if t is not None]
    if keep:
        rep = sm.frame_report([truth[i] for i in keep], [pred[i] for i in keep], trace.classes)
        delays = sm.detection_delays(times, truth, pred)
        report["operator"] = {"frame": rep, "segments": delays,
                              "detection": sm.delay_summary(delays)}
    # per track: every (frame, track) pair with truth for that track
    all_t, all_p, all_delays = [], [], []
    for tid, tstamps, ttruth in _track_instants(trace, labels, origin):
        tpred = _stream(trace.tracks.get(tid, []), tstamps)
        ttimes = [(s - origin) * 1e-9 for s in tstamps]
        for t, p in zip(ttruth, tpred, strict=True):
            if t is not None:
                all_t.append(t)
                all_p.append(p)
        for d in sm.detection_delays(ttimes, ttruth, tpred):
            all_delays.append({"track": tid, **d})
    if all_t:
        report["tracks"] = {"frame": sm.frame_report(all_t, all_p, trace.classes),
                            "segments": all_delays,
                            "detection": sm.delay_summary(all_delays)}
    has_raw = any(e.raw is not None for evs in trace.tracks.values() for e in evs)
    clips = _clip_report(trace, labels, origin, raw=has_raw)
    if clips is not None:
        report["clips"] = clips
    if "operator" not in report and "tracks" not in report:
        raise DataError(f"{labels.path}: no evaluated frame falls inside a labelled interval "
                        f"(frames span 0 .. {span:.2f} s from the origin)")
    return report


def timeline_events(trace: Trace, labels: Labels, origin_ns: int, max_tracks: int = 4
                    ) -> dict[str, list[tuple[float, str]]]:
    """Rows for :func:`har_ros.timeline.plot_timeline`: truth, operator output, a few tracks."""
    stamps = sorted({s for s, _, _ in trace.instants})
    times = [(s - origin_ns) * 1e-9 for s in stamps]
    rows: dict[str, list[tuple[float, str]]] = {
        "0 truth": [(t, lab) for t in times if (lab := labels.label_at(t)) is not None],
        "1 predicted (operator)": list(zip(times, _stream(trace.operator, stamps), strict=True)),
    }
    for k, (tid, tstamps, ttruth) in enumerate(_track_instants(trace, labels, origin_ns)):
        if k >= max_tracks:
            break
        ttimes = [(s - origin_ns) * 1e-9 for s in tstamps]
        if any(lab is not None for lab in ttruth) and labels.tracks != [""]:
            rows[f"{2 + 2 * k} truth {tid}"] = [
                (t, lab) for t, lab in zip(ttimes, ttruth, strict=True) if lab is not None]
        rows[f"{3 + 2 * k} predicted {tid}"] = list(
            zip(ttimes, _stream(trace.tracks.get(tid, []), tstamps), strict=True))
    if not rows["0 truth"]:
        del rows["0 truth"]
    return rows


def save_plots(trace: Trace, labels: Labels, report: dict, out_dir: str | Path,
               prefix: str = "bag_eval") -> list[Path]:
    """Confusion matrix (operator stream, else tracks) and truth-vs-prediction timeline PNGs."""
    from har_ros.plots import plot_confusion
    from har_ros.timeline import plot_timeline

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    stream = "operator" if "operator" in report else "tracks"
    rep = report[stream]["frame"]
    paths.append(plot_confusion(np.array(rep["confusion_matrix"]), rep["columns"],
                                out_dir / f"{prefix}_confusion.png",
                                f"{stream}: frame-level confusion (acc {rep['accuracy']:.2f})"))
    rows = timeline_events(trace, labels, report["origin_ns"])
    paths.append(plot_timeline(rows, out_dir / f"{prefix}_timeline.png",
                               title="truth vs prediction"))
    return paths
