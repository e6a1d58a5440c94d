"""The pose node over real Fast DDS, in its own process: several cameras at once, raw and
compressed, stamps preserved, empty arrays when nobody is in view, bad messages survived."""

from __future__ import annotations

import array
import subprocess
import sys

import cv2
import numpy as np
import pytest
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import CompressedImage, Image
from std_msgs.msg import Header

from har_ros.msg import SkeletonArray
from har_ros.ros import conversions as conv

from conftest import require_file
from ros_harness import REPO_ROOT, ros_context, spin_until, start_python, stop, subprocess_env

pytestmark = pytest.mark.ros


def _weights_or_skip():
    from har_ros.errors import BackendUnavailableError
    from har_ros.pose.weights import OPENPOSE_MOBILENET_THIN, locate_weights

    try:
        return locate_weights(OPENPOSE_MOBILENET_THIN)
    except BackendUnavailableError as exc:
        pytest.skip(f"OpenPose weights absent ({exc}); 'make setup' fetches them")


def _frames(path, n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < n:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    assert len(frames) == n, f"could only read {len(frames)} frames from {path}"
    return frames


def test_two_cameras_raw_and_compressed_with_bad_input(ros_domain, shared_data):
    _weights_or_skip()
    domain_id, env = ros_domain
    frames = _frames(require_file(shared_data / "video" / "exercise.avi"), 3)
    node = start_python(
        [
            "-m", "har_ros.cli", "pose-node", "--ros-args",
            "-p", "cameras:=[cam_a, cam_b]",
            "-p", "image_topics:=[cam_a/image_raw, cam_b/image_raw/compressed]",
            "-p", "diagnostics_period_s:=0.3", "-p", "publish_annotated:=true",
        ],
        env,
    )
    got: dict[str, list[SkeletonArray]] = {"cam_a": [], "cam_b": []}
    diags: list[DiagnosticArray] = []
    try:
        with ros_context(domain_id) as ctx:
            import rclpy

            ros_node = rclpy.create_node("pose_test_client", context=ctx)
            pub_a = ros_node.create_publisher(Image, "cam_a/image_raw", 10)
            pub_b = ros_node.create_publisher(CompressedImage, "cam_b/image_raw/compressed", 10)
            for cam in got:
                ros_node.create_subscription(
                    SkeletonArray, f"{cam}/skeletons", lambda m, c=cam: got[c].append(m), 10
                )
            ros_node.create_subscription(DiagnosticArray, "/diagnostics", diags.append, 10)
            annotated: list[Image] = []
            ros_node.create_subscription(Image, "cam_a/annotated", annotated.append, 10)
            ex = SingleThreadedExecutor(context=ctx)
            ex.add_node(ros_node)
            assert spin_until(
                ex, lambda: pub_a.get_subscription_count() and pub_b.get_subscription_count(), 30
            ), stop(node)

            def send_and_wait(cam, msg, count):
                (pub_a if cam == "cam_a" else pub_b).publish(msg)
                return spin_until(ex, lambda: len(got[cam]) >= count, 20)

            # 1. real frames, each with its own stamp, on both cameras
            for i, frame in enumerate(frames[:2]):
                header = Header(stamp=Time(sec=100 + i, nanosec=1234), frame_id="optical_a")
                assert send_and_wait("cam_a", conv.bgr_to_imgmsg(frame, header, "rgb8"), i + 1)
                header_b = Header(stamp=Time(sec=200 + i, nanosec=5), frame_id="optical_b")
                assert send_and_wait("cam_b", conv.bgr_to_compressed(frame, header_b), i + 1)
            # 2. bad messages, one at a time (a newer frame would replace an unprocessed one):
            # wrong encoding, truncated data, corrupt jpeg -> each skipped and counted
            def bad_count():
                for d in diags[::-1]:
                    values = {kv.key: kv.value for kv in d.status[0].values}
                    return int(values.get("bad_messages", 0))
                return 0

            wrong = conv.bgr_to_imgmsg(frames[0])
            wrong.encoding = "yuv422"
            short = conv.bgr_to_imgmsg(frames[0])
            short.data = array.array("B", bytes(100))
            corrupt = CompressedImage(format="jpeg")
            corrupt.data = array.array("B", b"\xff\xd8not a jpeg" * 20)
            for n, (pub, msg) in enumerate([(pub_a, wrong), (pub_a, short), (pub_b, corrupt)]):
                pub.publish(msg)
                assert spin_until(ex, lambda n=n: bad_count() >= n + 1, 10), n
            # 3. an empty scene still yields a message, with no skeletons
            blank = np.full_like(frames[0], 127)
            header = Header(stamp=Time(sec=300, nanosec=7), frame_id="optical_a")
            assert send_and_wait("cam_a", conv.bgr_to_imgmsg(blank, header), 3), stop(node)
            spin_until(ex, lambda: len(annotated) >= 3, 5)
            ros_node.destroy_node()
    finally:
        out = stop(node)
    assert node.returncode == 0, out
    assert [m.header.stamp.sec for m in annotated] == [100, 101, 300]
    drawn = conv.imgmsg_to_bgr(annotated[0])
    assert drawn.shape == frames[0].shape and not np.array_equal(drawn, frames[0])
    a, b = got["cam_a"], got["cam_b"]
    assert [m.header.stamp.sec for m in a] == [100, 101, 300]
    assert all(m.header.stamp.nanosec == 1234 for m in a[:2]) and a[2].header.stamp.nanosec == 7
    assert [m.header.stamp.sec for m in b] == [200, 201] and b[0].header.frame_id == "optical_b"
    for m in a[:2] + b:
        assert (m.image_width, m.image_height) == (frames[0].shape[1], frames[0].shape[0])
        assert m.backend == "openpose_mobilenet"
        assert len(m.skeletons) == 3, "exercise.avi shows three people"
        assert all(s.track_id.startswith(m.camera_name + "/") for s in m.skeletons)
    assert len(a[2].skeletons) == 0, "a blank image must give an empty array, not silence"
    assert [s.track_id for s in a[0].skeletons] == [s.track_id for s in a[1].skeletons]
    assert "skipped a bad image" in out
    # what runs the network is reported: the runtime 'auto' picked, its device and precision
    values = {kv.key: kv.value for kv in diags[-1].status[0].values}
    from har_ros.pose.runtimes import import_openvino

    expected = "openvino " if import_openvino()[0] is not None else "opencv "
    assert values["pose_runtime"].startswith(expected), values
    assert values["pose_precision"] == "f32" and values["pose_device"], values


def test_bad_parameters_fail_fast_with_a_message(ros_domain):
    _, env = ros_domain
    out = subprocess.run(
        [sys.executable, "-m", "har_ros.cli", "pose-node", "--ros-args",
         "-p", "cameras:=[cam_a]", "-p", "image_topics:=[a, b]"],
        env=subprocess_env(env), cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 2
    assert "image_topics" in out.stderr and "one topic per camera" in out.stderr
    out = subprocess.run(
        [sys.executable, "-m", "har_ros.cli", "pose-node", "--ros-args", "-p", "backend:=nope"],
        env=subprocess_env(env), cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
    )
    assert out.returncode == 2 and "unknown pose backend 'nope'" in out.stderr
