"""``models.direct``: hot-path rows written on the DBAPI cursor, exactly as SQLAlchemy would."""

from __future__ import annotations

import pytest
from sqlalchemy import JSON, Column, Integer, MetaData, Table, create_engine, event, select
from sqlalchemy.exc import IntegrityError

from payground.extensions import db
from payground.models.account import Account
from payground.models.direct import Writes, execute, insert_statement
from payground.models.event import Event
from payground.models.ledger import LedgerSchedule


@pytest.fixture
def ctx(app, account):
    with app.app_context():
        yield db.session.get(Account, account.account_id)
        db.session.rollback()


def _event_row(account, event_id: str, data) -> dict:
    return {"id": event_id, "account_id": account.id, "livemode": True, "created": 7,
            "type": "charge.succeeded", "api_version": "2026-10-28.endive", "data": data,
            "request_id": None, "idempotency_key": None}


def test_rows_are_stored_as_sqlalchemy_would_store_them(ctx):
    data = {"object": {"id": "ch_1", "metadata": {"a": "b"}, "paid": True, "n": None}}
    execute(db.session.connection(), insert_statement(Event.__table__),
            [_event_row(ctx, "evt_direct_1", data)])
    execute(db.session.connection(), insert_statement(Event.__table__),
            [_event_row(ctx, "evt_direct_2", {}), _event_row(ctx, "evt_direct_6", [1])])
    db.session.commit()
    db.session.expire_all()
    first, second = (db.session.get(Event, f"evt_direct_{i}") for i in (1, 2))
    assert (first.data, first.livemode, first.created) == (data, True, 7)
    assert second.data == {}
    assert db.session.get(Event, "evt_direct_6").data == [1]


def test_nothing_runs_and_no_transaction_opens_before_run(ctx):
    db.session.commit()
    writes = Writes()
    writes.add(insert_statement(Event.__table__), _event_row(ctx, "evt_direct_3", {}))
    assert not db.session().in_transaction()
    writes.run()
    db.session.commit()
    assert db.session.get(Event, "evt_direct_3") is not None


def test_a_statement_needing_a_python_default_goes_through_sqlalchemy():
    counter = iter(range(100, 200))
    metadata = MetaData()
    table = Table("t", metadata, Column("id", Integer, primary_key=True),
                  Column("serial", Integer, default=lambda: next(counter)),
                  Column("doc", JSON))
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as connection:
        execute(connection, insert_statement(table), [{"id": 1, "doc": {"a": [1]}}])
        execute(connection, insert_statement(table), [{"id": 2, "serial": 7, "doc": None}])
        rows = connection.execute(select(table).order_by(table.c.id)).all()
    assert [tuple(r) for r in rows] == [(1, 100, {"a": [1]}), (2, 7, None)]


def test_schedule_rows_get_their_ids_from_the_database(ctx):
    row = {"account_id": ctx.id, "livemode": False, "kind": "settle", "ref": "txn_direct",
           "due_at": 5}
    execute(db.session.connection(), insert_statement(LedgerSchedule.__table__), [row, row])
    db.session.commit()
    ids = db.session.scalars(select(LedgerSchedule.id).where(
        LedgerSchedule.account_id == ctx.id, LedgerSchedule.ref == "txn_direct")).all()
    assert len(set(ids)) == 2 and all(isinstance(i, int) for i in ids)


def test_driver_errors_are_raised_as_sqlalchemy_errors(ctx):
    row = _event_row(ctx, "evt_direct_dup", {})
    execute(db.session.connection(), insert_statement(Event.__table__), [row])
    with pytest.raises(IntegrityError):
        execute(db.session.connection(), insert_statement(Event.__table__), [row])
    db.session.rollback()
    assert db.session.get(Event, "evt_direct_dup") is None  # rolled back with the rest


def test_statement_listeners_still_see_the_sql(ctx):
    seen = []

    def listener(_conn, _cursor, statement, parameters, _context, executemany):
        seen.append((statement.split()[0:3], executemany))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        execute(db.session.connection(), insert_statement(Event.__table__),
                [_event_row(ctx, "evt_direct_4", {}), _event_row(ctx, "evt_direct_5", {})])
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    db.session.rollback()
    assert (["INSERT", "INTO", "events"], True) in seen


def test_a_failed_charge_write_leaves_nothing_behind(account, app):
    """A charge's rows go in together: an error on the last one keeps none of them."""
    from payground.models.charge import Charge
    from payground.services import events

    real = events.emit

    def failing_emit(*args, writes=None, **kwargs):
        real(*args, writes=writes, **kwargs)
        writes.add(insert_statement(Event.__table__), {"id": None})  # NOT NULL: fails

    events.emit = failing_emit
    try:
        response = account.post("/v1/charges", {"amount": 500, "currency": "usd",
                                                "source": "tok_visa"})
    finally:
        events.emit = real
    assert response.status_code == 500
    assert response.get_json()["error"]["type"] == "api_error"
    with app.app_context():
        assert db.session.scalars(select(Charge.id).where(
            Charge.account_id == account.account_id)).all() == []


def test_a_charge_opens_its_transaction_only_to_write(account, app, monkeypatch):
    """Everything is built (the event's snapshot last) before the transaction begins: on
    SQLite the write lock is held for the statements, not for building the rows."""
    from payground.services import events

    charge = {"amount": 500, "currency": "usd", "source": "tok_visa"}
    assert account.post("/v1/charges", charge).status_code == 200  # the key's first use is noted
    order = []
    real_snapshot = events.snapshot
    monkeypatch.setattr(events, "snapshot",
                        lambda obj: order.append("snapshot") or real_snapshot(obj))
    with app.app_context():
        engine = db.engine
    listener = lambda _conn: order.append("begin")  # noqa: E731
    event.listen(engine, "begin", listener)
    try:
        response = account.post("/v1/charges", charge)
    finally:
        event.remove(engine, "begin", listener)
    assert response.status_code == 200
    assert order == ["snapshot", "begin"]


def test_inside_its_transaction_a_charge_only_runs_its_statements(account, app, monkeypatch):
    """The rows are bound (the event's JSON encoded) and the objects put in the session before
    the transaction begins: on SQLite the writer lock is held for the statements alone."""
    from sqlalchemy.orm import Session

    from payground.models import direct

    charge = {"amount": 500, "currency": "usd", "source": "tok_visa"}
    assert account.post("/v1/charges", charge).status_code == 200  # the key's first use is noted
    order = []
    real_bind, real_add = direct._Plan.bind, Session.add
    monkeypatch.setattr(direct._Plan, "bind",
                        lambda plan, row: order.append("bind") or real_bind(plan, row))
    monkeypatch.setattr(Session, "add",
                        lambda session, obj, **kw: order.append("add") or real_add(session, obj,
                                                                                   **kw))
    with app.app_context():
        engine = db.engine

    def begin(_conn):
        order.append("begin")

    def statement(_conn, _cursor, sql, _params, _context, _many):
        order.append("statement")

    event.listen(engine, "begin", begin)
    event.listen(engine, "before_cursor_execute", statement)
    try:
        response = account.post("/v1/charges", charge)
    finally:
        event.remove(engine, "begin", begin)
        event.remove(engine, "before_cursor_execute", statement)
    assert response.status_code == 200
    started = order.index("begin")
    # The charge, the balance transaction, the ledger rows, the event ...
    assert order[:started].count("bind") >= 5 and order[:started].count("add") == 2
    assert set(order[started + 1:]) == {"statement"}


def test_a_fresh_worker_process_charges_on_its_first_request(tmp_path):
    # gunicorn's workers import payground.wsgi and serve without `payground serve`'s warm-up
    # (which configures the ORM mappers before forking): a worker whose first request is a
    # charge must not depend on it. Subprocesses, as this test process's mappers are
    # configured already: one signs up, a fresh one charges first thing.
    import os
    import subprocess
    import sys

    signup = (
        "import payground.wsgi as w\n"
        "r = w.app.test_client().post('/sandbox/signup', json={'email': 'w@example.com',"
        " 'password': 'a long enough password'})\n"
        "print(r.get_json()['keys']['secret'])\n")
    charge = (
        "import sys, payground.wsgi as w\n"
        "r = w.app.test_client().post('/v1/charges', data={'amount': '2000', 'currency': 'usd',"
        " 'source': 'tok_visa'}, headers={'Authorization': 'Bearer ' + sys.argv[1]})\n"
        "print(r.status_code, r.get_json().get('status'), r.get_json().get('amount_captured'))\n"
        "from payground.app import dispose_app; dispose_app(w.app)\n")
    env = {**os.environ, "PAYGROUND_HOME": str(tmp_path), "PAYGROUND_RATE_LIMITS": "off",
           "PAYGROUND_PASSWORD_COST": "256"}
    env.pop("PAYGROUND_DATABASE_URL", None)

    def run(*args):
        done = subprocess.run([sys.executable, "-c", *args], env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    key = run(signup).strip()
    assert key.startswith("sk_test_")
    assert run(charge, key).split() == ["200", "succeeded", "2000"]
