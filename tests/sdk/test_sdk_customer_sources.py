"""Cards saved on customers (Stripe's legacy sources) through the official ``stripe`` SDK."""

from __future__ import annotations

import pytest
import stripe


def test_the_classic_saved_card_flow(payground_stripe):
    customer = payground_stripe.Customer.create(email="jo@example.com", source="tok_visa")
    assert customer.default_source.startswith("card_")
    charge = payground_stripe.Charge.create(amount=2000, currency="usd", customer=customer.id)
    assert (charge.status, charge.customer) == ("succeeded", customer.id)
    assert (charge.source.id, charge.source.last4) == (customer.default_source, "4242")
    assert charge.payment_method == customer.default_source

    card = payground_stripe.Customer.create_source(customer.id, source="tok_mastercard")
    assert (card.object, card.brand, card.last4, card.customer) == (
        "card", "MasterCard", "4444", customer.id)
    listed = payground_stripe.Customer.list_sources(customer.id, object="card")
    assert [c.id for c in listed.data] == [card.id, customer.default_source]

    updated = payground_stripe.Customer.modify(customer.id, default_source=card.id)
    assert updated.default_source == card.id
    again = payground_stripe.Charge.create(amount=1500, currency="usd", customer=customer.id)
    assert again.source.last4 == "4444"

    changed = payground_stripe.Customer.modify_source(customer.id, card.id, exp_month=3,
                                                      name="Jo Doe", metadata={"label": "work"})
    assert (changed.exp_month, changed.name, changed.metadata.to_dict()) == (
        3, "Jo Doe", {"label": "work"})
    assert payground_stripe.Customer.retrieve_source(customer.id, card.id).name == "Jo Doe"

    deleted = payground_stripe.Customer.delete_source(customer.id, card.id)
    assert (deleted.id, deleted.deleted) == (card.id, True)
    expanded = payground_stripe.Customer.retrieve(customer.id,
                                                  expand=["default_source", "sources"])
    assert expanded.default_source.id == customer.default_source
    assert [c.id for c in expanded.sources.data] == [customer.default_source]


def test_a_declining_card_is_not_saved(payground_stripe):
    with pytest.raises(stripe.CardError) as raised:
        payground_stripe.Customer.create(source="tok_chargeDeclined")
    error = raised.value
    assert (error.http_status, error.code, error.error.decline_code, error.user_message) == (
        402, "card_declined", "generic_decline", "Your card was declined.")


def test_a_customer_without_a_card(payground_stripe):
    customer = payground_stripe.Customer.create(email="jo@example.com")
    with pytest.raises(stripe.CardError) as raised:
        payground_stripe.Charge.create(amount=2000, currency="usd", customer=customer.id)
    assert (raised.value.http_status, raised.value.code, raised.value.param,
            raised.value.user_message) == (402, "missing", "card",
                                           "Cannot charge a customer that has no active card")


def test_another_customers_card(payground_stripe):
    mine = payground_stripe.Customer.create(source="tok_visa")
    theirs = payground_stripe.Customer.create(source="tok_visa")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.Charge.create(amount=2000, currency="usd", customer=mine.id,
                                       source=theirs.default_source)
    assert (raised.value.http_status, raised.value.code, raised.value.param) == (
        404, "missing", "source")
    assert raised.value.user_message == (f"Customer {mine.id} does not have a linked source "
                                         f"with ID {theirs.default_source}.")
