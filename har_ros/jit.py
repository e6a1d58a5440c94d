"""``njit``: numba compilation for the loops of :mod:`har_ros.features` and
:mod:`har_ros.lstm_kernel`, with the machine code cached on disk where possible.

numba caches beside the module (``__pycache__``), else in ``$NUMBA_CACHE_DIR`` or the user's
cache directory. Where none is writable (a read-only install run by a user without a home,
as hardened services are) numba refuses to decorate; we compile in memory at each start
instead (about 20 s) rather than fail to import.
"""

from __future__ import annotations

from collections.abc import Callable

import numba


def njit(**options) -> Callable[[Callable], Callable]:
    """``numba.njit(cache=True, **options)``, or without the cache when none is writable."""

    def wrap(fn: Callable) -> Callable:
        try:
            return numba.njit(cache=True, **options)(fn)
        except RuntimeError:  # "cannot cache function ...: no locator available for file ..."
            return numba.njit(cache=False, **options)(fn)

    return wrap
