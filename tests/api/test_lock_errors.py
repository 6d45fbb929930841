"""A lock that cannot be had in time is Stripe's 429 lock_timeout, never a 500."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError

from payground import messages
from payground.services import customers
from tests.helpers import assert_error


class PgLockNotAvailable(Exception):
    sqlstate = "55P03"  # what psycopg raises after SET LOCAL lock_timeout


@pytest.mark.parametrize("cause", [sqlite3.OperationalError("database is locked"),
                                   PgLockNotAvailable("canceling statement due to lock timeout")])
def test_lock_failure_is_a_429_and_writes_nothing(account, monkeypatch, cause):
    def locked(*args, **kwargs):
        raise OperationalError("INSERT INTO customers ...", {}, cause)

    monkeypatch.setattr(customers, "create_customer", locked)
    r = account.post("/v1/customers", {"email": "held@example.com"})
    # Stripe's whole message (its rate-limits page and its live 429 bodies), not a part of it.
    assert_error(r, 429, code="lock_timeout", message=(
        "This object cannot be accessed right now because another API request or Stripe "
        "process is currently accessing it. If you see this error intermittently, retry the "
        "request. If you see this error frequently and are making multiple concurrent requests "
        "to a single object, make your requests serially or at a lower rate."))
    assert r.headers["Stripe-Should-Retry"] == "true"  # the SDKs retry on their own
    monkeypatch.undo()
    assert account.get("/v1/customers").get_json()["data"] == []


def test_a_retry_with_the_same_idempotency_key_runs_again(account, monkeypatch):
    def locked(*args, **kwargs):
        raise OperationalError("INSERT INTO customers ...", {},
                               sqlite3.OperationalError("database is locked"))

    once = {"email": "held@example.com"}
    monkeypatch.setattr(customers, "create_customer", locked)
    first = account.post("/v1/customers", once, headers={"Idempotency-Key": "order-7"})
    assert_error(first, 429, code="lock_timeout", message=messages.LOCK_TIMEOUT)
    monkeypatch.undo()

    retry = account.post("/v1/customers", once, headers={"Idempotency-Key": "order-7"})
    assert retry.status_code == 200
    assert "Idempotent-Replayed" not in retry.headers
    replay = account.post("/v1/customers", once, headers={"Idempotency-Key": "order-7"})
    assert (replay.headers["Idempotent-Replayed"], replay.get_json()["id"]) == (
        "true", retry.get_json()["id"])
    assert [c["id"] for c in account.get("/v1/customers").get_json()["data"]] == [
        retry.get_json()["id"]]


def test_other_database_errors_stay_api_errors(account, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(customers, "create_customer", broken)
    r = account.post("/v1/customers", {"email": "x@example.com"})
    assert r.status_code == 500
    assert r.get_json()["error"]["type"] == "api_error"
    assert "disk I/O" not in r.get_data(as_text=True)
