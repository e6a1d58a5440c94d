"""The safety gate node in its own process over real Fast DDS (loopback, own domain), fed by a
real ActionStamped publisher in another process (test/nodes_for_tests/publish_decisions.py,
the action node's QoS): the policy's fractions on 'speed_scale', bad decisions survived and
counted, the publisher killed -> safe, a second publisher on 'action' -> safe with the reason
on /diagnostics; bad parameters refused with exit code 2."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.executors import SingleThreadedExecutor
from std_msgs.msg import Float64

from har_ros.action_config import ActionNodeConfig
from har_ros.msg import ActionStamped
from har_ros.ros.qos import decision_qos
from har_ros.safety_gate import SafetyGateConfig

from ros_harness import REPO_ROOT, ros_context, spin_until, start_python, stop, subprocess_env

pytestmark = pytest.mark.ros
RAISE_AFTER_S = 0.5
#: The contract's bound from a fault to the safe output (generous: a loaded 2-core machine).
WITHIN_S = 5.0


def _start_gate(env):
    return start_python([
        "-m", "har_ros.cli", "safety-gate", "--ros-args",
        "--params-file", str(REPO_ROOT / "config" / "safety_gate.yaml"),
        "-p", f"raise_after_s:={RAISE_AFTER_S}", "-p", "diagnostics_period_s:=0.25",
    ], env)


def _start_publisher(env):
    proc = start_python(["test/nodes_for_tests/publish_decisions.py"], env,
                        stdin=subprocess.PIPE)
    return proc


def _say(proc, line: str) -> None:
    proc.stdin.write(line + "\n")
    proc.stdin.flush()


class Robot:
    """The robot side: 'speed_scale' with the gate's offered QoS, and /diagnostics."""

    def __init__(self, ctx):
        import rclpy

        cfg = SafetyGateConfig()
        self.node = rclpy.create_node("robot_side", context=ctx)
        self.speeds: list[tuple[float, float]] = []
        self.diags: list[tuple[float, object]] = []
        self.node.create_subscription(
            Float64, "speed_scale", lambda m: self.speeds.append((time.monotonic(), m.data)),
            decision_qos(cfg.output_deadline_s(), cfg.liveliness_lease_s))
        self.node.create_subscription(
            DiagnosticArray, "/diagnostics",
            lambda m: self.diags.extend((time.monotonic(), s) for s in m.status
                                        if s.name.startswith("safety_gate")), 50)
        self.ex = SingleThreadedExecutor(context=ctx)
        self.ex.add_node(self.node)

    def speed(self) -> float | None:
        return self.speeds[-1][1] if self.speeds else None

    def wait_speed(self, value: float, timeout_s: float) -> float | None:
        """Spin until 'speed_scale' says ``value``; the monotonic time it first did."""
        t0 = time.monotonic()
        if spin_until(self.ex, lambda: any(t >= t0 and v == value for t, v in self.speeds),
                      timeout_s):
            return next(t for t, v in self.speeds if t >= t0 and v == value)
        return None

    def status_since(self, t0: float, pred) -> dict | None:
        """The newest diagnostics status after ``t0`` satisfying ``pred(status)``, as a dict
        (values plus 'message' and 'level')."""
        def found():
            return [s for t, s in self.diags if t >= t0 and pred(s)]
        spin_until(self.ex, lambda: bool(found()), 5)
        hits = found()
        if not hits:
            return None
        s = hits[-1]
        return {**{kv.key: kv.value for kv in s.values}, "message": s.message,
                "level": s.level[0] if isinstance(s.level, bytes) else s.level}


def test_gate_follows_the_policy_and_goes_safe_when_the_publisher_dies(ros_domain):
    domain_id, env = ros_domain
    cfg = SafetyGateConfig()
    gate = pub = None
    try:
        with ros_context(domain_id) as ctx:
            robot = Robot(ctx)
            gate, pub = _start_gate(env), _start_publisher(env)
            # NO_PERSON -> full speed, after raise_after_s
            assert robot.wait_speed(cfg.no_person_fraction, 60), stop(gate) + stop(pub)
            # OK walk -> the policy's fraction, at once
            _say(pub, "OK walk")
            assert robot.wait_speed(cfg.fraction_for("walk"), 5), (
                [s.message for _, s in robot.diags[-3:]], stop(pub), stop(gate))
            # bad decisions: safe, counted, the node goes on
            t_bad = time.monotonic()
            for bad, cause in (("NAN", "bad_confidence"), ("BAD_STAMP", "bad_stamp"),
                               ("STATUS9", "bad_status")):
                _say(pub, bad)
                assert robot.wait_speed(cfg.safe_fraction, 5), bad
                diag = robot.status_since(t_bad, lambda s, c=cause: any(
                    kv.key == c and kv.value != "0" for kv in s.values))
                assert diag is not None and int(diag[cause]) > 0, cause
                assert "refused decision" in diag["message"] and diag["level"] == 1
                _say(pub, "NO_PERSON")
                assert robot.wait_speed(cfg.no_person_fraction, 5)
            # the publisher is killed: safe within the contract's bound
            spin_until(robot.ex, lambda: False, 1.0)
            assert robot.speed() == cfg.no_person_fraction
            t_kill = time.monotonic()
            pub.send_signal(signal.SIGKILL)
            t_safe = robot.wait_speed(cfg.safe_fraction, 3 * WITHIN_S)
            assert t_safe is not None, stop(gate)
            diag = robot.status_since(t_kill, lambda s: "speed 0.00" in s.message)
            print(f"\nsafety gate: publisher SIGKILLed -> speed_scale {cfg.safe_fraction} after "
                  f"{t_safe - t_kill:.3f} s (deadline {cfg.deadline_s} s, lease "
                  f"{cfg.liveliness_lease_s} s); diagnostics: {diag and diag['message']}")
            assert t_safe - t_kill <= WITHIN_S
            assert diag is not None and ("deadline" in diag["message"]
                                         or "liveliness" in diag["message"])
            # it stays safe: nobody publishes
            spin_until(robot.ex, lambda: False, 1.5)
            assert robot.speed() == cfg.safe_fraction
            assert int(diag["internal_errors"]) == 0
            # a restarted publisher: the killed one may linger in the ROS graph (its participant
            # lease), but liveliness reports it not alive, so this is no "second publisher"
            t_restart = time.monotonic()
            pub2 = _start_publisher(env)
            try:
                t_back = robot.wait_speed(cfg.no_person_fraction, 30)
                spoof = [s.message for t, s in robot.diags
                         if t >= t_restart and "2 publishers" in s.message]
                print(f"restarted publisher -> full speed again after "
                      f"{'-' if t_back is None else f'{t_back - t_restart:.3f} s'} (process "
                      f"start included); 'second publisher' reported: {len(spoof)} times")
                assert t_back is not None and not spoof
            finally:
                stop(pub2)
            robot.node.destroy_node()
    finally:
        if pub is not None:
            stop(pub)
        out = stop(gate) if gate is not None else ""
    assert gate.returncode == 0, out


def test_a_second_publisher_on_action_puts_the_gate_in_the_safe_state(ros_domain):
    domain_id, env = ros_domain
    cfg = SafetyGateConfig()
    gate = pub = None
    try:
        with ros_context(domain_id) as ctx:
            robot = Robot(ctx)
            gate, pub = _start_gate(env), _start_publisher(env)
            assert robot.wait_speed(cfg.no_person_fraction, 60), stop(gate) + stop(pub)
            # anyone on the domain can publish NO_PERSON on 'action' with the contract's QoS
            node_cfg = ActionNodeConfig()
            spoofer = robot.node.create_publisher(
                ActionStamped, "action",
                decision_qos(node_cfg.deadline_s(), node_cfg.liveliness_lease_s))
            t_spoof = time.monotonic()
            t_safe = robot.wait_speed(cfg.safe_fraction, 3 * WITHIN_S)
            assert t_safe is not None and t_safe - t_spoof <= WITHIN_S
            diag = robot.status_since(t_spoof, lambda s: "2 publishers" in s.message)
            assert diag is not None and diag["level"] == 1, robot.diags[-1:]
            print(f"\nsafety gate: second publisher on 'action' -> safe after "
                  f"{t_safe - t_spoof:.3f} s; diagnostics: {diag['message']}")
            # it stays safe while the second publisher exists
            spin_until(robot.ex, lambda: False, 2 * RAISE_AFTER_S + 0.5)
            assert robot.speed() == cfg.safe_fraction
            robot.node.destroy_publisher(spoofer)
            # gone: full speed again, only after raise_after_s
            t_gone = time.monotonic()
            t_back = robot.wait_speed(cfg.no_person_fraction, 15)
            assert t_back is not None and t_back - t_gone >= RAISE_AFTER_S * 0.9
            robot.node.destroy_node()
    finally:
        if pub is not None:
            stop(pub)
        out = stop(gate) if gate is not None else ""
    assert gate.returncode == 0, out


@pytest.mark.parametrize("param,expect", [
    ("safe_fractoin:=0.2", "did you mean 'safe_fraction'"),
    ("safe_fraction:=1.5", "safe_fraction"),
    ("action_fractions:=[0.5]", "action_fractions"),
])
def test_bad_parameters_exit_2(ros_domain, param, expect):
    _, env = ros_domain
    out = subprocess.run(
        [sys.executable, "-m", "har_ros.cli", "safety-gate", "--ros-args", "-p", param],
        env=subprocess_env(env), cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and expect in out.stderr, out.stderr
