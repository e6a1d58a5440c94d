"""The QoS contract of the decision topics (har_ros/ros/qos.py), with the real action node in
its own process and a real rclpy subscriber over Fast DDS (loopback, own domain): the
subscriber's requested-deadline-missed and liveliness-changed events fire when the node is
killed (SIGKILL) or frozen (SIGSTOP), and liveliness comes back after SIGCONT.

The measured times are printed (``pytest -s``) for the benchmark; the only timed asserts are
the contract's generous upper bounds."""

from __future__ import annotations

import signal
import time

import pytest
from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.executors import SingleThreadedExecutor

from har_ros.action_config import ActionNodeConfig
from har_ros.msg import ActionStamped
from har_ros.ros.qos import decision_qos

from ros_harness import ros_context, spin_until, start_python, stop

pytestmark = pytest.mark.ros

HEARTBEAT_HZ = 5.0
#: The node's defaults: deadline 2 heartbeat periods (0.4 s at 5 Hz), lease 1 s.
DEADLINE_S = ActionNodeConfig(heartbeat_hz=HEARTBEAT_HZ).deadline_s()
LEASE_S = ActionNodeConfig().liveliness_lease_s
#: The contract's bound for an event after the fault (generous: a loaded 2-core machine).
WITHIN_S = 5.0


class Watcher:
    """Subscribes to 'action' and 'actions' with the contract's profile and records, on the
    monotonic clock, every message and every deadline / liveliness event."""

    def __init__(self, ctx, deadline_s=DEADLINE_S, lease_s=LEASE_S, name="qos_watcher"):
        import rclpy

        self.node = rclpy.create_node(name, context=ctx)
        qos = decision_qos(deadline_s, lease_s)
        self.messages: dict[str, list[float]] = {"action": [], "actions": []}
        self.deadline: dict[str, list[float]] = {"action": [], "actions": []}
        self.liveliness: dict[str, list[tuple[float, int]]] = {"action": [], "actions": []}
        self.incompatible: list[float] = []
        for topic in ("action", "actions"):
            events = SubscriptionEventCallbacks(
                deadline=lambda _i, t=topic: self.deadline[t].append(time.monotonic()),
                liveliness=lambda i, t=topic: self.liveliness[t].append(
                    (time.monotonic(), i.alive_count)),
                incompatible_qos=lambda _i: self.incompatible.append(time.monotonic()),
            )
            self.node.create_subscription(
                ActionStamped, topic, lambda _m, t=topic: self.messages[t].append(time.monotonic()),
                qos, event_callbacks=events)
        self.ex = SingleThreadedExecutor(context=ctx)
        self.ex.add_node(self.node)

    def alive(self, topic: str) -> int:
        return self.liveliness[topic][-1][1] if self.liveliness[topic] else 0

    def first(self, events: list, since: float, pred=lambda e: True) -> float | None:
        for e in events:
            t = e[0] if isinstance(e, tuple) else e
            if t >= since and pred(e):
                return t
        return None

    def wait_alive(self, proc) -> None:
        ok = spin_until(self.ex, lambda: self.alive("action") >= 1 and self.alive("actions") >= 1
                        and len(self.messages["action"]) >= 5, 90)
        assert ok, stop(proc)


def _start_action_node(env, model_path):
    return start_python([
        "-m", "har_ros.cli", "action-node", "--ros-args", "-p", "cameras:=[cam0]",
        "-p", f"model_path:={model_path}", "-p", f"heartbeat_hz:={HEARTBEAT_HZ}",
    ], env)


@pytest.mark.parametrize("fault", ["SIGKILL", "SIGSTOP"])
def test_deadline_and_liveliness_events_fire_when_the_action_node_dies_or_freezes(
        fault, ros_domain, action_model_path):
    domain_id, env = ros_domain
    proc = _start_action_node(env, action_model_path)
    try:
        with ros_context(domain_id) as ctx:
            w = Watcher(ctx)
            w.wait_alive(proc)
            assert not w.incompatible, "the contract's own profile must match the node's"
            # steady state: the heartbeat keeps the requested deadline (none missed over 2 s)
            t_steady = time.monotonic()
            spin_until(w.ex, lambda: False, 2.0)
            steady_misses = len([t for t in w.deadline["action"] if t >= t_steady])
            last_msg = w.messages["action"][-1]
            t_fault = time.monotonic()
            proc.send_signal(getattr(signal, fault))

            def fired():
                return (w.first(w.deadline["action"], t_fault) is not None
                        and w.first(w.liveliness["action"], t_fault, lambda e: e[1] == 0)
                        is not None
                        and w.first(w.liveliness["actions"], t_fault, lambda e: e[1] == 0)
                        is not None)

            spin_until(w.ex, fired, 3 * WITHIN_S)
            t_deadline = w.first(w.deadline["action"], t_fault)
            t_lost = w.first(w.liveliness["action"], t_fault, lambda e: e[1] == 0)
            t_lost_per_track = w.first(w.liveliness["actions"], t_fault, lambda e: e[1] == 0)
            print(f"\nQoS events after {fault} (deadline {DEADLINE_S:.3f} s, lease {LEASE_S:.3f} "
                  f"s, heartbeat {HEARTBEAT_HZ} Hz): last heartbeat {last_msg - t_fault:+.3f} s; "
                  f"'action' deadline missed "
                  f"{'-' if t_deadline is None else f'{t_deadline - t_fault:.3f} s'}, "
                  f"'action' liveliness lost "
                  f"{'-' if t_lost is None else f'{t_lost - t_fault:.3f} s'}, "
                  f"'actions' liveliness lost "
                  f"{'-' if t_lost_per_track is None else f'{t_lost_per_track - t_fault:.3f} s'}; "
                  f"deadline misses in 2 s of steady state: {steady_misses}")
            assert t_deadline is not None and t_deadline - t_fault <= WITHIN_S
            assert t_lost is not None and t_lost - t_fault <= WITHIN_S
            assert t_lost_per_track is not None and t_lost_per_track - t_fault <= WITHIN_S
            # the deadline cannot fire before it passed since the last heartbeat
            assert t_deadline - last_msg >= DEADLINE_S * 0.9
            if fault == "SIGSTOP":
                t_cont = time.monotonic()
                proc.send_signal(signal.SIGCONT)
                back = spin_until(w.ex, lambda: w.alive("action") >= 1 and w.first(
                    w.messages["action"], t_cont) is not None, 3 * WITHIN_S)
                t_back = w.first(w.liveliness["action"], t_cont, lambda e: e[1] >= 1)
                print(f"after SIGCONT: heartbeat again "
                      f"{w.first(w.messages['action'], t_cont) - t_cont:.3f} s, liveliness "
                      f"regained {'-' if t_back is None else f'{t_back - t_cont:.3f} s'}")
                assert back, "the thawed node is alive again and its heartbeat resumes"
            w.node.destroy_node()
    finally:
        if proc.poll() is None and fault == "SIGSTOP":
            proc.send_signal(signal.SIGCONT)
        out = stop(proc)
    if fault == "SIGSTOP":
        assert proc.returncode == 0, out
    else:
        assert proc.returncode == -signal.SIGKILL


def test_a_subscriber_requesting_a_shorter_deadline_than_offered_is_refused(
        ros_domain, action_model_path):
    """DDS matching: requested deadline < offered -> no connection and an incompatible-QoS
    event, so a consumer cannot believe it has a tighter contract than the node offers."""
    domain_id, env = ros_domain
    proc = _start_action_node(env, action_model_path)
    try:
        with ros_context(domain_id) as ctx:
            good = Watcher(ctx)
            good.wait_alive(proc)
            strict = Watcher(ctx, deadline_s=DEADLINE_S / 4, name="strict_watcher")
            assert spin_until(strict.ex, lambda: bool(strict.incompatible), 10), stop(proc)
            spin_until(strict.ex, lambda: False, 1.0)
            assert not strict.messages["action"]
            strict.node.destroy_node()
            good.node.destroy_node()
    finally:
        out = stop(proc)
    assert proc.returncode == 0, out
