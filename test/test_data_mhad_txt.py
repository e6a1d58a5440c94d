"""The predecessor project's X_*.txt / Y_*.txt loader, on files written in the exact format."""

from __future__ import annotations

import numpy as np
import pytest

from har_ros.data.mhad_txt import MHAD_CLASSES, load_mhad_txt, load_mhad_txt_pair
from har_ros.errors import DataError
from har_ros.skeleton import L_WRIST, NECK


def _write(tmp_path, frames: np.ndarray, labels: list[str], split: str = "train"):
    x = tmp_path / f"X_{split}.txt"
    x.write_text("".join(",".join(f"{v:.3f}" for v in row) + "\n" for row in frames))
    y = tmp_path / f"Y_{split}.txt"
    y.write_text("".join(f"{lab}\n" for lab in labels))
    return x, y


def _frames(n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.uniform(10, 600, size=(n, 36))


def test_windows_labels_and_missing_joints(tmp_path):
    fr = _frames(8)
    fr[5, 2 * L_WRIST: 2 * L_WRIST + 2] = 0.0  # OpenPose "not detected"
    _write(tmp_path, fr, ["3", "6"])
    ds = load_mhad_txt(tmp_path, "train", n_steps=4, fps=22.0)
    assert ds.classes == MHAD_CLASSES and len(ds) == 2
    assert [s.label for s in ds.sequences] == [2, 5]
    s1 = ds.sequences[1]
    assert s1.skeletons.shape == (4, 18, 3) and s1.skeletons.dtype == np.float32
    np.testing.assert_allclose(s1.skeletons[0, NECK, :2], fr[4, 2:4], atol=1e-3)
    assert s1.skeletons[1, L_WRIST, 2] == 0 and s1.skeletons[0, L_WRIST, 2] == 1
    np.testing.assert_allclose(np.diff(s1.stamps_s), 1 / 22.0)


def test_nan_value_is_a_missing_joint(tmp_path):
    fr = _frames(4)
    _write(tmp_path, fr, ["1"])
    x = tmp_path / "X_train.txt"
    lines = x.read_text().splitlines()
    parts = lines[2].split(",")
    parts[0] = "nan"  # x of the nose
    lines[2] = ",".join(parts)
    x.write_text("\n".join(lines) + "\n")
    sk = load_mhad_txt(tmp_path, n_steps=4).sequences[0].skeletons
    assert sk[2, 0].tolist() == [0.0, 0.0, 0.0]
    assert np.isfinite(sk).all()


def test_malformed_row_names_file_and_line(tmp_path):
    fr = _frames(4)
    x, y = _write(tmp_path, fr, ["1"])
    lines = x.read_text().splitlines()
    lines[2] = ",".join(lines[2].split(",")[:35])  # 35 values
    x.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"X_train\.txt:3: expected 36 values, got 35"):
        load_mhad_txt_pair(x, y, n_steps=4)


def test_non_numeric_row(tmp_path):
    x, y = _write(tmp_path, _frames(4), ["1"])
    lines = x.read_text().splitlines()
    lines[1] = "a" + lines[1]
    x.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"X_train\.txt:2: not a row of numbers"):
        load_mhad_txt_pair(x, y, n_steps=4)


@pytest.mark.parametrize("bad", ["7", "0", "JUMP", "2.5"])
def test_unknown_label_names_file_and_line(tmp_path, bad):
    x, y = _write(tmp_path, _frames(8), ["1", bad])
    with pytest.raises(DataError, match=r"Y_train\.txt:2: .*label"):
        load_mhad_txt_pair(x, y, n_steps=4)


def test_frame_count_not_multiple_of_window(tmp_path):
    x, y = _write(tmp_path, _frames(7), ["1", "2"])
    with pytest.raises(DataError, match="not a multiple of n_steps=4"):
        load_mhad_txt_pair(x, y, n_steps=4)


def test_label_count_mismatch(tmp_path):
    x, y = _write(tmp_path, _frames(8), ["1"])
    with pytest.raises(DataError, match="1 labels for 2 windows"):
        load_mhad_txt_pair(x, y, n_steps=4)
