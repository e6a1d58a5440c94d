"""Keep a node process's memory flat when large messages come and go.

glibc serves allocations above its mmap threshold with mmap and returns them at free. After a
large block is freed it raises that threshold (up to 32 MiB), so later multi-megabyte message
buffers (a refused PNG bomb, big images) come from the heap, which fragments and keeps
growing. A fixed threshold turns that adjustment off: buffers above it always go back to the
system (measured with ``python -m bench.bench_soak``; README "Bad input and bad settings").
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's initial value, kept fixed


def fix_malloc_mmap_threshold() -> bool:
    """Fix glibc's mmap threshold for this process; False where there is no glibc mallopt
    (other C libraries, other systems), True when it was set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
