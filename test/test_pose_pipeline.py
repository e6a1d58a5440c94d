"""PosePipeline with a stub backend (the real backends need weights): the SkeletonFrame
contract, batching across cameras, per-frame failure isolation, and the per-camera time
policy (future stamps, out of order, a clock jumping back restarts the tracker). Stamps and
the reader's clock are passed explicitly; no ROS, no sleeps."""

from __future__ import annotations

import numpy as np
import pytest

from har_ros.errors import InputError
from har_ros.pose import BACKENDS
from har_ros.pose.base import PoseBackend
from har_ros.pose_config import PoseNodeConfig
from har_ros.pose_pipeline import (
    CLOCK_JUMP,
    FUTURE_STAMP,
    OUT_OF_ORDER,
    STAMP_OK,
    CameraImage,
    FrameFailure,
    PosePipeline,
)

T0_NS = 1_700_000_000_000_000_000
BAD, EMPTY = 255, 1  # pixel (0, 0) values that make the stub fail / see nobody


def standing(cx: float, cy: float = 240.0) -> np.ndarray:
    """(18, 3) pixels: a person around (cx, cy), every joint present."""
    s = np.zeros((18, 3), np.float32)
    s[:, 0] = cx + 15 * np.sin(np.arange(18))
    s[:, 1] = cy + np.linspace(-120, 120, 18)
    s[:, 2] = 0.9
    return s


class StubBackendForTests(PoseBackend):
    """Returns two fixed people per image (none when pixel (0, 0) is EMPTY); raises InputError
    for a whole call when any image has pixel (0, 0) == BAD. Records the batch sizes."""

    name = "stub_for_tests"
    calls: list[int] = []

    def __init__(self, max_batch: int = 4) -> None:
        self.max_batch = max_batch
        self.people = np.stack([standing(150.0), standing(450.0)])

    def infer(self, images: list[np.ndarray]) -> list[np.ndarray]:
        StubBackendForTests.calls.append(len(images))
        if any(int(im[0, 0, 0]) == BAD for im in images):
            raise InputError("stub: bad frame in the batch")
        return [np.zeros((0, 18, 3), np.float32) if int(im[0, 0, 0]) == EMPTY
                else self.people.copy() for im in images]


@pytest.fixture
def make_pipeline(monkeypatch):
    monkeypatch.setitem(BACKENDS, StubBackendForTests.name,
                        f"{__name__}:{StubBackendForTests.__name__}")
    StubBackendForTests.calls = []
    pipes = []

    def make(**cfg) -> PosePipeline:
        cfg.setdefault("cameras", ["cam0", "cam1"])
        pipe = PosePipeline(PoseNodeConfig(backend=StubBackendForTests.name, **cfg))
        pipes.append(pipe)
        return pipe

    yield make
    for pipe in pipes:
        pipe.close()


def image(marker: int = 0, width: int = 640, height: int = 480) -> np.ndarray:
    im = np.zeros((height, width, 3), np.uint8)
    im[0, 0] = marker
    return im


def stamp(k: int) -> int:
    return T0_NS + k * 100_000_000


def test_frames_carry_stamp_camera_size_and_stable_track_ids(make_pipeline):
    pipe = make_pipeline()
    frames = [pipe.process([CameraImage("cam0", image(), stamp(k), "cam0_optical")])[0]
              for k in range(3)]
    for k, f in enumerate(frames):
        assert (f.stamp_ns, f.frame_id, f.camera_name) == (stamp(k), "cam0_optical", "cam0")
        assert (f.image_width, f.image_height, f.backend) == (640, 480, "stub_for_tests")
        assert f.skeletons.shape == (2, 18, 3) and f.skeletons.dtype == np.float32
        assert len(f.scores) == 2
    assert frames[0].track_ids == frames[2].track_ids == ["cam0/1", "cam0/2"]
    np.testing.assert_allclose(sorted(f[1, 0] for f in frames[2].skeletons),
                               [150.0 + 15 * np.sin(1), 450.0 + 15 * np.sin(1)], atol=1e-4)
    nobody = pipe.process([CameraImage("cam0", image(EMPTY), stamp(3))])[0]
    assert nobody.skeletons.shape == (0, 18, 3) and nobody.track_ids == []


def test_cameras_are_batched_into_one_backend_call_in_order(make_pipeline):
    pipe = make_pipeline(max_batch=4)
    out = pipe.process([CameraImage("cam1", image(), stamp(0)),
                        CameraImage("cam0", image(EMPTY), stamp(0))])
    assert StubBackendForTests.calls == [2]
    assert [f.camera_name for f in out] == ["cam1", "cam0"]
    assert out[0].track_ids == ["cam1/1", "cam1/2"] and out[1].track_ids == []


def test_one_bad_frame_costs_only_its_own_camera(make_pipeline):
    pipe = make_pipeline()
    batch = [CameraImage("cam0", image(BAD), stamp(0)), CameraImage("cam1", image(), stamp(0))]
    out = pipe.process_isolated(batch)
    assert isinstance(out[0], FrameFailure)
    assert (out[0].camera, out[0].cause) == ("cam0", "backend_errors")
    assert out[1].camera_name == "cam1" and out[1].track_ids == ["cam1/1", "cam1/2"]
    assert StubBackendForTests.calls == [2, 1, 1], "the failed batch is retried frame by frame"
    with pytest.raises(InputError, match="bad frame"):
        pipe.process(batch)


def test_time_policy_per_camera(make_pipeline):
    pipe = make_pipeline(max_future_s=1.0, clock_jump_s=1.0)
    now_ns = stamp(10)
    assert pipe.admit("cam0", now_ns + 2 * 10**9, now_ns) == FUTURE_STAMP
    assert pipe.admit("cam0", stamp(10), now_ns) == STAMP_OK
    assert pipe.admit("cam0", stamp(9), now_ns) == OUT_OF_ORDER, "0.1 s back: dropped"
    assert pipe.admit("cam1", stamp(9), now_ns) == STAMP_OK, "cameras are judged apart"
    first = pipe.process([CameraImage("cam0", image(), stamp(10))])[0]
    assert first.track_ids == ["cam0/1", "cam0/2"]
    back = stamp(10) - 3600 * 10**9
    assert pipe.admit("cam0", back, now_ns) == CLOCK_JUMP
    again = pipe.process([CameraImage("cam0", image(), back)])[0]
    assert again.track_ids == ["cam0/3", "cam0/4"], (
        "the tracker restarted; ids keep counting up, never reused")
    assert pipe.admit("cam0", back + 10**8, now_ns) == STAMP_OK
