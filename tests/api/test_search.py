"""Stripe's search endpoints, which Payground lacks, answer as a route it lacks (a 404 that
names the list to use), not as the retrieve route with the id ``search``.

``stripe.customers.search({query: "email:'jo@example.com'"})`` (stripe-node) and
``stripe.Customer.search(query=...)`` send ``GET /v1/customers/search?query=...``; they were
told ``Received unknown parameter: query`` (and ``No such customer: 'search'`` without one).
"""

import pytest
import stripe

from payground import messages
from tests.helpers import assert_error

FILTERS = {"customers": "email, created", "charges": "customer, payment_intent, created",
           "payment_intents": "customer, created"}


@pytest.mark.parametrize("noun", sorted(FILTERS))
@pytest.mark.parametrize("query", ["?query=email%3A%27jo%40example.com%27", ""])
def test_search_is_a_404_that_names_the_list(account, noun, query):
    r = account.get(f"/v1/{noun}/search{query}")

    assert_error(r, 404, message=messages.SEARCH_UNSUPPORTED.format(
        method="GET", path=f"/v1/{noun}/search", noun=noun, filters=FILTERS[noun]))


def test_a_restricted_key_still_needs_the_read_permission(account):
    key = account.create_key(permissions=["charge_read"])

    assert account.get("/v1/customers/search?query=x", key=key).status_code == 403
    assert account.get("/v1/charges/search?query=x", key=key).status_code == 404


def test_the_sdk_raises_invalid_request_error(payground_stripe):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.Customer.search(query="email:'jo@example.com'")

    assert raised.value.http_status == 404
    assert "Payground has no search" in raised.value.user_message
