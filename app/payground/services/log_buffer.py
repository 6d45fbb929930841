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

So a process always reads its own rows. Under several worker processes (``serve --workers N``)
the buffers also count, in memory the workers share (:class:`WorkerProgress`), the rows each
has queued and written; a reader waits until every row queued anywhere before it started is
written, so it lists a request another worker answered just before.
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

from ..core.processes import alive
from ..extensions import writer_connection, writer_lock
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
        self.progress: WorkerProgress | None = None  # set by `serve` for several workers
        self._slot: tuple[int, int] | None = None  # (pid, slot) in progress
        _flusher.watch(self)

    def add(self, row: dict[str, Any]) -> None:
        """Queue one row from ``logs.request_log_row``."""
        with self._lock:
            first = not self._rows
            if first:
                self._oldest = time.monotonic()
            self._rows.append(row)
            full = len(self._rows) >= MAX_BATCH
        if self.progress is not None:
            self.progress.queued(self._progress_slot())
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

    def _written(self, count: int) -> None:
        """``count`` rows are out of the buffer for good: written, or lost to an error (a
        reader must not wait for them)."""
        if self.progress is not None and count:
            self.progress.written(self._progress_slot(), count)

    def _progress_slot(self) -> int:
        # Claimed in the process that uses it: a forked worker gets a slot of its own.
        pid = os.getpid()
        if self._slot is None or self._slot[0] != pid:
            self._slot = (pid, self.progress.claim())
        return self._slot[1]

    def wait_for_other_workers(self, timeout: float) -> None:
        """Wait (at most ``timeout`` s) until every row the other worker processes had queued
        is written: their flushers write each within ``delay``. Not for this process's own
        rows: the reader writes those itself (``flush``), at once."""
        if self.progress is not None:
            self.progress.wait_for_rows_queued_now(timeout, skip=self._progress_slot())

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
        self._written(len(rows))  # committed with the caller's transaction, which follows

    def flush(self) -> None:
        """Write every waiting row now, in one transaction of its own.

        On SQLite this queues on the writer lock even with nothing to write, so that a
        transaction of this process that took rows along has committed before the caller
        reads the log.
        """
        # One flush at a time: a caller that must see every row written (a reader, a test
        # tearing its app down) waits for the flusher thread's batch to be committed.
        with self._flushing:
            if not self.has_rows:  # no connection to check out: the lock alone will do
                with writer_lock(self.engine):
                    return
            with writer_connection(self.engine) as raw:
                rows = self.take()
                if not rows:  # taken by a transaction meanwhile (piggyback)
                    return
                try:
                    logs.write_request_logs(self.engine, rows, raw)
                except Exception:  # noqa: BLE001 - a log failure never fails anything else
                    log.warning("could not write %d request log rows", len(rows), exc_info=True)
                self._written(len(rows))

    def flush_before_exit(self) -> None:
        """Write the waiting rows, and wait for a batch the flusher thread is writing: the
        process ends when this returns, and that thread's write would end with it."""
        if self._rows or self._flushing.locked():
            self.flush()

    def discard(self) -> None:
        """Forget the rows (a forked child: its parent owns and writes them)."""
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._rows = []  # still queued in the parent's slot of `progress`: it writes them


class WorkerProgress:
    """How many request-log rows each worker process of one server has queued and written,
    in shared memory made before the workers are forked.

    Each process counts in a slot of its own. A reader notes every live process's queued
    count and waits until each has written that many: then every request answered before the
    read is listed, whichever worker answered it. A process that died with rows unwritten is
    not waited for (its rows are lost, README), and its slot is reused.
    """

    SLOTS = 64  # workers, plus those restarted over a server's life; more share the last
    POLL = 0.002  # s between looks while waiting: rows are written within ``delay``

    def __init__(self) -> None:
        import multiprocessing

        # Per slot: pid, queued, written. One lock for all (a few per request at most).
        self._counts = multiprocessing.Array("q", 3 * self.SLOTS)

    def claim(self) -> int:
        pid = os.getpid()
        with self._counts.get_lock():
            for slot in range(self.SLOTS):
                owner = self._counts[3 * slot]
                if owner == 0 or not alive(owner):
                    self._counts[3 * slot:3 * slot + 3] = [pid, 0, 0]
                    return slot
        return self.SLOTS - 1

    def queued(self, slot: int, count: int = 1) -> None:
        with self._counts.get_lock():
            self._counts[3 * slot + 1] += count

    def written(self, slot: int, count: int) -> None:
        with self._counts.get_lock():
            self._counts[3 * slot + 2] += count

    def wait_for_rows_queued_now(self, timeout: float, skip: int | None = None) -> None:
        """Wait until every slot but ``skip`` has written the rows it has queued now."""
        deadline = time.monotonic() + timeout
        with self._counts.get_lock():
            waiting = {slot: (self._counts[3 * slot], self._counts[3 * slot + 1])
                       for slot in range(self.SLOTS)
                       if slot != skip
                       and self._counts[3 * slot + 2] < self._counts[3 * slot + 1]}
        while waiting and time.monotonic() < deadline:
            time.sleep(self.POLL)
            with self._counts.get_lock():
                waiting = {slot: (pid, queued) for slot, (pid, queued) in waiting.items()
                           if self._counts[3 * slot] == pid
                           and self._counts[3 * slot + 2] < queued}
            waiting = {slot: seen for slot, seen in waiting.items() if alive(seen[0])}


class _Flusher:
    """One daemon thread per process writing every buffer's rows once they are ``delay`` old."""

    def __init__(self) -> None:
        # Copy-on-write, read without a lock: the thread reads the buffers while create_app
        # in another thread adds one. (A WeakSet raised "Set changed size during iteration"
        # there, and the thread died: no row was written until the process ended.)
        self._buffers: tuple[weakref.ref[LogBuffer], ...] = ()
        self._adding = threading.Lock()  # two apps made at once must not lose one
        self._wakeup = threading.Condition()
        self._thread: threading.Thread | None = None
        self._wakes_at = math.inf  # when the thread's current wait ends (monotonic)
        self._pid = os.getpid()

    def watch(self, buffer: LogBuffer) -> None:
        with self._adding:  # the hooks too: two first apps at once would register them twice
            _register_process_hooks()
            self._buffers = (*(ref for ref in self._buffers if ref() is not None),
                             weakref.ref(buffer))

    def buffers(self) -> list[LogBuffer]:
        """The live buffers, now (a snapshot: later additions do not disturb its reader)."""
        return [buffer for buffer in (ref() for ref in self._buffers) if buffer is not None]

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
        """Every buffer's last rows, at exit. One that cannot be written (its database gone)
        must not cost the others theirs: each is tried, a failure is a warning through the
        scrubbing logger (atexit would print the traceback to stderr, and stop there)."""
        for buffer in self.buffers():
            waiting = len(buffer._rows)
            try:
                buffer.flush_before_exit()
            except Exception as exc:  # noqa: BLE001 - the next buffer's rows still count
                log.warning("could not write %d request log rows at exit: %s", waiting,
                            type(exc).__name__, exc_info=True)

    def after_fork_in_child(self) -> None:
        self._adding = threading.Lock()  # another thread may have held it at the fork
        self._wakeup = threading.Condition()
        self._thread = None
        self._wakes_at = math.inf
        self._pid = os.getpid()
        for buffer in self.buffers():
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
                waiting = [b for b in self.buffers() if b.has_rows]
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
            # Not kept through the next wait, which may last: they would keep an app's engine.
            del waiting, buffer


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
