"""Print a node's parameters (name, type, default, description) without rclpy."""

from __future__ import annotations

import typing

from har_ros.config_help import config_fields


def param_rows(cls: type) -> list[tuple[str, str, object, str]]:
    """(name, type name, default, description) per field of a config dataclass."""
    rows = []
    for name, hint, default, help_text in config_fields(cls):
        tname = getattr(hint, "__name__", str(hint))
        if typing.get_origin(hint) is list:
            tname = f"{typing.get_args(hint)[0].__name__}[]"
        rows.append((name, tname, default, help_text))
    return rows


def print_params(node_name: str, cls: type) -> None:
    """Print the parameter table of ``node_name`` (config dataclass ``cls``)."""
    print(f"Parameters of {node_name} (set with --ros-args -p name:=value or a params file):")
    for name, tname, default, help_text in param_rows(cls):
        print(f"  {name} ({tname}, default {default!r})")
        print(f"      {help_text}")
