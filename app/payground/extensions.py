"""Extensions created unbound here and attached to an app in ``create_app``."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from weakref import WeakKeyDictionary

from flask import g, has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


# Objects stay loaded after commit: a view dumps what it just wrote without a second SELECT.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def configure_sqlite(engine) -> None:
    """WAL, a busy timeout, and write transactions that take the write lock up front.

    pysqlite's own BEGIN is deferred: two requests that read a charge and then refund it
    would both read first and one would fail with SQLITE_BUSY at its first write. Starting
    every transaction of a write request with ``BEGIN IMMEDIATE`` serialises writers (readers
    carry on under WAL) - the SQLite counterpart of PostgreSQL's ``SELECT ... FOR UPDATE``.

    Writers queue on a :class:`WriterLock` before ``BEGIN IMMEDIATE``: SQLite's busy handler
    makes a waiting writer *sleep* (1, 2, 5 ... 100 ms) and retry, so under load most of a
    write request's time was spent asleep while the lock was free.
    """
    lock = WriterLock(_lock_path(engine))
    _writer_locks[engine] = lock

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        # Only a new, empty database takes it (before WAL mode); older homes keep theirs.
        cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")
        # WAL mode is written into the file: only a new database or Payground's own takes it,
        # never another application's (which ``migrations.upgrade`` then refuses, untouched).
        if cursor.execute(_NEW_OR_OURS).fetchone()[0]:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        dbapi_connection = connection.connection.dbapi_connection
        if not _writing():
            try:
                dbapi_connection.execute("BEGIN")
            except Exception as exc:
                raise _wrapped(exc, "BEGIN", engine) from exc
            return
        info = connection.connection.info
        info[_HOLDS_LOCK] = lock.acquire()
        try:
            dbapi_connection.execute("BEGIN IMMEDIATE")
        except Exception as exc:
            _release(info, lock)
            raise _wrapped(exc, "BEGIN IMMEDIATE", engine) from exc

    # COMMIT and ROLLBACK are issued here, before the lock is released, so the next writer
    # never starts while this transaction is still ending; pysqlite's own commit()/rollback()
    # then find no transaction and do nothing.
    @event.listens_for(engine, "commit")
    def _on_commit(connection):
        _end(connection, "COMMIT", lock, engine)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection):
        _end(connection, "ROLLBACK", lock, engine)

    # A connection invalidated or reset by the pool never reaches commit/rollback above.
    @event.listens_for(engine.pool, "reset")
    def _on_reset(_dbapi_connection, connection_record, _reset_state):
        _release(connection_record.info, lock)

    @event.listens_for(engine.pool, "invalidate")
    def _on_invalidate(_dbapi_connection, connection_record, _exception):
        _release(connection_record.info, lock)

    @event.listens_for(engine.pool, "soft_invalidate")
    def _on_soft_invalidate(_dbapi_connection, connection_record, _exception):
        _release(connection_record.info, lock)


# SQLite's own tables (sqlite_sequence, left by a dropped AUTOINCREMENT table; sqlite_stat1,
# by ANALYZE) make no database another application's: ``migrations.upgrade`` does not count
# them either (SQLAlchemy lists no sqlite_ table), and creates Payground's there.
_NEW_OR_OURS = ("SELECT NOT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite~_%' ESCAPE '~') "
                "OR EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'payground_schema')")
BUSY_TIMEOUT_MS = 10_000
# A COMMIT copies every page it changed into the WAL, whole. A charge changes the last page
# of ~27 B-trees (tables and indexes), so the page size is most of what a COMMIT writes:
# 2 KiB pages cut a create-charge request's time by ~6 % against SQLite's default 4 KiB
# (1 KiB gained ~1 % more, but spreads an event's ~2 KB snapshot over three pages and
# deepens every index; lists read no slower at 2 KiB).
PAGE_SIZE = 2048
_HOLDS_LOCK = "payground_writer_lock"
_writer_locks: WeakKeyDictionary = WeakKeyDictionary()  # engine -> its WriterLock


class WriterLock:
    """One SQLite writer at a time, woken as soon as the previous one ends.

    A ``threading.Lock`` queues this process's threads; an ``flock`` on a file next to the
    database queues the worker processes (each process opens the file itself: a lock is held
    per open file, and a descriptor inherited through ``fork`` would be shared). Both block in
    the kernel and wake the next waiter at once, unlike SQLite's sleeping busy handler.
    Waiting is bounded by the busy timeout; past it the writer goes on without the lock and
    SQLite decides, as it did before.
    """

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid: int | None = None

    def acquire(self) -> bool:
        """Wait for the lock; ``False`` if the wait timed out (the caller goes on without)."""
        if not self._threads.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            return False
        try:
            if self.path is not None:
                try:
                    import fcntl

                    fcntl.flock(self._file(), fcntl.LOCK_EX)
                except (OSError, ImportError):
                    pass  # no lock file (read-only directory, Windows ...): threads only
        except BaseException:
            # Ctrl-C (KeyboardInterrupt) while another process holds the file: the caller
            # never learns it holds the lock, so give it back, or every later write of this
            # process (a shell, a test session's teardown) waits out the busy timeout. The
            # interrupt may also have come just after the flock was granted: unlock it too.
            self.release()
            raise
        return True

    def release(self) -> None:
        try:
            if self.path is not None and self._fd is not None and self._pid == os.getpid():
                try:
                    import fcntl

                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                except (OSError, ImportError):
                    pass
        finally:
            self._threads.release()  # whatever the unlock raised

    def locked(self) -> bool:
        """Whether a thread of this process holds the lock now."""
        return self._threads.locked()

    def _file(self) -> int:
        if self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd


def writer_lock_of(engine) -> WriterLock | None:
    """The engine's :class:`WriterLock` (SQLite only)."""
    return _writer_locks.get(engine)


@contextmanager
def writer_lock(engine):
    """Hold the SQLite writer lock around a write done outside the session (e.g. a raw
    DBAPI INSERT in autocommit mode); does nothing on other databases. A writer that needs a
    pooled connection takes it first: see :func:`writer_connection`."""
    lock = _writer_locks.get(engine)
    held = lock.acquire() if lock is not None else False
    try:
        yield
    finally:
        if held:
            lock.release()


@contextmanager
def writer_connection(engine):
    """A pooled DBAPI connection and, on SQLite, the writer lock held around its use: for a
    write done outside the session. Yields ``None`` on other databases (no lock to order
    against): the writer checks out its own connection.

    The connection is checked out *before* the lock is taken - the order of a request, whose
    session holds its connection when ``BEGIN IMMEDIATE`` queues on the lock. Taking the lock
    first deadlocked: with as many writers waiting for the lock as the pool has connections
    (15: werkzeug's test server runs a thread per request), the lock's holder waited for a
    connection none of them would give back, until their wait for the lock timed out (10 s).

    The connection goes back to the pool *before* the lock is released: the pool's reset
    rolls back a transaction the writer left open (cut short by something other than a
    database error), which would otherwise still hold SQLite's own lock when the next
    writer's ``BEGIN IMMEDIATE`` comes.
    """
    lock = _writer_locks.get(engine)
    if lock is None:
        yield None
        return
    raw = engine.raw_connection()
    held = False
    try:
        held = lock.acquire()
        yield raw
    finally:
        try:
            raw.close()  # back to the pool
        finally:
            if held:
                lock.release()


def holds_writer_lock(connection) -> bool:
    """Whether ``connection`` (a SQLAlchemy Connection) is in a SQLite write transaction
    (``BEGIN IMMEDIATE``) holding the writer lock; always ``False`` on other databases. Not
    one whose wait for the lock timed out: a reader's flush, which waits for the lock, would
    not wait for it to commit."""
    return bool(connection.connection.info.get(_HOLDS_LOCK))


def _lock_path(engine) -> str | None:
    """``<database>.writelock`` for a database file; ``None`` (threads only) otherwise."""
    database = engine.url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        return database + ".writelock"
    return None


def _release(info, lock: WriterLock) -> None:
    if info.pop(_HOLDS_LOCK, False):
        lock.release()


def _end(connection, statement: str, lock: WriterLock, engine) -> None:
    info = connection.connection.info
    if _HOLDS_LOCK not in info:
        return  # a read transaction: pysqlite's commit()/rollback() end it
    dbapi_connection = connection.connection.dbapi_connection
    try:
        if dbapi_connection.in_transaction:
            dbapi_connection.execute(statement)
    except Exception as exc:
        raise _wrapped(exc, statement, engine) from exc
    finally:
        _release(info, lock)


def _wrapped(exc: Exception, statement: str, engine) -> Exception:
    """A driver error as SQLAlchemy would have raised it (what error handlers expect)."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, engine.dialect.loaded_dbapi.Error):
        return DBAPIError.instance(statement, (), exc, engine.dialect.loaded_dbapi.Error)
    return exc


def _writing() -> bool:
    if not has_request_context():
        return True
    return request.method not in ("GET", "HEAD", "OPTIONS") or g.get(_WRITES_IN_GET, False)


_WRITES_IN_GET = "_payground_writes_in_get"


@contextmanager
def write_transactions():
    """Inside a GET, the session's next transactions are write ones (``BEGIN IMMEDIATE``
    after the writer lock), as a POST's are. For a read that has writes to catch up on first
    (a leak drill's bots): a deferred transaction that turns into a write one can fail with
    SQLITE_BUSY. End the session's current transaction before entering."""
    if not has_request_context():
        yield
        return
    setattr(g, _WRITES_IN_GET, True)
    try:
        yield
    finally:
        setattr(g, _WRITES_IN_GET, False)
