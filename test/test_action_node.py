"""The action node in its own process over real Fast DDS, fed real skeletons (Penn Action):
the topic contract (per-track and fused operator decisions with source stamps, the decision
QoS, diagnostics), bad input survived under `har-ros run`, bad models refused at startup.
The statuses over time are unit-tested on a fake clock (test_action_pipeline.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
from rclpy.executors import SingleThreadedExecutor

from har_ros.frames import SkeletonFrame
from har_ros.msg import ActionStamped, SkeletonArray
from har_ros.ros import conversions as conv

from ros_harness import REPO_ROOT, ros_context, spin_until, start_python, stop, subprocess_env

pytestmark = pytest.mark.ros
T0_NS = 1_700_000_000_000_000_000


def _frame(camera: str, skel: np.ndarray | None, stamp_ns: int) -> SkeletonArray:
    skels = np.zeros((0, 18, 3), np.float32) if skel is None else skel[None]
    return conv.skeletons_to_msg(SkeletonFrame(
        stamp_ns, f"{camera}_optical", camera, 640, 480, "penn_labels", skels,
        [] if skel is None else [f"{camera}/1"], np.ones(len(skels), np.float32)))


class Client:
    """Publishes skeleton frames in real time and collects the node's output."""

    def __init__(self, ctx, cameras):
        import rclpy

        self.node = rclpy.create_node("action_test_client", context=ctx)
        self.pubs = {c: self.node.create_publisher(SkeletonArray, f"{c}/skeletons", 10)
                     for c in cameras}
        self.actions: list[ActionStamped] = []
        self.operator: list[tuple[float, ActionStamped]] = []
        self.node.create_subscription(ActionStamped, "actions", self.actions.append, 50)
        self.node.create_subscription(
            ActionStamped, "action", lambda m: self.operator.append((time.monotonic(), m)), 50)
        self.ex = SingleThreadedExecutor(context=ctx)
        self.ex.add_node(self.node)

    def wait_connected(self, proc):
        ok = spin_until(self.ex, lambda: all(p.get_subscription_count() for p in
                                             self.pubs.values()) and self.operator, 60)
        assert ok, stop(proc)

    def play(self, frames_by_camera, fps=30.0):
        """frames_by_camera: list of {camera: SkeletonArray} per tick, published at fps."""
        period = 1.0 / fps
        next_t = time.monotonic()
        for tick in frames_by_camera:
            for cam, msg in tick.items():
                self.pubs[cam].publish(msg)
            next_t += period
            while time.monotonic() < next_t:
                self.ex.spin_once(timeout_sec=max(0.0, next_t - time.monotonic()))

    def idle(self, seconds):
        spin_until(self.ex, lambda: False, seconds)

    def operator_since(self, t):
        return [m for tm, m in self.operator if tm >= t]


def test_action_node_contract_over_dds(ros_domain, action_model_path, penn_clip):
    """Topics, types, QoS and stamps between processes; the status machine itself is covered
    on a fake clock in test_action_pipeline.py."""
    from har_ros.ros.qos import decision_qos

    domain_id, env = ros_domain
    meta = json.loads((action_model_path / "model.json").read_text())
    node = start_python([
        "-m", "har_ros.cli", "action-node", "--ros-args",
        "-p", "cameras:=[cam_a, cam_b]", "-p", f"model_path:={action_model_path}",
        "-p", "heartbeat_hz:=10.0", "-p", "confidence_threshold:=0.0",
        "-p", "diagnostics_period_s:=0.5",
    ], env)
    skels = penn_clip.skeletons
    stamps = [T0_NS + i * 33_333_333 for i in range(45)]  # 1.5 s at 30 fps

    try:
        with ros_context(domain_id) as ctx:
            c = Client(ctx, ["cam_a", "cam_b"])
            # a consumer holding the node to the documented contract (a deadline of two
            # heartbeats, a 1 s liveliness lease) is matched and served
            strict: list[ActionStamped] = []
            c.node.create_subscription(ActionStamped, "action", strict.append,
                                       decision_qos(0.4, 1.0))
            c.wait_connected(node)
            c.play([{cam: _frame(cam, skels[i % len(skels)], stamp) for cam in ("cam_a", "cam_b")}
                    for i, stamp in enumerate(stamps)])

            def fused_ok():
                return [m for _, m in c.operator if m.status == ActionStamped.OK
                        and list(m.cameras) == ["cam_a", "cam_b"]]

            assert spin_until(c.ex, lambda: bool(fused_ok()) and bool(strict), 10), stop(node)
            op = fused_ok()[-1]
            assert op.track_id == "" and op.header.frame_id == ""
            assert conv.stamp_to_ns(op.header.stamp) in stamps, "operator stamp: a source stamp"
            assert op.action in meta["classes"] and list(op.class_names) == meta["classes"]
            diag = _last_diagnostics(c)
            assert diag["inference_engine"] == "auto" and int(diag["internal_errors"]) == 0
            c.node.destroy_node()
    finally:
        out = stop(node)
    assert node.returncode == 0, out
    assert c.actions, out
    window_ns = int(round((meta["window_frames"] - 1) / meta["rate_hz"] * 1e9))
    for m in c.actions:
        stamp = conv.stamp_to_ns(m.header.stamp)
        assert stamp in stamps, "decision stamps are source stamps, never now()"
        # a whole window, or (fresh track, min_window_fill) one padded before the first frame
        assert conv.stamp_to_ns(m.window_start) == max(stamp - window_ns, T0_NS)
        assert m.track_id in ("cam_a/1", "cam_b/1") and list(m.cameras) == [m.track_id[:5]]
        assert list(m.class_names) == meta["classes"]
        assert abs(sum(m.probabilities) - 1.0) < 1e-3
        assert m.status in (ActionStamped.OK, ActionStamped.LOW_CONFIDENCE)
        assert m.header.frame_id == m.track_id[:5] + "_optical"
    first = min(conv.stamp_to_ns(m.header.stamp) for m in c.actions)
    # no decision before half a window was seen (min_window_fill 0.5; 1 us tolerance: the
    # stamps step by 33_333_333 ns)
    assert first - T0_NS >= window_ns // 2 - 1000


def _last_diagnostics(client) -> dict[str, str]:
    from diagnostic_msgs.msg import DiagnosticArray

    got = []
    client.node.create_subscription(DiagnosticArray, "/diagnostics", got.append, 10)
    assert spin_until(client.ex, lambda: any("action" in d.status[0].name for d in got), 5)
    status = [d for d in got if "action" in d.status[0].name][-1].status[0]
    return {kv.key: kv.value for kv in status.values}


def _start_failure(env, *params):
    return subprocess.run(
        [sys.executable, "-m", "har_ros.cli", "action-node", "--ros-args",
         *[a for p in params for a in ("-p", p)]],
        env=subprocess_env(env), cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)


def test_bad_models_are_refused_at_startup(ros_domain, action_model_path, tmp_path):
    _, env = ros_domain
    out = _start_failure(env, f"model_path:={tmp_path / 'missing'}")
    assert out.returncode == 2 and "missing" in out.stderr
    corrupt = tmp_path / "corrupt"
    shutil.copytree(action_model_path, corrupt)
    weights = corrupt / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 3])
    out = _start_failure(env, f"model_path:={corrupt}")
    assert out.returncode == 2 and "cannot start" in out.stderr, out.stderr
    other = tmp_path / "other_classes"
    shutil.copytree(action_model_path, other)
    meta = json.loads((other / "model.json").read_text())
    meta["classes"] = meta["classes"][:-1]
    (other / "model.json").write_text(json.dumps(meta))
    out = _start_failure(env, f"model_path:={other}")
    assert out.returncode == 2 and "class" in out.stderr.lower(), out.stderr
    out = _start_failure(env, f"model_path:={action_model_path}", "expected_window_frames:=7")
    assert out.returncode == 2 and "expected_window_frames" in out.stderr


def _stamped(msg: SkeletonArray, sec: int, nanosec: int) -> SkeletonArray:
    msg.header.stamp.sec, msg.header.stamp.nanosec = sec, nanosec
    return msg


@pytest.mark.reliability("under `har-ros run`: SkeletonArrays stamped sec=-1, zero, "
                         "nanosec=2^32-1, sec=2^31-1, then 1 s of stamps +1 h",
                         "both nodes keep running; heartbeat never stops nor shows OK with a "
                         "future stamp; /diagnostics counts bad_stamp and future_stamp, WARN "
                         "while it happens, OK again after")
def test_run_survives_bad_and_future_stamps_with_honest_heartbeat(ros_domain,
                                                                  action_model_path):
    from diagnostic_msgs.msg import DiagnosticArray
    from test_pipeline_e2e import _weights_or_skip
    from test_time_policy import person

    _weights_or_skip()
    domain_id, env = ros_domain
    proc = start_python([
        "-m", "har_ros.cli", "run", "--ros-args",
        "-p", "cameras:=[cam0]", "-p", f"model_path:={action_model_path}",
        "-p", "net_height:=256", "-p", "heartbeat_hz:=10.0", "-p", "stale_after_s:=0.5",
        "-p", "confidence_threshold:=0.0", "-p", "diagnostics_period_s:=0.5",
    ], env)
    hour_ns = 3600 * 10**9

    def frame(offset_ns=0):
        stamp = time.time_ns() + offset_ns
        return _frame("cam0", person(stamp * 1e-9), stamp)

    try:
        with ros_context(domain_id) as ctx:
            c = Client(ctx, ["cam0"])
            diags: list[tuple[float, object]] = []
            c.node.create_subscription(DiagnosticArray, "/diagnostics",
                                       lambda m: diags.append((time.monotonic(), m.status[0])),
                                       50)
            c.wait_connected(proc)
            t_live = time.monotonic()
            for _ in range(75):  # each frame stamped when it is sent
                c.play([{"cam0": frame()}])
            assert spin_until(c.ex, lambda: any(m.status == ActionStamped.OK
                                                for m in c.operator_since(t_live)), 5), stop(proc)
            t_bad = time.monotonic()
            c.play([{"cam0": _stamped(frame(), s, ns)} for s, ns in
                    [(-1, 0), (0, 0), (2**31 - 1, 2**32 - 1), (2**31 - 1, 999_999_999)]])
            for _ in range(30):  # the camera clock jumps an hour ahead for a second
                c.play([{"cam0": frame(hour_ns)}])
            t_back = time.monotonic()
            for _ in range(90):
                c.play([{"cam0": frame()}])
            t_end = time.monotonic()
            c.idle(1.5)
            assert proc.poll() is None, stop(proc)
            beats = [(t, m) for t, m in c.operator if t >= t_live]
            gaps = np.diff([t for t, _ in beats])
            assert gaps.max() < 1.0, "the heartbeat never stops"
            assert not [m for _, m in beats if m.status == ActionStamped.OK
                        and conv.stamp_to_ns(m.header.stamp) > time.time_ns() + 10**9]
            assert any(m.status == ActionStamped.STALE for t, m in beats if t_bad < t < t_back), (
                "refused input makes the decision STALE")
            assert any(m.status == ActionStamped.OK for t, m in beats if t_back < t < t_end)
            action = [(t, s) for t, s in diags if s.name.startswith("action_node")]
            values = {kv.key: kv.value for kv in action[-1][1].values}
            assert int(values["bad_stamp"]) == 3 and int(values["future_stamp"]) >= 20, values
            assert int(values["internal_errors"]) == 0
            assert any(s.level == b"\x01" and "ahead of the node clock" in s.message
                       for t, s in action if t_bad < t < t_back + 1.0)
            assert action[-1][1].level == b"\x00", "rates, not lifetime counters, decide WARN"
            assert any(s.name.startswith("pose_node") for t, s in diags if t > t_end), (
                "the pose node in the same process is alive too")
            c.node.destroy_node()
    finally:
        out = stop(proc)
    assert proc.returncode == 0, out[-3000:]
    assert "Traceback" not in out, out[-3000:]
