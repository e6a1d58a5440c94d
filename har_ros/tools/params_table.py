"""Print a node's parameters (name, type, default, description) without rclpy."""

from __future__ import annotations

import dataclasses
import typing


def param_rows(cls: type) -> list[tuple[str, str, object, str]]:
    """(name, type name, default, description) per field of a config dataclass."""
    hints = typing.get_type_hints(cls)
    rows = []
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        tname = getattr(hints[f.name], "__name__", str(hints[f.name]))
        if typing.get_origin(hints[f.name]) is list:
            tname = f"{typing.get_args(hints[f.name])[0].__name__}[]"
        rows.append((f.name, tname, default, f.metadata.get("help", "")))
    return rows


def print_params(node_name: str, cls: type) -> None:
    """Print the parameter table of ``node_name`` (config dataclass ``cls``)."""
    print(f"Parameters of {node_name} (set with --ros-args -p name:=value or a params file):")
    for name, tname, default, help_text in param_rows(cls):
        print(f"  {name} ({tname}, default {default!r})")
        print(f"      {help_text}")
