"""Few-shot adaptation (``init_from``) and the training friction fixes of issue 15: config
paths relative to the config file, --label-map, the blocks split, progress lines without a
bar, padded short clips counted. Real torch, real shipped model, tiny runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from har_ros.errors import ConfigError, DataError

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODEL = REPO / "har_ros" / "models" / "default"


def _recordings(folder: Path, subjects=("p1", "p2", "p3", "p1", "p2", "p3"), n=60,
                classes=("waiting", "opening_door")) -> Path:
    """Own-recordings format: manifest + keypoint/label CSVs; the second half of every
    recording is the second class (the right wrist moves)."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["recording,subject,camera,fps"]
    for r, subject in enumerate(subjects):
        t = np.arange(n) / 15.0
        base = np.tile(rng.uniform(200, 300, 36), (n, 1))
        labels = np.where(np.arange(n) < n // 2, classes[0], classes[1])
        base[n // 2:, 8] += 40 * np.sin(2 * np.pi * t[n // 2:])
        (folder / f"r{r}_keypoints.csv").write_text(
            "\n".join(",".join(f"{v:.1f}" for v in row) for row in base) + "\n")
        (folder / f"r{r}_labels.csv").write_text("\n".join(labels) + "\n")
        rows.append(f"r{r},{subject},ceiling,15")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n")
    (folder / "labels.yaml").write_text(f"classes: [{', '.join(classes)}]\n")
    return folder


def _cfg(folder: Path, **kw) -> dict:
    cfg = {"dataset": "recordings", "data_root": str(folder / "manifest.csv"),
           "dataset_options": {"label_map": str(folder / "labels.yaml")},
           "split": "kfold", "folds": 3, "fold": 1, "rate_hz": 10.0, "window_s": 1.0,
           "model": {"hidden_size": 8}, "epochs": 2, "seed": 0}
    cfg.update(kw)
    return cfg


def _encoder(state: dict) -> dict:
    return {k: v for k, v in state.items() if not k.startswith("head.")}


def test_init_from_frozen_encoder_keeps_the_source_weights_and_learns_new_classes(tmp_path):
    from har_ros.checkpoint import load_checkpoint
    from har_ros.classifier import ActionClassifier
    from har_ros.training import train_and_evaluate

    data = _recordings(tmp_path / "data")
    src = load_checkpoint(DEFAULT_MODEL)
    m = train_and_evaluate(_cfg(data, init_from=str(DEFAULT_MODEL), freeze="encoder"),
                           tmp_path / "run", progress=False, eval_fps=(), plots=False)
    clf = ActionClassifier.load(tmp_path / "run")  # a normal model folder
    assert clf.classes == ["waiting", "opening_door"]
    # the init model's input side: window, rate, features, joints, standardisation
    assert (clf.window_frames, clf.rate_hz) == (src.window_frames, src.rate_hz)
    assert clf.checkpoint.feature_config == src.feature_config
    assert clf.checkpoint.joints == src.joints
    new, old = clf.checkpoint.model.state_dict(), src.model.state_dict()
    for k, v in _encoder(old).items():
        assert torch.equal(new[k], v), k
    assert new["head.weight"].shape == (2, src.model_config.hidden_size)
    meta = json.loads((tmp_path / "run" / "model.json").read_text())
    init = meta["training_data"]["init"]
    assert init["init_from"] == str(DEFAULT_MODEL) and init["freeze"] == "encoder"
    assert meta["training_config"]["init_from"] == str(DEFAULT_MODEL)
    assert init["overridden"]["rate_hz"] == [10.0, 15.0]
    assert m["init"]["freeze"] == "encoder"
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert saved["init"]["init_from"] == str(DEFAULT_MODEL)


def test_init_from_starts_at_the_source_encoder_and_fine_tunes_it(tmp_path):
    from har_ros.checkpoint import load_checkpoint
    from har_ros.classifier import ActionClassifier
    from har_ros.training import TrainConfig, init_network, load_init, train_and_evaluate

    src = load_checkpoint(DEFAULT_MODEL)
    # classes shared by name with the init model keep their head row
    init = load_init(TrainConfig.from_dict({"init_from": str(DEFAULT_MODEL)}))
    net = init_network(init, ["squat", "new_class"])
    for k, v in _encoder(src.model.state_dict()).items():
        assert torch.equal(net.state_dict()[k], v), k
    row = src.classes.index("squat")
    assert torch.equal(net.head.weight[0], src.model.head.weight[row])
    assert all(p.requires_grad for p in net.parameters())
    data = _recordings(tmp_path / "data")
    train_and_evaluate(_cfg(data, init_from=str(DEFAULT_MODEL)), tmp_path / "run",
                       progress=False, eval_fps=(), plots=False)
    new = ActionClassifier.load(tmp_path / "run").checkpoint.model.state_dict()
    assert not torch.equal(new["lstm.weight_ih_l0"], src.model.state_dict()["lstm.weight_ih_l0"])
    assert torch.equal(new["feature_mean"], src.model.state_dict()["feature_mean"])


def test_init_from_refuses_what_it_cannot_do(tmp_path, capsys):
    from har_ros.cli import main
    from har_ros.training import TrainConfig

    with pytest.raises(ConfigError, match="needs init_from"):
        TrainConfig.from_dict({"freeze": "encoder"})
    with pytest.raises(ConfigError, match="baseline"):
        TrainConfig.from_dict({"init_from": str(DEFAULT_MODEL), "baseline": "seed"})
    with pytest.raises(ConfigError, match="freeze must be one of"):
        TrainConfig.from_dict({"init_from": str(DEFAULT_MODEL), "freeze": "lstm"})
    data = _recordings(tmp_path / "data")
    cfg = tmp_path / "train.yaml"
    cfg.write_text("dataset: recordings\ndata_root: data/manifest.csv\nsplit: kfold\n"
                   "dataset_options: {label_map: data/labels.yaml}\nepochs: 1\n")
    code = main(["train", "--config", str(cfg), "--init-from", str(tmp_path / "nowhere"),
                 "--out", str(tmp_path / "run"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "init_from" in err and "no such model folder" in err
    assert "Traceback" not in err and data.is_dir()


def test_config_paths_are_relative_to_the_config_file(tmp_path, monkeypatch):
    from har_ros.training import load_config

    (tmp_path / "cfg").mkdir()
    path = tmp_path / "cfg" / "train.yaml"
    path.write_text("data_root: ../data/manifest.csv\ninit_from: /abs/model\n"
                    "dataset_options: {label_map: labels.yaml, limit: 3}\n")
    monkeypatch.chdir(REPO)
    cfg = load_config(path, {"init_from": None})
    assert cfg["data_root"] == str(tmp_path / "data" / "manifest.csv")
    assert cfg["init_from"] == "/abs/model"
    assert cfg["dataset_options"] == {"label_map": str(tmp_path / "cfg" / "labels.yaml"),
                                      "limit": 3}
    # flags stay relative to the current directory
    assert load_config(path, {"data_root": "x.csv"})["data_root"] == "x.csv"
    # the shipped configs find ../shared/data from the repository root and from elsewhere
    for cwd in (REPO, tmp_path):
        monkeypatch.chdir(cwd)
        penn = load_config(Path(REPO / "config" / "train_penn.yaml").relative_to(REPO)
                           if cwd == REPO else REPO / "config" / "train_penn.yaml")
        assert Path(penn["data_root"]).resolve() == (REPO.parent / "shared" / "data"
                                                     / "penn_action").resolve()
        own = load_config(REPO / "config" / "train_own.yaml")
        assert Path(own["dataset_options"]["label_map"]).is_file()


def test_train_tool_label_map_flag_and_progress_lines(tmp_path, monkeypatch, capsys):
    from har_ros.cli import main

    data = _recordings(tmp_path / "data")
    cfg = tmp_path / "train.yaml"
    cfg.write_text("dataset: recordings\ndata_root: data/manifest.csv\nsplit: kfold\n"
                   "folds: 3\nrate_hz: 10.0\nwindow_s: 1.0\nmodel: {hidden_size: 8}\n"
                   "epochs: 3\n")
    monkeypatch.chdir(data)
    code = main(["train", "--config", str(cfg), "--label-map", "labels.yaml",
                 "--out", str(tmp_path / "run"), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    lines = [ln for ln in out.splitlines() if ln.startswith("train epoch")]
    assert lines[0].startswith("train epoch 1/3") and lines[-1].startswith("train epoch 3/3")
    meta = json.loads((tmp_path / "run" / "model.json").read_text())
    assert meta["classes"] == ["waiting", "opening_door"]
    assert meta["training_config"]["dataset_options"]["label_map"] == str(data / "labels.yaml")


def test_blocks_split_for_one_recording_per_class(tmp_path):
    from har_ros.data import load_dataset
    from har_ros.training import TrainConfig, split_dataset, train_and_evaluate

    # one long recording per class (per-frame labels all one class), one person
    folder = tmp_path / "data"
    folder.mkdir()
    rng = np.random.default_rng(1)
    rows = ["recording,subject,camera,fps"]
    for r, name in enumerate(["waiting", "opening_door"]):
        n = 300
        base = np.tile(rng.uniform(200, 300, 36), (n, 1))
        if r:
            base[:, 8] += 40 * np.sin(2 * np.pi * np.arange(n) / 15.0)
        (folder / f"r{r}_keypoints.csv").write_text(
            "\n".join(",".join(f"{v:.1f}" for v in row) for row in base) + "\n")
        (folder / f"r{r}_labels.csv").write_text("\n".join([name] * n) + "\n")
        rows.append(f"r{r},anna,ceiling,15")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n")
    (folder / "labels.yaml").write_text("classes: [waiting, opening_door]\n")
    cfg = _cfg(folder, folds=4, fold=0, window_s=1.0)
    with pytest.raises(DataError, match="use split: blocks"):
        train_and_evaluate(cfg, None, progress=False, eval_fps=(), plots=False)
    ds = load_dataset("recordings", cfg["data_root"], **cfg["dataset_options"])
    bcfg = dict(cfg, split="blocks", block_gap_s=2.0)
    cut, train, test = split_dataset(ds, TrainConfig.from_dict(bcfg))
    assert len(test) == 2 and len(train) == 6  # 4 blocks per recording, block 0 tests
    for rec in ("r0", "r1"):
        te = [cut.sequences[i].stamps_s for i in test if cut.sequences[i].clip_id.startswith(rec)]
        tr = [cut.sequences[i].stamps_s for i in train
              if cut.sequences[i].clip_id.startswith(rec)]
        assert min(t[0] for t in tr) - te[0][-1] >= 2.0 - 1 / 15  # the gap between blocks
    m = train_and_evaluate(bcfg, None, progress=False, eval_fps=(), plots=False)
    assert m["split"] == "blocks" and m["test"]["clip"]["n"] == 2


def test_short_clips_are_counted_as_padded(tmp_path):
    from har_ros.training import train_and_evaluate

    # 12-frame recordings at 15 fps, 6 frames per class: every clip is shorter than 1 s
    data = _recordings(tmp_path / "data", n=12)
    m = train_and_evaluate(_cfg(data, val_fraction=0.0), tmp_path / "run", progress=False,
                           eval_fps=(), plots=False)
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert saved["short_clips_padded"] == m["short_clips_padded"]
    assert m["short_clips_padded"]["test"] == 4 and m["short_clips_padded"]["train"] == 4


@pytest.mark.parametrize("epochs,steps", [(1, 1), (3, 3), (9, 1), (2, 2)])
def test_the_schedule_works_for_tiny_runs(epochs, steps):
    """A one-cycle schedule of 2..10 steps (a tiny own dataset) builds and steps (torch
    divided by zero for a 10-step schedule) and peaks at the configured learning rate."""
    from har_ros.training.config import TrainConfig
    from har_ros.training.recipes import one_cycle_recipe

    model = torch.nn.Linear(3, 2)
    cfg = TrainConfig(epochs=epochs)
    recipe = one_cycle_recipe(model, cfg, steps)
    lrs = []
    for _ in range(epochs * steps):
        recipe.optimizer.step()
        recipe.scheduler.step()
        lrs.append(recipe.optimizer.param_groups[0]["lr"])
    assert max(lrs) <= cfg.lr * (1 + 1e-9) and all(np.isfinite(lrs))
