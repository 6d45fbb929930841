"""Idempotency through the official SDK: replays and IdempotencyError."""

from __future__ import annotations

import pytest
import stripe

from payground import messages


def test_same_key_same_parameters_returns_the_same_object(payground_stripe):
    first = payground_stripe.Customer.create(email="jo@example.com", idempotency_key="order-1")
    again = payground_stripe.Customer.create(email="jo@example.com", idempotency_key="order-1")
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert [c.id for c in payground_stripe.Customer.list()] == [first.id]


def test_the_sdk_reads_the_key_back_from_the_answer(payground_stripe):
    # stripe-python's last_response.idempotency_key is the answer's Idempotency-Key header,
    # which Stripe sends back on every request that had one.
    made = payground_stripe.Customer.create(email="jo@example.com", idempotency_key="order-2")
    assert made.last_response.idempotency_key == "order-2"
    again = payground_stripe.Customer.create(email="jo@example.com", idempotency_key="order-2")
    assert (again.id, again.last_response.idempotency_key) == (made.id, "order-2")


def test_same_key_other_parameters_raises_idempotency_error(payground_stripe):
    payground_stripe.Charge.create(amount=2000, currency="usd", source="tok_visa",
                                   idempotency_key="pay-1")
    with pytest.raises(stripe.IdempotencyError) as raised:
        payground_stripe.Charge.create(amount=3000, currency="usd", source="tok_visa",
                                       idempotency_key="pay-1")
    error = raised.value
    assert error.http_status == 400
    assert error.error.type == "idempotency_error"
    assert error.user_message == messages.IDEMPOTENCY_MISMATCH.format(key="pay-1")
    assert len(payground_stripe.Charge.list().data) == 1


def test_a_lock_timeout_is_retried_by_the_sdk_and_creates_one_object(payground_stripe,
                                                                      monkeypatch):
    # Stripe answers a lock timeout with Stripe-Should-Retry: true; the SDK, allowed to retry,
    # sends the same request again with the same (automatic) Idempotency-Key, which must run
    # again rather than replay the 429.
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from payground.services import customers

    create = customers.create_customer
    attempts = []

    def locked_once(*args, **kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("INSERT INTO customers ...", {},
                                   sqlite3.OperationalError("database is locked"))
        return create(*args, **kwargs)

    monkeypatch.setattr(customers, "create_customer", locked_once)
    monkeypatch.setattr(stripe, "max_network_retries", 1)
    made = payground_stripe.Customer.create(email="retry@example.com")

    assert len(attempts) == 2
    assert made.last_response.headers.get("Idempotent-Replayed") is None
    assert [c.id for c in payground_stripe.Customer.list()] == [made.id]


def test_a_lost_answer_is_retried_by_the_sdk_and_replayed(payground_stripe, monkeypatch):
    # The charge is made, but its answer never reaches the program (the connection drops):
    # the SDK, allowed to retry, sends the request again with the Idempotency-Key it made up
    # for it, and gets the first answer back instead of a second charge.
    import requests

    send = requests.Session.request
    sent = []

    def answer_lost_once(self, method, url, **kwargs):
        response = send(self, method, url, **kwargs)
        if method.upper() != "POST":
            return response
        sent.append(kwargs["headers"]["Idempotency-Key"])
        if len(sent) == 1:
            raise requests.exceptions.ConnectionError("connection reset by peer")
        return response

    monkeypatch.setattr(requests.Session, "request", answer_lost_once)
    monkeypatch.setattr(stripe, "max_network_retries", 1)
    charge = payground_stripe.Charge.create(amount=2000, currency="usd", source="tok_visa")

    assert len(sent) == 2 and sent[0] == sent[1]
    assert charge.last_response.headers["Idempotent-Replayed"] == "true"
    assert charge.last_response.idempotency_key == sent[0]
    assert charge.last_response.headers["Original-Request"] != charge.last_response.request_id
    assert [c.id for c in payground_stripe.Charge.list()] == [charge.id]


def test_an_empty_or_long_key_raises_the_sdks_idempotency_error(payground_stripe):
    for key in ("", "k" * 256):
        headers = {"Idempotency-Key": key}
        with pytest.raises(stripe.IdempotencyError) as raised:
            # The SDK drops an empty idempotency_key=""; a header set by hand goes through.
            payground_stripe.Customer.create(email="jo@example.com", headers=headers)
        assert raised.value.http_status == 400
        assert raised.value.user_message == messages.IDEMPOTENCY_KEY_LENGTH.format(
            length=len(key))
    assert payground_stripe.Customer.list().data == []


def test_a_duplicate_in_progress_is_retried_by_the_sdk_and_replayed(payground_stripe,
                                                                     monkeypatch):
    # The SDK retries a 409 by its status (no Stripe-Should-Retry needed), with the same key:
    # once the first request has finished, the retry gets its answer, not a second customer.
    import threading

    import requests

    from payground.services import customers

    create, send = customers.create_customer, requests.Session.request
    inside, release = threading.Event(), threading.Event()
    statuses = []

    def held(*args, **kwargs):
        if not inside.is_set():
            inside.set()
            assert release.wait(30)
        return create(*args, **kwargs)

    def watched(self, method, url, **kwargs):
        response = send(self, method, url, **kwargs)
        if threading.current_thread() is threading.main_thread():
            statuses.append(response.status_code)
            if response.status_code == 409:
                release.set()  # the first may finish now: the SDK's retry finds its answer
                first.join(30)
        return response

    monkeypatch.setattr(customers, "create_customer", held)
    monkeypatch.setattr(requests.Session, "request", watched)
    made = []
    first = threading.Thread(target=lambda: made.append(payground_stripe.Customer.create(
        email="jo@example.com", idempotency_key="order-9")))
    first.start()
    assert inside.wait(30)
    monkeypatch.setattr(stripe, "max_network_retries", 1)
    again = payground_stripe.Customer.create(email="jo@example.com", idempotency_key="order-9")

    assert statuses == [409, 200]
    assert again.id == made[0].id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert [c.id for c in payground_stripe.Customer.list()] == [again.id]
