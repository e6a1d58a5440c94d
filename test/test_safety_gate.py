"""The safety gate's core (har_ros/safety_gate.py) on a simulated clock: the behaviour table
(each status and fault -> the output and its reason), hysteresis (faster only after
raise_after_s, slower at once), spoofing, bad input counted and survived, and the policy file.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from pathlib import Path

import pytest

from har_ros.errors import ConfigError
from har_ros.safety_gate import (
    REFUSAL_CAUSES,
    GateInput,
    SafetyGate,
    SafetyGateConfig,
    load_policy,
)
from har_ros.status import Status

OK, LOW_CONFIDENCE, STALE, NO_PERSON, WARMING_UP = Status  # in value order

CONFIG = Path(__file__).resolve().parents[1] / "config"
T0 = 1_700_000_000.0  # the simulated node clock starts here (s)
LATENCY = 0.3  # decisions arrive this long after their source image (s)
CFG = SafetyGateConfig(safe_fraction=0.1, warming_up_fraction=0.2, raise_after_s=1.0,
                       deadline_s=0.4, max_age_s=1.5, max_future_s=1.0)


def decision(t, status=NO_PERSON, action="unknown", *, age=LATENCY, publisher="node-a",
             **kw) -> GateInput:
    stamp = t - age
    sec = math.floor(stamp)
    fields = dict(stamp_sec=sec, stamp_nanosec=int(round((stamp - sec) * 1e9)), status=status,
                  action=action, confidence=0.9 if status == OK else 0.0, publisher=publisher)
    fields.update(kw)
    return GateInput(**fields)


class Sim:
    """A gate, one publisher, decisions at 5 Hz and updates at 10 Hz on a simulated clock."""

    def __init__(self, cfg=CFG):
        self.gate = SafetyGate(cfg)
        self.gate.on_publishers(1)
        self.gate.on_liveliness(1)
        self.t = T0
        self.out = self.gate.update(self.t)

    def run(self, seconds, make=lambda t: decision(t), rate_hz=5.0):
        """Advance ``seconds``: a decision from ``make(t)`` every 1/rate_hz (None: silence),
        an update every 0.1 s; returns the outputs."""
        outs, next_msg = [], self.t
        end = self.t + seconds
        while self.t < end - 1e-9:
            self.t = round(self.t + 0.1, 6)
            if make is not None and self.t >= next_msg - 1e-9:
                msg = make(self.t)
                if msg is not None:
                    self.gate.on_message(msg, self.t)
                next_msg += 1.0 / rate_hz
            self.out = self.gate.update(self.t)
            outs.append(self.out)
        return outs

    def at_full_speed(self):
        self.run(1.5)
        assert self.out.fraction == 1.0 and self.out.reason == "status NO_PERSON"
        return self


def test_starts_safe_and_rises_only_after_raise_after_s():
    sim = Sim()
    assert sim.out.fraction == CFG.safe_fraction and "no decision yet" in sim.out.reason
    outs = sim.run(1.5)
    # first decision at +0.1 s: the faster target holds from then; 1.0 s later the output rises
    rise = next(i for i, o in enumerate(outs) if o.fraction == 1.0)
    assert math.isclose(0.1 * (rise + 1), 1.1, abs_tol=1e-6)
    assert all(o.fraction == CFG.safe_fraction for o in outs[:rise])
    assert "holding 0.10 until 1.00 (status NO_PERSON)" in outs[rise - 1].reason


# The behaviour table (docs/safety_gate.md): from full speed (NO_PERSON), what each input
# does at once. (case, how to make it happen, expected fraction, reason contains)
def _status(status, action="unknown"):
    return lambda sim: sim.run(0.2, lambda t: decision(t, status, action))


def _refused(**kw):
    return lambda sim: sim.run(0.2, lambda t: decision(t, **kw))


TABLE = [
    ("OK walk", _status(OK, "walk"), 0.25, "action 'walk'"),
    ("OK wave", _status(OK, "wave"), 0.5, "action 'wave'"),
    ("OK, action not in the policy", _status(OK, "juggle"), 0.1, "not in the policy"),
    ("LOW_CONFIDENCE", _status(LOW_CONFIDENCE), 0.1, "status LOW_CONFIDENCE"),
    ("STALE", _status(STALE), 0.1, "status STALE"),
    ("WARMING_UP", _status(WARMING_UP), 0.2, "status WARMING_UP"),
    ("NO_PERSON", _status(NO_PERSON), 1.0, "status NO_PERSON"),
    ("silence beyond deadline_s", lambda sim: sim.run(0.6, None), 0.1, "deadline"),
    ("DDS deadline missed event", lambda sim: (sim.gate.on_deadline_missed(),
                                               sim.run(0.1, None)), 0.1, "deadline"),
    ("liveliness lost", lambda sim: (sim.gate.on_liveliness(0), sim.run(0.1)), 0.1,
     "liveliness"),
    ("stamp older than max_age_s", lambda sim: sim.run(0.2, lambda t: decision(t, age=2.0)),
     0.1, "old (max_age_s"),
    ("stamp ahead by more than max_future_s",
     lambda sim: sim.run(0.2, lambda t: decision(t, age=-1.5)), 0.1, "ahead of the node clock"),
    ("no publisher", lambda sim: (sim.gate.on_publishers(0), sim.run(0.1)), 0.1,
     "no publisher"),
    ("second publisher (graph)", lambda sim: (sim.gate.on_publishers(2), sim.run(0.1)), 0.1,
     "2 publishers"),
    ("second publisher (messages from another sender)",
     lambda sim: sim.run(0.2, lambda t: decision(t, publisher="spoofer")), 0.1, "2 publishers"),
    ("bad stamp: sec -1", _refused(stamp_sec=-1), 0.1, "invalid stamp"),
    ("bad stamp: nanosec 1e9", _refused(stamp_nanosec=1_000_000_000), 0.1, "invalid stamp"),
    ("bad stamp: zero", _refused(stamp_sec=0, stamp_nanosec=0), 0.1, "invalid stamp"),
    ("status 9", _refused(status=9), 0.1, "unknown status 9"),
    ("OK with action 'unknown'", _refused(status=OK, action="unknown"), 0.1,
     "status OK with action 'unknown'"),
    ("NO_PERSON with a label", _refused(action="walk"), 0.1, "expected 'unknown'"),
    ("OK with NaN confidence", _refused(status=OK, action="walk", confidence=float("nan")),
     0.1, "confidence nan"),
    ("per-track decision", _refused(track_id="cam0/1"), 0.1, "per-track"),
    ("action not text", _refused(action=None), 0.1, "not text"),
]


@pytest.mark.parametrize("case,make,fraction,reason", TABLE, ids=[r[0] for r in TABLE])
def test_behaviour_table(case, make, fraction, reason):
    sim = Sim().at_full_speed()
    make(sim)
    assert sim.out.fraction == pytest.approx(fraction), (case, sim.out)
    assert reason in sim.out.reason, (case, sim.out)
    # a fault, unless the policy itself gives the fraction (a status or an action)
    assert sim.out.fault == (not sim.out.reason.startswith(("status ", "action ")))


@pytest.mark.parametrize("case,make,fraction,reason",
                         [r for r in TABLE if r[2] < 1.0], ids=[r[0] for r in TABLE if r[2] < 1.0])
def test_recovery_waits_raise_after_s_once_the_cause_is_gone(case, make, fraction, reason):
    sim = Sim().at_full_speed()
    make(sim)
    sim.gate.on_publishers(1)
    sim.gate.on_liveliness(1)
    outs = sim.run(3.0)  # good NO_PERSON decisions again, one publisher
    assert outs[0].fraction == pytest.approx(fraction)
    up = next(i for i, o in enumerate(outs) if o.fraction == 1.0)
    # the cause is gone with the first good decision (a foreign sender: a lease, 1 s, after
    # its last message); then 1.0 s of hysteresis
    assert 0.9 <= 0.1 * (up + 1) <= 2.5, (case, [o.fraction for o in outs])


def test_foreign_sender_keeps_the_gate_safe_for_a_lease_after_its_last_message():
    sim = Sim().at_full_speed()
    sim.run(0.2, lambda t: decision(t, publisher="spoofer"))
    outs = sim.run(3.0)
    assert sim.gate.counters["spoofing"] == 1
    first_ok = next(i for i, o in enumerate(outs) if "publishers" not in o.reason)
    # the lease (1 s) has to pass since the spoofer's last message, then raise_after_s
    assert 0.1 * (first_ok + 1) >= 0.8
    assert outs[-1].fraction == 1.0


def test_a_killed_publisher_lingering_in_the_graph_is_not_a_second_publisher():
    """After a crash the dead publisher stays in the ROS graph until its participant lease
    expires; liveliness reports it not alive, so a restarted node is not taken for a spoofer."""
    sim = Sim().at_full_speed()
    sim.gate.on_liveliness(0, 1)  # killed: lease expired
    sim.run(1.2, None)  # restarting takes longer than a lease (a sender counts for a lease)
    assert sim.out.fraction == CFG.safe_fraction
    sim.gate.on_publishers(2)  # restarted: the new one and the dead one in the graph
    sim.gate.on_liveliness(1, 1)
    outs = sim.run(2.0, lambda t: decision(t, publisher="node-a-restarted"))
    assert outs[-1].fraction == 1.0 and not any("publishers" in o.reason for o in outs)
    sim.gate.on_liveliness(2, 1)  # but a second live one is
    sim.gate.on_publishers(3)
    sim.run(0.1)
    assert sim.out.fraction == CFG.safe_fraction and "2 publishers" in sim.out.reason


def test_an_incompatible_publisher_is_named_as_the_cause_of_silence():
    gate = SafetyGate(CFG)
    gate.on_publishers(1)
    gate.on_incompatible_qos()
    out = gate.update(T0)
    assert out.fraction == CFG.safe_fraction and "cannot match" in out.reason
    assert gate.counters["incompatible_qos"] == 1


def test_slower_at_once_faster_only_after_it_held():
    sim = Sim().at_full_speed()
    outs = sim.run(0.2, lambda t: decision(t, OK, "wave"))
    assert outs[-1].fraction == 0.5
    outs = sim.run(0.2, lambda t: decision(t, OK, "walk"))
    assert outs[0].fraction == 0.25, "down at once"
    # walk -> NO_PERSON flickering with a walk every 0.6 s: never 1.0, since the faster
    # condition never holds for raise_after_s
    outs = sim.run(3.0, lambda t: decision(t, OK, "walk") if round(t * 10) % 6 == 0
                   else decision(t))
    assert max(o.fraction for o in outs) == 0.25
    # it holds now: 1 s later the output rises
    outs = sim.run(1.5)
    up = next(i for i, o in enumerate(outs) if o.fraction == 1.0)
    assert 0.1 * (up + 1) == pytest.approx(1.0, abs=0.25)


def test_rises_to_the_lowest_target_seen_while_waiting():
    sim = Sim()
    sim.run(1.5, lambda t: decision(t, OK, "walk"))
    assert sim.out.fraction == 0.25
    # safe -> 0.25 happened; now alternate wave (0.5) and NO_PERSON (1.0): it rises to 0.5
    outs = sim.run(1.2, lambda t: decision(t, OK, "wave") if round(t * 10) % 4 == 0
                   else decision(t))
    assert 0.5 in {o.fraction for o in outs} and 1.0 not in {o.fraction for o in outs}


def test_raise_after_zero_follows_the_target():
    sim = Sim(replace(CFG, raise_after_s=0.0))
    outs = sim.run(0.3)
    assert outs[0].fraction == 1.0


def test_node_clock_going_back_does_not_hold_the_output():
    """use_sim_time and a replay restarted: times recorded later count as now."""
    sim = Sim().at_full_speed()
    sim.t -= 3600.0
    sim.run(0.5, None)  # nothing arrives on the new time line: the deadline passes
    assert sim.out.fraction == CFG.safe_fraction and "deadline" in sim.out.reason
    sim.run(1.6)
    assert sim.out.fraction == 1.0


def test_bad_input_is_counted_and_never_raises():
    sim = Sim().at_full_speed()
    rng = random.Random(13)
    junk = [None, float("nan"), float("inf"), -1, 2**63, 2**31 - 1, 4294967295, "", "x" * 10000,
            b"\xff", 1.5, True, [], {}]
    for _ in range(2000):
        msg = GateInput(stamp_sec=rng.choice(junk + [int(sim.t)]),
                        stamp_nanosec=rng.choice(junk + [0]),
                        status=rng.choice(junk + [0, 1, 2, 3, 4, 255]),
                        action=rng.choice(junk + ["walk", "unknown"]),
                        track_id=rng.choice(junk + [""]),
                        confidence=rng.choice(junk + [0.5]), publisher="node-a")
        sim.gate.on_message(msg, sim.t)
        out = sim.gate.update(sim.t)
        assert 0.0 <= out.fraction <= 1.0 and out.reason
    refused = sum(sim.gate.counters[c] for c in REFUSAL_CAUSES)
    assert refused + sim.gate.counters["accepted"] == sim.gate.counters["messages"]
    assert refused > 1000
    values = sim.gate.diagnostics_values()
    assert {"fraction", "target", "reason", "publishers", *REFUSAL_CAUSES} <= set(values)


def test_shipped_policy_file_equals_the_defaults():
    cfg = load_policy(CONFIG / "safety_gate.yaml")
    assert cfg == SafetyGateConfig()
    from har_ros.action_config import ActionNodeConfig

    node = ActionNodeConfig()
    # the gate requests at least what the action node offers by default (DDS matching)
    assert cfg.deadline_s >= node.deadline_s() and cfg.liveliness_lease_s >= node.liveliness_lease_s
    # every class of the shipped default model has a fraction
    import json

    from har_ros.action_config import default_model_path

    classes = json.loads((Path(default_model_path()) / "model.json").read_text())["classes"]
    assert set(cfg.action_classes) == set(classes)


@pytest.mark.parametrize("change,name", [
    (dict(safe_fraction=1.5), "safe_fraction"),
    (dict(no_person_fraction=float("nan")), "no_person_fraction"),
    (dict(action_fractions=[0.5]), "action_fractions"),
    (dict(action_classes=["walk", "walk"], action_fractions=[0.5, 0.5]), "twice"),
    (dict(action_classes=["unknown"], action_fractions=[0.5]), "action_classes"),
    (dict(action_classes=["walk"], action_fractions=[-0.1]), "action_fractions[0] (walk)"),
    (dict(deadline_s=0.0), "deadline_s"),
    (dict(raise_after_s=-1.0), "raise_after_s"),
    (dict(publish_hz=float("inf")), "publish_hz"),
])
def test_bad_policies_are_refused_naming_the_parameter(change, name):
    with pytest.raises(ConfigError, match=r"(?s)" + name.replace("[", r"\[").replace("(", r"\(")
                       .replace(")", r"\)").replace("]", r"\]")):
        SafetyGateConfig(**change).validate()


def test_policy_file_with_an_unknown_key_is_refused(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("safety_gate:\n  ros__parameters:\n    safe_fractoin: 0.2\n")
    with pytest.raises(ConfigError, match="safe_fractoin"):
        load_policy(path)
    path.write_text("safety_gate:\n  ros__parameters:\n    safe_fraction: 0.2\n"
                    "    action_classes: [a]\n    action_fractions: [1]\n")
    cfg = load_policy(path)
    assert cfg.safe_fraction == 0.2 and cfg.fraction_for("a") == 1.0
    assert cfg.fraction_for("walk") is None
