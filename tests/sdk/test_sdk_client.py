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


# -- a client's calls, as a developer of current stripe-python writes them ------------------


def test_the_v1_namespace_creates_lists_retrieves_updates_and_deletes(payground_stripe_client):
    client = payground_stripe_client
    made = [client.v1.customers.create({"email": f"c{i}@example.com"}).id for i in range(3)]
    page = client.v1.customers.list({"limit": 2})
    assert (len(page.data), page.has_more) == (2, True)
    assert [c.id for c in page.auto_paging_iter()] == made[::-1]  # newest first, each once

    got = client.v1.customers.retrieve(
        made[0], {"expand": ["invoice_settings.default_payment_method"]})
    assert (got.email, got.invoice_settings.default_payment_method) == ("c0@example.com", None)
    updated = client.v1.customers.update(made[0], {"name": "Jo", "metadata": {"plan": "pro"}})
    assert (updated.name, updated.metadata.to_dict()) == ("Jo", {"plan": "pro"})
    gone = client.v1.customers.delete(made[0])
    assert (gone.id, gone.deleted) == (made[0], True)
    assert client.v1.customers.retrieve(made[0]).deleted is True

    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.customers.update(made[0], {"name": "Again"})
    error = raised.value
    assert (error.http_status, error.code, error.param) == (404, "resource_missing", "id")
    assert error.user_message == f"No such customer: '{made[0]}'"
    assert error.request_id == error.headers["Request-Id"]


def test_raw_request_and_deserialize(payground_stripe_client):
    # stripe-python 16 has raw_request on the client only (not stripe.raw_request).
    client = payground_stripe_client
    answer = client.raw_request("post", "/v1/customers", email="jo@example.com",
                                metadata={"plan": "pro"})
    made = client.deserialize(answer, api_mode="V1")
    assert (made.object, made.email, made.metadata.plan) == ("customer", "jo@example.com", "pro")
    assert answer.headers["Idempotency-Key"]  # the SDK sent one, and it came back

    listed = client.deserialize(client.raw_request("get", "/v1/customers", limit=1),
                                api_mode="V1")
    assert [c.id for c in listed.data] == [made.id]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.raw_request("post", "/v1/customers", bogus="1")
    assert (raised.value.http_status, raised.value.code, raised.value.param) == (
        400, "parameter_unknown", "bogus")
    assert raised.value.user_message == "Received unknown parameter: bogus"


@pytest.mark.filterwarnings(
    "ignore:Use 'content=<...>' to upload raw bytes/text content:DeprecationWarning")
def test_the_async_methods_and_their_errors(payground_stripe_client):
    import asyncio

    client = payground_stripe_client

    async def walk():
        made = await client.v1.customers.create_async({"email": "jo@example.com"})
        await client.v1.customers.update_async(made.id, {"name": "Jo"})
        got = await client.v1.customers.retrieve_async(made.id)
        seen = [c.id async for c in (await client.v1.customers.list_async(
            {"limit": 1})).auto_paging_iter()]
        gone = await client.v1.customers.delete_async(made.id)
        try:
            await client.v1.customers.retrieve_async("cus_missing")
        except stripe.InvalidRequestError as error:
            missing = error
        return got, seen, gone, missing

    got, seen, gone, missing = asyncio.run(walk())
    assert (got.name, seen, gone.deleted) == ("Jo", [got.id], True)
    assert (missing.http_status, missing.code, missing.param) == (404, "resource_missing", "id")
    assert missing.user_message == "No such customer: 'cus_missing'"
