"""Compiled loops cache their machine code where they can and still work where nothing is
writable (``har_ros.jit.njit``)."""

from __future__ import annotations

import subprocess
import sys

from ros_harness import REPO_ROOT

MODULE = """
from har_ros.jit import njit

@njit(nogil=True)
def twice(x):
    return 2 * x
"""
RUN = "import probe; print(probe.twice(21), probe.twice._cache.__class__.__name__)"


def _run(tmp_path, env_extra, block_in_tree: bool) -> subprocess.CompletedProcess:
    pkg = tmp_path / "mods"
    pkg.mkdir(exist_ok=True)
    (pkg / "probe.py").write_text(MODULE)
    if block_in_tree:
        (pkg / "__pycache__").write_text("a file where numba wants a folder")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{pkg}:{REPO_ROOT}", **env_extra}
    return subprocess.run([sys.executable, "-c", RUN], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_machine_code_is_cached_beside_the_module(tmp_path):
    out = _run(tmp_path, {"HOME": str(tmp_path)}, block_in_tree=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["42", "FunctionCache"]
    assert list((tmp_path / "mods" / "__pycache__").glob("probe.twice-*.nbi"))


def test_nowhere_writable_compiles_in_memory_instead_of_failing_to_import(tmp_path):
    """numba itself raises 'no locator available' here (checked: plain numba.njit(cache=True)
    fails in this environment)."""
    unwritable = {"HOME": "/dev/null/home", "XDG_CACHE_HOME": "/dev/null/cache",
                  "NUMBA_CACHE_DIR": "/dev/null/numba"}
    out = _run(tmp_path, unwritable, block_in_tree=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["42", "NullCache"]
    plain = MODULE.replace("from har_ros.jit import njit", "from numba import njit").replace(
        "@njit(nogil=True)", "@njit(cache=True)")
    (tmp_path / "mods" / "probe.py").write_text(plain)
    out = subprocess.run([sys.executable, "-c", RUN], cwd=tmp_path, capture_output=True,
                         text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path / "mods"),
                              **unwritable})
    assert out.returncode != 0 and "no locator available" in out.stderr
