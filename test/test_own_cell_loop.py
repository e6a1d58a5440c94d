"""Record -> label -> train without an export step: skeleton bags labelled through the
labelling page's store (the same validating writer the page uses) train a model with the
shipped config/train_own_bags.yaml, and the model serves."""

from __future__ import annotations

import subprocess
import sys

from nodes_for_tests.bag_fixtures import write_left_right_bag

from har_ros.classifier import ActionClassifier
from har_ros.labelling.source import load_source
from har_ros.labelling.store import LabelStore, default_labels_path

from ros_harness import REPO_ROOT

CLASSES = ["left", "right"]


def test_bags_labelled_on_the_page_train_a_model_that_serves(tmp_path):
    data = tmp_path / "cell_bags"
    for k, (left_s, right_s) in enumerate(((12.0, 12.0), (8.0, 16.0))):
        bag = data / f"run{k}"
        write_left_right_bag(bag, left_s=left_s, right_s=right_s)
        source = load_source(bag, tmp_path / f"cache{k}")
        store = LabelStore(default_labels_path(bag), CLASSES, source.origin_ns,
                           source.duration_s)
        # what the page posts: one interval per class on the person's track
        store.save({"intervals": [
            {"start": 0.0, "end": left_s, "label": "left", "track": "cam0/1"},
            {"start": left_s, "end": left_s + right_s - 0.1, "label": "right",
             "track": "cam0/1"}]})
        assert (data / f"run{k}.labels.yaml").is_file()
    out = tmp_path / "model"
    proc = subprocess.run(
        [sys.executable, "-m", "har_ros.cli", "train", "--config",
         str(REPO_ROOT / "config" / "train_own_bags.yaml"), "--data-root", str(data),
         "--out", str(out), "--epochs", "3", "--no-progress", "--set", "folds=3",
         "--set", "max_minutes=3"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={**__import__("os").environ, "PYTHONPATH": str(REPO_ROOT)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    clf = ActionClassifier.load(out)
    assert list(clf.classes) == CLASSES
    assert (out / "metrics.json").is_file()
