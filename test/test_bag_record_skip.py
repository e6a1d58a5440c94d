"""`har-ros record --all` over real Fast DDS: a topic it cannot record (two types from two
participants, or a type the bag writer does not know) is reported once and skipped, and the
other topics keep recording."""

from __future__ import annotations

import time

import pytest

from har_ros.bags.reader import BagReader

from ros_harness import ros_context, start_python, stop

pytestmark = pytest.mark.ros


@pytest.mark.reliability("`record --all` while /x is published as std_msgs/String by one "
                         "process and std_msgs/Int32 by another, and /req as "
                         "rcl_interfaces/srv/GetParameters_Request (no bag typestore entry)",
                         "/x and /req are reported once with the reason and not recorded (or "
                         "/x only in the type seen first); the good topic is recorded")
def test_record_all_reports_and_skips_unrecordable_topics(ros_domain, tmp_path):
    import rclpy
    from rcl_interfaces.srv import GetParameters
    from std_msgs.msg import Int32, String

    domain_id, env = ros_domain
    # two contexts = two DDS participants (the recording lasts long enough for discovery on a
    # loaded machine): Fast DDS refuses two types on one topic within one
    with ros_context(domain_id) as ctx_a, ros_context(domain_id) as ctx_b:
        a = rclpy.create_node("pub_a", context=ctx_a)
        b = rclpy.create_node("pub_b", context=ctx_b)
        good = a.create_publisher(String, "/good", 10)
        x_str = a.create_publisher(String, "/x", 10)
        x_int = b.create_publisher(Int32, "/x", 10)
        req = a.create_publisher(GetParameters.Request, "/req", 10)
        rec = start_python(["-m", "har_ros.cli", "record", "--all", "-o", str(tmp_path / "rec"),
                            "-d", "8"], env)
        deadline = time.monotonic() + 60
        n = 0
        try:
            while rec.poll() is None and time.monotonic() < deadline:
                good.publish(String(data=f"m{n}"))
                x_str.publish(String(data="s"))
                x_int.publish(Int32(data=n))
                req.publish(GetParameters.Request(names=["p"]))
                n += 1
                time.sleep(0.05)
        finally:
            out = stop(rec)
    assert rec.returncode == 0, out
    assert "not recorded: message type 'rcl_interfaces/srv/GetParameters_Request' is not " \
           "known to the bag writer" in out
    x_lines = [ln for ln in out.splitlines() if "/x: " in ln and " recorded" in ln]
    assert x_lines and all("std_msgs/msg/Int32" in ln and "std_msgs/msg/String" in ln
                           or "also published as" in ln for ln in x_lines), out
    assert len(x_lines) == 2, f"reported once by the node and once in the summary:\n{out}"
    with BagReader(tmp_path / "rec") as bag:
        topics = bag.topics
        assert topics["/good"].count > 5, out
        assert "/req" not in topics
