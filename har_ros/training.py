"""Training and evaluation of the LSTM action classifier (ROS-free, CPU).

Pipeline: split clips (cross-subject / official / k-fold / random) -> validation clips taken
from the TRAIN part only -> resample every clip to ``rate_hz`` (plus speed variants for
training) -> sliding windows of ``window_s`` -> per batch: augment pixels, compute features,
standardise inside the model -> AdamW + cosine schedule, label smoothing, early stopping on
validation loss. Evaluation averages window probabilities over each clip.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np
import torch
from torch import nn

from har_ros.augment import AugmentConfig, augment_windows, speed_variants
from har_ros.checkpoint import Checkpoint
from har_ros.data.common import SkeletonDataset, SkeletonSequence
from har_ros.errors import ConfigError, DataError
from har_ros.features import FeatureConfig, window_features
from har_ros.metrics import classification_report
from har_ros.model import LSTMClassifier, ModelConfig, seed_model_config
from har_ros.resample import DEFAULT_MAX_GAP_S, frames_for, resample_sequence, sliding_windows
from har_ros.resample import subsample as subsample_fps
from har_ros.skeleton import JOINT_NAMES, NUM_JOINTS, joint_mask, keep_joints
from har_ros.viewpoint import CameraRanges, render_random_views

SPLITS = ("cross_subject", "cross_view", "official", "kfold", "random")
BASELINES = ("", "seed", "seed_std", "seed_net")
#: Baselines trained with the seed's optimiser (SEED_RECIPE) rather than this config's.
SEED_OPTIMISER_BASELINES = ("seed", "seed_std")

#: The seed's training recipe (Chevalier's LSTM-HAR as adapted by stuarteiffert for 2D pose):
#: Adam with coupled L2 (TF ``lambda * sum(l2_loss(w))`` == Adam ``weight_decay=lambda``) on all
#: parameters, lr 0.0025 decayed x0.96 (staircase) every 100,000 training samples, batch 512,
#: plain cross-entropy (no label smoothing), no gradient clipping, final weights, 32-frame
#: windows. ``epochs`` stays the config's / caller's (the seed ran 300 passes; see bench).
SEED_RECIPE = {"lr": 0.0025, "weight_decay": 0.0015, "batch_size": 512,
               "label_smoothing": 0.0, "select": "last"}
SEED_LR_DECAY = 0.96
SEED_LR_DECAY_SAMPLES = 100_000
SEED_WINDOW_FRAMES = 32
#: A joint present in fewer training frames than this is left out of the model (marked
#: missing in training and at run time): its input weights would be untrained noise.
MIN_JOINT_PRESENCE = 0.01


@dataclass
class TrainConfig:
    """Everything a training run needs; YAML files in ``config/train_*.yaml`` set these keys."""

    dataset: str = "utd"
    data_root: str = "../shared/data/utd_mhad"
    dataset_options: dict = field(default_factory=dict)
    split: str = "cross_subject"
    train_subjects: list = field(default_factory=list)
    test_subjects: list = field(default_factory=list)
    #: split: cross_view: the views (``camera`` of each sequence) to train and to test on.
    train_cameras: list = field(default_factory=list)
    test_cameras: list = field(default_factory=list)
    folds: int = 4
    fold: int = 0
    test_fraction: float = 0.2
    val_fraction: float = 0.15
    rate_hz: float = 15.0
    window_s: float = 2.0
    stride_s: float = 0.2
    train_stride_s: float = 0.2
    max_windows_per_clip: int = 8
    max_gap_s: float = DEFAULT_MAX_GAP_S
    features: dict = field(default_factory=dict)
    model: dict = field(default_factory=dict)
    augment: dict = field(default_factory=dict)
    #: Render 3D clips through a new random virtual camera every epoch
    #: (:class:`har_ros.viewpoint.CameraRanges` keys); empty = use the 2D skeletons as loaded.
    virtual_cameras: dict = field(default_factory=dict)
    #: Class pairs exchanged when a window is mirrored (e.g. swipe_left <-> swipe_right).
    mirror_swap: dict = field(default_factory=dict)
    epochs: int = 80
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-2
    label_smoothing: float = 0.1
    patience: int = 20
    #: "best": weights of the epoch with the lowest validation loss; "last": final weights.
    select: str = "best"
    seed: int = 0
    threads: int = 1
    max_minutes: float = 9.0
    #: "" (this config), "seed" (the seed's network, raw-pixel input, 32-frame windows and
    #: optimiser; no standardisation, no augmentation), "seed_std" (the same with per-channel
    #: standardisation) or "seed_net" (the seed's network and standardised raw-pixel input,
    #: no augmentation, trained with this config's optimiser and schedule).
    baseline: str = ""

    @classmethod
    def from_dict(cls, data: dict) -> TrainConfig:
        """Build from a (YAML) mapping; unknown keys raise ConfigError."""
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown training option(s): {', '.join(sorted(unknown))}")
        cfg = cls(**data)
        if cfg.split not in SPLITS:
            raise ConfigError(f"split must be one of {SPLITS}, got {cfg.split!r}")
        if cfg.select not in ("best", "last"):
            raise ConfigError(f"select must be 'best' or 'last', got {cfg.select!r}")
        if cfg.baseline not in BASELINES:
            raise ConfigError(f"baseline must be one of {BASELINES}, got {cfg.baseline!r}")
        return cfg

    def to_dict(self) -> dict:
        """JSON-serialisable form."""
        return asdict(self)

    @property
    def window_frames(self) -> int:
        """Window length in model frames (the seed baselines: the seed's 32)."""
        if self.baseline:
            return SEED_WINDOW_FRAMES
        return frames_for(self.window_s, self.rate_hz)

    def effective(self) -> TrainConfig:
        """This config with the seed's optimiser settings applied where the baseline uses them."""
        return replace(self, **SEED_RECIPE) if self.seed_optimiser else self

    @property
    def seed_optimiser(self) -> bool:
        """True for the baselines trained with the seed's Adam + staircase decay."""
        return self.baseline in SEED_OPTIMISER_BASELINES

    @property
    def stride_frames(self) -> int:
        """Evaluation / inference stride in model frames."""
        return frames_for(self.stride_s, self.rate_hz)

    def feature_config(self) -> FeatureConfig:
        """Feature channels (the seed baseline forces raw pixels)."""
        if self.baseline == "seed":
            return FeatureConfig.seed()
        if self.baseline in ("seed_std", "seed_net"):
            return replace(FeatureConfig.seed(), standardise=True)
        return FeatureConfig.from_dict(self.features)

    def augment_config(self) -> AugmentConfig:
        """Augmentation (the seed baseline has none)."""
        if self.baseline:
            return AugmentConfig(mirror=0, rotate_deg=0, scale=0, stretch=0, joint_dropout=0,
                                 frame_dropout=0, noise=0, speeds=(1.0,))
        return AugmentConfig.from_dict(self.augment)

    def camera_ranges(self) -> CameraRanges | None:
        """Virtual-camera ranges, or None when this config does not render 3D clips."""
        return CameraRanges.from_dict(self.virtual_cameras) if self.virtual_cameras else None

    def model_config(self, input_size: int, num_classes: int) -> ModelConfig:
        """Network architecture for this input and class count."""
        if self.baseline:
            return seed_model_config(input_size, num_classes)
        return ModelConfig.from_dict({**self.model, "input_size": input_size,
                                      "num_classes": num_classes})


# --------------------------------------------------------------------------- splits

def clip_label(seq: SkeletonSequence) -> int:
    """Clip label, or the most frequent labelled frame's class for per-frame labels."""
    if isinstance(seq.label, int):
        return seq.label
    lab = seq.label[seq.label >= 0]
    return int(np.bincount(lab).argmax()) if lab.size else -1


def _stratified(indices: list[int], labels: list[int], fraction: float,
                rng: np.random.Generator) -> tuple[list[int], list[int]]:
    """Split indices into (rest, picked) with ~fraction of each label picked (>= 1 if >= 2)."""
    picked: list[int] = []
    for lab in sorted(set(labels)):
        members = [i for i, y in zip(indices, labels) if y == lab]
        k = int(round(fraction * len(members)))
        if fraction > 0 and len(members) >= 2:
            k = max(k, 1)
        picked += list(rng.permutation(members)[:k])
    ps = set(picked)
    return [i for i in indices if i not in ps], sorted(int(i) for i in picked)


def split_indices(ds: SkeletonDataset, cfg: TrainConfig) -> tuple[list[int], list[int]]:
    """(train, test) sequence indices for ``cfg.split``.

    * cross_subject: ``train_subjects`` vs ``test_subjects`` (default: all other subjects).
    * cross_view: sequences seen from ``train_cameras`` vs ``test_cameras`` (Penn Action's
      views: front, back, left, right); where subjects are an official ``train``/``test``
      partition (Penn Action) it is kept too, so train and test share neither clip nor view.
    * official: sequences whose subject is ``train`` vs ``test`` (Penn Action's split).
    * kfold: subject-wise folds when there are >= ``folds`` subjects, else stratified clip folds;
      ``fold`` picks the test fold.
    * random: stratified random clips, ``test_fraction`` for testing (no generalisation claim).
    """
    n = len(ds)
    subj = [s.subject for s in ds.sequences]
    if cfg.split == "cross_subject":
        tr = {str(s) for s in cfg.train_subjects}
        te = {str(s) for s in cfg.test_subjects} or (set(subj) - tr)
        if not tr or tr & te:
            raise ConfigError("cross_subject needs train_subjects, disjoint from test_subjects")
        train = [i for i in range(n) if subj[i] in tr]
        test = [i for i in range(n) if subj[i] in te]
    elif cfg.split == "cross_view":
        cams = [s.camera for s in ds.sequences]
        tr, te = {str(c) for c in cfg.train_cameras}, {str(c) for c in cfg.test_cameras}
        if not tr or not te or tr & te:
            raise ConfigError("cross_view needs train_cameras and test_cameras, disjoint "
                              f"(views in {ds.name}: {', '.join(sorted(set(cams)))})")
        train = [i for i in range(n) if cams[i] in tr and subj[i] != "test"]
        test = [i for i in range(n) if cams[i] in te and subj[i] != "train"]
    elif cfg.split == "official":
        train = [i for i in range(n) if subj[i] == "train"]
        test = [i for i in range(n) if subj[i] == "test"]
    elif cfg.split == "kfold":
        if not 0 <= cfg.fold < cfg.folds:
            raise ConfigError(f"fold must be in 0..{cfg.folds - 1}")
        subjects = sorted(set(subj))
        if len(subjects) >= cfg.folds:
            held = set(subjects[cfg.fold::cfg.folds])
            test = [i for i in range(n) if subj[i] in held]
        else:
            rng = np.random.default_rng(12345)
            order = {}
            for i in range(n):
                order.setdefault(clip_label(ds.sequences[i]), []).append(i)
            test = sorted(int(i) for members in order.values()
                          for i in rng.permutation(members)[cfg.fold::cfg.folds])
        ts = set(test)
        train = [i for i in range(n) if i not in ts]
    else:
        rng = np.random.default_rng(12345)
        idx = list(range(n))
        train, test = _stratified(idx, [clip_label(ds.sequences[i]) for i in idx],
                                  cfg.test_fraction, rng)
    if not train or not test:
        raise DataError(f"split {cfg.split!r} leaves {len(train)} train and {len(test)} test "
                        f"sequences in {ds.name}")
    return train, test


def validation_split(ds: SkeletonDataset, train: list[int], fraction: float,
                     seed: int) -> tuple[list[int], list[int]]:
    """(fit, val): stratified clips taken from the TRAIN indices only."""
    if fraction <= 0:
        return list(train), []
    rng = np.random.default_rng(seed + 1000)
    return _stratified(list(train), [clip_label(ds.sequences[i]) for i in train], fraction, rng)


# --------------------------------------------------------------------------- windows

def segments(seq: SkeletonSequence) -> list[SkeletonSequence]:
    """Split a per-frame-labelled sequence into constant-label clips (unlabelled dropped)."""
    if isinstance(seq.label, int):
        return [seq]
    lab = seq.label
    cuts = np.flatnonzero(np.diff(lab)) + 1
    out = []
    for k, (a, b) in enumerate(zip(np.r_[0, cuts], np.r_[cuts, lab.size])):
        if lab[a] >= 0:
            out.append(SkeletonSequence(seq.skeletons[a:b], seq.stamps_s[a:b], int(lab[a]),
                                        seq.subject, seq.camera, f"{seq.clip_id}#{k}"))
    return out


@dataclass
class WindowIndex:
    """Windows stored as start offsets into one frame array (saves memory).

    ``frames`` (M, 18, 3) pixels at the model rate; window i is
    ``frames[starts[i] : starts[i] + window_frames]`` with label ``labels[i]``, belonging to
    clip ``clips[i]`` (index into the sequence list) and group ``groups[i]`` (clip x speed).
    """

    frames: np.ndarray
    starts: np.ndarray
    labels: np.ndarray
    clips: np.ndarray
    groups: np.ndarray
    window_frames: int

    def __len__(self) -> int:
        return int(self.starts.shape[0])

    def gather(self, idx: np.ndarray) -> np.ndarray:
        """(len(idx), window_frames, 18, 3) windows."""
        return self.frames[self.starts[idx][:, None] + np.arange(self.window_frames)[None, :]]


def build_windows(seqs: list[SkeletonSequence], rate_hz: float, window_frames: int,
                  stride_frames: int, speeds: tuple[float, ...] = (1.0,),
                  max_gap_s: float = DEFAULT_MAX_GAP_S) -> WindowIndex:
    """Resample each sequence (at each playback speed) and index its sliding windows.

    A window's label is the label of its last frame (what the person does "now"); windows
    ending on an unlabelled frame (-1) are skipped. Short clips are padded at the front.
    """
    frames, starts, labels, clips, groups = [], [], [], [], []
    offset, group = 0, 0
    for ci, seq in enumerate(seqs):
        for var in speed_variants(seq, speeds):
            r = resample_sequence(var, rate_hz, max_gap_s)
            sk = r.skeletons
            pad = max(0, window_frames - sk.shape[0])
            if pad:
                sk = np.concatenate([np.repeat(sk[:1], pad, axis=0), sk])
            _, ends = sliding_windows(sk, window_frames, stride_frames)
            if isinstance(r.label, int):
                lab = np.full(ends.shape, r.label)
            else:
                lab_full = np.concatenate([np.full(pad, r.label[0]), r.label])
                lab = lab_full[ends]
            keep = lab >= 0
            frames.append(sk)
            starts.append(offset + ends[keep] - window_frames + 1)
            labels.append(lab[keep])
            clips.append(np.full(keep.sum(), ci))
            groups.append(np.full(keep.sum(), group))
            offset += sk.shape[0]
            group += 1
    if not frames:
        raise DataError("no sequences to cut into windows")
    cat = np.concatenate
    return WindowIndex(cat(frames).astype(np.float32), cat(starts).astype(np.int64),
                       cat(labels).astype(np.int64), cat(clips).astype(np.int64),
                       cat(groups).astype(np.int64), window_frames)


def epoch_sample(wi: WindowIndex, cap: int, rng: np.random.Generator) -> np.ndarray:
    """Shuffled window indices with at most ``cap`` random windows per group (clip x speed)."""
    keys = rng.random(len(wi))
    order = np.lexsort((keys, wi.groups))
    g = wi.groups[order]
    first = np.r_[0, np.flatnonzero(np.diff(g)) + 1]
    rank = np.arange(len(g)) - np.repeat(first, np.diff(np.r_[first, len(g)]))
    chosen = order[rank < cap] if cap > 0 else order
    return rng.permutation(chosen)


# --------------------------------------------------------------------------- training

def feature_stats(feats: np.ndarray, fcfg: FeatureConfig) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean/std over (N, T, F) training features.

    Mask channels and near-constant channels (std < 0.05) keep mean 0 / std 1 and mean / std 1
    respectively, so a joint that was always present in training but goes missing live does
    not explode the standardised input.
    """
    f = feats.reshape(-1, feats.shape[-1]).astype(np.float64)
    if not fcfg.standardise:
        return np.zeros(f.shape[1]), np.ones(f.shape[1])
    mean, std = f.mean(axis=0), f.std(axis=0)
    std = np.where(std < 0.05, 1.0, std)
    if fcfg.masks:
        m0 = 2 * NUM_JOINTS
        mean[m0:m0 + NUM_JOINTS], std[m0:m0 + NUM_JOINTS] = 0.0, 1.0
    return mean, std


def trained_joints(seqs: list[SkeletonSequence], min_presence: float = MIN_JOINT_PRESENCE
                   ) -> tuple[str, ...]:
    """Names of the joints present (confidence > 0) in at least ``min_presence`` of the
    frames of ``seqs``, in COCO-18 order."""
    frames = sum(len(s.skeletons) for s in seqs)
    present = sum((s.skeletons[..., 2] > 0).sum(axis=0) for s in seqs)
    frac = np.asarray(present, dtype=np.float64) / max(frames, 1)
    return tuple(name for name, f in zip(JOINT_NAMES, frac, strict=True) if f >= min_presence)


def _only_joints(seqs: list[SkeletonSequence], joints: tuple[str, ...]
                 ) -> list[SkeletonSequence]:
    keep = joint_mask(joints)
    if keep.all():
        return seqs
    return [replace(s, skeletons=keep_joints(s.skeletons, keep)) for s in seqs]


def _mirror_labels(labels: np.ndarray, flags: np.ndarray, swap: np.ndarray) -> np.ndarray:
    return np.where(flags, swap[labels], labels)


def _evaluate_windows(model: nn.Module, feats: torch.Tensor, labels: torch.Tensor,
                      batch: int = 2048) -> tuple[float, float, np.ndarray]:
    model.eval()
    outs = []
    with torch.inference_mode():
        for i in range(0, feats.shape[0], batch):
            outs.append(model(feats[i:i + batch]))
    logits = torch.cat(outs)
    loss = float(nn.functional.cross_entropy(logits, labels))
    proba = torch.softmax(logits, -1).numpy()
    return loss, float((proba.argmax(1) == labels.numpy()).mean()), proba


def train_model(train_seqs: list[SkeletonSequence], val_seqs: list[SkeletonSequence],
                classes: list[str], cfg: TrainConfig, progress: bool = True,
                data_summary: dict | None = None) -> tuple[Checkpoint, list[dict]]:
    """Train on ``train_seqs``, early-stop on ``val_seqs``; returns (checkpoint, history).

    History: one dict per epoch (epoch, train_loss, train_acc, val_loss, val_acc, val_clip_acc,
    lr, seconds). Keeps the weights of the epoch with the lowest validation loss (or the
    last epoch's with ``select: last``); stops at
    ``epochs``, after ``patience`` epochs without improvement, or after ``max_minutes``.
    """
    from tqdm import tqdm

    t_start = time.monotonic()
    cfg = cfg.effective()
    torch.set_num_threads(max(1, int(cfg.threads)))
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    fcfg, acfg = cfg.feature_config(), cfg.augment_config()
    wf = cfg.window_frames
    joints = trained_joints(train_seqs)
    if not joints:
        raise DataError("no joint is present in the training data")
    train_seqs, val_seqs = _only_joints(train_seqs, joints), _only_joints(val_seqs, joints)
    train_stride = frames_for(cfg.train_stride_s, cfg.rate_hz)
    ranges = cfg.camera_ranges()

    def training_windows() -> WindowIndex:
        seqs = train_seqs
        if ranges is not None:  # a new random camera per clip (and per epoch)
            seqs = _only_joints(render_random_views(train_seqs, ranges, classes, rng), joints)
        return build_windows(seqs, cfg.rate_hz, wf, train_stride, acfg.speeds, cfg.max_gap_s)

    train_w = training_windows()
    mcfg = cfg.model_config(fcfg.num_features, len(classes))
    model = LSTMClassifier(mcfg)
    sample = rng.choice(len(train_w), size=min(len(train_w), 4000), replace=False)
    mean, std = feature_stats(window_features(train_w.gather(sample), fcfg), fcfg)
    model.set_feature_stats(torch.from_numpy(mean), torch.from_numpy(std))
    val_feats = val_labels = None
    if val_seqs:
        if ranges is not None:  # fixed random views, so validation measures view robustness
            val_rng = np.random.default_rng(cfg.seed + 1)
            val_seqs = _only_joints(render_random_views(val_seqs, ranges, classes, val_rng),
                                    joints)
        val_w = build_windows(val_seqs, cfg.rate_hz, wf, cfg.stride_frames, (1.0,), cfg.max_gap_s)
        val_feats = torch.from_numpy(window_features(val_w.gather(np.arange(len(val_w))), fcfg))
        val_labels = torch.from_numpy(val_w.labels)
    swap = np.arange(len(classes))
    for a, b in cfg.mirror_swap.items():
        if a not in classes or b not in classes:
            raise ConfigError(f"mirror_swap names unknown classes {a!r}/{b!r}")
        swap[classes.index(a)], swap[classes.index(b)] = classes.index(b), classes.index(a)
    if cfg.seed_optimiser:
        # The seed: Adam + L2 in the loss, staircase exponential decay per training sample.
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        per_step = cfg.batch_size / SEED_LR_DECAY_SAMPLES
        sched = torch.optim.lr_scheduler.LambdaLR(
            opt, lambda step: SEED_LR_DECAY ** int(step * per_step))
        clip_norm = None
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        steps_per_epoch = max(1, int(np.ceil(len(epoch_sample(train_w, cfg.max_windows_per_clip,
                                                              rng)) / cfg.batch_size)))
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch + 1, pct_start=0.1,
            anneal_strategy="cos", div_factor=10.0, final_div_factor=100.0)
        clip_norm = 1.0
    loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    history: list[dict] = []
    best = (-1.0, float("inf"))
    best_state, best_epoch = copy.deepcopy(model.state_dict()), 0
    bar = tqdm(range(1, cfg.epochs + 1), desc="train", unit="epoch", disable=not progress,
               dynamic_ncols=True)
    for epoch in bar:
        model.train()
        if ranges is not None and epoch > 1:
            train_w = training_windows()
        idx = epoch_sample(train_w, cfg.max_windows_per_clip, rng)
        tot_loss, tot_ok, tot_n = 0.0, 0, 0
        for i in range(0, len(idx), cfg.batch_size):
            b = idx[i:i + cfg.batch_size]
            flags = rng.random(len(b)) < acfg.mirror
            win = augment_windows(train_w.gather(b), rng, acfg, mirror_flags=flags)
            y = torch.from_numpy(_mirror_labels(train_w.labels[b], flags, swap))
            x = torch.from_numpy(window_features(win, fcfg))
            logits = model(x)
            loss = loss_fn(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if clip_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            opt.step()
            if cfg.seed_optimiser or sched.last_epoch < sched.total_steps - 1:
                sched.step()
            tot_loss += float(loss.detach()) * len(b)
            tot_ok += int((logits.argmax(1) == y).sum())
            tot_n += len(b)
        rec = {"epoch": epoch, "train_loss": tot_loss / tot_n, "train_acc": tot_ok / tot_n,
               "lr": opt.param_groups[0]["lr"], "seconds": time.monotonic() - t_start}
        if val_feats is not None:
            vl, va, proba = _evaluate_windows(model, val_feats, val_labels)
            rec.update(val_loss=vl, val_acc=va,
                       val_clip_acc=_clip_accuracy(proba, val_w.clips, val_w.labels))
            if vl < best[1] or cfg.select == "last":
                best, best_state, best_epoch = (va, vl), copy.deepcopy(model.state_dict()), epoch
        else:
            rec.update(val_loss=float("nan"), val_acc=float("nan"), val_clip_acc=float("nan"))
            best_state, best_epoch = copy.deepcopy(model.state_dict()), epoch
        history.append(rec)
        bar.set_postfix(loss=f"{rec['train_loss']:.3f}", val=f"{rec['val_acc']:.3f}",
                        best=best_epoch)
        if epoch - best_epoch >= cfg.patience:
            break
        if time.monotonic() - t_start > 60 * cfg.max_minutes:
            break
    bar.close()
    model.load_state_dict(best_state)
    model.eval()
    summary = dict(data_summary or {})
    summary.update(train_sequences=len(train_seqs), val_sequences=len(val_seqs),
                   train_windows=len(train_w), selected_epoch=best_epoch, epochs_run=len(history),
                   train_minutes=round((time.monotonic() - t_start) / 60, 3),
                   joints_left_out=[j for j in JOINT_NAMES if j not in joints])
    ckpt = Checkpoint(model, list(classes), wf, cfg.stride_frames, cfg.rate_hz, fcfg,
                      training_data=summary, training_config=cfg.to_dict(), joints=joints)
    return ckpt, history


def _clip_accuracy(proba: np.ndarray, clips: np.ndarray, labels: np.ndarray) -> float:
    ok = []
    for c in np.unique(clips):
        m = clips == c
        ok.append(proba[m].mean(0).argmax() == labels[m][-1])
    return float(np.mean(ok)) if ok else float("nan")


# --------------------------------------------------------------------------- evaluation

def evaluate_sequences(classifier, seqs: list[SkeletonSequence], input_fps: float | None = None,
                       max_gap_s: float = DEFAULT_MAX_GAP_S, stride_frames: int | None = None
                       ) -> dict:
    """Window- and clip-level predictions of ``classifier`` (an ActionClassifier) on ``seqs``.

    Per-frame-labelled sequences are split into constant-label clips first. With ``input_fps``
    each clip is first subsampled to that rate (simulating a slower pose source), then
    resampled to the model rate. Returns arrays: win_true, win_pred, clip_true, clip_pred,
    clip_proba, and the window count.
    """
    clips = [c for s in seqs for c in segments(s)]
    if input_fps:
        clips = [subsample_fps(c, input_fps) for c in clips]
    wi = build_windows(clips, classifier.rate_hz, classifier.window_frames,
                       stride_frames or classifier.stride_frames, (1.0,), max_gap_s)
    proba = classifier.predict_proba(wi.gather(np.arange(len(wi))))
    n_cls = proba.shape[1]
    clip_proba = np.zeros((len(clips), n_cls), dtype=np.float64)
    np.add.at(clip_proba, wi.clips, proba)
    clip_proba /= np.maximum(np.bincount(wi.clips, minlength=len(clips)), 1)[:, None]
    clip_true = np.array([c.label for c in clips], dtype=np.int64)
    return {"win_true": wi.labels, "win_pred": proba.argmax(1), "clip_true": clip_true,
            "clip_pred": clip_proba.argmax(1), "clip_proba": clip_proba, "windows": len(wi),
            "clip_subject": [c.subject for c in clips], "clip_camera": [c.camera for c in clips]}


def evaluation_report(pred: dict, classes: list[str]) -> dict:
    """Clip- and window-level classification reports (accuracy, macro-F1, per class, CM), and
    clip accuracy per subject and per camera (view) where the test set has several."""
    out = {"clip": classification_report(pred["clip_true"], pred["clip_pred"], classes),
           "window": classification_report(pred["win_true"], pred["win_pred"], classes)}
    ok = pred["clip_true"] == pred["clip_pred"]
    for key, name in (("clip_subject", "clip_accuracy_by_subject"),
                      ("clip_camera", "clip_accuracy_by_camera")):
        groups = np.asarray(pred.get(key, []), dtype=object)
        if len(set(groups.tolist())) > 1:
            out[name] = {str(g): {"n": int((groups == g).sum()),
                                  "accuracy": float(ok[groups == g].mean())}
                         for g in sorted(set(groups.tolist()))}
    return out
