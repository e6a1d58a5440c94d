"""How the default pose backend fails on real footage: misses, jitter, swaps, border cuts.

Run from the repository root: ``python -m bench.bench_pose_errors [--clips ...] [--step ...]``.
Runs :class:`har_ros.pose_pipeline.PosePipeline` (the ``openpose_mobilenet`` backend at the
pose node's defaults + the tracker) over real clips at their native resolution and measures,
per tracked person-frame, **without ground truth**: a "miss" is a joint the detector did not
output (confidence 0) and "jitter" is the frame-to-frame wobble left after removing smooth
motion; neither is an error against a true pose. Default clips: ../shared/data/video/
exercise.avi and seed_street.mp4, and OpenCV's vtest.avi (``har-ros demo`` fetches it; pass
``--vtest PATH`` for another copy). The extracted skeletons are cached as .npz under
``--cache`` so the backend runs once per clip and step.

Writes bench/results/pose_errors.json, docs/pose_errors.png and, with ``--model``, the
noise model har_ros/pose/openpose_mobilenet_errors.json read by har_ros.pose_noise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
VIDEO_DIR = ROOT.parent / "shared" / "data" / "video"
RESULTS = ROOT / "bench" / "results" / "pose_errors.json"
PLOT = ROOT / "docs" / "pose_errors.png"
MODEL = ROOT / "har_ros" / "pose" / "openpose_mobilenet_errors.json"
CACHE = Path("/tmp/har_ros_pose_errors")
COMMAND = "python -m bench.bench_pose_errors"


def default_clips(vtest: Path | None) -> list[tuple[Path, int, int]]:
    """(video, frame step, source frames used (0 = all)) of the default clips found here."""
    from har_ros.demo_assets import demo_video_path

    vtest = vtest or demo_video_path()
    clips = [(VIDEO_DIR / "exercise.avi", 1, 240), (VIDEO_DIR / "seed_street.mp4", 2, 0),
             (vtest, 2, 200)]
    return [c for c in clips if c[0].is_file()]


def extract(video: Path, step: int, cache: Path, max_frames: int = 0) -> dict[str, np.ndarray]:
    """Tracked skeletons of every ``step``-th of the first ``max_frames`` (0: all) frames of
    ``video`` (cached as .npz).

    Returns arrays ``frame`` (N,) source frame index, ``track`` (N,) track number,
    ``skeleton`` (N, 18, 3) pixels + confidence, ``size`` (2,) image width and height and
    ``fps`` (1,) the clip's frame rate (frames per second of the source).
    """
    import cv2

    from har_ros.frames import track_number
    from har_ros.pose_config import PoseNodeConfig
    from har_ros.pose_pipeline import CameraImage, PosePipeline

    path = cache / (f"{video.stem}_step{step}" + (f"_first{max_frames}" if max_frames else "")
                    + ".npz")
    if path.is_file():
        with np.load(path) as data:
            return {k: data[k] for k in data.files}
    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS) or 10.0
    total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    pipeline = PosePipeline(PoseNodeConfig())
    frames, tracks, skeletons = [], [], []
    size = (0, 0)
    index, t0 = 0, time.perf_counter()
    while True:
        ok, image = cap.read()
        if not ok or (max_frames and index >= max_frames):
            break
        if index % step == 0:
            size = (image.shape[1], image.shape[0])
            stamp_ns = int(round(index / fps * 1e9))
            (frame,) = pipeline.process([CameraImage("camera", image, stamp_ns)])
            for tid, skel in zip(frame.track_ids, frame.skeletons, strict=True):
                frames.append(index)
                tracks.append(track_number(tid))
                skeletons.append(skel)
            done = index // step + 1
            if done % 25 == 0:
                rate = (time.perf_counter() - t0) / done
                print(f"  {video.name}: frame {index}/{total} ({rate:.2f} s/frame)",
                      file=sys.stderr, flush=True)
        index += 1
    cap.release()
    pipeline.close()
    data = {
        "frame": np.asarray(frames, dtype=np.int32),
        "track": np.asarray(tracks, dtype=np.int32),
        "skeleton": (np.stack(skeletons) if skeletons else np.zeros((0, 18, 3))).astype(
            np.float32),
        "size": np.asarray(size, dtype=np.int32),
        "fps": np.asarray([fps / step], dtype=np.float64),
    }
    cache.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **data)
    return data


HEIGHT_BINS_PX = (80.0, 120.0, 200.0)
WINDOW_S = 2.0  # the action model's window (config/train_*.yaml window_s)
GROUPS: dict[str, tuple[str, ...]] = {
    "head (nose, eyes, ears)": ("nose", "r_eye", "l_eye", "r_ear", "l_ear"),
    "torso (neck, shoulders, hips)": ("neck", "r_shoulder", "l_shoulder", "r_hip", "l_hip"),
    "elbows": ("r_elbow", "l_elbow"),
    "wrists": ("r_wrist", "l_wrist"),
    "knees": ("r_knee", "l_knee"),
    "ankles": ("r_ankle", "l_ankle"),
}
SWAP_PAIRS = (("r_shoulder", "l_shoulder"), ("r_elbow", "l_elbow"), ("r_wrist", "l_wrist"),
              ("r_hip", "l_hip"), ("r_knee", "l_knee"), ("r_ankle", "l_ankle"))
SWAP_BETTER = 0.5    # swapped distance below this fraction of the unswapped one ...
SWAP_MARGIN = 0.05   # ... and smaller by at least this fraction of the person height
BORDER = 0.02        # a joint this close to an edge (fraction of the shorter image side)
MIN_WINDOWS = 10     # fewer whole windows in a height bin: split misses by the global share
MIN_PERSON_FRAMES = 50  # fewer person-frames in a height bin: its rates come from the nearest


def bin_labels(edges: tuple[float, ...] = HEIGHT_BINS_PX) -> list[str]:
    """'<80', '80-120', ..., '>200' for the height bins."""
    e = [f"{v:g}" for v in edges]
    return [f"<{e[0]}"] + [f"{a}-{b}" for a, b in zip(e, e[1:])] + [f">{e[-1]}"]


def runs(data: dict[str, np.ndarray], step: int) -> list[np.ndarray]:
    """Skeleton arrays (L, 18, 3) of each track's runs of consecutive processed frames."""
    out = []
    for tid in np.unique(data["track"]):
        rows = np.flatnonzero(data["track"] == tid)
        rows = rows[np.argsort(data["frame"][rows])]
        breaks = np.flatnonzero(np.diff(data["frame"][rows]) != step) + 1
        out += [data["skeleton"][r] for r in np.split(rows, breaks)]
    return out


def torso_ratio(skeletons: np.ndarray) -> float:
    """Median detected extent / neck-to-hip distance of people with head, neck, hip, ankle."""
    from har_ros.pose_noise import person_height_px
    from har_ros.skeleton import JOINT_INDEX

    present = skeletons[..., 2] > 0
    head = present[:, [JOINT_INDEX[n] for n in GROUPS["head (nose, eyes, ears)"]]].any(axis=1)
    full = head & present[:, JOINT_INDEX["neck"]] & (
        present[:, JOINT_INDEX["r_hip"]] | present[:, JOINT_INDEX["l_hip"]]) & (
        present[:, JOINT_INDEX["r_ankle"]] | present[:, JOINT_INDEX["l_ankle"]])
    if full.sum() < 20:
        return 0.0
    extent = person_height_px(skeletons[full])
    hip = np.where(present[full, JOINT_INDEX["r_hip"], None] & present[full, JOINT_INDEX["l_hip"],
                                                                       None],
                   (skeletons[full, JOINT_INDEX["r_hip"], :2]
                    + skeletons[full, JOINT_INDEX["l_hip"], :2]) / 2,
                   np.where(present[full, JOINT_INDEX["r_hip"], None],
                            skeletons[full, JOINT_INDEX["r_hip"], :2],
                            skeletons[full, JOINT_INDEX["l_hip"], :2]))
    torso = np.linalg.norm(skeletons[full, JOINT_INDEX["neck"], :2] - hip, axis=-1)
    ok = torso > 1
    return float(np.median(extent[ok] / torso[ok]))


class Stats:
    """Counters over all clips, per height bin (axis 0) and joint (axis 1) where it applies."""

    def __init__(self, nbins: int) -> None:
        from har_ros.skeleton import NUM_JOINTS

        z = lambda: np.zeros((nbins, NUM_JOINTS))  # noqa: E731
        self.frames, self.missed = np.zeros(nbins), z()
        self.windows, self.window_missed = np.zeros(nbins), z()
        self.flicker_frames, self.flicker_missed = z(), z()
        self.persistent_missed, self.windowed_missed = 0, 0
        self.residuals: list[list[list[float]]] = [[[] for _ in range(NUM_JOINTS)]
                                                   for _ in range(nbins)]
        self.swap_tested = np.zeros(len(SWAP_PAIRS))
        self.swap_found = np.zeros(len(SWAP_PAIRS))
        self.border_frames, self.border_missed = 0, np.zeros(NUM_JOINTS)
        self.inner_frames, self.inner_missed = 0, np.zeros(NUM_JOINTS)


def measure_clip(data: dict[str, np.ndarray], step: int, ratio: float, st: Stats) -> dict:
    """Add one clip's person-frames to ``st``; returns the clip's summary row."""
    from har_ros.pose_noise import person_height_px
    from har_ros.skeleton import JOINT_INDEX

    edges = np.asarray(HEIGHT_BINS_PX)
    sk = data["skeleton"]
    width, height_img = (int(v) for v in data["size"])
    fps = float(data["fps"][0])
    missing = sk[..., 2] <= 0
    h = person_height_px(sk, ratio)
    k = np.searchsorted(edges, h, side="right")
    np.add.at(st.frames, k, 1)
    np.add.at(st.missed, k, missing)
    margin = max(4.0, BORDER * min(width, height_img))
    present = ~missing
    x, y = sk[..., 0], sk[..., 1]
    near = present & ((x < margin) | (y < margin) | (x > width - 1 - margin)
                      | (y > height_img - 1 - margin))
    border = near.any(axis=1)
    st.border_frames += int(border.sum())
    st.border_missed += missing[border].sum(axis=0)
    st.inner_frames += int((~border).sum())
    st.inner_missed += missing[~border].sum(axis=0)
    wlen = max(3, int(round(WINDOW_S * fps)))
    pairs = np.array([[JOINT_INDEX[a], JOINT_INDEX[b]] for a, b in SWAP_PAIRS])
    for run in runs(data, step):
        rh = person_height_px(run, ratio)
        rmiss = run[..., 2] <= 0
        for s in range(0, len(run) - wlen + 1, max(1, wlen // 4)):
            wm = rmiss[s:s + wlen]
            kb = int(np.searchsorted(edges, np.median(rh[s:s + wlen]), side="right"))
            whole = wm.all(axis=0)
            st.windows[kb] += 1
            st.window_missed[kb] += whole
            st.flicker_frames[kb] += np.where(whole, 0, wlen)
            st.flicker_missed[kb] += np.where(whole, 0, wm.sum(axis=0))
            st.persistent_missed += int(whole.sum()) * wlen
            st.windowed_missed += int(wm.sum())
        if len(run) >= 3:
            ok3 = ~rmiss[:-2] & ~rmiss[1:-1] & ~rmiss[2:]
            second = (run[:-2, :, :2] - 2 * run[1:-1, :, :2] + run[2:, :, :2]) / np.sqrt(6)
            mid_h = rh[1:-1]
            for t, j in zip(*np.nonzero(ok3 & (mid_h[:, None] > 0))):
                kb = int(np.searchsorted(edges, mid_h[t], side="right"))
                st.residuals[kb][j] += list(second[t, j] / mid_h[t])
        if len(run) >= 2:
            a, b = run[:-1], run[1:]
            for p, (rj, lj) in enumerate(pairs):
                ok = ~rmiss[:-1, rj] & ~rmiss[:-1, lj] & ~rmiss[1:, rj] & ~rmiss[1:, lj]
                keep = (np.linalg.norm(b[:, rj, :2] - a[:, rj, :2], axis=1)
                        + np.linalg.norm(b[:, lj, :2] - a[:, lj, :2], axis=1))
                swap = (np.linalg.norm(b[:, rj, :2] - a[:, lj, :2], axis=1)
                        + np.linalg.norm(b[:, lj, :2] - a[:, rj, :2], axis=1))
                found = ok & (swap < SWAP_BETTER * keep) & (keep - swap > SWAP_MARGIN * rh[1:])
                st.swap_tested[p] += ok.sum()
                st.swap_found[p] += found.sum()
    return {
        "frames_processed": int(len(np.unique(data["frame"]))),
        "person_frames": int(len(sk)),
        "tracks": int(len(np.unique(data["track"]))),
        "image_size": [width, height_img],
        "processed_fps": round(fps, 3),
        "window_frames": wlen,
        "person_height_px_median": round(float(np.median(h)), 1) if len(h) else None,
    }


def clip_summary(st: Stats) -> dict:
    """One clip's headline numbers over all height bins (the bins mix clips: see the docs)."""
    from har_ros.skeleton import JOINT_INDEX

    miss = st.missed.sum(axis=0) / max(st.frames.sum(), 1)
    res = [v for per_bin in st.residuals for per_joint in per_bin for v in per_joint]
    return {
        "person_frames_per_bin": st.frames.astype(int).tolist(),
        "miss_rate_group": {g: round(float(miss[[JOINT_INDEX[n] for n in names]].mean()), 4)
                            for g, names in GROUPS.items()},
        "jitter_sigma_fraction_of_height": round(robust_sigma(res), 4),
        "swap_rate_per_frame_pair_mean": round(float(
            st.swap_found.sum() / max(st.swap_tested.sum(), 1)), 4),
        "persistent_fraction_of_misses": round(st.persistent_missed
                                               / max(st.windowed_missed, 1), 4),
    }


def robust_sigma(values: list[float]) -> float:
    """1.4826 x median absolute value: the standard deviation of a Gaussian core."""
    return float(1.4826 * np.median(np.abs(values))) if values else float("nan")


def nearest_filled(table: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Rows of ``table`` where ``ok`` is False replaced by the nearest row where it is True;
    also the source row of each."""
    good = np.flatnonzero(ok)
    if good.size == 0:
        raise SystemExit("no height bin has enough data for the noise model")
    src = [int(good[np.argmin(np.abs(good - i))]) for i in range(len(table))]
    return table[src], src


def summarise(st: Stats, clips: dict, ratio: float) -> tuple[dict, dict]:
    """(results for bench/results/pose_errors.json, the noise model's JSON object)."""
    from har_ros.pose_noise import FORMAT
    from har_ros.skeleton import JOINT_INDEX, JOINT_NAMES, NUM_JOINTS

    labels = bin_labels()
    nb = len(labels)
    miss = st.missed / np.maximum(st.frames, 1)[:, None]
    p_window = st.window_missed / np.maximum(st.windows, 1)[:, None]
    p_frame = st.flicker_missed / np.maximum(st.flicker_frames, 1)
    group_idx = {g: [JOINT_INDEX[n] for n in names] for g, names in GROUPS.items()}
    jitter_group = np.full((nb, len(GROUPS)), np.nan)
    jitter_count = np.zeros((nb, len(GROUPS)), dtype=int)
    jitter_p95 = np.full((nb, len(GROUPS)), np.nan)
    for kb in range(nb):
        for gi, idx in enumerate(group_idx.values()):
            vals = [v for j in idx for v in st.residuals[kb][j]]
            jitter_count[kb, gi] = len(vals)
            if len(vals) >= 20:
                jitter_group[kb, gi] = robust_sigma(vals)
                jitter_p95[kb, gi] = float(np.percentile(np.abs(vals), 95))
    swap_rate = st.swap_found / np.maximum(st.swap_tested, 1)
    eyes_ears = {n: float(1 - st.missed[:, JOINT_INDEX[n]].sum() / max(st.frames.sum(), 1))
                 for n in ("nose", "r_eye", "l_eye", "r_ear", "l_ear")}
    eyes_ears_by_bin = {n: [round(float(1 - miss[kb, JOINT_INDEX[n]]), 4) for kb in range(nb)]
                        for n in eyes_ears}
    border_frac = st.border_frames / max(st.border_frames + st.inner_frames, 1)
    border_miss = st.border_missed / max(st.border_frames, 1)
    inner_miss = st.inner_missed / max(st.inner_frames, 1)
    persistent = st.persistent_missed / max(st.windowed_missed, 1)
    r4 = lambda a: np.round(np.asarray(a, dtype=float), 4).tolist()  # noqa: E731
    results = {
        "note": "no ground truth: a miss is a joint the detector did not output (confidence 0), "
                "jitter the frame-to-frame wobble left after removing smooth motion",
        "command": COMMAND,
        "backend": "openpose_mobilenet (PoseNodeConfig defaults) + tracker",
        "clips": clips,
        "height_bins_px": labels,
        "torso_ratio": round(ratio, 3),
        "person_frames_per_bin": st.frames.astype(int).tolist(),
        "miss_rate": {n: r4(miss[:, j]) for j, n in enumerate(JOINT_NAMES)},
        "miss_rate_group": {g: r4(miss[:, idx].mean(axis=1)) for g, idx in group_idx.items()},
        "windows_per_bin": st.windows.astype(int).tolist(),
        "window_s": WINDOW_S,
        "miss_window": {n: r4(p_window[:, j]) for j, n in enumerate(JOINT_NAMES)},
        "miss_frame": {n: r4(p_frame[:, j]) for j, n in enumerate(JOINT_NAMES)},
        "persistent_fraction_of_misses": round(float(persistent), 4),
        "jitter_sigma_fraction_of_height": {g: r4(jitter_group[:, gi])
                                            for gi, g in enumerate(GROUPS)},
        "jitter_abs_p95_fraction_of_height": {g: r4(jitter_p95[:, gi])
                                              for gi, g in enumerate(GROUPS)},
        "jitter_samples": {g: jitter_count[:, gi].tolist() for gi, g in enumerate(GROUPS)},
        "swap_rate_per_frame_pair": {f"{a}/{b}": round(float(r), 5)
                                     for (a, b), r in zip(SWAP_PAIRS, swap_rate, strict=True)},
        "swap_tested": st.swap_tested.astype(int).tolist(),
        "border": {
            "margin_fraction_of_shorter_side": BORDER,
            "person_frames_touching_fraction": round(float(border_frac), 4),
            "miss_rate_touching": {n: round(float(border_miss[j]), 4)
                                   for j, n in enumerate(JOINT_NAMES)},
            "miss_rate_not_touching": {n: round(float(inner_miss[j]), 4)
                                       for j, n in enumerate(JOINT_NAMES)},
        },
        "head_detection_rate": {n: round(v, 4) for n, v in eyes_ears.items()},
        "head_detection_rate_by_bin": eyes_ears_by_bin,
    }
    # Bins with too few whole windows split their measured per-frame miss rate with the
    # persistent share measured over all windows; bins with too few person-frames copy the
    # nearest bin.
    ok = st.windows >= MIN_WINDOWS
    split_w = np.where(ok[:, None], p_window, persistent * miss)
    split_f = np.where(ok[:, None], p_frame,
                       (miss - split_w) / np.maximum(1 - split_w, 1e-9))
    enough = ok | (st.frames >= MIN_PERSON_FRAMES)
    mw, src = nearest_filled(split_w, enough)
    mf, _ = nearest_filled(split_f, enough)
    jit = np.zeros((nb, NUM_JOINTS))
    for gi, idx in enumerate(group_idx.values()):
        col, _ = nearest_filled(jitter_group[:, gi], np.isfinite(jitter_group[:, gi]))
        jit[:, idx] = col[:, None]
    model = {
        "format": FORMAT,
        "backend": "openpose_mobilenet",
        "command": COMMAND,
        "note": results["note"] + "; measured on " + ", ".join(
            f"{c['name']} ({c['person_frames']} person-frames)" for c in clips.values()),
        "joints": list(JOINT_NAMES),
        "height_bins_px": list(HEIGHT_BINS_PX),
        "bin_source": src,
        "bin_split": ["measured" if o else "global persistent share" for o in ok],
        "window_s": WINDOW_S,
        "torso_ratio": round(ratio, 3),
        "miss_window": r4(mw),
        "miss_frame": r4(mf),
        "jitter": r4(jit),
        "swap_pairs": [list(p) for p in SWAP_PAIRS],
        "swap_frame": [round(float(r) / 2, 5) for r in swap_rate],
    }
    return results, model


def plot(results: dict, path: Path) -> Path:
    """Miss rate and jitter against person height, one line per joint group."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = results["height_bins_px"]
    x = np.arange(len(labels))
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for g, rates in results["miss_rate_group"].items():
        a1.plot(x, rates, marker="o", label=g)
    for g, sig in results["jitter_sigma_fraction_of_height"].items():
        a2.plot(x, sig, marker="o", label=g)
    counts = results["person_frames_per_bin"]
    for ax in (a1, a2):
        ax.set_xticks(x, [f"{lab}\n(n={c})" for lab, c in zip(labels, counts, strict=True)])
        ax.set_xlabel("person height (px), person-frames")
        ax.grid(alpha=0.3)
    a1.set_ylabel("miss rate (confidence 0)")
    a1.set_ylim(0, 1)
    a1.set_title("openpose_mobilenet misses vs person height")
    a2.set_ylabel("jitter sigma / person height")
    a2.set_title("jitter (2nd difference / sqrt 6, robust)")
    a1.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def markdown(results: dict) -> str:
    """The main numbers as markdown tables (for docs/pose_errors.md)."""
    labels = results["height_bins_px"]
    head = "| | " + " | ".join(labels) + " |\n|---|" + "---|" * len(labels)
    lines = ["Miss rate per joint group (person-frames per bin in the last row):", "", head]
    for g, rates in results["miss_rate_group"].items():
        lines.append(f"| {g} | " + " | ".join(f"{r:.2f}" for r in rates) + " |")
    lines.append("| person-frames | " + " | ".join(map(str, results["person_frames_per_bin"]))
                 + " |")
    lines += ["", "Jitter sigma as % of person height:", "", head]
    for g, sig in results["jitter_sigma_fraction_of_height"].items():
        lines.append(f"| {g} | " + " | ".join("-" if s != s else f"{100 * s:.2f}" for s in sig)
                     + " |")
    lines += ["", "| left/right pair | swaps per frame pair |", "|---|---|"]
    for p, r in results["swap_rate_per_frame_pair"].items():
        lines.append(f"| {p} | {100 * r:.2f} % |")
    b = results["border"]
    touching = 100 * b["person_frames_touching_fraction"]
    lines += ["", f"Person-frames touching the border: {touching:.1f} %",
              "", "| joint | miss touching | miss not touching |", "|---|---|---|"]
    for n, r in b["miss_rate_touching"].items():
        lines.append(f"| {n} | {r:.2f} | {b['miss_rate_not_touching'][n]:.2f} |")
    lines += ["", "| head joint | detected |", "|---|---|"]
    for n, r in results["head_detection_rate"].items():
        lines.append(f"| {n} | {100 * r:.1f} % |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vtest", type=Path, default=None, help="path of OpenCV's vtest.avi")
    parser.add_argument("--cache", type=Path, default=CACHE, help="folder of the .npz cache")
    parser.add_argument("--extract-only", action="store_true", help="only fill the cache")
    parser.add_argument("--model", action="store_true",
                        help=f"also write the noise model {MODEL.relative_to(ROOT)}")
    parser.add_argument("--only", nargs="*", default=None,
                        help="clip names containing these words (e.g. to extract in parallel)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    parser.add_argument("--plot", type=Path, default=PLOT, help="PNG of the height bins")
    args = parser.parse_args(argv)
    global COMMAND
    COMMAND = " ".join([COMMAND, *(sys.argv[1:] if argv is None else argv)])
    clips = [c for c in default_clips(args.vtest)
             if not args.only or any(word in c[0].name for word in args.only)]
    if not clips:
        print(f"no clip found under {VIDEO_DIR}; pass --vtest", file=sys.stderr)
        return 2
    extracted = []
    for video, step, first in clips:
        print(f"extracting {video.name} (every {step}. frame"
              + (f" of the first {first}" if first else "") + ") ...", file=sys.stderr, flush=True)
        data = extract(video, step, args.cache, first)
        print(f"  {len(data['frame'])} person-frames", file=sys.stderr)
        extracted.append((video, step, first, data))
    if args.extract_only:
        return 0
    ratio = torso_ratio(np.concatenate([d["skeleton"] for *_, d in extracted]))
    st = Stats(len(HEIGHT_BINS_PX) + 1)
    summary = {}
    for video, step, first, data in extracted:
        row = measure_clip(data, step, ratio, st)
        own = Stats(len(HEIGHT_BINS_PX) + 1)
        measure_clip(data, step, ratio, own)
        summary[video.name] = {"name": video.name, "step": step, "first_frames": first, **row,
                               **clip_summary(own)}
    results, model = summarise(st, summary, ratio)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    plot(results, args.plot)
    if args.model:
        MODEL.write_text(json.dumps(model, indent=1) + "\n")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    sys.exit(main())
