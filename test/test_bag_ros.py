"""record / play / evaluate --online over real Fast DDS in separate processes (loopback, own
domain): the recorded bag equals the played one byte for byte, Ctrl-C keeps what was recorded,
and the live action node's output scores like the offline run."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import cv2
import pytest
from nodes_for_tests.bag_fixtures import T0_NS

from har_ros.bags.reader import BagReader, decode_image
from har_ros.bags.writer import BagWriter, image_message
from har_ros.errors import DataError

from conftest import require_file
from ros_harness import REPO_ROOT, start_python, stop, subprocess_env

pytestmark = pytest.mark.ros


def _exercise_bag(path, video, n: int, storage: str = "mcap") -> None:
    cap = cv2.VideoCapture(str(video))
    with BagWriter(path, storage) as bag:
        for i in range(n):
            ok, frame = cap.read()
            assert ok
            stamp = T0_NS + i * 100_000_000  # the clip's 10 fps
            bag.write_message("/cam0/image_raw", stamp + 3_000_000,
                              image_message(frame, stamp, "cam0_optical"))
    cap.release()


def _wait_for(proc, text: str, timeout_s: float = 30.0) -> str:
    lines = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if text in line:
            return "".join(lines)
    raise AssertionError(f"no {text!r} from the process:\n{''.join(lines)}{stop(proc)}")


def test_play_then_record_in_separate_processes(ros_domain, shared_data, tmp_path):
    _, env = ros_domain
    video = require_file(shared_data / "video" / "exercise.avi")
    _exercise_bag(tmp_path / "src", video, 25)
    rec = start_python(["-m", "har_ros.cli", "record", "-o", str(tmp_path / "rec"),
                        "--storage", "sqlite3", "/cam0/image_raw", "/clock"], env)
    play = start_python(["-m", "har_ros.cli", "play", str(tmp_path / "src"), "--clock", "50",
                         "--wait-for-subscribers", "1", "--delay", "0.5", "--rate", "2"], env)
    try:
        _wait_for(rec, "subscribed to all 2 topics")
        play_out, _ = play.communicate(timeout=60)
        assert play.returncode == 0, play_out
        assert "published 25 messages" in play_out
        time.sleep(0.5)
    finally:
        rec_out = stop(rec)
        stop(play)
    assert rec.returncode == 0, rec_out
    assert "/cam0/image_raw: 25" in rec_out
    with BagReader(tmp_path / "src") as src, BagReader(tmp_path / "rec") as got:
        sent = [m.data for m in src.messages()]
        received = list(got.messages(["/cam0/image_raw"]))
        assert [m.data for m in received] == sent, "recorded bytes differ from the source"
        # timing kept: played at 2x, so 0.1 s of bag time is ~0.05 s between receptions
        gaps = [(b.log_ns - a.log_ns) * 1e-9 for a, b in zip(received, received[1:])]
        assert 0.03 < sorted(gaps)[len(gaps) // 2] < 0.08
        assert got.topics["/clock"].count > 10


def _interrupt_recording(env, shared_data, tmp_path, storage: str, sig: int, after_s: float):
    """Record a looping 10-frame clip, send ``sig`` to the recorder after ``after_s`` seconds
    while messages keep arriving; returns (recorder process, its output)."""
    video = require_file(shared_data / "video" / "exercise.avi")
    _exercise_bag(tmp_path / "src", video, 10, "sqlite3")
    rec = start_python(["-m", "har_ros.cli", "record", "-o", str(tmp_path / "rec"),
                        "--storage", storage, "/cam0/image_raw"], env)
    play = start_python(["-m", "har_ros.cli", "play", str(tmp_path / "src"), "--loop",
                         "--wait-for-subscribers", "1"], env)
    try:
        _wait_for(rec, "subscribed to all 1 topics")
        time.sleep(after_s)
        rec.send_signal(sig)
        rec.wait(timeout=20)
        out = stop(rec)
    finally:
        stop(play)
        stop(rec)
    return rec, out


def test_ctrl_c_keeps_what_was_recorded(ros_domain, shared_data, tmp_path):
    rec, out = _interrupt_recording(ros_domain[1], shared_data, tmp_path, "mcap",
                                    signal.SIGINT, 2.5)
    assert rec.returncode == 0, out
    count = int(out.split("messages in")[0].rsplit(":", 1)[-1].strip().split()[-1])
    assert count >= 10
    with BagReader(tmp_path / "rec") as bag:
        assert bag.message_count == count
        assert all(len(m.data) > 300_000 for m in bag.messages())


def test_online_evaluation_matches_offline(ros_domain, tmp_path):
    from nodes_for_tests.bag_fixtures import tiny_checkpoint, write_left_right_bag

    from har_ros.action_config import ActionNodeConfig
    from har_ros.bag_eval import evaluate_offline, score_trace
    from har_ros.bags.labels import parse_labels
    from har_ros.ros.bag_online import compare_runs, online_trace, run_online

    write_left_right_bag(tmp_path / "bag", left_s=3.0, right_s=3.0)
    model = str(tiny_checkpoint(tmp_path / "model", ["left", "right"]))
    labels = parse_labels("version: 1\nintervals:\n  - {start: 0, end: 3, label: left}\n"
                          "  - {start: 3, end: 6, label: right}\n")
    off_trace, topics = evaluate_offline(tmp_path / "bag", action_config=ActionNodeConfig(
        model_path=model), progress=False)
    offline = score_trace(off_trace, labels, topics)
    run = run_online(str(tmp_path / "bag"), topics, model, tmp_path / "online")
    on_trace, stats = online_trace(str(tmp_path / "bag"), topics, off_trace.classes, run)
    online = score_trace(on_trace, labels, topics)
    diff = compare_runs(offline, online, off_trace, on_trace, len(run["published"]))
    assert diff["frames_dropped"] == 0 and len(run["published"]) == 60
    # every window classified live, with the same per-track decisions as offline
    assert diff["per_track_decisions_online"] == diff["per_track_decisions_offline"] > 0
    off_events = [(e.stamp_ns, e.label) for e in off_trace.tracks["cam0/1"]]
    assert [(e.stamp_ns, e.label) for e in on_trace.tracks["cam0/1"]] == off_events
    assert online["tracks"]["frame"]["accuracy"] == offline["tracks"]["frame"]["accuracy"]
    assert stats["latency_ms_p50"] is not None and stats["latency_ms_p50"] > 0


def test_exercise_bag_offline_and_online(ros_domain, shared_data, tmp_path):
    """The first 4 s of exercise.avi as an image bag, with hand-written labels, through
    evaluate offline (PosePipeline + ActionPipeline) and online (pose + action nodes)."""
    import argparse
    import json
    from pathlib import Path

    from har_ros.action_config import shipped_model_path
    from har_ros.bags.labels import dump_labels, load_labels
    from har_ros.tools import evaluate_bag

    # jumping jacks and squats are Penn Action classes: use the shipped Penn model
    model = Path(shipped_model_path("penn"))
    if not (model / "model.json").is_file():
        pytest.skip("the shipped Penn model (har_ros/models/penn) is absent")
    classes = json.loads((model / "model.json").read_text())["classes"]
    labels = load_labels(Path(__file__).parent / "nodes_for_tests" / "exercise_labels.yaml")
    if not set(labels.labels_used()) - {"unknown"} <= set(classes):
        pytest.skip(f"the shipped model's classes {classes} lack the exercise labels")
    video = require_file(shared_data / "video" / "exercise.avi")
    _exercise_bag(tmp_path / "bag", video, 40)
    short = [iv for iv in labels.intervals if iv.start_s < 3.9]
    (tmp_path / "labels.yaml").write_text(dump_labels(
        [type(iv)(iv.start_s, min(iv.end_s, 3.9), iv.label) for iv in short]))
    args = argparse.Namespace(bag=str(tmp_path / "bag"), labels=str(tmp_path / "labels.yaml"),
                              model="penn", topics=None, out=str(tmp_path / "out"),
                              online=True,
                              no_progress=True, ros_args=[])
    assert evaluate_bag.run(args) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    off, on, diff = report["offline"], report["online"], report["difference"]
    assert off["frames"] == 40 and off["topics"] == ["/cam0/image_raw"]
    assert off["operator"]["frame"]["n"] == 39
    assert diff["frames_published"] == 40
    assert 0 < on["frames"] <= 40 and diff["frames_dropped"] == 40 - on["frames"]
    for name in ("offline_timeline.png", "online_timeline.png", "online_confusion.png"):
        assert (tmp_path / "out" / name).is_file()


@pytest.mark.parametrize("storage", ["sqlite3", "mcap"])
def test_killed_recording_is_recovered_by_reindex(ros_domain, shared_data, tmp_path, storage):
    """SIGKILL leaves no metadata.yaml; `record --reindex` makes what was flushed readable
    (for MCAP, rosbags alone would have kept nothing: it writes a chunk per MiB)."""
    env = ros_domain[1]
    _interrupt_recording(env, shared_data, tmp_path, storage, signal.SIGKILL, 3.0)  # > 1 s
    with pytest.raises(DataError, match="--reindex"):
        BagReader(tmp_path / "rec")
    out = subprocess.run([sys.executable, "-m", "har_ros.cli", "record", "--reindex",
                          str(tmp_path / "rec")], capture_output=True, text=True, timeout=60,
                         cwd=REPO_ROOT, env=subprocess_env(env))
    assert out.returncode == 0, out.stderr
    with BagReader(tmp_path / "rec") as bag:
        assert bag.message_count >= 10, "at least one commit of a looping 10 fps clip"
        assert f"{bag.message_count} messages" in out.stdout
        first = next(bag.messages())
        assert decode_image(bag.deserialize(first)).shape == (288, 384, 3)
