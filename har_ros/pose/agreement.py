"""How far two pose estimates of the same frames agree (e.g. INT8 vs f32 networks).

People are matched per frame (Hungarian assignment) on the median pixel distance of the joints
both estimates found, relative to the person's size (the larger side of the reference
skeleton's joint bounding box); a pair further apart than :data:`MATCH_MAX_COST` is two
different people. Over all frames: people found by each, matched pairs, people found by one
and not the other, the share of joints found by both among the joints either found (per
matched pair) and the pixel distance between joints found by both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Largest median joint distance / person size for two skeletons to be one person.
MATCH_MAX_COST = 0.5
#: Smallest person size used for the relative cost (pixels): one or two found joints give a
#: degenerate bounding box.
MIN_SCALE_PX = 16.0


def _found(person: np.ndarray) -> np.ndarray:
    return person[:, 2] > 0


def _cost(ref: np.ndarray, other: np.ndarray) -> float:
    both = _found(ref) & _found(other)
    if not both.any():
        return np.inf
    pts = ref[_found(ref), :2]
    scale = max(float(np.ptp(pts, axis=0).max()), MIN_SCALE_PX)
    dist = np.linalg.norm(ref[both, :2] - other[both, :2], axis=1)
    return float(np.median(dist)) / scale


def match_people(ref: np.ndarray, other: np.ndarray) -> list[tuple[int, int]]:
    """Pairs (index in ``ref``, index in ``other``) of the same person; both (P, 18, 3)
    arrays of x, y (pixels), confidence (0 = joint not found)."""
    if len(ref) == 0 or len(other) == 0:
        return []
    from scipy.optimize import linear_sum_assignment

    cost = np.array([[_cost(r, o) for o in other] for r in ref])
    big = 1e6
    rows, cols = linear_sum_assignment(np.where(np.isfinite(cost), cost, big))
    return [(int(r), int(c)) for r, c in zip(rows, cols, strict=True)
            if cost[r, c] <= MATCH_MAX_COST]


@dataclass
class Agreement:
    """Accumulated agreement of ``other`` with ``ref`` over frames (see the module doc)."""

    frames: int = 0
    people_ref: int = 0
    people_other: int = 0
    matched: int = 0
    joints_both: int = 0
    joints_either: int = 0
    #: Pixel distance of every joint found by both in a matched pair.
    distances_px: list[float] = field(default_factory=list)

    def add(self, ref: np.ndarray, other: np.ndarray) -> None:
        """Add one frame: ``ref`` and ``other`` are (P, 18, 3) arrays of people."""
        self.frames += 1
        self.people_ref += len(ref)
        self.people_other += len(other)
        for i, j in match_people(ref, other):
            a, b = _found(ref[i]), _found(other[j])
            self.matched += 1
            self.joints_both += int((a & b).sum())
            self.joints_either += int((a | b).sum())
            self.distances_px += np.linalg.norm(ref[i, a & b, :2] - other[j, a & b, :2],
                                                axis=1).tolist()

    def summary(self) -> dict[str, float | int]:
        """frames, people per frame (ref, other; ratio other / ref), matched people, people
        only in ref / only in other, joints_found_by_both (share), joint distance median and
        p95 (pixels)."""
        d = np.asarray(self.distances_px) if self.distances_px else np.zeros(1)
        n = max(self.frames, 1)
        return {
            "frames": self.frames,
            "people_per_frame_ref": self.people_ref / n,
            "people_per_frame_other": self.people_other / n,
            "people_ratio": self.people_other / self.people_ref if self.people_ref else 1.0,
            "matched_people": self.matched,
            "only_in_ref": self.people_ref - self.matched,
            "only_in_other": self.people_other - self.matched,
            "joints_found_by_both": (self.joints_both / self.joints_either
                                     if self.joints_either else 1.0),
            "joint_distance_px_median": float(np.median(d)),
            "joint_distance_px_p95": float(np.percentile(d, 95)),
        }
