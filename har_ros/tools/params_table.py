"""Print a node's parameters (name, type, default, description) without rclpy."""

from __future__ import annotations

from har_ros.config_help import param_rows


def print_params(node_name: str, cls: type) -> None:
    """Print the parameter table of ``node_name`` (config dataclass ``cls``)."""
    print(f"Parameters of {node_name} (set with --ros-args -p name:=value or a params file):")
    for name, tname, default, help_text in param_rows(cls):
        print(f"  {name} ({tname}, default {default!r})")
        print(f"      {help_text}")
