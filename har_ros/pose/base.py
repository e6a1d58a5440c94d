"""The interface every 2D pose backend implements.

A backend takes BGR uint8 images (H, W, 3) of any size and returns, per image, a float32 array
(P, 18, 3) of people in the COCO-18 layout of :mod:`har_ros.skeleton`: x, y in pixels of that
image (origin top-left, x right, y down) and a confidence in [0, 1]; a missing joint is all
zeros. P may be 0. One backend instance serves one camera stream (some backends track between
calls).
"""

from __future__ import annotations

import abc
from typing import ClassVar

import numpy as np

from har_ros.errors import InputError
from har_ros.skeleton import NUM_JOINTS

#: Network input height (pixels) of the OpenPose backends unless configured: OpenPose's own.
DEFAULT_NET_HEIGHT = 368


class PoseBackend(abc.ABC):
    """A 2D multi- or single-person pose estimator producing COCO-18 skeletons."""

    #: Registry name (``make_backend(name)``).
    name: ClassVar[str] = ""
    #: How many frames one :meth:`infer` call processes together (1: no batching).
    max_batch: int = 1

    @abc.abstractmethod
    def infer(self, images: list[np.ndarray]) -> list[np.ndarray]:
        """Estimate poses; returns one (P, 18, 3) float32 array per input image, in order.

        Lists longer than :attr:`max_batch` are accepted and processed in chunks.
        Raises :class:`~har_ros.errors.InputError` for a malformed image.
        """

    def runtime_info(self) -> dict[str, str]:
        """What runs the model (``runtime``, ``device``, ``precision``), for diagnostics;
        empty when the backend has no choice of runtime."""
        return {}

    def close(self) -> None:  # noqa: B027 - optional hook, not abstract
        """Release the model (optional; the default does nothing)."""

    def __enter__(self) -> PoseBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_image(image: object) -> np.ndarray:
    """Return ``image`` if it is a non-empty BGR uint8 (H, W, 3) array, else raise InputError."""
    if not isinstance(image, np.ndarray):
        raise InputError(f"image must be a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise InputError(f"image must be BGR uint8 (H, W, 3), got {image.dtype} {image.shape}")
    if image.shape[0] < 8 or image.shape[1] < 8:
        raise InputError(f"image is too small: {image.shape[1]}x{image.shape[0]} pixels")
    return image


#: Widest input, relative to its height, a backend hands its network. Networks sized by the
#: image's aspect ratio grow with the width, so a wider image is squeezed horizontally
#: (keypoints are mapped back to its own pixels) instead of widening the input without bound.
MAX_NET_ASPECT = 4.0


def squeeze_wide(image: np.ndarray, max_aspect: float = MAX_NET_ASPECT
                 ) -> tuple[np.ndarray, float]:
    """``image`` resized to at most ``max_aspect`` times as wide as high, and the factor that
    maps an x in the returned image back to pixels of ``image`` (1.0: returned unchanged)."""
    height, width = image.shape[:2]
    widest = max(1, int(max_aspect * height))
    if width <= widest:
        return image, 1.0
    import cv2

    return cv2.resize(image, (widest, height), interpolation=cv2.INTER_AREA), width / widest


def no_people() -> np.ndarray:
    """An empty (0, 18, 3) float32 result."""
    return np.zeros((0, NUM_JOINTS, 3), dtype=np.float32)


def finalize_people(people: np.ndarray, width: int, height: int) -> np.ndarray:
    """Enforce the output contract on (P, 18, 3) skeletons of a ``width`` x ``height`` image.

    Confidences are clipped to [0, 1]; joints that are non-finite, have confidence 0 or lie
    outside the image become missing (all zeros).
    """
    out = np.array(people, dtype=np.float32, copy=True).reshape(-1, NUM_JOINTS, 3)
    conf = np.nan_to_num(out[..., 2], nan=0.0, posinf=1.0, neginf=0.0)
    out[..., 2] = np.clip(conf, 0.0, 1.0)
    x, y = out[..., 0], out[..., 1]
    inside = np.isfinite(x) & np.isfinite(y) & (x >= 0) & (y >= 0) & (x <= width - 1)
    inside &= y <= height - 1
    keep = inside & (out[..., 2] > 0)
    out[~keep] = 0.0
    return out
