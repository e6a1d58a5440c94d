"""Own-recordings loader (keypoint CSV + label CSV + label map + manifest)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from har_ros.data.recordings import load_label_map, load_recordings
from har_ros.errors import DataError
from har_ros.skeleton import R_WRIST


def _recording(folder, name: str, labels: list[str], rng, header: bool = False):
    kp = rng.uniform(50, 400, size=(len(labels), 36))
    kp[1, 2 * R_WRIST: 2 * R_WRIST + 2] = 0.0
    lines = ([",".join(f"{'xy'[k % 2]}{k // 2}" for k in range(36))] if header else [])
    lines += [",".join(f"{v:.2f}" for v in row) for row in kp]
    (folder / f"{name}_keypoints.csv").write_text("\n".join(lines) + "\n")
    (folder / f"{name}_labels.csv").write_text("\n".join(labels) + "\n")
    return kp


def _setup(tmp_path, manifest_kind: str = "csv"):
    rng = np.random.default_rng(1)
    (tmp_path / "label_map.json").write_text(json.dumps({"CLOSE": 0, "OPEN": 1}))
    kp_a = _recording(tmp_path, "rec_a", ["CLOSE"] * 3 + ["OPEN"] * 3, rng, header=True)
    _recording(tmp_path, "rec_b", ["1", "1", "0", "0"], rng)
    rows = [{"recording": "rec_a", "subject": "p1", "camera": "ceiling", "fps": 15},
            {"recording": "rec_b", "subject": "p2", "camera": "side", "fps": 10}]
    if manifest_kind == "json":
        path = tmp_path / "manifest.json"
        path.write_text(json.dumps(rows))
    else:
        path = tmp_path / "manifest.csv"
        path.write_text("recording,subject,camera,fps\n" + "".join(
            f"{r['recording']},{r['subject']},{r['camera']},{r['fps']}\n" for r in rows))
    return path, kp_a


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_loads_frames_labels_subjects(tmp_path, kind):
    manifest, kp_a = _setup(tmp_path, kind)
    ds = load_recordings(manifest)
    assert ds.classes == ["CLOSE", "OPEN"]
    a, b = ds.sequences
    assert (a.subject, a.camera, b.subject, b.camera) == ("p1", "ceiling", "p2", "side")
    assert a.label.tolist() == [0, 0, 0, 1, 1, 1] and b.label.tolist() == [1, 1, 0, 0]
    np.testing.assert_allclose(a.skeletons[:, :, :2].reshape(6, 36)[0], kp_a[0], atol=6e-3)
    assert a.skeletons[1, R_WRIST].tolist() == [0, 0, 0]
    np.testing.assert_allclose(np.diff(b.stamps_s), 0.1)
    assert ds.subjects() == ["p1", "p2"]


def test_unknown_label_names_file_and_line(tmp_path):
    manifest, _ = _setup(tmp_path)
    (tmp_path / "rec_b_labels.csv").write_text("OPEN\nOPEN\nAJAR\nCLOSE\n")
    with pytest.raises(DataError, match=r"rec_b_labels\.csv:3: unknown label 'AJAR'"):
        load_recordings(manifest)


def test_label_id_out_of_range(tmp_path):
    manifest, _ = _setup(tmp_path)
    (tmp_path / "rec_b_labels.csv").write_text("1\n2\n0\n0\n")
    with pytest.raises(DataError, match=r"rec_b_labels\.csv:2: unknown label id 2"):
        load_recordings(manifest)


def test_malformed_keypoint_row(tmp_path):
    manifest, _ = _setup(tmp_path)
    path = tmp_path / "rec_b_keypoints.csv"
    lines = path.read_text().splitlines()
    lines[3] += ",5.0"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"rec_b_keypoints\.csv:4: expected 36 or 54 values"):
        load_recordings(manifest)


def test_frame_label_count_mismatch(tmp_path):
    manifest, _ = _setup(tmp_path)
    (tmp_path / "rec_b_labels.csv").write_text("1\n1\n0\n")
    with pytest.raises(DataError, match="3 labels for 4 frames"):
        load_recordings(manifest)


def test_manifest_missing_subject(tmp_path):
    _setup(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("recording,subject,camera,fps\nrec_a,,ceiling,15\n")
    with pytest.raises(DataError, match=r"bad\.csv:2: missing subject"):
        load_recordings(bad)


def test_label_map_yaml_and_bad_ids(tmp_path):
    y = tmp_path / "labels.yaml"
    y.write_text("classes: [waiting, opening_door]\n")
    assert load_label_map(y) == ["waiting", "opening_door"]
    j = tmp_path / "bad.json"
    j.write_text(json.dumps({"A": 0, "B": 2}))
    with pytest.raises(DataError, match="ids must be the integers 0..1"):
        load_label_map(j)


def test_fridge_cell_label_set_loads():
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "config" / "labels_fridge_cell.yaml"
    assert load_label_map(path) == ["waiting", "changing_side", "closing_door", "opening_door",
                                    "extracting_drawers_shelves"]
