"""3-D Secure through the official ``stripe`` SDK against ``payground_server``: the SDK reads
``requires_action`` and ``next_action``, and the page, opened over HTTP as a browser would,
moves the intent on."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import stripe

from payground import messages


def answer_page(url: str, action: str) -> requests.Response:
    """What a browser does on the page: open the link, press one of its two buttons."""
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "Complete authentication" in page.text
    link = urlsplit(url)
    return requests.post(f"{link.scheme}://{link.netloc}{link.path}", allow_redirects=False,
                         data={"token": parse_qs(link.query)["token"][0], "action": action},
                         timeout=10)


def test_redirect_then_complete(payground_stripe, payground_server):
    pi = payground_stripe.PaymentIntent.create(amount=2000, currency="usd",
                                               payment_method="pm_card_authenticationRequired")
    confirmed = payground_stripe.PaymentIntent.confirm(pi.id,
                                                       return_url="https://shop.example/done")
    assert (confirmed.status, confirmed.next_action.type) == ("requires_action",
                                                              "redirect_to_url")
    redirect = confirmed.next_action.redirect_to_url
    assert redirect.return_url == "https://shop.example/done"
    assert redirect.url.startswith(f"{payground_server.url}/3d_secure/{pi.id}?token=")

    answered = answer_page(redirect.url, "complete")

    assert answered.status_code == 303
    back = urlsplit(answered.headers["Location"])
    assert parse_qs(back.query) == {"payment_intent": [pi.id],
                                    "payment_intent_client_secret": [pi.client_secret],
                                    "redirect_status": ["succeeded"]}
    paid = payground_stripe.PaymentIntent.retrieve(pi.id, expand=["latest_charge"])
    assert (paid.status, paid.next_action, paid.latest_charge.status) == (
        "succeeded", None, "succeeded")
    shown = paid.latest_charge.payment_method_details.card.three_d_secure
    assert isinstance(shown, stripe.StripeObject)
    assert (shown.authentication_flow, shown.result, shown.result_reason, shown.version,
            shown.electronic_commerce_indicator, shown.exemption_indicator_applied) == (
        "challenge", "authenticated", None, "2.2.0", "05", False)
    types = [e.type for e in payground_stripe.Event.list(type="payment_intent.*").data]
    assert types == ["payment_intent.succeeded", "payment_intent.requires_action",
                     "payment_intent.created"]


def test_a_charge_without_authentication_shows_none(payground_stripe):
    unasked = payground_stripe.PaymentIntent.create(amount=500, currency="usd", confirm=True,
                                                    payment_method="pm_card_visa",
                                                    expand=["latest_charge"])
    assert unasked.latest_charge.payment_method_details.card.three_d_secure is None


def test_use_stripe_sdk_then_fail(payground_stripe):
    pi = payground_stripe.PaymentIntent.create(amount=2000, currency="usd", confirm=True,
                                               payment_method="pm_card_threeDSecure2Required")
    assert (pi.status, pi.next_action.type) == ("requires_action", "use_stripe_sdk")
    sdk = pi.next_action.use_stripe_sdk
    assert sdk["type"] == "three_d_secure_redirect"

    assert answer_page(sdk["stripe_js"], "fail").status_code == 200  # no return_url

    failed = payground_stripe.PaymentIntent.retrieve(pi.id)
    assert (failed.status, failed.last_payment_error.code) == (
        "requires_payment_method", "payment_intent_authentication_failure")
    assert failed.last_payment_error.message == messages.INTENT_AUTHENTICATION_FAILURE


def test_off_session_raises_a_card_error(payground_stripe):
    with pytest.raises(stripe.CardError) as raised:
        payground_stripe.PaymentIntent.create(
            amount=2000, currency="usd", payment_method="pm_card_authenticationRequired",
            confirm=True, off_session=True)
    error = raised.value
    assert (error.http_status, error.code, error.error.decline_code) == (
        402, "authentication_required", "authentication_required")
    assert error.user_message == messages.CARD_AUTHENTICATION_REQUIRED
    assert error.error.payment_intent.status == "requires_payment_method"
