"""Events through the official ``stripe`` SDK, against ``payground_server``."""

from __future__ import annotations

import pytest
import stripe


def test_list_by_type_and_retrieve(payground_stripe):
    customer = payground_stripe.Customer.create(email="jo@example.com")
    charge = payground_stripe.Charge.create(amount=2000, currency="usd", source="tok_visa",
                                            customer=customer.id)
    payground_stripe.Customer.modify(customer.id, email="new@example.com")

    listed = payground_stripe.Event.list(type="charge.succeeded")
    assert [e.type for e in listed.data] == ["charge.succeeded"]
    event = payground_stripe.Event.retrieve(listed.data[0].id)
    assert event.id.startswith("evt_") and event.object == "event"
    # The SDK turns the snapshot into the resource's own class.
    assert isinstance(event.data.object, stripe.Charge)
    assert (event.data.object.id, event.data.object.amount, event.data.object.customer) == (
        charge.id, 2000, customer.id)
    assert event.request.id == charge.last_response.headers["Request-Id"]
    assert event.pending_webhooks == 0 and event.livemode is False

    created = payground_stripe.Event.list(type="customer.created").data[0]
    assert created.data.object.email == "jo@example.com"
    updated = payground_stripe.Event.list(type="customer.updated").data[0]
    assert updated.data.object.email == "new@example.com"
    assert updated.data.previous_attributes.email == "jo@example.com"


def test_wildcard_types_created_and_auto_paging(payground_stripe):
    charge = payground_stripe.Charge.create(amount=2000, currency="usd", source="tok_visa")
    payground_stripe.Refund.create(charge=charge.id, amount=500)
    assert [e.type for e in payground_stripe.Event.list(type="charge.*")] == [
        "charge.refunded", "charge.succeeded"]
    assert [e.type for e in payground_stripe.Event.list(
        types=["refund.created", "charge.succeeded"])] == ["refund.created", "charge.succeeded"]
    since = payground_stripe.Event.list(created={"gte": charge.created}, limit=1)
    assert since.has_more is True
    everything = [e.type for e in since.auto_paging_iter()]
    assert everything == ["refund.created", "charge.refunded", "charge.succeeded"]


def test_unknown_event(payground_stripe):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.Event.retrieve("evt_missing")
    error = raised.value
    assert (error.http_status, error.code, error.param) == (404, "resource_missing", "id")
    assert error.user_message == "No such event: 'evt_missing'"
