"""INT8 post-training quantisation of the OpenPose mobilenet_thin graph with NNCF.

:func:`quantize_openpose` reads the frozen f32 graph, fixes its input to one network input
size, calibrates NNCF's post-training quantisation on real frames (by default the demo clip,
OpenCV's ``vtest.avi``: people walking past a raised camera) and writes the INT8 IR and its
provenance next to the graph (file names and checks: :mod:`har_ros.pose.int8_model`).

Before NNCF runs, the separable convolutions are rescaled exactly
(:mod:`har_ros.pose.equalize`: without it the INT8 network is unusable) and some convolutions
are kept in f32 (:mod:`har_ros.pose.keep_f32`: each stage's heat map and PAF outputs, and the
start of the backbone). Calibration frames are prepared as
the runtime prepares camera frames: each clip frame is resized to the camera image size
(INTER_AREA), then to the network input size (INTER_LINEAR, as
:class:`~har_ros.pose.runtimes.OpenVINORuntime` does), as float32 NHWC BGR 0-255.
NNCF is needed only here (``pip install nncf``, pinned in requirements.txt); the runtime reads
the IR with OpenVINO alone.
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from har_ros.errors import BackendUnavailableError, ConfigError, DataError
from har_ros.pose.int8_model import (
    MODEL_NAME,
    PROVENANCE_FORMAT,
    file_sha256,
    int8_paths,
    read_provenance,
)
from har_ros.pose.keep_f32 import DEFAULT_EARLY_BLOCKS

#: NNCF presets: 'performance' (symmetric activations) or 'mixed' (asymmetric activations).
PRESETS = ("mixed", "performance")
DEFAULT_PRESET = "mixed"
#: Calibration frames taken evenly over the clip (NNCF's own default subset is 300).
DEFAULT_SUBSET = 128


@dataclass(frozen=True)
class QuantizeSpec:
    """What to quantise: network input size (pixels), camera image size (pixels), the
    calibration clip, how many frames of it, the NNCF preset and how many depthwise-separable
    blocks at the start of the backbone stay f32 (:mod:`har_ros.pose.keep_f32`)."""

    net_height: int
    net_width: int
    image_size: tuple[int, int]  # camera (width, height)
    video: Path
    subset_size: int = DEFAULT_SUBSET
    preset: str = DEFAULT_PRESET
    fast_bias_correction: bool = True
    early_f32_blocks: int = DEFAULT_EARLY_BLOCKS


def import_nncf() -> object:
    """The nncf module, or BackendUnavailableError saying how to install it."""
    try:
        import nncf
    except ImportError as exc:
        raise BackendUnavailableError(
            f"quantising needs NNCF, which is not importable ({exc}): install the version "
            "pinned in requirements.txt ('make setup' does)"
        ) from None
    return nncf


def calibration_frames(video: Path, count: int, image_size: tuple[int, int],
                       net_size: tuple[int, int]) -> tuple[list[np.ndarray], list[int], int]:
    """(``count`` network inputs (1, h, w, 3) float32, their frame indices, the clip's frame
    count) from frames spread evenly over ``video``; sizes are (width, height) pixels."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    if not cap.isOpened() or total <= 0:
        raise DataError(f"cannot read video {video}")
    if count < 1 or count > total:
        raise ConfigError(f"subset size {count}: use 1..{total} (frames in {video.name})")
    wanted = set(np.linspace(0, total - 1, count).round().astype(int).tolist())
    inputs, indices = [], []
    for index in range(total):
        ok, frame = cap.read()
        if not ok:
            break
        if index in wanted:
            image = cv2.resize(frame, image_size, interpolation=cv2.INTER_AREA)
            net = cv2.resize(image, net_size, interpolation=cv2.INTER_LINEAR)
            inputs.append(net[None].astype(np.float32))
            indices.append(index)
    cap.release()
    if len(inputs) != len(wanted):
        raise DataError(f"{video} ended after {index} of {total} frames")
    return inputs, indices, total


def is_current(spec: QuantizeSpec, weights_file: Path) -> bool:
    """True when the IR for ``spec`` exists and its provenance says it was made from this
    graph with these settings and clip (then quantising again would change nothing)."""
    from har_ros.pose.int8_model import check_provenance

    xml, bin_, meta = int8_paths(weights_file.parent, spec.net_height, spec.net_width)
    if not (xml.is_file() and bin_.is_file() and meta.is_file()):
        return False
    try:
        record = read_provenance(meta)
        check_provenance(record, file_sha256(weights_file), spec.net_height, spec.net_width,
                         xml, bin_)
    except BackendUnavailableError:
        return False
    cal = record["calibration"]
    from har_ros.pose.weights import file_md5

    return (cal["subset_size"] == spec.subset_size and cal["preset"] == spec.preset
            and cal["fast_bias_correction"] == spec.fast_bias_correction
            and cal.get("early_f32_blocks") == spec.early_f32_blocks
            and record["image_size"] == list(spec.image_size)
            and cal["clip_md5"] == file_md5(spec.video))


def quantize_openpose(weights_file: Path, spec: QuantizeSpec, command: str = "") -> Path:
    """Quantise the graph ``weights_file`` for ``spec``; writes xml, bin and provenance json
    next to it and returns the provenance path. The files appear complete or not at all (the
    provenance last, as the runtime requires all three). ``command``: recorded as given."""
    if spec.preset not in PRESETS:
        raise ConfigError(f"preset {spec.preset!r}: use one of {', '.join(PRESETS)}")
    nncf = import_nncf()
    import openvino as ov

    from har_ros.pose.weights import file_md5

    inputs, indices, total = calibration_frames(
        spec.video, spec.subset_size, spec.image_size, (spec.net_width, spec.net_height))
    model = ov.Core().read_model(str(weights_file))
    model.reshape({model.inputs[0]: [1, spec.net_height, spec.net_width, 3]})
    preset = {"mixed": nncf.QuantizationPreset.MIXED,
              "performance": nncf.QuantizationPreset.PERFORMANCE}[spec.preset]
    from har_ros.pose.equalize import DEFAULT_ALPHA, equalize_separable
    from har_ros.pose.keep_f32 import early_backbone_convs, stage_output_convs

    pairs = equalize_separable(model, inputs, DEFAULT_ALPHA)
    kept_f32 = (early_backbone_convs(model, spec.early_f32_blocks)
                + stage_output_convs(model))
    quantized = nncf.quantize(model, nncf.Dataset(inputs), preset=preset,
                              subset_size=len(inputs),
                              fast_bias_correction=spec.fast_bias_correction,
                              ignored_scope=nncf.IgnoredScope(names=kept_f32))
    folder = weights_file.parent
    xml, bin_, meta = int8_paths(folder, spec.net_height, spec.net_width)
    with tempfile.TemporaryDirectory(prefix=".int8_", dir=folder) as tmp:
        tmp_xml = Path(tmp) / xml.name
        ov.save_model(quantized, str(tmp_xml), compress_to_fp16=False)
        tmp_bin = tmp_xml.with_suffix(".bin")
        record = {
            "format": PROVENANCE_FORMAT,
            "model": MODEL_NAME,
            "precision": "int8",
            "net_input": {"height": spec.net_height, "width": spec.net_width},
            "image_size": list(spec.image_size),
            "source_weights": {"file": weights_file.name, "sha256": file_sha256(weights_file),
                               "md5": file_md5(weights_file)},
            "ir": {"xml": xml.name, "bin": bin_.name, "xml_sha256": file_sha256(tmp_xml),
                   "bin_sha256": file_sha256(tmp_bin)},
            "calibration": {
                "clip": spec.video.name,
                "clip_md5": file_md5(spec.video),
                "clip_frames": total,
                "frame_indices": indices,
                "subset_size": len(inputs),
                "preset": spec.preset,
                "fast_bias_correction": spec.fast_bias_correction,
                "equalization": f"{pairs} depthwise -> 1x1 pairs rescaled, SmoothQuant-style "
                                f"alpha {DEFAULT_ALPHA} (har_ros.pose.equalize)",
                "early_f32_blocks": spec.early_f32_blocks,
                "kept_f32": kept_f32,
                "resize": f"clip frame -> {spec.image_size[0]}x{spec.image_size[1]} "
                          f"(INTER_AREA) -> {spec.net_width}x{spec.net_height} (INTER_LINEAR, "
                          "as the runtime), float32 NHWC BGR 0-255",
            },
            "nncf": {"version": str(nncf.__version__)},
            "openvino": str(ov.__version__).split("-")[0],
            "created_utc": datetime.datetime.now(datetime.timezone.utc)
                           .isoformat(timespec="seconds"),
            "command": command,
        }
        tmp_meta = Path(tmp) / meta.name
        tmp_meta.write_text(json.dumps(record, indent=2) + "\n")
        meta.unlink(missing_ok=True)  # an IR without provenance is never used
        os.replace(tmp_xml, xml)
        os.replace(tmp_bin, bin_)
        os.replace(tmp_meta, meta)
    return meta
