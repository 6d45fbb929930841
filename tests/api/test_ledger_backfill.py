"""The upgrade step that gives pre-ledger balance transactions their journals."""

from sqlalchemy import bindparam, text

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


def _ledger_of(conn, accounts):
    """Every running total, journal (with its entries) and schedule row of ``accounts``, by
    content (the backfill makes them again with ids of its own)."""
    names = {"a": list(accounts)}
    totals = sorted(tuple(r) for r in conn.execute(text(
        "SELECT account_id, livemode, currency, ledger_account, amount FROM ledger_balances "
        "WHERE account_id IN :a AND amount != 0").bindparams(
            bindparam("a", expanding=True)), names))
    journals = sorted(tuple(r) for r in conn.execute(text(
        "SELECT j.account_id, j.livemode, j.created, j.kind, j.source, "
        "j.balance_transaction_id, e.ledger_account, e.currency, e.amount "
        "FROM ledger_journals j JOIN ledger_entries e ON e.journal_id = j.id "
        "WHERE j.account_id IN :a").bindparams(
            bindparam("a", expanding=True)), names))
    schedule = sorted(tuple(r) for r in conn.execute(text(
        "SELECT account_id, livemode, kind, ref, due_at FROM ledger_schedule "
        "WHERE account_id IN :a").bindparams(
            bindparam("a", expanding=True)), names))
    return totals, journals, schedule


def test_backfill_in_chunks_posts_what_the_request_path_posted(app, make_account, wall,
                                                              monkeypatch):
    """Chunks that split an account's charges (and mix two accounts and currencies) give the
    same journals, running totals and settlements as posting each charge when it was made."""
    first, second = make_account(), make_account()
    for account, source in ((first, "tok_bypassPending"), (second, "tok_visa"),
                            (first, "tok_visa"), (second, "tok_bypassPending"),
                            (first, "tok_visa")):
        charged = charge(account, 5000, source)
        wall[0] += 60  # journals of their own second: their order does not decide anything
        account.post("/v1/refunds", {"charge": charged, "amount": 700})
    eur = account.post("/v1/charges", {"amount": 1234, "currency": "eur", "source": "tok_visa"})
    assert eur.status_code == 200, eur.get_json()
    accounts = (first.account_id, second.account_id)
    balances = [a.get("/v1/balance").get_json() for a in (first, second)]

    from payground.extensions import db
    from payground.services import ledger_backfill

    monkeypatch.setattr(ledger_backfill, "CHUNK", 3)
    with app.app_context():
        with db.engine.begin() as conn:
            posted = _ledger_of(conn, accounts)
            for table in ("ledger_entries", "ledger_journals", "ledger_balances",
                          "ledger_schedule"):
                conn.execute(text(f"DELETE FROM {table} WHERE account_id IN (:a, :b)"),
                             {"a": accounts[0], "b": accounts[1]})
        with db.engine.begin() as conn:
            assert ledger_backfill.backfill(conn) >= 11  # 6 charges, 5 refunds
        with db.engine.begin() as conn:
            backfilled = _ledger_of(conn, accounts)

    assert [len(part) for part in posted] == [len(part) for part in backfilled]
    assert backfilled == posted
    assert [a.get("/v1/balance").get_json() for a in (first, second)] == balances
    for account in (first, second):
        report = account.client.get("/sandbox/ledger/verify", headers=account.session_auth)
        assert (report.get_json()["ok"], report.get_json()["problems"]) == (True, [])
