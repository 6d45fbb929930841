"""Request-log rows written in batches (services/log_buffer.py): when each row reaches the
database, and that none is written twice or lost on the way."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from tests.test_cli import DOMAIN, ServeProcess

LONG = 600_000  # ms: the flusher thread never fires during a test


@pytest.fixture
def app_config(app_config):
    return {**app_config, "REQUEST_LOG_FLUSH_MS": LONG}


def stored_ids(app, account=None) -> list[str]:
    """Request ids in the database (of ``account``'s requests if given), read on a connection
    of its own: nothing is flushed first. PostgreSQL runs share one schema."""
    from payground.extensions import db
    from payground.models import RequestLog

    query = select(RequestLog.id)
    if account is not None:
        query = query.where(RequestLog.account_id == account.account_id)
    with app.app_context(), db.engine.connect() as conn:
        return sorted(conn.execute(query).scalars())


def waiting(app) -> int:
    return len(app.extensions["payground"].request_log._rows)


def sqlite_engine_and_lock(app, database_url):
    """The app's engine and its SQLite writer lock; the test is skipped on PostgreSQL, which
    has no single writer lock."""
    if database_url:
        pytest.skip("PostgreSQL has no single writer lock")
    from payground.extensions import db, writer_lock_of

    with app.app_context():
        engine = db.engine
    return engine, writer_lock_of(engine)


def test_a_row_waits_until_the_log_is_read(app, account):
    r = account.post("/v1/customers", data={"email": "a@example.com"})
    assert r.status_code == 200
    assert r.headers["Request-Id"] not in stored_ids(app, account)
    assert waiting(app) == 1
    listed = account.client.get("/sandbox/requests", headers=account.session_auth)
    assert [e["id"] for e in listed.get_json()["data"]] == [r.headers["Request-Id"]]
    assert stored_ids(app, account) == [r.headers["Request-Id"]]
    assert waiting(app) == 0


def test_a_write_transaction_takes_the_waiting_rows_along(app, account, database_url):
    if database_url:
        pytest.skip("PostgreSQL has no single writer lock: its rows go in batches only")
    first = account.get("/v1/customers")
    second = account.post("/v1/customers", data={"email": "b@example.com"})
    # The second request's own transaction wrote the first's row; its own row waits.
    assert stored_ids(app, account) == [first.headers["Request-Id"]]
    assert waiting(app) == 1
    assert second.status_code == 200


@pytest.mark.parametrize("batched", [True, False], ids=["flushed batch", "row by row"])
def test_a_log_write_takes_its_connection_before_the_writer_lock(app, account, database_url,
                                                                 monkeypatch, batched):
    """A request takes its pooled connection, then the writer lock (at BEGIN IMMEDIATE). The
    log's writes took the lock, then a connection: with as many writers waiting for the lock
    as the pool has connections (16 concurrent refunds through the test client), the lock's
    holder waited for a connection none of them would give back, and all stalled for the
    lock's 10 s timeout."""
    engine, lock = sqlite_engine_and_lock(app, database_url)
    checkout = engine.raw_connection
    held_at_checkout: list[bool] = []

    def watched_checkout():
        held_at_checkout.append(lock.locked())
        return checkout()

    if not batched:
        monkeypatch.setattr(app.extensions["payground"], "request_log", None)
    monkeypatch.setattr(engine, "raw_connection", watched_checkout)
    made = account.get("/v1/customers").headers["Request-Id"]
    if batched:
        app.extensions["payground"].request_log.flush()
    monkeypatch.undo()
    assert made in stored_ids(app, account)
    assert held_at_checkout and not any(held_at_checkout)  # the log's write among them


def test_a_log_write_cut_short_is_rolled_back_before_the_next_writer_goes(app, account,
                                                                         database_url,
                                                                         monkeypatch):
    """A write interrupted past its BEGIN IMMEDIATE by something other than a database error
    (Ctrl-C during the exit flush): its connection goes back to the pool, whose reset rolls
    the transaction back, before the writer lock is released; otherwise the next writer
    found the database still locked, and slept in SQLite's busy handler."""
    import sqlite3

    from payground.services import logs

    engine, lock = sqlite_engine_and_lock(app, database_url)
    release, free_at_release = lock.release, []

    def watched_release():
        other = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            free_at_release.append(True)
        except sqlite3.OperationalError:
            free_at_release.append(False)  # database is locked
        finally:
            other.close()
        release()

    def interrupted(engine, rows, raw=None):
        raw.cursor().execute("BEGIN IMMEDIATE")
        raise KeyboardInterrupt

    account.get("/v1/customers")
    monkeypatch.setattr(logs, "write_request_logs", interrupted)
    monkeypatch.setattr(lock, "release", watched_release)
    with pytest.raises(KeyboardInterrupt):
        app.extensions["payground"].request_log.flush()
    monkeypatch.undo()
    assert free_at_release == [True]
    assert account.post("/v1/customers").status_code == 200  # and the database writable


def test_a_reader_of_the_log_holds_no_connection_while_it_flushes(app, account, monkeypatch):
    """A read of the log (``/sandbox/requests``, the dashboard's pages) ends its session's
    read before flushing: the flush checks out a connection of its own, and a reader still
    holding its session's would hold one connection while waiting for a second."""
    from payground.extensions import db

    with app.app_context():
        engine = db.engine
    checkout = engine.raw_connection
    held_at_checkout: list[int] = []

    def watched_checkout():
        held_at_checkout.append(engine.pool.checkedout())
        return checkout()

    made = account.get("/v1/customers").headers["Request-Id"]
    monkeypatch.setattr(engine, "raw_connection", watched_checkout)
    listed = account.client.get("/sandbox/requests", headers=account.session_auth)
    monkeypatch.undo()
    assert [e["id"] for e in listed.get_json()["data"]] == [made]
    assert held_at_checkout and not any(held_at_checkout)  # the flush's among them


def test_as_many_readers_as_the_pool_has_connections_all_read_the_log(app, account,
                                                                      monkeypatch):
    """Each held its session's connection while its flush waited for another (or for the
    flush before it, which waited for one): with every connection so held, none came back,
    and the reads failed (500) after the pool's timeout (30 s; 1 s here)."""
    from payground.extensions import db

    with app.app_context():
        engine = db.engine
    readers = engine.pool.size() + engine.pool._max_overflow
    monkeypatch.setattr(engine.pool, "_timeout", 1)
    buffer = app.extensions["payground"].request_log
    all_there, flush = threading.Barrier(readers), buffer.flush

    def together():
        all_there.wait(30)  # every reader at its flush at once
        flush()

    made = account.get("/v1/customers").headers["Request-Id"]
    monkeypatch.setattr(buffer, "flush", together)

    def read(_):
        return account.client.get("/sandbox/requests", headers=account.session_auth)

    with ThreadPoolExecutor(readers) as pool:
        listed = list(pool.map(read, range(readers)))
    assert [r.status_code for r in listed] == [200] * readers
    assert all([e["id"] for e in r.get_json()["data"]] == [made] for r in listed)


def test_a_read_with_nothing_waiting_still_waits_for_the_transaction_that_took_the_rows(
        app, account, database_url, monkeypatch):
    """The rows a write transaction takes along (piggyback) leave the buffer before that
    transaction commits: a read then finds nothing to write, and must still wait for the
    writer lock (that transaction's end) before it reads, or it would not list them."""
    from sqlalchemy import event, text

    from payground.extensions import db

    _, lock = sqlite_engine_and_lock(app, database_url)
    made = account.get("/v1/customers").headers["Request-Id"]
    assert waiting(app) == 1
    taken, commit, reader_waits = threading.Event(), threading.Event(), threading.Event()
    seen: list[str] = []

    def writer():  # outside a request: a write transaction, which takes the rows along
        with app.app_context():
            db.session.execute(text("SELECT 1"))
            db.session.commit()

    def held_before_its_commit(_session):  # runs after piggyback_on_commit (app.py)
        if threading.current_thread() is writing:
            taken.set()
            commit.wait(30)

    acquire = lock.acquire

    def watched_acquire():
        if threading.current_thread() is reading:
            reader_waits.set()
        return acquire()

    def reader():
        try:
            listed = account.client.get("/sandbox/requests", headers=account.session_auth)
            seen.extend(e["id"] for e in listed.get_json()["data"])
        finally:
            reader_waits.set()  # also when the flush did not wait at all

    writing, reading = threading.Thread(target=writer), threading.Thread(target=reader)
    event.listen(db.session, "before_commit", held_before_its_commit)
    monkeypatch.setattr(lock, "acquire", watched_acquire)
    try:
        writing.start()
        assert taken.wait(30) and waiting(app) == 0  # out of the buffer, not committed
        reading.start()
        reader_waits.wait(30)
    finally:
        commit.set()
        writing.join(30)
        reading.join(30)
        event.remove(db.session, "before_commit", held_before_its_commit)
    assert seen == [made]


@pytest.mark.parametrize("rows", [1, 0], ids=["rows waiting", "nothing waiting"])
def test_a_flush_whose_wait_for_the_writer_lock_timed_out_goes_on_without_it(
        app, account, database_url, monkeypatch, rows):
    """``WriterLock.acquire`` answers ``False`` after the busy timeout: the flush writes
    without the lock (SQLite decides), gives its connection back, and releases nothing it
    does not hold (releasing the free lock would raise: a 500 for the reader)."""
    engine, lock = sqlite_engine_and_lock(app, database_url)
    made = account.get("/v1/customers").headers["Request-Id"]
    if not rows:
        app.extensions["payground"].request_log.flush()
    monkeypatch.setattr(lock, "acquire", lambda: False)

    app.extensions["payground"].request_log.flush()

    monkeypatch.undo()
    assert not lock.locked() and engine.pool.checkedout() == 0
    assert stored_ids(app, account) == [made] and waiting(app) == 0


def test_a_transaction_whose_wait_for_the_writer_lock_timed_out_takes_no_rows_along(
        app, account, database_url, monkeypatch):
    """Past the lock's timeout a write transaction goes on without it: readers' flushes do
    not wait for it, so rows it took along could be read as missing until it commits. They
    stay in the buffer, for a flush (which a reader waits for) to write."""
    if database_url:
        pytest.skip("PostgreSQL has no single writer lock: nothing takes rows along")
    from sqlalchemy import text

    from payground.extensions import db, writer_lock_of

    with app.app_context():
        lock = writer_lock_of(db.engine)
    made = account.get("/v1/customers").headers["Request-Id"]
    monkeypatch.setattr(lock, "acquire", lambda: False)
    with app.app_context():  # outside a request: a write transaction (BEGIN IMMEDIATE)
        db.session.execute(text("SELECT 1"))
        db.session.commit()
    monkeypatch.undo()

    assert waiting(app) == 1 and made not in stored_ids(app, account)
    assert not lock.locked()
    listed = account.client.get("/sandbox/requests", headers=account.session_auth)
    assert [e["id"] for e in listed.get_json()["data"]] == [made]


def test_a_flush_that_gets_no_connection_keeps_its_rows_and_leaves_the_lock_free(
        app, account, database_url, monkeypatch):
    """The pool gave no connection in time (its 30 s): the flush fails before taking the
    writer lock or the rows; the next read writes them."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    engine, lock = sqlite_engine_and_lock(app, database_url)
    made = account.get("/v1/customers").headers["Request-Id"]

    def no_connection():
        raise PoolTimeout("QueuePool limit reached")

    monkeypatch.setattr(engine, "raw_connection", no_connection)
    with pytest.raises(PoolTimeout):
        app.extensions["payground"].request_log.flush()
    monkeypatch.undo()

    assert not lock.locked() and waiting(app) == 1
    listed = account.client.get("/sandbox/requests", headers=account.session_auth)
    assert [e["id"] for e in listed.get_json()["data"]] == [made]


def test_a_write_that_is_refused_does_not_take_the_waiting_rows_with_it(app, account):
    """An idempotent replay's claim fails on the database's unique key and is rolled back:
    the rows waiting in the buffer must survive that (on SQLite they used to ride along in
    the failed transaction and vanish)."""
    headers = {"Idempotency-Key": "order-1"}
    first = account.post("/v1/customers", headers=headers)
    other = account.get("/v1/customers")
    replays = [account.post("/v1/customers", headers=headers) for _ in range(2)]
    mismatch = account.post("/v1/customers", data={"email": "c@example.com"}, headers=headers)
    assert [r.headers.get("Idempotent-Replayed") for r in replays] == ["true", "true"]
    assert mismatch.status_code == 400

    listed = account.client.get("/sandbox/requests", headers=account.session_auth)

    made = [r.headers["Request-Id"] for r in (first, other, *replays, mismatch)]
    assert [e["id"] for e in listed.get_json()["data"]] == made[::-1]
    assert stored_ids(app, account) == sorted(made)


def test_a_full_batch_is_written_by_the_request_that_fills_it(app, account, monkeypatch):
    monkeypatch.setattr("payground.services.log_buffer.MAX_BATCH", 3)
    made = [account.get("/v1/customers").headers["Request-Id"] for _ in range(3)]
    assert stored_ids(app, account) == sorted(made)
    assert waiting(app) == 0


def written_by_the_flusher(app, request_id: str) -> None:
    deadline = time.monotonic() + 10
    while request_id not in stored_ids(app):
        assert time.monotonic() < deadline, "the row was never written"
        time.sleep(0.01)  # polling a documented bound (20 ms here), not hiding a race


def test_the_flusher_thread_writes_rows_without_any_reader(app, app_config):
    """Even while it waits for another app's rows that are due much later."""
    from payground import create_app
    from payground.app import dispose_app

    slow = app.test_client().get("/v1/customers", headers={"Authorization": "Bearer nope"})
    assert waiting(app) == 1  # due in 10 minutes: the thread is waiting for it
    quick = create_app({**app_config, "REQUEST_LOG_FLUSH_MS": 20})
    try:
        r = quick.test_client().get("/v1/customers", headers={"Authorization": "Bearer no"})
        assert r.status_code == 401
        written_by_the_flusher(quick, r.headers["Request-Id"])
        assert waiting(quick) == 0
        assert slow.headers["Request-Id"] not in stored_ids(app) and waiting(app) == 1
    finally:
        dispose_app(quick)


def test_a_read_waits_for_the_rows_another_worker_process_has_waiting(app_config):
    """`serve --workers 2`: a request one worker answered is listed by the other right after
    (lesson 2 reads the log just after its last call), though its row waits in the first
    worker's buffer. Two apps stand for the two processes."""
    import secrets

    from payground import create_app
    from payground.app import dispose_app

    from payground.services.log_buffer import WorkerProgress

    config = {**app_config, "REQUEST_LOG_FLUSH_MS": 200}
    one, other = create_app(config), create_app(config)
    try:
        progress = WorkerProgress()  # as serve makes it before forking: shared by both
        for worker in (one, other):
            worker.extensions["payground"].request_log.progress = progress
        body = one.test_client().post("/sandbox/signup", json={
            "email": f"w-{secrets.token_hex(4)}@{DOMAIN}",
            "password": "correct horse battery"}).get_json()
        made = one.test_client().get(
            "/v1/customers", headers={"Authorization": f"Bearer {body['keys']['secret']}"})
        assert waiting(one) == 1

        listed = other.test_client().get(
            "/sandbox/requests", headers={"Authorization": f"Bearer {body['session']}"})

        assert [e["id"] for e in listed.get_json()["data"]] == [made.headers["Request-Id"]]
        page = other.test_client().get(f"/sandbox/requests/{made.headers['Request-Id']}",
                                       headers={"Authorization": f"Bearer {body['session']}"})
        assert page.status_code == 200
    finally:
        dispose_app(one)
        dispose_app(other)


def test_a_read_under_several_workers_writes_its_own_rows_without_waiting(app_config):
    """`serve --workers 2`: the reading worker's own waiting rows are written by the read
    itself, at once, as with one worker; it waits only for the other workers' flushers (it
    used to wait for its own, up to the flush delay, on every read)."""
    import secrets

    from payground import create_app
    from payground.app import dispose_app
    from payground.services.log_buffer import WorkerProgress

    app = create_app({**app_config, "REQUEST_LOG_FLUSH_MS": 5000})
    try:
        app.extensions["payground"].request_log.progress = WorkerProgress()
        client = app.test_client()
        body = client.post("/sandbox/signup", json={
            "email": f"own-{secrets.token_hex(4)}@{DOMAIN}",
            "password": "correct horse battery"}).get_json()
        made = client.get("/v1/customers",
                          headers={"Authorization": f"Bearer {body['keys']['secret']}"})
        assert waiting(app) == 1
        started = time.monotonic()

        listed = client.get("/sandbox/requests",
                            headers={"Authorization": f"Bearer {body['session']}"})

        assert time.monotonic() - started < 2.5  # not the 5 s of its own flusher's delay
        assert [e["id"] for e in listed.get_json()["data"]] == [made.headers["Request-Id"]]
        assert waiting(app) == 0
    finally:
        dispose_app(app)


def test_a_read_does_not_wait_for_a_worker_that_died_with_rows_queued():
    """A worker killed before writing its rows loses them (README); readers must not wait
    for them on every read after, and its slot is reused."""
    from payground.services.log_buffer import WorkerProgress

    progress = WorkerProgress()
    child = os.fork()
    if child == 0:  # a worker that queues a row and dies without writing it
        progress.queued(progress.claim())
        os._exit(0)
    os.waitpid(child, 0)
    started = time.monotonic()

    progress.wait_for_rows_queued_now(timeout=60)

    assert time.monotonic() - started < 30  # returned on seeing the process gone, not at 60
    assert progress.claim() == 0  # the dead worker's slot


def test_rows_are_written_when_the_process_exits(tmp_path, database_url):
    config = {"HOME": str(tmp_path / "home"), "TESTING": True}
    if database_url:
        config["DATABASE_URL"] = database_url
    script = textwrap.dedent(f"""
        from payground import create_app
        app = create_app({{**{config!r}, "REQUEST_LOG_FLUSH_MS": {LONG}}})
        r = app.test_client().get("/v1/customers", headers={{"Authorization": "Bearer x"}})
        print(r.headers["Request-Id"])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    request_id = done.stdout.strip()

    from payground import create_app
    from payground.app import dispose_app

    app = create_app(config)
    try:
        assert request_id in stored_ids(app)
    finally:
        dispose_app(app)


def _one_request(app) -> None:  # a multiprocessing child's target: leaves via os._exit
    r = app.test_client().get("/v1/customers", headers={"Authorization": "Bearer x"})
    print(r.headers["Request-Id"], flush=True)


def test_a_multiprocessing_child_writes_its_rows_as_it_exits(app, capfd):
    # Such a child (a granian worker is one) skips atexit: without multiprocessing's
    # finalizer its last rows were lost.
    import multiprocessing

    child = multiprocessing.get_context("fork").Process(target=_one_request, args=(app,))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    request_id = capfd.readouterr().out.strip()
    assert request_id.startswith("req_")
    assert request_id in stored_ids(app)
    assert waiting(app) == 0  # the parent had nothing of the child's to write


class _WatchedLock:
    """A lock that says when a second taker has to wait for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.contended = threading.Event()

    def locked(self) -> bool:
        return self._lock.locked()

    def __enter__(self):
        if not self._lock.acquire(blocking=False):
            self.contended.set()
            self._lock.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()


def test_an_exiting_process_waits_for_the_batch_the_flusher_is_writing(app, account,
                                                                       monkeypatch):
    """The last flush of a stopping process skipped a buffer whose rows the flusher thread
    had just taken: the process ended in the middle of that write and the rows were lost
    (requests answered just before a graceful stop under load, missing from the log)."""
    from payground.services import log_buffer, logs

    buffer = app.extensions["payground"].request_log
    buffer._flushing = lock = _WatchedLock()
    taken, release = threading.Event(), threading.Event()
    write = logs.write_request_logs

    def held_mid_write(engine, rows, raw=None):
        taken.set()
        release.wait(30)
        write(engine, rows, raw)

    monkeypatch.setattr(logs, "write_request_logs", held_mid_write)
    made = account.get("/v1/customers").headers["Request-Id"]
    flusher = threading.Thread(target=buffer.flush)  # as the flusher thread does when due
    flusher.start()
    assert taken.wait(30) and waiting(app) == 0  # the batch is out of the buffer, unwritten
    # The write finishes once the exit's flush waits for it (it must not return before).
    threading.Thread(target=lambda: lock.contended.wait(30) and release.set(),
                     daemon=True).start()
    try:
        log_buffer.flush_all()  # what atexit, or a multiprocessing child's finalizer, runs
        written = made in stored_ids(app, account)
    finally:
        release.set()
        flusher.join(30)
    assert written


def test_a_forked_child_does_not_write_its_parents_rows(app, account):
    r = account.get("/v1/customers")
    assert waiting(app) == 1
    pid = os.fork()
    if pid == 0:  # the child: the row is its parent's to write
        os._exit(0 if waiting(app) == 0 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert waiting(app) == 1
    account.client.get("/sandbox/requests", headers=account.session_auth)
    assert stored_ids(app, account) == [r.headers["Request-Id"]]


def create_customers_on_new_connections(url: str, secret: str, count: int) -> list[str]:
    """``count`` customers, four requests at a time, each on its own connection (so every
    worker of a server takes some); the requests' ids."""

    def call(i):
        r = requests.post(f"{url}/v1/customers", timeout=30, data={"email": f"c{i}@example.com"},
                          headers={"Authorization": f"Bearer {secret}", "Connection": "close"})
        assert r.status_code == 200, r.text
        return r.headers["Request-Id"]

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(call, range(count)))


@pytest.mark.parametrize("server", ["gunicorn", "granian"])
def test_every_worker_s_rows_reach_the_log_once(tmp_path, server):
    """Two workers (gunicorn's, granian's): each request's row is written exactly once,
    whichever worker served it and whichever worker serves the read."""
    process = ServeProcess(tmp_path / "home", "--server", server, "--workers", "2",
                           env={"PAYGROUND_RATE_LIMITS": "off"})
    try:
        body = process.signup(f"batches-{os.getpid()}@{DOMAIN}")
        secret, session = body["keys"]["secret"], body["session"]

        made = create_customers_on_new_connections(process.url, secret, 24)

        def listed() -> list[str]:
            r = requests.get(f"{process.url}/sandbox/requests?limit=100", timeout=30,
                             headers={"Authorization": f"Bearer {session}",
                                      "Connection": "close"})
            assert r.status_code == 200, r.text
            return [e["id"] for e in r.json()["data"]]

        # The read waits for the other worker's rows (they are written within the flush
        # delay): the first one lists every request answered before it, each once.
        seen = listed()
        assert len(seen) == len(set(seen))
        assert sorted(seen) == sorted(made)
    finally:
        out, err = process.stop()
    assert secret not in out + err


def test_a_buffer_that_cannot_be_flushed_at_exit_does_not_stop_the_others(
        app, app_config, account, monkeypatch, caplog, tmp_path):
    """The exit's flush went through the buffers (one per app of the process) and stopped at
    the first that raised: every later buffer's rows were lost, and the traceback went to
    stderr unscrubbed (atexit prints it). Each buffer is tried; a failure is a warning."""
    import logging

    from sqlalchemy.exc import OperationalError

    from payground import create_app
    from payground.app import dispose_app
    from payground.services import log_buffer

    other = create_app({**app_config, "HOME": str(tmp_path / "other-home")})
    try:
        lost = account.get("/v1/customers").headers["Request-Id"]
        kept = other.test_client().get(
            "/v1/customers", headers={"Authorization": "Bearer x"}).headers["Request-Id"]
        failing = app.extensions["payground"].request_log
        fine = other.extensions["payground"].request_log

        def unreachable():  # the database went away (a deleted home, PostgreSQL stopped)
            raise OperationalError("connect", None, Exception("unable to open database file"))

        monkeypatch.setattr(failing.engine, "raw_connection", unreachable)
        # The failing buffer first (the process's set of buffers has no order of its own).
        monkeypatch.setattr(log_buffer._flusher, "_buffers",
                            (weakref.ref(failing), weakref.ref(fine)))
        with caplog.at_level(logging.WARNING, logger="payground"):
            log_buffer.flush_all()  # what atexit runs: it must not raise

        assert kept in stored_ids(other)
        assert lost not in stored_ids(other)
        [record] = [r for r in caplog.records if r.name == "payground"]
        assert record.levelno == logging.WARNING
        # On SQLite the connection is checked out before the write (the writer lock's order)
        # and its failure left flush(); on PostgreSQL flush() itself catches it.
        assert record.getMessage() in (
            "could not write 1 request log rows at exit: OperationalError",
            "could not write 1 request log rows")
        assert "unable to open database file" in caplog.text  # the traceback says why
        assert account.secret_key not in caplog.text
        monkeypatch.undo()  # the fixture's teardown writes the row the exit could not
    finally:
        dispose_app(other)


def test_a_batch_the_database_refuses_is_logged_without_its_values(app, account, caplog):
    """Request-log rows hold no key, but their values (client addresses, paths) stay out of
    the log like any statement's (the engine's hide_parameters)."""
    import logging

    from payground.extensions import db

    made = account.get("/v1/customers").headers["Request-Id"]
    with app.app_context(), db.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE request_logs RENAME TO request_logs_away")
    try:
        with caplog.at_level(logging.WARNING, logger="payground"):
            app.extensions["payground"].request_log.flush()
    finally:
        with app.app_context(), db.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE request_logs_away RENAME TO request_logs")
    assert "could not write 1 request log rows" in caplog.text
    assert "INSERT INTO request_logs" in caplog.text
    assert made not in caplog.text
    assert "127.0.0.1" not in caplog.text


def test_buffers_made_while_the_flusher_thread_reads_them_never_break_its_read():
    """The thread reads the process's buffers while create_app in another thread makes one.
    They were a WeakSet: "Set changed size during iteration" killed the thread (CI, a
    PostgreSQL run), and no row was written until the process ended. Copy-on-write now:
    a read sees the buffers of its moment, whole, whatever is added meanwhile."""
    from payground.services.log_buffer import LogBuffer, _flusher

    failures, made, done = [], [], threading.Event()

    def read_until_done():
        try:
            while not done.is_set():
                _flusher.buffers()
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # the two threads take turns as often as they can
    reader = threading.Thread(target=read_until_done)
    reader.start()
    try:
        for n in range(3_000):  # every other one dropped at once: removals meanwhile too
            buffer = LogBuffer(None, 60.0)
            if n % 2:
                made.append(buffer)
    finally:
        done.set()
        reader.join()
        sys.setswitchinterval(interval)
    assert failures == []
    seen = _flusher.buffers()
    assert all(any(b is m for b in seen) for m in made[-50:])
