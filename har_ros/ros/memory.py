"""Keep a node process's memory flat when large messages come and go.

Camera images (~1 MB) and refused multi-megabyte messages (a PNG bomb) pass through the DDS
threads, rclpy and the pose worker. With glibc's defaults that pattern fragments memory:
every thread that allocates gets its own arena (up to 8 per core), and after a large block is
freed the mmap threshold rises (up to 32 MiB), so later large buffers come from the arenas
too. Measured with ``python -m bench.bench_soak --seconds 600`` (README "Bad input and bad
settings"), the node process then grows by 3-7 MiB a minute under such input; started with
two arenas, a fixed mmap threshold and a low trim threshold (:data:`SETTINGS`) it stays flat.

The settings must be in place when the process starts: the same values set with ``mallopt``
after start (even first thing in ``main``) did not stop the growth in the soak. So
``har-ros``'s node commands re-execute themselves once with :data:`SETTINGS` added to the
environment (:func:`reexec_with_settings`). Values the user already gives in the environment
win.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Sequence

#: glibc allocator environment variables for node processes (see the module doc).
SETTINGS = {
    "MALLOC_ARENA_MAX": "2",
    "MALLOC_MMAP_THRESHOLD_": str(64 * 1024),   # bytes; fixed, so glibc's dynamic raise is off
    "MALLOC_TRIM_THRESHOLD_": str(128 * 1024),  # bytes
}
#: Set in the re-executed process, so it never re-executes again.
MARKER = "HAR_ROS_MALLOC_TUNED"


def missing_settings(environ: dict[str, str] | os._Environ = os.environ) -> dict[str, str]:
    """The :data:`SETTINGS` not yet given in ``environ`` (the user's own values win); empty
    where they do not apply (not glibc) or the process already re-executed."""
    if MARKER in environ or platform.libc_ver()[0] != "glibc":
        return {}
    return {k: v for k, v in SETTINGS.items() if k not in environ}


def reexec_with_settings(argv: Sequence[str]) -> None:
    """Replace this process (same PID) by ``python -m har_ros.cli <argv>`` with the missing
    allocator settings in its environment; returns only when nothing is missing."""
    missing = missing_settings()
    if not missing:
        return
    env = {**os.environ, **missing, MARKER: "1"}
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", "har_ros.cli", *argv], env)
