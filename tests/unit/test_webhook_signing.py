"""core.webhooks: endpoint secrets, Stripe-Signature headers the official SDK accepts, hosts."""

from __future__ import annotations

import re
import time

import pytest
import stripe

from payground.core import webhooks


def test_secret_is_whsec_and_derived_from_pepper_and_endpoint():
    secret = webhooks.endpoint_secret("pepper-1", "we_1")
    assert re.fullmatch(r"whsec_[0-9A-Za-z]{32}", secret)
    assert webhooks.endpoint_secret("pepper-1", "we_1") == secret  # every worker agrees
    assert webhooks.endpoint_secret("pepper-1", "we_2") != secret
    assert webhooks.endpoint_secret("pepper-2", "we_1") != secret


def test_header_is_stripes_format():
    header = webhooks.signature_header(["whsec_x"], 1700000000, b'{"id": "evt_1"}')
    t, v1 = header.split(",")
    assert t == "t=1700000000"
    assert re.fullmatch(r"v1=[0-9a-f]{64}", v1)


def test_the_stripe_sdk_verifies_the_signature():
    secret, now, body = "whsec_" + "a" * 32, int(time.time()), b'{"id": "evt_1", "object": "event"}'
    header = webhooks.signature_header([secret], now, body)
    event = stripe.Webhook.construct_event(body.decode(), header, secret)
    assert event.id == "evt_1"


@pytest.mark.parametrize("change", ["body", "secret", "old"])
def test_the_stripe_sdk_refuses_a_changed_body_wrong_secret_or_old_timestamp(change):
    secret, now, body = "whsec_" + "a" * 32, int(time.time()), b'{"id": "evt_1"}'
    sent_at = now - 301 if change == "old" else now  # the SDK's tolerance is 300 s
    header = webhooks.signature_header([secret], sent_at, body)
    received = b'{"id": "evt_2"}' if change == "body" else body
    checked_with = "whsec_" + "b" * 32 if change == "secret" else secret
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(received.decode(), header, checked_with)


def test_each_generation_has_its_own_secret_and_generation_0_is_the_first():
    first = webhooks.endpoint_secret("pepper", "we_1")
    assert webhooks.endpoint_secret("pepper", "we_1", 0) == first
    rolled = {webhooks.endpoint_secret("pepper", "we_1", n) for n in range(1, 4)}
    assert len(rolled) == 3 and first not in rolled


def test_two_secrets_sign_twice_and_either_verifies():
    old, new = "whsec_" + "o" * 32, "whsec_" + "n" * 32
    now, body = int(time.time()), b'{"id": "evt_1"}'
    header = webhooks.signature_header([new, old], now, body)
    assert header.count(",v1=") == 2
    for secret in (old, new):
        assert stripe.Webhook.construct_event(body.decode(), header, secret).id == "evt_1"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body.decode(), header, "whsec_" + "x" * 32)


def test_hosts_are_encoded_as_browsers_encode_them():
    """UTS #46, not Python's IDNA 2003 codec, which maps ß to ss: another domain."""
    assert webhooks.ascii_host("faß.de") == "xn--fa-hia.de"
    assert webhooks.ascii_host("bücher.example") == "xn--bcher-kva.example"
    assert webhooks.ascii_host("Example.COM") == "example.com"
    assert webhooks.ascii_host("::1") == "::1" and webhooks.ascii_host("127.0.0.1") == "127.0.0.1"