"""OpenPose part grouping: heatmap peaks + part affinity fields (PAFs) -> COCO-18 people.

Implements the bottom-up grouping of Cao et al., "Realtime Multi-Person 2D Pose Estimation using
Part Affinity Fields" (CVPR 2017) in numpy:

1. peaks of each part heatmap (Gaussian smoothing, 3x3 non-maximum suppression, threshold);
2. every candidate limb between two part peaks is scored by a line integral of its PAF (the mean
   projection of the field onto the limb direction at evenly spaced samples);
3. per limb type, candidates are accepted greedily by score, each part used at most once;
4. limbs sharing a part are chained into people, starting from the neck; people with too few
   parts or a low mean score are dropped.

Maps are (H, W, C) arrays that cover the whole input image at any resolution; positions are
converted to pixels of the input image (origin top-left, pixel centres at integer coordinates).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from har_ros.errors import ConfigError, InputError
from har_ros.skeleton import NUM_JOINTS

#: (part_a, part_b, paf_x_channel, paf_y_channel) in OpenPose's order: the neck first, so that
#: people grow outward from the torso; the last two (ear-shoulder) never start a new person.
PAF_LIMBS: tuple[tuple[int, int, int, int], ...] = (
    (1, 2, 12, 13), (1, 5, 20, 21), (2, 3, 14, 15), (3, 4, 16, 17), (5, 6, 22, 23),
    (6, 7, 24, 25), (1, 8, 0, 1), (8, 9, 2, 3), (9, 10, 4, 5), (1, 11, 6, 7), (11, 12, 8, 9),
    (12, 13, 10, 11), (1, 0, 28, 29), (0, 14, 30, 31), (14, 16, 34, 35), (0, 15, 32, 33),
    (15, 17, 36, 37), (2, 16, 18, 19), (5, 17, 26, 27),
)
#: Limbs from this index on only attach parts to existing people (redundant ear-shoulder links).
_FIRST_REDUNDANT_LIMB = 17
NUM_PAF_CHANNELS = 38


@dataclass(frozen=True)
class PafParams:
    """Thresholds of the grouping; defaults follow OpenPose's reference implementation.

    ``smooth_sigma`` is in pixels of the decoded maps (None: 3 px at full input resolution,
    scaled by ``map_scale`` given to :func:`decode`).
    """

    peak_threshold: float = 0.1
    smooth_sigma: float | None = None
    paf_samples: int = 10
    paf_sample_threshold: float = 0.05
    min_sample_fraction: float = 0.8
    min_parts: int = 4
    min_mean_score: float = 0.4

    def __post_init__(self) -> None:
        if not 0.0 < self.peak_threshold < 1.0:
            raise ConfigError(f"peak_threshold must be in (0, 1), got {self.peak_threshold}")
        if self.smooth_sigma is not None and self.smooth_sigma < 0:
            raise ConfigError(f"smooth_sigma must be >= 0 or None, got {self.smooth_sigma}")
        if self.paf_samples < 2:
            raise ConfigError(f"paf_samples must be >= 2, got {self.paf_samples}")
        if not 0.0 <= self.min_sample_fraction <= 1.0:
            raise ConfigError(
                f"min_sample_fraction must be in [0, 1], got {self.min_sample_fraction}"
            )
        if not 1 <= self.min_parts <= NUM_JOINTS:
            raise ConfigError(f"min_parts must be in 1..{NUM_JOINTS}, got {self.min_parts}")


def upsample_maps(net_output: np.ndarray, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """Split one (57, h, w) network output into heatmaps (H, W, 18) and PAFs (H, W, 38).

    Both are resized by ``factor`` with bicubic interpolation (factor 1: no resize).
    """
    if net_output.ndim != 3 or net_output.shape[0] < NUM_JOINTS + NUM_PAF_CHANNELS:
        raise InputError(f"expected a (57, h, w) OpenPose output, got {net_output.shape}")
    maps = np.ascontiguousarray(net_output.transpose(1, 2, 0), dtype=np.float32)
    if factor != 1:
        h, w = maps.shape[:2]
        size = (round(w * factor), round(h * factor))
        # cv2.resize handles at most 512 channels; 57 is fine.
        maps = cv2.resize(maps, size, interpolation=cv2.INTER_CUBIC)
    n_heat = net_output.shape[0] - NUM_PAF_CHANNELS
    return maps[..., :NUM_JOINTS], maps[..., n_heat:]


def find_peaks(
    heatmaps: np.ndarray, threshold: float, sigma: float
) -> list[np.ndarray]:
    """Local maxima of each part map: one (n, 3) array of x, y (map pixels), score per part.

    Positions are refined to sub-pixel precision by the centroid of the 3x3 neighbourhood of
    the smoothed map; the score is the unsmoothed map value at the peak, clipped to [0, 1].
    """
    n_parts = heatmaps.shape[2]
    smooth = heatmaps
    if sigma > 0:
        smooth = cv2.GaussianBlur(heatmaps, (0, 0), sigma)
        smooth = smooth.reshape(heatmaps.shape)
    padded = np.pad(smooth, ((1, 1), (1, 1), (0, 0)), constant_values=-np.inf)
    h, w = heatmaps.shape[:2]
    # 3x3 neighbourhood as 9 shifted views: (9, H, W, C).
    shifts = np.stack(
        [padded[dy : dy + h, dx : dx + w] for dy in range(3) for dx in range(3)]
    )
    is_peak = (smooth >= shifts.max(axis=0)) & (smooth > threshold)
    # Break exact ties on plateaus: a peak must beat its left and upper neighbours strictly.
    is_peak &= (smooth > shifts[3]) & (smooth > shifts[1])
    ys, xs, cs = np.nonzero(is_peak)
    neigh = np.maximum(shifts[:, ys, xs, cs], 0.0)  # (9, n); -inf padding -> 0
    weight = neigh.sum(axis=0)
    weight[weight <= 0] = 1.0
    offs = np.array([-1, 0, 1], dtype=np.float32)
    dx = (neigh * np.tile(offs, 3)[:, None]).sum(axis=0) / weight
    dy = (neigh * np.repeat(offs, 3)[:, None]).sum(axis=0) / weight
    score = np.clip(heatmaps[ys, xs, cs], 0.0, 1.0)
    peaks = np.stack([xs + dx, ys + dy, score], axis=1).astype(np.float32)
    order = np.argsort(cs, kind="stable")
    bounds = np.searchsorted(cs[order], np.arange(n_parts + 1))
    return [peaks[order[bounds[c] : bounds[c + 1]]] for c in range(n_parts)]


def score_limb(
    cand_a: np.ndarray,
    cand_b: np.ndarray,
    paf_x: np.ndarray,
    paf_y: np.ndarray,
    params: PafParams,
) -> np.ndarray:
    """Scores of every (a, b) candidate pair of one limb type; -inf where rejected.

    ``cand_a`` (na, >=2) and ``cand_b`` (nb, >=2) hold x, y in map pixels. Returns (na, nb): the
    mean PAF projection along the segment plus a penalty for segments longer than half the map
    height, or -inf when too few samples agree with the segment's direction.
    """
    h, w = paf_x.shape
    delta = cand_b[None, :, :2] - cand_a[:, None, :2]  # (na, nb, 2)
    norm = np.linalg.norm(delta, axis=2)
    unit = delta / np.maximum(norm, 1e-6)[..., None]
    t = np.linspace(0.0, 1.0, params.paf_samples, dtype=np.float32)
    pts = cand_a[:, None, None, :2] + t[None, None, :, None] * delta[:, :, None, :]
    xi = np.clip(np.rint(pts[..., 0]).astype(np.intp), 0, w - 1)
    yi = np.clip(np.rint(pts[..., 1]).astype(np.intp), 0, h - 1)
    proj = paf_x[yi, xi] * unit[..., None, 0] + paf_y[yi, xi] * unit[..., None, 1]
    mean = proj.mean(axis=2) + np.minimum(0.5 * h / np.maximum(norm, 1e-6) - 1.0, 0.0)
    agree = (proj > params.paf_sample_threshold).mean(axis=2)
    ok = (agree >= params.min_sample_fraction) & (mean > 0) & (norm > 0)
    return np.where(ok, mean, -np.inf)


def _greedy_pairs(scores: np.ndarray) -> list[tuple[int, int, float]]:
    """Accept (a, b) pairs by decreasing score, each a and each b at most once."""
    flat = np.argsort(scores, axis=None)[::-1]
    na, nb = scores.shape
    used_a = np.zeros(na, bool)
    used_b = np.zeros(nb, bool)
    pairs: list[tuple[int, int, float]] = []
    for idx in flat:
        s = scores.flat[idx]
        if not np.isfinite(s):
            break
        a, b = divmod(int(idx), nb)
        if used_a[a] or used_b[b]:
            continue
        used_a[a] = used_b[b] = True
        pairs.append((a, b, float(s)))
        if len(pairs) == min(na, nb):
            break
    return pairs


def group_people(
    peaks: list[np.ndarray], pafs: np.ndarray, params: PafParams
) -> list[tuple[np.ndarray, float]]:
    """Chain scored limbs into people.

    Returns a list of (parts, score): ``parts`` (18,) holds for each joint the row index into
    ``peaks[joint]`` or -1; ``score`` is the sum of part and limb scores.
    """
    people: list[np.ndarray] = []  # each: (18,) candidate index per joint, -1 if none
    totals: list[float] = []
    for k, (a, b, cx, cy) in enumerate(PAF_LIMBS):
        cand_a, cand_b = peaks[a], peaks[b]
        if len(cand_a) == 0 or len(cand_b) == 0:
            continue
        scores = score_limb(cand_a, cand_b, pafs[..., cx], pafs[..., cy], params)
        for ia, ib, s in _greedy_pairs(scores):
            with_a = [i for i, p in enumerate(people) if p[a] == ia]
            with_b = [i for i, p in enumerate(people) if p[b] == ib]
            if with_a and with_b:
                ja, jb = with_a[0], with_b[0]
                if ja == jb:
                    continue
                pa, pb = people[ja], people[jb]
                if np.any((pa >= 0) & (pb >= 0)):
                    continue  # the two partial people conflict: keep them apart
                people[ja] = np.where(pa >= 0, pa, pb)
                totals[ja] += totals[jb] + s
                del people[jb], totals[jb]
            elif with_a:
                j = with_a[0]
                if people[j][b] < 0:
                    people[j][b] = ib
                    totals[j] += float(cand_b[ib, 2]) + s
            elif with_b:
                j = with_b[0]
                if people[j][a] < 0:
                    people[j][a] = ia
                    totals[j] += float(cand_a[ia, 2]) + s
            elif k < _FIRST_REDUNDANT_LIMB:
                parts = np.full(NUM_JOINTS, -1, dtype=np.intp)
                parts[a], parts[b] = ia, ib
                people.append(parts)
                totals.append(float(cand_a[ia, 2] + cand_b[ib, 2]) + s)
    result = []
    for parts, total in zip(people, totals):
        count = int((parts >= 0).sum())
        if count >= params.min_parts and total / count >= params.min_mean_score:
            result.append((parts, total))
    return result


def decode(
    heatmaps: np.ndarray,
    pafs: np.ndarray,
    image_size: tuple[int, int],
    params: PafParams | None = None,
    map_scale: float = 1.0,
) -> np.ndarray:
    """Group part heatmaps and PAFs of one image into people.

    ``heatmaps`` (H, W, >=18) and ``pafs`` (H, W, 38) cover the whole image; ``image_size`` is
    (width, height) of the input image in pixels; ``map_scale`` is the map resolution relative
    to the input (e.g. 0.25 for a stride-8 output upsampled 2x); it only sets the default
    smoothing. Returns (P, 18, 3) float32: x, y in input-image pixels and confidence in [0, 1];
    missing joints are all zeros. People are sorted by decreasing grouping score.
    """
    params = params or PafParams()
    if heatmaps.ndim != 3 or heatmaps.shape[2] < NUM_JOINTS:
        raise InputError(f"heatmaps must be (H, W, >=18), got {heatmaps.shape}")
    if pafs.shape != heatmaps.shape[:2] + (NUM_PAF_CHANNELS,):
        expected = heatmaps.shape[:2] + (NUM_PAF_CHANNELS,)
        raise InputError(f"pafs must be {expected}, got {pafs.shape}")
    sigma = params.smooth_sigma if params.smooth_sigma is not None else 3.0 * map_scale
    heat = np.ascontiguousarray(heatmaps[..., :NUM_JOINTS], dtype=np.float32)
    peaks = find_peaks(heat, params.peak_threshold, sigma)
    people = group_people(peaks, np.asarray(pafs, dtype=np.float32), params)
    people.sort(key=lambda item: -item[1])
    h, w = heat.shape[:2]
    sx, sy = image_size[0] / w, image_size[1] / h
    out = np.zeros((len(people), NUM_JOINTS, 3), dtype=np.float32)
    for p, (parts, _) in enumerate(people):
        for j in np.flatnonzero(parts >= 0):
            x, y, s = peaks[j][parts[j]]
            out[p, j] = ((x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5, s)
    detected = out[..., 2] > 0
    out[..., 0] = np.where(detected, np.clip(out[..., 0], 0, image_size[0] - 1), 0)
    out[..., 1] = np.where(detected, np.clip(out[..., 1], 0, image_size[1] - 1), 0)
    return out
