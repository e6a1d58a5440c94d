"""Own recordings (the predecessor project's format): keypoint CSVs, per-frame label CSVs, a
label map, a manifest.

Layout (all paths relative to the manifest's folder)::

    manifest.csv          recording,subject,camera,fps[,keypoints][,labels]
    <rec>_keypoints.csv   one row per frame: x0,y0,...,x17,y17 (pixels, 0,0 = missing)
                          or 54 values x,y,c per joint; an optional non-numeric header row
    <rec>_labels.csv      one row per frame: a class name or class id; optional header row
    label_map.json        {"CLOSE": 0, "OPEN": 1}  (or a YAML file with ``classes: [...]``)

The manifest may also be JSON: a list of objects with the same keys. ``keypoints`` and
``labels`` default to ``<recording>_keypoints.csv`` and ``<recording>_labels.csv``.
Subjects and cameras come from the manifest, so subject-wise splits work.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from har_ros.data.common import SkeletonDataset, SkeletonSequence, uniform_stamps
from har_ros.data.textio import read_float_rows, xy_rows_to_skeletons
from har_ros.errors import DataError

MANIFEST_KEYS = ("recording", "subject", "camera", "fps")


def load_label_map(path: str | Path) -> list[str]:
    """Class names in index order from a JSON ``{name: id}`` map or YAML ``classes: [names]``.

    Ids must be exactly 0..C-1. Raises DataError naming the file otherwise.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: label map not found")
    try:
        if path.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
    except Exception as exc:  # noqa: BLE001 - any parse failure is a data error here
        raise DataError(f"{path}: cannot parse label map: {exc}") from exc
    if isinstance(data, dict) and "classes" in data:
        data = data["classes"]
    if isinstance(data, list):
        if not all(isinstance(c, str) for c in data) or len(set(data)) != len(data):
            raise DataError(f"{path}: classes must be distinct names")
        return list(data)
    if not isinstance(data, dict) or not data:
        raise DataError(f"{path}: expected {{name: id}} or classes: [names]")
    ids = sorted(data.values()) if all(isinstance(v, int) for v in data.values()) else None
    if ids != list(range(len(data))):
        raise DataError(f"{path}: ids must be the integers 0..{len(data) - 1}, got {ids}")
    return [name for name, _ in sorted(data.items(), key=lambda kv: kv[1])]


def read_frame_labels(path: Path, classes: list[str]) -> np.ndarray:
    """Per-frame labels (names or ids) -> (T,) int64; DataError names file and line if unknown."""
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    index = {c: i for i, c in enumerate(classes)}
    index.update({c.lower(): i for i, c in enumerate(classes)})
    out: list[int] = []
    with path.open("r", encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            text = line.strip().split(",")[-1].strip()
            if not text:
                continue
            if text in index or text.lower() in index:
                out.append(index.get(text, index.get(text.lower())))
                continue
            try:
                value = int(text)
            except ValueError:
                if lineno == 1 and text.lower() in ("label", "class", "action"):
                    continue
                raise DataError(f"{path}:{lineno}: unknown label {text!r}; known: "
                                f"{', '.join(classes)}") from None
            if not 0 <= value < len(classes):
                raise DataError(f"{path}:{lineno}: unknown label id {value} "
                                f"(0..{len(classes) - 1})")
            out.append(value)
    return np.asarray(out, dtype=np.int64)


def read_manifest(path: str | Path) -> list[dict]:
    """Rows of a CSV or JSON manifest; each has recording, subject, camera, fps (float)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: manifest not found")
    if path.suffix == ".json":
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: invalid JSON: {exc}") from exc
        if not isinstance(rows, list):
            raise DataError(f"{path}: expected a list of recordings")
        numbered = [(i + 1, r) for i, r in enumerate(rows)]
    else:
        with path.open("r", encoding="utf-8", newline="") as f:
            numbered = [(i + 2, r) for i, r in enumerate(csv.DictReader(f))]
    out = []
    for where, row in numbered:
        if not isinstance(row, dict):
            raise DataError(f"{path}:{where}: expected an object")
        missing = [k for k in MANIFEST_KEYS if not str(row.get(k) or "").strip()]
        if missing:
            raise DataError(f"{path}:{where}: missing {', '.join(missing)}")
        try:
            fps = float(row["fps"])
        except ValueError:
            raise DataError(f"{path}:{where}: fps {row['fps']!r} is not a number") from None
        if not fps > 0:
            raise DataError(f"{path}:{where}: fps must be > 0")
        out.append({**{k: str(v).strip() for k, v in row.items() if v is not None}, "fps": fps})
    if not out:
        raise DataError(f"{path}: no recordings listed")
    return out


def load_recordings(manifest: str | Path, label_map: str | Path | None = None) -> SkeletonDataset:
    """Load every recording a manifest lists; labels are per frame (-1 never occurs here).

    ``label_map`` defaults to ``label_map.json`` next to the manifest. The dataset's fps is the
    median of the recordings' fps (each sequence keeps its own time stamps).
    """
    manifest = Path(manifest)
    base = manifest.parent
    classes = load_label_map(Path(label_map) if label_map else base / "label_map.json")
    seqs = []
    for row in read_manifest(manifest):
        rec = row["recording"]
        kp_path = base / row.get("keypoints", f"{rec}_keypoints.csv")
        lab_path = base / row.get("labels", f"{rec}_labels.csv")
        sk = xy_rows_to_skeletons(read_float_rows(kp_path, (36, 54), allow_header=True))
        labels = read_frame_labels(lab_path, classes)
        if labels.shape[0] != sk.shape[0]:
            raise DataError(f"{lab_path}: {labels.shape[0]} labels for {sk.shape[0]} frames "
                            f"in {kp_path}")
        seqs.append(SkeletonSequence(sk, uniform_stamps(sk.shape[0], row["fps"]), labels,
                                     subject=row["subject"], camera=row["camera"], clip_id=rec))
    fps = float(np.median([r["fps"] for r in read_manifest(manifest)]))
    return SkeletonDataset("recordings", classes, fps, seqs)


def write_recordings(out: Path, recording: str, frames, fps: float) -> list[dict]:
    """Write ``frames`` (SkeletonFrames of one recording) in this format: per-track keypoint
    (pixels) and stamp CSVs (ns, s since the first frame) and ``manifest.csv``; returns the
    manifest rows."""
    import numpy as np

    per: dict[tuple[str, str], list[tuple[int, int, np.ndarray]]] = {}
    t0 = min(f.stamp_ns for f in frames) if frames else 0
    for i, f in enumerate(frames):
        for sk, tid in zip(f.skeletons, f.track_ids, strict=True):
            per.setdefault((f.camera_name, tid), []).append((i, f.stamp_ns, sk))
    rows = []
    for (camera, tid), items in sorted(per.items()):
        name = f"{recording}_{tid.replace('/', '_')}"
        kp = out / f"{name}_keypoints.csv"
        with kp.open("w", encoding="utf-8") as fh:
            for _, _, sk in items:
                xy = np.where(sk[:, 2:3] > 0, sk[:, :2], 0.0).reshape(-1)
                fh.write(",".join(f"{v:.2f}" for v in xy) + "\n")
        with (out / f"{name}_stamps.csv").open("w", encoding="utf-8") as fh:
            fh.write("frame_index,stamp_ns,time_s\n")
            for i, s, _ in items:
                fh.write(f"{i},{s},{(s - t0) * 1e-9:.6f}\n")
        rows.append({"recording": name, "subject": tid, "camera": camera, "fps": f"{fps:g}",
                     "keypoints": kp.name})
    with (out / "manifest.csv").open("w", encoding="utf-8") as fh:
        fh.write("recording,subject,camera,fps,keypoints\n")
        for r in rows:
            fh.write(",".join(r[k] for k in ("recording", "subject", "camera", "fps",
                                               "keypoints")) + "\n")
    return rows
