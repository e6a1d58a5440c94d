"""Multi-person tracking of COCO-18 skeletons for one camera (no ROS).

Each :meth:`Tracker.update` takes the people found in one frame and returns them with a track id
that stays the same while the person is followed. Detections are matched to tracks with the
Hungarian method (``scipy.optimize.linear_sum_assignment``) on a cost that is the mean distance
of the joints both skeletons have, divided by the person's size (the diagonal of the joints'
bounding box); a track's skeleton is first moved by its estimated velocity to the detection's
time. Tracks seen in at least 3 frames are matched first, then younger ones (a matching
cascade), so a short-lived duplicate cannot take over an established person. Pairs whose cost
exceeds ``max_cost`` are not matched. A track not seen for more than ``max_age_s`` seconds is
dropped; a detection that matches no track gets a new id. Ids are never reused by one tracker.

Coordinates are image pixels (origin top-left); times are seconds (e.g. the image stamp).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from har_ros.errors import ConfigError, InputError
from har_ros.jit import njit
from har_ros.skeleton import NECK, NUM_JOINTS

_INF_COST = 1e6
_MAX_FRAGMENT_JOINTS = 6
_ESTABLISHED_HITS = 3  # tracks matched this often are matched before younger ones
_DUPLICATE_COST = 0.1  # pose_distance below which two tracks are taken as one person


@dataclass(frozen=True)
class TrackerConfig:
    """Tracker settings; invalid values raise ConfigError naming what to change.

    - ``max_age_s``: seconds a track survives without a detection (brief occlusions).
    - ``max_cost``: gate on the matching cost (mean joint distance / person size).
    - ``min_joint_confidence``: joints below this confidence are ignored.
    - ``min_joints``: people with fewer usable joints are ignored.
    - ``roi``: (x0, y0, x1, y1) pixels; people whose neck (or joint centre when the neck is
      missing) lies outside are dropped. None: the whole image.
    - ``max_people``: keep at most this many people per frame, the most prominent by bounding
      box area times score; 0 or None means no limit.
    - ``drop_fragments``: drop a detection with at most 6 joints, all inside the bounding box
      (grown by 10 % of its size) of another detection with at least twice as many joints:
      bottom-up estimators sometimes emit a stray arm or head of a person as an extra person.
    - ``min_size_px``: lower bound of the person size used to normalise distances.
    - ``velocity_smoothing``: weight of the newest velocity estimate in [0, 1] (0: no motion
      prediction).
    """

    max_age_s: float = 1.0
    max_cost: float = 0.5
    min_joint_confidence: float = 0.05
    min_joints: int = 3
    roi: tuple[float, float, float, float] | None = None
    max_people: int | None = 0
    drop_fragments: bool = True
    min_size_px: float = 20.0
    velocity_smoothing: float = 0.5

    def __post_init__(self) -> None:
        if not self.max_age_s >= 0:
            raise ConfigError(f"max_age_s must be >= 0 seconds, got {self.max_age_s}")
        if not self.max_cost > 0:
            raise ConfigError(f"max_cost must be > 0, got {self.max_cost}")
        if not 0 <= self.min_joint_confidence < 1:
            raise ConfigError(
                f"min_joint_confidence must be in [0, 1), got {self.min_joint_confidence}"
            )
        if not 1 <= self.min_joints <= NUM_JOINTS:
            raise ConfigError(f"min_joints must be in 1..{NUM_JOINTS}, got {self.min_joints}")
        if self.roi is not None:
            if len(self.roi) != 4 or not all(np.isfinite(v) for v in self.roi):
                raise ConfigError(f"roi must be (x0, y0, x1, y1) in pixels, got {self.roi}")
            x0, y0, x1, y1 = self.roi
            if not (x1 > x0 and y1 > y0):
                raise ConfigError(f"roi must have x1 > x0 and y1 > y0, got {self.roi}")
        if self.max_people is not None and (
            not isinstance(self.max_people, (int, np.integer)) or self.max_people < 0
        ):
            raise ConfigError(
                f"max_people must be an integer >= 0 (0 or None: no limit), got {self.max_people}"
            )
        if not self.min_size_px > 0:
            raise ConfigError(f"min_size_px must be > 0 pixels, got {self.min_size_px}")
        if not 0 <= self.velocity_smoothing <= 1:
            raise ConfigError(
                f"velocity_smoothing must be in [0, 1], got {self.velocity_smoothing}"
            )


@dataclass
class Track:
    """One tracked person as returned by :meth:`Tracker.update`.

    ``skeleton`` is the latest (18, 3) detection (pixels, confidence); ``score`` the mean
    confidence of its detected joints; times in seconds.
    """

    track_id: int
    skeleton: np.ndarray
    score: float
    first_seen_s: float
    last_seen_s: float
    hits: int = 1
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2, dtype=np.float32))


def _valid(skeletons: np.ndarray, min_conf: float) -> np.ndarray:
    """(..., 18) mask of usable joints."""
    conf = skeletons[..., 2]
    return np.isfinite(skeletons[..., :2]).all(axis=-1) & np.isfinite(conf) & (conf > min_conf)


def _box_size(skeletons: np.ndarray, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounding-box diagonal and area (pixels) of the valid joints of each (P, 18, 3)."""
    big = np.float32(1e9)
    x = skeletons[..., 0]
    y = skeletons[..., 1]
    w = np.where(valid, x, -big).max(axis=1) - np.where(valid, x, big).min(axis=1)
    h = np.where(valid, y, -big).max(axis=1) - np.where(valid, y, big).min(axis=1)
    w = np.maximum(w, 0)
    h = np.maximum(h, 0)
    return np.hypot(w, h), w * h


def _anchor(skeletons: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(P, 2) neck position, or the mean of the valid joints when the neck is missing."""
    count = np.maximum(valid.sum(axis=1, keepdims=True), 1)
    centre = (skeletons[..., :2] * valid[..., None]).sum(axis=1) / count
    return np.where(valid[:, NECK, None], skeletons[:, NECK, :2], centre)


class Tracker:
    """Assigns stable ids to the people of successive frames of one camera."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.config = config or TrackerConfig()
        self._tracks: list[Track] = []
        self._next_id = 1
        self._last_stamp: float | None = None

    @property
    def tracks(self) -> list[Track]:
        """All live tracks, including those not seen in the last frame."""
        return list(self._tracks)

    def reset(self) -> None:
        """Forget all tracks (ids keep counting up: they are never reused)."""
        self._tracks = []
        self._last_stamp = None

    def select(self, people: np.ndarray) -> np.ndarray:
        """Drop people with too few joints, outside the ROI, or beyond ``max_people``."""
        cfg = self.config
        if len(people) == 0:
            return people
        valid = _valid(people, cfg.min_joint_confidence)
        keep = valid.sum(axis=1) >= cfg.min_joints
        if cfg.roi is not None:
            x0, y0, x1, y1 = cfg.roi
            anchor = _anchor(people, valid)
            keep &= (anchor[:, 0] >= x0) & (anchor[:, 0] <= x1)
            keep &= (anchor[:, 1] >= y0) & (anchor[:, 1] <= y1)
        people, valid = people[keep], valid[keep]
        if cfg.drop_fragments and len(people) > 1:
            keep = ~_fragments(people, valid)
            people, valid = people[keep], valid[keep]
        if cfg.max_people and len(people) > cfg.max_people:
            _, area = _box_size(people, valid)
            prominence = area * _scores(people, valid)
            order = np.argsort(-prominence, kind="stable")[: cfg.max_people]
            people = people[np.sort(order)]
        return people

    def update(self, people: np.ndarray, stamp_s: float) -> list[Track]:
        """Match the (P, 18, 3) people of one frame taken at ``stamp_s`` seconds to tracks.

        Returns snapshots of the tracks seen in this frame, in the order of the kept
        detections (people dropped by :meth:`select` are not returned). A stamp
        earlier than the previous one (e.g. a replayed recording) resets the tracker.
        Raises InputError for a malformed array or stamp.
        """
        people = np.asarray(people, dtype=np.float32)
        if people.size == 0:
            people = people.reshape(0, NUM_JOINTS, 3)
        if people.ndim != 3 or people.shape[1:] != (NUM_JOINTS, 3):
            raise InputError(f"people must be (P, {NUM_JOINTS}, 3), got {people.shape}")
        if not np.isfinite(stamp_s):
            raise InputError(f"stamp must be a finite number of seconds, got {stamp_s}")
        if self._last_stamp is not None and stamp_s < self._last_stamp:
            self.reset()
        self._last_stamp = stamp_s
        cfg = self.config
        self._tracks = [t for t in self._tracks if stamp_s - t.last_seen_s <= cfg.max_age_s]
        people = self.select(people)
        valid = _valid(people, cfg.min_joint_confidence)
        scores = _scores(people, valid)
        cost = self._cost(people, stamp_s)
        assigned: dict[int, Track] = {}
        # Matching cascade: established tracks choose first, then the young ones.
        established = np.array([t.hits >= _ESTABLISHED_HITS for t in self._tracks], dtype=bool)
        for stage in (established, ~established):
            rows_left = np.flatnonzero(stage)
            cols_left = np.array([d for d in range(len(people)) if d not in assigned], dtype=int)
            if len(rows_left) == 0 or len(cols_left) == 0:
                continue
            sub = cost[np.ix_(rows_left, cols_left)]
            for r, c in zip(*linear_sum_assignment(sub)):
                if sub[r, c] <= cfg.max_cost:
                    assigned[int(cols_left[c])] = self._tracks[int(rows_left[r])]
        if assigned:
            self._advance(assigned, people, valid, scores, stamp_s)
        seen: list[Track] = []
        for d in range(len(people)):
            track = assigned.get(d)
            if track is None:
                track = Track(self._next_id, people[d].copy(), float(scores[d]), stamp_s, stamp_s)
                self._next_id += 1
                self._tracks.append(track)
            seen.append(track)
        self._drop_duplicates(seen, stamp_s)
        # snapshots, built directly (dataclasses.replace costs 3x as much)
        return [Track(t.track_id, t.skeleton.copy(), t.score, t.first_seen_s, t.last_seen_s,
                      t.hits, t.velocity) for t in seen]

    def _predicted(self, stamp_s: float, tracks: list[Track] | None = None) -> np.ndarray:
        """(T, 18, 3) skeletons of ``tracks`` (default: all) moved by their velocity."""
        tracks = self._tracks if tracks is None else tracks
        skel = np.stack([t.skeleton for t in tracks]).copy()
        dt = np.array([stamp_s - t.last_seen_s for t in tracks], dtype=np.float32)
        vel = np.stack([t.velocity for t in tracks])
        skel[..., :2] += (vel * dt[:, None])[:, None, :]
        return skel

    def _cost(self, people: np.ndarray, stamp_s: float) -> np.ndarray:
        """(tracks, detections) matching cost; _INF_COST above ``max_cost``."""
        if not self._tracks or len(people) == 0:
            return np.zeros((len(self._tracks), len(people)), dtype=np.float64)
        cfg = self.config
        cost = pose_distance(
            self._predicted(stamp_s), people, cfg.min_joint_confidence, cfg.min_size_px
        )
        return np.where(cost <= cfg.max_cost, cost, _INF_COST)

    def _drop_duplicates(self, seen: list[Track], stamp_s: float) -> None:
        """Forget young unseen tracks lying on a seen, older track: the same person twice.

        They arise when a person was briefly detected as two (a stray limb as an extra
        person); left alone they could take over the person's id later. Established tracks
        are kept: they may be people hidden behind someone else.
        """
        unseen = [
            t for t in self._tracks
            if t.hits < _ESTABLISHED_HITS and all(t is not s for s in seen)
        ]
        if not unseen or not seen:
            return
        cfg = self.config
        predicted = self._predicted(stamp_s, unseen)
        current = np.stack([t.skeleton for t in seen])
        dist = pose_distance(predicted, current, cfg.min_joint_confidence, cfg.min_size_px)
        older = np.array([[s.track_id < u.track_id for s in seen] for u in unseen])
        duplicate = ((dist <= _DUPLICATE_COST) & older).any(axis=1)
        drop = {id(t) for t, d in zip(unseen, duplicate) if d}
        self._tracks = [t for t in self._tracks if id(t) not in drop]

    def _advance(self, assigned: dict[int, Track], people: np.ndarray, valid: np.ndarray,
                 scores: np.ndarray, stamp_s: float) -> None:
        """Update the matched tracks (detection index -> track) with their new detections
        and velocity estimates (pixels/s), all tracks at once."""
        cfg = self.config
        det = np.fromiter(assigned, dtype=np.int64, count=len(assigned))
        tracks = [assigned[int(d)] for d in det]
        new = people[det]
        if cfg.velocity_smoothing > 0:
            old = np.stack([t.skeleton for t in tracks])
            v_old, v_new = _valid(old, cfg.min_joint_confidence), valid[det]
            both = v_old & v_new
            n_both = both.sum(axis=1)
            # mean displacement of the joints seen in both frames, else of the anchors
            moved = np.where(both[..., None], new[..., :2] - old[..., :2], 0.0).sum(axis=1)
            shift = moved / np.maximum(n_both, 1)[:, None]
            if (n_both == 0).any():
                shift = np.where((n_both > 0)[:, None], shift,
                                 _anchor(new, v_new) - _anchor(old, v_old))
            a = cfg.velocity_smoothing
            for t, s in zip(tracks, shift, strict=True):
                dt = stamp_s - t.last_seen_s
                if dt > 0:
                    t.velocity = ((1 - a) * t.velocity + a * s / dt).astype(np.float32)
        for t, d, skeleton in zip(tracks, det, new, strict=True):
            t.skeleton = skeleton  # a row of a fresh array (``people[det]`` copies)
            t.score = float(scores[d])
            t.last_seen_s = stamp_s
            t.hits += 1


def pose_distance(
    a: np.ndarray, b: np.ndarray, min_conf: float = 0.05, min_size_px: float = 20.0
) -> np.ndarray:
    """(A, B) mean distance of the joints two skeletons share, over the mean person size.

    Person size is the diagonal of the bounding box of a skeleton's joints (at least
    ``min_size_px``); with fewer than 2 shared joints the neck (or joint centre) is compared.
    Joints count when finite with confidence > ``min_conf``. Compiled loops (``har_ros.jit``):
    the tracker calls this twice per frame.
    """
    a = np.ascontiguousarray(a, dtype=np.float32).reshape(-1, NUM_JOINTS, 3)
    b = np.ascontiguousarray(b, dtype=np.float32).reshape(-1, NUM_JOINTS, 3)
    out = np.empty((a.shape[0], b.shape[0]), dtype=np.float64)
    _pose_distance(a, b, float(min_conf), float(min_size_px), out)
    return out


@njit(nogil=True, error_model="numpy")
def _pose_stats(s, min_conf):
    """Per skeleton of ``s`` (P, 18, 3): valid joints (P, 18), anchor (P, 2), box diagonal."""
    n_people, n_joints = s.shape[0], s.shape[1]
    valid = np.zeros((n_people, n_joints), np.bool_)
    anchor = np.zeros((n_people, 2))
    diag = np.zeros(n_people)
    for p in range(n_people):
        count, sx, sy = 0, 0.0, 0.0
        x0, x1, y0, y1 = np.inf, -np.inf, np.inf, -np.inf
        for j in range(n_joints):
            x, y, c = s[p, j, 0], s[p, j, 1], s[p, j, 2]
            if np.isfinite(x) and np.isfinite(y) and np.isfinite(c) and c > min_conf:
                valid[p, j] = True
                count += 1
                sx += x
                sy += y
                x0, x1, y0, y1 = min(x0, x), max(x1, x), min(y0, y), max(y1, y)
        if valid[p, NECK]:
            anchor[p, 0], anchor[p, 1] = s[p, NECK, 0], s[p, NECK, 1]
        else:
            anchor[p, 0], anchor[p, 1] = sx / max(count, 1), sy / max(count, 1)
        if count > 0:
            diag[p] = np.hypot(x1 - x0, y1 - y0)
    return valid, anchor, diag


@njit(nogil=True, error_model="numpy")
def _pose_distance(a, b, min_conf, min_size_px, out) -> None:
    va, anchor_a, diag_a = _pose_stats(a, min_conf)
    vb, anchor_b, diag_b = _pose_stats(b, min_conf)
    for i in range(a.shape[0]):
        for k in range(b.shape[0]):
            common, total = 0, 0.0
            for j in range(a.shape[1]):
                if va[i, j] and vb[k, j]:
                    common += 1
                    total += np.hypot(np.float64(a[i, j, 0]) - b[k, j, 0],
                                      np.float64(a[i, j, 1]) - b[k, j, 1])
            if common >= 2:
                mean = total / common
            else:
                mean = np.hypot(anchor_a[i, 0] - anchor_b[k, 0], anchor_a[i, 1] - anchor_b[k, 1])
            out[i, k] = mean / max((diag_a[i] + diag_b[k]) / 2.0, min_size_px)


def _fragments(people: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(P,) mask of detections that are stray pieces of a more complete detection."""
    big = np.float32(1e9)
    x, y = people[..., 0], people[..., 1]
    x0 = np.where(valid, x, big).min(axis=1)
    x1 = np.where(valid, x, -big).max(axis=1)
    y0 = np.where(valid, y, big).min(axis=1)
    y1 = np.where(valid, y, -big).max(axis=1)
    margin = 0.1 * np.hypot(x1 - x0, y1 - y0)
    count = valid.sum(axis=1)
    # inside[d, e]: every valid joint of d lies in e's grown box
    in_x = (x[:, None, :] >= (x0 - margin)[None, :, None]) & (
        x[:, None, :] <= (x1 + margin)[None, :, None]
    )
    in_y = (y[:, None, :] >= (y0 - margin)[None, :, None]) & (
        y[:, None, :] <= (y1 + margin)[None, :, None]
    )
    inside = ((in_x & in_y) | ~valid[:, None, :]).all(axis=2)
    smaller = (count[:, None] <= _MAX_FRAGMENT_JOINTS) & (2 * count[:, None] <= count[None, :])
    return (inside & smaller).any(axis=1)


def _scores(people: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Mean confidence of the valid joints of each person (0 when none)."""
    count = np.maximum(valid.sum(axis=1), 1)
    return (people[..., 2] * valid).sum(axis=1) / count
