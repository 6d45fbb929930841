"""``stripe_context=`` (the SDK's ``Stripe-Context`` header, which Stripe documents as
superseding ``Stripe-Account``) acts on a connected account as ``stripe_account=`` does, and is
refused as it is: a platform's code that sends it never runs on the platform's own account
unawares."""

from __future__ import annotations

import pytest
import stripe

from payground import messages
from payground.core.keys import mask


@pytest.fixture
def business(payground_server, payground_account):
    """An account connected (read_write) to ``payground_account``'s test application."""
    connected = payground_server.signup()
    connected.connect(payground_account)
    return connected


def customers_of(account) -> list[str]:
    r = account.request("GET", "/v1/customers")
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["data"]]


def test_a_request_option_acts_on_the_connected_account(payground_stripe_client,
                                                        payground_account, business):
    client = payground_stripe_client
    made = client.v1.customers.create({"email": "jo@example.com"},
                                      {"stripe_context": business.id})

    assert customers_of(business) == [made.id]
    assert customers_of(payground_account) == []  # the platform's own account is untouched
    got = client.v1.customers.retrieve(made.id, options={"stripe_context": business.id})
    assert got.email == "jo@example.com"


def test_a_client_built_with_a_context_and_the_module_level_option(payground_server,
                                                                   payground_account,
                                                                   payground_stripe, business):
    client = stripe.StripeClient(payground_account.secret_key, stripe_context=business.id,
                                 base_addresses={"api": payground_server.url},
                                 max_network_retries=0)
    made = client.v1.customers.create({"email": "jo@example.com"})
    listed = payground_stripe.Customer.list(stripe_context=business.id)

    assert [c.id for c in listed] == customers_of(business) == [made.id]
    assert customers_of(payground_account) == []


@pytest.mark.parametrize("context", ["acct_1Connected", "{business}/acct_1Recipient"])
def test_an_account_the_key_cannot_reach_is_refused(payground_stripe_client, payground_account,
                                                    business, context):
    # No organisations or recipients here: a path of accounts reaches nothing either.
    context = context.format(business=business.id)
    with pytest.raises(stripe.PermissionError) as raised:
        payground_stripe_client.v1.customers.create({"email": "jo@example.com"},
                                                    {"stripe_context": context})

    error = raised.value
    # The SDK builds its PermissionError without the code: it is in the error object.
    assert (error.http_status, error.error.code, error.error.param) == (403, "account_invalid",
                                                                        None)
    assert error.user_message == messages.ACCOUNT_NOT_ACCESSIBLE.format(
        masked=mask(payground_account.secret_key), account=context)
    assert customers_of(payground_account) == customers_of(business) == []


def test_the_same_account_in_both_headers_is_one_request(payground_stripe_client, business):
    made = payground_stripe_client.v1.customers.create(
        {"email": "jo@example.com"},
        {"stripe_context": business.id, "stripe_account": business.id})

    assert customers_of(business) == [made.id]


def test_two_different_accounts_are_refused(payground_stripe_client, payground_account,
                                            business):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe_client.v1.customers.create(
            {"email": "jo@example.com"},
            {"stripe_context": business.id, "stripe_account": payground_account.id})

    error = raised.value
    assert (error.http_status, error.code, error.param) == (400, None, None)
    assert error.user_message == messages.CONTEXT_AND_ACCOUNT_DIFFER.format(
        account=payground_account.id, context=business.id)
    assert customers_of(payground_account) == customers_of(business) == []


def test_a_key_sent_as_the_context_is_not_echoed(payground_stripe_client, payground_account):
    key = payground_account.secret_key
    with pytest.raises(stripe.PermissionError) as raised:
        payground_stripe_client.v1.customers.list(options={"stripe_context": key})

    error = raised.value
    assert (error.http_status, error.error.code, error.error.param) == (403, "account_invalid",
                                                                        None)
    assert error.user_message == messages.ACCOUNT_NOT_ACCESSIBLE.format(masked=mask(key),
                                                                        account=mask(key))
    assert key not in error.http_body


def test_a_client_for_one_account_and_a_call_for_another_are_refused(payground_server,
                                                                     payground_account,
                                                                     business):
    # The SDK sends both headers (the call's stripe_context, the client's stripe_account):
    # they name different accounts, so neither runs, rather than one silently winning.
    client = stripe.StripeClient(payground_account.secret_key, stripe_account=business.id,
                                 base_addresses={"api": payground_server.url},
                                 max_network_retries=0)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.customers.create({"email": "jo@example.com"},
                                   {"stripe_context": stripe.StripeContext([payground_account.id])})

    error = raised.value
    assert (error.http_status, error.code, error.param) == (400, None, None)
    assert error.user_message == messages.CONTEXT_AND_ACCOUNT_DIFFER.format(
        account=business.id, context=payground_account.id)
    assert customers_of(payground_account) == customers_of(business) == []
    made = client.v1.customers.create({"email": "jo@example.com"},
                                      {"stripe_context": stripe.StripeContext([business.id])})
    assert customers_of(business) == [made.id]
