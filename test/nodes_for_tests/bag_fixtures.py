"""Builders shared by the bag tests: synthetic skeleton bags, a rule-based stand-in classifier
and a tiny random checkpoint (for tests that need a model folder on disk)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from har_ros.bags.writer import BagWriter, skeleton_message
from har_ros.frames import SkeletonFrame

T0_NS = 1_700_000_000_000_000_000


def standing_skeleton(cx: float, cy: float = 150.0, scale: float = 40.0) -> np.ndarray:
    """(18, 3) pixels: a person centred at (cx, cy), every joint present."""
    offsets = np.array([
        [0, -1.6], [0, -1.2], [-0.5, -1.2], [-0.7, -0.6], [-0.8, 0], [0.5, -1.2], [0.7, -0.6],
        [0.8, 0], [-0.3, 0], [-0.3, 0.8], [-0.3, 1.6], [0.3, 0], [0.3, 0.8], [0.3, 1.6],
        [-0.1, -1.7], [0.1, -1.7], [-0.2, -1.6], [0.2, -1.6]], dtype=np.float32)
    sk = np.ones((18, 3), np.float32)
    sk[:, :2] = offsets * scale + [cx, cy]
    return sk


def spoil(msg: object, how: str) -> bytes:
    """CDR bytes of a rosbags message with a header, spoilt ``how``: 'truncated' (the last
    third of the bytes cut off), 'negative_stamp' (sec = -1) or 'zero_stamp' (unset)."""
    from dataclasses import replace

    from har_ros.bags.typestore import make_typestore

    store = make_typestore()
    if how == "truncated":
        raw = store.serialize_cdr(msg, msg.__msgtype__)
        return bytes(raw[: 2 * len(raw) // 3])
    time_cls = store.types["builtin_interfaces/msg/Time"]
    sec = {"negative_stamp": -1, "zero_stamp": 0}[how]
    bad = replace(msg, header=replace(msg.header, stamp=time_cls(sec=sec, nanosec=0)))
    return bytes(store.serialize_cdr(bad, bad.__msgtype__))


def write_left_right_bag(path: Path, storage: str = "sqlite3", fps: float = 10.0,
                         left_s: float = 6.0, right_s: float = 6.0,
                         topic: str = "/cam0/skeletons", track: str = "cam0/1",
                         bad: dict[int, str] | None = None) -> int:
    """One person at x=100 px for ``left_s`` seconds, then at x=300 px; returns frames.

    ``bad`` maps frame indices to a way to spoil that frame's message (see :func:`spoil`)."""
    n_left, n_right = int(left_s * fps), int(right_s * fps)
    with BagWriter(path, storage) as bag:
        for i in range(n_left + n_right):
            stamp = T0_NS + int(round(i * 1e9 / fps))
            cx = 100.0 if i < n_left else 300.0
            frame = SkeletonFrame(stamp, "cam0_optical", "cam0", 400, 300, "synthetic",
                                  standing_skeleton(cx)[None], [track],
                                  np.ones(1, np.float32))
            msg = skeleton_message(frame)
            if bad and i in bad:
                bag.add_topic(topic, msg.__msgtype__)
                bag.write(topic, stamp + 1_000_000, spoil(msg, bad[i]))
            else:
                bag.write_message(topic, stamp + 1_000_000, msg)
    return n_left + n_right


def write_utd_actions_bag(path: Path, data_root: Path, actions: tuple[int, ...] = (3, 27),
                          trials: int = 3, fps: float = 10.0, track: str = "cam0/1") -> float:
    """Real skeletons: UTD-MHAD subject 2 (never trained on) doing ``trials`` trials of each
    action in turn (default wave, then squat), seen by a level camera 4 m in front, resampled
    to ``fps`` and written as one track on /cam0/skeletons. Returns the bag's length (s)."""
    from har_ros.data.utd import load_utd_mhad
    from har_ros.resample import resample_sequence
    from har_ros.viewpoint import VirtualCamera, render_sequence

    ds = load_utd_mhad(data_root, subjects=[2], actions=list(actions))
    camera = VirtualCamera(0.0, 10.0, 4.0)
    frames = []
    for action in actions:
        name = ds.classes[action - 1]
        clips = [s for s in ds.sequences if ds.classes[s.label] == name][:trials]
        for clip in clips:
            frames.append(resample_sequence(render_sequence(clip, camera), fps).skeletons)
    skeletons = np.concatenate(frames)
    with BagWriter(path, "sqlite3") as bag:
        for i, skel in enumerate(skeletons):
            stamp = T0_NS + int(round(i * 1e9 / fps))
            frame = SkeletonFrame(stamp, "cam0_optical", "cam0", camera.width, camera.height,
                                  "utd_mhad", skel[None].astype(np.float32), [track],
                                  np.ones(1, np.float32))
            bag.write_message("/cam0/skeletons", stamp + 1_000_000, skeleton_message(frame))
    return len(skeletons) / fps


class LeftRightClassifier:
    """Stand-in for ActionClassifier: 'left' when the window's mean neck x < 200 px."""

    classes = ["left", "right"]
    window_frames = 10
    stride_frames = 2
    rate_hz = 10.0

    @property
    def window_s(self) -> float:
        return self.window_frames / self.rate_hz

    def predict_proba(self, windows: np.ndarray) -> np.ndarray:
        x = np.asarray(windows)[:, :, 1, 0].mean(axis=1)
        p_left = np.where(x < 200, 0.9, 0.1)
        return np.stack([p_left, 1 - p_left], axis=1).astype(np.float32)


def tiny_checkpoint(folder: Path, classes: list[str]) -> Path:
    """A random 8-unit LSTM checkpoint (10 frames at 10 Hz) saved with save_checkpoint."""
    import torch

    from har_ros.checkpoint import Checkpoint, save_checkpoint
    from har_ros.features import FeatureConfig
    from har_ros.model import LSTMClassifier, ModelConfig

    torch.manual_seed(0)
    fcfg = FeatureConfig()
    model = LSTMClassifier(ModelConfig(fcfg.num_features, len(classes), hidden_size=8))
    ckpt = Checkpoint(model, list(classes), 10, 2, 10.0, fcfg)
    return save_checkpoint(ckpt, folder)
