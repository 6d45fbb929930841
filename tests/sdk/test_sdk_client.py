"""``stripe.StripeClient`` (the SDK's client object) against ``payground_server``: request
options, and what a client of it sees where Payground has no endpoint."""

from __future__ import annotations

import pytest
import stripe

from payground import messages


@pytest.mark.parametrize("version", ["2019-2-19", "2024-02-30", "endive", "2026-10-28.Endive",
                                     "2026-10-28 endive"])
def test_a_stripe_version_that_is_not_a_version_is_refused(payground_stripe_client, version):
    client = payground_stripe_client
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.customers.create({"email": "jo@example.com"},
                                   {"stripe_version": version, "idempotency_key": "jo-1"})
    error = raised.value
    assert (error.http_status, error.code, error.param) == (400, None, None)
    assert error.error.type == "invalid_request_error"
    assert error.user_message == f"Invalid Stripe API version: {version}"
    assert error.user_message == messages.INVALID_API_VERSION.format(version=version)
    assert error.request_id.startswith("req_")
    assert client.v1.customers.list().data == []  # nothing was made
    # ...nor was the key spent: the corrected request runs.
    made = client.v1.customers.create({"email": "jo@example.com"}, {"idempotency_key": "jo-1"})
    assert made.last_response.headers.get("Idempotent-Replayed") is None


@pytest.mark.parametrize("version", ["2020-08-27", "2024-09-30.acacia",
                                     "2026-10-28.endive; feature_beta=v3",
                                     "2099-01-01.later"])  # a newer library's: accepted
def test_api_versions_and_betas_are_accepted(payground_stripe_client, version):
    client = payground_stripe_client
    made = client.v1.customers.create({"email": "jo@example.com"}, {"stripe_version": version})
    assert client.v1.customers.retrieve(made.id, options={"stripe_version": version}).id == made.id


def test_the_module_level_stripe_version_is_checked_too(payground_stripe):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.Customer.list(stripe_version="2019-2-19")
    assert raised.value.http_status == 400
    assert raised.value.user_message == "Invalid Stripe API version: 2019-2-19"


def test_a_key_sent_as_the_version_is_not_echoed(payground_stripe_client, payground_account):
    key = payground_account.secret_key
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe_client.v1.customers.list(options={"stripe_version": key})
    masked = key[:8] + "*" * (len(key) - 12) + key[-4:]
    assert raised.value.user_message == f"Invalid Stripe API version: {masked}"
    assert key not in raised.value.http_body


# -- the README's word on clients your code builds -------------------------------------------


def test_a_client_built_in_the_code_is_not_pointed_by_payground_stripe(payground_stripe,
                                                                     payground_server,
                                                                     payground_account):
    # What the README warns of: the module's settings, which payground_stripe changes, do not
    # reach a StripeClient (read without sending anything: it would go to api.stripe.com).
    built = stripe.StripeClient(payground_account.secret_key)
    assert built._requestor._options.base_addresses["api"] == stripe.DEFAULT_API_BASE
    assert payground_stripe.api_base == payground_server.url
    # ...and what it says to do instead works.
    pointed = stripe.StripeClient(payground_account.secret_key, max_network_retries=0,
                                  base_addresses={"api": payground_server.url})
    made = pointed.v1.customers.create({"email": "jo@example.com"})
    assert payground_stripe.Customer.retrieve(made.id).email == "jo@example.com"
