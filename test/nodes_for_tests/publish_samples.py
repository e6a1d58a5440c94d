"""Test helper process: publishes each sample custom message on topic 'samples/<kind>'
(reliable, transient local) until interrupted."""

import sys
from pathlib import Path

import rclpy
from rclpy.executors import ExternalShutdownException
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sample_messages import SAMPLES  # noqa: E402


def main() -> None:
    rclpy.init()
    node = rclpy.create_node("sample_publisher")
    qos = QoSProfile(
        depth=1, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL
    )
    pubs = {k: node.create_publisher(t, f"samples/{k}", qos) for k, (t, _) in SAMPLES.items()}

    def publish() -> None:
        for kind, (_, make) in SAMPLES.items():
            pubs[kind].publish(make())

    publish()
    node.create_timer(0.2, publish)
    print("publishing", flush=True)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


if __name__ == "__main__":
    main()
