"""ActionPipeline on a fake clock (no rclpy, no sleeps): the status of every decision
(WARMING_UP, OK / LOW_CONFIDENCE by threshold, STALE, NO_PERSON), refused future stamps, a
camera clock jumping back, fusion of two cameras and the heartbeat. The node clock is passed
explicitly as ``now_s``; the classifier is a real tiny LSTM run by PyTorch whose output layer
is set to give fixed probabilities, so each status follows from the configuration alone."""

from __future__ import annotations

import numpy as np
import pytest

from har_ros.action_config import ActionNodeConfig
from har_ros.action_pipeline import ActionPipeline
from har_ros.classifier import ActionClassifier
from har_ros.errors import InputError
from har_ros.frames import ActionDecision, SkeletonFrame
from har_ros.status import Status

T0_NS = 1_700_000_000_000_000_000
FPS = 10.0  # the tiny model's rate: windows of 10 frames, a new one every 2 frames
LATENCY_S = 0.05  # frames arrive this long after their stamp on the node clock
PROBS = (0.8, 0.2)
CLASSES = ["stand", "wave"]


def fixed_output_classifier(probs=PROBS) -> ActionClassifier:
    """A real ActionClassifier (random 4-unit LSTM, PyTorch engine) whose output layer ignores
    the LSTM and gives ``probs`` for every window."""
    import torch

    from har_ros.checkpoint import Checkpoint
    from har_ros.features import FeatureConfig
    from har_ros.model import LSTMClassifier, ModelConfig

    torch.manual_seed(0)
    fcfg = FeatureConfig()
    model = LSTMClassifier(ModelConfig(fcfg.num_features, len(probs), hidden_size=4))
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.copy_(torch.log(torch.tensor(probs)))
    return ActionClassifier(Checkpoint(model, CLASSES, 10, 2, 10.0, fcfg), engine="torch")


@pytest.fixture(scope="module")
def classifier() -> ActionClassifier:
    return fixed_output_classifier()


def person(x0: float = 320.0) -> np.ndarray:
    """(18, 3): an upright person in a 640x480 image, every joint present."""
    s = np.zeros((18, 3), np.float32)
    s[:, 0] = x0 + 20 * np.sin(np.arange(18))
    s[:, 1] = np.linspace(120, 420, 18)
    s[:, 2] = 0.9
    return s


def frame(camera: str, k: int, ids=("1",), offset_ns: int = 0, x0: float = 320.0
          ) -> SkeletonFrame:
    """Frame ``k`` of ``camera`` (stamp T0 + k / FPS), with one person per id."""
    skels = np.stack([person(x0) for _ in ids]) if ids else np.zeros((0, 18, 3), np.float32)
    return SkeletonFrame(T0_NS + int(round(k * 1e9 / FPS)) + offset_ns, f"{camera}_optical",
                         camera, 640, 480, "test", skels, [f"{camera}/{i}" for i in ids],
                         np.ones(len(ids), np.float32))


def arrival_s(f: SkeletonFrame) -> float:
    return f.stamp_ns * 1e-9 + LATENCY_S


def pipeline(classifier, **cfg) -> ActionPipeline:
    cfg.setdefault("cameras", ["cam"])
    cfg.setdefault("smoothing", 1.0)
    return ActionPipeline(ActionNodeConfig(**cfg), classifier)


def feed(pipe: ActionPipeline, frames) -> tuple[list[ActionDecision], list[ActionDecision]]:
    """Process frames at their arrival times; (per-track decisions, heartbeat after each)."""
    tracks, beats = [], []
    for f in frames:
        tracks += pipe.process(f, arrival_s(f))
        beats.append(pipe.heartbeat(arrival_s(f)))
    return tracks, beats


def test_warming_up_until_the_first_window_then_ok(classifier):
    pipe = pipeline(classifier, confidence_threshold=0.5, min_window_fill=1.0)
    first = pipe.heartbeat(T0_NS * 1e-9)
    assert (first.status, first.stamp_ns, first.track_id) == (Status.STALE, 0, "")
    tracks, beats = feed(pipe, [frame("cam", k) for k in range(15)])
    statuses = [b.status for b in beats]
    n_warm = statuses.index(Status.OK)
    assert statuses[:n_warm] == [Status.WARMING_UP] * n_warm and n_warm == 9, (
        "WARMING_UP until 10 frames (1 s at 10 Hz) are buffered")
    assert set(statuses[n_warm:]) == {Status.OK}
    d = tracks[0]
    assert (d.status, d.action, d.class_index, d.track_id, d.frame_id, d.cameras) == (
        Status.OK, "stand", 0, "cam/1", "cam_optical", ["cam"])
    assert d.stamp_ns == frame("cam", 9).stamp_ns and d.window_start_ns == T0_NS
    assert d.confidence == pytest.approx(0.8, abs=1e-5)
    assert d.class_names == CLASSES
    np.testing.assert_allclose(d.probabilities, PROBS, atol=1e-5)
    np.testing.assert_allclose(d.window_probabilities, PROBS, atol=1e-5)
    op = beats[-1]
    assert (op.status, op.action, op.track_id, op.frame_id, op.cameras) == (
        Status.OK, "stand", "", "", ["cam"])
    assert op.stamp_ns == tracks[-1].stamp_ns, "the operator decision carries the window's stamp"


@pytest.mark.parametrize(("threshold", "status", "action", "index"), [
    (0.5, Status.OK, "stand", 0),
    (0.75, Status.OK, "stand", 0),
    (0.85, Status.LOW_CONFIDENCE, "unknown", -1),
])
def test_ok_or_low_confidence_by_threshold(classifier, threshold, status, action, index):
    pipe = pipeline(classifier, confidence_threshold=threshold)
    tracks, beats = feed(pipe, [frame("cam", k) for k in range(12)])
    for d in (tracks[-1], beats[-1]):
        assert (d.status, d.action, d.class_index) == (status, action, index)
        assert d.confidence == pytest.approx(0.8, abs=1e-5)
        np.testing.assert_allclose(d.probabilities, PROBS, atol=1e-5)
        assert d.class_names == CLASSES, "probabilities are filled in LOW_CONFIDENCE too"


def test_stale_after_stale_after_s_without_input(classifier):
    pipe = pipeline(classifier, stale_after_s=1.0, stale_after_frames=0)
    frames = [frame("cam", k) for k in range(12)]
    feed(pipe, frames)
    last = arrival_s(frames[-1])
    assert pipe.heartbeat(last + 0.99).status == Status.OK
    stale = pipe.heartbeat(last + 1.01)
    assert (stale.status, stale.action, stale.class_index, stale.confidence) == (
        Status.STALE, "unknown", -1, 0.0)
    assert (list(stale.probabilities), stale.class_names, stale.window_start_ns) == ([], [], 0)
    assert stale.stamp_ns == frames[-1].stamp_ns, "stamped with the newest input, never now"


def test_no_person_in_view_or_outside_the_region(classifier):
    pipe = pipeline(classifier)
    _, beats = feed(pipe, [frame("cam", k, ids=()) for k in range(5)])
    assert {b.status for b in beats} == {Status.NO_PERSON}
    assert beats[-1].cameras == ["cam"] and beats[-1].stamp_ns == frame("cam", 4).stamp_ns
    fenced = pipeline(classifier, operator_regions=[0.0, 0.0, 100.0, 100.0])
    tracks, beats = feed(fenced, [frame("cam", k) for k in range(12)])
    assert {b.status for b in beats} == {Status.NO_PERSON}, "the person stands outside"
    assert tracks and tracks[-1].status == Status.OK, "per-track decisions go on regardless"


def test_a_future_stamp_is_refused_and_changes_nothing(classifier):
    pipe = pipeline(classifier, max_future_s=1.0)
    frames = [frame("cam", k) for k in range(12)]
    feed(pipe, frames)
    now = arrival_s(frames[-1]) + 0.01
    before = pipe.heartbeat(now)
    assert before.status == Status.OK
    ahead = frame("cam", 12, offset_ns=2 * 10**9)
    with pytest.raises(InputError, match="ahead of the node clock"):
        pipe.process(ahead, now)
    assert pipe.counters.get("future_stamp") == 1
    after = pipe.heartbeat(now)
    assert (after.status, after.stamp_ns, after.action) == (
        before.status, before.stamp_ns, before.action)
    tracks, beats = feed(pipe, [frame("cam", k) for k in range(12, 16)])
    assert tracks and beats[-1].status == Status.OK
    assert all(d.stamp_ns < ahead.stamp_ns for d in [*tracks, *beats])


def test_a_camera_clock_jumping_back_restarts_the_window(classifier):
    pipe = pipeline(classifier, min_window_fill=1.0, gap_reset_s=1.0)
    feed(pipe, [frame("cam", k) for k in range(12)])
    hour = -3600 * 10**9
    # the node clock goes on; the camera's stamps restart an hour earlier
    jumped = [frame("cam", k, offset_ns=hour) for k in range(12)]
    tracks, beats = [], []
    for i, f in enumerate(jumped):
        now = arrival_s(frame("cam", 12 + i))
        tracks += pipe.process(f, now)
        beats.append(pipe.heartbeat(now))
    assert beats[0].status == Status.WARMING_UP, "the old view is dropped at once"
    assert Status.OK in [b.status for b in beats], "decisions come back on the new stamps"
    assert tracks and all(d.stamp_ns < T0_NS for d in tracks)
    assert all(b.stamp_ns < T0_NS for b in beats), "never the pre-jump stamp presented again"
    assert pipe.diagnostics_values()["clock_jumps"] == 1


def test_two_cameras_are_fused_and_one_going_silent_degrades(classifier):
    pipe = pipeline(classifier, cameras=["c1", "c2"], stale_after_s=1.0,
                    fusion_tolerance_s=0.2)
    for k in range(12):
        for cam in ("c1", "c2"):
            f = frame(cam, k, offset_ns=0 if cam == "c1" else 10**7)  # c2 10 ms later
            pipe.process(f, arrival_s(f))
    both = pipe.heartbeat(arrival_s(frame("c2", 11, offset_ns=10**7)))
    assert (both.status, both.action, both.cameras) == (Status.OK, "stand", ["c1", "c2"])
    assert both.stamp_ns == frame("c2", 11, offset_ns=10**7).stamp_ns, "newest window end"
    np.testing.assert_allclose(both.probabilities, PROBS, atol=1e-5)
    # c2 goes silent; c1 keeps sending
    for k in range(12, 30):
        pipe.process(frame("c1", k), arrival_s(frame("c1", k)))
    one = pipe.heartbeat(arrival_s(frame("c1", 29)))
    assert (one.status, one.cameras) == (Status.OK, ["c1"])
    assert one.stamp_ns == frame("c1", 29).stamp_ns


def test_views_further_apart_than_the_tolerance_are_not_fused(classifier):
    pipe = pipeline(classifier, cameras=["c1", "c2"], fusion_tolerance_s=0.2)
    lag = -5 * 10**8  # c2's stamps are 0.5 s behind c1's (its clock, or its pipeline)
    for k in range(12):
        pipe.process(frame("c1", k), arrival_s(frame("c1", k)))
        pipe.process(frame("c2", k, offset_ns=lag), arrival_s(frame("c1", k)))
    d = pipe.heartbeat(arrival_s(frame("c1", 11)))
    assert (d.status, d.cameras) == (Status.OK, ["c1"])


def test_heartbeat_walks_through_the_statuses_on_a_fake_clock(classifier):
    """5 Hz heartbeats over: nothing, a person walking in, then silence."""
    pipe = pipeline(classifier, stale_after_s=1.0, min_window_fill=1.0)
    frames = {round(k / FPS, 3): frame("cam", k, ids=("1",) if k >= 10 else ())
              for k in range(5, 30)}
    seen = []
    for tick in range(0, 50):
        now_rel = tick * 0.2  # heartbeat times, relative to T0
        for t in sorted(t for t in frames if t + LATENCY_S <= now_rel):
            f = frames.pop(t)
            pipe.process(f, arrival_s(f))
        d = pipe.heartbeat(T0_NS * 1e-9 + now_rel)
        assert d.track_id == "" and d.frame_id == ""
        assert d.stamp_ns <= T0_NS + now_rel * 1e9, "never stamped after the node clock"
        if not seen or seen[-1] != d.status:
            seen.append(d.status)
    assert seen == [Status.STALE, Status.NO_PERSON, Status.WARMING_UP, Status.OK,
                    Status.STALE]


def test_decisions_are_the_message_form(classifier):
    """Per-track and operator decisions convert to ActionStamped and back unchanged."""
    from har_ros.ros import conversions as conv

    pipe = pipeline(classifier)
    tracks, beats = feed(pipe, [frame("cam", k) for k in range(12)])
    for d in (tracks[-1], beats[-1], pipe.heartbeat(1e12)):
        back = conv.msg_to_action(conv.action_to_msg(d))
        for name in ("stamp_ns", "window_start_ns", "frame_id", "track_id", "cameras",
                     "action", "class_index", "class_names", "status"):
            assert getattr(back, name) == getattr(d, name), name
        assert back.confidence == pytest.approx(d.confidence)
        np.testing.assert_allclose(back.probabilities, d.probabilities, atol=1e-6)
        assert isinstance(back.status, Status)
