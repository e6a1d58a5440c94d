"""`har-ros` commands as child processes, for tools and benchmarks that run a pipeline the way
a cell does (one process per node)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path


def start_command(args: list[str], env: dict[str, str], cwd: str | Path | None = None,
                  stderr: int = subprocess.DEVNULL) -> subprocess.Popen:
    """Start ``python -m har_ros.cli <args>`` (stdout discarded; ``stderr`` DEVNULL, or PIPE
    to read why a child ended early: a long-running child must not fill the pipe)."""
    return subprocess.Popen([sys.executable, "-m", "har_ros.cli", *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=stderr, text=True)


def stop_process(proc: subprocess.Popen, timeout_s: float = 10.0) -> None:
    """End a child: continue it first (it may be SIGSTOPped), terminate, kill after
    ``timeout_s``."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGCONT)
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
