"""Fault -> safe robot speed: how long a fault in the pipeline takes to reach the safety gate's
output, measured with real processes over Fast DDS (loopback, a domain of its own).

Per scenario a fresh pipeline is started as separate processes: ``har-ros camera`` playing a
real clip (an empty scene: a blank 640x480 video written here, so the pose node reports
nobody and the operator decision is NO_PERSON), ``har-ros pose-node``, ``har-ros
action-node`` and ``har-ros safety-gate`` with the default policy (config/safety_gate.yaml:
NO_PERSON -> 1.0, faults -> safe fraction 0.0). Once 'speed_scale' has said 1.0 for 2 s, the
fault is injected and the time to the first 'speed_scale' at the safe fraction is recorded:

- camera_stops: the camera process is killed (SIGKILL);
- pose_node_killed: the pose node is killed (SIGKILL);
- action_node_killed: the action node is killed (SIGKILL);
- action_node_frozen: the action node is stopped (SIGSTOP);
- skeleton_stamps_jump: the camera and pose node are replaced by this process publishing
  empty SkeletonArrays stamped now at 10 Hz, whose stamps then jump one hour ahead.

The contract's budget is two heartbeat periods plus the deadline (0.4 + 0.4 s at the
defaults). Writes bench/results/fault_timings.json:

  python -m bench.bench_fault_timings [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "fault_timings.json"
SCENARIOS = ("camera_stops", "pose_node_killed", "action_node_killed", "action_node_frozen",
             "skeleton_stamps_jump")


def blank_video(path: Path, frames: int = 50, fps: float = 10.0) -> Path:
    """A 640x480 black clip: a camera looking at an empty cell."""
    import cv2
    import numpy as np

    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (640, 480))
    for _ in range(frames):
        out.write(np.zeros((480, 640, 3), np.uint8))
    out.release()
    return path


def run_scenario(name: str, video: Path, env: dict[str, str], timeout_s: float) -> dict:
    import numpy as np
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from std_msgs.msg import Float64

    from har_ros.frames import SkeletonFrame
    from har_ros.msg import SkeletonArray
    from har_ros.ros import conversions as conv
    from har_ros.ros.processes import start_command, stop_process
    from har_ros.ros.qos import decision_qos
    from har_ros.safety_gate import SafetyGateConfig

    cfg = SafetyGateConfig()
    procs: dict[str, subprocess.Popen] = {}
    rclpy.init()
    node = rclpy.create_node("fault_bench")
    speeds: list[tuple[float, float]] = []
    node.create_subscription(Float64, "speed_scale",
                             lambda m: speeds.append((time.monotonic(), m.data)),
                             decision_qos(cfg.output_deadline_s(), cfg.liveliness_lease_s))
    skel_pub = node.create_publisher(SkeletonArray, "cam0/skeletons", 10)
    jump_ns = 0

    def publish_empty() -> None:
        now = node.get_clock().now().nanoseconds + jump_ns
        msg = conv.skeletons_to_msg(SkeletonFrame(now, "cam0", "cam0", 640, 480, "bench",
                                                  np.zeros((0, 18, 3), np.float32), [],
                                                  np.zeros(0, np.float32)))
        skel_pub.publish(msg)

    ex = SingleThreadedExecutor()
    ex.add_node(node)
    try:
        if name == "skeleton_stamps_jump":
            node.create_timer(0.1, publish_empty)
        else:
            procs["camera"] = start_command(
                ["camera", str(video), "--camera", "cam0", "--loop"], env, ROOT)
            procs["pose"] = start_command(["pose-node", "--ros-args", "-p", "cameras:=[cam0]",
                                           "-p", "net_height:=256"], env, ROOT)
        procs["action"] = start_command(
            ["action-node", "--ros-args", "-p", "cameras:=[cam0]"], env, ROOT)
        procs["gate"] = start_command(
            ["safety-gate", "--ros-args", "--params-file",
             str(ROOT / "config" / "safety_gate.yaml")], env, ROOT)
        # Ready: full speed (NO_PERSON) held for 2 s.
        deadline, ready_since = time.monotonic() + timeout_s, None
        while time.monotonic() < deadline:
            ex.spin_once(timeout_sec=0.05)
            full = bool(speeds) and speeds[-1][1] == cfg.no_person_fraction
            ready_since = (ready_since or time.monotonic()) if full else None
            if ready_since and time.monotonic() - ready_since >= 2.0:
                break
        else:
            return {"scenario": name, "error": "the pipeline never reached full speed"}
        t_fault = time.monotonic()
        if name == "camera_stops":
            procs["camera"].kill()
        elif name == "pose_node_killed":
            procs["pose"].kill()
        elif name == "action_node_killed":
            procs["action"].kill()
        elif name == "action_node_frozen":
            procs["action"].send_signal(signal.SIGSTOP)
        else:
            jump_ns = 3600 * 10**9
        end = time.monotonic() + 15.0
        while time.monotonic() < end:
            ex.spin_once(timeout_sec=0.02)
            hit = [t for t, v in speeds if t >= t_fault and v <= cfg.safe_fraction]
            if hit:
                return {"scenario": name, "fault_to_safe_s": round(hit[0] - t_fault, 3)}
        return {"scenario": name, "error": "no safe output within 15 s"}
    finally:
        for proc in procs.values():
            stop_process(proc)
        node.destroy_node()
        rclpy.try_shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=2, help="runs per scenario")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help="comma-separated subset of: " + ", ".join(SCENARIOS))
    parser.add_argument("--domain", type=int, default=91, help="ROS_DOMAIN_ID to use")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds to wait for the pipeline to reach full speed")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    scenarios = [s for s in args.scenarios.split(",") if s]
    if set(scenarios) - set(SCENARIOS):
        parser.error(f"--scenarios: choose from {', '.join(SCENARIOS)}")
    os.environ.update(ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST", ROS_DOMAIN_ID=str(args.domain))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    from har_ros.action_config import ActionNodeConfig
    from har_ros.safety_gate import SafetyGateConfig

    acfg, gcfg = ActionNodeConfig(), SafetyGateConfig()
    budget_s = 2.0 / acfg.heartbeat_hz + gcfg.deadline_s
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        video = blank_video(Path(tmp) / "empty_cell.avi")
        for name in scenarios:
            for k in range(args.repeats):
                r = run_scenario(name, video, env, args.timeout)
                runs.append(r)
                print(f"{name:22s} run {k + 1}: "
                      f"{r.get('fault_to_safe_s', r.get('error'))}", flush=True)
    per = {}
    for name in scenarios:
        t = [r["fault_to_safe_s"] for r in runs if r["scenario"] == name and "fault_to_safe_s" in r]
        per[name] = {"runs_s": t, "max_s": max(t) if t else None,
                     "within_budget": bool(t) and max(t) <= budget_s}
    result = {"command": f"python -m bench.bench_fault_timings --repeats {args.repeats}",
              "budget_s": budget_s, "stale_after_s": acfg.stale_after_s,
              "deadline_s": gcfg.deadline_s, "scenarios": per, "runs": runs,
              "load_average": os.getloadavg()}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"budget {budget_s:.2f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
