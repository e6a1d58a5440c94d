"""The core imports without rclpy or any ROS message package (house rule: thin ROS adapters)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

BLOCKER = r"""
import importlib.abc, pkgutil, sys
BLOCKED = ("rclpy", "rcl_interfaces", "sensor_msgs", "std_msgs", "builtin_interfaces",
           "diagnostic_msgs", "har_ros.msg", "har_ros.ros")
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.startswith(BLOCKED):
            raise ImportError(f"core module imported ROS module {name}")
sys.meta_path.insert(0, Block())
import har_ros
names = []
for info in pkgutil.walk_packages(har_ros.__path__[:1], "har_ros."):
    if info.name.startswith(("har_ros.msg", "har_ros.ros")):
        continue
    __import__(info.name)
    names.append(info.name)
print(len(names), " ".join(names))
"""


def test_core_modules_import_without_ros():
    out = subprocess.run(
        [sys.executable, "-c", BLOCKER], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    count, names = out.stdout.split(" ", 1)
    assert int(count) >= 5
    for core in ("har_ros.skeleton", "har_ros.errors", "har_ros.cli"):
        assert core in names.split()
