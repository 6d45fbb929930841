"""Refunds, captures, payouts and catch-ups racing on one account never break the ledger.

Each thread has its own client (its own database session and connection), released together
by a barrier. Run on SQLite (write transactions serialise) and on PostgreSQL (row locks) by
setting PAYGROUND_TEST_DATABASE_URL.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter

import pytest

from payground import messages

DAY = 86400


def race(app, jobs):
    """Run every ``(method, path, data, headers)`` at once; return ``[(job, status, body)]``."""
    barrier = threading.Barrier(len(jobs))
    results: list = []

    def worker(job):
        method, path, data, headers = job
        client = app.test_client()
        barrier.wait()
        r = client.open(path, method=method, data=data, headers=headers)
        results.append((job, r.status_code, r.get_json()))

    pool = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return results


def charge(account, amount, source="tok_visa", **extra):
    r = account.post("/v1/charges", {"amount": amount, "currency": "usd", "source": source,
                                     **extra})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["id"]


def outcome(results, path_part):
    """Statuses and error codes of the jobs whose path contains ``path_part``."""
    return Counter((status, (body.get("error") or {}).get("code"))
                   for job, status, body in results if path_part in job[1])


def balance(account):
    body = account.get("/v1/balance").get_json()
    return body["available"][0]["amount"], body["pending"][0]["amount"]


def test_refunds_captures_payouts_and_reads_at_once(app, account, wall):
    charge(account, 2000)  # net 1912, matures before the race: settled exactly once in it
    wall[0] += 2 * DAY
    refunded = charge(account, 10000)  # pending: its refunds come out of pending
    authorized = charge(account, 5000, capture="false")
    charge(account, 10000, "tok_bypassPending")  # 9680 available at once
    auth = account.auth()
    jobs = ([("POST", "/v1/refunds", {"charge": refunded, "amount": 1500}, auth)] * 8
            + [("POST", f"/v1/charges/{authorized}/capture", {}, auth)] * 4
            + [("POST", "/v1/payouts", {"amount": 1000, "currency": "usd"}, auth)] * 12
            + [("GET", "/v1/balance", None, auth)] * 4)
    assert len(jobs) >= 16
    results = race(app, jobs)

    # 6 x 1500 <= 10000 < 7 x 1500; one capture; 11 x 1000 <= 9680 + 1912 < 12 x 1000.
    # A loser may also be told to retry (429 lock_timeout); nobody gets a 500.
    refunds = outcome(results, "/v1/refunds")
    assert refunds[(200, None)] == 6
    assert refunds[(400, None)] + refunds[(429, "lock_timeout")] == 2
    captures = outcome(results, "/capture")
    assert captures[(200, None)] == 1
    assert captures[(400, "charge_already_captured")] + captures[(429, "lock_timeout")] == 3
    payouts = outcome(results, "/v1/payouts")
    won = payouts[(200, None)]
    assert payouts[(400, "balance_insufficient")] + payouts[(429, "lock_timeout")] == 12 - won
    assert won == min(11, 12 - payouts[(429, "lock_timeout")])
    for job, status, body in results:
        if status == 400 and job[1] == "/v1/refunds":
            assert body["error"]["message"] == messages.REFUND_TOO_LARGE_AFTER_REFUNDS.format(
                amount="$15.00", remaining="$10.00")
        if status == 400 and job[1] == "/v1/payouts":
            assert body["error"]["message"] == messages.BALANCE_INSUFFICIENT
    assert outcome(results, "/v1/balance") == {(200, None): 4}

    c = account.get(f"/v1/charges/{refunded}").get_json()
    assert c["amount_refunded"] == 9000 <= c["amount"]
    listed = account.get(f"/v1/refunds?charge={refunded}&limit=100").get_json()["data"]
    assert sum(r["amount"] for r in listed) == 9000
    captured_net = 5000 - 175
    assert balance(account) == (9680 + 1912 - 1000 * won, 9680 - 9000 + captured_net)
    verified = account.client.get("/sandbox/ledger/verify", headers=account.session_auth)
    assert (verified.get_json()["ok"], verified.get_json()["problems"]) == (True, [])


def test_concurrent_catch_ups_settle_each_charge_once(app, account, wall):
    for _ in range(10):
        charge(account, 2000)
    wall[0] += 2 * DAY
    auth = account.auth()
    results = race(app, [("GET", "/v1/balance", None, auth)] * 16)
    assert {status for _, status, _ in results} == {200}
    # Whoever settled them, every reader saw them settled, and only once.
    assert {(b["available"][0]["amount"], b["pending"][0]["amount"])
            for _, _, b in results} == {(10 * 1912, 0)}
    verified = account.client.get("/sandbox/ledger/verify", headers=account.session_auth)
    body = verified.get_json()
    assert (body["ok"], body["checked"]["journals"]) == (True, 10 + 10)
    events = account.get("/v1/events?type=balance.available").get_json()["data"]
    assert len(events) == 1


def test_payouts_and_cancels_race_with_the_clock(app, account, wall):
    charge(account, 10000, "tok_bypassPending")
    auth = account.auth()
    made = [account.post("/v1/payouts", {"amount": 1000, "currency": "usd"}).get_json()["id"]
            for _ in range(8)]
    wall[0] += DAY - 1  # one second before they go in transit
    jobs = ([("POST", f"/v1/payouts/{p}/cancel", {}, auth) for p in made]
            + [("POST", f"/v1/payouts/{p}/cancel", {}, auth) for p in made]
            + [("GET", "/v1/payouts", None, auth)] * 4)
    results = race(app, jobs)
    cancels = outcome(results, "/cancel")
    # Each payout is canceled exactly once; the second try is refused.
    assert cancels[(200, None)] == 8
    assert cancels[(400, None)] + cancels[(429, "lock_timeout")] == 8
    assert balance(account) == (9680, 0)
    wall[0] += 2 * DAY  # their schedule comes due: canceled payouts stay canceled
    statuses = {p["status"] for p in account.get("/v1/payouts?limit=100").get_json()["data"]}
    assert statuses == {"canceled"}
    verified = account.client.get("/sandbox/ledger/verify", headers=account.session_auth)
    assert verified.get_json()["ok"] is True


class _PgError(Exception):
    def __init__(self, sqlstate):
        super().__init__("canceling statement due to lock timeout")
        self.sqlstate = sqlstate


@pytest.mark.parametrize("cause,is_lock", [
    (sqlite3.OperationalError("database is locked"), True),
    (_PgError("55P03"), True),  # lock_not_available (lock_timeout expired)
    (_PgError("40P01"), True),  # deadlock_detected
    (sqlite3.OperationalError("no such table: x"), False),
])
def test_lock_failures_become_stripes_lock_timeout(app, cause, is_lock):
    from sqlalchemy.exc import OperationalError

    from payground.errors import lock_timeout_for

    error = OperationalError("SELECT 1", {}, cause)
    with app.app_context():
        refused = lock_timeout_for(error)  # what every error handler renders
    if is_lock:
        assert (refused.status, refused.code, refused.message) == (
            429, "lock_timeout", messages.LOCK_TIMEOUT)
    else:
        assert refused is None  # any other database error stays a 500
