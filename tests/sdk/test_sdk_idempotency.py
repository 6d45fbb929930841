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
