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


def test_stripe_client_search_with_expand_and_total_count(payground_stripe_client):
    client = payground_stripe_client
    customer = client.v1.customers.create({"email": "c@example.com", "name": "Cee Dee"})
    made = [client.v1.charges.create({"amount": 700 + i, "currency": "usd", "source": "tok_visa",
                                      "customer": customer.id}) for i in range(3)]

    page = client.v1.charges.search({"query": f'customer:"{customer.id}"', "limit": 2,
                                     "expand": ["total_count", "data.customer"]})
    assert page.total_count == 3 and page.has_more is True
    assert [c.id for c in page.data] == [made[2].id, made[1].id]
    assert page.data[0].customer.name == "Cee Dee"
    rest = client.v1.charges.search({"query": f'customer:"{customer.id}"', "limit": 2,
                                     "page": page.next_page})
    assert [c.id for c in rest.data] == [made[0].id]
    assert rest.has_more is False and rest.next_page is None
    assert "total_count" not in rest  # only when expanded
    assert [c.id for c in client.v1.customers.search({"query": 'name:"dee"'}).data] == [
        customer.id]


def test_live_and_test_mode_search_apart(payground_stripe, payground_account):
    live_key = payground_account.activate_live()
    test_made = [payground_stripe.Customer.create(email=f"t{i}@example.com") for i in range(3)]
    live_made = payground_stripe.Customer.create(email="l@example.com", api_key=live_key)

    assert [c.id for c in payground_stripe.Customer.search_auto_paging_iter(
        query='email~"example"', limit=1)] == [c.id for c in reversed(test_made)]
    assert [c.id for c in payground_stripe.Customer.search_auto_paging_iter(
        query='email~"example"', limit=1, api_key=live_key)] == [live_made.id]
