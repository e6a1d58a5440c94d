"""The README is short, its links resolve, its results are current, and its commands run.

Commands are read from the README's code blocks and inline code: every `har-ros <command>`
is run with --help from the source tree, every `make <target>` as a dry run, every
`python -m <module>` with --help; commands that need a ROS 2 install (rosdep, colcon, ros2
launch) are checked against what they name (the launch file and its arguments).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
#: Commands that only run in a ROS 2 workspace or change the machine; checked otherwise.
ROS_INSTALL_ONLY = ("cd ", "rosdep ", "pip install ", "colcon ", "ros2 launch ", "git clone ")


def _commands() -> list[str]:
    """Every shell command the README shows: lines of ```bash blocks and inline `code` that
    starts with a command name."""
    cmds = []
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            line = line.split(" #")[0].strip()
            cmds += [c.strip() for c in line.split("&&") if c.strip()]
    for code in re.findall(r"`([^`\n]+)`", README):
        if code.startswith(("har-ros ", "make ", "python -m ", "python ")):
            cmds.append(code)
    return cmds


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_readme_is_short():
    words = len(re.sub(r"<!--.*?-->", "", README, flags=re.S).split())
    assert words < 1500, f"README has {words} words (target < 1,500): move detail to docs/"


def test_readme_links_resolve():
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    assert links
    missing = [x for x in links if not x.startswith("http") and not (ROOT / x).exists()]
    assert not missing, f"README links to missing files: {missing}"


def test_readme_results_and_benchmarks_doc_are_current():
    proc = subprocess.run([sys.executable, "-m", "bench.report", "--check"], cwd=ROOT,
                          capture_output=True, text=True, env=_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_har_ros_command_in_the_readme_exists_and_has_help():
    from har_ros.cli import COMMANDS

    named = set()
    for cmd in _commands():
        if cmd.startswith("har-ros "):
            words = cmd.split()
            if len(words) > 1 and words[1][0].isalpha():
                named.add(words[1].rstrip(","))
    # table cells list siblings: "har-ros pose-node`, `action-node`, `safety-gate"
    for cell in re.findall(r"\| `har-ros [^|]*\|", README):
        named.update(w.strip("`, ") for w in re.findall(r"`([a-z-]+)`", cell))
    named.discard("")
    assert {"demo", "train", "evaluate", "run"} <= named
    unknown = sorted(named - set(COMMANDS))
    assert not unknown, f"README names har-ros commands that do not exist: {unknown}"
    for name in sorted(named):
        proc = subprocess.run([sys.executable, "-m", "har_ros.cli", name, "--help"], cwd=ROOT,
                              capture_output=True, text=True, env=_env(), timeout=120)
        assert proc.returncode == 0 and "usage" in proc.stdout.lower(), (name, proc.stderr)


def test_make_targets_in_the_readme_exist():
    targets = {w for c in _commands() if c.startswith("make ") for w in c.split()[1:2]}
    assert {"demo", "test", "setup", "bench"} <= targets
    for t in sorted(targets):
        proc = subprocess.run(["make", "-n", t], cwd=ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, (t, proc.stderr)


def test_python_modules_in_the_readme_run():
    mods = {c.split()[2] for c in _commands() if c.startswith("python -m ")}
    assert "bench.report" in mods
    for m in sorted(mods):
        proc = subprocess.run([sys.executable, "-m", m, "--help"], cwd=ROOT, capture_output=True,
                              text=True, env=_env(), timeout=120)
        assert proc.returncode == 0, (m, proc.stderr)


def test_ros_install_commands_name_what_exists():
    """The workspace commands cannot run without a ROS install; what they name must exist."""
    others = [c for c in _commands() if c.startswith(ROS_INSTALL_ONLY)]
    assert any(c.startswith("colcon build") for c in others)
    launch = next(c for c in others if c.startswith("ros2 launch "))
    _, _, pkg, file, *args = launch.split()
    assert pkg == "har_ros" and (ROOT / "launch" / file).exists()
    tree = ast.parse((ROOT / "launch" / file).read_text())
    declared = next([k.value for k in n.value.keys] for n in ast.walk(tree)
                    if isinstance(n, ast.Assign)
                    and any(getattr(t, "id", "") == "ARGUMENTS" for t in n.targets))
    for arg in args:
        assert arg.split(":=")[0] in declared, f"{arg} is not a launch argument of {file}"
    # names set with := are launch arguments or the nodes' declared parameters
    from dataclasses import fields

    from har_ros.action_config import ActionNodeConfig
    from har_ros.pose_config import PoseNodeConfig

    params = {f.name for cls in (PoseNodeConfig, ActionNodeConfig) for f in fields(cls)}
    named = re.findall(r"`([a-z_]+):=", README)
    assert set(named) <= set(declared) | params, named


@pytest.mark.parametrize("doc", ["docs/ros_api.md", "docs/model.md", "docs/benchmarks.md",
                                 "docs/reliability.md", "docs/integration.md"])
def test_docs_the_readme_points_to_exist(doc):
    assert doc in README and (ROOT / doc).stat().st_size > 500
