"""The upgrade step that gives pre-ledger balance transactions their journals."""

from sqlalchemy import text

DAY = 86400


def charge(account, amount, source):
    r = account.post("/v1/charges", {"amount": amount, "currency": "usd", "source": source})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["id"]


def test_backfill_rebuilds_the_ledger_of_an_old_database(app, account, wall):
    settled = charge(account, 10000, "tok_bypassPending")
    pending = charge(account, 2000, "tok_visa")
    account.post("/v1/refunds", {"charge": settled, "amount": 1000})
    account.post("/v1/refunds", {"charge": pending, "amount": 500})
    before = account.get("/v1/balance").get_json()

    from payground.extensions import db
    from payground.services.ledger_backfill import backfill

    with app.app_context():
        with db.engine.begin() as conn:  # as a database from before the ledger would be
            for table in ("ledger_entries", "ledger_journals", "ledger_balances",
                          "ledger_schedule"):
                conn.execute(text(f"DELETE FROM {table} WHERE account_id = :a"),
                             {"a": account.account_id})
        with db.engine.begin() as conn:
            assert backfill(conn) >= 4  # on PostgreSQL other tests' rows are there too
        with db.engine.begin() as conn:
            assert backfill(conn) == 0  # nothing left to do

    assert account.get("/v1/balance").get_json() == before
    wall[0] += 2 * DAY
    balance = account.get("/v1/balance").get_json()
    assert (balance["available"][0]["amount"], balance["pending"][0]["amount"]) == (
        9680 - 1000 + 1912 - 500, 0)
    report = account.client.get("/sandbox/ledger/verify", headers=account.session_auth)
    assert (report.get_json()["ok"], report.get_json()["problems"]) == (True, [])


def test_backfill_takes_all_fee_charges_of_old_versions(app, account, wall):
    # Before the fee was capped at the amount, a 30p charge (GBP's minimum) cost 31p: net -1.
    # A 31p one still costs all of it (net 0): nothing is pending, nothing is to settle.
    old = account.post("/v1/charges", {"amount": 30, "currency": "gbp",
                                       "source": "tok_visa"}).get_json()
    zero = account.post("/v1/charges", {"amount": 31, "currency": "gbp",
                                        "source": "tok_visa"}).get_json()

    from payground.extensions import db
    from payground.services.ledger_backfill import backfill

    with app.app_context():
        with db.engine.begin() as conn:  # as that version stored it, before the ledger
            conn.execute(text("UPDATE balance_transactions SET fee = 31, net = -1 "
                              "WHERE id = :t"), {"t": old["balance_transaction"]})
            for table in ("ledger_entries", "ledger_journals", "ledger_balances",
                          "ledger_schedule"):
                conn.execute(text(f"DELETE FROM {table} WHERE account_id = :a"),
                             {"a": account.account_id})
        with db.engine.begin() as conn:
            assert backfill(conn) >= 2

    report = account.client.get("/sandbox/ledger/verify", headers=account.session_auth)
    assert (report.get_json()["ok"], report.get_json()["problems"]) == (True, [])
    balance = account.get("/v1/balance").get_json()
    assert (balance["available"], balance["pending"]) == (
        [{"amount": 0, "currency": "gbp", "source_types": {"card": 0}}],
        [{"amount": -1, "currency": "gbp", "source_types": {"card": -1}}])
    wall[0] += 2 * DAY
    balance = account.get("/v1/balance").get_json()
    assert (balance["available"][0]["amount"], balance["pending"][0]["amount"]) == (-1, 0)
    txn = account.get(f"/v1/balance_transactions/{zero['balance_transaction']}").get_json()
    assert (txn["fee"], txn["net"], txn["status"]) == (31, 0, "available")
    report = account.client.get("/sandbox/ledger/verify", headers=account.session_auth)
    assert (report.get_json()["ok"], report.get_json()["problems"]) == (True, [])
