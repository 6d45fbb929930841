"""Spreading keep-alive connections evenly over ``payground serve``'s worker processes.

Why: gunicorn's threaded workers all wait on one listening socket, and whichever wakes first
accepts. A client that opens a few long-lived connections at once (a benchmark, a test
suite's HTTP session pool, a room of browsers) often lands all of them on one worker; that
worker keeps them for as long as they stay alive, and the other cores idle. Measured with
two workers and eight connections: sometimes 4 + 4, sometimes 8 + 0 at half the throughput.

How: the workers share a small table (an anonymous shared memory map the master creates
before forking) of each worker's open connections and a heartbeat. Before waiting for
events, a worker accepts new connections only while it holds no more than the least loaded
live sibling ("least connections", as load balancers do); otherwise it leaves the listening
socket to the others and checks again shortly. A sibling whose heartbeat is older than
``STALE_SECONDS`` (hung, or gone) does not count, so one stuck worker never stops the rest.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import struct
import time

from ..core.processes import alive

SLOT = struct.Struct("qqd")  # pid, open connections, heartbeat (time.monotonic, system-wide)
STALE_SECONDS = 2.0  # gunicorn's loop beats at least once a second
RECHECK_SECONDS = 0.01  # how soon a worker that stepped aside looks again


def should_accept(mine: int, others: list[int]) -> bool:
    """Whether a worker holding ``mine`` connections should accept the next one."""
    return not others or mine <= min(others)


class ConnectionTable:
    """Open connections per worker process, shared by every process forked after it."""

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._map = mmap.mmap(-1, SLOT.size * slots)  # MAP_SHARED | MAP_ANONYMOUS
        self._claiming = multiprocessing.Lock()

    def claim(self, pid: int) -> int | None:
        """A free slot for ``pid`` (one whose process is gone or stale), or None if full."""
        with self._claiming:
            now = time.monotonic()
            for slot in range(self.slots):
                owner, _, beat = self._read(slot)
                if owner == 0 or now - beat > STALE_SECONDS or not alive(owner):
                    self.update(slot, pid, 0)
                    return slot
        return None

    def update(self, slot: int, pid: int, connections: int) -> None:
        SLOT.pack_into(self._map, slot * SLOT.size, pid, connections, time.monotonic())

    def release(self, slot: int) -> None:
        SLOT.pack_into(self._map, slot * SLOT.size, 0, 0, 0.0)

    def others(self, slot: int) -> list[int]:
        """Open connections of every other live worker."""
        now = time.monotonic()
        counts = []
        for other in range(self.slots):
            if other == slot:
                continue
            owner, connections, beat = self._read(other)
            if owner and now - beat <= STALE_SECONDS:
                counts.append(connections)
        return counts

    def _read(self, slot: int) -> tuple[int, int, float]:
        return SLOT.unpack_from(self._map, slot * SLOT.size)


def balanced_worker_class(table: ConnectionTable):
    """gunicorn's threaded worker, balanced through ``table``; None on a gunicorn whose
    threaded worker lacks the hooks this relies on (its plain worker is used then)."""
    from gunicorn.workers.gthread import ThreadWorker

    if not all(hasattr(ThreadWorker, name)
               for name in ("wait_for_and_dispatch_events", "set_accept_enabled")):
        return None

    class BalancedThreadWorker(ThreadWorker):
        def init_process(self):
            self._slot = table.claim(os.getpid())
            super().init_process()  # runs the loop; returns when the worker stops

        def wait_for_and_dispatch_events(self, timeout):
            slot = getattr(self, "_slot", None)
            # Not while shutting down: the loop then drains connections, accepting none.
            if slot is not None and self.alive and self.nr_conns < self.worker_connections:
                table.update(slot, os.getpid(), self.nr_conns)
                fair = should_accept(self.nr_conns, table.others(slot))
                self.set_accept_enabled(fair)
                if not fair:
                    timeout = min(timeout, RECHECK_SECONDS)
            super().wait_for_and_dispatch_events(timeout)

    return BalancedThreadWorker
