"""`har-ros camera` plays a real video as an Image topic and exits at the end of the file."""

import numpy as np
import pytest
from rclpy.executors import SingleThreadedExecutor
from sensor_msgs.msg import Image

from har_ros.ros import conversions as conv
from har_ros.video_source import VideoSource

from conftest import require_file
from ros_harness import ros_context, spin_until, start_python, stop

pytestmark = pytest.mark.ros


def test_camera_plays_a_video_file_and_exits(ros_domain, shared_data):
    """With --wait-for-subscribers the first frame waits for discovery, so none is lost to it
    (without it a loaded machine lost the first 240 frames at 80 fps before the match)."""
    domain_id, env = ros_domain
    video = require_file(shared_data / "video" / "exercise.avi")  # 393 frames at 10 fps
    got: list[Image] = []
    with ros_context(domain_id) as ctx:
        import rclpy

        node = rclpy.create_node("camera_test_client", context=ctx)
        node.create_subscription(Image, "cam7/image_raw", got.append, 500)
        ex = SingleThreadedExecutor(context=ctx)
        ex.add_node(node)
        proc = start_python(["-m", "har_ros.cli", "camera", str(video), "--camera", "cam7",
                             "--rate", "8", "--wait-for-subscribers", "1"], env)
        try:
            ex.spin_once(timeout_sec=0.1)
            spin_until(ex, lambda: proc.poll() is not None, 60)
            spin_until(ex, lambda: False, 0.5)
        finally:
            out = stop(proc)
        node.destroy_node()
    assert proc.returncode == 0, out
    assert "end of" in out and "393 frames" in out
    assert len(got) >= 390, f"only {len(got)} of 393 frames arrived"
    first = next(VideoSource(video).frames(limit=1))
    assert np.array_equal(conv.imgmsg_to_bgr(got[0]), first), "the file's first frame is first"
    stamps = [conv.stamp_to_ns(m.header.stamp) for m in got]
    assert stamps == sorted(set(stamps)), "stamps strictly increase"
    assert (got[0].width, got[0].height, got[0].encoding) == (384, 288, "bgr8")


def test_missing_video_is_a_clear_error(ros_domain, tmp_path):
    _, env = ros_domain
    proc = start_python(["-m", "har_ros.cli", "camera", str(tmp_path / "nope.avi")], env)
    proc.wait(timeout=60)
    out = proc.stdout.read()
    assert proc.returncode == 2 and "nope.avi does not exist" in out
