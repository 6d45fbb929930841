"""The catch-up step at scale: what came due is looked up by primary key, in chunks.

``bench/balance_read.py`` found both problems on an account with a million entries: SQLite
read every balance transaction of the account once ten settlements were due, and on
PostgreSQL 65,536 settlements due at once made every balance read fail.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event

from payground.core import money
from payground.extensions import db
from payground.services import ledger

DAY = 86400


def charge(account, amount):
    r = account.post("/v1/charges", {"amount": amount, "currency": "usd", "source": "tok_visa"})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_a_catch_up_bigger_than_one_chunk_settles_everything(account, wall, monkeypatch):
    monkeypatch.setattr(ledger, "SETTLE_CHUNK", 2)
    amounts = [1000, 2000, 3000, 4000, 5000]
    txns = [charge(account, amount)["balance_transaction"] for amount in amounts]
    wall[0] += 2 * DAY
    balance = account.get("/v1/balance").get_json()
    assert balance["available"][0]["amount"] == sum(money.net(a) for a in amounts)
    assert balance["pending"][0]["amount"] == 0
    for txn in txns:
        assert account.get(f"/v1/balance_transactions/{txn}").get_json()["status"] == "available"
    r = account.client.get("/sandbox/ledger/verify", headers=account.session_auth)
    body = r.get_json()
    assert body["ok"], body["problems"]
    # Five charge journals of three entries, five settlement journals of two.
    assert (body["checked"]["journals"], body["checked"]["entries"]) == (10, 25)


def test_settlements_are_looked_up_by_primary_key_on_sqlite(app, account, wall):
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's planner, without statistics, is the one that chose badly")
    for _ in range(12):  # ten or more ids made SQLite walk the account's scope index
        charge(account, 2000)
    wall[0] += 2 * DAY
    seen = []

    def capture(_conn, _cursor, sql, params, _context, _many):
        if sql.lstrip().startswith("SELECT") and "FROM balance_transactions" in sql:
            seen.append((sql, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert account.get("/v1/balance").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    ((sql, params),) = seen
    with engine.connect() as conn:
        plan = [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params)]
    assert plan == ["SEARCH balance_transactions USING INDEX "
                    "sqlite_autoindex_balance_transactions_1 (id=?)"], plan
