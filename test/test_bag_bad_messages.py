"""Bag tools skip and count bad messages instead of aborting the whole bag: `evaluate --bag`,
`extract` and the training loader on real bags (written by rosbags) with corrupt messages in
the middle; labels files that are not UTF-8 text get a clear error, not a traceback."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from nodes_for_tests.bag_fixtures import T0_NS, spoil, tiny_checkpoint, write_left_right_bag

from har_ros.bags.labels import load_labels
from har_ros.bags.reader import BagReader, decode_skeletons
from har_ros.bags.writer import BagWriter, image_message
from har_ros.cli import main
from har_ros.errors import DataError

LABELS = """version: 1
intervals:
  - {start: 0, end: 6, label: left}
  - {start: 6, end: 12, label: right}
"""
#: frames 30 and 90 cut short, frame 31 stamped sec = -1 (of 120 frames, 10 fps)
BAD = {30: "truncated", 31: "negative_stamp", 90: "truncated"}


@pytest.mark.reliability("skeleton bag with 2 truncated CDR messages and 1 stamped sec=-1 "
                         "(of 120), `har-ros evaluate --bag`",
                         "the 3 are skipped and counted by cause in the output and report.json; "
                         "the other 117 frames are evaluated")
@pytest.mark.parametrize("storage", ["sqlite3", "mcap"])
def test_evaluate_skips_and_counts_bad_messages(tmp_path, capsys, storage):
    write_left_right_bag(tmp_path / "bag", storage, bad=BAD)
    (tmp_path / "labels.yaml").write_text(LABELS)
    model = tiny_checkpoint(tmp_path / "model", ["left", "right"])
    rc = main(["evaluate", "--bag", str(tmp_path / "bag"), "--labels",
               str(tmp_path / "labels.yaml"), "--model", str(model), "--out",
               str(tmp_path / "out"), "--no-progress"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "skipped 3 of 120 messages: 2 bad CDR, 1 bad stamp" in out
    off = json.loads((tmp_path / "out" / "report.json").read_text())["offline"]
    assert off["frames"] == 117
    assert off["skipped_messages"]["by_cause"] == {"bad CDR": 2, "bad stamp": 1}
    assert "sec = -1" in off["skipped_messages"]["first_reason"]["bad stamp"]
    # frames after each bad one were evaluated: both truth segments are scored to the end
    assert off["tracks"]["frame"]["n"] == 117
    assert [s["label"] for s in off["tracks"]["segments"]] == ["left", "right"]


@pytest.mark.reliability("skeleton bag with 2 truncated CDR messages and 1 stamped sec=-1, "
                         "read for training (`--dataset rosbag`)",
                         "the 3 are skipped (a warning counts them); 117 frames loaded")
def test_training_loader_skips_bad_messages(tmp_path, caplog):
    from har_ros.data.rosbag import load_rosbag_recordings

    write_left_right_bag(tmp_path / "bag", bad=BAD)
    (tmp_path / "labels.yaml").write_text(LABELS)
    data = load_rosbag_recordings([tmp_path / "bag"], [tmp_path / "labels.yaml"])
    assert [s.num_frames for s in data.sequences] == [117]
    assert "skipped 3 of 120 messages: 2 bad CDR, 1 bad stamp" in caplog.text


def _weights_or_skip():
    from har_ros.errors import BackendUnavailableError
    from har_ros.pose.weights import OPENPOSE_MOBILENET_THIN, locate_weights

    try:
        locate_weights(OPENPOSE_MOBILENET_THIN)
    except BackendUnavailableError as exc:
        pytest.skip(f"OpenPose weights absent ({exc})")


@pytest.mark.reliability("image bag of 5 with a truncated CDR message, an Image whose data is "
                         "shorter than height*step and one with an unset (zero) stamp, "
                         "`har-ros extract`",
                         "the 3 are skipped and counted by cause (output and "
                         "extract_report.json); the 2 good frames are extracted")
def test_extract_skips_and_counts_bad_images(tmp_path, capsys):
    _weights_or_skip()
    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)
    with BagWriter(tmp_path / "img", "mcap") as bag:
        for i in range(5):
            stamp = T0_NS + i * 100_000_000
            msg = image_message(image, stamp, "cam0_optical")
            bag.add_topic("/cam0/image_raw", msg.__msgtype__)
            if i == 1:
                raw = spoil(msg, "truncated")
            elif i == 2:
                raw = _ser(replace(msg, data=msg.data[:100]))
            elif i == 3:
                raw = spoil(msg, "zero_stamp")
            else:
                raw = _ser(msg)
            bag.write("/cam0/image_raw", stamp + 1_000_000, raw)
    rc = main(["extract", "--bag", str(tmp_path / "img"), "--out", str(tmp_path / "x"),
               "--net-height", "128", "--no-progress"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "extract: skipped 3 of 5 messages: 1 bad CDR, 1 bad image, 1 bad stamp" in out
    with BagReader(tmp_path / "x" / "skeletons") as got:
        stamps = [decode_skeletons(got.deserialize(m)).stamp_ns for m in got.messages()]
    assert stamps == [T0_NS, T0_NS + 400_000_000]
    report = json.loads((tmp_path / "x" / "extract_report.json").read_text())
    assert report["frames"] == 2
    assert report["skipped_messages"]["by_cause"] == {"bad CDR": 1, "bad image": 1,
                                                      "bad stamp": 1}
    assert "expected" in report["skipped_messages"]["first_reason"]["bad image"]


def _ser(msg) -> bytes:
    from har_ros.bags.typestore import make_typestore

    return bytes(make_typestore().serialize_cdr(msg, msg.__msgtype__))


def _png() -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))
    assert ok
    return buf.tobytes()


@pytest.mark.reliability("labels file that is random bytes, a PNG, or UTF-16 text",
                         "DataError naming the file: not a UTF-8 text YAML file; "
                         "`har-ros evaluate` exits 2 without a traceback")
@pytest.mark.parametrize("kind", ["random", "png", "utf16"])
def test_binary_labels_file_is_a_clear_error(tmp_path, capsys, kind):
    content = {"random": np.random.default_rng(1).bytes(300), "png": _png(),
               "utf16": LABELS.encode("utf-16")}[kind]
    path = tmp_path / "l.yaml"
    path.write_bytes(content)
    with pytest.raises(DataError, match=r"l.yaml is not a UTF-8 text YAML file"):
        load_labels(path)
    write_left_right_bag(tmp_path / "bag", left_s=1.0, right_s=1.0)
    rc = main(["evaluate", "--bag", str(tmp_path / "bag"), "--labels", str(path),
               "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "not a UTF-8 text YAML file" in err and str(path) in err
    assert "Traceback" not in err
