"""Webhook endpoints through the official ``stripe`` SDK, and a handler that verifies what
``payground_server`` sends it with ``stripe.Webhook.construct_event``."""

from __future__ import annotations

import pytest
import stripe

from tests.webhook_receiver import Receiver


def test_crud_and_auto_paging(payground_stripe):
    created = payground_stripe.WebhookEndpoint.create(
        url="https://example.com/hooks", enabled_events=["charge.succeeded", "charge.failed"],
        description="orders")
    assert created.secret.startswith("whsec_") and created.status == "enabled"
    payground_stripe.WebhookEndpoint.create(url="https://example.com/all", enabled_events=["*"])

    retrieved = payground_stripe.WebhookEndpoint.retrieve(created.id)
    assert "secret" not in retrieved and retrieved.enabled_events == [
        "charge.succeeded", "charge.failed"]
    modified = payground_stripe.WebhookEndpoint.modify(created.id, disabled=True,
                                                       metadata={"team": "orders"})
    assert (modified.status, modified.metadata.to_dict()) == ("disabled", {"team": "orders"})
    urls = [e.url for e in payground_stripe.WebhookEndpoint.list(limit=1).auto_paging_iter()]
    assert urls == ["https://example.com/all", "https://example.com/hooks"]

    deleted = payground_stripe.WebhookEndpoint.delete(created.id)
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.WebhookEndpoint.retrieve(created.id)
    assert (raised.value.http_status, raised.value.code) == (404, "resource_missing")


def test_unknown_event_type_is_an_invalid_request(payground_stripe):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.WebhookEndpoint.create(url="https://example.com/hooks",
                                                enabled_events=["charge.suceeded"])
    assert raised.value.param == "enabled_events[0]"


def test_a_handler_verifies_what_it_is_sent(payground_server, payground_stripe):
    with Receiver() as hook:
        endpoint = payground_stripe.WebhookEndpoint.create(
            url=hook.url, enabled_events=["charge.succeeded"])
        charge = payground_stripe.Charge.create(amount=2000, currency="usd", source="tok_visa")
        payground_server.wait_for_webhooks()
    (delivery,) = hook.received
    event = stripe.Webhook.construct_event(delivery.body.decode(),
                                           delivery.headers["Stripe-Signature"], endpoint.secret)
    assert isinstance(event.data.object, stripe.Charge)
    assert (event.type, event.data.object.id, event.data.object.amount) == (
        "charge.succeeded", charge.id, 2000)


def test_the_fixture_rolls_the_secret_with_a_grace_period(payground_server, payground_account,
                                                          payground_stripe):
    with Receiver() as hook:
        endpoint = payground_stripe.WebhookEndpoint.create(
            url=hook.url, enabled_events=["customer.created"])
        new_secret = payground_account.roll_webhook_secret(endpoint.id, expires_in=60)
        payground_stripe.Customer.create(email="jo@example.com")
        payground_server.wait_for_webhooks()
    (delivery,) = hook.received
    for secret in (endpoint.secret, new_secret):  # both sign until the minute is over
        event = stripe.Webhook.construct_event(delivery.body.decode(),
                                               delivery.headers["Stripe-Signature"], secret)
        assert event.type == "customer.created"


@pytest.mark.parametrize("version", ["2024-02-30", "2020-08-27\n"])
def test_an_api_version_that_names_no_day_is_refused(payground_stripe_client, version):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe_client.v1.webhook_endpoints.create({
            "url": "https://example.com/hooks", "enabled_events": ["charge.succeeded"],
            "api_version": version})
    error = raised.value
    assert (error.http_status, error.code, error.param) == (400, None, "api_version")
    assert error.user_message == \
        "Invalid api_version: must be an API version such as 2026-10-28.endive."
    assert payground_stripe_client.v1.webhook_endpoints.list().data == []
