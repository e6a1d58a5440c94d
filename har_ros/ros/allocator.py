"""Pin glibc's mmap threshold in node processes, so large image buffers go back to the system.

glibc serves an allocation of at least ``M_MMAP_THRESHOLD`` bytes (128 KiB at start) with its
own ``mmap`` and unmaps it on free. By default the threshold is dynamic: each time such a block
is freed, the threshold rises to its size (up to 32 MiB), so later images of that size come
from the heap instead, where blocks of mixed sizes (0.9 MB frames, 3 MB hostile images, the
pose network's buffers) leave holes that the heap never returns. Setting the threshold
explicitly turns the dynamic adjustment off. Measured with ``python -m bench.bench_soak``:
docs/reliability.md.

A process started with ``MALLOC_MMAP_THRESHOLD_`` in its environment keeps the user's value.
Other C libraries (musl, macOS) have no such setting: nothing is done there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

#: glibc's mallopt parameter number for the mmap threshold (malloc.h).
M_MMAP_THRESHOLD = -3
#: Allocations from this size (bytes) are mmap'd and returned to the system when freed.
MMAP_THRESHOLD_BYTES = 128 * 1024
#: glibc's own environment variable for the same setting.
ENV = "MALLOC_MMAP_THRESHOLD_"


def pin_mmap_threshold(threshold: int = MMAP_THRESHOLD_BYTES) -> str:
    """Fix glibc's mmap threshold at ``threshold`` bytes for this process; returns what was
    done (for logs and tests): 'pinned', 'kept MALLOC_MMAP_THRESHOLD_=<v>' or 'not glibc'."""
    if ENV in os.environ:
        return f"kept {ENV}={os.environ[ENV]}"
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 - AttributeError outside glibc
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return "not glibc"
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return "pinned" if mallopt(M_MMAP_THRESHOLD, int(threshold)) == 1 else "not glibc"
