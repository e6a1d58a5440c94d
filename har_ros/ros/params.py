"""Declare a config dataclass's fields as ROS parameters and read them back, validated.

Each field of the dataclass becomes one declared parameter named after the field, with the
description from ``field(metadata={"help": ...})`` and the field's default (config/*.yaml holds
the same defaults). Reading happens once at startup; the dataclass's ``validate()`` then raises
:class:`har_ros.errors.ConfigError` saying which parameter to change. After the nodes of a
process exist, :func:`check_overrides` refuses any parameter given to a node (``-p``, a params
file) that the node does not declare, so a misspelt name cannot be silently ignored.
"""

from __future__ import annotations

import array
import difflib
from collections.abc import Sequence
from typing import Any, TypeVar

from rcl_interfaces.msg import ParameterDescriptor, ParameterType
from rclpy.node import Node
from rclpy.parameter import Parameter

from har_ros.config_help import config_fields
from har_ros.errors import ConfigError

T = TypeVar("T")

_TYPES: dict[Any, int] = {
    bool: ParameterType.PARAMETER_BOOL,
    int: ParameterType.PARAMETER_INTEGER,
    float: ParameterType.PARAMETER_DOUBLE,
    str: ParameterType.PARAMETER_STRING,
    list[str]: ParameterType.PARAMETER_STRING_ARRAY,
    list[float]: ParameterType.PARAMETER_DOUBLE_ARRAY,
    list[int]: ParameterType.PARAMETER_INTEGER_ARRAY,
    list[bool]: ParameterType.PARAMETER_BOOL_ARRAY,
}
_PARAM_TYPES = {
    ParameterType.PARAMETER_BOOL: Parameter.Type.BOOL,
    ParameterType.PARAMETER_INTEGER: Parameter.Type.INTEGER,
    ParameterType.PARAMETER_DOUBLE: Parameter.Type.DOUBLE,
    ParameterType.PARAMETER_STRING: Parameter.Type.STRING,
    ParameterType.PARAMETER_STRING_ARRAY: Parameter.Type.STRING_ARRAY,
    ParameterType.PARAMETER_DOUBLE_ARRAY: Parameter.Type.DOUBLE_ARRAY,
    ParameterType.PARAMETER_INTEGER_ARRAY: Parameter.Type.INTEGER_ARRAY,
    ParameterType.PARAMETER_BOOL_ARRAY: Parameter.Type.BOOL_ARRAY,
}


def parameter_specs(cls: type) -> list[tuple[str, int, Any, str]]:
    """(name, ParameterType, default, description) for every field of a config dataclass."""
    specs = []
    for name, hint, default, help_text in config_fields(cls):
        ptype = _TYPES.get(hint)
        if ptype is None:
            raise TypeError(f"{cls.__name__}.{name}: type {hint} is not a ROS parameter")
        specs.append((name, ptype, default, help_text))
    return specs


def declare_config(node: Node, cls: type[T]) -> T:
    """Declare every field of ``cls`` on ``node`` and return the validated config.

    Raises ConfigError (naming the parameter) when a value has the wrong type or fails
    ``cls.validate()``.
    """
    values: dict[str, Any] = {}
    for name, ptype, default, help_text in parameter_specs(cls):
        descriptor = ParameterDescriptor(name=name, type=ptype, description=help_text)
        try:
            if isinstance(default, list) and not default:
                param = node.declare_parameter(name, _PARAM_TYPES[ptype], descriptor)
                value = param.value if param.type_ != Parameter.Type.NOT_SET else []
            else:
                value = node.declare_parameter(name, default, descriptor).value
        except Exception as exc:  # rclpy raises several types for a wrongly typed override
            raise ConfigError(
                f"parameter '{name}': {exc}. Expected {Parameter.Type(_PARAM_TYPES[ptype]).name}"
                f" ({help_text})"
            ) from exc
        # array parameters come back as array.array or lists: the dataclass holds lists
        values[name] = list(value) if isinstance(value, (list, tuple, array.array)) else value
    config = cls(**values)
    validate = getattr(config, "validate", None)
    if validate is not None:
        validate()
    return config


def _overrides(node: Node) -> dict[str, Parameter]:
    """The parameter values given to ``node`` from outside (command line ``-p``, params files,
    ``parameter_overrides``), declared or not. rclpy keeps them in ``_parameter_overrides``
    and has no public getter; every override of this node is in it, the ones addressed to
    other node names are not."""
    return dict(getattr(node, "_parameter_overrides", {}))


def unknown_overrides(node: Node) -> list[str]:
    """Names given to ``node`` as parameters that it never declared (sorted)."""
    return sorted(name for name in _overrides(node) if not node.has_parameter(name))


def check_overrides(nodes: Sequence[Node]) -> None:
    """Raise ConfigError for the first parameter given to a node that it does not declare,
    naming the node and the closest declared name.

    Several nodes in one process (``har-ros run``) share the command line: a parameter one
    node does not declare is accepted when another node of the process declares it and was
    given the same value (a ``-p name:=value`` or ``/**`` entry meant for all nodes).
    """
    for node in nodes:
        given = _overrides(node)
        for name in unknown_overrides(node):
            shared = any(
                other is not node and other.has_parameter(name)
                and name in _overrides(other)
                and _overrides(other)[name].value == given[name].value
                for other in nodes
            )
            if shared:
                continue
            declared = sorted(node.get_parameters_by_prefix(""))
            everywhere = sorted({n for other in nodes for n in other.get_parameters_by_prefix("")})
            close = (difflib.get_close_matches(name, declared, n=1, cutoff=0.6)
                     or difflib.get_close_matches(name, everywhere, n=1, cutoff=0.6))
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ConfigError(
                f"unknown parameter '{name}' for node '{node.get_name()}'{hint}: the node "
                f"would ignore it; its parameters are {', '.join(declared)}"
            )
