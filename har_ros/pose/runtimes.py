"""Inference runtimes for the OpenPose mobilenet_thin graph: OpenVINO or OpenCV DNN.

Both read the same TensorFlow frozen graph (``graph_opt.pb``) and return the same raw network
output, (N, 57, h, w) float32 (19 part heatmaps and 38 PAF channels at stride 8); everything
after that (upsampling and PAF grouping, :mod:`har_ros.pose.paf`) is shared by the backend.

* ``openvino``: OpenVINO reads the frozen graph directly. One compiled model per network
  input size (height, width), compiled on first use and cached (at most
  :data:`MAX_COMPILED_SHAPES`, least recently used dropped first): a fixed shape runs faster
  than a dynamic one, and a camera's resolution never changes. A batch of frames runs frame
  by frame through that model: a compiled batch is no faster per frame on a small CPU, and
  each compiled shape holds memory of its own. The image enters as uint8 NHWC (the
  conversion to float32 is part of the compiled graph). The inference precision is always
  set explicitly: on CPUs with AMX OpenVINO would otherwise pick bf16 on its own (the heat
  maps change and people are lost).
* ``opencv``: ``cv2.dnn`` on the CPU, f32 only (the fallback when OpenVINO is not installed).

Choices: ``runtime`` auto (OpenVINO when importable, else OpenCV), ``device`` auto (an OpenVINO
GPU when OpenVINO reports one, else the CPU), cpu or gpu; ``precision`` f32, f16, bf16 or int8
(the last three only where the device reports the capability). A choice that cannot be
honoured here fails at construction with an error naming the parameter; nothing falls back
silently except ``auto``, which reports what it picked (:meth:`NetRuntime.info`).

``int8`` runs a separate model: the graph quantised by ``har-ros quantize-pose`` (NNCF
post-training quantisation calibrated on real frames), one OpenVINO IR per network input size,
found next to the graph and checked against it (:mod:`har_ros.pose.int8_model`). Its
quantised layers compute in INT8; the few that are not quantised run in f32 (the precision
hint is f32, so an AMX CPU does not switch them to bf16). A missing or stale IR for the
network input size fails at construction (the 640x480 size is prepared at start) or, for
another camera size, on that camera's frames, with an error naming the command to run.
"""

from __future__ import annotations

import abc
from collections import OrderedDict
from pathlib import Path
from types import ModuleType

import numpy as np

from har_ros.errors import BackendUnavailableError, ConfigError

RUNTIMES = ("auto", "openvino", "opencv")
DEVICES = ("auto", "cpu", "gpu")
PRECISIONS = ("f32", "f16", "bf16", "int8")
#: The pinned OpenVINO release (requirements.txt); named in the "not installed" message.
OPENVINO_REQUIREMENT = "openvino==2026.4.1"
#: Compiled OpenVINO models kept per backend: one per network input size (one per camera
#: resolution in use).
MAX_COMPILED_SHAPES = 4
#: OpenVINO's name for each precision, as in a device's OPTIMIZATION_CAPABILITIES.
_CAPABILITY = {"f32": "FP32", "f16": "FP16", "bf16": "BF16", "int8": "INT8"}
#: INFERENCE_PRECISION_HINT per precision: int8's quantised layers run in INT8 whatever the
#: hint; the hint fixes the precision of the layers left unquantised.
_HINT = {"f32": "f32", "f16": "f16", "bf16": "bf16", "int8": "f32"}


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices``, else ConfigError naming parameter ``name``."""
    if value not in choices:
        raise ConfigError(f"parameter '{name}' = {value!r}: use one of {', '.join(choices)}")
    return str(value)


def import_openvino() -> tuple[ModuleType | None, str]:
    """(the openvino module, "") or (None, why it cannot be imported)."""
    try:
        import openvino
    except ImportError as exc:  # not installed, or its shared libraries do not load
        return None, f"the openvino package is not importable ({exc})"
    return openvino, ""


def _version(ov: ModuleType) -> str:
    """'2026.4.1' from OpenVINO's '2026.4.1-22982-e213a147257-releases/2026/4'."""
    return str(ov.__version__).split("-")[0]


def _gpu_devices(core: object) -> list[str]:
    return [d for d in core.available_devices if d.split(".")[0] == "GPU"]


def _device_name(core: object, device: str) -> str:
    try:
        return str(core.get_property(device, "FULL_DEVICE_NAME")).strip()
    except Exception:  # noqa: BLE001 - a name is only decoration
        return ""


class NetRuntime(abc.ABC):
    """Runs the graph on batches of same-sized BGR uint8 images."""

    #: "openvino" or "opencv".
    name: str = ""

    @abc.abstractmethod
    def forward(self, images: list[np.ndarray], size: tuple[int, int]) -> np.ndarray:
        """Raw output (N, 57, h, w) float32 for ``images`` (same shape) resized to ``size``
        (width, height) with bilinear interpolation (as ``cv2.dnn.blobFromImages``)."""

    def prepare(self, size: tuple[int, int],  # noqa: B027 - optional
                image_size: tuple[int, int] | None = None) -> None:
        """Get ready for images (``image_size``: width, height in pixels, for messages)
        resized to ``size`` (width, height) ahead of the first frame (OpenVINO compiles that
        shape now, so a device problem or a missing INT8 model shows at start)."""

    @abc.abstractmethod
    def info(self) -> dict[str, str]:
        """What runs the network: ``runtime`` (with version), ``device``, ``precision``,
        OpenVINO's ``threads`` per inference and, when ``auto`` fell back, ``fallback`` (why
        OpenVINO is not used)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the network."""


class OpenCVRuntime(NetRuntime):
    """``cv2.dnn`` on the CPU in f32."""

    name = "opencv"

    def __init__(self, graph: Path, output_layer: str, fallback: str = "") -> None:
        import cv2

        if not hasattr(cv2.dnn, "readNetFromTensorflow"):
            raise BackendUnavailableError(
                f"OpenCV {cv2.__version__} has no cv2.dnn.readNetFromTensorflow (removed in "
                "5.1); install opencv-python-headless==5.0.0.93 or a 4.x release, or "
                f"{OPENVINO_REQUIREMENT} for runtime 'openvino'"
            )
        self._cv2 = cv2
        self._output_layer = output_layer
        self._net = cv2.dnn.readNetFromTensorflow(str(graph))
        self._info = {"runtime": f"opencv {cv2.__version__}", "device": "CPU",
                      "precision": "f32"}
        if fallback:
            self._info["fallback"] = fallback

    def forward(self, images: list[np.ndarray], size: tuple[int, int]) -> np.ndarray:
        blob = self._cv2.dnn.blobFromImages(images, 1.0, size, (0, 0, 0), swapRB=False,
                                            crop=False)
        self._net.setInput(blob)
        return self._net.forward(self._output_layer)

    def info(self) -> dict[str, str]:
        return dict(self._info)

    def close(self) -> None:
        self._net = None


class OpenVINORuntime(NetRuntime):
    """OpenVINO on the CPU or a GPU, one compiled model per input shape."""

    name = "openvino"

    def __init__(self, ov: ModuleType, graph: Path, output_layer: str, device: str,
                 precision: str) -> None:
        import cv2

        self._cv2 = cv2
        self._ov = ov
        self._core = ov.Core()
        devices = list(self._core.available_devices)
        gpus = _gpu_devices(self._core)
        if device == "gpu" and not gpus:
            raise ConfigError(
                f"parameter 'device' = 'gpu': OpenVINO {_version(ov)} sees no GPU on this "
                f"machine (devices: {', '.join(devices) or 'none'}; its GPU plugin drives "
                "Intel GPUs through OpenCL); use device 'auto' or 'cpu'"
            )
        self.device = gpus[0] if device in ("gpu", "auto") and gpus else "CPU"
        capabilities = [str(c) for c in
                        self._core.get_property(self.device, "OPTIMIZATION_CAPABILITIES")]
        if _CAPABILITY[precision] not in capabilities:
            raise ConfigError(
                f"parameter 'precision' = {precision!r}: device {self.device} "
                f"({_device_name(self._core, self.device) or 'unnamed'}) does not support it "
                f"(its capabilities: {', '.join(capabilities)}); use 'f32'"
            )
        self.precision = precision
        #: Threads OpenVINO runs one inference on (its own choice: one per physical core).
        self.threads = 0
        self._config = {"INFERENCE_PRECISION_HINT": _HINT[precision],
                        "PERFORMANCE_HINT": "LATENCY"}
        self._graph = graph
        self._output_layer = output_layer
        self._graph_sha256 = ""
        # int8 reads one quantised IR per input size instead (see _read_int8)
        self._model = None if precision == "int8" else self._read(graph)
        self._compiled: OrderedDict[tuple[int, int], object] = OrderedDict()
        #: Input sizes compiled so far (height, width), in order, for reports and tests.
        self.compiled_shapes: list[tuple[int, int]] = []

    def _read(self, path: Path) -> object:
        """The model at ``path``, checked to have the output the decoder reads."""
        model = self._core.read_model(str(path))
        names = [o.get_any_name() for o in model.outputs]
        if not any(n.split(":")[0] == self._output_layer for n in names):
            raise BackendUnavailableError(
                f"{path} has no output {self._output_layer!r} (outputs: {', '.join(names)})"
            )
        return model

    def _read_int8(self, height: int, width: int,
                   image_size: tuple[int, int] | None) -> object:
        """The INT8 IR for a (1, height, width, 3) input, verified against the graph."""
        from har_ros.pose.int8_model import file_sha256, locate_int8

        if not self._graph_sha256:
            self._graph_sha256 = file_sha256(self._graph)
        xml = locate_int8(self._graph, self._graph_sha256, height, width, image_size)
        model = self._read(xml)
        shape = model.inputs[0].get_partial_shape()
        if shape.is_dynamic or list(shape.to_shape()) != [1, height, width, 3]:
            raise BackendUnavailableError(
                f"{xml} has input shape {shape}, expected [1,{height},{width},3]")
        return model

    def _request(self, height: int, width: int,
                 image_size: tuple[int, int] | None = None) -> object:
        key = (height, width)
        request = self._compiled.get(key)
        if request is not None:
            self._compiled.move_to_end(key)
            return request
        from openvino.preprocess import PrePostProcessor

        if self.precision == "int8":
            model = self._read_int8(height, width, image_size)
        else:
            model = self._model.clone()
            model.reshape({model.inputs[0]: [1, height, width, 3]})
        ppp = PrePostProcessor(model)
        ppp.input().tensor().set_element_type(self._ov.Type.u8)
        model = ppp.build()
        compiled = self._core.compile_model(model, self.device, self._config)
        hint = compiled.get_property("INFERENCE_PRECISION_HINT")
        got = hint.to_string() if hasattr(hint, "to_string") else str(hint).lower()
        if got != _HINT[self.precision]:
            raise BackendUnavailableError(
                f"OpenVINO compiled the network for {self.device} in {got}, not the "
                f"requested {_HINT[self.precision]}"
            )
        request = compiled.create_infer_request()
        self.threads = int(compiled.get_property("INFERENCE_NUM_THREADS"))
        self._compiled[key] = request
        self.compiled_shapes.append(key)
        while len(self._compiled) > MAX_COMPILED_SHAPES:
            self._compiled.popitem(last=False)
        return request

    def prepare(self, size: tuple[int, int],
                image_size: tuple[int, int] | None = None) -> None:
        self._request(size[1], size[0], image_size)

    def forward(self, images: list[np.ndarray], size: tuple[int, int]) -> np.ndarray:
        width, height = size
        request = self._request(height, width, (images[0].shape[1], images[0].shape[0]))
        outs = []
        for image in images:
            resized = self._cv2.resize(image, size, interpolation=self._cv2.INTER_LINEAR)
            # (1, h, w, 57), a copy: the request's own buffer is reused by the next call
            outs.append(np.asarray(request.infer({0: resized[None]})[0]))
        out = outs[0] if len(outs) == 1 else np.concatenate(outs)
        return out.transpose(0, 3, 1, 2)  # a view; upsample_maps transposes it back

    def info(self) -> dict[str, str]:
        name = _device_name(self._core, self.device)
        return {"runtime": f"openvino {_version(self._ov)}",
                "device": f"{self.device} ({name})" if name else self.device,
                "precision": self.precision,
                **({"threads": str(self.threads)} if self.threads else {})}

    def close(self) -> None:
        self._compiled.clear()
        self._model = None


def make_runtime(graph: Path, output_layer: str, runtime: str = "auto", device: str = "auto",
                 precision: str = "f32") -> NetRuntime:
    """The runtime that runs ``graph`` for these choices (see the module docstring).

    Raises ConfigError naming the parameter for a bad or unsatisfiable choice (unknown value,
    gpu without a GPU, bf16 without the capability, gpu or f16/bf16/int8 with OpenCV) and
    BackendUnavailableError when runtime 'openvino' is asked for but not installed (and, for
    int8, when the INT8 model is missing or stale: see :mod:`har_ros.pose.int8_model`).
    """
    check_choice("runtime", runtime, RUNTIMES)
    check_choice("device", device, DEVICES)
    check_choice("precision", precision, PRECISIONS)
    if runtime == "opencv":
        if device == "gpu":
            raise ConfigError("parameter 'device' = 'gpu' needs runtime 'openvino' or 'auto' "
                              "(runtime 'opencv' runs cv2.dnn on the CPU only)")
        if precision != "f32":
            raise ConfigError(f"parameter 'precision' = {precision!r} needs runtime 'openvino' "
                              "or 'auto' (runtime 'opencv' computes in f32 only)")
        return OpenCVRuntime(graph, output_layer)
    ov, why = import_openvino()
    if ov is None:
        if runtime == "openvino" or device == "gpu" or precision != "f32":
            asked = ("runtime 'openvino'" if runtime == "openvino" else
                     "device 'gpu'" if device == "gpu" else f"precision {precision!r}")
            raise BackendUnavailableError(
                f"{asked} needs OpenVINO, but {why}: install {OPENVINO_REQUIREMENT} (it is in "
                "requirements.txt; 'make setup' installs it), or set runtime 'opencv'"
            )
        return OpenCVRuntime(graph, output_layer, fallback=why)
    return OpenVINORuntime(ov, graph, output_layer, device, precision)


def available() -> dict[str, str]:
    """What ``runtime=auto, device=auto`` would use here, without loading a network (for
    ``har-ros info``): the OpenVINO version and devices, each device's precisions."""
    ov, why = import_openvino()
    if ov is None:
        return {"openvino": f"no: {why}", "pose_runtime_auto": "opencv (cv2.dnn) on CPU, f32"}
    try:
        core = ov.Core()
        devices = list(core.available_devices)
        precisions = {
            d: [p for p, cap in _CAPABILITY.items()
                if cap in [str(c) for c in core.get_property(d, "OPTIMIZATION_CAPABILITIES")]]
            for d in devices
        }
        gpus = _gpu_devices(core)
    except Exception as exc:  # noqa: BLE001 - report, never fail
        return {"openvino": f"{_version(ov)} (cannot list devices: {exc})",
                "pose_runtime_auto": "openvino (device unknown)"}
    device = gpus[0] if gpus else "CPU"
    listed = "; ".join(f"{d} {_device_name(core, d) or ''} ({', '.join(precisions[d])})"
                       .replace("  ", " ") for d in devices)
    return {"openvino": f"{_version(ov)}, devices: {listed}",
            "pose_runtime_auto": f"openvino on {device}, f32"}
