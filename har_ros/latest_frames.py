"""Real-time frame policy: keep only the newest unprocessed item per camera.

Callbacks ``put`` frames as they arrive; the inference worker ``take_all`` and processes one
batch. A frame that is replaced before the worker took it is counted as dropped, so latency
never grows with a queue, and the count says how much the node could not keep up with.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any


class LatestFrameSlots:
    """One slot per camera holding its newest unprocessed item (thread-safe)."""

    def __init__(self) -> None:
        self._slots: dict[Hashable, Any] = {}
        self._dropped: dict[Hashable, int] = {}
        self._cond = threading.Condition()
        self._closed = False

    def put(self, camera: Hashable, item: Any) -> bool:
        """Store ``item`` as ``camera``'s newest frame; True if an unprocessed one was dropped."""
        with self._cond:
            dropped = camera in self._slots
            if dropped:
                self._dropped[camera] = self._dropped.get(camera, 0) + 1
            self._slots[camera] = item
            self._cond.notify()
            return dropped

    def take_all(self, timeout_s: float | None = None) -> dict[Hashable, Any]:
        """Wait up to ``timeout_s`` for at least one frame; return and clear all slots."""
        with self._cond:
            if not self._slots and not self._closed:
                self._cond.wait(timeout=timeout_s)
            items, self._slots = self._slots, {}
            return items

    def dropped(self, camera: Hashable) -> int:
        """How many of ``camera``'s frames were replaced before being processed."""
        with self._cond:
            return self._dropped.get(camera, 0)

    def close(self) -> None:
        """Wake any waiting worker (used at shutdown)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
