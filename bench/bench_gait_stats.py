"""Gait of real walkers against UTD-MHAD's walk and jog: why walk and jog do not transfer.

Run from the repository root (after ``python -m bench.bench_walkers`` has cached the vtest
skeleton bag): ``python -m bench.bench_gait_stats [--bag DIR]``.

Per 2 s window at 15 Hz, in the feature frame (body-centred, scaled by the window's body
size, ``har_ros/features.py``): the root's horizontal speed, ankle and wrist speeds (body
sizes per second) and the range of the ankles' horizontal separation (stride); per clip or
track the stride frequency (Hz: dominant frequency of the ankles' separation along its main
axis for real walkers, of the ankles' height difference for UTD's 3D joints). Real: the
walker tracks of vtest.avi (test/nodes_for_tests/vtest_labels.yaml) as the default pose
backend sees them. UTD: training subjects' walk and jog clips rendered as in training
(config/train_utd.yaml's virtual cameras and travel), clean and with the backend's measured
errors. Writes bench/results/gait_stats.json; quartiles (25/50/75 %) throughout.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "test" / "nodes_for_tests" / "vtest_labels.yaml"
RATE_HZ, WINDOW = 15.0, 30
R_ANK, L_ANK, R_WRI, L_WRI = 10, 13, 4, 7
#: Joints UTD-MHAD lacks (nose, eyes, ears): removed from real windows, as the model does.
NO_UTD = [0, 14, 15, 16, 17]


def quartiles(v) -> list[float]:
    return [round(float(x), 3) for x in np.percentile(np.asarray(v, float), [25, 50, 75])]


def window_stats(windows: np.ndarray) -> dict:
    """Gait statistics of pixel windows (B, 30, 18, 3), quartiles over windows."""
    from har_ros.features import FeatureConfig, window_features

    f = window_features(windows, FeatureConfig(scale_shoulders=True, standardise=False))
    co = f[..., :36].reshape(len(f), WINDOW, 18, 2)
    ve = f[..., 54:90].reshape(len(f), WINDOW, 18, 2) * RATE_HZ
    span_s = (WINDOW - 1) / RATE_HZ
    sep = co[:, :, R_ANK, 0] - co[:, :, L_ANK, 0]
    return {"windows": int(len(f)),
            "root_speed": quartiles(np.abs(f[:, 0, 90]) / span_s),
            "ankle_speed": quartiles(np.linalg.norm(ve[:, 1:, [R_ANK, L_ANK]], axis=-1)
                                     .mean(axis=(1, 2))),
            "wrist_speed": quartiles(np.linalg.norm(ve[:, 1:, [R_WRI, L_WRI]], axis=-1)
                                     .mean(axis=(1, 2))),
            "stride_range": quartiles(sep.max(1) - sep.min(1))}


def dominant_hz(signal: np.ndarray, hz: float, lo: float = 0.4, hi: float = 4.0) -> float:
    """Strongest frequency (Hz) of ``signal`` between ``lo`` and ``hi``."""
    s = np.asarray(signal, float) - np.mean(signal)
    n = len(s)
    freqs = np.fft.rfftfreq(4 * n, 1.0 / hz)
    amp = np.abs(np.fft.rfft(s * np.hanning(n), 4 * n))
    band = (freqs > lo) & (freqs < hi)
    return float(freqs[band][amp[band].argmax()])


def real_walkers(bag: Path) -> tuple[np.ndarray, list[float]]:
    """vtest walker windows (B, 30, 18, 3) and per-track stride frequencies (Hz)."""
    from har_ros.data.rosbag import load_rosbag_recordings
    from har_ros.resample import resample_sequence
    from har_ros.training import build_windows

    rb = load_rosbag_recordings([bag], [LABELS])
    walk = rb.classes.index("walk")
    wi = build_windows(rb.sequences, RATE_HZ, WINDOW, 3)
    w = wi.gather(np.nonzero(wi.labels == walk)[0])
    w[..., NO_UTD, :] = 0.0
    freqs = []
    for seq in rb.sequences:
        r = resample_sequence(seq, RATE_HZ, 0.5)
        sk, lab = r.skeletons, np.broadcast_to(np.asarray(r.label), (len(r.skeletons),))
        ok = (sk[:, R_ANK, 2] > 0) & (sk[:, L_ANK, 2] > 0) & (lab == walk)
        if ok.sum() < 3 * RATE_HZ:
            continue
        d = (sk[ok, R_ANK, :2] - sk[ok, L_ANK, :2]).astype(float)
        d -= d.mean(axis=0)
        axis = np.linalg.svd(d, full_matrices=False)[2][0]  # main axis of the separation
        freqs.append(dominant_hz(d @ axis, RATE_HZ))
    return w, freqs


def utd_locomotion(config: Path, seed: int = 0) -> dict:
    """Rendered training windows and 3D stride frequencies of UTD's walk and jog clips."""
    from har_ros.data import load_dataset
    from har_ros.pose_noise import apply_detector_errors, load_error_model
    from har_ros.training import build_windows
    from har_ros.training.config import TrainConfig, load_config
    from har_ros.training.data import only_joints, trained_joints
    from har_ros.viewpoint import render_random_views

    cfg = TrainConfig.from_dict(load_config(config))
    ds = load_dataset(cfg.dataset, cfg.data_root, **cfg.dataset_options)
    joints = trained_joints(ds.sequences)
    rng = np.random.default_rng(seed)
    errors = load_error_model("openpose_mobilenet")
    # the source classes travel at their own speeds (as the recipe before merge_classes did)
    ranges = dataclasses.replace(cfg.camera_ranges(),
                                 travel={"walk": [0.8, 1.6], "jog": [1.8, 3.0]})
    out = {}
    for name in ("walk", "jog"):
        label = ds.classes.index(name)
        seqs = [s for s in ds.sequences if s.label == label and s.subject in cfg.train_subjects]
        freqs = []
        for s in seqs:
            d = s.points3d[:, R_ANK, 1] - s.points3d[:, L_ANK, 1]
            if np.isfinite(d).all():
                freqs.append(dominant_hz(d, 1.0 / float(np.median(np.diff(s.stamps_s)))))
        parts = []
        for _ in range(3):
            views = only_joints(render_random_views(seqs, ranges, ds.classes, rng), joints)
            wi = build_windows(views, RATE_HZ, WINDOW, 3)
            parts.append(wi.gather(np.arange(len(wi))))
        w = np.concatenate(parts)
        out[name] = {"clips": len(seqs), "stride_hz": quartiles(freqs),
                     "rendered": window_stats(w),
                     "rendered_with_detector_errors": window_stats(
                         apply_detector_errors(w, rng, errors))}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bag", type=Path, default=Path("/tmp/har_ros_walkers/vtest_skeletons"),
                        help="vtest skeleton bag (python -m bench.bench_walkers builds it)")
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "train_utd.yaml")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "gait_stats.json")
    args = parser.parse_args(argv)
    if not args.bag.is_dir():
        print(f"no skeleton bag at {args.bag}: run python -m bench.bench_walkers first",
              file=sys.stderr)
        return 2
    windows, freqs = real_walkers(args.bag)
    result = {"command": "python -m bench.bench_gait_stats",
              "units": "speeds in body sizes per second (feature frame), stride range in body "
                       "sizes, frequencies in Hz; quartiles 25/50/75 %",
              "vtest_walkers": {"tracks": len(freqs), "stride_hz": quartiles(freqs),
                                **window_stats(windows)},
              "utd": utd_locomotion(args.config)}
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
