"""`har-ros evaluate --class-map` (dataset and --bag mode) and the input-rate rows.

A real (tiny, random-weight) saved model is evaluated on data whose labels use other names;
with the class map the scores must equal those on the same data relabelled by hand. Bad maps
stop the command with exit code 2 and a message naming the file and the entry.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from nodes_for_tests.bag_fixtures import tiny_checkpoint, write_left_right_bag

from har_ros.cli import main

MODEL_CLASSES = ["waiting", "opening_door"]


def _write_recordings(folder: Path, names: dict[str, str], fps: float = 15.0,
                      calib: bool = True) -> Path:
    """Own-recordings data at ``fps``: 4 recordings of waiting then opening a door (the
    latter split in two data labels), plus (``calib``) one recording labelled only
    'calib'. ``names`` renames the data labels; the label map lists the distinct names."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    rows = ["recording,subject,camera,fps"]
    recs = [("wait", "open_door", "open_drawer")] * 4 + ([("calib",) * 3] if calib else [])
    for r, parts in enumerate(recs):
        n = 90
        t = np.arange(n) / fps
        base = np.tile(rng.uniform(200, 300, 36), (n, 1))
        base[30:, 8] += 40 * np.sin(2 * np.pi * t[30:])
        labels = [names[parts[min(i // 30, 2)]] for i in range(n)]
        (folder / f"r{r}_keypoints.csv").write_text(
            "\n".join(",".join(f"{v:.1f}" for v in row) for row in base) + "\n")
        (folder / f"r{r}_labels.csv").write_text("\n".join(labels) + "\n")
        rows.append(f"r{r},p{r % 2},ceiling,{fps:g}")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n")
    used = list(dict.fromkeys(names[p] for parts in recs for p in parts))
    (folder / "labels.yaml").write_text(f"classes: [{', '.join(used)}]\n")
    return folder / "manifest.csv"


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("model") / "m", MODEL_CLASSES)


def _evaluate(model: Path, manifest: Path, out: Path, *extra: str) -> dict:
    assert main(["evaluate", "--model", str(model), "--dataset", "recordings", "--data-root",
                 str(manifest), "--label-map", str(manifest.parent / "labels.yaml"),
                 "--latency-windows", "16", "--out", str(out), *extra]) == 0
    return json.loads((out / "metrics.json").read_text())


def test_class_map_scores_equal_relabelled_recordings(model, tmp_path, capsys):
    other = _write_recordings(tmp_path / "other", {"wait": "idle", "open_door": "door",
                                                   "open_drawer": "drawer", "calib": "calib"})
    by_hand = _write_recordings(tmp_path / "hand", {"wait": "waiting",
                                                    "open_door": "opening_door",
                                                    "open_drawer": "opening_door"},
                                calib=False)
    (tmp_path / "map.yaml").write_text(
        "# data label: model class\nidle: waiting\ndoor: opening_door\n"
        "drawer: opening_door   # many-to-one\ncalib: null\n")
    mapped = _evaluate(model, other, tmp_path / "e1", "--class-map", str(tmp_path / "map.yaml"))
    truth = _evaluate(model, by_hand, tmp_path / "e2")
    assert mapped["sequences"] == truth["sequences"] == 4, "calib recording left out"
    for key in ("clip", "window", "accuracy_by_input_fps"):
        assert mapped[key] == truth[key], key
    assert mapped["clip"]["n"] == 8  # 4 recordings x (waiting, opening_door): drawer merged
    # JSON works as well as YAML
    (tmp_path / "map.json").write_text(json.dumps(
        {"idle": "waiting", "door": "opening_door", "drawer": "opening_door", "calib": None}))
    again = _evaluate(model, other, tmp_path / "e3", "--class-map", str(tmp_path / "map.json"))
    assert again["clip"] == truth["clip"]
    # without a map, the error says what to do
    capsys.readouterr()
    assert main(["evaluate", "--model", str(model), "--dataset", "recordings", "--data-root",
                 str(other), "--label-map", str(other.parent / "labels.yaml")]) == 2
    assert "--class-map" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "message"), [
    ("idle: waiting\ndoor: opening_door\ndrawer: opening_door\ncalib: null\nwalk: waiting\n",
     r"map.yaml:5: entry 'walk: waiting': 'walk' is not a label of dataset recordings"),
    ("idle: waiting\ndoor: open_the_door\ndrawer: opening_door\ncalib: null\n",
     r"map.yaml:2: entry 'door: open_the_door': 'open_the_door' is not a class of the model"),
    ("idle: waiting\ndoor: opening_door\ncalib: null\n",
     r"label 'drawer' is not a class of the model and the class map .*map.yaml does not name"),
    ("idle: waiting\nidle: opening_door\n", r"map.yaml:2: 'idle' is mapped twice"),
    ("idle: [waiting]\n", r"map.yaml:1: entry 'idle: \['waiting'\]': the target must be"),
    ("- idle\n- waiting\n", r"map.yaml: a class map is a non-empty mapping"),
    ("idle: {waiting\n", r"map.yaml:\d+: not valid YAML or JSON"),
])
def test_bad_class_maps_are_clear_errors(model, tmp_path, capsys, text, message):
    import re

    other = _write_recordings(tmp_path / "other", {"wait": "idle", "open_door": "door",
                                                   "open_drawer": "drawer", "calib": "calib"})
    (tmp_path / "map.yaml").write_text(text)
    code = main(["evaluate", "--model", str(model), "--dataset", "recordings", "--data-root",
                 str(other), "--label-map", str(other.parent / "labels.yaml"),
                 "--class-map", str(tmp_path / "map.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert re.search(message, err), err


def test_rate_rows_say_what_was_measured(model, tmp_path):
    """15 fps data: the native row is "15" (was labelled "30"), 30 fps is skipped."""
    data = _write_recordings(tmp_path / "d", {"wait": "waiting", "open_door": "opening_door",
                                              "open_drawer": "opening_door"}, calib=False)
    m = _evaluate(model, data, tmp_path / "e")
    assert m["native_fps"] == 15.0
    assert list(m["accuracy_by_input_fps"]) == ["15", "10", "5"]
    assert m["skipped_input_fps"] == [30.0]
    native = m["accuracy_by_input_fps"]["15"]
    assert native["native"] is True and native["clip_accuracy"] == m["clip"]["accuracy"]
    assert "native" not in m["accuracy_by_input_fps"]["10"]
    # 30 fps data keeps the "30" key readers of bench results use
    fast = _write_recordings(tmp_path / "f", {"wait": "waiting", "open_door": "opening_door",
                                              "open_drawer": "opening_door"}, 30.0, False)
    m30 = _evaluate(model, fast, tmp_path / "e30", "--fps", "30", "10", "5")
    assert list(m30["accuracy_by_input_fps"]) == ["30", "10", "5"]
    assert m30["native_fps"] == 30.0 and m30["skipped_input_fps"] == []


def test_rate_rows_printed_by_train(tmp_path, capsys):
    data = _write_recordings(tmp_path / "d", {"wait": "waiting", "open_door": "opening_door",
                                              "open_drawer": "opening_door"}, calib=False)
    cfg = tmp_path / "train.yaml"
    cfg.write_text(f"dataset: recordings\ndata_root: {data}\n"
                   f"dataset_options: {{label_map: {data.parent / 'labels.yaml'}}}\n"
                   "split: kfold\nfolds: 2\nfold: 0\nrate_hz: 10.0\nwindow_s: 1.0\n"
                   "model: {hidden_size: 8}\nepochs: 1\nseed: 0\n")
    assert main(["train", "--config", str(cfg), "--out", str(tmp_path / "run"),
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "native (15 fps)" in out and "30 fps skipped (above the data's 15 fps)" in out
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert saved["native_fps"] == 15.0 and "30" not in saved["accuracy_by_input_fps"]


LABELS_OTHER = """version: 1
classes: [links, rechts, pause, kalibrieren]
intervals:
  - {start: 0, end: 3, label: links}
  - {start: 3, end: 6, label: pause}
  - {start: 6, end: 10, label: rechts}
  - {start: 10, end: 12, label: kalibrieren}
"""
LABELS_BY_HAND = """version: 1
intervals:
  - {start: 0, end: 3, label: left}
  - {start: 3, end: 6, label: left}
  - {start: 6, end: 10, label: unknown}
"""


def test_class_map_on_a_labelled_bag_equals_relabelled(tmp_path):
    """--bag mode: many-to-one, null (left out) and unknown (truth: abstain) as in the
    labels format."""
    model = tiny_checkpoint(tmp_path / "model", ["left", "right"])
    write_left_right_bag(tmp_path / "bag", "mcap")
    (tmp_path / "other.yaml").write_text(LABELS_OTHER)
    (tmp_path / "hand.yaml").write_text(LABELS_BY_HAND)
    (tmp_path / "map.yaml").write_text(
        "links: left\npause: left\nrechts: unknown\nkalibrieren: null\n")
    base = ["evaluate", "--bag", str(tmp_path / "bag"), "--model", str(model), "--no-progress"]
    assert main([*base, "--labels", str(tmp_path / "other.yaml"), "--class-map",
                 str(tmp_path / "map.yaml"), "--out", str(tmp_path / "o1")]) == 0
    assert main([*base, "--labels", str(tmp_path / "hand.yaml"),
                 "--out", str(tmp_path / "o2")]) == 0
    mapped = json.loads((tmp_path / "o1" / "report.json").read_text())["offline"]
    truth = json.loads((tmp_path / "o2" / "report.json").read_text())["offline"]
    for stream in ("operator", "tracks", "clips"):
        assert mapped[stream] == truth[stream], stream
    assert mapped["operator"]["frame"]["n"] == 100  # 10 s at 10 fps; 10..12 s left out
    assert mapped["class_map"] == str(tmp_path / "map.yaml")


def test_bad_class_map_on_a_bag_stops_before_reading_it(tmp_path, capsys):
    model = tiny_checkpoint(tmp_path / "model", ["left", "right"])
    (tmp_path / "other.yaml").write_text(LABELS_OTHER)
    (tmp_path / "map.yaml").write_text(
        "links: left\npause: left\nrechts: rigth\nkalibrieren: null\n")
    code = main(["evaluate", "--bag", str(tmp_path / "no_such_bag"), "--model", str(model),
                 "--labels", str(tmp_path / "other.yaml"), "--class-map",
                 str(tmp_path / "map.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "map.yaml:3: entry 'rechts: rigth': 'rigth' is not a class of the model" in err
