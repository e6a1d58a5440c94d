"""No socket of a har_ros node is bound off loopback (issue #12, item 7), and nodes with the
project's Fast DDS profile still talk to processes without it (this test process).

Real nodes in their own processes over real Fast DDS; their sockets are read with ``ss`` (or
from /proc where ``ss`` is missing) and filtered by the node's pid.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from rclpy.executors import SingleThreadedExecutor

from har_ros.frames import SkeletonFrame
from har_ros.msg import ActionStamped, SkeletonArray
from har_ros.ros import conversions as conv
from har_ros.ros.network import confine_dds_to_loopback

from ros_harness import REPO_ROOT, ros_context, spin_until, start_python, stop

pytestmark = pytest.mark.ros
SHM_PROFILE = REPO_ROOT / "config" / "fastdds_shm.xml"
LOCALHOST_PROFILE = REPO_ROOT / "config" / "fastdds_localhost.xml"


def _ss_sockets(pid: int) -> list[tuple[str, str]]:
    """(protocol, local address) of every UDP and TCP socket of ``pid``, from ``ss``."""
    found = []
    for proto, flag in (("udp", "-uapnH"), ("tcp", "-tapnH")):
        out = subprocess.run(["ss", flag], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if f"pid={pid}," in line:
                local = line.split()[3]
                found.append((proto, local.rsplit(":", 1)[0].strip("[]")))
    return found


def _proc_sockets(pid: int) -> list[tuple[str, str]]:
    """The same from /proc: the process's socket inodes matched against /proc/<pid>/net/*."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("udp", "udp6", "tcp", "tcp6"):
        lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            if fields[9] in inodes:
                raw = bytes.fromhex(fields[1].split(":")[0])
                # the kernel prints each 32-bit word in host (little-endian) order
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                found.append((table.rstrip("6"), str(ipaddress.ip_address(words))))
    return found


def node_sockets(pid: int) -> list[tuple[str, str]]:
    """(protocol, local address) of every UDP and TCP socket the process ``pid`` holds."""
    return _ss_sockets(pid) if shutil.which("ss") else _proc_sockets(pid)


def off_loopback(sockets: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The sockets bound to anything but 127.0.0.1 / ::1 (0.0.0.0, '*', a real interface)."""
    return [(p, a) for p, a in sockets if a not in ("127.0.0.1", "::1")]


def _empty_frame(stamp_ns: int) -> SkeletonArray:
    return conv.skeletons_to_msg(SkeletonFrame(
        stamp_ns, "cam_net_optical", "cam_net", 640, 480, "openpose",
        np.zeros((0, 18, 3), np.float32), [], np.zeros(0, np.float32)))


def _node_round_trip(env: dict[str, str], domain_id: int, model: Path) -> list[tuple[str, str]]:
    """Start the action node with ``env``; this process (no profile) sends it empty
    SkeletonArrays and must get NO_PERSON back. Returns the node's sockets meanwhile."""
    node = start_python(["-m", "har_ros.cli", "action-node", "--ros-args",
                         "-p", "cameras:=[cam_net]", "-p", f"model_path:={model}",
                         "-p", "heartbeat_hz:=10.0"], env)
    try:
        with ros_context(domain_id) as ctx:
            import rclpy

            client = rclpy.create_node("network_test_client", context=ctx)
            pub = client.create_publisher(SkeletonArray, "cam_net/skeletons", 10)
            statuses: list[int] = []
            client.create_subscription(ActionStamped, "action",
                                       lambda m: statuses.append(m.status), 10)
            ex = SingleThreadedExecutor(context=ctx)
            ex.add_node(client)
            assert spin_until(ex, lambda: pub.get_subscription_count() > 0 and statuses, 90), \
                stop(node)
            stamp = 1_700_000_000_000_000_000

            def no_person() -> bool:
                nonlocal stamp
                stamp += 100_000_000
                pub.publish(_empty_frame(stamp))
                return ActionStamped.NO_PERSON in statuses

            deadline = time.monotonic() + 20
            while not no_person() and time.monotonic() < deadline:
                spin_until(ex, lambda: False, 0.1)
            assert ActionStamped.NO_PERSON in statuses, stop(node)
            sockets = node_sockets(node.pid)
            client.destroy_node()
    finally:
        out = stop(node)
    assert node.returncode == 0, out
    # the profile parsed whole (its endpoint memory policies included): Fast DDS logs any
    # element it cannot read and then ignores the rest of the profile
    assert "XMLPARSER" not in out, out
    return sockets


@pytest.mark.reliability(
    "action node started with ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST and no Fast DDS profile "
    "on a machine with a non-loopback interface",
    "loads config/fastdds_localhost.xml: every UDP/TCP socket bound on 127.0.0.1 (none on "
    "0.0.0.0); still talks both ways to a process without the profile")
def test_node_binds_only_loopback_and_talks_to_a_process_without_profile(
        ros_domain, action_model_path, monkeypatch):
    domain_id, env = ros_domain
    monkeypatch.delenv("FASTDDS_DEFAULT_PROFILES_FILE", raising=False)
    sockets = _node_round_trip(env, domain_id, action_model_path)
    assert any(p == "udp" for p, _ in sockets), sockets
    assert off_loopback(sockets) == [], sockets


@pytest.mark.reliability(
    "action node started with FASTDDS_DEFAULT_PROFILES_FILE=config/fastdds_shm.xml and "
    "ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST",
    "UDP only on 127.0.0.1 (discovery; data goes through shared memory), none on 0.0.0.0; "
    "still talks both ways to a process without the profile")
def test_shm_profile_binds_only_loopback(ros_domain, action_model_path):
    domain_id, env = ros_domain
    env = dict(env, FASTDDS_DEFAULT_PROFILES_FILE=str(SHM_PROFILE))
    sockets = _node_round_trip(env, domain_id, action_model_path)
    assert off_loopback(sockets) == [], sockets


@pytest.mark.reliability(
    "FASTDDS_DEFAULT_PROFILES_FILE set to a profile of the user's own",
    "left as it is, and so is ROS_AUTOMATIC_DISCOVERY_RANGE")
def test_policy_keeps_a_users_profile_and_switches_range_only_for_ours(tmp_path):
    own = tmp_path / "own.xml"
    own.write_text("<profiles/>")
    env = {"FASTDDS_DEFAULT_PROFILES_FILE": str(own), "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST"}
    confine_dds_to_loopback(env)
    assert env == {"FASTDDS_DEFAULT_PROFILES_FILE": str(own),
                   "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST"}
    # ours under LOCALHOST: rmw_fastrtps would add a UDPv4 transport on 0.0.0.0, so the range
    # becomes SYSTEM_DEFAULT and the profile alone decides the transports
    env = {"FASTDDS_DEFAULT_PROFILES_FILE": str(SHM_PROFILE),
           "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST"}
    confine_dds_to_loopback(env)
    assert env["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "SYSTEM_DEFAULT"
    # ... and rmw_fastrtps takes the endpoints' memory policy from it (readers free payloads)
    assert env["RMW_FASTRTPS_USE_QOS_FROM_XML"] == "1"
    # nothing set: the loopback profile is chosen; an explicit SUBNET is the user's choice
    env = {"ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST"}
    confine_dds_to_loopback(env)
    assert Path(env["FASTDDS_DEFAULT_PROFILES_FILE"]).name == LOCALHOST_PROFILE.name
    assert env["ROS_AUTOMATIC_DISCOVERY_RANGE"] == "SYSTEM_DEFAULT"
    env = {"ROS_AUTOMATIC_DISCOVERY_RANGE": "SUBNET"}
    confine_dds_to_loopback(env)
    assert env == {"ROS_AUTOMATIC_DISCOVERY_RANGE": "SUBNET"}
