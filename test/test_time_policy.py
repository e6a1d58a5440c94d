"""The action side's time policy (docs/time_policy.md) on the real pipeline and model, driven
directly with an explicit node clock (no DDS): invalid and future stamps are refused and
counted, a source clock jumping ahead and back or a bag loop never freezes a decision, an
image without a size keeps the plausibility check, an empty track id is never published."""

from __future__ import annotations

import numpy as np
import pytest

from har_ros.action_config import ActionNodeConfig
from har_ros.action_pipeline import ActionPipeline
from har_ros.classifier import ActionClassifier
from har_ros.errors import InputError
from har_ros.frames import ActionDecision, SkeletonFrame
from har_ros.msg import SkeletonArray
from har_ros.ros import conversions as conv
from har_ros.status import Status

T0_S = 1_700_000_000.0  # node clock at the start of each test (s)
FPS = 30.0
HOUR_NS = 3600 * 10**9


def person(t: float, x0: float = 320.0) -> np.ndarray:
    """An upright person (18, 3) in a 640x480 image waving the right arm at time ``t`` (s)."""
    s = np.zeros((18, 3), np.float32)
    ys = np.linspace(120, 420, 18)
    s[:, 0] = x0 + 20 * np.sin(np.arange(18))
    s[:, 1] = ys
    s[:, 2] = 0.9
    s[4, 0] += 60 * np.sin(2 * np.pi * t)  # r_wrist
    s[4, 1] = 150 + 40 * np.cos(2 * np.pi * t)
    return s


def skeleton_msg(stamp_ns: int, skels: list[np.ndarray], ids: list[str], width: int = 640,
                 height: int = 480) -> SkeletonArray:
    arr = np.stack(skels) if skels else np.zeros((0, 18, 3), np.float32)
    return conv.skeletons_to_msg(SkeletonFrame(
        stamp_ns, "cam_optical", "cam", width, height, "test", arr, ids,
        np.ones(len(ids), np.float32)))


@pytest.fixture(scope="module")
def classifier(action_model_path) -> ActionClassifier:
    return ActionClassifier.load(str(action_model_path))


class Sim:
    """Feeds one camera at 30 fps on a simulated node clock and records every output."""

    def __init__(self, classifier: ActionClassifier, **cfg) -> None:
        config = ActionNodeConfig(cameras=["cam"], confidence_threshold=0.0, **cfg)
        self.pipe = ActionPipeline(config, classifier)
        self.now_s = T0_S
        self.tracks: list[tuple[float, str, ActionDecision]] = []  # (now, track_id, decision)
        self.beats: list[tuple[float, ActionDecision]] = []  # (now, operator decision)
        self.refused: list[str] = []

    def send(self, msg: SkeletonArray) -> None:
        try:
            for d in self.pipe.process_message(msg, "cam", self.now_s):
                self.tracks.append((self.now_s, d.track_id, d))
        except InputError as exc:
            self.refused.append(str(exc))
        self.beats.append((self.now_s, self.pipe.heartbeat(self.now_s)))

    def live(self, seconds: float, offset_ns: int = 0, ids=("cam/1",), width=640, height=480,
             skel=person, clock=None) -> None:
        """``seconds`` of frames stamped with the node clock (+ ``offset_ns``), or with
        ``clock(now_s)`` -> stamp_ns when given."""
        for _ in range(int(round(seconds * FPS))):
            self.now_s += 1 / FPS
            stamp = clock(self.now_s) if clock else int(round(self.now_s * 1e9)) + offset_ns
            self.send(skeleton_msg(stamp, [skel(self.now_s) for _ in ids], list(ids), width,
                                   height))

    def beats_since(self, t: float) -> list[ActionDecision]:
        return [d for now, d in self.beats if now > t]

    def count(self, name: str) -> int:
        return self.pipe.counters.get(name)


def raw_msg(sec: int, nanosec: int) -> SkeletonArray:
    msg = skeleton_msg(1, [person(0.0)], ["cam/1"])
    msg.header.stamp.sec, msg.header.stamp.nanosec = sec, nanosec
    return msg


@pytest.mark.reliability("SkeletonArray stamped sec=-1, zero, nanosec=2^32-1, sec=2^31-1",
                         "refused and counted (bad_stamp / future_stamp); decisions go on")
def test_invalid_and_extreme_stamps_are_refused_by_cause(classifier):
    sim = Sim(classifier)
    sim.live(2.0)
    assert sim.beats[-1][1].status == Status.OK
    for sec, nanosec in [(-1, 0), (0, 0), (2**31 - 1, 2**32 - 1), (2**31 - 1, 999_999_999)]:
        sim.now_s += 1 / FPS
        sim.send(raw_msg(sec, nanosec))
    assert len(sim.refused) == 4
    assert (sim.count("bad_stamp"), sim.count("future_stamp")) == (3, 1)
    t = sim.now_s
    sim.live(1.0)
    assert all(d.status == Status.OK for d in sim.beats_since(t))
    assert [d for now, _, d in sim.tracks if now > t], "per-track decisions go on"
    assert all(d.stamp_ns <= now * 1e9 + 1e6 for now, d in sim.beats), "no stamp from the future"


@pytest.mark.reliability("camera clock +1 h for 2 s, then back",
                         "refused as future_stamp, heartbeat STALE, then OK on real data")
@pytest.mark.parametrize("max_future_s", [1.0, 1e7], ids=["default", "future_allowed"])
def test_a_camera_clock_one_hour_ahead_for_two_seconds(classifier, max_future_s):
    sim = Sim(classifier, max_future_s=max_future_s)
    sim.live(3.0)
    assert sim.beats[-1][1].status == Status.OK
    t_jump = sim.now_s
    sim.live(2.0, offset_ns=HOUR_NS)
    t_back = sim.now_s
    sim.live(3.0)
    during = sim.beats_since(t_jump)[: int(2 * FPS)]
    if max_future_s == 1.0:
        assert sim.count("future_stamp") == 2 * FPS
        assert during[-1].status == Status.STALE, "refused input: the decision goes stale"
    after = [(now, d) for now, d in sim.beats if now > t_back]
    assert not [d for now, d in after if d.status == Status.OK and d.stamp_ns > now * 1e9 + 1e9], (
        "never OK with a stamp an hour ahead once the clock is back")
    assert after[-1][1].status == Status.OK and after[-1][1].stamp_ns == int(
        round(after[-1][0] * 1e9)), "back to OK on the real data"


@pytest.mark.reliability("one SkeletonArray stamped +1 h on a live track",
                         "refused (or, if allowed, the window restarts): the track goes on")
@pytest.mark.parametrize("max_future_s", [1.0, 1e7], ids=["default", "future_allowed"])
def test_one_future_message_does_not_block_a_live_track(classifier, max_future_s):
    sim = Sim(classifier, max_future_s=max_future_s)
    sim.live(3.0)
    sim.now_s += 1 / FPS
    sim.send(skeleton_msg(int(round(sim.now_s * 1e9)) + HOUR_NS, [person(0.0)], ["cam/1"]))
    t = sim.now_s
    sim.live(3.0)
    later = [d for now, tid, d in sim.tracks if now > t + 2.0 and tid == "cam/1"]
    assert later, "the track produces decisions again"
    assert sim.beats[-1][1].status == Status.OK
    assert sim.count("future_stamp") == (1 if max_future_s == 1.0 else 0)


@pytest.mark.reliability("skeleton bag played with --loop (stamps restart every 4 s)",
                         "each loop restarts the windows (clock_jumps): decisions in every loop")
@pytest.mark.parametrize("sim_time", [False, True], ids=["wall_clock", "use_sim_time"])
def test_a_bag_loop_gives_decisions_again(classifier, sim_time):
    sim = Sim(classifier)
    bag_t0 = T0_S - 86_400.0  # recorded a day earlier
    for loop in range(3):
        if sim_time:  # the player publishes /clock = bag time: the node clock loops too
            sim.now_s = bag_t0
        base, seen = sim.now_s, len(sim.tracks)
        sim.live(4.0, clock=lambda now, base=base: int(round((bag_t0 + now - base) * 1e9)))
        assert sim.tracks[seen:], f"per-track decisions in loop {loop + 1}"
        assert sim.beats[-1][1].status == Status.OK, f"operator decision OK in loop {loop + 1}"
    assert sim.pipe.diagnostics_values()["clock_jumps"] == 2


@pytest.mark.reliability("image_width 0 with coordinates of 3e38 px",
                         "joints rejected (absolute bound), no decision, never OK")
def test_no_image_size_with_absurd_coordinates_gives_no_decision(classifier):
    sim = Sim(classifier)
    sim.live(3.0, width=0, height=0, skel=lambda t: np.full((18, 3), (3e38, 3e38, 0.9),
                                                           np.float32))
    assert not sim.tracks
    assert all(d.status != Status.OK for _, d in sim.beats)
    assert sim.beats[-1][1].status == Status.NO_PERSON
    assert sim.count("joints_rejected") == 18 * 3 * FPS
    sim.live(3.0, width=0, height=0)  # no size but plausible coordinates: still works
    assert sim.beats[-1][1].status == Status.OK


@pytest.mark.reliability("SkeletonArray with empty and blank track_id",
                         "those skeletons skipped and counted (bad_skeletons); never published")
def test_empty_track_ids_are_never_published(classifier):
    sim = Sim(classifier)
    sim.live(3.0, ids=("", "  ", "cam/1"))
    ids = {tid for _, tid, _ in sim.tracks}
    assert ids == {"cam/1"}
    assert sim.count("bad_skeletons") == 2 * 3 * FPS
    assert sim.beats[-1][1].status == Status.OK


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), float("inf")])
def test_max_future_s_must_be_finite_and_positive(value):
    from har_ros.errors import ConfigError

    with pytest.raises(ConfigError, match="max_future_s"):
        ActionNodeConfig(max_future_s=value).validate()


def test_diagnostics_warn_on_rates_not_on_lifetime_counters():
    from har_ros.ros import diagnostics as diag
    from har_ros.ros.action_node import diagnostic_status

    rates = diag.PeriodRates(("future_stamp", "internal_errors"), t0_s=0.0)
    r = rates.update({"future_stamp": 30, "internal_errors": 0}, 1.0)
    level, message = diagnostic_status(r)
    assert level == diag.WARN and "ahead of the node clock" in message and "30.0/s" in message
    r = rates.update({"future_stamp": 30, "internal_errors": 0}, 2.0)  # nothing new
    assert diagnostic_status(r) == (diag.OK, "ok")
    r = rates.update({"future_stamp": 30, "internal_errors": 2}, 3.0)
    assert diagnostic_status(r)[0] == diag.ERROR
