"""Read a video file frame by frame with its frame rate (OpenCV), for the camera publisher,
the demo and skeleton extraction. No ROS imports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from har_ros.errors import DataError


class VideoSource:
    """Frames (BGR uint8) of a video file; ``fps`` from the container (fallback 30)."""

    def __init__(self, path: str | Path, max_width: int = 0) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"video file {self.path} does not exist")
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            raise DataError(f"OpenCV cannot open {self.path} (unknown codec or corrupt file)")
        self.fps = float(cap.get(cv2.CAP_PROP_FPS)) or 30.0
        if not 1.0 <= self.fps <= 240.0:
            self.fps = 30.0
        self.frame_count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        cap.release()
        self.max_width = max_width

    def frames(self, limit: int = 0) -> Iterator[np.ndarray]:
        """Yield frames in order (at most ``limit`` when > 0), downscaled to ``max_width``."""
        cap = cv2.VideoCapture(str(self.path))
        n = 0
        try:
            while not limit or n < limit:
                ok, frame = cap.read()
                if not ok:
                    break
                if self.max_width and frame.shape[1] > self.max_width:
                    h = int(round(frame.shape[0] * self.max_width / frame.shape[1]))
                    frame = cv2.resize(frame, (self.max_width, h), interpolation=cv2.INTER_AREA)
                n += 1
                yield frame
        finally:
            cap.release()
        if n == 0:
            raise DataError(f"{self.path} has no readable frames")
