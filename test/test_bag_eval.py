"""Offline bag evaluation with the nodes' core code: deterministic scores on a synthetic
skeleton bag whose right answer is known, the report and plots of the command, and errors."""

from __future__ import annotations

import argparse
import json

import pytest
from nodes_for_tests.bag_fixtures import LeftRightClassifier, write_left_right_bag

from har_ros import seg_metrics as sm
from har_ros.bag_eval import camera_of, evaluate_offline, score_trace
from har_ros.bags.labels import parse_labels
from har_ros.bags.writer import BagWriter
from har_ros.errors import DataError

LABELS = """version: 1
intervals:
  - {start: 0, end: 6, label: left}
  - {start: 6, end: 12, label: right}
"""


def test_camera_names_from_topics():
    assert camera_of("/cam0/image_raw") == "cam0"
    assert camera_of("/a/b/image_raw/compressed") == "a_b"
    assert camera_of("/cam1/skeletons") == "cam1"


def test_held_labels_and_runs():
    assert sm.held_labels([10, 20], ["a", "b"], [5, 10, 15, 25]) == ["no_decision", "a", "a", "b"]
    runs = sm.truth_runs([0.0, 0.1, 0.2, 5.0, 5.1], ["a", "a", None, "a", "b"])
    assert runs == [(0, 2, "a"), (3, 4, "a"), (4, 5, "b")]
    d = sm.detection_delays([0.0, 0.1, 0.2, 0.3], ["a", "a", "a", "b"], ["x", "x", "a", "b"])
    assert d[0]["delay_s"] == pytest.approx(0.2) and d[1]["delay_s"] == 0.0


@pytest.mark.parametrize("storage", ["sqlite3", "mcap"])
def test_synthetic_skeleton_bag_scores(tmp_path, storage):
    write_left_right_bag(tmp_path / "bag", storage)
    trace, topics = evaluate_offline(tmp_path / "bag", classifier=LeftRightClassifier(),
                                     progress=False)
    rep = score_trace(trace, parse_labels(LABELS), topics)
    assert rep["frames"] == 120 and rep["span_s"] == pytest.approx(11.9)
    for stream in ("operator", "tracks"):
        frame = rep[stream]["frame"]
        # no decision until half a window (0.45 s: min_window_fill 0.5) is buffered, i.e. the
        # first 5 frames; everything after is right, except 0.5 s after the switch (the
        # window mean crosses the threshold half way)
        assert frame["no_decision_rate"] == pytest.approx(5 / 120)
        assert frame["accuracy"] == pytest.approx((120 - 5 - 5) / 120)
        assert frame["unknown_rate"] == 0.0
        assert frame["confusion_matrix"][1][0] == 5, "right frames still called left"
        delays = [s["delay_s"] for s in rep[stream]["segments"]]
        assert delays == pytest.approx([0.5, 0.5])
    assert rep["clips"]["accuracy"] == 1.0 and rep["clips"]["n"] == 2
    # deterministic: the same bag gives the same trace
    again, _ = evaluate_offline(tmp_path / "bag", classifier=LeftRightClassifier(),
                                progress=False)
    assert [(e.stamp_ns, e.label) for e in again.operator] == [
        (e.stamp_ns, e.label) for e in trace.operator]


def test_per_track_labels_and_unknown_truth(tmp_path):
    write_left_right_bag(tmp_path / "bag")
    labels = parse_labels("version: 1\nintervals:\n"
                          "  - {start: 0, end: 12, label: unknown}\n"
                          "  - {start: 6, end: 12, label: right, track: cam0/1}\n")
    trace, topics = evaluate_offline(tmp_path / "bag", classifier=LeftRightClassifier(),
                                     progress=False)
    rep = score_trace(trace, labels, topics)
    assert rep["operator"]["frame"]["accuracy"] == 0.0, "the model never abstains"
    assert rep["tracks"]["frame"]["per_class"]["right"]["support"] == 60
    with pytest.raises(DataError, match=r"<labels>:4: unknown label 'up'"):
        score_trace(trace, parse_labels(LABELS.replace("right", "up")), topics)
    with pytest.raises(DataError, match=r"<labels>:4: interval \[6, 20\) s lies outside"):
        score_trace(trace, parse_labels(LABELS.replace("end: 12", "end: 20")), topics)


def test_command_writes_report_and_plots(tmp_path):
    from nodes_for_tests.bag_fixtures import tiny_checkpoint

    from har_ros.tools import evaluate_bag

    write_left_right_bag(tmp_path / "bag", "mcap")
    (tmp_path / "labels.yaml").write_text(LABELS)
    model = tiny_checkpoint(tmp_path / "model", ["left", "right"])
    args = argparse.Namespace(bag=str(tmp_path / "bag"), labels=str(tmp_path / "labels.yaml"),
                              model=str(model), topics=None, out=str(tmp_path / "out"),
                              online=False, no_progress=True, ros_args=[])
    assert evaluate_bag.run(args) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    off = report["offline"]
    assert off["classes"] == ["left", "right"] and off["frames"] == 120
    assert len(off["tracks"]["frame"]["confusion_matrix"]) == 4
    for name in ("offline_confusion.png", "offline_timeline.png"):
        assert (tmp_path / "out" / name).stat().st_size > 5000


def test_bag_without_input_topics(tmp_path):
    with BagWriter(tmp_path / "bag") as bag:
        from har_ros.bags.typestore import make_typestore

        msg = make_typestore().types["std_msgs/msg/String"](data="hi")
        bag.write_message("/chatter", 1, msg)
    with pytest.raises(DataError, match=r"no Image, CompressedImage or SkeletonArray topic.*"
                                        r"/chatter \(std_msgs/msg/String\)"):
        evaluate_offline(tmp_path / "bag", classifier=LeftRightClassifier(), progress=False)
    with pytest.raises(DataError, match="'/chatter' has type std_msgs/msg/String"):
        evaluate_offline(tmp_path / "bag", ["/chatter"], classifier=LeftRightClassifier())
