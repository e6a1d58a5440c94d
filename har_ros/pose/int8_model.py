"""Where the INT8 OpenPose model lives and how its provenance is checked (no NNCF needed here).

``har-ros quantize-pose`` (:mod:`har_ros.pose.quantize`) writes, per network input size, an
OpenVINO IR quantised to INT8 next to the f32 graph it came from, in the same weights folder:

* ``openpose_mobilenet_thin_int8_<h>x<w>.xml`` / ``.bin``: the IR, input (1, h, w, 3) float32
  NHWC BGR 0-255 as the frozen graph's, fixed to that one size (h, w: network input pixels);
* ``openpose_mobilenet_thin_int8_<h>x<w>.json``: its provenance (:data:`PROVENANCE_KEYS`):
  sha256 of the source graph and of both IR files, the NNCF and OpenVINO versions, the
  calibration clip (name, md5) and frame indices, the subset size and the preset.

The runtime uses an IR only when its provenance matches the graph in use and its own files
(:func:`locate_int8`); anything missing or stale is a BackendUnavailableError naming the
command that (re)creates it. Nothing falls back to f32.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from har_ros.errors import BackendUnavailableError

#: Version of the provenance layout; a file with another one is refused.
PROVENANCE_FORMAT = 1
#: Keys every provenance file has.
PROVENANCE_KEYS = ("format", "model", "precision", "net_input", "image_size", "source_weights",
                   "ir", "calibration", "nncf", "openvino", "created_utc", "command")
#: Calibration keys every provenance file has.
CALIBRATION_KEYS = ("clip", "clip_md5", "clip_frames", "frame_indices", "subset_size", "preset",
                    "fast_bias_correction", "equalization", "early_f32_blocks", "kept_f32",
                    "resize")
MODEL_NAME = "openpose_mobilenet_thin"


def int8_stem(net_height: int, net_width: int) -> str:
    """File stem of the INT8 IR for a network input of ``net_height`` x ``net_width`` pixels."""
    return f"{MODEL_NAME}_int8_{net_height}x{net_width}"


def int8_paths(folder: Path, net_height: int, net_width: int) -> tuple[Path, Path, Path]:
    """(xml, bin, provenance json) of the INT8 IR for that network input size in ``folder``."""
    stem = folder / int8_stem(net_height, net_width)
    return stem.with_suffix(".xml"), stem.with_suffix(".bin"), stem.with_suffix(".json")


def file_sha256(path: Path) -> str:
    """Hex sha256 digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def quantize_command(net_height: int, image_size: tuple[int, int] | None,
                     folder: Path | None = None) -> str:
    """The ``har-ros quantize-pose`` command line that creates the IR for these sizes
    (``image_size``: camera width, height in pixels; None = the command's default, 640x480)
    next to the graph in ``folder`` (None or the default weights folder: no option)."""
    from har_ros.pose.weights import weights_dir

    size = f" --image-size {image_size[0]}x{image_size[1]}" if image_size else ""
    where = (f" --weights {folder}" if folder is not None
             and folder.resolve() != weights_dir().resolve() else "")
    return f"har-ros quantize-pose --net-height {net_height}{size}{where}"


def check_provenance(record: dict, source_sha256: str, net_height: int, net_width: int,
                     xml: Path, bin_: Path) -> None:
    """Raise BackendUnavailableError saying what is wrong unless ``record`` describes the IR
    ``xml``/``bin_`` made from the graph whose sha256 is ``source_sha256`` for a network input
    of ``net_height`` x ``net_width`` pixels."""
    missing = [k for k in PROVENANCE_KEYS if k not in record]
    missing += [f"calibration.{k}" for k in CALIBRATION_KEYS
                if k not in (record.get("calibration") or {})]
    if missing:
        raise BackendUnavailableError(f"lacks {', '.join(missing)}")
    if record["format"] != PROVENANCE_FORMAT or record["precision"] != "int8":
        raise BackendUnavailableError(
            f"is format {record['format']} / precision {record['precision']!r}, expected "
            f"format {PROVENANCE_FORMAT} / 'int8'")
    if record["net_input"] != {"height": net_height, "width": net_width}:
        raise BackendUnavailableError(f"is for network input {record['net_input']}, not "
                                      f"height {net_height} width {net_width}")
    if record["source_weights"].get("sha256") != source_sha256:
        raise BackendUnavailableError(
            "was made from another graph (source sha256 "
            f"{str(record['source_weights'].get('sha256'))[:12]}..., the graph in use has "
            f"{source_sha256[:12]}...)")
    for key, path in (("xml_sha256", xml), ("bin_sha256", bin_)):
        if record["ir"].get(key) != file_sha256(path):
            raise BackendUnavailableError(f"does not match {path.name} (sha256 differs): the IR "
                                          "was changed or only partly written")


def read_provenance(path: Path) -> dict:
    """The provenance record at ``path``; BackendUnavailableError when unreadable."""
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise BackendUnavailableError(f"cannot be read ({exc})") from None
    if not isinstance(record, dict):
        raise BackendUnavailableError("is not a JSON object")
    return record


def locate_int8(weights_file: Path, source_sha256: str, net_height: int, net_width: int,
                image_size: tuple[int, int] | None = None) -> Path:
    """The verified INT8 IR (xml) for a network input of ``net_height`` x ``net_width`` pixels,
    next to ``weights_file`` (whose sha256 is ``source_sha256``).

    Raises BackendUnavailableError naming the folder, the size and the ``har-ros
    quantize-pose`` command to run (``image_size``, the camera's width and height, makes the
    command exact) when the IR or its provenance is missing, unreadable or stale.
    """
    xml, bin_, meta = int8_paths(weights_file.parent, net_height, net_width)
    folder = weights_file.parent
    command = quantize_command(net_height, image_size, folder)
    what = (f"precision 'int8' needs the INT8 model for network input {net_width}x{net_height} "
            f"(width x height)")
    if not (xml.is_file() and bin_.is_file() and meta.is_file()):
        absent = ", ".join(p.name for p in (xml, bin_, meta) if not p.is_file())
        raise BackendUnavailableError(
            f"{what}: {absent} not found in {folder}; create it with '{command}' "
            "(it quantises the f32 graph with NNCF on frames of the demo clip), or use "
            "precision 'f32'")
    try:
        check_provenance(read_provenance(meta), source_sha256, net_height, net_width, xml, bin_)
    except BackendUnavailableError as exc:
        raise BackendUnavailableError(
            f"{what}: its provenance {meta} {exc}; recreate it with '{command} --force'"
        ) from None
    return xml
