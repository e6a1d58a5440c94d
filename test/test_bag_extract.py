"""'har-ros extract': video or image bag -> SkeletonArray bag + per-track keypoint CSVs."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
from nodes_for_tests.bag_fixtures import T0_NS

from har_ros.bags.reader import BagReader, decode_skeletons
from har_ros.bags.writer import BagWriter, image_message
from har_ros.errors import DataError

from conftest import require_file


def _args(**kw) -> argparse.Namespace:
    base = dict(bag=None, video=None, topics=None, camera="cam0", storage="mcap",
                backend="openpose_mobilenet", net_height=368, limit=0, no_progress=True,
                ros_args=[])
    base.update(kw)
    return argparse.Namespace(**base)


def _weights_or_skip():
    from har_ros.errors import BackendUnavailableError
    from har_ros.pose.weights import OPENPOSE_MOBILENET_THIN, locate_weights

    try:
        locate_weights(OPENPOSE_MOBILENET_THIN)
    except BackendUnavailableError as exc:
        pytest.skip(f"OpenPose weights absent ({exc})")


def test_extract_from_video_and_from_bag(tmp_path, shared_data):
    import cv2

    from har_ros.tools import extract

    _weights_or_skip()
    video = require_file(shared_data / "video" / "exercise.avi")
    assert extract.run(_args(video=str(video), out=str(tmp_path / "v"), limit=3)) == 0
    with BagReader(tmp_path / "v" / "skeletons") as bag:
        frames = [decode_skeletons(bag.deserialize(m)) for m in bag.messages()]
    # 10 fps stamps from 1 s: the unset stamp 0 is refused by the nodes and bag tools
    assert [f.stamp_ns for f in frames] == [1_000_000_000, 1_100_000_000, 1_200_000_000]
    assert all(len(f.track_ids) == 3 for f in frames), "three people in exercise.avi"
    tid = frames[0].track_ids[0]
    name = f"exercise_{tid.replace('/', '_')}"
    rows = np.loadtxt(tmp_path / "v" / f"{name}_keypoints.csv", delimiter=",")
    assert rows.shape == (3, 36)
    first = frames[0].skeletons[0]
    np.testing.assert_allclose(rows[0].reshape(18, 2)[first[:, 2] > 0], first[first[:, 2] > 0, :2],
                               atol=0.01)
    stamps = (tmp_path / "v" / f"{name}_stamps.csv").read_text().splitlines()
    assert stamps[0] == "frame_index,stamp_ns,time_s" and len(stamps) == 4
    assert "exercise_cam0" in (tmp_path / "v" / "manifest.csv").read_text()

    cap = cv2.VideoCapture(str(video))
    with BagWriter(tmp_path / "img", "sqlite3") as bag:
        for i in range(2):
            frame = cap.read()[1]
            bag.write_message("/front/image_raw/compressed", T0_NS + i,
                              image_message(frame, T0_NS + 7 * i, "front", compressed=True))
    cap.release()
    assert extract.run(_args(bag=str(tmp_path / "img"), out=str(tmp_path / "b"))) == 0
    with BagReader(tmp_path / "b" / "skeletons") as bag:
        assert list(bag.topics) == ["/front/skeletons"]
        got = [decode_skeletons(bag.deserialize(m)) for m in bag.messages()]
    assert [f.stamp_ns for f in got] == [T0_NS, T0_NS + 7], "header stamps kept"
    assert got[0].frame_id == "front" and len(got[0].track_ids) == 3
    with pytest.raises(DataError, match="exists already"):
        extract.run(_args(bag=str(tmp_path / "img"), out=str(tmp_path / "b")))
