"""Stand-in for ROS 2 ``launch`` / ``launch_ros`` (not installable here), for tests only.

It provides just the classes ``launch/pipeline.launch.py`` uses, records what the launch file
declares, and evaluates it the way launch_ros would for a given set of launch arguments:
substitutions resolved, parameter values from substitutions parsed as YAML, FindPackageShare
resolved to a given share directory. ``command_lines`` then turns each declared Node into the
exact command launch_ros runs: ``<prefix>/lib/<pkg>/<executable> --ros-args ...``.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import yaml


class _Subst:
    def perform(self, ctx: dict) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


class LaunchConfiguration(_Subst):
    def __init__(self, name: str) -> None:
        self.name = name

    def perform(self, ctx: dict) -> str:
        return ctx["args"][self.name]


class FindPackageShare(_Subst):
    def __init__(self, package: str) -> None:
        self.package = package

    def perform(self, ctx: dict) -> str:
        return str(ctx["share"][self.package])


class PathJoinSubstitution(_Subst):
    def __init__(self, parts: list) -> None:
        self.parts = parts

    def perform(self, ctx: dict) -> str:
        return str(Path(*[resolve(p, ctx) for p in self.parts]))


def resolve(value, ctx: dict) -> str:
    return value.perform(ctx) if isinstance(value, _Subst) else str(value)


class IfCondition:
    """launch.conditions.IfCondition: true for 'true'/'1', false for 'false'/'0' (any case);
    launch refuses anything else."""

    def __init__(self, predicate) -> None:
        self.predicate = predicate

    def evaluate(self, ctx: dict) -> bool:
        text = resolve(self.predicate, ctx).strip().lower()
        if text not in ("true", "1", "false", "0"):
            raise ValueError(f"IfCondition: {text!r} is not a boolean")
        return text in ("true", "1")


class DeclareLaunchArgument:
    def __init__(self, name: str, default_value=None, description: str = "") -> None:
        self.name, self.default_value, self.description = name, default_value, description


class Node:
    def __init__(self, package, executable, name=None, namespace="", parameters=(),
                 remappings=(), output=None, arguments=(), condition=None) -> None:
        self.package, self.executable, self.name = package, executable, name
        self.condition = condition
        self.namespace, self.parameters = namespace, list(parameters)
        self.remappings, self.arguments = list(remappings), list(arguments)


class LaunchDescription:
    def __init__(self, entities: list) -> None:
        self.entities = list(entities)


def install() -> None:
    """Register the stand-in modules under the real names in sys.modules."""
    mods = {
        "launch": {"LaunchDescription": LaunchDescription},
        "launch.actions": {"DeclareLaunchArgument": DeclareLaunchArgument},
        "launch.conditions": {"IfCondition": IfCondition},
        "launch.substitutions": {"LaunchConfiguration": LaunchConfiguration,
                                 "PathJoinSubstitution": PathJoinSubstitution},
        "launch_ros": {},
        "launch_ros.actions": {"Node": Node},
        "launch_ros.substitutions": {"FindPackageShare": FindPackageShare},
    }
    for name, attrs in mods.items():
        module = types.ModuleType(name, "har_ros test stand-in (launch is not installable here)")
        module.__dict__.update(attrs)
        sys.modules[name] = module


def load_launch_file(path: Path) -> LaunchDescription:
    """Import a launch file against the stand-ins and call generate_launch_description()."""
    install()
    spec = importlib.util.spec_from_file_location("launch_file_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate_launch_description()


def _parse(text: str):
    """launch_ros reads a substituted parameter value as YAML; an empty string stays ''."""
    return yaml.safe_load(text) if text.strip() else ""


def evaluate(ld: LaunchDescription, overrides: dict[str, str], share: dict[str, Path]) -> list:
    """Resolve the declared nodes for launch arguments ``overrides`` (others: defaults); a
    node whose condition is false is left out, as launch does."""
    declared = [e for e in ld.entities if isinstance(e, DeclareLaunchArgument)]
    ctx = {"args": {}, "share": share}
    unknown = set(overrides) - {d.name for d in declared}
    if unknown:
        raise KeyError(f"launch arguments not declared: {unknown}")
    for d in declared:
        ctx["args"][d.name] = overrides.get(d.name, resolve(d.default_value, ctx))
    nodes = []
    for e in ld.entities:
        if not isinstance(e, Node):
            continue
        if e.condition is not None and not e.condition.evaluate(ctx):
            continue
        params = []
        for p in e.parameters:
            if isinstance(p, dict):
                params.append({k: _parse(resolve(v, ctx)) if isinstance(v, _Subst) else v
                               for k, v in p.items()})
            else:
                params.append(Path(resolve(p, ctx)))
        nodes.append({
            "package": e.package, "executable": e.executable, "name": e.name,
            "namespace": resolve(e.namespace, ctx), "parameters": params,
            "remappings": [(resolve(a, ctx), resolve(b, ctx)) for a, b in e.remappings],
        })
    return nodes


def _yaml_value(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


def command_line(node: dict, prefix: Path) -> list[str]:
    """The command launch_ros would run for one evaluated node."""
    cmd = [str(prefix / "lib" / node["package"] / node["executable"]), "--ros-args"]
    if node["name"]:
        cmd += ["-r", f"__node:={node['name']}"]
    if node["namespace"]:
        cmd += ["-r", f"__ns:=/{node['namespace'].strip('/')}"]
    for p in node["parameters"]:
        if isinstance(p, Path):
            cmd += ["--params-file", str(p)]
        else:
            for k, v in p.items():
                cmd += ["-p", f"{k}:={_yaml_value(v)}"]
    for a, b in node["remappings"]:
        cmd += ["-r", f"{a}:={b}"]
    return cmd
