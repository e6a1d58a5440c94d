"""Stand-in for CMU OpenPose's ``pyopenpose`` binding, for tests only (no network, no model).

It mimics the documented Python API (``WrapperPython``, ``configure(params)``, ``start()``,
``Datum``, ``VectorDatum``, ``emplaceAndPop``, ``datum.poseKeypoints``) and its output shape:
(people, joints, 3) with 18 joints for ``model_pose="COCO"`` and 25 for the default BODY_25,
None when the image is blank. Its "detection" is a fixed upright figure scaled to the image;
``FORCE_JOINTS`` makes it return another joint count whatever was configured (an OpenPose build
that ignores ``model_pose``).
"""

from __future__ import annotations

import numpy as np

FORCE_JOINTS: int | None = None

# A standing person facing the camera, COCO-18, in units of image (width, height).
_COCO18_FIGURE = np.array(
    [
        [0.50, 0.15], [0.50, 0.25], [0.42, 0.25], [0.38, 0.40], [0.36, 0.55], [0.58, 0.25],
        [0.62, 0.40], [0.64, 0.55], [0.45, 0.55], [0.45, 0.72], [0.45, 0.90], [0.55, 0.55],
        [0.55, 0.72], [0.55, 0.90], [0.48, 0.13], [0.52, 0.13], [0.46, 0.14], [0.54, 0.14],
    ],
    dtype=np.float32,
)


class Datum:
    """One frame going through the wrapper."""

    def __init__(self) -> None:
        self.cvInputData: np.ndarray | None = None
        self.poseKeypoints: np.ndarray | None = None


class VectorDatum(list):
    """OpenPose >= 1.7 wraps the datums in this vector type."""


class WrapperPython:
    """Configure, start, then push datums through ``emplaceAndPop``."""

    def __init__(self) -> None:
        self.params: dict[str, object] = {}
        self.started = False

    def configure(self, params: dict[str, object]) -> None:
        self.params = dict(params)

    def start(self) -> None:
        if self.params.get("model_pose", "BODY_25") not in ("BODY_25", "COCO", "MPI"):
            raise RuntimeError(f"unknown model_pose {self.params['model_pose']}")
        self.started = True

    def stop(self) -> None:
        self.started = False

    def emplaceAndPop(self, datums: list[Datum]) -> bool:  # noqa: N802 - OpenPose's name
        if not self.started:
            raise RuntimeError("wrapper not started")
        for datum in datums:
            datum.poseKeypoints = self._detect(datum.cvInputData)
        return True

    def _detect(self, image: np.ndarray | None) -> np.ndarray | None:
        if image is None or not image.any():
            return None
        height, width = image.shape[:2]
        model = str(self.params.get("model_pose", "BODY_25"))
        joints = {"COCO": 18, "BODY_25": 25, "MPI": 15}[model]
        joints = FORCE_JOINTS or joints
        people = np.zeros((1, joints, 3), dtype=np.float32)
        n = min(joints, 18)
        people[0, :n, 0] = _COCO18_FIGURE[:n, 0] * width
        people[0, :n, 1] = _COCO18_FIGURE[:n, 1] * height
        people[0, :n, 2] = 0.8
        return people
