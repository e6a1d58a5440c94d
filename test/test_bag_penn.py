"""A skeleton bag of real Penn Action test clips, evaluated offline with the shipped Penn model
through the nodes' core code, agrees with the model's own evaluation of the same clips.

Known, explained differences: clips shorter than half a window (1 s) get no live decision
(training pads them), and the live pipeline classifies windows ending at its own stride
instants. So the comparison is made on the clips that got a live decision.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench.bench_bag_eval import penn_bag
from har_ros.action_config import shipped_model_path
from har_ros.bag_eval import score_trace
from har_ros.bag_report import evaluate_labelled_bag
from har_ros.bags.labels import load_labels
from har_ros.classifier import ActionClassifier
from har_ros.data.penn import load_penn_action
from har_ros.training import evaluate_sequences

CLIPS = 60


@pytest.mark.slow
def test_penn_skeleton_bag_agrees_with_model_evaluation(shared_data, tmp_path, monkeypatch):
    from pathlib import Path

    model = Path(shipped_model_path("penn"))
    if not (model / "model.json").is_file():
        pytest.skip("the shipped Penn model is absent")
    monkeypatch.setattr("bench.bench_bag_eval.SHARED", shared_data)
    summary = penn_bag(tmp_path / "bag", tmp_path / "labels.yaml", CLIPS)
    assert summary["clips"] == CLIPS
    report, trace, labels = evaluate_labelled_bag(str(tmp_path / "bag"),
                                                  str(tmp_path / "labels.yaml"), "penn",
                                                  progress=False)
    clips = report["clips"]
    assert clips["n"] == CLIPS
    decided = CLIPS - clips["clips_without_window"]
    # the model's own (training-style) evaluation of the same clips
    seqs = load_penn_action(shared_data / "penn_action", split="test",
                            invisible_as_missing=True).sequences[:CLIPS]
    own = evaluate_sequences(ActionClassifier.load(model), seqs)
    short = [i for i, s in enumerate(seqs) if s.duration_s < 0.5 * 29 / 15 - 1e-6]
    assert clips["clips_without_window"] == len(short), "only clips under half a window"
    keep = np.setdiff1d(np.arange(CLIPS), short)
    own_acc = float((own["clip_pred"][keep] == own["clip_true"][keep]).mean())
    bag_acc = clips["accuracy"] * CLIPS / decided
    assert abs(bag_acc - own_acc) <= 0.05, (bag_acc, own_acc)
    assert bag_acc >= 0.9
    # the scores are reproducible from the trace
    again = score_trace(trace, load_labels(tmp_path / "labels.yaml"))
    assert again["clips"]["accuracy"] == clips["accuracy"]
