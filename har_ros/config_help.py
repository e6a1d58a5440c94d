"""Field metadata shared by the node configuration dataclasses."""


def described(text: str) -> dict[str, str]:
    """``field(metadata=described("..."))``: the description of a declared ROS parameter."""
    return {"help": text}
