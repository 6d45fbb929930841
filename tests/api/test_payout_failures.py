"""Stripe's test bank account numbers: a payout to a failing one is ``failed`` on its arrival
date, its money back in the available balance (``POST /sandbox/bank`` chooses the account)."""

from __future__ import annotations

import time

import pytest

from payground import messages
from payground.core import banks
from tests.helpers import assert_error

DAY = 86400
LIVE_CARD = "4012888888881881"  # Luhn-valid, not one of Stripe's test cards (limit > $100)
NET = 9680  # a $100.00 charge, less 2.9% + 30
FAILING = [
    ("000111111116", "1116", "no_account",
     "The bank account details on file are probably incorrect. No bank account could be "
     "located with those details."),
    ("000111111113", "1113", "account_closed", "The bank account has been closed."),
    ("000222222227", "2227", "insufficient_funds",
     "Your Stripe account has insufficient funds to cover the payout."),
    ("000333333335", "3335", "debit_not_authorized",
     "Debit transactions are not approved on the bank account. (Stripe requires bank accounts "
     "to be set up for both credit and debit payouts.)"),
    ("000444444440", "4440", "invalid_currency",
     "The bank was unable to process this payout because of its currency. This is probably "
     "because the bank account cannot accept payments in that currency."),
]


def use_bank(account, account_number, **extra):
    return account.client.post("/sandbox/bank", headers=account.session_auth, json={
        "bank_account": {"account_number": account_number, **extra}})


def chosen(account, account_number) -> dict:
    r = use_bank(account, account_number)
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def fund(account, amount=10000):
    r = account.post("/v1/charges", {"amount": amount, "currency": "usd",
                                     "source": "tok_bypassPending"})
    assert r.status_code == 200, r.get_json()


def pay_out(account, amount) -> dict:
    r = account.post("/v1/payouts", {"amount": amount, "currency": "usd"})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def payout(account, payout_id, *expand) -> dict:
    r = account.get(f"/v1/payouts/{payout_id}", query_string={"expand[]": list(expand)})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def available(account) -> int:
    (entry,) = account.get("/v1/balance").get_json()["available"]
    return entry["amount"]


def banks_listed(account) -> list[dict]:
    r = account.client.get("/sandbox/bank", headers=account.session_auth)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["data"]


def verified(account) -> dict:
    report = account.client.get("/sandbox/ledger/verify",
                                headers=account.session_auth).get_json()
    assert (report["ok"], report["balanced"], report["problems"]) == (True, True, [])
    return report["checked"]


@pytest.mark.parametrize("number,last4,code,message", FAILING)
def test_a_payout_to_a_failing_test_account_fails_on_its_arrival_date(account, wall, number,
                                                                      last4, code, message):
    bank = chosen(account, number)
    assert {k: bank[k] for k in ("object", "livemode", "bank_name", "routing_number", "last4",
                                 "status", "received", "in_transit")} == {
        "object": "bank_account", "livemode": False, "bank_name": "STRIPE TEST BANK",
        "routing_number": "110000000", "last4": last4, "status": "new",
        "received": [{"currency": "usd", "amount": 0}],
        "in_transit": [{"currency": "usd", "amount": 0}]}
    fund(account)
    created = pay_out(account, 4000)
    assert (created["status"], created["destination"], created["failure_code"],
            created["failure_message"], created["failure_balance_transaction"]) == (
        "pending", bank["id"], None, None, None)
    assert available(account) == NET - 4000

    wall[0] += DAY
    assert payout(account, created["id"])["status"] == "in_transit"
    wall[0] += DAY - 1
    assert payout(account, created["id"])["status"] == "in_transit"
    assert available(account) == NET - 4000  # still on its way
    wall[0] += 1
    failed = payout(account, created["id"], "failure_balance_transaction", "destination")
    assert (failed["status"], failed["failure_code"], failed["failure_message"],
            failed["trace_id"]) == ("failed", code, message,
                                    {"status": "unsupported", "value": None})
    back = failed["failure_balance_transaction"]
    assert (back["amount"], back["fee"], back["net"], back["type"], back["reporting_category"],
            back["source"], back["status"], back["available_on"], back["created"]) == (
        4000, 0, 4000, "payout_failure", "payout_reversal", created["id"], "available",
        created["arrival_date"], created["arrival_date"])
    assert (failed["destination"]["id"], failed["destination"]["last4"],
            failed["destination"]["status"]) == (bank["id"], last4, "errored")
    assert available(account) == NET  # the money is back

    events = account.get("/v1/events?type=payout.*").get_json()["data"]
    assert [e["type"] for e in events] == ["payout.failed", "payout.updated", "payout.created"]
    snapshot = events[0]["data"]["object"]
    assert (snapshot["id"], snapshot["status"], snapshot["failure_code"],
            snapshot["failure_message"], snapshot["failure_balance_transaction"]) == (
        created["id"], "failed", code, message, back["id"])
    assert (events[0]["created"], events[0]["request"]) == (
        created["arrival_date"], {"id": None, "idempotency_key": None})  # the clock did it
    assert account.get("/v1/events?type=payout.paid").get_json()["data"] == []

    (listed,) = banks_listed(account)
    assert (listed["id"], listed["status"], listed["received"], listed["in_transit"]) == (
        bank["id"], "errored", [{"currency": "usd", "amount": 0}],
        [{"currency": "usd", "amount": 0}])  # nothing reached the bank
    assert verified(account) == {"journals": 3, "entries": 7, "running_totals": 4,
                                 "balance_transactions": 3, "charges": 1, "payouts": 1}
    txns = account.get(f"/v1/balance_transactions?payout={created['id']}").get_json()["data"]
    assert [(t["type"], t["amount"]) for t in txns] == [("payout_failure", 4000),
                                                        ("payout", -4000)]
    statuses = {s: [p["id"] for p in account.get(f"/v1/payouts?status={s}").get_json()["data"]]
                for s in ("failed", "paid")}
    assert statuses == {"failed": [created["id"]], "paid": []}


def test_the_success_number_is_paid_and_brings_success_back(account, wall):
    first = chosen(account, "000111111116")
    fund(account)
    doomed = pay_out(account, 1000)
    again = chosen(account, banks.SUCCESS_ACCOUNT_NUMBER)  # while `doomed` is on its way
    assert (again["last4"], again["status"]) == ("6789", "new")
    assert again["id"] != first["id"]
    paid = pay_out(account, 2000)
    assert paid["destination"] == again["id"]
    wall[0] += 2 * DAY
    # Each payout ends as the bank account it was sent to says.
    assert (payout(account, doomed["id"])["status"], payout(account, paid["id"])["status"]) == (
        "failed", "paid")
    assert payout(account, doomed["id"])["destination"] == first["id"]
    assert available(account) == NET - 2000
    (listed,) = banks_listed(account)
    assert (listed["id"], listed["last4"], listed["status"], listed["received"]) == (
        again["id"], "6789", "new", [{"currency": "usd", "amount": 2000}])
    by_bank = {b: [p["id"] for p in account.get(f"/v1/payouts?destination={b}").get_json()[
        "data"]] for b in (first["id"], again["id"])}
    assert by_bank == {first["id"]: [doomed["id"]], again["id"]: [paid["id"]]}
    verified(account)


def test_a_canceled_payout_to_a_failing_account_never_fails(account, wall):
    chosen(account, "000111111113")
    fund(account)
    created = pay_out(account, 3000)
    r = account.post(f"/v1/payouts/{created['id']}/cancel")
    assert (r.status_code, r.get_json()["status"]) == (200, "canceled")
    wall[0] += 3 * DAY
    after = payout(account, created["id"])
    assert (after["status"], after["failure_code"], after["failure_message"]) == (
        "canceled", None, None)
    assert available(account) == NET
    assert [b["status"] for b in banks_listed(account)] == ["new"]
    verified(account)


def test_routing_number_may_be_given_and_the_form_body_works(account):
    r = account.client.post("/sandbox/bank", headers=account.session_auth, data={
        "bank_account[routing_number]": "110000000",
        "bank_account[account_number]": "000222222227"})
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["routing_number"], r.get_json()["last4"]) == ("110000000", "2227")


@pytest.mark.parametrize("bank,code,param,message", [
    ({"account_number": "000987654321"}, "account_number_invalid",
     "bank_account[account_number]", messages.TEST_MODE_LIVE_BANK_ACCOUNT),
    ({"account_number": "111111116"}, "account_number_invalid",
     "bank_account[account_number]", messages.TEST_MODE_LIVE_BANK_ACCOUNT),
    ({"account_number": "000111111116", "routing_number": "021000021"},
     "routing_number_invalid", "bank_account[routing_number]",
     messages.TEST_MODE_ROUTING_NUMBER),
    ({"routing_number": "110000000"}, "parameter_missing", "bank_account[account_number]",
     "Missing required param: bank_account[account_number]."),
    ({"account_number": "000111111116", "currency": "eur"}, "parameter_unknown",
     "bank_account[currency]", "Received unknown parameter: bank_account[currency]"),
])
def test_only_stripes_test_numbers_are_taken(account, bank, code, param, message):
    before = banks_listed(account)
    assert_error(account.client.post("/sandbox/bank", headers=account.session_auth,
                                     json={"bank_account": bank}),
                 400, code=code, param=param, message=message)
    assert banks_listed(account) == before  # nothing changed


def test_the_messages_are_the_documented_ones():
    assert messages.TEST_MODE_LIVE_BANK_ACCOUNT == (
        "You must use a test bank account number in test mode. Try 000123456789 or see more "
        "options at https://stripe.com/docs/connect/testing#account-numbers.")
    assert messages.LIVE_MODE_TEST_BANK_ACCOUNT == (
        "Your request was in live mode, but used Stripe's test bank (routing number "
        "110000000). Live payouts need a real bank account's routing number.")


def test_choosing_needs_a_session(account):
    r = account.client.post("/sandbox/bank", headers=account.auth(),
                            json={"bank_account": {"account_number": "000111111116"}})
    assert_error(r, 401, message=messages.API_KEY_ON_SANDBOX)
    assert_error(account.client.post("/sandbox/bank", json={}), 401,
                 message=messages.NO_SESSION)


def test_choosing_at_once_leaves_one_default(app, account):
    import threading

    numbers = [number for number, *_ in FAILING]
    barrier, answers = threading.Barrier(len(numbers)), []

    def choose(number):
        client = app.test_client()
        barrier.wait()
        answers.append(client.post("/sandbox/bank", headers=account.session_auth,
                                   json={"bank_account": {"account_number": number}}))

    threads = [threading.Thread(target=choose, args=(n,)) for n in numbers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(r.status_code for r in answers) == [201] * len(numbers)
    (listed,) = banks_listed(account)
    assert listed["id"] in {r.get_json()["id"] for r in answers}
    fund(account)
    assert pay_out(account, 100)["destination"] == listed["id"]


@pytest.mark.parametrize("routing", ["110000000", "110-000-000", " 110 000 000 "])
def test_live_mode_refuses_stripes_test_bank(account, routing):
    r = account.client.post("/sandbox/account/activate", headers=account.session_auth, json={
        "bank_account": {"routing_number": routing, "account_number": "000123456789"}})
    assert_error(r, 400, code="routing_number_invalid", param="bank_account[routing_number]",
                 message=messages.LIVE_MODE_TEST_BANK_ACCOUNT)
    got = account.client.get("/sandbox/account", headers=account.session_auth).get_json()
    assert (got["live_enabled"], got["bank_account"]) == (False, None)
    keys = account.client.get("/sandbox/keys", headers=account.session_auth).get_json()["data"]
    assert [k for k in keys if k["livemode"]] == []


def test_an_activated_account_is_told_so_whatever_bank_it_names(account):
    """A second activation changes nothing: it is ``account_already_activated``, test bank or
    not. A lesson 5 folder copied before live mode refused the test bank (its activate.py
    names 110000000) keeps its live keys when run again, as the lesson says."""
    account.activate(bank_account={"routing_number": "021000021",
                                   "account_number": "000123456789"})
    r = account.client.post("/sandbox/account/activate", headers=account.session_auth, json={
        "bank_account": {"routing_number": "110000000", "account_number": "000987654321"}})
    assert_error(r, 400, code="account_already_activated",
                 message=messages.LIVE_ALREADY_ACTIVATED)
    got = account.client.get("/sandbox/account", headers=account.session_auth).get_json()
    assert got["bank_account"] == {"routing_number": "021000021", "last4": "6789"}


def test_live_payouts_never_fail(account, wall):
    # A failing test account number behind a real routing number is just a bank account.
    account.activate(bank_account={"routing_number": "021000021",
                                   "account_number": "000111111116"})
    live = account.live_secret_key
    year = time.gmtime(wall[0]).tm_year + 2
    tok = account.post("/v1/tokens", {"card[number]": LIVE_CARD, "card[exp_month]": "12",
                                      "card[exp_year]": str(year)},
                       key=account.live_publishable_key).get_json()["id"]
    r = account.post("/v1/charges", {"amount": 10000, "currency": "usd", "source": tok},
                     key=live)
    assert r.status_code == 200, r.get_json()
    wall[0] += 2 * DAY
    r = account.post("/v1/payouts", {"amount": 5000, "currency": "usd"}, key=live)
    assert r.status_code == 200, r.get_json()
    wall[0] += 2 * DAY
    paid = account.get(f"/v1/payouts/{r.get_json()['id']}", key=live).get_json()
    assert (paid["status"], paid["failure_code"], paid["livemode"]) == ("paid", None, True)
    live_bank = next(b for b in banks_listed(account) if b["livemode"])
    assert (live_bank["last4"], live_bank["status"], live_bank["received"]) == (
        "1116", "new", [{"currency": "usd", "amount": 5000}])
    # Choosing a test bank account changes test mode only.
    chosen(account, "000111111116")
    assert [b["last4"] for b in banks_listed(account)] == ["1116", "1116"]
    assert [b["status"] for b in banks_listed(account)] == ["new", "new"]


def balance_snapshot(available_amount, pending_amount=0) -> dict:
    return {"object": "balance", "livemode": False,
            "available": [{"amount": available_amount, "currency": "usd",
                           "source_types": {"card": available_amount}}],
            "pending": [{"amount": pending_amount, "currency": "usd",
                         "source_types": {"card": pending_amount}}]}


def test_a_failed_payouts_money_coming_back_sends_balance_available(account, wall):
    """Stripe sends ``balance.available`` whenever the available balance grows ("not fired
    for negative transactions"): the ``payout_failure`` transaction is such a change. Listing
    the events is the first read after the arrival date: it notices the failure itself."""
    chosen(account, "000111111116")
    fund(account)
    created = pay_out(account, 4000)
    wall[0] += 2 * DAY  # in transit, then failed: nothing has looked yet

    events = account.get("/v1/events", query_string={
        "types[]": ["balance.available", "payout.failed", "payout.updated", "payout.paid"]}
    ).get_json()["data"]
    assert [(e["type"], e["created"], e["request"]) for e in events] == [
        ("balance.available", created["arrival_date"], {"id": None, "idempotency_key": None}),
        ("payout.failed", created["arrival_date"], {"id": None, "idempotency_key": None}),
        ("payout.updated", created["arrival_date"], {"id": None, "idempotency_key": None})]
    assert events[0]["data"]["object"] == balance_snapshot(NET)  # the 4000 back in it
    assert (events[1]["data"]["object"]["status"], events[1]["data"]["object"]["failure_code"],
            events[2]["data"]["previous_attributes"]) == (
        "failed", "no_account", {"status": "pending"})
    # Noticed once: reading again sends nothing more.
    assert account.get("/v1/balance").status_code == 200
    again = account.get("/v1/events?type=balance.available").get_json()["data"]
    assert [e["id"] for e in again] == [events[0]["id"]]
    verified(account)


def test_a_paid_payout_sends_no_balance_available(account, wall):
    fund(account)
    pay_out(account, 4000)
    wall[0] += 2 * DAY
    types = [e["type"] for e in account.get("/v1/events").get_json()["data"]]
    assert types == ["payout.paid", "payout.updated", "payout.created", "charge.succeeded"]


def test_a_canceled_payouts_money_coming_back_sends_balance_available(account):
    fund(account)
    created = pay_out(account, 3000)
    r = account.post(f"/v1/payouts/{created['id']}/cancel",
                     headers={"Idempotency-Key": "cancel-march"})
    assert r.status_code == 200, r.get_json()
    events = account.get("/v1/events?limit=2").get_json()["data"]
    assert [(e["type"], e["request"]) for e in events] == [
        ("balance.available", {"id": r.headers["Request-Id"], "idempotency_key": "cancel-march"}),
        ("payout.canceled", {"id": r.headers["Request-Id"], "idempotency_key": "cancel-march"})]
    assert events[0]["data"]["object"] == balance_snapshot(NET)
