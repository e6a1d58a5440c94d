"""Few labelled clips per class plus self-training on unlabelled ones (``labelled_per_class``,
``self_training``): the draw, the class-balanced selection, that the pool's labels are never
read, and whole runs through ``har-ros train``. Real torch, tiny runs, no mocks."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from har_ros.data.common import SkeletonSequence
from har_ros.errors import ConfigError
from har_ros.training import TrainConfig
from har_ros.training.self_training import (
    draw_per_class,
    predict_clips,
    select_confident,
    self_train,
)

CLASSES = ["still", "waving"]


def _clip(label: int, rng: np.random.Generator, n: int = 30, name: str = "") -> SkeletonSequence:
    """A standing person; in class 1 the right wrist (joint 4) swings up and down."""
    sk = np.zeros((n, 18, 3), np.float32)
    sk[:, :, 0] = np.linspace(200, 300, 18)[None, :] + rng.normal(0, 1, (n, 18))
    sk[:, :, 1] = np.linspace(100, 400, 18)[None, :] + rng.normal(0, 1, (n, 18))
    sk[:, :, 2] = 1.0
    if label == 1:
        sk[:, 4, 1] += 60 * np.sin(2 * np.pi * 1.5 * np.arange(n) / 15.0 + rng.uniform(0, 6))
    return SkeletonSequence(sk, np.arange(n) / 15.0, label, clip_id=name)


def _clips(labels, seed: int) -> list[SkeletonSequence]:
    rng = np.random.default_rng(seed)
    return [_clip(int(y), rng, name=f"c{seed}_{i}") for i, y in enumerate(labels)]


def _cfg(**kw) -> TrainConfig:
    cfg = {"rate_hz": 15.0, "window_s": 1.0, "stride_s": 0.5, "train_stride_s": 0.5,
           "model": {"hidden_size": 8}, "epochs": 30, "lr": 0.02, "val_fraction": 0.0,
           "select": "last", "seed": 0, "threads": 1, "augment": {"mirror": 0.0},
           "labelled_per_class": 1, "self_training": [0.5, 1.0]}
    cfg.update(kw)
    return TrainConfig.from_dict(cfg)


def test_draw_per_class_takes_k_of_each_class_reproducibly():
    labels = [i % 3 for i in range(30)]
    indices = list(range(2, 30))
    fit, rest = draw_per_class(labels, indices, 4, seed=1000)
    assert sorted(fit + rest) == indices and not set(fit) & set(rest)
    assert [sum(labels[i] == c for i in fit) for c in range(3)] == [4, 4, 4]
    assert draw_per_class(labels, indices, 4, seed=1000) == (fit, rest)
    assert draw_per_class(labels, indices, 4, seed=1001)[0] != fit
    # a class with fewer clips than k gives all of them
    fit, rest = draw_per_class([0, 0, 0, 1], [0, 1, 2, 3], 2, seed=0)
    assert 3 in fit and len(fit) == 3 and len(rest) == 1


def test_select_confident_is_class_balanced():
    pred = np.array([0, 0, 0, 0, 1, 1, 2])
    conf = np.array([0.9, 0.5, 0.8, 0.6, 0.4, 0.99, 0.3])
    # half of each predicted class, the most confident ones, and at least one per class
    assert select_confident(pred, conf, 0.5).tolist() == [0, 2, 5, 6]
    assert select_confident(pred, conf, 1.0).tolist() == list(range(7))


def test_config_checks_the_self_training_options():
    with pytest.raises(ConfigError, match="needs labelled_per_class"):
        _cfg(labelled_per_class=0)
    for bad in ([0.0], [1.5], 0.5, [True]):
        with pytest.raises(ConfigError, match="fractions in"):
            _cfg(self_training=bad)
    with pytest.raises(ConfigError, match="self_training_epochs must be >= 1"):
        _cfg(self_training_epochs=0)
    with pytest.raises(ConfigError, match="labelled_per_class must be >= 0"):
        _cfg(labelled_per_class=-1, self_training=[])
    per_frame = SkeletonSequence(np.ones((20, 18, 3), np.float32), np.arange(20) / 15.0,
                                 np.zeros(20, np.int64))
    with pytest.raises(ConfigError, match="clip-labelled"):
        self_train(_clips([0, 1], 0), [], [per_frame], CLASSES, _cfg())


def test_the_pool_labels_are_never_read_and_pseudo_labels_are_right():
    """Self-training with the pool's true labels, with them scrambled, or with them all set
    to one class gives the same weights: only the teacher's predictions are used."""
    labelled = _clips([0, 1], seed=1)
    truth = np.array([0, 1] * 8)
    pool_true = _clips(truth, seed=2)
    results = []
    for pool_labels in (truth, truth[::-1].copy(), np.ones_like(truth)):
        # the same skeletons in the same order, only the labels differ
        pool = [replace(s, label=int(y)) for s, y in zip(pool_true, pool_labels)]
        seen = []
        ckpt, _ = self_train(labelled, [], pool, CLASSES, _cfg(), progress=False,
                             on_round=lambda r, c, kept, pseudo, seen=seen: seen.append(
                                 (r, kept.copy(), pseudo.copy())))
        results.append((ckpt, seen))
    ref, seen = results[0]
    for ckpt, other in results[1:]:
        for k, v in ref.model.state_dict().items():
            assert torch.equal(v, ckpt.model.state_dict()[k]), k
        assert all(np.array_equal(a[1], b[1]) and np.array_equal(a[2], b[2])
                   for a, b in zip(seen, other))
    # teacher, then one student per fraction; half the pool, then all of it
    assert [r for r, _, _ in seen] == [0, 1, 2]
    assert [len(kept) for _, kept, _ in seen] == [0, 8, 16]
    # a separable task: the pseudo labels of the confident half and of the whole pool are right
    for _, kept, pseudo in seen[1:]:
        assert np.mean(pseudo == truth[kept]) >= 0.9
    info = ref.training_data["self_training"]
    assert info["unlabelled_clips"] == 16 and info["labelled_clips"] == 2
    assert [r["pseudo_labelled"] for r in info["rounds"]] == [0, 8, 16]
    # the final student classifies unseen clips, without their labels
    test = _clips([0, 1] * 5, seed=3)
    pred, conf = predict_clips(ref, test)
    assert np.mean(pred == np.array([0, 1] * 5)) >= 0.9 and conf.min() > 0.5


def test_train_tool_self_trains_on_real_utd_clips(shared_data, tmp_path, capsys):
    """``har-ros train --labelled-per-class 1 --self-training 1.0`` on a real UTD-MHAD subset:
    one labelled clip per class, the other training clips pseudo-labelled; the run folder
    says so."""
    from har_ros.cli import main

    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(json.dumps({
        "dataset": "utd", "data_root": str(shared_data / "utd_mhad"),
        "dataset_options": {"actions": [1, 5, 22], "subjects": [1, 2, 3]},
        "split": "cross_subject", "train_subjects": ["s1", "s3"], "test_subjects": ["s2"],
        "val_fraction": 0.0, "select": "last", "rate_hz": 10.0, "window_s": 1.5,
        "stride_s": 0.5, "train_stride_s": 0.3, "model": {"hidden_size": 16}, "epochs": 6,
        "seed": 0, "threads": 1}))
    out = tmp_path / "run"
    assert main(["train", "--config", str(cfg), "--labelled-per-class", "1",
                 "--self-training", "1.0", "--set", "self_training_epochs=3", "--out", str(out),
                 "--no-progress"]) == 0
    assert "self_training round 1" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    st = metrics["self_training"]
    # 2 subjects x 4 trials x 3 actions = 24 train clips: 3 labelled, 21 unlabelled
    assert st["labelled_clips"] == 3 and st["unlabelled_clips"] == 21
    assert [r["pseudo_labelled"] for r in st["rounds"]] == [0, 21]
    assert len(metrics["history"]) == 3  # the student's own epochs (the teacher ran 6)
    meta = json.loads((out / "model.json").read_text())
    assert meta["training_data"]["labelled_per_class"] == 1
    assert meta["training_data"]["train_sequences"] == 24
    assert meta["training_config"]["self_training"] == [1.0]
    # without self-training the other clips are left out
    out2 = tmp_path / "run2"
    assert main(["train", "--config", str(cfg), "--labelled-per-class", "1", "--out",
                 str(out2), "--no-progress"]) == 0
    meta2 = json.loads((out2 / "model.json").read_text())
    assert meta2["training_data"]["train_sequences"] == 3
    assert meta2["training_data"]["unlabelled_pool"] == 0
    assert json.loads((out2 / "metrics.json").read_text())["self_training"] is None
