"""/v1/balance: net of fees and refunds, pending until two days pass on the account's clock."""

import pytest

from payground import messages
from tests.helpers import assert_error

DAY = 86400


def charge(account, source="tok_visa", amount=2000, currency="usd", **extra):
    r = account.post("/v1/charges", {"amount": amount, "currency": currency, "source": source,
                                     **extra})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["id"]


def funds(balance, bucket, currency="usd"):
    (entry,) = [e for e in balance[bucket] if e["currency"] == currency]
    assert entry["source_types"] == {"card": entry["amount"]}
    return entry["amount"]


def test_empty_account(account):
    r = account.get("/v1/balance")
    assert r.status_code == 200
    assert r.get_json() == {
        "object": "balance",
        "available": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}],
        "pending": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}],
        "livemode": False,
    }


def test_charges_are_pending_for_two_days(account, wall):
    charge(account, amount=2000)  # fee 88
    charge(account, amount=10000)  # fee 320
    balance = account.get("/v1/balance").get_json()
    assert (funds(balance, "available"), funds(balance, "pending")) == (0, 1912 + 9680)
    wall[0] += 2 * DAY - 10
    assert funds(account.get("/v1/balance").get_json(), "available") == 0
    wall[0] += 10
    balance = account.get("/v1/balance").get_json()
    assert (funds(balance, "available"), funds(balance, "pending")) == (1912 + 9680, 0)


def test_bypass_pending_is_available_at_once(account):
    charge(account, "tok_bypassPending")
    balance = account.get("/v1/balance").get_json()
    assert (funds(balance, "available"), funds(balance, "pending")) == (1912, 0)


def test_declined_and_uncaptured_charges_do_not_count(account):
    account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                 "source": "tok_chargeDeclined"})
    cid = charge(account, capture="false")
    balance = account.get("/v1/balance").get_json()
    assert (funds(balance, "available"), funds(balance, "pending")) == (0, 0)
    account.post(f"/v1/charges/{cid}/capture")
    assert funds(account.get("/v1/balance").get_json(), "pending") == 1912


def test_refunds_are_debits(account, wall):
    settled = charge(account, "tok_bypassPending", amount=10000)  # net 9680, available
    pending = charge(account, amount=2000)  # net 1912, pending
    account.post("/v1/refunds", {"charge": settled, "amount": 1000})
    account.post("/v1/refunds", {"charge": pending, "amount": 500})
    balance = account.get("/v1/balance").get_json()
    # A refund comes out of the bucket its charge's funds are in; the fee is not returned.
    assert (funds(balance, "available"), funds(balance, "pending")) == (8680, 1412)
    wall[0] += 2 * DAY
    balance = account.get("/v1/balance").get_json()
    assert (funds(balance, "available"), funds(balance, "pending")) == (8680 + 1412, 0)


def test_currencies_are_separate(account):
    charge(account, "tok_bypassPending", amount=2000)
    charge(account, "tok_bypassPending", amount=1000, currency="eur")
    balance = account.get("/v1/balance").get_json()
    assert [e["currency"] for e in balance["available"]] == ["eur", "usd"]
    assert (funds(balance, "available", "eur"), funds(balance, "available")) == (
        1000 - 59, 2000 - 88)


def test_a_currency_whose_fees_took_everything_is_listed(account):
    # 30p, GBP's minimum: the fee (2.9% + 30, at most the amount) takes all of it.
    cid = charge(account, amount=30, currency="gbp")
    txn = account.get("/v1/balance_transactions").get_json()["data"][0]
    assert (txn["currency"], txn["amount"], txn["fee"], txn["net"]) == ("gbp", 30, 30, 0)
    balance = account.get("/v1/balance").get_json()
    assert [e["currency"] for e in balance["available"]] == ["gbp"]
    assert [e["currency"] for e in balance["pending"]] == ["gbp"]
    assert (funds(balance, "available", "gbp"), funds(balance, "pending", "gbp")) == (0, 0)
    account.post("/v1/refunds", {"charge": cid})  # the fee is not returned
    balance = account.get("/v1/balance").get_json()
    assert (funds(balance, "available", "gbp"), funds(balance, "pending", "gbp")) == (-30, 0)


def test_other_accounts_do_not_count(account, make_account):
    charge(account, "tok_bypassPending")
    assert funds(make_account().get("/v1/balance").get_json(), "available") == 0


def test_publishable_key_cannot_read_the_balance(account):
    r = account.get("/v1/balance", key=account.publishable_key)
    assert_error(r, 401, code="secret_key_required", message=messages.SECRET_KEY_REQUIRED)


def test_unknown_parameter(account):
    assert_error(account.get("/v1/balance?foo=1"), 400, code="parameter_unknown", param="foo",
                 message="Received unknown parameter: foo")


# -- the ledger behind the balance -----------------------------------------------------------


@pytest.fixture
def statements(app):
    """The SQL statements the app runs while the ``with`` block is open."""
    from contextlib import contextmanager

    from sqlalchemy import event

    from payground.extensions import db

    @contextmanager
    def capture():
        seen: list[str] = []

        def record(conn, cursor, statement, *args):
            seen.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield seen
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return capture


def balance_reads(statements, account):
    with statements() as seen:
        assert account.get("/v1/balance").status_code == 200
    return [s for s in seen if "ledger" in s or "balance_transactions" in s]


def test_reading_the_balance_costs_the_same_however_many_charges(account, statements):
    charge(account)
    few = balance_reads(statements, account)
    for _ in range(12):
        charge(account)
        account.post("/v1/refunds", {"charge": charge(account, "tok_bypassPending"),
                                     "amount": 100})
    many = balance_reads(statements, account)
    assert few == many  # the same statements: running totals, not a sum over entries
    assert not any("ledger_entries" in s or "FROM balance_transactions" in s for s in many)


def test_settling_is_done_once_and_only_for_what_matured(account, wall, statements):
    for _ in range(3):
        charge(account)
    wall[0] += DAY
    for _ in range(2):
        charge(account)
    wall[0] += DAY  # the first three have matured, the last two have not
    with statements() as seen:
        balance = account.get("/v1/balance").get_json()
    assert (funds(balance, "available"), funds(balance, "pending")) == (3 * 1912, 2 * 1912)
    settled = [s for s in seen if s.startswith("INSERT INTO ledger_journals")]
    assert len(settled) == 1  # one insert (of three settlement journals)
    with statements() as again:
        account.get("/v1/balance")
    # Nothing new has matured: one indexed look at the schedule, no writes at all.
    assert not any(s.startswith(("INSERT", "UPDATE", "DELETE")) for s in again)


def test_refund_of_a_pending_charge_settles_with_it(account, wall):
    cid = charge(account, amount=2000)
    r = account.post("/v1/refunds", {"charge": cid, "amount": 500,
                                     "expand[]": "balance_transaction"})
    txn = r.get_json()["balance_transaction"]
    created = account.get(f"/v1/charges/{cid}?expand[]=balance_transaction").get_json()
    assert (txn["status"], txn["available_on"]) == (
        "pending", created["balance_transaction"]["available_on"])
    wall[0] += 2 * DAY
    balance = account.get("/v1/balance").get_json()
    assert (funds(balance, "available"), funds(balance, "pending")) == (1412, 0)


def test_modes_have_separate_balances(account):
    account.activate()
    charge(account, "tok_bypassPending")
    live = account.get("/v1/balance", key=account.live_secret_key).get_json()
    assert live["livemode"] is True
    assert (funds(live, "available"), funds(live, "pending")) == (0, 0)


def test_balance_available_event_when_funds_settle(account, wall):
    charge(account)
    wall[0] += 2 * DAY
    account.get("/v1/balance")
    events = account.get("/v1/events?type=balance.available").get_json()["data"]
    assert len(events) == 1
    assert events[0]["data"]["object"] == {
        "object": "balance", "livemode": False,
        "available": [{"amount": 1912, "currency": "usd", "source_types": {"card": 1912}}],
        "pending": [{"amount": 0, "currency": "usd", "source_types": {"card": 0}}]}


@pytest.mark.parametrize("refunded,event", [(2000, False), (1913, False), (1912, False),
                                            (1911, True)])
def test_no_balance_available_event_when_settling_lowers_the_balance(account, wall, refunded,
                                                                     event):
    # Found by tests/api/test_money_state_machine.py: a charge (net 1912) refunded while
    # pending settles with its refund; refunding more than the net (the fee is kept) makes
    # the available balance fall, and Stripe never sends balance.available for a decrease.
    cid = charge(account, amount=2000)
    r = account.post("/v1/refunds", {"charge": cid, "amount": refunded})
    assert r.status_code == 200, r.get_json()
    wall[0] += 2 * DAY
    balance = account.get("/v1/balance").get_json()
    assert (funds(balance, "available"), funds(balance, "pending")) == (1912 - refunded, 0)
    events = account.get("/v1/events?type=balance.available").get_json()["data"]
    assert [e["data"]["object"]["available"][0]["amount"] for e in events] == (
        [1912 - refunded] if event else [])


def test_a_refund_first_settles_what_came_due(account, wall):
    # Found by tests/api/test_money_state_machine.py: the charge's funds became available two
    # days on, but nobody looked before the refund; the refund must not be merged with that
    # settlement (which then lowered the balance and sent no balance.available).
    cid = charge(account, amount=2000)
    wall[0] += 3 * DAY
    r = account.post("/v1/refunds", {"charge": cid})
    assert r.status_code == 200, r.get_json()
    events = account.get("/v1/events?type=balance.available").get_json()["data"]
    assert [e["data"]["object"]["available"][0]["amount"] for e in events] == [1912]
    balance = account.get("/v1/balance").get_json()
    assert (funds(balance, "available"), funds(balance, "pending")) == (-88, 0)
    report = account.client.get("/sandbox/ledger/verify", headers=account.session_auth)
    assert (report.get_json()["ok"], report.get_json()["problems"]) == (True, [])
