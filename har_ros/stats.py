"""Small running statistics for diagnostics: counters and rolling percentiles."""

from __future__ import annotations

import threading
from collections import deque

import numpy as np


class RollingPercentiles:
    """Keeps the last ``size`` samples (e.g. milliseconds) and reports percentiles of them."""

    def __init__(self, size: int = 500) -> None:
        self._values: deque[float] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, value: float) -> None:
        with self._lock:
            self._values.append(float(value))

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile (0-100) of the kept samples; NaN when there are none."""
        with self._lock:
            if not self._values:
                return float("nan")
            return float(np.percentile(np.fromiter(self._values, float), q))

    def __len__(self) -> int:
        return len(self._values)


class Counters:
    """Named integer counters, thread-safe (frames in/out/dropped, bad messages, ...)."""

    def __init__(self, *names: str) -> None:
        self._counts = dict.fromkeys(names, 0)
        self._lock = threading.Lock()

    def inc(self, name: str, by: int = 1) -> None:
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + by

    def get(self, name: str) -> int:
        with self._lock:
            return self._counts.get(name, 0)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)
