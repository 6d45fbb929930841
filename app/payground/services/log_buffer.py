"""Request-log rows written in batches, not one transaction per request.

Writing each request's row in its own transaction cost a second trip through SQLite's single
writer lock and a second COMMIT per request: a fifth of create-charge throughput with two
workers (bench/RESULTS.md). Rows now wait in a per-process buffer and reach the database:

- inside the next write transaction this process commits on SQLite (``piggyback``, called by
  ``http.request_log.piggyback_on_commit``: the rows ride along in a transaction that holds
  the writer lock anyway, no extra COMMIT);
- otherwise within ``REQUEST_LOG_FLUSH_MS`` (50 ms by default), from one flusher thread per
  process, in one transaction per batch;
- at once, before this process reads the log (``flush``), when a batch is full, and when the
  process exits (``atexit``, or multiprocessing's finalizers in a multiprocessing child).

So a process always reads its own rows; another worker's rows appear within the flush delay.
``REQUEST_LOG_FLUSH_MS=0`` writes every row at once, in its own transaction, as before.
A row is lost only if the process dies before flushing it, or the database refuses the batch
(logged as a warning: a log failure never fails a request).
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import threading
import time
import weakref
from typing import Any

from ..extensions import writer_lock
from . import logs

log = logging.getLogger("payground")

MAX_BATCH = 500  # a full batch is written by the request that filled it


class LogBuffer:
    """Request-log rows of one app (one engine) waiting to be written."""

    def __init__(self, engine, delay: float) -> None:
        self.engine = engine
        self.delay = delay
        self._rows: list[dict[str, Any]] = []
        self._oldest = 0.0
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        _flusher.watch(self)

    def add(self, row: dict[str, Any]) -> None:
        """Queue one row from ``logs.request_log_row``."""
        with self._lock:
            first = not self._rows
            if first:
                self._oldest = time.monotonic()
            self._rows.append(row)
            full = len(self._rows) >= MAX_BATCH
        if full:
            self.flush()
        elif first:
            _flusher.wake(self._oldest + self.delay)

    @property
    def has_rows(self) -> bool:
        return bool(self._rows)

    def due(self, now: float) -> bool:
        return bool(self._rows) and now - self._oldest >= self.delay

    def take(self) -> list[dict[str, Any]]:
        with self._lock:
            rows, self._rows = self._rows, []
        return rows

    def piggyback(self, dbapi_connection) -> None:
        """Write the waiting rows inside the caller's open SQLite write transaction."""
        rows = self.take()
        if not rows:
            return
        sql, params = logs.request_log_insert(self.engine.dialect, rows)
        try:
            cursor = dbapi_connection.cursor()
            cursor.executemany(sql, params)
            cursor.close()
        except self.engine.dialect.loaded_dbapi.Error:
            # On SQLite a failed statement leaves the transaction as it was: the request's
            # own writes still commit, only these rows are lost.
            log.warning("could not write %d request log rows", len(rows), exc_info=True)

    def flush(self) -> None:
        """Write every waiting row now, in one transaction of its own.

        On SQLite this queues on the writer lock even with nothing to write, so that a
        transaction of this process that took rows along has committed before the caller
        reads the log.
        """
        # One flush at a time: a caller that must see every row written (a reader, a test
        # tearing its app down) waits for the flusher thread's batch to be committed.
        with self._flushing, writer_lock(self.engine):
            rows = self.take()
            if not rows:
                return
            try:
                logs.write_request_logs(self.engine, rows)
            except Exception:  # noqa: BLE001 - a log failure never fails anything else
                log.warning("could not write %d request log rows", len(rows), exc_info=True)

    def discard(self) -> None:
        """Forget the rows (a forked child: its parent owns and writes them)."""
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._rows = []


class _Flusher:
    """One daemon thread per process writing every buffer's rows once they are ``delay`` old."""

    def __init__(self) -> None:
        self._buffers: weakref.WeakSet[LogBuffer] = weakref.WeakSet()
        self._wakeup = threading.Condition()
        self._thread: threading.Thread | None = None
        self._wakes_at = math.inf  # when the thread's current wait ends (monotonic)
        self._pid = os.getpid()

    def watch(self, buffer: LogBuffer) -> None:
        if not self._buffers:
            _register_process_hooks()
        self._buffers.add(buffer)

    def wake(self, due: float) -> None:
        """A buffer's rows are due at ``due`` (monotonic): make sure the thread wakes by then.

        The thread is notified only if it would wake later (it is idle, or waiting for a
        buffer with a longer delay): a notify costs the request a GIL hand-off, and under
        load the thread is already in a timed wait that ends in time.
        """
        if self._thread is None or self._pid != os.getpid():
            self._start()
        with self._wakeup:
            if due < self._wakes_at:
                self._wakeup.notify()

    def flush_all(self) -> None:
        for buffer in list(self._buffers):
            if buffer.has_rows:
                buffer.flush()

    def after_fork_in_child(self) -> None:
        self._wakeup = threading.Condition()
        self._thread = None
        self._wakes_at = math.inf
        self._pid = os.getpid()
        for buffer in list(self._buffers):
            buffer.discard()

    def _start(self) -> None:
        self._pid = os.getpid()
        _flush_when_a_multiprocessing_child_exits()
        self._thread = threading.Thread(target=self._run, name="payground-log-flusher",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            with self._wakeup:
                waiting = [b for b in list(self._buffers) if b.has_rows]
                if not waiting:
                    self._wakes_at = math.inf
                    self._wakeup.wait()
                    continue
                now = time.monotonic()
                if not any(b.due(now) for b in waiting):
                    self._wakes_at = min(b._oldest + b.delay for b in waiting)
                    self._wakeup.wait(self._wakes_at - now)
                    continue
                self._wakes_at = now  # flushing: a new row is picked up on the next pass
            for buffer in waiting:
                if buffer.due(time.monotonic()):
                    try:
                        buffer.flush()
                    except Exception:  # noqa: BLE001 - the thread must outlive any one app
                        log.warning("request log flush failed", exc_info=True)


_flusher = _Flusher()
flush_all = _flusher.flush_all
_hooks_registered = False


def _flush_when_a_multiprocessing_child_exits() -> None:
    """A multiprocessing child (granian's workers are) leaves through ``os._exit``: ``atexit``
    never runs there, multiprocessing's finalizers do. Registered when the child's flusher
    starts, since a child clears the finalizers it inherited before it runs its target."""
    import multiprocessing

    if multiprocessing.parent_process() is not None:
        from multiprocessing.util import Finalize

        Finalize(None, flush_all, exitpriority=10)


def _register_process_hooks() -> None:
    """Once per process, when the first buffer is made (not at import)."""
    global _hooks_registered
    if _hooks_registered:
        return
    _hooks_registered = True
    atexit.register(flush_all)
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_flusher.after_fork_in_child)
