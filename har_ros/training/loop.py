"""The training loop: data preparation, epochs, validation, early stopping, checkpoint."""

from __future__ import annotations

import copy
import time

import numpy as np
import torch
from torch import nn

from har_ros.augment import AugmentConfig, augment_windows
from har_ros.checkpoint import Checkpoint
from har_ros.data.common import SkeletonSequence
from har_ros.errors import DataError
from har_ros.features import FeatureConfig, window_features
from har_ros.mirroring import swap_table
from har_ros.model import LSTMClassifier
from har_ros.resample import frames_for
from har_ros.skeleton import JOINT_NAMES
from har_ros.training.config import TrainConfig
from har_ros.training.data import (
    WindowIndex,
    build_windows,
    epoch_sample,
    feature_stats,
    mirror_labels,
    only_joints,
    trained_joints,
)
from har_ros.training.distill import Teachers, distill_loss
from har_ros.training.evaluation import clip_accuracy, evaluate_windows
from har_ros.training.init_from import InitModel, init_network, load_init
from har_ros.training.recipes import Recipe, one_cycle_recipe, predecessor_recipe
from har_ros.training.views import view_loss
from har_ros.view_bins import azimuth_bins, mirrored_bins
from har_ros.viewpoint import render_random_views, render_random_views_with_azimuths

#: Training windows sampled to compute the feature standardisation statistics.
STATS_SAMPLE_WINDOWS = 4000
#: Without a progress bar, a progress line is printed at least this often (seconds) ...
PROGRESS_LINE_S = 30.0
#: ... and every this many epochs (at least one line per tenth of the run).
PROGRESS_LINE_EPOCHS = 10


class ProgressLines:
    """Plain progress lines for logs and pipes (``--no-progress``): the first and last epoch,
    every ``max(1, min(PROGRESS_LINE_EPOCHS, epochs // 10))`` epochs and at least every
    PROGRESS_LINE_S seconds."""

    def __init__(self, epochs: int, enabled: bool) -> None:
        self.epochs, self.enabled = epochs, enabled
        self.every = max(1, min(PROGRESS_LINE_EPOCHS, epochs // 10))
        self.last = time.monotonic()

    def epoch(self, rec: dict, best_epoch: int, final: bool = False) -> None:
        """Print ``rec`` (one history entry) if a line is due."""
        now = time.monotonic()
        e = rec["epoch"]
        if not self.enabled or not (final or e == 1 or e % self.every == 0
                                    or now - self.last >= PROGRESS_LINE_S):
            return
        self.last = now
        print(f"train epoch {e}/{self.epochs}: loss {rec['train_loss']:.3f}, train acc "
              f"{rec['train_acc']:.3f}, val acc {rec['val_acc']:.3f}, best epoch {best_epoch}, "
              f"{rec['seconds'] / 60:.1f} min", flush=True)


class TrainingWindows:
    """Training windows; with virtual cameras each :meth:`build` renders every clip through a
    new random camera (so once per epoch)."""

    def __init__(self, seqs: list[SkeletonSequence], joints: tuple[str, ...],
                 classes: list[str], cfg: TrainConfig, speeds: tuple[float, ...],
                 rng: np.random.Generator) -> None:
        self.seqs, self.joints, self.classes, self.cfg = seqs, joints, classes, cfg
        self.speeds, self.rng = speeds, rng
        self.ranges = cfg.camera_ranges()
        self.stride = frames_for(cfg.train_stride_s, cfg.rate_hz)

    @property
    def rerender(self) -> bool:
        """True when every epoch gets newly rendered windows."""
        return self.ranges is not None

    def build(self) -> WindowIndex:
        """Windows of the (re-rendered) training clips at every training speed, each with the
        azimuth bin of its camera (``model.view_bins``; UNKNOWN_BIN for clips not rendered)."""
        seqs, azimuths = self.seqs, np.full(len(self.seqs), np.nan)
        if self.ranges is not None:
            seqs, azimuths = render_random_views_with_azimuths(self.seqs, self.ranges,
                                                               self.classes, self.rng)
            seqs = only_joints(seqs, self.joints)
        wi = build_windows(seqs, self.cfg.rate_hz, self.cfg.window_frames, self.stride,
                           self.speeds, self.cfg.max_gap_s)
        wi.views = azimuth_bins(azimuths, self.view_bins, self.cfg.view_bin_layout)[wi.clips]
        return wi

    @property
    def view_bins(self) -> int:
        """Camera-azimuth bins of the network's head (1 = none)."""
        return self.cfg.model_config(input_size=1, num_classes=2).view_bins


class BestWeights:
    """The weights to keep: lowest validation loss (``select: best``), else the latest."""

    def __init__(self, model: nn.Module, select: str) -> None:
        self.select = select
        self.loss = float("inf")
        self.state = copy.deepcopy(model.state_dict())
        self.epoch = 0

    def update(self, model: nn.Module, epoch: int, val_loss: float | None) -> None:
        """Keep ``model``'s weights if this epoch is the one to select so far."""
        if val_loss is None or val_loss < self.loss or self.select == "last":
            if val_loss is not None:
                self.loss = val_loss
            self.state, self.epoch = copy.deepcopy(model.state_dict()), epoch


def new_model(cfg: TrainConfig, fcfg: FeatureConfig, num_classes: int, train_w: WindowIndex,
              rng: np.random.Generator) -> LSTMClassifier:
    """A fresh network with feature statistics from a sample of the training windows."""
    model = LSTMClassifier(cfg.model_config(fcfg.num_features, num_classes))
    sample = rng.choice(len(train_w), size=min(len(train_w), STATS_SAMPLE_WINDOWS),
                        replace=False)
    mean, std = feature_stats(window_features(train_w.gather(sample), fcfg), fcfg)
    model.set_feature_stats(torch.from_numpy(mean), torch.from_numpy(std))
    return model


def validation_windows(val_seqs: list[SkeletonSequence], joints: tuple[str, ...],
                       classes: list[str], cfg: TrainConfig, fcfg: FeatureConfig
                       ) -> tuple[WindowIndex, torch.Tensor, torch.Tensor]:
    """(windows, features, labels) of the validation clips; with virtual cameras each clip is
    rendered once from a fixed random view, so validation measures view robustness."""
    ranges = cfg.camera_ranges()
    if ranges is not None:
        val_rng = np.random.default_rng(cfg.seed + 1)
        val_seqs = only_joints(render_random_views(val_seqs, ranges, classes, val_rng), joints)
    val_w = build_windows(val_seqs, cfg.rate_hz, cfg.window_frames, cfg.stride_frames, (1.0,),
                          cfg.max_gap_s)
    feats = torch.from_numpy(window_features(val_w.gather(np.arange(len(val_w))), fcfg))
    return val_w, feats, torch.from_numpy(val_w.labels)


def make_recipe(model: nn.Module, cfg: TrainConfig, train_w: WindowIndex,
                rng: np.random.Generator) -> Recipe:
    """The predecessor's recipe for its optimiser baselines, else the one-cycle recipe."""
    if cfg.predecessor_optimiser:
        return predecessor_recipe(model, cfg)
    per_epoch = len(epoch_sample(train_w, cfg.max_windows_per_clip, rng))
    return one_cycle_recipe(model, cfg, max(1, int(np.ceil(per_epoch / cfg.batch_size))))


def train_epoch(model: nn.Module, recipe: Recipe, loss_fn: nn.Module, train_w: WindowIndex,
                cfg: TrainConfig, acfg: AugmentConfig, fcfg: FeatureConfig, swap: np.ndarray,
                rng: np.random.Generator, teachers: Teachers | None = None
                ) -> tuple[float, float]:
    """One pass over a fresh sample of the training windows; (mean loss, accuracy). With
    ``teachers`` the loss mixes the labels and the teachers' probabilities (distill_weight)."""
    model.train()
    idx = epoch_sample(train_w, cfg.max_windows_per_clip, rng)
    tot_loss, tot_ok, tot_n = 0.0, 0, 0
    for i in range(0, len(idx), cfg.batch_size):
        b = idx[i:i + cfg.batch_size]
        flags = rng.random(len(b)) < acfg.mirror
        win = augment_windows(train_w.gather(b), rng, acfg, mirror_flags=flags)
        y = torch.from_numpy(mirror_labels(train_w.labels[b], flags, swap))
        x = torch.from_numpy(window_features(win, fcfg))
        bins = model.config.view_bins
        if bins > 1:
            joint = model.forward_joint(x)
            logits = torch.logsumexp(joint, dim=1)
            views = mirrored_bins(train_w.views[b], flags, bins, cfg.view_bin_layout)
            loss = view_loss(joint, y, views, cfg.label_smoothing, cfg.view_loss_weight)
        else:
            logits = model(x)
            loss = loss_fn(logits, y)
        if teachers is not None:
            w = cfg.distill_weight
            loss = (1 - w) * loss + w * distill_loss(logits, teachers.targets(win))
        recipe.step(loss)
        tot_loss += float(loss.detach()) * len(b)
        tot_ok += int((logits.argmax(1) == y).sum())
        tot_n += len(b)
    return tot_loss / tot_n, tot_ok / tot_n


def train_model(train_seqs: list[SkeletonSequence], val_seqs: list[SkeletonSequence],
                classes: list[str], cfg: TrainConfig, progress: bool = True,
                data_summary: dict | None = None) -> tuple[Checkpoint, list[dict]]:
    """Train on ``train_seqs``, early-stop on ``val_seqs``; returns (checkpoint, history).

    History: one dict per epoch (epoch, train_loss, train_acc, val_loss, val_acc, val_clip_acc,
    lr, seconds since the start). Keeps the weights of the epoch with the lowest validation
    loss (or the last epoch's with ``select: last``); stops at ``epochs``, after ``patience``
    epochs without improvement, or after ``max_minutes``.
    """
    from tqdm import tqdm

    t_start = time.monotonic()
    cfg = cfg.effective()
    torch.set_num_threads(max(1, int(cfg.threads)))
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    init: InitModel | None = None
    if cfg.init_from:
        init = load_init(cfg)
        cfg = init.cfg
        for key, (asked, used) in init.overridden.items():
            print(f"init_from: {key} {asked} -> {used} (the init model's)", flush=True)
    fcfg, acfg = cfg.feature_config(), cfg.augment_config()
    joints = init.checkpoint.joints if init else trained_joints(train_seqs)
    if not joints:
        raise DataError("no joint is present in the training data")
    train_seqs, val_seqs = only_joints(train_seqs, joints), only_joints(val_seqs, joints)
    windows = TrainingWindows(train_seqs, joints, classes, cfg, acfg.speeds, rng)
    train_w = windows.build()
    if init is not None:
        model = init_network(init, classes)
    else:
        model = new_model(cfg, fcfg, len(classes), train_w, rng)
    val = validation_windows(val_seqs, joints, classes, cfg, fcfg) if val_seqs else None
    swap = swap_table(classes, cfg.mirror_swap)
    teachers = (Teachers(cfg.distill_from, list(classes), cfg.window_frames, cfg.rate_hz)
                if cfg.distill_from else None)
    recipe = make_recipe(model, cfg, train_w, rng)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    history: list[dict] = []
    best = BestWeights(model, cfg.select)
    bar = tqdm(range(1, cfg.epochs + 1), desc="train", unit="epoch", disable=not progress,
               dynamic_ncols=True)
    lines = ProgressLines(cfg.epochs, enabled=not progress)
    for epoch in bar:
        if windows.rerender and epoch > 1:
            train_w = windows.build()
        loss, acc = train_epoch(model, recipe, loss_fn, train_w, cfg, acfg, fcfg, swap, rng,
                                teachers)
        rec = {"epoch": epoch, "train_loss": loss, "train_acc": acc, "lr": recipe.lr,
               "seconds": time.monotonic() - t_start}
        if val is not None:
            val_w, val_feats, val_labels = val
            vl, va, proba = evaluate_windows(model, val_feats, val_labels)
            rec.update(val_loss=vl, val_acc=va,
                       val_clip_acc=clip_accuracy(proba, val_w.clips, val_w.labels))
            best.update(model, epoch, vl)
        else:
            rec.update(val_loss=float("nan"), val_acc=float("nan"), val_clip_acc=float("nan"))
            best.update(model, epoch, None)
        history.append(rec)
        bar.set_postfix(loss=f"{rec['train_loss']:.3f}", val=f"{rec['val_acc']:.3f}",
                        best=best.epoch)
        stop = (epoch - best.epoch >= cfg.patience
                or time.monotonic() - t_start > 60 * cfg.max_minutes)
        lines.epoch(rec, best.epoch, final=stop or epoch == cfg.epochs)
        if stop:
            break
    bar.close()
    model.load_state_dict(best.state)
    model.eval()
    summary = dict(data_summary or {})
    summary.update(train_sequences=len(train_seqs), val_sequences=len(val_seqs),
                   train_windows=len(train_w), selected_epoch=best.epoch, epochs_run=len(history),
                   train_minutes=round((time.monotonic() - t_start) / 60, 3),
                   joints_left_out=[j for j in JOINT_NAMES if j not in joints])
    if init is not None:
        summary["init"] = init.provenance(list(classes))
    if teachers is not None:
        summary["distilled_from"] = teachers.provenance()
    ckpt = Checkpoint(model, list(classes), cfg.window_frames, cfg.stride_frames, cfg.rate_hz,
                      fcfg, training_data=summary, training_config=cfg.to_dict(), joints=joints)
    return ckpt, history
