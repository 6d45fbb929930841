"""SetupIntents through the official ``stripe`` SDK against ``payground_server``: the SDK's
SetupIntent class reads every object and error, and a card set up pays off session."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import stripe

from payground import messages
from tests.sdk.test_sdk_three_d_secure import answer_page


def test_set_up_a_card_then_charge_it_off_session(payground_stripe):
    customer = payground_stripe.Customer.create(email="saver@example.com")
    seti = payground_stripe.SetupIntent.create(
        customer=customer.id, payment_method="pm_card_authenticationRequiredOnSetup",
        usage="off_session", metadata={"plan": "monthly"})
    assert isinstance(seti, stripe.SetupIntent)
    assert (seti.status, seti.usage, seti.metadata.plan) == ("requires_confirmation",
                                                             "off_session", "monthly")
    confirmed = payground_stripe.SetupIntent.confirm(seti.id,
                                                     return_url="https://shop.example/saved")
    assert (confirmed.status, confirmed.next_action.type) == ("requires_action",
                                                              "redirect_to_url")

    answered = answer_page(confirmed.next_action.redirect_to_url.url, "complete")

    assert answered.status_code == 303
    back = parse_qs(urlsplit(answered.headers["Location"]).query)
    assert back == {"setup_intent": [seti.id], "setup_intent_client_secret":
                    [seti.client_secret], "redirect_status": ["succeeded"]}
    done = payground_stripe.SetupIntent.retrieve(seti.id, expand=["payment_method"])
    assert (done.status, done.payment_method.customer) == ("succeeded", customer.id)
    paid = payground_stripe.PaymentIntent.create(
        amount=1500, currency="usd", customer=customer.id, payment_method=done.payment_method.id,
        off_session=True, confirm=True)
    assert paid.status == "succeeded"
    listed = payground_stripe.SetupIntent.list(customer=customer.id)
    assert [s.id for s in listed.data] == [seti.id]


def test_a_decline_is_a_card_error_naming_the_setup_intent(payground_stripe):
    seti = payground_stripe.SetupIntent.create()
    with pytest.raises(stripe.CardError) as raised:
        payground_stripe.SetupIntent.confirm(seti.id, payment_method="pm_card_chargeDeclined")
    error = raised.value
    assert (error.http_status, error.code, error.user_message) == (402, "card_declined",
                                                                    messages.CARD_DECLINED)
    assert error.error.setup_intent.id == seti.id
    assert error.error.decline_code == "generic_decline"
    now = payground_stripe.SetupIntent.retrieve(seti.id)
    assert (now.status, now.last_setup_error.code) == ("requires_payment_method",
                                                       "card_declined")


def test_failed_authentication_and_cancel(payground_stripe):
    seti = payground_stripe.SetupIntent.create(payment_method="pm_card_authenticationRequired",
                                               confirm=True)
    assert seti.next_action.type == "use_stripe_sdk"
    answer_page(seti.next_action.use_stripe_sdk.stripe_js, "fail")
    failed = payground_stripe.SetupIntent.retrieve(seti.id)
    assert (failed.status, failed.last_setup_error.code, failed.last_setup_error.message) == (
        "requires_payment_method", "setup_intent_authentication_failure",
        messages.SETUP_INTENT_AUTHENTICATION_FAILURE)
    canceled = payground_stripe.SetupIntent.cancel(seti.id, cancellation_reason="abandoned")
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.SetupIntent.cancel(seti.id)
    assert (raised.value.http_status, raised.value.code) == (400,
                                                             "setup_intent_unexpected_state")
    assert str(raised.value.user_message) == messages.SETUP_CANCEL_CANCELED


def test_client_secret_flow_with_the_publishable_key(payground_stripe, payground_account):
    seti = payground_stripe.SetupIntent.create(customer=payground_stripe.Customer.create().id)
    pk = payground_account.publishable_key
    seen = payground_stripe.SetupIntent.retrieve(seti.id, api_key=pk,
                                                 client_secret=seti.client_secret)
    assert (seen.id, seen.status) == (seti.id, "requires_payment_method")
    assert "customer" not in seen
    confirmed = payground_stripe.SetupIntent.confirm(seti.id, api_key=pk,
                                                     client_secret=seti.client_secret,
                                                     payment_method="pm_card_visa")
    assert confirmed.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.SetupIntent.retrieve("seti_nope")
    assert (raised.value.http_status, raised.value.code, raised.value.user_message) == (
        404, "resource_missing", "No such setupintent: 'seti_nope'")


def test_the_decline_after_attaching_card_is_set_up_then_a_card_error(payground_stripe):
    customer = payground_stripe.Customer.create(email="later@example.com")
    seti = payground_stripe.SetupIntent.create(
        customer=customer.id, payment_method="pm_card_chargeCustomerFail", confirm=True)
    assert seti.status == "succeeded"
    with pytest.raises(stripe.CardError) as raised:
        payground_stripe.PaymentIntent.create(
            amount=1500, currency="usd", customer=customer.id, payment_method=seti.payment_method,
            off_session=True, confirm=True)
    error = raised.value
    assert (error.http_status, error.code, error.param, error.user_message) == (
        402, "card_declined", None, messages.CARD_DECLINED)
    assert error.error.decline_code == "generic_decline"
    assert error.error.payment_intent.status == "requires_payment_method"


def test_a_card_set_up_without_a_customer_is_refused_until_attached(payground_stripe):
    seti = payground_stripe.SetupIntent.create(payment_method="pm_card_visa", confirm=True)
    assert seti.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.PaymentIntent.create(amount=1500, currency="usd",
                                              payment_method=seti.payment_method, confirm=True)
    error = raised.value
    assert (error.http_status, error.code, error.param, error.user_message) == (
        400, None, "payment_method", messages.PAYMENT_METHOD_SPENT)
    customer = payground_stripe.Customer.create(email="saved@example.com")
    payground_stripe.PaymentMethod.attach(seti.payment_method, customer=customer.id)
    paid = payground_stripe.PaymentIntent.create(
        amount=1500, currency="usd", customer=customer.id, payment_method=seti.payment_method,
        confirm=True)
    assert paid.status == "succeeded"
