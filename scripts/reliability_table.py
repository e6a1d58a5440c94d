"""docs/reliability.md's table, generated from the tests that try each bad case.

Every test marked ``@pytest.mark.reliability("<case tried>", "<outcome>")`` is one row: the
case, the outcome the test asserts, and the test that asserts it. The rows are read from the
test files' source (no import, no test run), so the table only lists what a test checks.

  python scripts/reliability_table.py            # print the table
  python scripts/reliability_table.py --write    # replace it in docs/reliability.md
  python scripts/reliability_table.py --check    # exit 1 when docs/reliability.md is out of date
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- reliability-table:begin -->", "<!-- reliability-table:end -->"


def _marks(node: ast.AST) -> list[tuple[str, str]]:
    out = []
    for dec in getattr(node, "decorator_list", []):
        if (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)
                and dec.func.attr == "reliability" and len(dec.args) == 2
                and all(isinstance(a, ast.Constant) for a in dec.args)):
            out.append((str(dec.args[0].value), str(dec.args[1].value)))
    return out


def rows(test_dir: Path = ROOT / "test") -> list[tuple[str, str, str]]:
    """(case, outcome, 'file::test') for every reliability-marked test, in file order."""
    found = []
    for path in sorted(test_dir.glob("test_*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                for case, outcome in _marks(node):
                    found.append((node.lineno, case, outcome, f"{path.name}::{node.name}"))
        found.sort(key=lambda r: (r[3].split("::")[0], r[0]))
    return [(c, o, t) for _, c, o, t in found]


def table() -> str:
    lines = ["| case tried | outcome (asserted) | test |", "|---|---|---|"]
    for case, outcome, test in rows():
        esc = lambda s: s.replace("|", "\\|")  # noqa: E731
        lines.append(f"| {esc(case)} | {esc(outcome)} | `{test}` |")
    return "\n".join(lines)


def with_table(readme: str) -> str:
    """docs/reliability.md text with the table between the markers replaced."""
    head, sep, rest = readme.partition(BEGIN)
    if not sep or END not in rest:
        raise SystemExit(f"docs/reliability.md lacks the markers {BEGIN} ... {END}")
    return head + BEGIN + "\n" + table() + "\n" + END + rest.partition(END)[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="update the doc in place")
    group.add_argument("--check", action="store_true", help="exit 1 if the doc is stale")
    args = parser.parse_args(argv)
    readme = ROOT / "docs" / "reliability.md"
    if args.write:
        readme.write_text(with_table(readme.read_text()))
    elif args.check:
        text = readme.read_text()
        if with_table(text) != text:
            print("docs/reliability.md's table is out of date: run "
                  "python scripts/reliability_table.py --write", file=sys.stderr)
            return 1
    else:
        print(table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
