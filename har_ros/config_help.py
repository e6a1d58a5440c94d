"""Field metadata shared by the node configuration dataclasses, and the one reader of it."""

from __future__ import annotations

import dataclasses
import typing


def described(text: str) -> dict[str, str]:
    """``field(metadata=described("..."))``: the description of a declared ROS parameter."""
    return {"help": text}


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
