"""Node processes pin glibc's mmap threshold (har_ros/ros/allocator.py): a large buffer freed
and allocated again is still mmap'd (returned to the system on free), where glibc's default
would serve the second one from the heap. Each case runs in a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = r"""
import ctypes, sys
from har_ros.ros.allocator import pin_mmap_threshold

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks",
                "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "pin":
    print(pin_mmap_threshold())
size = 4 * 1024 * 1024
libc.free(libc.malloc(size))          # with the dynamic threshold this raises it to 4 MiB
p = libc.malloc(size)
print("mmapped" if libc.mallinfo2().hblkhd >= size else "heap")
libc.free(p)
"""


def _run(mode: str, env_extra: dict | None = None) -> list[str]:
    import os

    env = {k: v for k, v in os.environ.items() if k != "MALLOC_MMAP_THRESHOLD_"}
    env.update(env_extra or {})
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_pinned_threshold_keeps_large_buffers_mmapped():
    try:
        default = _run("default")
    except subprocess.CalledProcessError as exc:  # no mallinfo2: not glibc >= 2.33
        pytest.skip(f"no glibc mallinfo2 here: {exc.stderr.strip()[-200:]}")
    assert default == ["heap"]  # glibc's dynamic threshold: the second 4 MiB comes from the heap
    assert _run("pin") == ["pinned", "mmapped"]
    # a user's own MALLOC_MMAP_THRESHOLD_ is left as it is
    assert _run("pin", {"MALLOC_MMAP_THRESHOLD_": "131072"})[0].startswith("kept")
