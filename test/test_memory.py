"""Node processes tune glibc's allocator so that large messages coming and going do not grow
memory (har_ros/ros/memory.py; the 10-minute soak in bench/bench_soak.py measures the effect)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                                reason="the allocator settings are glibc's")

# In a fresh interpreter: free one 1 MiB block (glibc then raises its dynamic mmap threshold),
# hold ten 512 KiB blocks and count the blocks glibc serves with mmap (mallinfo2().hblks).
PROBE = textwrap.dedent("""
    import ctypes, sys
    from har_ros.ros.memory import tune_malloc
    applied = tune_malloc() if sys.argv[1] == "tuned" else []
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    class Info(ctypes.Structure):
        _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks",
                    "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
    libc.mallinfo2.restype = Info
    libc.free(libc.malloc(1 << 20))
    before = libc.mallinfo2().hblks
    held = [libc.malloc(512 << 10) for _ in range(10)]
    print(libc.mallinfo2().hblks - before, ",".join(applied))
""")


def _probe(mode: str, **env: str) -> tuple[int, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    out = subprocess.run([sys.executable, "-c", PROBE, mode], env={**clean, **env},
                         capture_output=True, text=True, timeout=120, check=True).stdout.split()
    return int(out[0]), (out[1] if len(out) > 1 else "")


def test_tuned_allocator_returns_large_blocks_to_the_system():
    """Untuned, glibc's threshold rises after the 1 MiB free and the 512 KiB blocks come from
    the heap (where they fragment it); tuned, every one is its own mapping, returned at free."""
    untuned, _ = _probe("plain")
    tuned, applied = _probe("tuned")
    assert untuned == 0
    assert tuned == 10
    assert applied == "MALLOC_ARENA_MAX,MALLOC_MMAP_THRESHOLD_,MALLOC_TRIM_THRESHOLD_"


def test_allocator_settings_from_the_environment_win():
    """A user's own MALLOC_MMAP_THRESHOLD_ is left alone (here: 4 MiB, so the blocks stay in
    the heap), the other settings still apply."""
    held, applied = _probe("tuned", MALLOC_MMAP_THRESHOLD_=str(4 << 20))
    assert held == 0
    assert applied == "MALLOC_ARENA_MAX,MALLOC_TRIM_THRESHOLD_"


def test_node_commands_tune_the_allocator_first():
    """`har-ros <node command>` tunes before parsing its arguments (which imports the node's
    modules and their threads); other commands leave the allocator alone."""
    probe = PROBE.replace('applied = tune_malloc() if sys.argv[1] == "tuned" else []', (
        "from har_ros import cli\n"
        "try:\n"
        "    cli.main([sys.argv[1], '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "applied = []"))
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    held = {}
    for command in ("pose-node", "run", "info"):
        out = subprocess.run([sys.executable, "-c", probe, command], env=clean,
                             capture_output=True, text=True, timeout=300, check=True)
        held[command] = int(out.stdout.split()[-1])
    assert held == {"pose-node": 10, "run": 10, "info": 0}
