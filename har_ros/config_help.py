"""Field metadata shared by the node configuration dataclasses, the one reader of it, and the
one range check every ``validate()`` uses (finite, in range, message naming the parameter)."""

from __future__ import annotations

import dataclasses
import math
import numbers
import typing

from har_ros.errors import ConfigError


def described(text: str) -> dict[str, str]:
    """``field(metadata=described("..."))``: the description of a declared ROS parameter."""
    return {"help": text}


def default_of(cls: type, name: str) -> object:
    """The default of field ``name`` of dataclass ``cls``: a node config that serves a core
    setting reuses its default instead of restating it."""
    for f in dataclasses.fields(cls):
        if f.name == name:
            if f.default is not dataclasses.MISSING:
                return f.default
            if f.default_factory is not dataclasses.MISSING:
                return f.default_factory()
            break
    raise TypeError(f"{cls.__name__}.{name} has no default")


def config_fields(cls: type) -> list[tuple[str, object, object, str]]:
    """(name, type hint, default, description) for every field of a config dataclass.

    Raises TypeError for a field without a default (every parameter needs one).
    """
    hints = typing.get_type_hints(cls)
    rows = []
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            raise TypeError(f"{cls.__name__}.{f.name} needs a default")
        rows.append((f.name, hints[f.name], default, f.metadata.get("help", "")))
    return rows


def check_number(
    name: str,
    value: float,
    low: float,
    high: float,
    *,
    low_open: bool = False,
    high_open: bool = False,
    integer: bool = False,
    hint: str = "",
) -> None:
    """Raise ConfigError unless ``value`` is a finite number in the range low..high.

    ``low_open``/``high_open`` exclude that end ((0, 100] is ``low_open=True``); ``integer``
    also requires a whole number. The message names the parameter, its value and the allowed
    range, then ``hint`` (what the setting means, or what to use instead).
    """
    range_text = (f"{'(' if low_open else '['}{_fmt(low)}, {_fmt(high)}"
                  f"{')' if high_open else ']'}")
    ok = (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (value > low if low_open else value >= low)
        and (value < high if high_open else value <= high)
        and (not integer or float(value).is_integer())
    )
    if not ok:
        kind = "a whole number" if integer else "a finite number"
        raise ConfigError(f"parameter '{name}' = {value!r}: use {kind} in {range_text}"
                          + (f" ({hint})" if hint else ""))


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)


def check_number_list(name: str, values: list[float], low: float, high: float) -> None:
    """Raise ConfigError unless every entry of ``values`` is finite and in [low, high]."""
    for i, v in enumerate(values):
        if not (math.isfinite(v) and low <= v <= high):
            raise ConfigError(f"parameter '{name}'[{i}] = {v!r}: use finite numbers in "
                              f"[{_fmt(low)}, {_fmt(high)}]")


def param_rows(cls: type) -> list[tuple[str, str, object, str]]:
    """(name, type name, default, description) per field of a config dataclass."""
    rows = []
    for name, hint, default, help_text in config_fields(cls):
        tname = getattr(hint, "__name__", str(hint))
        if typing.get_origin(hint) is list:
            tname = f"{typing.get_args(hint)[0].__name__}[]"
        rows.append((name, tname, default, help_text))
    return rows
