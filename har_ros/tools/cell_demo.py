"""Cell in a box: camera -> pose -> action -> safety gate on a clip, with a fault injected.

Starts the pipeline as separate processes, as a cell runs it (``har-ros camera`` playing the
clip as cam0, ``pose-node``, ``action-node``, ``safety-gate`` with its default policy, the one
in config/safety_gate.yaml),
records the operator decisions ('action'), the robot speed fraction ('speed_scale') and the
gate's reasons (/diagnostics), and partway through freezes the action node (SIGSTOP, as a hung
process would) for ``--fault-s`` seconds. Writes under --out:

  cell_demo.png   the operator's action/status timeline above the speed fraction, the fault
                  shaded
  cell_demo.json  the same as data: decisions, speeds, reasons, the fault interval

  har-ros cell-demo                               # the embedded demo clip
  har-ros cell-demo exercise.avi --fault-at 0.5 --fault-s 3

DDS stays on loopback; without ROS_DOMAIN_ID set, a domain is chosen from the process id.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from pathlib import Path
from subprocess import PIPE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("video", nargs="?", default="",
                        help="video file (default: the embedded demo clip)")
    parser.add_argument("--out", default="out/cell_demo", help="output folder")
    parser.add_argument("--fault-at", type=float, default=0.5,
                        help="when the fault starts, as a fraction of the clip (0..1)")
    parser.add_argument("--fault-s", type=float, default=3.0,
                        help="how long the action node stays frozen (s, 0 = no fault)")
    parser.add_argument("--net-height", type=int, default=256,
                        help="pose network input height (256 keeps up better on a CPU)")


def run(args: argparse.Namespace) -> int:
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.executors import SingleThreadedExecutor
    from std_msgs.msg import Float64

    from har_ros.demo_assets import demo_video_path
    from har_ros.errors import ConfigError
    from har_ros.msg import ActionStamped
    from har_ros.plots import plot_cell_demo
    from har_ros.ros.processes import start_command, stop_process
    from har_ros.ros.qos import decision_qos
    from har_ros.safety_gate import SafetyGateConfig
    from har_ros.status import label_of
    from har_ros.video_source import VideoSource

    if not 0 <= args.fault_at <= 1 or not 0 <= args.fault_s <= 600:
        raise ConfigError("--fault-at must be in [0, 1] and --fault-s in [0, 600]")
    video = Path(args.video) if args.video else demo_video_path()
    source = VideoSource(video)
    duration_s = source.frame_count / source.fps
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    os.environ.setdefault("ROS_DOMAIN_ID", str(os.getpid() % 100 + 1))
    env = dict(os.environ)
    cfg = SafetyGateConfig()
    rclpy.init()
    node = rclpy.create_node("cell_demo_robot")
    decisions: list[tuple[float, str]] = []
    speeds: list[tuple[float, float]] = []
    reasons: list[tuple[float, str]] = []
    t0 = time.monotonic()
    node.create_subscription(ActionStamped, "action",
                             lambda m: decisions.append(
                                 (time.monotonic() - t0, label_of(m.status, m.action))),
                             decision_qos(1.0, 2.0))
    node.create_subscription(Float64, "speed_scale",
                             lambda m: speeds.append((time.monotonic() - t0, m.data)),
                             decision_qos(cfg.output_deadline_s(), cfg.liveliness_lease_s))

    def on_diag(msg: DiagnosticArray) -> None:
        for st in msg.status:
            if st.name.startswith("safety_gate"):
                values = {kv.key: kv.value for kv in st.values}
                reasons.append((time.monotonic() - t0, values.get("reason", st.message)))

    node.create_subscription(DiagnosticArray, "/diagnostics", on_diag, 50)
    ex = SingleThreadedExecutor()
    ex.add_node(node)
    procs = {
        "gate": start_command(["safety-gate"], env, stderr=PIPE),
        "action": start_command(["action-node", "--ros-args", "-p", "cameras:=[cam0]"], env,
                                stderr=PIPE),
        "pose": start_command(["pose-node", "--ros-args", "-p", "cameras:=[cam0]",
                               "-p", f"net_height:={args.net_height}"], env, stderr=PIPE),
    }
    fault: tuple[float, float] | None = None
    try:
        print(f"cell-demo: starting the gate, action and pose nodes (domain "
              f"{env['ROS_DOMAIN_ID']})", flush=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and not decisions:
            ex.spin_once(timeout_sec=0.1)
            for name, proc in procs.items():
                if proc.poll() is not None:
                    raise SystemExit(f"cell-demo: the {name} node stopped: "
                                     f"{proc.stderr.read()[-1500:]}")
        procs["camera"] = start_command(["camera", str(video), "--camera", "cam0",
                                         "--wait-for-subscribers", "1"], env)
        t_play = time.monotonic()
        print(f"cell-demo: playing {video.name} ({duration_s:.0f} s); the action node freezes "
              f"for {args.fault_s:g} s at {args.fault_at:.0%}", flush=True)
        fault_start = t_play + args.fault_at * duration_s
        end = t_play + duration_s + 3.0
        frozen = False
        while time.monotonic() < end:
            ex.spin_once(timeout_sec=0.05)
            now = time.monotonic()
            if args.fault_s > 0 and not frozen and fault is None and now >= fault_start:
                procs["action"].send_signal(signal.SIGSTOP)
                frozen, fault = True, (now - t0, now - t0 + args.fault_s)
            if frozen and now - t0 >= fault[1]:
                procs["action"].send_signal(signal.SIGCONT)
                frozen = False
    finally:
        for proc in procs.values():
            stop_process(proc)
        node.destroy_node()
        rclpy.try_shutdown()
    out = Path(args.out)
    png = plot_cell_demo(decisions, speeds, fault, out / "cell_demo.png")
    data = {"video": str(video), "fault_action_node_frozen_s": fault,
            "decisions": decisions, "speeds": speeds, "reasons": reasons}
    (out / "cell_demo.json").write_text(json.dumps(data, indent=1) + "\n")
    if fault:
        during = [v for t, v in speeds if fault[0] <= t <= fault[1]]
        print(f"cell-demo: during the fault the speed fraction was "
              f"{min(during) if during else 'not published'} (safe: {cfg.safe_fraction})")
    print(f"cell-demo: {png}\n           {out / 'cell_demo.json'}")
    return 0
