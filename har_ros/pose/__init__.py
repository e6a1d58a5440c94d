"""2D pose backends behind one interface, chosen by name.

Importing this package is cheap: a backend's module (and its heavy dependencies: OpenCV DNN
weights, mediapipe, pyopenpose) is imported only by :func:`make_backend`.
"""

from __future__ import annotations

import importlib
import inspect

from har_ros.errors import ConfigError
from har_ros.pose.base import PoseBackend

#: backend name -> "module:class" implementing it.
BACKENDS: dict[str, str] = {
    "openpose_mobilenet": "har_ros.pose.openpose_mobilenet:OpenPoseMobilenetBackend",
    "mediapipe": "har_ros.pose.mediapipe_backend:MediaPipeBackend",
    "pyopenpose": "har_ros.pose.pyopenpose_backend:PyOpenPoseBackend",
}


def backend_class(name: str) -> type[PoseBackend]:
    """The class registered as ``name``; ConfigError listing the valid names if unknown."""
    if name not in BACKENDS:
        raise ConfigError(
            f"unknown pose backend {name!r}; choose one of: {', '.join(sorted(BACKENDS))}"
        )
    module_name, class_name = BACKENDS[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def make_backend(name: str, **options: object) -> PoseBackend:
    """Create the pose backend ``name`` with its keyword ``options``.

    Raises ConfigError for an unknown name or option (the message lists the valid ones) and
    BackendUnavailableError when the backend cannot run here (module or weights missing).
    """
    cls = backend_class(name)
    valid = [
        p.name
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ConfigError(
            f"pose backend {name!r} has no option(s) {', '.join(unknown)}; "
            f"valid options: {', '.join(valid) or '(none)'}"
        )
    return cls(**options)


__all__ = ["BACKENDS", "PoseBackend", "backend_class", "make_backend"]
