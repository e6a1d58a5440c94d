"""Bags written by har_ros.bags (sqlite3 and mcap) read back in rosbags and rclpy, and broken
bags, unknown topics and unknown types fail with DataErrors that name the file and topic."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
from nodes_for_tests.bag_fixtures import T0_NS, standing_skeleton

from har_ros.bags import typestore as ts
from har_ros.bags.reader import BagReader, decode_image, decode_skeletons
from har_ros.bags.writer import BagWriter, image_message, skeleton_message
from har_ros.errors import DataError
from har_ros.frames import SkeletonFrame

STORAGES = ["sqlite3", "mcap"]


def _frame(i: int) -> SkeletonFrame:
    sk = np.stack([standing_skeleton(100 + i), standing_skeleton(250)])
    sk[1, 3] = 0.0  # a missing joint
    return SkeletonFrame(T0_NS + i * 100_000_000, "cam0_optical", "cam0", 320, 240, "test", sk,
                         [f"cam0/{i}", "cam0/99"], np.array([0.9, 0.5], np.float32))


def _write(path, storage, n=20):
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (24, 32, 3), dtype=np.uint8) for _ in range(n)]
    with BagWriter(path, storage) as bag:
        for i in range(n):
            stamp = T0_NS + i * 100_000_000
            bag.write_message("/cam0/image_raw", stamp + 5, image_message(images[i], stamp, "c"))
            bag.write_message("/cam0/skeletons", stamp + 7, skeleton_message(_frame(i)))
    return images


@pytest.mark.parametrize("storage", STORAGES)
def test_round_trip_in_rosbags_and_rclpy(tmp_path, storage):
    from rclpy.serialization import deserialize_message
    from sensor_msgs.msg import Image

    from har_ros.msg import SkeletonArray
    from har_ros.ros import conversions as conv

    images = _write(tmp_path / "bag", storage)
    with BagReader(tmp_path / "bag") as bag:
        assert bag.storage == storage
        assert {t: (i.msgtype, i.count) for t, i in bag.topics.items()} == {
            "/cam0/image_raw": (ts.IMAGE, 20), "/cam0/skeletons": (ts.SKELETON_ARRAY, 20)}
        assert bag.start_ns == T0_NS + 5
        msgs = list(bag.messages())
        assert [m.log_ns for m in msgs] == sorted(m.log_ns for m in msgs)
        skel = [m for m in msgs if m.topic == "/cam0/skeletons"]
        imgs = [m for m in msgs if m.topic == "/cam0/image_raw"]
        for i, (ms, mi) in enumerate(zip(skel, imgs, strict=True)):
            # rosbags decoding
            frame = decode_skeletons(bag.deserialize(ms))
            assert frame.stamp_ns == T0_NS + i * 100_000_000
            assert frame.track_ids == [f"cam0/{i}", "cam0/99"]
            np.testing.assert_array_equal(frame.skeletons, _frame(i).skeletons)
            np.testing.assert_array_equal(decode_image(bag.deserialize(mi)), images[i])
            # rclpy decoding of the same bytes (type hash and layout agree)
            rmsg = conv.msg_to_skeletons(deserialize_message(ms.data, SkeletonArray))
            np.testing.assert_array_equal(rmsg.skeletons, frame.skeletons)
            assert rmsg.camera_name == "cam0" and rmsg.scores[0] == pytest.approx(0.9)
            np.testing.assert_array_equal(
                conv.imgmsg_to_bgr(deserialize_message(mi.data, Image)), images[i])


def test_typestore_hashes_match_rosidl():
    import json
    import sys
    from pathlib import Path

    store = ts.make_typestore()
    share = Path(sys.prefix) / "share"
    for msgtype in (ts.SKELETON_ARRAY, ts.ACTION_STAMPED, ts.IMAGE):
        pkg, _, name = msgtype.split("/")
        meta = share / pkg / "msg" / f"{name}.json"
        if not meta.is_file():
            pytest.skip(f"{meta} absent (messages not installed in this prefix)")
        want = json.loads(meta.read_text())["type_hashes"][0]["hash_string"]
        assert store.hash_rihs01(msgtype) == want, msgtype


@pytest.mark.parametrize("storage", STORAGES)
def test_truncated_bag_is_a_clear_error(tmp_path, storage):
    _write(tmp_path / "bag", storage, n=30)
    data = next(p for p in (tmp_path / "bag").iterdir() if p.suffix in (".db3", ".mcap"))
    os.truncate(data, data.stat().st_size // 2)
    with pytest.raises(DataError, match=r"bag .*bag.*(truncated|corrupt)"):
        with BagReader(tmp_path / "bag") as bag:
            list(bag.messages())


def _snapshot(src, dst):
    """The bag folder as a SIGKILL would leave it now: the files' bytes on disk, no
    metadata.yaml (written on close)."""
    dst.mkdir()
    for f in src.iterdir():
        if f.name != "metadata.yaml":
            shutil.copyfile(f, dst / f.name)


def test_killed_mcap_bag_is_recovered_up_to_the_last_flush(tmp_path):
    from har_ros.bags.reindex import reindex

    with BagWriter(tmp_path / "bag", "mcap") as bag:
        for i in range(10):
            bag.write_message("/cam0/skeletons", T0_NS + i, skeleton_message(_frame(i)))
        bag.flush()
        for i in range(10, 15):  # after the last flush: lost in a kill
            bag.write_message("/cam0/skeletons", T0_NS + i, skeleton_message(_frame(i)))
        _snapshot(tmp_path / "bag", tmp_path / "killed")
    mcap = tmp_path / "killed" / "bag.mcap"
    with mcap.open("ab") as f:  # the record being written when the kill came
        f.write(b"\x06" + (5000).to_bytes(8, "little") + b"\x00" * 100)
    with pytest.raises(DataError, match="--reindex"):
        BagReader(tmp_path / "killed")
    assert reindex(tmp_path / "killed") == {"/cam0/skeletons": 10}
    meta = (tmp_path / "killed" / "metadata.yaml").read_text()
    assert ts.make_typestore().hash_rihs01(ts.SKELETON_ARRAY) in meta  # as rosbag2 writes it
    with BagReader(tmp_path / "killed") as bag:
        assert bag.topics["/cam0/skeletons"].msgtype == ts.SKELETON_ARRAY
        msgs = list(bag.messages())
        assert [m.log_ns - T0_NS for m in msgs] == list(range(10))
        got = decode_skeletons(bag.deserialize(msgs[3]))
        np.testing.assert_array_equal(got.skeletons, _frame(3).skeletons)
    size = mcap.stat().st_size
    assert reindex(tmp_path / "killed") == {"/cam0/skeletons": 10}  # idempotent
    assert mcap.stat().st_size == size


def test_reindex_refuses_what_it_cannot_repair(tmp_path):
    from har_ros.bags.reindex import reindex

    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no .db3 or .mcap"):
        reindex(tmp_path / "empty")
    (tmp_path / "fake").mkdir()
    (tmp_path / "fake" / "fake.mcap").write_bytes(b"not an mcap file at all")
    with pytest.raises(DataError, match="not an MCAP file"):
        reindex(tmp_path / "fake")


def test_missing_metadata_and_missing_bag(tmp_path):
    _write(tmp_path / "bag", "sqlite3", n=2)
    with pytest.raises(DataError, match="does not exist"):
        BagReader(tmp_path / "nope")
    (tmp_path / "bag" / "metadata.yaml").unlink()
    with pytest.raises(DataError, match="no metadata.yaml"):
        BagReader(tmp_path / "bag")


def test_unknown_topic_and_type(tmp_path):
    _write(tmp_path / "bag", "mcap", n=2)
    with BagReader(tmp_path / "bag") as bag:
        with pytest.raises(DataError, match=r"unknown topic '/cam1/image_raw'.*/cam0/skeletons"):
            list(bag.messages(["/cam1/image_raw"]))
        with pytest.raises(DataError, match="'/cam0/skeletons' has type har_ros/msg/Skel"):
            bag.check_topics(["/cam0/skeletons"], ts.IMAGE_TYPES)
    with BagWriter(tmp_path / "w", "sqlite3") as w, pytest.raises(DataError, match="foo/msg/Bar"):
        w.add_topic("/x", "foo/msg/Bar")
    # a type that is neither known nor defined in the bag
    from rosbags.rosbag2 import Writer

    with Writer(tmp_path / "odd", version=9) as raw:
        conn = raw.add_connection("/odd", "foo/msg/Bar", msgdef="garbage ! ! !",
                                  rihs01="RIHS01_" + "0" * 64)
        raw.write(conn, 1, b"\x00\x01\x00\x00")
    with BagReader(tmp_path / "odd") as bag:
        m = next(bag.messages())
        with pytest.raises(DataError, match="unknown message type 'foo/msg/Bar'"):
            bag.deserialize(m)


def test_writer_refuses_existing_output_and_keeps_data_on_error(tmp_path):
    _write(tmp_path / "bag", "sqlite3", n=2)
    with pytest.raises(DataError, match="exists already"):
        BagWriter(tmp_path / "bag")
    with pytest.raises(RuntimeError), BagWriter(tmp_path / "b2", "mcap") as w:
        w.write_message("/cam0/skeletons", 1, skeleton_message(_frame(0)))
        raise RuntimeError("crash while recording")
    with BagReader(tmp_path / "b2") as bag:
        assert bag.message_count == 1
    shutil.rmtree(tmp_path / "b2")
