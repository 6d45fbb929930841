"""The request path's fast parts: the key lookup (an indexed search, read into plain
snapshots) and SQLite's writer lock, which must be freed however a write ends.

The lock (``extensions.WriterLock``) queues writers in the kernel instead of in SQLite's
sleeping busy handler; a lock left held would stall every later write for the busy timeout.
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, fields
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from payground.extensions import db, writer_lock_of
from payground.models.account import Account
from payground.models.api_key import ApiKey
from payground.models.oauth import OAuthConnection
from payground.services.keys import CallerAccount, CallerKey, compile_lookup
from tests.helpers import assert_error


@pytest.fixture
def sqlite_lock(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the writer lock exists on SQLite only")
        return writer_lock_of(db.engine)


def test_key_digests_are_unique_and_indexed(app):
    with app.app_context():
        insp = inspect(db.engine)
        unique = [c["column_names"] for c in insp.get_unique_constraints("api_keys")]
        indexed = [i["column_names"] for i in insp.get_indexes("api_keys") if i["unique"]]
        assert ["digest"] in unique + indexed


def test_the_caller_snapshot_has_every_account_column_but_the_password_hash():
    # Services read /v1's account from this snapshot: a new Account column must be added to
    # CallerAccount (services.keys), or reading it in a /v1 request would fail.
    columns = {c.name for c in Account.__table__.columns} - {"password_hash"}
    assert {f.name for f in fields(CallerAccount)} == columns
    # But platform_id: an access token's connection's, read by the same lookup (a join).
    key_fields = {f.name for f in fields(CallerKey)}
    assert key_fields - {"platform_id"} <= {c.name for c in ApiKey.__table__.columns}
    assert "platform_id" in {c.name for c in OAuthConnection.__table__.columns}


def test_requests_see_their_key_and_account_as_read_only_snapshots(app, account):
    from flask import g

    with app.test_request_context("/v1/balance", headers=account.auth()):
        app.preprocess_request()
        assert (g.account.id, g.api_key.type, g.livemode) == (account.account_id, "secret", False)
        assert g.api_key.redacted == f"{account.secret_key[:8]}...{account.secret_key[-4:]}"
        assert not hasattr(g.account, "password_hash")
        with pytest.raises(FrozenInstanceError):
            g.account.clock_offset = 60


def test_the_key_lookup_is_an_index_search_on_sqlite(app, sqlite_lock):
    with app.app_context():
        sql, positional = compile_lookup(db.engine.dialect)
        with db.engine.connect() as conn:
            plan = [row[-1] for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + sql, ("0" * 64,) if positional else {"digest": "0" * 64})]
    assert any(step.startswith("SEARCH api_keys USING INDEX") and "(digest=?)" in step
               for step in plan), plan
    assert not any(step.startswith("SCAN") for step in plan), plan


def test_the_lock_file_sits_next_to_the_database(app, sqlite_lock, account):
    assert account.post("/v1/customers", {"email": "a@example.com"}).status_code == 200
    with app.app_context():
        assert Path(db.engine.url.database + ".writelock").exists()


def test_a_committed_write_frees_the_lock(account, sqlite_lock):
    r = account.post("/v1/customers", {"email": "a@example.com"})
    assert r.status_code == 200, r.get_json()
    assert not sqlite_lock.locked()


def test_a_write_refused_by_the_view_frees_the_lock(account, sqlite_lock):
    r = account.post("/v1/customers/cus_missing", {"name": "Ghost"})
    assert_error(r, 404, code="resource_missing", param="id",
                 message="No such customer: 'cus_missing'")
    assert not sqlite_lock.locked()
    # The next write gets the lock at once (a leaked lock would stall it for the timeout).
    assert account.post("/v1/customers", {"email": "b@example.com"}).status_code == 200


def test_a_transaction_rolled_back_outside_a_request_frees_the_lock(app, sqlite_lock):
    with app.app_context():
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))  # outside a request every transaction writes
            assert sqlite_lock.locked()
            conn.rollback()
        assert not sqlite_lock.locked()


def _pragmas(app):
    with app.app_context(), db.engine.connect() as conn:
        return tuple(conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                     for name in ("page_size", "journal_mode"))


def test_a_new_database_gets_small_pages_in_wal_mode(app, sqlite_lock):
    from payground.extensions import PAGE_SIZE

    assert PAGE_SIZE < 4096  # a COMMIT writes whole pages to the WAL: see extensions.PAGE_SIZE
    assert _pragmas(app) == (PAGE_SIZE, "wal")


def test_an_existing_database_keeps_its_page_size(tmp_path):
    import sqlite3

    from payground import create_app
    from payground.app import dispose_app

    from payground.migrations import SCHEMA_VERSION

    older = sqlite3.connect(tmp_path / "payground.db")
    older.execute("PRAGMA page_size=4096")
    older.execute("CREATE TABLE payground_schema (version INTEGER PRIMARY KEY)")
    older.execute("INSERT INTO payground_schema VALUES (?)", (SCHEMA_VERSION,))
    older.commit()
    older.close()
    app = create_app({"HOME": str(tmp_path), "DATABASE_URL": None, "RATE_LIMITS": "off",
                      "PASSWORD_COST": 2**8})
    try:
        assert _pragmas(app) == (4096, "wal")
        r = app.test_client().post("/sandbox/signup", json={
            "email": "old@example.com", "password": "a long enough password"})
        assert r.status_code == 201, r.get_json()
    finally:
        dispose_app(app)


# Ctrl-C reaches the main thread while it waits for another process's ``flock``: a CLI
# command, a shell or a test session that carries on afterwards must not keep the lock.

class _Interrupted:
    """A stand-in for ``fcntl``: ``flock(LOCK_EX)`` raises KeyboardInterrupt (what Python's
    SIGINT handler does while the wait is interrupted); the other calls are recorded."""

    LOCK_EX, LOCK_UN = 2, 8

    def __init__(self):
        self.calls = []

    def flock(self, fd, op):
        self.calls.append(op)
        if op == self.LOCK_EX:
            raise KeyboardInterrupt


def test_ctrl_c_while_waiting_for_the_file_lock_frees_the_thread_lock(tmp_path, monkeypatch):
    import sys

    from payground.extensions import WriterLock

    lock = WriterLock(str(tmp_path / "db.writelock"))
    fake = _Interrupted()
    monkeypatch.setitem(sys.modules, "fcntl", fake)
    with pytest.raises(KeyboardInterrupt):
        lock.acquire()
    assert not lock.locked()
    # Unlocking a file lock that was never taken is harmless, and covers a Ctrl-C that came
    # just after the flock was granted.
    assert fake.calls == [fake.LOCK_EX, fake.LOCK_UN]
    monkeypatch.undo()
    assert lock.acquire() is True  # at once: a leaked lock would make this wait 10 s
    lock.release()
    assert not lock.locked()


def test_a_failing_file_unlock_still_frees_the_thread_lock(tmp_path, monkeypatch):
    import sys

    from payground.extensions import WriterLock

    lock = WriterLock(str(tmp_path / "db.writelock"))
    assert lock.acquire() is True

    class _Stuck:
        LOCK_EX, LOCK_UN = 2, 8

        def flock(self, fd, op):
            raise KeyboardInterrupt

    monkeypatch.setitem(sys.modules, "fcntl", _Stuck())
    with pytest.raises(KeyboardInterrupt):
        lock.release()
    assert not lock.locked()


def test_ctrl_c_in_a_write_outside_a_request_frees_the_lock(app, sqlite_lock, monkeypatch):
    import sys

    with app.app_context():
        monkeypatch.setitem(sys.modules, "fcntl", _Interrupted())
        with pytest.raises(KeyboardInterrupt):
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))  # outside a request every transaction writes
        assert not sqlite_lock.locked()
        monkeypatch.undo()
        with db.engine.begin() as conn:  # the process's next write goes through
            assert conn.execute(text("SELECT 1")).scalar() == 1
            assert sqlite_lock.locked()
        assert not sqlite_lock.locked()


def test_ctrl_c_just_after_begin_immediate_frees_the_lock(app, sqlite_lock):
    from sqlalchemy import event

    def interrupted(_connection):  # runs after Payground's own begin listener
        raise KeyboardInterrupt

    with app.app_context():
        event.listen(db.engine, "begin", interrupted)
        try:
            with pytest.raises(KeyboardInterrupt):
                with db.engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
        finally:
            event.remove(db.engine, "begin", interrupted)
        assert not sqlite_lock.locked()
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
        assert not sqlite_lock.locked()
