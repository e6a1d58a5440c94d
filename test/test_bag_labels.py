"""The labels format: parsing, and errors that name the file and line."""

from __future__ import annotations

import pytest

from har_ros.bags.labels import Interval, dump_labels, load_labels, parse_labels
from har_ros.errors import DataError

GOOD = """version: 1
classes: [squat, jumping_jacks]
intervals:
  - {start: 0.0, end: 2.5, label: squat}
  - {start: 2.5, end: 4.0, label: unknown}
  - start: 1.0
    end: 3.0
    label: jumping_jacks
    track: cam0/2
"""


def test_parse_and_lookup(tmp_path):
    (tmp_path / "l.yaml").write_text(GOOD)
    lab = load_labels(tmp_path / "l.yaml")
    assert lab.version == 1 and lab.tracks == ["", "cam0/2"]
    assert lab.label_at(0.0) == "squat" and lab.label_at(2.5) == "unknown"
    assert lab.label_at(4.0) is None, "end is exclusive"
    assert lab.label_at(2.0, "cam0/2") == "jumping_jacks"
    assert lab.label_at(2.0, "cam0/7") == "squat", "tracks without intervals use the global"
    assert lab.intervals[2].line == 6
    again = parse_labels(dump_labels(lab.intervals, lab.classes))
    assert [(i.start_s, i.end_s, i.label, i.track) for i in again.intervals] == [
        (i.start_s, i.end_s, i.label, i.track) for i in lab.intervals]


@pytest.mark.parametrize("edit, message", [
    (("end: 2.5, label: squat", "end: 2.6, label: squat"),
     r"l.yaml:5: interval \[2.5, 4\) overlaps \[0, 2.6\) from line 4"),
    (("label: unknown", "label: pushup"), r"l.yaml:5: unknown label 'pushup'"),
    (("version: 1", "version: 7"), r"l.yaml: 'version' must be 1"),
    (("end: 4.0", "end: -1"), r"l.yaml:5: start 2.5 s must be before end -1 s"),
    (("end: 4.0", "end: soon"), r"l.yaml:5: 'end' must be a number"),
    (("label: squat}", "label: squat, who: me}"), r"l.yaml:4: unknown key\(s\) \['who'\]"),
    (("end: 2.5, label: squat}", "end: 2.5}"), r"l.yaml:4: interval has no 'label'"),
    (("  - {start: 0.0", "  - {start: [0.0"), r"l.yaml:4: not valid YAML"),
])
def test_bad_labels_name_the_line(tmp_path, edit, message):
    (tmp_path / "l.yaml").write_text(GOOD.replace(*edit, 1))
    with pytest.raises(DataError, match=message):
        load_labels(tmp_path / "l.yaml")


def test_model_classes_and_bag_range(tmp_path):
    (tmp_path / "l.yaml").write_text(GOOD)
    lab = load_labels(tmp_path / "l.yaml")
    lab.check_classes(["squat", "jumping_jacks", "pushup"])
    with pytest.raises(DataError, match=r"l.yaml:6: unknown label 'jumping_jacks'"):
        lab.check_classes(["squat", "pushup"])
    lab.check_range(4.0)
    with pytest.raises(DataError, match=r"l.yaml:5: interval \[2.5, 4\) s lies outside the bag"):
        lab.check_range(3.0)
    with pytest.raises(DataError, match="does not exist"):
        load_labels(tmp_path / "missing.yaml")
    assert Interval(0, 1, "a").track == ""
