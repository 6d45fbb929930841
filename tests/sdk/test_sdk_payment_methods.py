"""Updating a PaymentMethod through the official ``stripe`` SDK (``PaymentMethod.modify``)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import stripe

from payground import messages


def saved(payground_stripe, **card):
    """A card payment method attached to a new customer."""
    customer = payground_stripe.Customer.create(email="jo@example.com")
    if card:
        method = payground_stripe.PaymentMethod.create(
            type="card", card={"number": "4242424242424242", "cvc": "123", **card})
        return payground_stripe.PaymentMethod.attach(method.id, customer=customer.id)
    return payground_stripe.PaymentMethod.attach("pm_card_visa", customer=customer.id)


def test_modify_billing_details_expiry_metadata_and_allow_redisplay(payground_stripe):
    method = saved(payground_stripe)
    year = method.card.exp_year + 2
    changed = payground_stripe.PaymentMethod.modify(
        method.id, billing_details={"name": "Jo Doe", "address": {"postal_code": "94107"}},
        card={"exp_month": 6, "exp_year": year}, metadata={"plan": "pro"},
        allow_redisplay="limited")
    assert (changed.id, changed.customer) == (method.id, method.customer)
    assert (changed.billing_details.name, changed.billing_details.address.postal_code) == (
        "Jo Doe", "94107")
    assert (changed.card.exp_month, changed.card.exp_year) == (6, year)
    assert (changed.metadata.to_dict(), changed.allow_redisplay) == ({"plan": "pro"}, "limited")
    # stripe-node's `null` and stripe-python's "" unset a field; the rest is kept.
    again = payground_stripe.PaymentMethod.modify(method.id, billing_details={"name": ""},
                                                  metadata={"plan": ""})
    assert (again.billing_details.name, again.billing_details.address.postal_code) == (
        None, "94107")
    assert again.metadata.to_dict() == {}
    assert payground_stripe.PaymentMethod.retrieve(method.id).to_dict() == again.to_dict()
    [event] = payground_stripe.Event.list(type="payment_method.updated", limit=1).data
    assert event.data.object.id == method.id
    assert event.data.previous_attributes.to_dict() == {
        "billing_details": {"name": "Jo Doe"}, "metadata": {"plan": "pro"}}


def test_the_client_object_updates_too(payground_stripe, payground_stripe_client):
    method = saved(payground_stripe)
    changed = payground_stripe_client.v1.payment_methods.update(
        method.id, {"metadata": {"order": "7"}})
    assert changed.metadata.to_dict() == {"order": "7"}


def test_a_method_not_saved_to_a_customer_cannot_be_modified(payground_stripe):
    method = payground_stripe.PaymentMethod.create(type="card", card={"token": "tok_visa"})
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.PaymentMethod.modify(method.id, metadata={"a": "1"})
    error = raised.value
    assert (error.http_status, error.code, error.param) == (400, None, None)
    assert error.user_message == messages.PAYMENT_METHOD_UPDATE_UNATTACHED
    assert payground_stripe.PaymentMethod.retrieve(method.id).metadata.to_dict() == {}


def test_a_bad_expiry_is_a_card_error(payground_stripe):
    method = saved(payground_stripe)
    with pytest.raises(stripe.CardError) as raised:
        payground_stripe.PaymentMethod.modify(method.id, card={"exp_month": 13})
    error = raised.value
    assert (error.http_status, error.code, error.param) == (402, "invalid_expiry_month",
                                                            "exp_month")
    assert error.user_message == messages.INVALID_EXPIRY_MONTH
    assert payground_stripe.PaymentMethod.retrieve(method.id).card.exp_month == \
        method.card.exp_month


def test_an_expired_card_given_its_new_date_pays(payground_stripe, payground_account):
    today = datetime.fromtimestamp(payground_account.advance_clock(1), timezone.utc)
    method = saved(payground_stripe, exp_month=today.month, exp_year=today.year)
    payground_account.advance_clock(40 * 86400)  # its expiry month is over
    pay = {"amount": 2000, "currency": "usd", "customer": method.customer,
           "payment_method": method.id, "confirm": True}
    with pytest.raises(stripe.CardError) as raised:
        payground_stripe.PaymentIntent.create(**pay)
    assert (raised.value.code, raised.value.user_message) == ("expired_card",
                                                              messages.CARD_EXPIRED)
    payground_stripe.PaymentMethod.modify(method.id, card={"exp_year": today.year + 2})
    assert payground_stripe.PaymentIntent.create(**pay).status == "succeeded"
