"""Run the benchmarks: ``python -m bench`` (the quick default set), ``python -m bench --list``,
``python -m bench NAME [ARGS...]`` (one benchmark, its own options after the name; names with
or without the ``bench_`` prefix). Each writes its figures to bench/results/.

``make bench`` runs the quick set; ``make bench BENCH_ARGS="walkers --model penn"`` one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
#: Run when no name is given: short, single-process, no shared data beyond the clips
#: in ../shared/data/video.
QUICK = ("bench_bandwidth", "bench_model")


def benchmarks() -> dict[str, str]:
    """Benchmark module name -> the first sentence of its docstring (read without importing)."""
    found = {}
    for path in sorted(BENCH.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        first = " ".join(doc.strip().split("\n\n")[0].split())
        found[path.stem] = first.split(". ")[0].rstrip(".")
    return found


def resolve(name: str, known: dict[str, str]) -> str | None:
    """``name`` as a module of bench/ (``walkers`` -> ``bench_walkers``), or None."""
    for candidate in (name, f"bench_{name}"):
        if candidate in known:
            return candidate
    return None


def run(name: str, args: list[str]) -> int:
    """Run ``bench.<name>`` in its own process from the repository root; its exit code."""
    print(f"== python -m bench.{name} {' '.join(args)}".rstrip(), flush=True)
    return subprocess.call([sys.executable, "-m", f"bench.{name}", *args], cwd=ROOT)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    known = benchmarks()
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if argv and argv[0] == "--list":
        width = max(len(n) for n in known)
        for name, line in known.items():
            mark = "*" if name in QUICK else " "
            print(f"{mark} {name:{width}s}  {line}")
        print("(* = run by 'python -m bench' without a name)")
        return 0
    if argv:
        name = resolve(argv[0], known)
        if name is None:
            print(f"unknown benchmark {argv[0]!r}; 'python -m bench --list' lists them",
                  file=sys.stderr)
            return 2
        return run(name, argv[1:])
    failed = [name for name in QUICK if run(name, []) != 0]
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
