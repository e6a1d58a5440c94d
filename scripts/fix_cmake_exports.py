"""Rewrite build-machine paths leaked into the ROS message wheels' CMake exports.

The PyPI `*_msgs` wheels were built under /opt/python/cp3XX-cp3XX and record that Python's
include directory and numpy's include directory in share/*/cmake/*.cmake. CMake then refuses
to generate ("includes non-existent path"). Point them at this venv's directories instead.
Idempotent; prints how many files changed.
"""

from __future__ import annotations

import re
import sys
import sysconfig
from pathlib import Path

import numpy


def main() -> int:
    prefix = Path(sys.prefix)
    py_include = sysconfig.get_paths()["include"]
    np_include = numpy.get_include()
    py_pat = re.compile(r"/opt/python/cp3\d+-cp3\d+[^;\"\s]*?/include/python3\.\d+")
    np_pat = re.compile(r"/opt/python/cp3\d+-cp3\d+[^;\"\s]*?/site-packages/numpy/_core/include")
    changed = 0
    for path in prefix.glob("share/*/cmake/*.cmake"):
        text = path.read_text()
        new = np_pat.sub(np_include, text)
        new = py_pat.sub(py_include, new)
        if new != text:
            path.write_text(new)
            changed += 1
    print(f"fix_cmake_exports: {changed} file(s) rewritten under {prefix}/share")
    return 0


if __name__ == "__main__":
    sys.exit(main())
