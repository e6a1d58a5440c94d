"""The whole pipeline, end to end, over real Fast DDS with real footage.

launch/pipeline.launch.py is evaluated against a stand-in for launch/launch_ros (they cannot
be installed here) that records the declared nodes; exactly those installed executables are
then started, with exactly those parameters and names, as two real processes. exercise.avi
(three people) is played as an Image topic at its frame rate; ActionStamped must arrive per
track and on the operator topic with source stamps (the statuses over time are unit-tested
on a fake clock in test_action_pipeline.py).
`har-ros run` (both nodes in one process) gets the same check in a shorter run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from har_ros.msg import ActionStamped, SkeletonArray
from har_ros.ros import conversions as conv
from har_ros.video_source import VideoSource

from conftest import require_file
from ros_harness import REPO_ROOT, ros_context, spin_until, stop, subprocess_env

sys.path.insert(0, str(Path(__file__).parent / "stand_ins"))
import launch_stand_in  # noqa: E402

pytestmark = [pytest.mark.ros, pytest.mark.slow]
PREFIX = Path(sys.prefix)


def _installed_or_skip():
    for exe in ("pose_node", "action_node"):
        if not (PREFIX / "lib" / "har_ros" / exe).exists():
            pytest.skip(f"{exe} not installed in {PREFIX}/lib/har_ros (run 'make setup')")


def _weights_or_skip():
    from har_ros.errors import BackendUnavailableError
    from har_ros.pose.weights import OPENPOSE_MOBILENET_THIN, locate_weights

    try:
        locate_weights(OPENPOSE_MOBILENET_THIN)
    except BackendUnavailableError as exc:
        pytest.skip(f"OpenPose weights absent: {exc}")


def test_launch_file_declares_both_nodes_with_remappable_settings():
    ld = launch_stand_in.load_launch_file(REPO_ROOT / "launch" / "pipeline.launch.py")
    declared = {e.name for e in ld.entities if isinstance(e, launch_stand_in.DeclareLaunchArgument)}
    assert declared == {"cameras", "image_topics", "backend", "model", "params_file",
                        "namespace", "use_sim_time", "safety_gate", "safety_gate_params"}
    nodes = launch_stand_in.evaluate(
        ld, {"cameras": "[cam_a, cam_b]", "image_topics": "[/a/image_raw, /b/compressed]",
             "namespace": "cell1", "use_sim_time": "true", "backend": "mediapipe"},
        share={"har_ros": REPO_ROOT})
    pose, action = nodes
    assert (pose["executable"], action["executable"]) == ("pose_node", "action_node")
    assert pose["namespace"] == action["namespace"] == "cell1"
    assert pose["parameters"][0] == REPO_ROOT / "config" / "pipeline.yaml"
    assert pose["parameters"][1] == {"use_sim_time": True, "cameras": ["cam_a", "cam_b"],
                                     "image_topics": ["/a/image_raw", "/b/compressed"],
                                     "backend": "mediapipe"}
    assert action["parameters"][1] == {"use_sim_time": True, "cameras": ["cam_a", "cam_b"],
                                       "model_path": ""}


def test_launch_file_starts_the_safety_gate_only_when_asked():
    ld = launch_stand_in.load_launch_file(REPO_ROOT / "launch" / "pipeline.launch.py")
    nodes = launch_stand_in.evaluate(ld, {"safety_gate": "true", "namespace": "cell1",
                                          "use_sim_time": "true"},
                                     share={"har_ros": REPO_ROOT})
    assert [n["executable"] for n in nodes] == ["pose_node", "action_node", "safety_gate"]
    gate = nodes[2]
    assert gate["namespace"] == "cell1" and gate["name"] == "safety_gate"
    assert gate["parameters"] == [REPO_ROOT / "config" / "safety_gate.yaml",
                                  {"use_sim_time": True}]
    cmd = launch_stand_in.command_line(gate, Path("/opt/x"))
    assert cmd[:2] == ["/opt/x/lib/har_ros/safety_gate", "--ros-args"]


class Camera:
    """Test-side camera: plays frames as an Image topic and collects the pipeline's output."""

    def __init__(self, ctx, image_topic: str, ns: str):
        import rclpy

        self.node = rclpy.create_node("e2e_camera", context=ctx)
        self.pub = self.node.create_publisher(Image, image_topic, 1)
        self.actions: list[ActionStamped] = []
        self.operator: list[tuple[float, ActionStamped]] = []
        self.skeletons: list[SkeletonArray] = []
        self.node.create_subscription(ActionStamped, f"{ns}/actions", self.actions.append, 100)
        self.node.create_subscription(
            ActionStamped, f"{ns}/action", lambda m: self.operator.append((time.monotonic(), m)),
            100)
        self.node.create_subscription(SkeletonArray, f"{ns}/cam0/skeletons",
                                      self.skeletons.append, 100)
        self.ex = SingleThreadedExecutor(context=ctx)
        self.ex.add_node(self.node)
        self.sent: list[int] = []

    def play(self, frames, fps: float):
        next_t = time.monotonic()
        for frame in frames:
            header = Header(stamp=self.node.get_clock().now().to_msg(), frame_id="cam0_optical")
            self.pub.publish(conv.bgr_to_imgmsg(frame, header))
            self.sent.append(conv.stamp_to_ns(header.stamp))
            next_t += 1.0 / fps
            while time.monotonic() < next_t:
                self.ex.spin_once(timeout_sec=max(0.0, next_t - time.monotonic()))


def _check_output(cam: Camera, meta: dict, out: str):
    assert cam.skeletons, out
    assert cam.actions, f"no ActionStamped arrived:\n{out[-3000:]}"
    window_ns = int(round((meta["window_frames"] - 1) / meta["rate_hz"] * 1e9))
    seen_tracks = {s.track_id for m in cam.skeletons for s in m.skeletons}
    for m in cam.actions:
        stamp = conv.stamp_to_ns(m.header.stamp)
        assert stamp in cam.sent, "stamps come from the source images"
        start = conv.stamp_to_ns(m.window_start)
        # a whole window, or a track's first one padded before its first frame
        assert start == stamp - window_ns or (stamp - window_ns < start < stamp
                                              and start in cam.sent)
        assert m.track_id in seen_tracks and list(m.cameras) == ["cam0"]
        assert list(m.class_names) == meta["classes"] and len(m.probabilities) == len(
            meta["classes"])
    return {m.track_id for m in cam.actions}


def test_launched_pipeline_end_to_end_on_real_footage(ros_domain, shared_data, tmp_path,
                                                      action_model_path):
    _installed_or_skip()
    _weights_or_skip()
    domain_id, env = ros_domain
    video = VideoSource(require_file(shared_data / "video" / "exercise.avi"))
    frames = list(video.frames(limit=80))
    ld = launch_stand_in.load_launch_file(REPO_ROOT / "launch" / "pipeline.launch.py")
    nodes = launch_stand_in.evaluate(
        ld, {"cameras": "[cam0]", "image_topics": "[/test/cam0/image_raw]", "namespace": "har",
             "model": str(action_model_path)},
        share={"har_ros": PREFIX / "share" / "har_ros"})
    procs = [subprocess.Popen(launch_stand_in.command_line(n, PREFIX), env=subprocess_env(env),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for n in nodes]
    meta = json.loads((action_model_path / "model.json").read_text())
    try:
        with ros_context(domain_id) as ctx:
            cam = Camera(ctx, "/test/cam0/image_raw", "/har")
            assert spin_until(cam.ex, lambda: cam.pub.get_subscription_count() > 0
                              and cam.operator, 60), [stop(p) for p in procs]
            cam.play(frames, fps=video.fps)
            spin_until(cam.ex, lambda: False, 1.0)
            cam.node.destroy_node()
    finally:
        outs = [stop(p) for p in procs]
    out = "\n".join(outs)
    assert all(p.returncode == 0 for p in procs), out[-3000:]
    tracks = _check_output(cam, meta, out)
    assert len(tracks) >= 2, f"decisions for {tracks}; three people are in view"
    operator = [m for _, m in cam.operator]
    assert all(m.track_id == "" for m in operator), "the operator topic carries no tracks"
    assert all(conv.stamp_to_ns(m.header.stamp) in (0, *cam.sent) for m in operator), (
        "operator stamps are source stamps (0 before any input)")


def test_har_ros_run_one_process(ros_domain, shared_data, action_model_path):
    _weights_or_skip()
    domain_id, env = ros_domain
    video = VideoSource(require_file(shared_data / "video" / "exercise.avi"))
    frames = list(video.frames(limit=50))
    proc = subprocess.Popen(
        [sys.executable, "-m", "har_ros.cli", "run", "--ros-args",
         "-p", "cameras:=[cam0]", "-p", f"model_path:={action_model_path}",
         "-p", "net_height:=256"],
        env=subprocess_env(env), cwd=REPO_ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    meta = json.loads((action_model_path / "model.json").read_text())
    try:
        with ros_context(domain_id) as ctx:
            cam = Camera(ctx, "cam0/image_raw", "")
            assert spin_until(cam.ex, lambda: cam.pub.get_subscription_count() > 0, 60), stop(proc)
            cam.play(frames, fps=video.fps)
            spin_until(cam.ex, lambda: bool(cam.actions), 5.0)
            cam.node.destroy_node()
    finally:
        out = stop(proc)
    assert proc.returncode == 0, out[-3000:]
    _check_output(cam, meta, out)


def test_demo_runs_the_pipeline_and_writes_its_outputs(ros_domain, shared_data, tmp_path,
                                                        action_model_path):
    """`har-ros demo` on a short real clip: timeline printed, video and plots written."""
    _weights_or_skip()
    _, env = ros_domain
    out_dir = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "har_ros.cli", "demo", "--video",
         str(require_file(shared_data / "video" / "exercise.avi")), "--max-seconds", "6",
         "--out", str(out_dir), "--model", str(action_model_path), "--net-height", "256"],
        env=subprocess_env(env), cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Per-person timeline" in proc.stdout and "annotated video" in proc.stdout
    summary = json.loads((out_dir / "timeline.json").read_text())
    assert summary["frames_processed"] > 5
    assert any(k.startswith("camera/") for k in summary["tracks"]), summary["tracks"].keys()
    assert (out_dir / "timeline.png").stat().st_size > 5000
    import re

    written = int(re.search(r"annotated\.mp4 \((\d+) frames\)", proc.stdout).group(1))
    frames = list(VideoSource(out_dir / "annotated.mp4").frames())
    assert len(frames) == written > 5 and frames[0].shape == (288, 384, 3)
