"""PaymentMethods and PaymentIntents through the official ``stripe`` SDK, end to end."""

from __future__ import annotations

import pytest
import stripe

from payground import messages


def intent(payground_stripe, **params):
    return payground_stripe.PaymentIntent.create(amount=2000, currency="usd", **params)


def test_automatic_capture(payground_stripe):
    created = intent(payground_stripe, payment_method="pm_card_visa", metadata={"order": "1"})
    assert created.id.startswith("pi_") and created.object == "payment_intent"
    assert (created.status, created.client_secret.startswith(f"{created.id}_secret_")) == (
        "requires_confirmation", True)
    confirmed = payground_stripe.PaymentIntent.confirm(created.id)
    assert (confirmed.status, confirmed.amount_received) == ("succeeded", 2000)
    charge = payground_stripe.Charge.retrieve(confirmed.latest_charge,
                                              expand=["balance_transaction"])
    assert (charge.payment_intent, charge.payment_method) == (created.id,
                                                              confirmed.payment_method)
    assert (charge.captured, charge.balance_transaction.amount) == (True, 2000)
    assert charge.metadata.to_dict() == {"order": "1"}


def test_manual_capture(payground_stripe):
    held = intent(payground_stripe, payment_method="pm_card_mastercard", confirm=True,
                  capture_method="manual")
    assert (held.status, held.amount_capturable) == ("requires_capture", 2000)
    captured = payground_stripe.PaymentIntent.capture(held.id, amount_to_capture=1200,
                                                      expand=["latest_charge"])
    assert (captured.status, captured.amount_received) == ("succeeded", 1200)
    assert (captured.latest_charge.amount_captured, captured.latest_charge.amount_refunded) == (
        1200, 800)


def test_decline(payground_stripe):
    with pytest.raises(stripe.CardError) as raised:
        intent(payground_stripe, payment_method="pm_card_chargeDeclinedInsufficientFunds",
               confirm=True)
    error = raised.value
    assert (error.http_status, error.code) == (402, "card_declined")
    assert error.user_message == messages.CARD_INSUFFICIENT_FUNDS
    assert error.error.decline_code == "insufficient_funds"
    failed = error.error.payment_intent
    assert (failed.object, failed.status, failed.payment_method) == (
        "payment_intent", "requires_payment_method", None)
    assert failed.last_payment_error.decline_code == "insufficient_funds"
    assert failed.last_payment_error.payment_method.id == error.error.payment_method.id
    assert failed.latest_charge == error.error.charge
    retried = payground_stripe.PaymentIntent.confirm(failed.id, payment_method="pm_card_visa")
    assert (retried.status, retried.last_payment_error) == ("succeeded", None)


def test_cancel(payground_stripe):
    created = intent(payground_stripe)
    canceled = payground_stripe.PaymentIntent.cancel(created.id,
                                                     cancellation_reason="abandoned")
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.PaymentIntent.confirm(created.id, payment_method="pm_card_visa")
    error = raised.value
    assert (error.http_status, error.code) == (400, "payment_intent_unexpected_state")
    assert error.user_message == messages.INTENT_CONFIRM_STATE.format(status="canceled")
    assert error.error.payment_intent.status == "canceled"


def test_saved_card_for_a_customer(payground_stripe, payground_account):
    customer = payground_stripe.Customer.create(email="jo@example.com")
    method = payground_stripe.PaymentMethod.create(
        type="card", card={"number": "4242424242424242", "exp_month": 12, "exp_year": 2034,
                           "cvc": "123"}, api_key=payground_account.publishable_key)
    assert (method.card.last4, method.card.checks.cvc_check) == ("4242", "unchecked")
    payground_stripe.PaymentMethod.attach(method.id, customer=customer.id)
    listed = payground_stripe.PaymentMethod.list(customer=customer.id, type="card")
    assert [m.id for m in listed.data] == [method.id]
    for _ in range(2):
        paid = intent(payground_stripe, customer=customer.id, payment_method=method.id,
                      confirm=True)
        assert paid.status == "succeeded"
    assert payground_stripe.PaymentMethod.retrieve(method.id).card.checks.cvc_check == "pass"
    detached = payground_stripe.PaymentMethod.detach(method.id)
    assert detached.customer is None


def test_save_a_card_during_payment_then_charge_it_off_session(payground_stripe):
    # Stripe's "save payment details during payment", as an integration writes it.
    customer = payground_stripe.Customer.create(email="jo@example.com")
    first = intent(payground_stripe, customer=customer.id, payment_method="pm_card_visa",
                   setup_future_usage="off_session", confirm=True)
    assert first.status == "succeeded"
    saved = payground_stripe.Customer.list_payment_methods(customer.id, type="card")
    assert [m.id for m in saved.auto_paging_iter()] == [first.payment_method]
    assert saved.data[0].customer == customer.id
    later = intent(payground_stripe, customer=customer.id, payment_method=saved.data[0].id,
                   off_session=True, confirm=True)
    assert (later.status, later.payment_method) == ("succeeded", first.payment_method)


def test_client_secret_flow_with_the_publishable_key(payground_stripe, payground_account):
    created = intent(payground_stripe, payment_method="pm_card_visa")
    pk = payground_account.publishable_key
    seen = payground_stripe.PaymentIntent.retrieve(created.id, api_key=pk,
                                                   client_secret=created.client_secret)
    assert (seen.status, "metadata" in seen) == ("requires_confirmation", False)
    confirmed = payground_stripe.PaymentIntent.confirm(created.id, api_key=pk,
                                                       client_secret=created.client_secret)
    assert confirmed.status == "succeeded"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.PaymentIntent.retrieve(created.id, api_key=pk,
                                                client_secret=f"{created.id}_secret_wrong")
    assert (raised.value.param, raised.value.user_message) == ("client_secret",
                                                               messages.CLIENT_SECRET_MISMATCH)


def test_card_payment_method_options(payground_stripe):
    # What Stripe's "place a hold on a card" guide sends: the card's own capture_method.
    held = intent(payground_stripe, payment_method="pm_card_visa", confirm=True,
                  payment_method_options={"card": {"capture_method": "manual",
                                                   "request_three_d_secure": "any"}})
    assert (held.status, held.capture_method) == ("requires_capture", "automatic")
    card = held.payment_method_options.card
    assert (card.capture_method, card.request_three_d_secure) == ("manual", "any")
    captured = payground_stripe.PaymentIntent.capture(held.id, amount_to_capture=500)
    assert (captured.status, captured.amount_received) == ("succeeded", 500)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        intent(payground_stripe, payment_method_options={"card": {"moto": True}})
    error = raised.value
    assert (error.http_status, error.code, error.param) == (
        400, "parameter_unknown", "payment_method_options[card][moto]")


# -- empty values that unset (Stripe's update and confirm take them; its create does not) ----


def test_an_empty_receipt_email_on_update_unsets_it(payground_stripe):
    made = intent(payground_stripe, receipt_email="jo@example.com",
                  payment_method="pm_card_visa")

    updated = payground_stripe.PaymentIntent.modify(made.id, receipt_email="")

    assert updated.receipt_email is None
    confirmed = payground_stripe.PaymentIntent.confirm(made.id)
    assert confirmed.receipt_email is None
    assert payground_stripe.Charge.retrieve(confirmed.latest_charge).receipt_email is None


def test_empty_values_on_confirm_unset_the_receipt_email_and_saving_the_card(payground_stripe):
    customer = payground_stripe.Customer.create(email="jo@example.com")
    made = intent(payground_stripe, customer=customer.id, receipt_email="jo@example.com",
                  setup_future_usage="off_session")

    confirmed = payground_stripe.PaymentIntent.confirm(
        made.id, payment_method="pm_card_visa", receipt_email="", setup_future_usage="")

    assert (confirmed.status, confirmed.receipt_email, confirmed.setup_future_usage) == (
        "succeeded", None, None)
    assert payground_stripe.Charge.retrieve(confirmed.latest_charge).receipt_email is None
    # Nothing saved: the card is not the customer's, and no attachment was recorded.
    assert payground_stripe.PaymentMethod.retrieve(confirmed.payment_method).customer is None
    assert payground_stripe.Customer.list_payment_methods(customer.id).data == []
    assert payground_stripe.Event.list(type="payment_method.attached").data == []


@pytest.mark.parametrize("param", ["receipt_email", "setup_future_usage"])
def test_an_empty_value_on_create_is_still_refused(payground_stripe, param):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        intent(payground_stripe, **{param: ""})

    error = raised.value
    assert (error.http_status, error.code, error.param) == (400, "parameter_invalid_empty",
                                                            param)
    assert error.user_message == messages.INVALID_EMPTY.replace("{param}", param)
    assert payground_stripe.PaymentIntent.list().data == []


def test_address_checks_and_transfer_group(payground_stripe):
    # Stripe's postal-code-fail test card, with the billing address the check needs.
    method = payground_stripe.PaymentMethod.create(
        type="card", card={"token": "tok_avsZipFail"},
        billing_details={"address": {"line1": "1 Main St", "postal_code": "94107"}})
    assert method.card.checks.to_dict() == {"address_line1_check": "unchecked",
                                            "address_postal_code_check": "unchecked",
                                            "cvc_check": None}
    paid = intent(payground_stripe, payment_method=method.id, confirm=True,
                  transfer_group="order-7", expand=["latest_charge", "payment_method"])
    assert (paid.status, paid.transfer_group) == ("succeeded", "order-7")
    assert paid.latest_charge.transfer_group == "order-7"
    assert paid.payment_method.card.checks.to_dict() == {
        "address_line1_check": "pass", "address_postal_code_check": "fail", "cvc_check": None}
    details = paid.latest_charge.payment_method_details.card.checks
    assert (details.address_line1_check, details.address_postal_code_check) == ("pass", "fail")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.PaymentIntent.modify(paid.id, transfer_group="order-8")
    assert (raised.value.http_status, raised.value.param, raised.value.user_message) == (
        400, "transfer_group", messages.INTENT_TRANSFER_GROUP_SET.format(id=paid.id))


def test_cvc_check_fail_is_declined(payground_stripe):
    with pytest.raises(stripe.CardError) as raised:
        intent(payground_stripe, payment_method="pm_card_cvcCheckFail", confirm=True)
    assert (raised.value.code, raised.value.param, raised.value.user_message) == (
        "incorrect_cvc", "cvc", messages.CARD_INCORRECT_CVC)
    assert raised.value.error.payment_method.card.checks.cvc_check == "fail"
