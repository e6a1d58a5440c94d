"""Per-track sliding windows on the model's time base, for online (live or replayed) input.

Each (camera, track) keeps its recent raw observations (stamp, skeleton). When the newest
observation is at least one stride after the last classified window and the buffer spans a
whole window, the window ending at the newest stamp is resampled onto the model's rate with
the same code as training (:func:`har_ros.resample.resample_skeletons`). Stamps are the
source images' acquisition times in seconds.

Until a whole window is buffered, a window is produced once ``min_fill`` of it is (the missing
start is padded with the first observation, as training pads short clips), so short actions
and fresh tracks get a decision sooner. Time policy (docs/time_policy.md): a duplicate stamp,
or one older than the track's newest by up to ``gap_reset_s``, is dropped and counted; a stamp
older by more than that is a backwards jump of the source clock (bag loop, clock reset) and
restarts the track's window from it (counted); a gap longer than ``gap_reset_s`` forward
restarts the window too; a track is forgotten when its newest stamp is ``forget_after_s``
behind the newest stamp seen, or when nothing arrived for it for ``forget_after_s`` of node
time. Each buffer holds at most one window of time, so memory is bounded.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

import numpy as np

from har_ros.config_help import check_number, default_of
from har_ros.decisions import DecisionConfig
from har_ros.errors import ConfigError
from har_ros.resample import resample_skeletons

#: Longest gap (s) a joint is interpolated across in a live track's window: bridges a pose
#: node running at 2 fps or more. (Training resamples dataset clips with
#: ``har_ros.resample.DEFAULT_MAX_GAP_S``, the training config's ``max_gap_s``.)
LIVE_MAX_GAP_S = 0.5


@dataclass(frozen=True)
class WindowSpec:
    """Window geometry from the model checkpoint: frames at ``rate_hz`` (Hz)."""

    window_frames: int
    stride_frames: int
    rate_hz: float
    max_gap_s: float = LIVE_MAX_GAP_S
    gap_reset_s: float = default_of(DecisionConfig, "gap_reset_s")
    forget_after_s: float = 3.0
    min_coverage: float = 0.5
    min_fill: float = 0.5

    @property
    def window_s(self) -> float:
        """Time from the first to the last frame of a window (s)."""
        return (self.window_frames - 1) / self.rate_hz

    @property
    def stride_s(self) -> float:
        return self.stride_frames / self.rate_hz

    def validate(self) -> WindowSpec:
        """Raise ConfigError naming the setting and its allowed range; return self if valid.

        The window is bounded like a checkpoint's (2..10000 frames, stride 1..10000, rate
        (0, 1000] Hz) so no setting can make a buffer too large to allocate.
        """
        check_number("window_frames", self.window_frames, 2, 10000, integer=True)
        check_number("stride_frames", self.stride_frames, 1, 10000, integer=True)
        check_number("rate_hz", self.rate_hz, 0, 1000, low_open=True)
        check_number("max_gap_s", self.max_gap_s, 0, 60, hint="seconds")
        check_number("gap_reset_s", self.gap_reset_s, 0, 3600, low_open=True, hint="seconds")
        check_number("forget_after_s", self.forget_after_s, 0, 86400, low_open=True,
                     hint="seconds")
        if self.gap_reset_s <= self.max_gap_s:
            raise ConfigError(
                f"gap_reset_s ({self.gap_reset_s}) must exceed max_gap_s ({self.max_gap_s})"
            )
        check_number("min_coverage", self.min_coverage, 0, 1, low_open=True)
        check_number("min_window_fill", self.min_fill, 0, 1, low_open=True)
        return self


@dataclass
class ReadyWindow:
    """A window ready for the classifier."""

    key: Hashable
    window: np.ndarray  # (window_frames, 18, 3) pixels at spec.rate_hz
    start_s: float
    end_s: float
    start_ns: int | None = None  # exact stamps when observe() was given stamp_ns
    end_ns: int | None = None


@dataclass
class _Buffer:
    stamps: deque[float] = field(default_factory=deque)
    stamps_ns: deque[int | None] = field(default_factory=deque)
    skeletons: deque[np.ndarray] = field(default_factory=deque)
    last_classified_s: float = float("-inf")
    arrived_s: float | None = None  # node time (s) of the newest accepted observation

    def restart(self) -> None:
        self.stamps.clear()
        self.stamps_ns.clear()
        self.skeletons.clear()
        self.last_classified_s = float("-inf")


class TrackWindows:
    """Sliding windows for many tracks; not thread-safe (call from one thread)."""

    def __init__(self, spec: WindowSpec) -> None:
        self.spec = spec.validate()
        self._buffers: dict[Hashable, _Buffer] = {}
        self.dropped_out_of_order = 0
        self.resets = 0
        self.jumps_back = 0

    def __len__(self) -> int:
        return len(self._buffers)

    def observe(self, key: Hashable, stamp_s: float, skeleton: np.ndarray,
                stamp_ns: int | None = None, now_s: float | None = None) -> ReadyWindow | None:
        """Add one observation of track ``key`` (source stamp ``stamp_s``, s); return a window
        when one is due.

        ``stamp_ns`` (the exact integer stamp of ``stamp_s``) makes the window's start and end
        stamps exact in the result. ``now_s`` is the node time of arrival (s), used to forget
        tracks that stopped receiving (:meth:`forget_stale`).

        Returns None while warming up, between strides, and for dropped observations.
        """
        spec = self.spec
        buf = self._buffers.setdefault(key, _Buffer())
        if buf.stamps and stamp_s <= buf.stamps[-1]:
            if buf.stamps[-1] - stamp_s <= spec.gap_reset_s:
                self.dropped_out_of_order += 1
                return None
            buf.restart()  # the source clock jumped back (bag loop, clock reset)
            self.jumps_back += 1
        elif buf.stamps and stamp_s - buf.stamps[-1] > spec.gap_reset_s:
            buf.restart()
            self.resets += 1
        if now_s is not None:
            buf.arrived_s = now_s
        buf.stamps.append(stamp_s)
        buf.stamps_ns.append(stamp_ns)
        buf.skeletons.append(np.asarray(skeleton, dtype=np.float32))
        horizon = stamp_s - spec.window_s - spec.max_gap_s
        while len(buf.stamps) > 1 and buf.stamps[1] <= horizon:
            buf.stamps.popleft()
            buf.stamps_ns.popleft()
            buf.skeletons.popleft()
        first = buf.stamps[0]
        if stamp_s - first < spec.min_fill * spec.window_s - 1e-6:
            return None  # not enough of a window yet
        if stamp_s - buf.last_classified_s < spec.stride_s - 1e-6:
            return None
        grid = stamp_s - np.arange(spec.window_frames - 1, -1, -1) / spec.rate_hz
        # a partly filled window starts with copies of the first observation, as training
        # pads clips shorter than a window
        window, _ = resample_skeletons(
            np.stack(buf.skeletons), np.fromiter(buf.stamps, float), spec.rate_hz,
            max_gap_s=spec.max_gap_s, out_stamps_s=np.maximum(grid, first),
        )
        if (window[..., 2] > 0).any(axis=1).mean() < spec.min_coverage:
            return None  # mostly empty frames (long dropouts inside the window)
        buf.last_classified_s = stamp_s
        padded = grid[0] < first
        start_ns = None
        if stamp_ns is not None:
            start_ns = (buf.stamps_ns[0] if padded
                        else stamp_ns - int(round(spec.window_s * 1e9)))
        return ReadyWindow(key=key, window=window, start_s=max(float(grid[0]), first),
                           end_s=stamp_s, start_ns=start_ns, end_ns=stamp_ns)

    def keys(self) -> set[Hashable]:
        """The tracks currently buffered."""
        return set(self._buffers)

    def is_warming_up(self, key: Hashable) -> bool:
        """True while ``key`` has observations but never produced a window."""
        buf = self._buffers.get(key)
        return buf is not None and buf.last_classified_s == float("-inf")

    def forget_stale(self, newest_stamp_s: float, now_s: float | None = None,
                     same_clock: Callable[[Hashable], bool] | None = None) -> list[Hashable]:
        """Forget tracks whose newest stamp is more than ``forget_after_s`` behind
        ``newest_stamp_s`` (source clock, s; only tracks for which ``same_clock(key)`` is true
        when given, i.e. stamped by the same clock), or (given the node time ``now_s``, s)
        that got no observation for more than ``forget_after_s`` of node time. A node clock
        that went back (replay restarted with /clock) counts arrivals from the new now on."""
        limit = self.spec.forget_after_s
        gone = []
        for k, b in self._buffers.items():
            if now_s is not None and b.arrived_s is not None and b.arrived_s > now_s:
                b.arrived_s = now_s
            by_stamp = same_clock is None or same_clock(k)
            if (not b.stamps or (by_stamp and newest_stamp_s - b.stamps[-1] > limit)
                    or (now_s is not None and b.arrived_s is not None
                        and now_s - b.arrived_s > limit)):
                gone.append(k)
        for k in gone:
            del self._buffers[k]
        return gone
