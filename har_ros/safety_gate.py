"""The reference safety gate's core: operator-level decisions (``action``) -> a speed fraction
0..1 for a collaborative robot, with the reason. No ROS imports: the node
(har_ros/ros/safety_gate_node.py) feeds it, a benchmark or a simulation can drive it the same
way on its own clock.

Inputs, each with the node clock's time ``now_s`` (seconds; ROS time: the wall clock, or
/clock with use_sim_time):

- :meth:`SafetyGate.on_message`: one decision (:class:`GateInput`: raw stamp, status, action,
  track id, confidence, the publisher's id), at its arrival time;
- :meth:`SafetyGate.on_publishers`: how many publishers the input topic has (the graph);
- :meth:`SafetyGate.on_deadline_missed`, :meth:`SafetyGate.on_liveliness`: the subscriber's
  QoS events (har_ros/ros/qos.py).

:meth:`SafetyGate.update` returns a :class:`GateOutput`: the fraction to command, the policy's
target and the reason. The rules (docs/safety_gate.md):

- every condition that holds gives a fraction; the target is the lowest. A fault (no publisher,
  two publishers, liveliness lost, no message within ``deadline_s``, a refused message, a stamp
  older than ``max_age_s`` or ahead by more than ``max_future_s``) and the statuses that mean
  "not known" (LOW_CONFIDENCE, STALE, action "unknown", an action the policy does not list)
  give ``safe_fraction``; NO_PERSON and WARMING_UP give their own fractions; OK gives the
  action's fraction;
- a lower target is commanded at once; a higher one only after it (or more) has held for
  ``raise_after_s`` (the output then rises to the lowest target seen while it held).

Bad input never raises: it is refused, counted by cause (:attr:`SafetyGate.counters`) and
makes the output safe until a valid decision arrives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from har_ros.config_help import check_number, config_fields, described
from har_ros.errors import ConfigError
from har_ros.status import STATUS_NAMES, UNKNOWN, Status

#: A reference policy for the shipped default model (UTD-MHAD classes): illustrative numbers,
#: not a risk assessment. Whole-body motion and fast arm swings near the robot: 0.25; other
#: arm gestures: 0.5. Any class not listed is treated like "unknown" (safe_fraction).
DEFAULT_POLICY = {
    "swipe_left": 0.5, "swipe_right": 0.5, "wave": 0.5, "clap": 0.5, "throw": 0.25,
    "arm_cross": 0.5, "basketball_shoot": 0.25, "draw_x": 0.5, "draw_circle_CW": 0.5,
    "draw_circle_CCW": 0.5, "draw_triangle": 0.5, "bowling": 0.25, "boxing": 0.25,
    "baseball_swing": 0.25, "tennis_swing": 0.25, "arm_curl": 0.5, "tennis_serve": 0.25,
    "push": 0.5, "knock": 0.5, "catch": 0.5, "pickup_throw": 0.25, "walk": 0.25,
    "sit2stand": 0.25, "stand2sit": 0.25, "lunge": 0.25, "squat": 0.25,
}

#: Refusal causes counted by :class:`SafetyGate` (diagnostics keys).
REFUSAL_CAUSES = {
    "bad_stamp": "decisions with an invalid stamp (negative, zero, nanosec >= 1e9)",
    "bad_status": "decisions with a status outside OK..WARMING_UP",
    "bad_action": "decisions whose action contradicts the status (OK without a label, a "
                  "label without OK) or is not text",
    "bad_confidence": "OK decisions whose confidence is not a number in [0, 1]",
    "not_operator": "per-track decisions (non-empty track_id) on the operator topic",
    "bad_messages": "decisions that could not be read at all",
}


@dataclass
class SafetyGateConfig:
    """The gate's policy and timing (fractions 0..1 of the robot's speed, seconds). Every field
    is a declared ROS parameter of the node; config/safety_gate.yaml holds the defaults."""

    safe_fraction: float = field(
        default=0.0,
        metadata=described("Speed fraction of the safe state: unknown action, LOW_CONFIDENCE, "
                           "STALE, an action not in the policy, and every fault (silence, "
                           "liveliness lost, old or refused decision, a second publisher)."),
    )
    no_person_fraction: float = field(
        default=1.0, metadata=described("Speed fraction while the action node reports NO_PERSON "
                                        "(nobody in view or in the workspace region)."),
    )
    warming_up_fraction: float = field(
        default=0.0, metadata=described("Speed fraction while the action node reports WARMING_UP "
                                        "(a person is tracked, no decision yet)."),
    )
    action_classes: list[str] = field(
        default_factory=lambda: list(DEFAULT_POLICY),
        metadata=described("Actions with a speed fraction when the status is OK (same order as "
                           "action_fractions); any other action gets safe_fraction."),
    )
    action_fractions: list[float] = field(
        default_factory=lambda: list(DEFAULT_POLICY.values()),
        metadata=described("Speed fraction for each of action_classes (0..1)."),
    )
    deadline_s: float = field(
        default=0.4,
        metadata=described("No decision for this long -> safe (s). Also the QoS deadline "
                           "requested on 'action': at least the action node's offered one "
                           "(deadline_periods / heartbeat_hz, 0.4 s by default), or DDS does "
                           "not connect them."),
    )
    liveliness_lease_s: float = field(
        default=1.0,
        metadata=described("QoS liveliness lease requested on 'action' (s): at least the "
                           "action node's liveliness_lease_s. Lost liveliness -> safe."),
    )
    max_age_s: float = field(
        default=1.5,
        metadata=described("A decision whose stamp (source image time) is older than this by "
                           "the node clock -> safe (s); covers camera-to-decision latency."),
    )
    max_future_s: float = field(
        default=1.0,
        metadata=described("A decision stamped more than this ahead of the node clock -> safe "
                           "(s): the clocks disagree, its age cannot be judged."),
    )
    raise_after_s: float = field(
        default=1.0,
        metadata=described("Go faster only after the faster condition has held this long (s); "
                           "slower happens at once."),
    )
    publish_hz: float = field(
        default=10.0,
        metadata=described("Rate of 'speed_scale' (Hz); it is also published at once whenever "
                           "the fraction drops. Its QoS deadline is 2 periods."),
    )
    diagnostics_period_s: float = field(
        default=1.0, metadata=described("Period of the /diagnostics status (s)."),
    )

    def fraction_for(self, action: str) -> float | None:
        """The policy's fraction for an OK ``action``, None when it is not listed."""
        try:
            return self.action_fractions[self.action_classes.index(action)]
        except ValueError:
            return None

    def output_deadline_s(self) -> float:
        """QoS deadline offered on 'speed_scale': 2 publish periods (s)."""
        return 2.0 / self.publish_hz

    def validate(self) -> SafetyGateConfig:
        """Raise ConfigError naming the parameter and its allowed range; return self if valid.

        Fractions in [0, 1]; deadline_s (0, 3600], liveliness_lease_s [0.05, 3600], max_age_s
        (0, 86400], max_future_s (0, 3600], raise_after_s [0, 3600], publish_hz (0, 1000],
        diagnostics_period_s [0.05, 3600]; action_classes distinct names (not empty, not
        'unknown'), one fraction each.
        """
        for name in ("safe_fraction", "no_person_fraction", "warming_up_fraction"):
            check_number(name, getattr(self, name), 0, 1, hint="a fraction of full speed")
        ranges = {
            "deadline_s": (0, 3600, True, "no decision for this long -> safe"),
            "liveliness_lease_s": (0.05, 3600, False, "QoS liveliness lease requested"),
            "max_age_s": (0, 86400, True, "older decisions -> safe"),
            "max_future_s": (0, 3600, True, "decisions further ahead -> safe"),
            "raise_after_s": (0, 3600, False, "0 = go faster at once"),
            "publish_hz": (0, 1000, True, "rate of 'speed_scale'"),
            "diagnostics_period_s": (0.05, 3600, False, "period of /diagnostics"),
        }
        for name, (low, high, low_open, hint) in ranges.items():
            check_number(name, getattr(self, name), low, high, low_open=low_open, hint=hint)
        if len(self.action_classes) != len(self.action_fractions):
            raise ConfigError(
                f"parameters 'action_classes' ({len(self.action_classes)} names) and "
                f"'action_fractions' ({len(self.action_fractions)} values): give one fraction "
                "per action")
        for i, name in enumerate(self.action_classes):
            if not isinstance(name, str) or not name.strip() or name == UNKNOWN:
                raise ConfigError(f"parameter 'action_classes'[{i}] = {name!r}: give an action "
                                  f"name of the model (not empty, not '{UNKNOWN}')")
        if len(set(self.action_classes)) != len(self.action_classes):
            dup = sorted({a for a in self.action_classes if self.action_classes.count(a) > 1})
            raise ConfigError(f"parameter 'action_classes' lists {dup} twice: one fraction each")
        for i, value in enumerate(self.action_fractions):
            check_number(f"action_fractions[{i}] ({self.action_classes[i]})", value, 0, 1,
                         hint="a fraction of full speed")
        return self


def load_policy(path: str | Path, node_name: str = "safety_gate") -> SafetyGateConfig:
    """The validated config from a ROS params file (config/safety_gate.yaml: the section
    ``<node_name>:`` or ``/**:`` with ``ros__parameters``). Missing keys keep their default;
    an unknown key raises ConfigError (as the node refuses an undeclared parameter)."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"policy file {path}: {exc}") from exc
    section = None
    if isinstance(data, dict):
        for key in (node_name, f"/{node_name}", "/**"):
            if isinstance(data.get(key), dict):
                section = data[key].get("ros__parameters")
                break
    if not isinstance(section, dict):
        raise ConfigError(f"policy file {path}: no '{node_name}: ros__parameters:' section")
    known = {name for name, *_ in config_fields(SafetyGateConfig)}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(f"policy file {path}: unknown parameters {unknown}; known: "
                          f"{', '.join(sorted(known))}")
    values = dict(section)
    for name in ("action_classes", "action_fractions"):
        if name in values and not isinstance(values[name], list):
            raise ConfigError(f"policy file {path}: '{name}' must be a list")
    for name, value in values.items():
        if isinstance(value, int) and not isinstance(value, bool) and name != "action_classes":
            values[name] = float(value)
    if "action_fractions" in values:
        values["action_fractions"] = [float(v) if isinstance(v, int) and not isinstance(v, bool)
                                      else v for v in values["action_fractions"]]
    return SafetyGateConfig(**values).validate()


@dataclass(frozen=True)
class GateInput:
    """One decision as received: the raw stamp fields (seconds and nanoseconds, unchecked),
    the status, the action label, the track id (empty for the operator decision), the
    confidence and an id of the publisher that sent it ('' when unknown)."""

    stamp_sec: int
    stamp_nanosec: int
    status: int
    action: object
    track_id: object = ""
    confidence: float = 0.0
    publisher: str = ""


@dataclass(frozen=True)
class GateOutput:
    """What to command: ``fraction`` (0..1), the policy's ``target`` now (the output reaches it
    after ``raise_after_s`` when it is higher), the ``reason`` and whether a fault holds."""

    fraction: float
    target: float
    reason: str
    fault: bool


class _Refused(Exception):
    def __init__(self, cause: str, text: str) -> None:
        super().__init__(text)
        self.cause = cause


def _check(msg: GateInput) -> tuple[int, str]:
    """(stamp in ns, action) of a valid operator decision; raise _Refused otherwise."""
    sec, nsec = msg.stamp_sec, msg.stamp_nanosec
    if (not isinstance(sec, int) or not isinstance(nsec, int) or sec < 0
            or not 0 <= nsec < 1_000_000_000 or (sec == 0 and nsec == 0)):
        raise _Refused("bad_stamp", f"invalid stamp sec={sec!r} nanosec={nsec!r}")
    if msg.status not in STATUS_NAMES:
        raise _Refused("bad_status", f"unknown status {msg.status!r}")
    if not isinstance(msg.track_id, str) or msg.track_id:
        raise _Refused("not_operator", f"per-track decision (track_id {msg.track_id!r}) on the "
                                       "operator topic")
    if not isinstance(msg.action, str):
        raise _Refused("bad_action", f"action is not text: {type(msg.action).__name__}")
    action = msg.action
    if msg.status == Status.OK:
        if not action.strip() or action == UNKNOWN:
            raise _Refused("bad_action", f"status OK with action {action!r}")
        conf = msg.confidence
        if (not isinstance(conf, (int, float)) or isinstance(conf, bool)
                or not math.isfinite(conf) or not 0.0 <= conf <= 1.0):
            raise _Refused("bad_confidence", f"status OK with confidence {conf!r}")
    elif action != UNKNOWN:
        raise _Refused("bad_action", f"status {STATUS_NAMES[msg.status]} with action "
                                     f"{action[:40]!r} (expected '{UNKNOWN}')")
    return sec * 1_000_000_000 + nsec, action


class SafetyGate:
    """The state machine. Times are the node clock in seconds; see the module docstring."""

    def __init__(self, config: SafetyGateConfig) -> None:
        self.config = config.validate()
        self.counters: dict[str, int] = dict.fromkeys(
            (*REFUSAL_CAUSES, "messages", "accepted", "deadline_missed", "liveliness_lost",
             "spoofing", "incompatible_qos", "fraction_drops", "fraction_raises"), 0)
        self._fraction = config.safe_fraction
        self._publishers = 0
        self._alive: int | None = None  # alive publishers by the liveliness event; None: none yet
        self._not_alive = 0  # matched publishers whose lease expired (a crashed one lingers)
        self._deadline_missed = False
        self._last: tuple[float, int, int, str] | None = None  # arrival_s, stamp_ns, status, action
        self._refused: str | None = None  # why the newest message was refused
        self._senders: dict[str, float] = {}  # publisher id -> newest arrival (s)
        self._pending_since: float | None = None
        self._pending_min = 0.0
        self._spoofing = False
        self.last_output = GateOutput(self._fraction, self._fraction, "no decision yet", True)

    # -- inputs -------------------------------------------------------------------------
    def on_message(self, msg: GateInput, now_s: float) -> bool:
        """Take one decision received at ``now_s``; True when accepted. Never raises."""
        self.counters["messages"] += 1
        try:
            stamp_ns, action = _check(msg)
        except _Refused as exc:
            self.counters[exc.cause] += 1
            self._refused = f"refused decision: {exc}"
            return False
        except Exception as exc:  # noqa: BLE001 - any unreadable input is refused, never raised
            self.counters["bad_messages"] += 1
            self._refused = f"refused decision: {type(exc).__name__}: {exc}"
            return False
        if msg.publisher:
            self._senders[msg.publisher] = now_s
        self.counters["accepted"] += 1
        self._refused = None
        self._deadline_missed = False
        self._last = (now_s, stamp_ns, int(msg.status), action)
        return True

    def on_publishers(self, count: int) -> None:
        """The number of publishers the input topic has now (from the ROS graph; a killed one
        stays there until its DDS participant lease expires, seconds later: those the
        liveliness event reports not alive are not counted)."""
        self._publishers = int(count)

    def on_deadline_missed(self) -> None:
        """The subscription's requested-deadline-missed event: safe until the next decision."""
        self.counters["deadline_missed"] += 1
        self._deadline_missed = True

    def on_liveliness(self, alive_count: int, not_alive_count: int = 0) -> None:
        """The subscription's liveliness-changed event: ``alive_count`` matched publishers
        alive, ``not_alive_count`` matched but with their lease expired."""
        if alive_count == 0 and (self._alive or 0) > 0:
            self.counters["liveliness_lost"] += 1
        self._alive = int(alive_count)
        self._not_alive = max(int(not_alive_count), 0)

    def on_incompatible_qos(self) -> None:
        """A publisher offers QoS the subscription cannot match (its messages never arrive)."""
        self.counters["incompatible_qos"] += 1

    # -- evaluation ---------------------------------------------------------------------
    def _conditions(self, now_s: float) -> list[tuple[float, str, bool]]:
        """(fraction, reason, is_fault) of every condition that holds at ``now_s``."""
        cfg, safe = self.config, self.config.safe_fraction
        out: list[tuple[float, str, bool]] = []
        recent = {p for p, t in self._senders.items() if now_s - t <= cfg.liveliness_lease_s}
        self._senders = {p: t for p, t in self._senders.items() if p in recent}
        publishers = max(self._publishers - self._not_alive, 0)
        spoof = max(publishers, len(recent))
        if spoof > 1:
            out.append((safe, f"{spoof} publishers on the decision topic (expected 1): another "
                              "one could spoof decisions (e.g. NO_PERSON)", True))
        elif publishers == 0:
            out.append((safe, "no publisher on the decision topic", True))
        if spoof > 1 and not self._spoofing:
            self.counters["spoofing"] += 1
        self._spoofing = spoof > 1
        if self._alive == 0:
            out.append((safe, "liveliness of the decision publisher lost (killed, frozen or "
                              "unreachable)", True))
        if self._refused is not None:
            out.append((safe, self._refused, True))
        # a publisher DDS will not connect (its offered deadline or lease exceeds what this gate
        # requests): say so, it explains the silence
        hint = ("; a publisher offers QoS this subscription cannot match (its deadline or "
                "lease exceeds deadline_s / liveliness_lease_s)"
                if self.counters["incompatible_qos"] else "")
        if self._last is None:
            out.append((safe, "no decision yet" + hint, True))
            return out
        arrival_s, stamp_ns, status, action = self._last
        if self._deadline_missed or now_s - arrival_s > cfg.deadline_s:
            out.append((safe, f"no decision within the deadline ({cfg.deadline_s:.3f} s)" + hint,
                        True))
        age_s = now_s - stamp_ns * 1e-9
        if age_s > cfg.max_age_s:
            out.append((safe, f"decision stamp {age_s:.3f} s old (max_age_s "
                              f"{cfg.max_age_s:g})", True))
        elif -age_s > cfg.max_future_s:
            out.append((safe, f"decision stamped {-age_s:.3f} s ahead of the node clock "
                              f"(max_future_s {cfg.max_future_s:g})", True))
        if status == Status.OK:
            value = cfg.fraction_for(action)
            if value is None:
                out.append((safe, f"action '{action[:40]}' is not in the policy", False))
            else:
                out.append((value, f"action '{action}'", False))
        elif status == Status.NO_PERSON:
            out.append((cfg.no_person_fraction, "status NO_PERSON", False))
        elif status == Status.WARMING_UP:
            out.append((cfg.warming_up_fraction, "status WARMING_UP", False))
        else:
            out.append((safe, f"status {STATUS_NAMES[status]} (action unknown)", False))
        return out

    def update(self, now_s: float) -> GateOutput:
        """The output at ``now_s`` (call it at a fixed rate and after every input)."""
        # the node clock went back (a replay restarted): times recorded later count as now
        if self._last is not None and self._last[0] > now_s:
            self._last = (now_s, *self._last[1:])
        self._senders = {p: min(t, now_s) for p, t in self._senders.items()}
        if self._pending_since is not None and self._pending_since > now_s:
            self._pending_since = now_s
        conditions = self._conditions(now_s)
        target, reason, _ = min(conditions, key=lambda c: c[0])
        fault = any(c[2] for c in conditions)
        if fault:  # the fault's reason, even when a status gives the same fraction
            reason = next(c[1] for c in conditions if c[2] and c[0] == target)
        cfg = self.config
        if target < self._fraction:
            self._fraction = target
            self._pending_since = None
            self.counters["fraction_drops"] += 1
        elif target > self._fraction:
            if self._pending_since is None:
                self._pending_since, self._pending_min = now_s, target
            else:
                self._pending_min = min(self._pending_min, target)
            held = now_s - self._pending_since
            if held >= cfg.raise_after_s:
                self._fraction = self._pending_min
                self._pending_since = None
                self.counters["fraction_raises"] += 1
            else:
                reason = (f"holding {self._fraction:.2f} until {target:.2f} ({reason}) has held "
                          f"raise_after_s ({cfg.raise_after_s - held:.2f} s more)")
        else:
            self._pending_since = None
        self.last_output = GateOutput(self._fraction, target, reason, fault)
        return self.last_output

    def diagnostics_values(self) -> dict[str, object]:
        """Counters and the current state, for /diagnostics."""
        out = self.last_output
        values: dict[str, object] = dict(self.counters)
        values.update({"fraction": out.fraction, "target": out.target, "reason": out.reason,
                       "publishers": self._publishers,
                       "alive_publishers": -1 if self._alive is None else self._alive})
        return values
