"""Start nodes in a process: rclpy init with the command line's --ros-args, fail fast on bad
configuration (exit code 2 with the message), spin until Ctrl-C, shut down cleanly. Once
running, no callback's exception ends the process (the nodes catch and count their own; one
that still escapes is reported and spinning goes on), so one node's bug never stops the
other."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Sequence

import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.impl.implementation_singleton import rclpy_implementation as _rclpy
from rclpy.node import Node

from har_ros.errors import HarRosError
from har_ros.ros.allocator import pin_mmap_threshold
from har_ros.ros.network import confine_dds_to_loopback
from har_ros.ros.params import check_overrides

RCLError = _rclpy.RCLError


def check_network_env() -> None:
    """Keep DDS on loopback (see har_ros/ros/network.py); warn when discovery is not confined."""
    confine_dds_to_loopback()
    if os.environ.get("ROS_AUTOMATIC_DISCOVERY_RANGE") is None:
        print(
            "har_ros: warning: ROS_AUTOMATIC_DISCOVERY_RANGE is unset; DDS discovery may leave "
            "this machine (set it to LOCALHOST to stay on loopback)",
            file=sys.stderr,
        )


def _rcl_message(exc: Exception) -> str:
    """rcl's error text without its source locations (', at src/rcl/x.c:123')."""
    text = re.sub(r", at \S+:\d+", "", str(exc))
    return text.removeprefix("failed to initialize rcl: ")


def run_nodes(factories: Sequence[Callable[[], Node]], ros_args: Sequence[str]) -> int:
    """Create the nodes (in order) in one process and spin them on one executor.

    Returns the process exit code: 0 after Ctrl-C, 2 when a node refused to start.
    """
    check_network_env()
    pin_mmap_threshold()
    try:
        rclpy.init(args=["har_ros", *ros_args])
    except (RCLError, ValueError) as exc:  # a malformed -p rule or params file
        print(f"har_ros: cannot start: bad --ros-args: {_rcl_message(exc)}", file=sys.stderr)
        return 2
    nodes: list[Node] = []
    try:
        try:
            for factory in factories:
                nodes.append(factory())
            check_overrides(nodes)
        except HarRosError as exc:
            print(f"har_ros: cannot start: {exc}", file=sys.stderr)
            return 2
        # One thread is enough and is the lowest-latency rclpy executor: subscription callbacks
        # are short (the pose node infers in its own worker thread; the action node's batched
        # LSTM is a small compiled call), and rclpy's multi-threaded executor adds dispatch
        # overhead.
        executor = SingleThreadedExecutor()
        for node in nodes:
            executor.add_node(node)
        escaped = 0
        while rclpy.ok():
            try:
                executor.spin()
            except (KeyboardInterrupt, ExternalShutdownException):
                break
            except Exception as exc:  # noqa: BLE001 - keep every node of the process alive
                escaped += 1
                if escaped <= 10 or escaped % 1000 == 0:
                    print(f"har_ros: error in a callback (#{escaped}), nodes keep running: "
                          f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 0
    finally:
        for node in nodes:
            close = getattr(node, "close", None)
            if close is not None:
                close()
            node.destroy_node()
        rclpy.try_shutdown()
