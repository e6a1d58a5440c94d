"""CMU OpenPose through its Python binding ``pyopenpose`` (COCO model), when installed.

``pyopenpose`` is built from source with OpenPose (no package index has it). The COCO body
model is selected explicitly (``model_pose="COCO"``): OpenPose's default BODY_25 has 25 joints
in another order, and its output is rejected. ``datum.poseKeypoints`` is (people, 18, 3) = x, y
in pixels of the input image and a confidence; it is None when nobody is found.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import numpy as np

from har_ros.errors import BackendUnavailableError, ConfigError
from har_ros.pose.base import (
    PoseBackend,
    check_image,
    finalize_people,
    no_people,
    squeeze_wide,
)
from har_ros.skeleton import NUM_JOINTS

INSTALL_HINT = (
    "build OpenPose with -DBUILD_PYTHON=ON and put the folder holding pyopenpose on "
    "PYTHONPATH (see OpenPose's doc/installation); set model_folder to its models/ folder, "
    "which needs pose/coco/pose_iter_440000.caffemodel"
)


def import_pyopenpose() -> ModuleType:
    """The ``pyopenpose`` module (top-level, or ``openpose.pyopenpose`` as installed by make)."""
    errors = []
    for name in ("pyopenpose", "openpose.pyopenpose"):
        try:
            return importlib.import_module(name)
        except ImportError as exc:
            errors.append(f"{name}: {exc}")
    raise BackendUnavailableError(
        f"pyopenpose is not importable ({'; '.join(errors)}); {INSTALL_HINT}"
    )


def check_keypoints(keypoints: object) -> np.ndarray:
    """Validate ``datum.poseKeypoints`` as COCO-18: returns a (P, 18, 3) float32 array.

    None or an empty array means no people. Any other joint count (25 for BODY_25, 15 for MPI)
    raises ConfigError, since the joints would land in the wrong slots.
    """
    if keypoints is None:
        return no_people()
    kp = np.asarray(keypoints, dtype=np.float32)
    if kp.size == 0:
        return no_people()
    if kp.ndim != 3 or kp.shape[2] != 3 or kp.shape[1] != NUM_JOINTS:
        joints = kp.shape[1] if kp.ndim == 3 else "?"
        layout = {25: " (the BODY_25 layout)", 15: " (the MPI layout)"}.get(joints, "")
        raise ConfigError(
            f"pyopenpose returned keypoints of shape {kp.shape}: {joints} joints per "
            f"person{layout}; har_ros needs the COCO-18 model: run OpenPose with "
            "model_pose='COCO' and pose/coco/pose_iter_440000.caffemodel in model_folder"
        )
    return kp


class PyOpenPoseBackend(PoseBackend):
    """Multi-person COCO-18 poses from CMU OpenPose (``pyopenpose``, COCO model)."""

    name = "pyopenpose"
    max_batch = 1

    def __init__(
        self,
        model_folder: str | os.PathLike[str] | None = None,
        net_resolution: str = "-1x368",
        model_pose: str = "COCO",
        extra_params: dict[str, object] | None = None,
    ) -> None:
        """Start an OpenPose wrapper.

        ``model_folder`` is OpenPose's ``models/`` folder (default: $OPENPOSE_MODELS, else
        OpenPose's own default); ``net_resolution`` is OpenPose's "WxH" string (-1: keep the
        aspect ratio); ``extra_params`` are passed on to OpenPose unchanged.
        """
        if str(model_pose).upper() != "COCO":
            raise ConfigError(
                f"model_pose must be 'COCO' (har_ros uses the COCO-18 layout), got {model_pose!r}"
            )
        params: dict[str, object] = dict(extra_params or {})
        for key in ("model_pose", "net_resolution", "model_folder"):
            if key in params:
                raise ConfigError(f"set {key} as its own option, not in extra_params")
        params["model_pose"] = "COCO"
        params["net_resolution"] = net_resolution
        folder = model_folder or os.environ.get("OPENPOSE_MODELS")
        if folder:
            params["model_folder"] = os.fspath(folder)
        op = import_pyopenpose()
        self._op = op
        try:
            self._wrapper = op.WrapperPython()
            self._wrapper.configure(params)
            self._wrapper.start()
        except Exception as exc:  # OpenPose raises plain RuntimeError for bad setups
            raise BackendUnavailableError(
                f"OpenPose failed to start with {params}: {exc}; {INSTALL_HINT}"
            ) from exc

    def infer(self, images: list[np.ndarray]) -> list[np.ndarray]:
        """Poses for each BGR image."""
        results = []
        for image in images:
            check_image(image)
            datum = self._op.Datum()
            # OpenPose sizes its input by the aspect ratio ("-1xH"): bound the width
            datum.cvInputData, x_scale = squeeze_wide(image)
            vector = getattr(self._op, "VectorDatum", None)
            self._wrapper.emplaceAndPop(vector([datum]) if vector else [datum])
            people = check_keypoints(datum.poseKeypoints)
            if x_scale != 1.0:
                people[..., 0] *= x_scale
            results.append(finalize_people(people, image.shape[1], image.shape[0]))
        return results

    def close(self) -> None:
        """Stop the OpenPose wrapper."""
        wrapper = getattr(self, "_wrapper", None)
        if wrapper is not None and hasattr(wrapper, "stop"):
            wrapper.stop()
        self._wrapper = None
