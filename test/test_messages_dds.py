"""Each custom message travels between two separate processes over real Fast DDS (loopback
only, own domain) and arrives with every field intact."""

import pytest
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

from ros_harness import REPO_ROOT, ros_context, spin_until, start_python, stop
from sample_messages import SAMPLES, field_differences

pytestmark = pytest.mark.ros


@pytest.mark.parametrize("profile", [None, "config/fastdds_shm.xml"])
def test_every_custom_message_crosses_processes_intact(ros_domain, profile):
    """Also with the publisher on the shared-memory-only Fast DDS profile (no UDP at all),
    received by this process on the default transports."""
    domain_id, env = ros_domain
    if profile:
        env = dict(env, FASTDDS_DEFAULT_PROFILES_FILE=str(REPO_ROOT / profile))
    proc = start_python(["test/nodes_for_tests/publish_samples.py"], env)
    received: dict[str, object] = {}
    try:
        with ros_context(domain_id) as ctx:
            import rclpy

            node = rclpy.create_node("sample_receiver", context=ctx)
            qos = QoSProfile(
                depth=1,
                reliability=ReliabilityPolicy.RELIABLE,
                durability=DurabilityPolicy.TRANSIENT_LOCAL,
            )
            for kind, (msg_type, _) in SAMPLES.items():
                node.create_subscription(
                    msg_type, f"samples/{kind}", lambda m, k=kind: received.setdefault(k, m), qos
                )
            executor = SingleThreadedExecutor(context=ctx)
            executor.add_node(node)
            ok = spin_until(executor, lambda: len(received) == len(SAMPLES), timeout_s=20)
            node.destroy_node()
    finally:
        out = stop(proc)
    assert ok, f"received only {sorted(received)}; publisher said:\n{out}"
    for kind, (msg_type, make) in SAMPLES.items():
        msg = received[kind]
        assert type(msg) is msg_type
        assert field_differences(make(), msg) == [], kind
        assert msg == make()
