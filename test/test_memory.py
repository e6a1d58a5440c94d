"""Node processes start with glibc allocator settings that keep memory flat when large
messages come and go (har_ros/ros/memory.py; bench/bench_soak.py measures the effect)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from har_ros.ros.memory import MARKER, SETTINGS, missing_settings

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                                reason="the allocator settings are glibc's")

# Free one 1 MiB block (glibc then raises its dynamic mmap threshold), hold ten 512 KiB blocks
# and count the blocks glibc serves with mmap (mallinfo2().hblks).
PROBE = textwrap.dedent("""
    import ctypes
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
    print(libc.mallinfo2().hblks - before)
""")


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != MARKER}
    return {**env, **extra}


def _mmapped_blocks(env: dict[str, str]) -> int:
    return int(subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                              text=True, timeout=120, check=True).stdout)


def test_the_settings_return_large_blocks_to_the_system():
    """With glibc's defaults the threshold rises after the 1 MiB free and the 512 KiB blocks
    come from the heap (where they fragment it); with SETTINGS each is its own mapping,
    returned to the system at free."""
    assert _mmapped_blocks(_clean_env()) == 0
    assert _mmapped_blocks(_clean_env(**SETTINGS)) == 10


def test_users_own_settings_win_and_the_reexecuted_process_stops():
    assert missing_settings({}) == SETTINGS
    mine = {"MALLOC_MMAP_THRESHOLD_": str(4 << 20)}
    assert missing_settings(mine) == {k: v for k, v in SETTINGS.items()
                                      if k != "MALLOC_MMAP_THRESHOLD_"}
    assert missing_settings({MARKER: "1"}) == {}


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


@pytest.mark.parametrize("user_threshold", [None, str(4 << 20)])
def test_a_node_process_runs_with_the_settings(ros_domain, user_threshold):
    """`har-ros safety-gate` (a real node) re-executes itself once, keeping its PID, with the
    settings in its environment; a user's own MALLOC_MMAP_THRESHOLD_ is kept."""
    extra = {"MALLOC_MMAP_THRESHOLD_": user_threshold} if user_threshold else {}
    proc = subprocess.Popen([sys.executable, "-m", "har_ros.cli", "safety-gate"],
                            env=_clean_env(**ros_domain[1], **extra),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline, env = time.monotonic() + 60, {}
        while time.monotonic() < deadline and proc.poll() is None and MARKER not in env:
            time.sleep(0.2)
            env = _environ(proc.pid)
        assert proc.poll() is None, proc.stderr.read()
        assert env.get(MARKER) == "1"
        expected = {**SETTINGS, **extra}
        assert {k: env.get(k) for k in SETTINGS} == expected
    finally:
        proc.terminate()
        proc.wait(timeout=30)
