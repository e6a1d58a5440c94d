"""vtest.avi per-track labels (test/nodes_for_tests/vtest_labels.yaml) and the walker metrics of
bench/bench_walkers.py (issue #10, "Real footage")."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from bench.bench_walkers import T0_NS, build_skeleton_bag, walker_metrics
from har_ros.bag_eval import Event, Trace
from har_ros.bags.labels import load_labels, parse_labels

from conftest import require_file

LABELS = Path(__file__).parent / "nodes_for_tests" / "vtest_labels.yaml"
#: vtest.avi: 795 frames at 10 fps, so the last frame is at 79.4 s from the first.
VTEST_SPAN_S = 79.4
FIRST_FRAMES = 5


def test_vtest_labels_load_and_name_well_formed_tracks():
    from har_ros.action_config import default_model_path
    from har_ros.classifier import ActionClassifier

    labels = load_labels(LABELS)
    assert "openpose_mobilenet" in labels.description and "px" in labels.description, \
        "the description says how the labels were made"
    assert labels.intervals and all(re.fullmatch(r"cam0/\d+", iv.track)
                                    for iv in labels.intervals), "every interval names a track"
    assert set(labels.labels_used()) <= {"walk", "unknown"}
    assert "walk" in labels.labels_used()
    labels.check_range(VTEST_SPAN_S)
    labels.check_classes(ActionClassifier.load(default_model_path()).classes)
    raw = yaml.safe_load(LABELS.read_text())
    assert all(item.get("note") for item in raw["intervals"]), "a note per interval"


def _vtest_video_or_skip() -> Path:
    from har_ros.demo_assets import demo_video_path
    from har_ros.errors import BackendUnavailableError
    from har_ros.pose.weights import OPENPOSE_MOBILENET_THIN, locate_weights

    try:
        locate_weights(OPENPOSE_MOBILENET_THIN)
    except BackendUnavailableError as exc:
        pytest.skip(f"OpenPose weights absent ({exc})")
    return require_file(demo_video_path())


def test_labelled_tracks_exist_in_a_fresh_extraction(tmp_path):
    """The ids the labels name are those a fresh extraction gives: every track labelled from
    the clip's first second is seen, with that id, in the first frames extracted now."""
    from har_ros.bags.reader import BagReader, decode_skeletons

    video = _vtest_video_or_skip()
    build_skeleton_bag(video, tmp_path / "bag", progress=False, limit=FIRST_FRAMES)
    with BagReader(tmp_path / "bag") as bag:
        frames = [decode_skeletons(bag.deserialize(m)) for m in bag.messages()]
    assert len(frames) == FIRST_FRAMES and frames[0].stamp_ns == T0_NS
    seen = {tid for f in frames for tid in f.track_ids}
    early = {iv.track for iv in load_labels(LABELS).intervals if iv.start_s < 0.05}
    assert early, "some tracks are labelled from the first frame"
    assert early <= seen, f"labelled tracks {sorted(early - seen)} are not in the extraction"


def _labels(tmp_path: Path, text: str):
    path = tmp_path / "l.yaml"
    path.write_text(text)
    return parse_labels(text, path)


def test_walker_metrics_count_ok_decisions_and_walk_time_after_warmup(tmp_path):
    """Two walkers and a stander, 10 frames each at 10 fps: the OK-decision share counts only
    walkers' OK decisions inside their walk intervals; walk time starts at each walker's first
    decision; a walker with no decision is reported as never warmed up."""
    labels = _labels(tmp_path, (
        "version: 1\nintervals:\n"
        "  - {start: 0.0, end: 1.0, label: walk, track: cam0/1}\n"
        "  - {start: 0.0, end: 1.0, label: walk, track: cam0/2}\n"
        "  - {start: 0.0, end: 1.0, label: unknown, track: cam0/3}\n"
        "  - {start: 0.0, end: 1.0, label: walk, track: cam0/4}\n"))
    stamps = [T0_NS + i * 100_000_000 for i in range(10)]
    trace = Trace(classes=["walk", "jog", "bowling"],
                  instants=[(s, "cam0", ["cam0/1", "cam0/2", "cam0/3", "cam0/4"])
                            for s in stamps])
    p = np.zeros(3, np.float32)
    trace.tracks = {
        # from frame 2: walk, walk, unknown (frame 6), jog (frame 8)
        "cam0/1": [Event(stamps[2], "walk", p), Event(stamps[4], "walk", p),
                   Event(stamps[6], "unknown", p), Event(stamps[8], "jog", p)],
        # from frame 5: bowling, then walk at frame 7
        "cam0/2": [Event(stamps[5], "bowling", p), Event(stamps[7], "walk", p)],
        "cam0/3": [Event(stamps[5], "bowling", p)],
    }
    m = walker_metrics(trace, labels, T0_NS)
    assert m["walker_tracks"] == 3 and m["walker_tracks_never_warmed_up"] == 1
    assert m["ok_decisions_on_walkers"] == 5  # walk walk jog | bowling walk
    assert m["ok_decisions_walk_fraction"] == pytest.approx(3 / 5)
    assert m["ok_decisions_walk_or_jog_fraction"] == pytest.approx(4 / 5)
    rows = {r["track"]: r for r in m["per_track"]}
    assert rows["cam0/1"]["walk_time_fraction"] == pytest.approx(4 / 8)  # frames 2-9
    assert rows["cam0/1"]["walk_or_jog_time_fraction"] == pytest.approx(6 / 8)
    assert rows["cam0/2"]["walk_time_fraction"] == pytest.approx(3 / 5)  # frames 5-9
    assert m["walk_time_fraction_mean"] == pytest.approx((0.5 + 0.6) / 2)
    assert m["walkers_reaching_60pct"] == pytest.approx(0.5)
