"""Search through the official ``stripe`` SDK: ``Customer.search``, ``Charge.search``,
``PaymentIntent.search`` and ``search_auto_paging_iter`` (which follows ``next_page``)."""

from __future__ import annotations

import pytest
import stripe

from payground import messages


def test_customer_search_and_auto_paging(payground_stripe):
    made = [payground_stripe.Customer.create(email=f"p{i}@example.com", metadata={"team": "a"})
            for i in range(5)]
    payground_stripe.Customer.create(email="other@example.com", metadata={"team": "b"})

    page = payground_stripe.Customer.search(query="metadata['team']:'a'", limit=2)
    assert page.object == "search_result"
    assert [c.id for c in page.data] == [made[4].id, made[3].id]
    assert page.has_more is True and page.next_page

    every = payground_stripe.Customer.search_auto_paging_iter(query="metadata['team']:'a'",
                                                              limit=2)
    assert [c.id for c in every] == [c.id for c in reversed(made)]


def test_charge_and_payment_intent_search(payground_stripe):
    charge = payground_stripe.Charge.create(amount=1234, currency="usd", source="tok_visa")
    intent = payground_stripe.PaymentIntent.create(amount=4321, currency="usd")

    found = payground_stripe.Charge.search(query='amount:1234 status:"succeeded"')
    assert [c.id for c in found] == [charge.id]
    assert [i.id for i in payground_stripe.PaymentIntent.search(query="amount>4000")] == [
        intent.id]


def test_a_bad_query_raises_invalid_request_error(payground_stripe):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.Customer.search(query='description:"x"')

    assert raised.value.http_status == 400
    assert raised.value.param == "query"
    assert raised.value.user_message == messages.SEARCH_FIELD_UNSUPPORTED.format(
        field="description", resource="customers", anchor="customers")
