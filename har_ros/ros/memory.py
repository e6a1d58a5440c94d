"""Keep a node process's memory flat when large messages come and go.

Camera images (~1 MB) and refused multi-megabyte messages (a PNG bomb) pass through the DDS
threads, rclpy and the pose worker. With glibc's defaults that pattern fragments memory:
every thread that allocates gets its own arena (up to 8 per core), and after a large block is
freed the mmap threshold rises (up to 32 MiB), so later large buffers come from the arenas
too. Measured with ``python -m bench.bench_soak`` (README "Bad input and bad settings"), the
node process then grows by several MiB a minute under such input; with two arenas, a fixed
mmap threshold and a low trim threshold it stays flat.

Settings the user gives in the environment (``MALLOC_ARENA_MAX``, ``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TRIM_THRESHOLD_``) win: those parameters are left alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

#: glibc mallopt parameter -> (value, the environment variable that overrides it)
SETTINGS = {
    -8: (2, "MALLOC_ARENA_MAX"),                    # M_ARENA_MAX
    -3: (64 * 1024, "MALLOC_MMAP_THRESHOLD_"),      # M_MMAP_THRESHOLD (bytes), fixed
    -1: (128 * 1024, "MALLOC_TRIM_THRESHOLD_"),     # M_TRIM_THRESHOLD (bytes)
}


def tune_malloc() -> list[str]:
    """Apply :data:`SETTINGS` to this process's glibc allocator. Call it before anything
    starts a thread (``har-ros`` does for its node commands, first thing): a thread's first
    allocation picks its arena, so later calls leave earlier threads' arenas as they are (a
    soak with the call after the imports still grew). Returns the environment names of the
    settings applied; empty where there is no glibc ``mallopt`` (other C libraries, other
    systems)."""
    if not sys.platform.startswith("linux"):
        return []
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return []
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return [env for param, (value, env) in SETTINGS.items()
            if env not in os.environ and mallopt(param, value) == 1]
