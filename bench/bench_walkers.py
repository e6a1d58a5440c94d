"""Walkers on real footage: does the pipeline say `walk` for the people walking in vtest.avi?

Run from the repository root:
``python -m bench.bench_walkers --model M [--online] [--cache DIR] [--video vtest.avi]``.

1. The skeleton bag of vtest.avi (OpenCV's sample clip: 795 frames, 768x576, 10 fps; people
   walking past a raised camera) is built once with the pose node's core (the
   openpose_mobilenet backend and tracker, every frame, offline, as ``har-ros extract``
   does) and cached under ``--cache`` (``vtest_skeletons/``). The extraction is
   deterministic, so its track ids are those named in the labels.
2. The bag is evaluated with the labels test/nodes_for_tests/vtest_labels.yaml (per-track
   intervals: walk / unknown) by the same code as ``har-ros evaluate --bag`` (offline; with
   --online also played in real time into a live action node).
3. The two figures of issue #10, per walker track (a track with a `walk` interval):
   (a) of all per-track OK decisions stamped inside a walk interval, the fraction whose
   action is `walk` (and `walk` or `jog`);
   (b) per walker, the fraction of its tracked time labelled walk after warm-up (from the
   track's first per-track decision on) during which the decision in force is `walk`;
   the mean over walkers and the fraction of walkers at >= 60 %.
Writes bench/results/walkers_<model name>[_online].json; ``--figures`` also renders
docs/vtest_frame.jpg (a frame with skeletons, track ids and decisions) and
docs/vtest_timeline.png (truth and decisions of the walkers followed longest).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "test" / "nodes_for_tests" / "vtest_labels.yaml"
RESULTS = ROOT / "bench" / "results"
CAMERA = "cam0"
#: Stamp of the first frame (ns): a real clock's, since an unset (zero) stamp is refused.
T0_NS = 1_700_000_000_000_000_000
WALK = "walk"
WALK_LIKE = ("walk", "jog")
#: Share of its labelled tracked time a walker must be called `walk` (issue #10).
WALKER_TARGET = 0.6


# ---------------------------------------------------------------------------- inputs
def find_video(video: str, cache: Path) -> Path:
    """The vtest.avi to extract: ``video`` if given, else the demo's copy, else one fetched
    into ``cache`` from Debian's opencv-doc package (md5-checked)."""
    from har_ros.demo_assets import demo_video_path, fetch_demo_video

    if video:
        return Path(video)
    for candidate in (demo_video_path(), cache / "vtest.avi"):
        if candidate.is_file():
            return candidate
    return fetch_demo_video(cache / "vtest.avi")


def build_skeleton_bag(video: Path, bag: Path, progress: bool = True, limit: int = 0) -> dict:
    """Extract ``video`` into a SkeletonArray bag ('/cam0/skeletons', mcap), every frame,
    with the pose node's default pose configuration; frame i is stamped T0_NS + i / fps."""
    from tqdm import tqdm

    from har_ros.bags.writer import BagWriter, skeleton_message
    from har_ros.frame_sources import video_frames
    from har_ros.pose_config import PoseNodeConfig
    from har_ros.pose_pipeline import PosePipeline
    from har_ros.video_source import VideoSource

    total = VideoSource(video).frame_count
    total = min(total, limit) if limit else total
    part = bag.with_name(bag.name + ".part")
    if part.exists():
        import shutil

        shutil.rmtree(part)
    part.parent.mkdir(parents=True, exist_ok=True)
    pose = PosePipeline(PoseNodeConfig(cameras=[CAMERA]))
    frames = people = 0
    t0 = time.perf_counter()
    try:
        with BagWriter(part, "mcap") as writer:
            for item in tqdm(video_frames(str(video), CAMERA, limit, T0_NS), total=total,
                             unit="frame", desc="vtest.avi -> skeletons", disable=not progress):
                frame = pose.process([item])[0]
                writer.write_message(f"/{CAMERA}/skeletons", frame.stamp_ns,
                                     skeleton_message(frame))
                frames += 1
                people += len(frame.track_ids)
    finally:
        pose.close()
    part.rename(bag)
    return {"video": str(video), "frames": frames, "skeletons": people,
            "wall_s": time.perf_counter() - t0}


# ---------------------------------------------------------------------------- metrics
def _per_track_frames(trace) -> dict[str, list[int]]:
    per: dict[str, list[int]] = {}
    for stamp, _, tids in trace.instants:
        for tid in tids:
            per.setdefault(tid, []).append(stamp)
    return per


def walker_metrics(trace, labels, origin_ns: int) -> dict:
    """Issue #10's figures from a :class:`har_ros.bag_eval.Trace` and the vtest labels.

    Times are seconds since ``origin_ns`` (the first frame's stamp). A decision is "OK" when
    it reads as a class (status OK); unknown (LOW_CONFIDENCE) and no_decision are not.
    """
    from har_ros import seg_metrics as sm

    per_frames = _per_track_frames(trace)
    walkers = sorted({iv.track for iv in labels.intervals if iv.label == WALK and iv.track})
    rows = []
    ok_total = ok_walk = ok_walk_like = 0
    for tid in walkers:
        stamps = per_frames.get(tid, [])
        events = sorted(trace.tracks.get(tid, []), key=lambda e: e.stamp_ns)
        truth = [labels.label_at((s - origin_ns) * 1e-9, tid) for s in stamps]
        held = sm.held_labels([e.stamp_ns for e in events], [e.label for e in events], stamps)
        # (a) OK decisions stamped inside this track's walk intervals
        oks = [e.label for e in events
               if labels.label_at((e.stamp_ns - origin_ns) * 1e-9, tid) == WALK
               and e.label not in (sm.UNKNOWN, sm.NO_DECISION)]
        ok_total += len(oks)
        ok_walk += sum(lab == WALK for lab in oks)
        ok_walk_like += sum(lab in WALK_LIKE for lab in oks)
        # (b) labelled-walk frames after the track's first decision
        first = events[0].stamp_ns if events else None
        after = [h for s, t, h in zip(stamps, truth, held, strict=True)
                 if t == WALK and first is not None and s >= first]
        counts: dict[str, int] = {}
        for h in after:
            counts[h] = counts.get(h, 0) + 1
        ok_counts: dict[str, int] = {}
        for lab in oks:
            ok_counts[lab] = ok_counts.get(lab, 0) + 1
        rows.append({
            "track": tid,
            "frames_tracked": len(stamps),
            "first_s": (stamps[0] - origin_ns) * 1e-9 if stamps else None,
            "last_s": (stamps[-1] - origin_ns) * 1e-9 if stamps else None,
            "frames_labelled_walk": sum(t == WALK for t in truth),
            "first_decision_s": (first - origin_ns) * 1e-9 if first is not None else None,
            "decisions": len(events),
            "ok_decisions_in_walk": len(oks),
            "ok_decision_labels": dict(sorted(ok_counts.items(), key=lambda kv: -kv[1])),
            "frames_walk_after_warmup": len(after),
            "held_after_warmup": dict(sorted(counts.items(), key=lambda kv: -kv[1])),
            "walk_time_fraction": (sum(h == WALK for h in after) / len(after)) if after else None,
            "walk_or_jog_time_fraction":
                (sum(h in WALK_LIKE for h in after) / len(after)) if after else None,
        })
    scored = [r for r in rows if r["walk_time_fraction"] is not None]
    fractions = np.array([r["walk_time_fraction"] for r in scored], dtype=float)
    return {
        "walker_tracks": len(walkers),
        "walker_tracks_never_warmed_up": len(rows) - len(scored),
        "ok_decisions_on_walkers": ok_total,
        "ok_decisions_walk_fraction": ok_walk / ok_total if ok_total else None,
        "ok_decisions_walk_or_jog_fraction": ok_walk_like / ok_total if ok_total else None,
        "walkers_scored": len(scored),
        "walk_time_fraction_mean": float(fractions.mean()) if len(fractions) else None,
        "walk_time_fraction_median": float(np.median(fractions)) if len(fractions) else None,
        f"walkers_reaching_{int(WALKER_TARGET * 100)}pct":
            float(np.mean(fractions >= WALKER_TARGET)) if len(fractions) else None,
        "definitions": {
            "ok_decisions_walk_fraction": "per-track decisions with status OK stamped inside "
            "a walk interval of their own track: share whose action is walk",
            "walk_time_fraction": "per walker: frames labelled walk at or after the track's "
            "first per-track decision; share at which the decision in force is walk",
        },
        "per_track": rows,
    }


def _compact(report: dict) -> dict:
    """The bag-evaluation report without its per-segment lists."""
    out = {k: v for k, v in report.items() if k not in ("operator", "tracks", "clips")}
    for stream in ("operator", "tracks"):
        if stream in report:
            out[stream] = {"frame": report[stream]["frame"],
                           "detection": report[stream]["detection"]}
    if "clips" in report:
        out["clips"] = {k: report["clips"][k] for k in ("accuracy", "macro_f1", "n")
                        if k in report["clips"]}
    return out


def summary_line(mode: str, m: dict) -> str:
    def pct(v):
        return "n/a" if v is None else f"{100 * v:.1f} %"

    return (f"{mode}: {m['ok_decisions_on_walkers']} OK decisions on {m['walker_tracks']} "
            f"walkers: walk {pct(m['ok_decisions_walk_fraction'])}, walk+jog "
            f"{pct(m['ok_decisions_walk_or_jog_fraction'])}; walk time per walker after "
            f"warm-up: mean {pct(m['walk_time_fraction_mean'])}, walkers >= 60 %: "
            f"{pct(m['walkers_reaching_60pct'])} (of {m['walkers_scored']} warmed up)")


# ---------------------------------------------------------------------------- figures
def _track_number(tid: str) -> int:
    return int(tid.rsplit("/", 1)[-1])


def render_figures(video: Path, bag: Path, trace, labels, origin_ns: int, metrics: dict,
                   frame_s: float, out_dir: Path, rows_max: int = 10) -> list[Path]:
    """docs/vtest_frame.jpg (frame nearest ``frame_s`` seconds: skeletons, ids, decision in
    force per track) and docs/vtest_timeline.png (truth and decision of the longest-tracked
    walkers)."""
    import cv2

    from har_ros import seg_metrics as sm
    from har_ros.bags.reader import BagReader, decode_skeletons
    from har_ros.draw import draw_skeletons
    from har_ros.timeline import plot_timeline
    from har_ros.video_source import VideoSource

    out_dir.mkdir(parents=True, exist_ok=True)
    index = int(round(frame_s * VideoSource(video).fps))
    image = next(iter(f for i, f in enumerate(VideoSource(video).frames(index + 1))
                      if i == index))
    with BagReader(bag) as reader:
        frame = None
        for k, m in enumerate(reader.messages()):
            if k == index:
                frame = decode_skeletons(reader.deserialize(m))
                break
    texts = []
    for tid in frame.track_ids:
        evs = sorted(trace.tracks.get(tid, []), key=lambda e: e.stamp_ns)
        held = sm.held_labels([e.stamp_ns for e in evs], [e.label for e in evs],
                              [frame.stamp_ns])[0]
        truth = labels.label_at((frame.stamp_ns - origin_ns) * 1e-9, tid)
        texts.append(f"{held} (truth {truth or '-'})")
    drawn = draw_skeletons(image, frame.skeletons, [_track_number(t) for t in frame.track_ids],
                           texts)
    cv2.putText(drawn, f"vtest.avi t = {(frame.stamp_ns - origin_ns) * 1e-9:.1f} s", (8, 24),
                cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2, cv2.LINE_AA)
    frame_path = out_dir / "vtest_frame.jpg"
    cv2.imwrite(str(frame_path), drawn, [cv2.IMWRITE_JPEG_QUALITY, 80])

    per_frames = _per_track_frames(trace)
    longest = sorted(metrics["per_track"], key=lambda r: -r["frames_walk_after_warmup"])
    tracks: dict[str, list[tuple[float, str]]] = {}
    for k, r in enumerate(sorted(longest[:rows_max], key=lambda r: r["first_s"] or 0.0)):
        tid = r["track"]
        stamps = per_frames.get(tid, [])
        times = [(s - origin_ns) * 1e-9 for s in stamps]
        evs = sorted(trace.tracks.get(tid, []), key=lambda e: e.stamp_ns)
        held = sm.held_labels([e.stamp_ns for e in evs], [e.label for e in evs], stamps)
        truth = [labels.label_at(t, tid) for t in times]
        tracks[f"{k:02d} {tid} truth"] = [(t, lab) for t, lab in zip(times, truth, strict=True)
                                         if lab is not None]
        tracks[f"{k:02d} {tid} output"] = list(zip(times, held, strict=True))
    timeline_path = plot_timeline(tracks, out_dir / "vtest_timeline.png",
                                  title="vtest.avi walkers: truth and decision in force")
    return [frame_path, timeline_path]


# ---------------------------------------------------------------------------- command
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Online runs start a live action node: set ROS_DOMAIN_ID and "
               "ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST first.")
    parser.add_argument("--model", default="",
                        help="model folder or shipped model name (default: the shipped model)")
    parser.add_argument("--online", action="store_true",
                        help="also play the bag in real time into a live action node")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/har_ros_walkers"),
                        help="folder for the skeleton bag (built once) and online output")
    parser.add_argument("--bag", type=Path, default=None,
                        help="an existing vtest skeleton bag (default: <cache>/vtest_skeletons)")
    parser.add_argument("--video", default="", help="vtest.avi (default: the demo's copy)")
    parser.add_argument("--labels", type=Path, default=LABELS, help="labels YAML")
    parser.add_argument("--figures", action="store_true",
                        help="write docs/vtest_frame.jpg and docs/vtest_timeline.png")
    parser.add_argument("--frame-s", type=float, default=30.0,
                        help="time of the annotated frame (s since the first frame)")
    parser.add_argument("--mirror-average", choices=("auto", "off"), default="auto",
                        help="the action node's mirror_average setting (offline only; the "
                        "online run uses the node's default, auto); 'off' writes "
                        "walkers_<model>_nomirror.json")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.online and args.mirror_average != "auto":
        parser.error("--online runs the live node with its default mirror_average (auto)")

    from har_ros.action_config import resolve_model_path
    from har_ros.bag_eval import score_trace
    from har_ros.bag_report import evaluate_labelled_bag
    from har_ros.classifier import ActionClassifier

    model_dir = Path(resolve_model_path(args.model))
    name = model_dir.name
    bag = args.bag or args.cache / "vtest_skeletons"
    extraction = None
    video = None
    if not bag.exists() or args.figures:
        video = find_video(args.video, args.cache)
    if not bag.exists():
        print(f"building the skeleton bag {bag} from {video} (once)", file=sys.stderr)
        extraction = build_skeleton_bag(video, bag, progress=not args.no_progress)
    clf = ActionClassifier.load(model_dir, mirror_average=args.mirror_average)
    report, trace, labels = evaluate_labelled_bag(str(bag), str(args.labels), str(model_dir),
                                                  progress=not args.no_progress, classifier=clf)
    origin = report["origin_ns"]
    offline = walker_metrics(trace, labels, origin)
    result: dict = {
        "model": str(model_dir), "model_name": name, "bag": str(bag), "labels": str(args.labels),
        "mirror_average": clf.mirror_averaging,
        "extraction": extraction, "frames": trace.frames_in, "span_s": trace.span_s,
        "tracks": len(_per_track_frames(trace)), "labelled_tracks": len(labels.tracks),
        "offline": {"walkers": offline, "report": _compact(report)},
        "load_average": os.getloadavg(),
    }
    print(summary_line("offline", offline))
    if args.online:
        from har_ros.ros.bag_online import compare_runs, online_trace, run_online

        work = args.cache / f"online_{name}_{int(time.time())}"
        run = run_online(str(bag), report["topics"], str(model_dir), work)
        on_trace, stats = online_trace(str(bag), report["topics"], trace.classes, run)
        on_report = score_trace(on_trace, labels, report["topics"])
        on_report.update(stats, mode="online")
        online = walker_metrics(on_trace, labels, on_report["origin_ns"])
        result["online"] = {"walkers": online, "report": _compact(on_report),
                            "difference": compare_runs(report, on_report, trace, on_trace,
                                                       len(run["published"]))}
        print(summary_line("online", online))
    if args.figures:
        paths = render_figures(video, bag, trace, labels, origin, offline, args.frame_s,
                               ROOT / "docs")
        print("figures: " + ", ".join(str(p) for p in paths))
    suffix = ("_online" if args.online else "") + (
        "_nomirror" if args.mirror_average == "off" else "")
    path = RESULTS / f"walkers_{name}{suffix}.json"
    path.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
