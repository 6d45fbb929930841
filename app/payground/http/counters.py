"""This process's rate-limit counters, when no ``REDIS_URL`` shares them between workers.

Why not ``limits``' ``MemoryStorage``, as before: importing anything from ``limits`` runs its
package, which loads its asyncio, memcached, MongoDB and Redis storages too (~16 ms). The log-in
throttle reads a counter on every sign-up and log-in, rate limits or not, so each worker paid
that on its first one - with ``payground serve``, the first sign-up after start-up. This does
what ``MemoryStorage`` did for the calls ``RateLimiter`` makes (the same expiry rule), without
its timer thread either (a new thread after every 10 ms without a count, to drop expired keys).
``limits`` is still what counts in Redis.
"""

from __future__ import annotations

import threading
import time

# Expired counters are dropped when read, and all of them at most this often when one is
# counted: each window has its own key, so an old window's is never read again.
_SWEEP_EVERY = 60.0  # seconds


class MemoryCounters:
    """Counters that expire: ``incr``, ``get`` and ``check`` as ``limits``' storages have them."""

    def __init__(self) -> None:
        self._counts: dict[str, list[float]] = {}  # key -> [count, expires at (monotonic)]
        self._lock = threading.Lock()
        self._next_sweep = time.monotonic() + _SWEEP_EVERY

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add ``amount``; a counter that this brings from 0 expires ``expiry`` seconds on
        (``MemoryStorage``'s rule: later counts do not extend it)."""
        now = time.monotonic()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            entry = self._live(key, now)
            if entry is None:
                entry = self._counts[key] = [0, now]
            entry[0] += amount
            if entry[0] == amount:
                entry[1] = now + expiry
            return int(entry[0])

    def get(self, key: str) -> int:
        with self._lock:
            entry = self._live(key, time.monotonic())
            return 0 if entry is None else int(entry[0])

    def check(self) -> bool:
        """Whether the store answers (this one always does)."""
        return True

    def _live(self, key: str, now: float) -> list[float] | None:
        entry = self._counts.get(key)
        if entry is not None and entry[1] <= now:
            del self._counts[key]
            return None
        return entry

    def _sweep(self, now: float) -> None:
        for key in [k for k, (_, expires) in self._counts.items() if expires <= now]:
            del self._counts[key]
        self._next_sweep = now + _SWEEP_EVERY
