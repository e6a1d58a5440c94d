"""What this har_ros install has: messages, pose backends and runtimes, weights, shipped
models, ROS network settings (reported by ``har-ros info``); checks only, starts nothing."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path


def collect() -> dict[str, object]:
    """The facts reported by ``har-ros info``."""
    import har_ros

    report: dict[str, object] = {
        "version": har_ros.__version__,
        "python": sys.executable,
        "package_paths": list(har_ros.__path__),
        "ros_discovery_range": os.environ.get("ROS_AUTOMATIC_DISCOVERY_RANGE", "(unset)"),
        "ros_domain_id": os.environ.get("ROS_DOMAIN_ID", "(unset: 0)"),
    }
    try:
        from har_ros import msg  # noqa: F401

        report["messages"] = "built (har_ros.msg imports)"
    except ImportError as exc:
        report["messages"] = f"missing: {exc} (run 'make setup' or 'colcon build')"
    report["rclpy"] = "yes" if importlib.util.find_spec("rclpy") else "no"
    from har_ros.pose import BACKENDS

    report["pose_backends"] = sorted(BACKENDS)
    try:
        from har_ros.pose.weights import OPENPOSE_MOBILENET_THIN, locate_weights

        report["openpose_weights"] = str(locate_weights(OPENPOSE_MOBILENET_THIN))
    except Exception as exc:  # report, never fail
        report["openpose_weights"] = f"missing: {exc}"
    from har_ros.action_config import shipped_model_path

    for name in ("default", "penn"):
        meta_path = Path(shipped_model_path(name)) / "model.json"
        if meta_path.is_file():
            meta = json.loads(meta_path.read_text())
            report[f"model_{name}"] = (f"{meta_path.parent} ({len(meta['classes'])} classes, "
                                       f"{meta['window_frames']} frames at {meta['rate_hz']} Hz)")
        else:
            report[f"model_{name}"] = f"missing: {meta_path.parent}"
    from har_ros.pose.runtimes import available

    report.update(available())
    report["mediapipe"] = "yes" if importlib.util.find_spec("mediapipe") else "no"
    report["pyopenpose"] = "yes" if importlib.util.find_spec("pyopenpose") else "no"
    return report
