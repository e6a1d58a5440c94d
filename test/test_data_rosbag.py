"""Skeleton recordings of our pose node in rosbag2 bags + interval labels -> a dataset."""

import sys
from pathlib import Path

import numpy as np
import pytest

from har_ros.data import load_dataset
from har_ros.data.rosbag import load_rosbag_recordings
from har_ros.errors import DataError

sys.path.insert(0, str(Path(__file__).parent / "nodes_for_tests"))
from bag_fixtures import write_left_right_bag  # noqa: E402

LABELS = """version: 1
classes: [left, right]
intervals:
  - {start: 0.0, end: 6.0, label: left}
  - {start: 6.0, end: 11.0, label: right}
  - {start: 11.0, end: 12.0, label: unknown}
"""


@pytest.mark.parametrize("storage", ["sqlite3", "mcap"])
def test_bag_and_intervals_become_labelled_sequences(tmp_path, storage):
    n = write_left_right_bag(tmp_path / "run1", storage)
    (tmp_path / "run1.labels.yaml").write_text(LABELS)
    ds = load_dataset("rosbag", str(tmp_path))
    assert ds.classes == ["left", "right"] and ds.fps == pytest.approx(10.0)
    (seq,) = ds.sequences
    assert seq.num_frames == n == 120 and seq.camera == "cam0" and seq.subject == "run1"
    assert seq.stamps_s[0] == 0.0 and seq.stamps_s[-1] == pytest.approx(11.9)
    assert (seq.label[:60] == 0).all() and (seq.label[60:110] == 1).all()
    assert (seq.label[110:] == -1).all(), "'unknown' frames are unlabelled"
    np.testing.assert_allclose(seq.skeletons[0, 1, 0], 100.0)  # the neck x in pixels


def test_mismatches_are_clear_errors(tmp_path):
    write_left_right_bag(tmp_path / "run1")
    bad = tmp_path / "bad.labels.yaml"
    bad.write_text(LABELS.replace("label: right", "label: jump"))
    with pytest.raises(DataError, match="jump"):
        load_rosbag_recordings([tmp_path / "run1"], [bad])
    with pytest.raises(DataError, match="one labels file per bag"):
        load_rosbag_recordings([tmp_path / "run1"], [])
    with pytest.raises(DataError, match="labels files missing"):
        load_dataset("rosbag", str(tmp_path))
