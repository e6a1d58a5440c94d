"""Helpers for tests that start real rclpy nodes over real Fast DDS, confined to loopback.

Every test gets its own ROS_DOMAIN_ID (so tests never hear each other), discovery limited to
localhost (ROS_LOCALHOST_ONLY is ignored by these wheels), a temporary ROS_HOME / log dir,
and ROS_PYTHON_CHECK_FIELDS=1 (a wrong-length fixed array would otherwise segfault).
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# Domain ids 1..101 are portable; spread runs by pid so two suites on one machine rarely meet.
_DOMAINS = itertools.count(1 + (os.getpid() * 7) % 60)


def next_domain_id() -> int:
    """A fresh domain id in 1..101 for one test."""
    return 1 + (next(_DOMAINS) - 1) % 101


def ros_env(tmp_path: Path, domain_id: int) -> dict[str, str]:
    """The environment variables every process that starts a node must have, for one test."""
    home = tmp_path / "ros_home"
    (home / "log").mkdir(parents=True, exist_ok=True)
    return {
        "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
        "ROS_DOMAIN_ID": str(domain_id),
        "ROS_HOME": str(home),
        "ROS_LOG_DIR": str(home / "log"),
        "ROS_PYTHON_CHECK_FIELDS": "1",
        "PYTHONUNBUFFERED": "1",
    }


def subprocess_env(env: dict[str, str]) -> dict[str, str]:
    """os.environ + the test's ROS variables + the repo on PYTHONPATH (source tree first)."""
    full = dict(os.environ)
    full.update(env)
    full["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    return full


@contextmanager
def ros_context(domain_id: int) -> Iterator[object]:
    """An initialised rclpy Context on ``domain_id``; shut down on exit."""
    import rclpy

    ctx = rclpy.Context()
    rclpy.init(context=ctx, domain_id=domain_id)
    try:
        yield ctx
    finally:
        ctx.try_shutdown()


def spin_until(executor, predicate: Callable[[], bool], timeout_s: float) -> bool:
    """Spin ``executor`` until ``predicate()`` is true or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        executor.spin_once(timeout_sec=0.05)
    return predicate()


def start_python(args: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
    """Start ``python <args>`` in its own process with the test's ROS environment."""
    return subprocess.Popen(
        [sys.executable, *args],
        env=subprocess_env(env),
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def stop(proc: subprocess.Popen, timeout_s: float = 10.0) -> str:
    """Interrupt a process started by :func:`start_python` and return its output."""
    import signal

    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out or ""
