"""Online evaluation on a labelled bag: play it in real time into live nodes (a child
process), record their output, and read it back as an evaluation trace comparable with the
offline run (``har-ros evaluate --bag ... --online``)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from har_ros.bag_eval import Trace


def _node_command(image_input: bool, cams: list[str], topics: list[str], model: str
                  ) -> list[str]:
    cmd = [sys.executable, "-m", "har_ros.cli", "run" if image_input else "action-node",
           "--ros-args", "-p", f"cameras:=[{', '.join(cams)}]"]
    if image_input:
        cmd += ["-p", f"image_topics:=[{', '.join(topics)}]"]
    if model:
        cmd += ["-p", f"model_path:={model}"]
    return cmd


def run_online(bag: str, topics: list[str], model: str, work_dir: Path,
               ready_timeout_s: float = 60.0, tail_s: float = 2.0) -> dict:
    """Play ``bag`` into live nodes (a child process) and record their output to
    ``work_dir/online_output`` (mcap). Returns the recorded bag path, what was played
    (topic, stamp, wall ns) and timings. The caller's environment must carry ROS_DOMAIN_ID
    and ROS_AUTOMATIC_DISCOVERY_RANGE (they are passed on to the nodes)."""
    import os
    import subprocess
    import threading

    import rclpy
    from rclpy.executors import SingleThreadedExecutor

    from har_ros.bag_eval import camera_of
    from har_ros.bags import typestore as ts
    from har_ros.bags.reader import BagReader
    from har_ros.errors import DataError
    from har_ros.ros.player import BagPlayer, PlayOptions
    from har_ros.ros.recorder import BagRecorder
    from har_ros.ros.runner import check_network_env

    check_network_env()
    cams = [camera_of(t) for t in topics]
    out_bag = work_dir / "online_output"
    if out_bag.exists():
        raise DataError(f"{out_bag} exists already; use a new --out folder")
    work_dir.mkdir(parents=True, exist_ok=True)
    with BagReader(bag) as reader:
        image_input = reader.topics[topics[0]].msgtype in ts.IMAGE_TYPES
    cmd = _node_command(image_input, cams, topics, model)
    log_path = work_dir / "online_nodes.log"
    log = log_path.open("w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
    ctx = rclpy.Context()
    rclpy.init(context=ctx)
    result: dict = {"nodes_command": cmd, "output_bag": str(out_bag)}
    try:
        node = rclpy.create_node("har_ros_eval_player", context=ctx)
        skel_topics = [f"/{c}/skeletons" for c in cams]
        rec_topics = ["/actions", "/action"] + (skel_topics if image_input else [])
        recorder = BagRecorder(str(out_bag), rec_topics, "mcap", context=ctx)
        ex = SingleThreadedExecutor(context=ctx)
        ex.add_node(recorder)
        spin_stop = threading.Event()

        def spin() -> None:
            while not spin_stop.is_set() and ctx.ok():
                ex.spin_once(timeout_sec=0.05)

        spinner = threading.Thread(target=spin, daemon=True)
        spinner.start()
        with BagReader(bag) as reader:
            player = BagPlayer(node, reader, PlayOptions(topics=topics))
            player.keep_log = True
            deadline = time.monotonic() + ready_timeout_s
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise DataError(f"the nodes exited with code {proc.returncode}; see "
                                    f"{log_path}:\n{log_path.read_text()[-2000:]}")
                subs = all(p.get_subscription_count() > 0 for p in player.publishers.values())
                if subs and not recorder.missing_topics():
                    break
                time.sleep(0.1)
            else:
                raise DataError(f"the nodes did not come up within {ready_timeout_s:.0f} s "
                                f"(missing {recorder.missing_topics()}); see {log_path}")
            time.sleep(0.5)  # let both ends finish matching (a DDS writer may see the reader
            # before the reader sees it, and volatile samples sent then are lost)
            t0 = time.perf_counter()
            player.play()
            result["play_wall_s"] = time.perf_counter() - t0
            time.sleep(tail_s)
            result["published"] = [(p.topic, p.stamp_ns, p.wall_ns) for p in player.log]
        spin_stop.set()
        spinner.join()
        result["recorded"] = recorder.close()
        recorder.destroy_node()
        node.destroy_node()
    finally:
        ctx.try_shutdown()
        if proc.poll() is None:
            proc.send_signal(2)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
    result["image_input"] = image_input
    return result


def online_trace(bag: str, topics: list[str], classes: list[str], run: dict
                 ) -> tuple[Trace, dict]:
    """Trace (and latency figures) from an online run's recorded output."""
    import numpy as np

    from har_ros.bag_eval import camera_of, trace_from_outputs
    from har_ros.bags.reader import BadMessage, BagReader, SkipCount, read_action, read_skeletons

    cams = {t: camera_of(t) for t in topics}
    frames, actions, operator = [], [], []
    latency_ms = []
    skipped = SkipCount()
    sent_wall = {stamp: wall for _, stamp, wall in run["published"]}
    with BagReader(run["output_bag"]) as out:
        for m in out.messages():
            skipped.read += 1
            try:
                if m.topic.endswith("/skeletons"):
                    f = read_skeletons(out, m)
                    f.camera_name = next(
                        (c for c in cams.values() if m.topic == f"/{c}/skeletons"), f.camera_name)
                    frames.append(f)
                elif m.topic == "/actions":
                    a = read_action(out, m)
                    actions.append(a)
                    if a.stamp_ns in sent_wall:
                        latency_ms.append((m.log_ns - sent_wall[a.stamp_ns]) * 1e-6)
                elif m.topic == "/action":
                    operator.append(read_action(out, m))
            except BadMessage as exc:
                skipped.add(exc)
    if not run["image_input"]:
        with BagReader(bag) as src:
            frames = []
            for m, f in skipped.readable(src.messages(topics),
                                         lambda m, b=src: read_skeletons(b, m)):
                f.camera_name = cams[m.topic]
                frames.append(f)
    trace = trace_from_outputs(classes, frames, actions, operator, run.get("play_wall_s", 0.0))
    trace.skipped = skipped
    lat = np.array(latency_ms) if latency_ms else None
    stats = {
        "decisions_per_track": len(actions), "operator_messages": len(operator),
        "latency_ms_p50": float(np.percentile(lat, 50)) if lat is not None else None,
        "latency_ms_p95": float(np.percentile(lat, 95)) if lat is not None else None,
        "latency_ms_max": float(lat.max()) if lat is not None else None,
        "latency": "recorder receive time of a per-track ActionStamped minus the wall time "
                   "the source frame with the same stamp was published",
    }
    return trace, stats


def compare_runs(offline: dict, online: dict, off_trace: Trace, on_trace: Trace,
                 frames_published: int) -> dict:
    """What changed between the offline and online runs of one bag (report differences are
    online minus offline)."""
    out = {"frames_published": frames_published,
           "frames_reaching_action_node": on_trace.frames_in,
           "frames_dropped": frames_published - on_trace.frames_in,
           "per_track_decisions_offline": sum(len(v) for v in off_trace.tracks.values()),
           "per_track_decisions_online": sum(len(v) for v in on_trace.tracks.values())}
    for stream in ("operator", "tracks"):
        if stream in offline and stream in online:
            a, b = offline[stream]["frame"], online[stream]["frame"]
            out[stream] = {k: b[k] - a[k] for k in ("accuracy", "macro_f1", "unknown_rate",
                                                     "no_decision_rate")}
    return out
