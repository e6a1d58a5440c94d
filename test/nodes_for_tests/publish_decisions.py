"""Test helper process: a stand-in for the action node's operator topic. Publishes
har_ros/ActionStamped on 'action' at 5 Hz with the QoS contract (har_ros/ros/qos.py, the
action node's defaults), stamped 0.1 s before the node clock (as an image acquired 0.1 s
earlier). What it publishes is read from stdin, one line at a time:

  NO_PERSON | WARMING_UP | STALE | LOW_CONFIDENCE | OK <action>   a well-formed decision
  NAN          OK walk with confidence NaN
  BAD_STAMP    NO_PERSON stamped sec=-1
  STATUS9      status 9
"""

import sys
import threading
from pathlib import Path

import rclpy
from rclpy.executors import ExternalShutdownException

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from har_ros.action_config import ActionNodeConfig  # noqa: E402
from har_ros.msg import ActionStamped  # noqa: E402
from har_ros.ros.qos import decision_qos  # noqa: E402

STATUSES = {"OK": 0, "LOW_CONFIDENCE": 1, "STALE": 2, "NO_PERSON": 3, "WARMING_UP": 4}


def main() -> None:
    rclpy.init()
    node = rclpy.create_node("decision_stand_in")
    cfg = ActionNodeConfig()
    pub = node.create_publisher(ActionStamped, "action",
                                decision_qos(cfg.deadline_s(), cfg.liveliness_lease_s))
    mode = ["NO_PERSON"]

    def read_stdin() -> None:
        for line in sys.stdin:
            if line.strip():
                mode[0] = line.strip()

    threading.Thread(target=read_stdin, daemon=True).start()

    def publish() -> None:
        words = mode[0].split()
        msg = ActionStamped(action="unknown", class_index=-1)
        now_ns = node.get_clock().now().nanoseconds - 100_000_000
        msg.header.stamp.sec, msg.header.stamp.nanosec = divmod(now_ns, 1_000_000_000)
        if words[0] in STATUSES:
            msg.status = STATUSES[words[0]]
            if words[0] == "OK":
                msg.action, msg.class_index, msg.confidence = words[1], 0, 0.9
        elif words[0] == "NAN":
            msg.status, msg.action, msg.confidence = 0, "walk", float("nan")
        elif words[0] == "BAD_STAMP":
            msg.status, msg.header.stamp.sec = 3, -1
        elif words[0] == "STATUS9":
            msg.status = 9
        pub.publish(msg)

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
