"""Distillation: a student trained on teachers' probabilities learns what the teachers say."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from har_ros.errors import ConfigError
from har_ros.training import TrainConfig
from har_ros.training.distill import Teachers, distill_loss


def _cfg(shared_data, **more) -> dict:
    from tiny_training import tiny_utd_config

    return tiny_utd_config(shared_data, augment={"mirror": 0.5},
                           mirror_swap={"swipe_left": "swipe_right"}, **more)


def test_distill_loss_is_cross_entropy_against_probabilities():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    onehot = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
    ce = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1]))
    assert torch.isclose(distill_loss(logits, onehot), ce)
    soft = torch.tensor([[0.5, 0.5, 0.0], [0.0, 0.5, 0.5]])
    assert distill_loss(logits, soft) > distill_loss(logits, onehot)


def test_bad_distill_options_are_config_errors():
    with pytest.raises(ConfigError, match="distill_from must be a list"):
        TrainConfig.from_dict({"distill_from": "runs/a"})
    with pytest.raises(ConfigError, match="distill_weight must be in"):
        TrainConfig.from_dict({"distill_from": ["runs/a"], "distill_weight": 0})


def test_student_learns_the_teachers_answers_not_the_labels(shared_data, tmp_path):
    """A teacher whose clap and boxing outputs are exchanged: a student distilled from it alone
    (distill_weight 1, labels unused) calls the unseen subject's claps boxing, as the teacher
    does; the teacher's classes, window and rate are checked first."""
    from har_ros.checkpoint import load_checkpoint, save_checkpoint
    from har_ros.classifier import ActionClassifier
    from har_ros.data.utd import load_utd_mhad
    from har_ros.training import evaluate_sequences, train_and_evaluate

    train_and_evaluate(_cfg(shared_data), tmp_path / "teacher", progress=False, eval_fps=(),
                       plots=False)
    ck = load_checkpoint(tmp_path / "teacher")
    clap, boxing = ck.classes.index("clap"), ck.classes.index("boxing")
    model = ck.model
    with torch.no_grad():
        for name in ("head.weight", "head.bias"):
            p = dict(model.named_parameters())[name]
            p[[clap, boxing]] = p[[boxing, clap]].clone()
    save_checkpoint(replace(ck, model=model), tmp_path / "swapped")

    with pytest.raises(ConfigError, match="window of 20 frames at 10 Hz"):
        Teachers([str(tmp_path / "swapped")], ck.classes, 30, 15.0)
    with pytest.raises(ConfigError, match="classes"):
        Teachers([str(tmp_path / "swapped")], ck.classes[:-1], 20, 10.0)

    train_and_evaluate(_cfg(shared_data, distill_from=[str(tmp_path / "swapped")],
                            distill_weight=1.0), tmp_path / "student", progress=False,
                       eval_fps=(), plots=False)
    student = ActionClassifier.load(tmp_path / "student")
    assert student.checkpoint.training_data["distilled_from"] == {
        "teachers": [str(tmp_path / "swapped")]}
    from tiny_training import TINY_ACTIONS

    claps = [s for s in load_utd_mhad(shared_data / "utd_mhad", subjects=[2],
                                      actions=TINY_ACTIONS).sequences if s.label == clap]
    said = {name: evaluate_sequences(clf, claps)["clip_pred"]
            for name, clf in (("teacher", ActionClassifier.load(tmp_path / "teacher")),
                              ("student", student))}
    assert np.mean(said["teacher"] == clap) >= 0.5, said
    assert np.mean(said["student"] == boxing) >= 0.5, said


def test_teacher_paths_in_a_config_file_are_relative_to_it():
    from pathlib import Path

    from har_ros.training import load_config

    root = Path(__file__).resolve().parents[1]
    cfg = load_config(root / "config" / "train_utd_distill.yaml")
    assert cfg["distill_from"] == [str(root / "runs" / f"utd_s{s}") for s in range(3)]
    assert load_config(root / "config" / "train_utd_distill.yaml",
                       sets=["distill_from=[a/b]"])["distill_from"] == ["a/b"]
