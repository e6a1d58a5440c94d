"""The package's layers, checked from the source (every import statement, also inside
functions): core (har_ros/*.py and its subpackages other than ros/, tools/, msg/) imports no
ROS client library and nothing from har_ros.ros or har_ros.tools; har_ros.ros imports no
har_ros.tools; har_ros.tools is the command line: its modules define only ``add_arguments``,
``run`` and private helpers (plus ``print_*`` helpers), and test/, bench/ and scripts/ import
from it nothing else."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "har_ros"
#: Modules of the ROS client library and its message packages (core may not import them).
ROS_MODULES = ("rclpy", "rcl_interfaces", "builtin_interfaces", "std_msgs", "sensor_msgs",
               "diagnostic_msgs", "rosidl_runtime_py")
#: Public names a module of the CLI layer may define or let others import.
CLI_NAMES = {"add_arguments", "run"}


def layer_of(path: Path) -> str:
    """'ros', 'tools', 'msg' or 'core' for a module under har_ros/."""
    first = path.relative_to(PACKAGE).parts[0]
    return first if first in ("ros", "tools", "msg") else "core"


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module or module.name) for every import statement in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def layering_violations() -> list[str]:
    """One line per import that crosses a layer the wrong way."""
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        layer = layer_of(path)
        for line, name in imports_of(path):
            where = f"{path.relative_to(REPO)}:{line} imports {name}"
            if layer == "core" and _within(name, ROS_MODULES + ("har_ros.ros", "har_ros.tools")):
                bad.append(where)
            elif layer == "ros" and _within(name, ("har_ros.tools",)):
                bad.append(where)
    return sorted(set(bad))


def test_core_imports_no_ros_and_nothing_above_it_and_ros_imports_no_tools():
    assert layering_violations() == []


def test_the_checker_sees_imports_inside_functions(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def f():\n    import rclpy\n    from har_ros.tools.train import run\n")
    names = [n for _, n in imports_of(src)]
    assert "rclpy" in names and "har_ros.tools.train.run" in names


def test_cli_modules_define_only_commands():
    """Library code in har_ros/tools (functions test/ and bench/ would import) belongs in the
    core or in har_ros/ros."""
    bad = []
    for path in sorted((PACKAGE / "tools").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = node.name
                if not (name.startswith("_") or name in CLI_NAMES or name.startswith("print_")):
                    bad.append(f"{path.relative_to(REPO)}:{node.lineno} defines {name}")
    assert bad == []


def test_tests_and_benchmarks_import_only_commands_from_the_cli():
    bad = []
    for folder in ("test", "bench", "scripts"):
        for path in sorted((REPO / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (isinstance(node, ast.ImportFrom) and node.module
                        and node.module.startswith("har_ros.tools.")):
                    for alias in node.names:
                        if alias.name not in CLI_NAMES:
                            bad.append(f"{path.relative_to(REPO)}:{node.lineno} imports "
                                       f"{node.module}.{alias.name}")
    assert bad == []
