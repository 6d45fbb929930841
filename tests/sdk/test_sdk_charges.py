"""Charges, tokens and refunds through the official ``stripe`` SDK, against ``payground_server``."""

from __future__ import annotations

import pytest
import stripe


def charge(payground_stripe, amount=2000, source="tok_visa", **extra):
    return payground_stripe.Charge.create(amount=amount, currency="usd", source=source, **extra)


def test_charge_with_tok_visa(payground_stripe):
    created = charge(payground_stripe, description="Order 1", metadata={"order": "1"})
    assert created.id.startswith("ch_")
    assert created.object == "charge"
    assert (created.amount, created.currency, created.status) == (2000, "usd", "succeeded")
    assert (created.paid, created.captured, created.refunded) == (True, True, False)
    assert created.livemode is False
    assert (created.source.brand, created.source.last4) == ("Visa", "4242")
    assert created.payment_method_details.card.last4 == "4242"
    assert created.outcome.type == "authorized"
    assert created.balance_transaction.startswith("txn_")
    assert created.metadata.to_dict() == {"order": "1"}

    again = payground_stripe.Charge.retrieve(created.id)
    assert (again.id, again.amount, again.description) == (created.id, 2000, "Order 1")


def test_charge_expand_balance_transaction(payground_stripe):
    created = charge(payground_stripe, amount=1000, expand=["balance_transaction"])
    txn = created.balance_transaction
    # 2.9% + 30 of $10.00 = 59 cents.
    assert (txn.object, txn.amount, txn.fee, txn.net, txn.status) == (
        "balance_transaction", 1000, 59, 941, "pending")


def test_uncaptured_charge_then_capture(payground_stripe):
    created = charge(payground_stripe, capture=False)
    assert (created.captured, created.status) == (False, "succeeded")
    captured = payground_stripe.Charge.capture(created.id)
    assert captured.captured is True
    assert captured.amount_captured == 2000


def test_list_charges_auto_paging(payground_stripe):
    ids = {charge(payground_stripe, amount=100 * (i + 1)).id for i in range(3)}
    seen = [c.id for c in payground_stripe.Charge.list(limit=2).auto_paging_iter()]
    assert len(seen) == 3 and set(seen) == ids


def test_list_filters_with_unknown_ids_raise(payground_stripe):
    # Stripe documents an error, not an empty list, for a non-existent customer or charge.
    for lister, params, param, message in (
            (payground_stripe.Charge.list, {"customer": "cus_nope"}, "customer",
             "No such customer: 'cus_nope'"),
            (payground_stripe.Refund.list, {"charge": "ch_nope"}, "charge",
             "No such charge: 'ch_nope'")):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            lister(**params)
        error = raised.value
        assert (error.http_status, error.code, error.param, error.user_message) == (
            404, "resource_missing", param, message)


def test_declined_token(payground_stripe):
    with pytest.raises(stripe.CardError) as raised:
        charge(payground_stripe, source="tok_chargeDeclined")
    error = raised.value
    assert error.http_status == 402
    assert error.code == "card_declined"
    assert error.error.decline_code == "generic_decline"
    assert error.user_message == "Your card was declined."
    assert error.json_body["error"]["type"] == "card_error"
    # The failed charge exists and is named by the error.
    failed = payground_stripe.Charge.retrieve(error.error.charge)
    assert (failed.status, failed.paid, failed.failure_code) == ("failed", False,
                                                                 "card_declined")
    assert failed.outcome.type == "issuer_declined"


def test_insufficient_funds_token(payground_stripe):
    with pytest.raises(stripe.CardError) as raised:
        charge(payground_stripe, source="tok_chargeDeclinedInsufficientFunds")
    error = raised.value
    assert error.http_status == 402
    assert error.code == "card_declined"
    assert error.error.decline_code == "insufficient_funds"
    assert error.user_message == "Your card has insufficient funds."


def test_card_number_tokenised_with_the_publishable_key(payground_stripe, payground_account):
    token = payground_stripe.Token.create(
        card={"number": "4000000000009995", "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        api_key=payground_account.publishable_key)
    assert token.id.startswith("tok_")
    assert token.card.last4 == "9995"
    assert token.livemode is False
    assert "number" not in token.card  # the number is never echoed

    with pytest.raises(stripe.CardError) as raised:
        charge(payground_stripe, source=token.id)
    error = raised.value
    assert error.http_status == 402
    assert error.code == "card_declined"
    assert error.error.decline_code == "insufficient_funds"
    assert error.user_message == "Your card has insufficient funds."


def test_publishable_key_cannot_charge(payground_stripe, payground_account):
    with pytest.raises(stripe.AuthenticationError) as raised:
        charge(payground_stripe, api_key=payground_account.publishable_key)
    assert raised.value.http_status == 401
    assert raised.value.json_body["error"]["code"] == "secret_key_required"
    assert raised.value.user_message == (
        "This API call cannot be made with a publishable API key. Please use a secret API key.")


def test_test_card_in_live_mode(payground_stripe, payground_account):
    live_key = payground_account.activate_live()
    with pytest.raises(stripe.CardError) as raised:
        charge(payground_stripe, api_key=live_key)
    error = raised.value
    assert error.http_status == 402
    assert error.code == "card_declined"
    assert error.error.decline_code == "live_mode_test_card"
    assert error.user_message == (
        "Your card was declined. Your request was in live mode, but used a known test card.")


def test_amount_too_small(payground_stripe):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        charge(payground_stripe, amount=49)
    error = raised.value
    assert error.http_status == 400
    assert (error.code, error.param) == ("amount_too_small", "amount")


def test_missing_charge(payground_stripe):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.Charge.retrieve("ch_doesNotExist")
    error = raised.value
    assert error.http_status == 404
    assert error.code == "resource_missing"
    assert error.user_message == "No such charge: 'ch_doesNotExist'"


# -- refunds ---------------------------------------------------------------------------------


def test_partial_then_full_refund(payground_stripe):
    created = charge(payground_stripe)
    partial = payground_stripe.Refund.create(charge=created.id, amount=500,
                                             reason="requested_by_customer")
    assert partial.id.startswith("re_")
    assert partial.object == "refund"
    assert (partial.amount, partial.charge, partial.status, partial.reason) == (
        500, created.id, "succeeded", "requested_by_customer")
    after = payground_stripe.Charge.retrieve(created.id)
    assert (after.amount_refunded, after.refunded) == (500, False)

    rest = payground_stripe.Refund.create(charge=created.id)
    assert rest.amount == 1500
    after = payground_stripe.Charge.retrieve(created.id)
    assert (after.amount_refunded, after.refunded) == (2000, True)

    assert payground_stripe.Refund.retrieve(partial.id).amount == 500
    listed = {r.id for r in payground_stripe.Refund.list(charge=created.id).auto_paging_iter()}
    assert listed == {partial.id, rest.id}


def test_refund_more_than_remaining(payground_stripe):
    created = charge(payground_stripe)
    payground_stripe.Refund.create(charge=created.id, amount=1500)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.Refund.create(charge=created.id, amount=600)
    error = raised.value
    assert error.http_status == 400
    assert error.param == "amount"
    assert error.user_message == ("Refund amount ($6.00) is greater than unrefunded amount on "
                                  "charge ($5.00)")


def test_refund_twice(payground_stripe):
    created = charge(payground_stripe)
    payground_stripe.Refund.create(charge=created.id)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.Refund.create(charge=created.id)
    error = raised.value
    assert error.http_status == 400
    assert error.code == "charge_already_refunded"
    assert error.user_message == f"Charge {created.id} has already been refunded."


def test_fields_stripe_always_returns_are_attributes(payground_stripe):
    created = charge(payground_stripe)
    # Absent fields were AttributeErrors in the SDK; Stripe documents these as nullable.
    assert created.receipt_url is None
    assert created.billing_details.tax_id is None
    assert created.outcome.advice_code is None
    assert created.payment_method_details.card.amount_authorized == 2000
    assert payground_stripe.Customer.create().invoice_settings.default_payment_method is None


def test_expanded_refunds_page_on_with_the_sdk(payground_stripe):
    created = charge(payground_stripe, amount=5000)
    ids = [payground_stripe.Refund.create(charge=created.id, amount=100).id for _ in range(12)]
    expanded = payground_stripe.Charge.retrieve(created.id, expand=["refunds"])
    assert [r.id for r in expanded.refunds.data] == ids[::-1][:10]
    assert expanded.refunds.has_more is True
    assert [r.id for r in expanded.refunds.auto_paging_iter()] == ids[::-1]
    listed = payground_stripe.Charge.list_refunds(created.id, limit=3)
    assert [r.id for r in listed.data] == ids[::-1][:3]


def test_retrieve_a_charges_refund_with_the_sdk(payground_stripe):
    created = charge(payground_stripe)
    refund = payground_stripe.Refund.create(charge=created.id, amount=100)
    assert payground_stripe.Charge.retrieve_refund(created.id, refund.id).id == refund.id
    expanded = payground_stripe.Charge.retrieve(created.id, expand=["refunds"])
    assert expanded.refunds.retrieve(refund.id).amount == 100


def test_a_charges_descriptive_fields_through_the_sdk(payground_stripe):
    created = charge(payground_stripe, statement_descriptor_suffix="ORDER 42",
                     transfer_group="order-42",
                     shipping={"name": "Ada", "address": {"line1": "1 Main St",
                                                          "country": "US"},
                               "carrier": "UPS", "tracking_number": "1Z999"})
    assert (created.statement_descriptor_suffix, created.transfer_group,
            created.calculated_statement_descriptor) == ("ORDER 42", "order-42",
                                                         "PAYGROUND* ORDER 42")
    assert (created.shipping.name, created.shipping.address.line1,
            created.shipping.address.city, created.shipping.tracking_number) == (
        "Ada", "1 Main St", None, "1Z999")
    listed = payground_stripe.Charge.list(transfer_group="order-42")
    assert [c.id for c in listed.data] == [created.id]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        payground_stripe.Charge.modify(created.id, transfer_group="other")
    error = caught.value
    assert (error.http_status, error.code, error.param) == (400, None, "transfer_group")
    assert error.user_message == (f"The charge {created.id} already has a transfer_group: it "
                                  "may only be provided if it has not been set.")


def test_a_customers_default_payment_method_through_the_sdk(payground_stripe):
    customer = payground_stripe.Customer.create(email="ada@example.com")
    method = payground_stripe.PaymentMethod.attach("pm_card_visa", customer=customer.id)
    updated = payground_stripe.Customer.modify(
        customer.id, invoice_settings={"default_payment_method": method.id},
        expand=["invoice_settings.default_payment_method"])
    assert updated.invoice_settings.default_payment_method.id == method.id
    assert updated.invoice_settings.default_payment_method.card.last4 == "4242"
    other = payground_stripe.Customer.create()
    with pytest.raises(stripe.InvalidRequestError) as caught:
        payground_stripe.Customer.modify(
            other.id, invoice_settings={"default_payment_method": method.id})
    error = caught.value
    assert (error.http_status, error.code, error.param) == (
        400, None, "invoice_settings[default_payment_method]")
    assert error.user_message == (
        f"The customer does not have a payment method with the ID {method.id}. The payment "
        "method must be attached to the customer.")
