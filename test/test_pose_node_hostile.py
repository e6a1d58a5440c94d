"""The pose node over real Fast DDS under hostile input (issue #12): images that would exhaust
memory, a decompression bomb, a bad frame batched with a good one, and bad or jumping stamps.
Each test starts the real node (real OpenPose backend) in its own process."""

from __future__ import annotations

import array
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

from har_ros.msg import SkeletonArray
from har_ros.ros import conversions as conv

from conftest import require_file
from hostile_images import png_bomb, strip
from ros_harness import ros_context, spin_until, start_python, stop

pytestmark = pytest.mark.ros

MAX_PEAK_RSS_BYTES = 1.5 * 2**30


def _weights_or_skip() -> None:
    from har_ros.errors import BackendUnavailableError
    from har_ros.pose.weights import OPENPOSE_MOBILENET_THIN, locate_weights

    try:
        locate_weights(OPENPOSE_MOBILENET_THIN)
    except BackendUnavailableError as exc:
        pytest.skip(f"OpenPose weights absent ({exc}); 'make setup' fetches them")


def _frames(path: Path, n: int) -> list[np.ndarray]:
    from har_ros.video_source import VideoSource

    frames = list(VideoSource(path).frames(limit=n))
    assert len(frames) == n
    return frames


def _peak_rss_bytes(pid: int) -> int:
    """The process's peak resident set size (VmHWM) so far."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


def _stamp(t: float) -> Header:
    sec = int(t)
    return Header(stamp=Time(sec=sec, nanosec=int(round((t - sec) * 1e9))), frame_id="optical")


class PoseNodeClient:
    """Publishers per camera, the received SkeletonArrays per camera and /diagnostics."""

    def __init__(self, ctx, topics: dict[str, tuple[type, str]]) -> None:
        import rclpy

        self.node = rclpy.create_node("hostile_client", context=ctx)
        self.pubs = {cam: self.node.create_publisher(t, topic, 10)
                     for cam, (t, topic) in topics.items()}
        self.got: dict[str, list[SkeletonArray]] = {cam: [] for cam in topics}
        self.diags: list[DiagnosticStatus] = []
        for cam in topics:
            self.node.create_subscription(
                SkeletonArray, f"{cam}/skeletons", lambda m, c=cam: self.got[c].append(m), 10)
        self.node.create_subscription(
            DiagnosticArray, "/diagnostics", lambda m: self.diags.extend(m.status), 50)
        self.ex = SingleThreadedExecutor(context=ctx)
        self.ex.add_node(self.node)

    def connected(self, timeout_s: float = 30) -> bool:
        return spin_until(self.ex, lambda: all(p.get_subscription_count()
                                               for p in self.pubs.values()), timeout_s)

    def count(self, key: str) -> int:
        """The latest diagnostics value of counter ``key`` (0 before any diagnostics)."""
        for status in self.diags[::-1]:
            values = {kv.key: kv.value for kv in status.values}
            return int(values.get(key, 0))
        return 0

    def wait(self, predicate, timeout_s: float = 20) -> bool:
        return spin_until(self.ex, predicate, timeout_s)

    def send(self, cam: str, msg) -> None:
        self.pubs[cam].publish(msg)

    def send_and_wait_output(self, cam: str, msg, timeout_s: float = 20) -> SkeletonArray:
        n = len(self.got[cam])
        self.send(cam, msg)
        assert self.wait(lambda: len(self.got[cam]) > n, timeout_s), f"no output on {cam}"
        return self.got[cam][-1]

    def send_and_wait_count(self, cam: str, msg, key: str, timeout_s: float = 20) -> None:
        n = self.count(key)
        self.send(cam, msg)
        assert self.wait(lambda: self.count(key) > n, timeout_s), f"{key} not counted"


@contextmanager
def pose_node(ros_domain, topics: dict[str, tuple[type, str]], *extra: str):
    """A pose node process for ``topics`` (camera -> (type, topic)) and a connected client."""
    _weights_or_skip()
    domain_id, env = ros_domain
    cams = list(topics)
    node = start_python(
        ["-m", "har_ros.cli", "pose-node", "--ros-args",
         "-p", f"cameras:=[{', '.join(cams)}]",
         "-p", f"image_topics:=[{', '.join(t for _, t in topics.values())}]",
         "-p", "diagnostics_period_s:=0.2", *extra], env)
    output: list[str] = []
    try:
        with ros_context(domain_id) as ctx:
            client = PoseNodeClient(ctx, topics)
            assert client.connected(), stop(node)
            client.process = node
            client.output = output
            yield client
            client.node.destroy_node()
    finally:
        output.append(stop(node))
    assert node.returncode == 0, output[-1]


@pytest.mark.reliability(
    "256x8 and 1024x8 Image (6 KB / 24 KB), 20000x20000 PNG bomb (1.7 MB) in a CompressedImage",
    "refused from the message fields / png header before any allocation (peak RSS < 1.5 GB); "
    "counted as refused_size; the next good frame is processed")
def test_huge_and_elongated_images_are_refused_with_bounded_memory(ros_domain, shared_data):
    frame = _frames(require_file(shared_data / "video" / "exercise.avi"), 1)[0]
    topics = {"cam_a": (Image, "cam_a/image_raw"),
              "cam_b": (CompressedImage, "cam_b/image_raw/compressed")}
    with pose_node(ros_domain, topics) as client:
        bomb = CompressedImage(header=_stamp(50.0), format="png")
        bomb.data = array.array("B", png_bomb())
        t0 = time.monotonic()
        client.send_and_wait_count("cam_a", conv.bgr_to_imgmsg(strip(256, 8), _stamp(10.0)),
                                   "refused_size", timeout_s=30)
        client.send_and_wait_count("cam_a", conv.bgr_to_imgmsg(strip(1024, 8), _stamp(11.0)),
                                   "refused_size", timeout_s=30)
        client.send_and_wait_count("cam_b", bomb, "refused_size", timeout_s=30)
        refused_s = time.monotonic() - t0
        peak = _peak_rss_bytes(client.process.pid)
        out_a = client.send_and_wait_output("cam_a", conv.bgr_to_imgmsg(frame, _stamp(12.0)))
        out_b = client.send_and_wait_output("cam_b", conv.bgr_to_compressed(frame, _stamp(51.0)))
        peak_after = _peak_rss_bytes(client.process.pid)
        counts = {k: client.count(k) for k in ("refused_size", "bad_messages", "frames_out")}
    assert peak < MAX_PEAK_RSS_BYTES and peak_after < MAX_PEAK_RSS_BYTES, (peak, peak_after)
    assert refused_s < 10, refused_s
    assert counts["refused_size"] == 3 and counts["bad_messages"] == 3, counts
    assert len(out_a.skeletons) == 3 and len(out_b.skeletons) == 3
    assert "refused_size): 256x8 image has aspect ratio 32.0" in client.output[-1]


@pytest.mark.reliability(
    "camera A's frame the backend rejects (4x4 image) batched with camera B's good frame",
    "only A's frame is lost (backend_errors); B's SkeletonArray arrives")
def test_bad_frame_on_one_camera_does_not_cost_another_cameras_frame(ros_domain, shared_data):
    frames = _frames(require_file(shared_data / "video" / "exercise.avi"), 2)
    topics = {"cam_a": (Image, "cam_a/image_raw"), "cam_b": (Image, "cam_b/image_raw")}
    with pose_node(ros_domain, topics) as client:
        # a good frame keeps the worker busy, so the next two frames wait and go in one batch
        client.send("cam_a", conv.bgr_to_imgmsg(frames[0], _stamp(100.0)))
        client.wait(lambda: client.count("frames_in") >= 1, 5)
        client.send("cam_a", conv.bgr_to_imgmsg(strip(4, 4), _stamp(100.5)))
        client.send("cam_b", conv.bgr_to_imgmsg(frames[1], _stamp(200.0)))
        assert client.wait(lambda: client.got["cam_b"] and client.count("backend_errors"), 30)
        assert client.wait(lambda: client.count("frames_in") == 3, 5)
        out_b = client.got["cam_b"][0]
        errors = client.count("backend_errors")
    assert out_b.header.stamp.sec == 200 and len(out_b.skeletons) == 3
    assert errors == 1
    assert "frame lost (backend_errors)" in client.output[-1]


@pytest.mark.reliability(
    "zero stamp, duplicate / slightly older stamp, stamp 1000 s in the future on one camera",
    "each skipped and counted (bad_stamp, out_of_order, future_stamp); no output; track ids of "
    "the following frames unchanged")
@pytest.mark.reliability(
    "one camera's stamps jump back 50 s (bag loop, clock reset)",
    "that camera's tracks restart with new ids (clock_jumps); the other camera's ids unchanged")
def test_stamp_policy_per_camera(ros_domain, shared_data):
    frames = _frames(require_file(shared_data / "video" / "exercise.avi"), 8)
    topics = {"cam_a": (Image, "cam_a/image_raw"), "cam_b": (Image, "cam_b/image_raw")}
    with pose_node(ros_domain, topics) as client:
        def image(i: int, t: float) -> Image:
            return conv.bgr_to_imgmsg(frames[i], _stamp(t))

        def ids(msg: SkeletonArray) -> list[str]:
            return sorted(s.track_id for s in msg.skeletons)

        first = ids(client.send_and_wait_output("cam_a", image(0, 100.0)))
        assert ids(client.send_and_wait_output("cam_a", image(1, 100.1))) == first
        b_first = ids(client.send_and_wait_output("cam_b", image(0, 500.0)))
        client.send_and_wait_count("cam_a", image(2, 0.0), "bad_stamp")
        assert ids(client.send_and_wait_output("cam_a", image(2, 100.2))) == first
        client.send_and_wait_count("cam_a", image(3, 100.2), "out_of_order")
        client.send_and_wait_count("cam_a", image(3, 100.15), "out_of_order")
        future = time.time() + 1000.0
        client.send_and_wait_count("cam_a", image(3, future), "future_stamp")
        assert ids(client.send_and_wait_output("cam_a", image(3, 100.3))) == first
        n_a = len(client.got["cam_a"])
        jumped = ids(client.send_and_wait_output("cam_a", image(4, 50.0)))
        after_jump = ids(client.send_and_wait_output("cam_a", image(5, 50.1)))
        b_after = ids(client.send_and_wait_output("cam_b", image(1, 500.1)))
        stamps_a = [m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for m in client.got["cam_a"]]
        counts = {k: client.count(k) for k in
                  ("bad_stamp", "out_of_order", "future_stamp", "clock_jumps")}
    assert len(first) == 3 and len(b_first) == 3
    assert n_a == 4, "no output for a skipped stamp"
    assert np.allclose(stamps_a, [100.0, 100.1, 100.2, 100.3, 50.0, 50.1])
    assert counts == {"bad_stamp": 1, "out_of_order": 2, "future_stamp": 1, "clock_jumps": 1}
    assert len(jumped) == 3 and not set(jumped) & set(first), "tracks restart with new ids"
    assert after_jump == jumped
    assert b_after == b_first, "the other camera's tracks are not restarted"


@pytest.mark.reliability(
    "frames arriving faster than the backend (dropped by the newest-frame policy), then one "
    "refused image",
    "diagnostics OK while only dropping by design; WARN naming refused_size in the period of "
    "the refusal, OK again in the next period (lifetime counters kept)")
def test_diagnostics_warn_by_period_not_by_lifetime_counters(ros_domain, shared_data):
    frames = _frames(require_file(shared_data / "video" / "exercise.avi"), 6)
    topics = {"cam_a": (Image, "cam_a/image_raw")}
    with pose_node(ros_domain, topics) as client:
        # 12 frames within about 0.1 s of wall clock (stamps 0.1 s apart): faster than any
        # backend, so the node drops frames by design
        for i in range(12):
            client.send("cam_a", conv.bgr_to_imgmsg(frames[i % 6], _stamp(100.0 + 0.1 * i)))
            client.wait(lambda: False, 0.01)
        def settled() -> bool:
            counts = [client.count(k) for k in ("frames_in", "frames_out", "frames_dropped")]
            return counts[2] >= 1 and counts[1] + counts[2] == counts[0]

        assert client.wait(settled, 30), [(kv.key, kv.value) for kv in client.diags[-1].values]
        n = len(client.diags)
        assert client.wait(lambda: len(client.diags) >= n + 2, 5)
        after_drops = client.diags[-1]
        assert after_drops.level == DiagnosticStatus.OK, after_drops.message
        client.send_and_wait_count("cam_a", conv.bgr_to_imgmsg(strip(256, 8), _stamp(101.0)),
                                   "refused_size")
        warned = client.diags[-1]
        n = len(client.diags)
        assert client.wait(lambda: len(client.diags) >= n + 2, 5)
        recovered = client.diags[-1]
    assert warned.level == DiagnosticStatus.WARN and "1 refused_size" in warned.message
    assert recovered.level == DiagnosticStatus.OK and recovered.message == "ok"
    values = {kv.key: kv.value for kv in recovered.values}
    assert values["refused_size"] == "1" and int(values["frames_dropped"]) >= 1


@pytest.mark.reliability("one batch stuck in the backend longer than max_processing_s",
                         "diagnostics ERROR 'blocked' while it lasts, WARN 'was blocked' after")
def test_health_says_when_the_node_is_blocked():
    from har_ros.pose_health import ERROR, OK, WARN, assess

    quiet = {"frames_in": 0, "frames_dropped": 3}
    assert assess(quiet, 1.0, 0.3, 0.3, 5.0).level == OK
    blocked = assess(quiet, 1.0, 12.0, 0.0, 5.0)
    assert blocked.level == ERROR and blocked.message.startswith("blocked")
    after = assess(quiet, 1.0, 0.0, 12.0, 5.0)
    assert after.level == WARN and "was blocked" in after.message


def test_network_input_width_is_bounded():
    """A wide image within the limits (8:1) cannot widen the network input without bound."""
    from har_ros.pose.openpose_mobilenet import MAX_NET_ASPECT, net_input_size

    assert net_input_size(640, 480, 368) == (496, 368)
    for width, height in [(2048, 256), (256, 8), (100000, 10)]:
        net_w, net_h = net_input_size(width, height, 368)
        assert net_h == 368 and 16 <= net_w <= MAX_NET_ASPECT * 368
