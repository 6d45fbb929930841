"""/v1/payment_intents: every status transition, every wrong-state error, declines, modes."""

from __future__ import annotations

import re
import threading

import pytest

from payground import messages
from tests.helpers import assert_error

STATE = "payment_intent_unexpected_state"
DECLINES = [
    # (magic payment method, code, decline_code, param, message)
    ("pm_card_chargeDeclined", "card_declined", "generic_decline", None,
     messages.CARD_DECLINED),
    ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds", None,
     messages.CARD_INSUFFICIENT_FUNDS),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", None, "exp_month",
     messages.CARD_EXPIRED),
    ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", None, "cvc",
     messages.CARD_INCORRECT_CVC),
    ("pm_card_chargeDeclinedFraudulent", "card_declined", "fraudulent", None,
     messages.CARD_DECLINED),
    ("pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card", None,
     messages.CARD_DECLINED),
]


def create(account, key=None, headers=None, **params):
    return account.post("/v1/payment_intents", {"amount": 2000, "currency": "usd", **params},
                        key=key, headers=headers or {})


def made(account, **params) -> dict:
    r = create(account, **params)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def act(account, intent_id, action, key=None, **params):
    return account.post(f"/v1/payment_intents/{intent_id}/{action}", params, key=key)


def done(account, intent_id, action, **params) -> dict:
    r = act(account, intent_id, action, **params)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def succeeded(account, **params) -> dict:
    return made(account, payment_method="pm_card_visa", confirm="true", **params)


def authorized(account, **params) -> dict:
    return succeeded(account, capture_method="manual", **params)


def canceled(account) -> dict:
    return done(account, made(account)["id"], "cancel")


def charge(account, charge_id) -> dict:
    return account.get(f"/v1/charges/{charge_id}").get_json()


def event_types(account, intent_id) -> list[str]:
    """The payment_intent.* events about one intent, oldest first."""
    events = account.get("/v1/events?type=payment_intent.*&limit=100").get_json()["data"]
    return [e["type"] for e in reversed(events) if e["data"]["object"]["id"] == intent_id]


def unexpected_state(response, message, param=None, status="") -> dict:
    error = assert_error(response, 400, code=STATE, param=param, message=message)
    assert error["payment_intent"]["object"] == "payment_intent"
    if status:
        assert error["payment_intent"]["status"] == status
    return error


def customer(account) -> str:
    return account.post("/v1/customers", {"email": "jo@example.com"}).get_json()["id"]


def payment_method(account, customer_id=None) -> str:
    method = account.post("/v1/payment_methods", {"type": "card", "card[token]": "tok_visa"})
    method_id = method.get_json()["id"]
    if customer_id:
        r = account.post(f"/v1/payment_methods/{method_id}/attach", {"customer": customer_id})
        assert r.status_code == 200, r.get_json()
    return method_id


# -- create and the happy paths -----------------------------------------------------------------


def test_create_without_a_payment_method(account):
    pi = made(account, description="Order 1", receipt_email="jo@example.com",
              **{"metadata[order]": "1"})
    assert pi["id"].startswith("pi_") and pi["object"] == "payment_intent"
    assert re.fullmatch(rf"{pi['id']}_secret_[0-9A-Za-z]{{25}}", pi["client_secret"])
    assert (pi["status"], pi["amount"], pi["currency"], pi["livemode"]) == (
        "requires_payment_method", 2000, "usd", False)
    assert (pi["amount_capturable"], pi["amount_received"], pi["latest_charge"]) == (0, 0, None)
    assert (pi["capture_method"], pi["confirmation_method"], pi["payment_method_types"]) == (
        "automatic", "automatic", ["card"])
    assert (pi["payment_method"], pi["last_payment_error"], pi["customer"]) == (None, None, None)
    assert (pi["description"], pi["receipt_email"], pi["metadata"]) == (
        "Order 1", "jo@example.com", {"order": "1"})
    assert (pi["canceled_at"], pi["cancellation_reason"], pi["next_action"]) == (None, None, None)
    assert event_types(account, pi["id"]) == ["payment_intent.created"]


def test_a_magic_payment_method_becomes_a_real_one(account):
    pi = made(account, payment_method="pm_card_visa")
    assert pi["status"] == "requires_confirmation"
    assert pi["payment_method"].startswith("pm_") and pi["payment_method"] != "pm_card_visa"
    method = account.get(f"/v1/payment_methods/{pi['payment_method']}").get_json()
    assert (method["card"]["brand"], method["card"]["last4"]) == ("visa", "4242")


def test_confirm_captures_through_the_charges_code(account):
    pi = made(account, payment_method="pm_card_visa", description="Order 2",
              **{"metadata[order]": "2"})
    confirmed = done(account, pi["id"], "confirm")
    assert (confirmed["status"], confirmed["amount_received"], confirmed["amount_capturable"]) \
        == ("succeeded", 2000, 0)
    c = charge(account, confirmed["latest_charge"])
    assert (c["payment_intent"], c["payment_method"], c["source"]) == (
        pi["id"], pi["payment_method"], None)
    assert (c["status"], c["captured"], c["amount_captured"]) == ("succeeded", True, 2000)
    assert c["balance_transaction"].startswith("txn_")
    assert (c["description"], c["metadata"]) == ("Order 2", {"order": "2"})
    assert c["payment_method_details"]["card"]["last4"] == "4242"
    assert event_types(account, pi["id"]) == ["payment_intent.created",
                                              "payment_intent.succeeded"]


def test_create_and_confirm_at_once(account):
    pi = succeeded(account)
    assert pi["status"] == "succeeded"
    assert charge(account, pi["latest_charge"])["payment_intent"] == pi["id"]


def test_a_direct_charge_has_no_payment_intent(account):
    c = account.post("/v1/charges", {"amount": 2000, "currency": "usd", "source": "tok_visa"})
    c = c.get_json()
    assert c["payment_intent"] is None
    assert c["payment_method"] == c["source"]["id"]


def test_manual_capture(account):
    pi = authorized(account)
    assert (pi["status"], pi["amount_capturable"], pi["amount_received"]) == (
        "requires_capture", 2000, 0)
    held = charge(account, pi["latest_charge"])
    assert (held["captured"], held["balance_transaction"]) == (False, None)
    captured = done(account, pi["id"], "capture")
    assert (captured["status"], captured["amount_capturable"], captured["amount_received"]) == (
        "succeeded", 0, 2000)
    c = charge(account, pi["latest_charge"])
    assert (c["captured"], c["amount_captured"]) == (True, 2000)
    assert c["balance_transaction"].startswith("txn_")
    assert event_types(account, pi["id"]) == [
        "payment_intent.created", "payment_intent.amount_capturable_updated",
        "payment_intent.succeeded"]


def test_partial_capture_releases_the_rest(account):
    pi = authorized(account)
    captured = done(account, pi["id"], "capture", amount_to_capture=1500)
    assert (captured["status"], captured["amount_received"]) == ("succeeded", 1500)
    c = charge(account, pi["latest_charge"])
    assert (c["amount_captured"], c["amount_refunded"]) == (1500, 500)


def test_capture_updates_metadata_and_the_descriptor_suffix(account):
    # Stripe's capture takes metadata and statement_descriptor_suffix (order shipped ...).
    pi = authorized(account, **{"metadata[order]": "7", "metadata[stage]": "held"})
    captured = done(account, pi["id"], "capture", statement_descriptor_suffix="ORDER 7",
                    **{"metadata[stage]": "shipped"})
    assert (captured["metadata"], captured["statement_descriptor_suffix"]) == (
        {"order": "7", "stage": "shipped"}, "ORDER 7")
    r = act(account, authorized(account)["id"], "capture", statement_descriptor="SHOP")
    assert_error(r, 400, param="statement_descriptor",
                 message=messages.INTENT_STATEMENT_DESCRIPTOR_CARD)


def test_capture_more_than_authorized(account):
    pi = authorized(account)
    r = act(account, pi["id"], "capture", amount_to_capture=2001)
    error = assert_error(r, 400, code="amount_too_large", param="amount_to_capture",
                         message=messages.INTENT_CAPTURE_TOO_LARGE)
    assert error["payment_intent"]["status"] == "requires_capture"


def test_capture_less_than_the_minimum(account):
    r = act(account, authorized(account)["id"], "capture", amount_to_capture=49)
    assert_error(r, 400, code="amount_too_small", param="amount_to_capture",
                 message=messages.AMOUNT_TOO_SMALL)


# -- declines ---------------------------------------------------------------------------------


@pytest.mark.parametrize("method, code, decline_code, param, message", DECLINES)
def test_a_decline_returns_the_intent_to_requires_payment_method(account, method, code,
                                                                 decline_code, param, message):
    pi = made(account, payment_method=method)
    r = act(account, pi["id"], "confirm")
    error = assert_error(r, 402, type="card_error", code=code, param=param, message=message,
                         decline_code=decline_code)
    failed = error["payment_intent"]
    assert (failed["id"], failed["status"], failed["payment_method"]) == (
        pi["id"], "requires_payment_method", None)
    assert failed["latest_charge"] == error["charge"]
    assert error["payment_method"]["id"] == pi["payment_method"]
    last = failed["last_payment_error"]
    assert (last["type"], last["code"], last.get("decline_code"), last["message"]) == (
        "card_error", code, decline_code, message)
    assert (last["charge"], last["payment_method"]["id"]) == (error["charge"],
                                                              pi["payment_method"])
    assert account.get(f"/v1/payment_intents/{pi['id']}").get_json() == failed
    c = charge(account, error["charge"])
    assert (c["status"], c["payment_intent"], c["failure_code"]) == ("failed", pi["id"], code)
    assert event_types(account, pi["id"]) == ["payment_intent.created",
                                              "payment_intent.payment_failed"]


def test_confirm_again_with_another_card_after_a_decline(account):
    r = create(account, payment_method="pm_card_chargeDeclined", confirm="true")
    first = r.get_json()["error"]
    pi = done(account, first["payment_intent"]["id"], "confirm", payment_method="pm_card_visa")
    assert (pi["status"], pi["last_payment_error"]) == ("succeeded", None)
    assert pi["latest_charge"] != first["charge"]


def test_a_declined_intent_cannot_be_confirmed_without_a_new_method(account):
    error = create(account, payment_method="pm_card_chargeDeclined",
                   confirm="true").get_json()["error"]
    r = act(account, error["payment_intent"]["id"], "confirm")
    unexpected_state(r, messages.INTENT_MISSING_PAYMENT_METHOD,
                     status="requires_payment_method")


def test_an_update_clears_the_last_payment_error(account):
    error = create(account, payment_method="pm_card_chargeDeclined",
                   confirm="true").get_json()["error"]
    r = account.post(f"/v1/payment_intents/{error['payment_intent']['id']}",
                     {"description": "retry"})
    assert r.get_json()["last_payment_error"] is None


# -- wrong states -----------------------------------------------------------------------------


def test_confirm_needs_a_payment_method(account):
    unexpected_state(act(account, made(account)["id"], "confirm"),
                     messages.INTENT_MISSING_PAYMENT_METHOD, status="requires_payment_method")


def test_create_with_confirm_needs_a_payment_method(account):
    r = create(account, confirm="true")
    assert_error(r, 400, code=STATE, message=messages.INTENT_MISSING_PAYMENT_METHOD)
    assert "payment_intent" not in r.get_json()["error"]
    assert account.get("/v1/payment_intents").get_json()["data"] == []


def test_confirm_a_succeeded_intent(account):
    unexpected_state(act(account, succeeded(account)["id"], "confirm"),
                     messages.INTENT_CONFIRM_SUCCEEDED, status="succeeded")


@pytest.mark.parametrize("make, status", [(authorized, "requires_capture"),
                                          (canceled, "canceled")])
def test_confirm_in_a_wrong_state(account, make, status):
    r = act(account, make(account)["id"], "confirm", payment_method="pm_card_visa")
    unexpected_state(r, messages.INTENT_CONFIRM_STATE.format(status=status), status=status)


def test_capture_a_succeeded_intent(account):
    unexpected_state(act(account, succeeded(account)["id"], "capture"),
                     messages.INTENT_ALREADY_CAPTURED, status="succeeded")


@pytest.mark.parametrize("params, status", [
    ({}, "requires_payment_method"), ({"payment_method": "pm_card_visa"},
                                      "requires_confirmation")])
def test_capture_before_confirming(account, params, status):
    r = act(account, made(account, capture_method="manual", **params)["id"], "capture")
    unexpected_state(r, messages.INTENT_CAPTURE_STATE.format(status=status), status=status)


def test_capture_a_canceled_intent(account):
    unexpected_state(act(account, canceled(account)["id"], "capture"),
                     messages.INTENT_CAPTURE_STATE.format(status="canceled"), status="canceled")


@pytest.mark.parametrize("make, status", [(succeeded, "succeeded"), (canceled, "canceled")])
def test_cancel_in_a_wrong_state(account, make, status):
    r = act(account, make(account)["id"], "cancel")
    unexpected_state(r, messages.INTENT_CANCEL_STATE.format(status=status), status=status)


@pytest.mark.parametrize("field, value", [
    ("amount", "3000"), ("currency", "eur"), ("payment_method", "pm_card_visa"),
    ("capture_method", "manual"), ("payment_method_types[]", "card")])
@pytest.mark.parametrize("make, status", [(succeeded, "succeeded"), (canceled, "canceled"),
                                          (authorized, "requires_capture")])
def test_payment_fields_cannot_change_after_success(account, make, status, field, value):
    pi = make(account)
    name = field.removesuffix("[]")
    r = account.post(f"/v1/payment_intents/{pi['id']}", {field: value})
    unexpected_state(r, messages.INTENT_UPDATE_STATE.format(field=name, status=status),
                     param=name, status=status)


def test_customer_cannot_change_after_success(account):
    pi = succeeded(account)
    r = account.post(f"/v1/payment_intents/{pi['id']}", {"customer": customer(account)})
    unexpected_state(r, messages.INTENT_UPDATE_STATE.format(field="customer",
                                                            status="succeeded"),
                     param="customer", status="succeeded")


# -- update, cancel ---------------------------------------------------------------------------


def test_update_before_confirming(account):
    pi = made(account, **{"metadata[a]": "1", "metadata[b]": "2"})
    r = account.post(f"/v1/payment_intents/{pi['id']}", {
        "amount": "4500", "payment_method": "pm_card_mastercard", "metadata[a]": "",
        "metadata[c]": "3", "description": "bigger"})
    assert r.status_code == 200, r.get_json()
    updated = r.get_json()
    assert (updated["amount"], updated["status"], updated["description"]) == (
        4500, "requires_confirmation", "bigger")
    assert updated["metadata"] == {"b": "2", "c": "3"}
    confirmed = done(account, pi["id"], "confirm")
    assert charge(account, confirmed["latest_charge"])["amount"] == 4500


def test_description_and_metadata_change_after_success(account):
    pi = succeeded(account)
    r = account.post(f"/v1/payment_intents/{pi['id']}", {"description": "shipped",
                                                         "metadata[parcel]": "P1"})
    assert (r.get_json()["description"], r.get_json()["metadata"]) == ("shipped",
                                                                       {"parcel": "P1"})


def test_update_amount_below_the_minimum(account):
    r = account.post(f"/v1/payment_intents/{made(account)['id']}", {"amount": "10"})
    assert_error(r, 400, code="amount_too_small", param="amount",
                 message=messages.AMOUNT_TOO_SMALL)


def test_cancel_before_confirming(account):
    pi = made(account, payment_method="pm_card_visa")
    r = act(account, pi["id"], "cancel", cancellation_reason="requested_by_customer")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["status"], body["cancellation_reason"]) == ("canceled", "requested_by_customer")
    assert isinstance(body["canceled_at"], int) and body["canceled_at"] >= pi["created"]
    assert event_types(account, pi["id"]) == ["payment_intent.created",
                                              "payment_intent.canceled"]


def test_cancel_releases_an_authorization(account):
    pi = authorized(account)
    body = done(account, pi["id"], "cancel")
    assert (body["status"], body["amount_capturable"]) == ("canceled", 0)
    c = charge(account, pi["latest_charge"])
    assert (c["captured"], c["refunded"], c["amount_refunded"]) == (False, True, 2000)
    refunds = account.get(f"/v1/refunds?charge={c['id']}").get_json()["data"]
    assert [(r["amount"], r["balance_transaction"]) for r in refunds] == [(2000, None)]


def test_bad_cancellation_reason(account):
    r = act(account, made(account)["id"], "cancel", cancellation_reason="bored")
    assert_error(r, 400, param="cancellation_reason",
                 message="Invalid cancellation_reason: must be one of duplicate, fraudulent, "
                         "requested_by_customer, abandoned")


# -- payment methods and customers ------------------------------------------------------------


def test_a_method_without_a_customer_is_used_once(account):
    method = payment_method(account)
    assert made(account, payment_method=method, confirm="true")["status"] == "succeeded"
    r = create(account, payment_method=method)
    assert_error(r, 400, param="payment_method", message=messages.PAYMENT_METHOD_SPENT)


def test_an_attached_method_is_used_again_and_again(account):
    cus = customer(account)
    method = payment_method(account, cus)
    for _ in range(2):
        pi = made(account, customer=cus, payment_method=method, confirm="true")
        assert (pi["status"], pi["customer"]) == ("succeeded", cus)
        assert charge(account, pi["latest_charge"])["customer"] == cus
    listed = account.get(f"/v1/payment_intents?customer={cus}").get_json()["data"]
    assert len(listed) == 2


@pytest.mark.parametrize("capture_method", ["automatic", "manual"])
def test_setup_future_usage_saves_the_method_to_the_customer(account, capture_method):
    # Stripe's "save a card during payment": the card is attached to the intent's customer
    # once the confirmation goes through, and can be charged again later, off session.
    cus = customer(account)
    method = payment_method(account)
    first = made(account, customer=cus, payment_method=method, confirm="true",
                 setup_future_usage="off_session", capture_method=capture_method)
    assert first["status"] in ("succeeded", "requires_capture")
    saved = account.get(f"/v1/payment_methods/{method}").get_json()
    assert saved["customer"] == cus
    attached = account.get("/v1/events?type=payment_method.attached").get_json()["data"]
    assert [e["data"]["object"]["id"] for e in attached] == [method]
    assert attached[0]["data"]["object"]["customer"] == cus
    again = made(account, customer=cus, payment_method=method, confirm="true",
                 off_session="true")
    assert (again["status"], again["payment_method"]) == ("succeeded", method)


def test_setup_future_usage_set_at_confirm_saves_the_method(account):
    cus = customer(account)
    pi = made(account, customer=cus, payment_method="pm_card_mastercard")
    confirmed = done(account, pi["id"], "confirm", setup_future_usage="on_session")
    method = account.get(f"/v1/payment_methods/{confirmed['payment_method']}").get_json()
    assert (method["customer"], method["card"]["brand"]) == (cus, "mastercard")


@pytest.mark.parametrize("saving", [{"setup_future_usage": "off_session"},
                                    {"setup_future_usage": "on_session"},
                                    {"payment_method_options[card][setup_future_usage]":
                                     "off_session"}])
def test_setup_future_usage_without_a_customer_leaves_the_method_attachable(account, saving):
    """Stripe: "If no Customer was provided, the payment method can still be attached to a
    Customer after the transaction completes"; and that payment was its one use without a
    customer: attaching it is all that is left until it is attached."""
    method = payment_method(account)
    made(account, payment_method=method, confirm="true", **saving)
    assert account.get(f"/v1/payment_methods/{method}").get_json()["customer"] is None
    for params in ({"confirm": "true"}, {"confirm": "true", **saving}, {}):
        r = create(account, payment_method=method, **params)
        assert_error(r, 400, type="invalid_request_error", code=None, param="payment_method",
                     message=messages.PAYMENT_METHOD_SPENT)
    r = account.post("/v1/setup_intents", {"payment_method": method, "confirm": "true"})
    assert_error(r, 400, type="invalid_request_error", code=None, param="payment_method",
                 message=messages.PAYMENT_METHOD_SPENT)
    assert len(account.get("/v1/charges").get_json()["data"]) == 1
    cus = customer(account)
    r = account.post(f"/v1/payment_methods/{method}/attach", {"customer": cus})
    assert (r.status_code, r.get_json()["customer"]) == (200, cus)
    for _ in range(2):
        assert made(account, customer=cus, payment_method=method,
                    confirm="true")["status"] == "succeeded"


def test_setup_future_usage_saves_nothing_on_a_decline(account):
    cus = customer(account)
    method = account.post("/v1/payment_methods", {
        "type": "card", "card[token]": "tok_chargeDeclined"}).get_json()["id"]
    r = create(account, customer=cus, payment_method=method, confirm="true",
               setup_future_usage="off_session")
    assert_error(r, 402, type="card_error", code="card_declined",
                 message=messages.CARD_DECLINED, decline_code="generic_decline")
    assert account.get(f"/v1/payment_methods/{method}").get_json()["customer"] is None
    r = create(account, payment_method=method)
    assert_error(r, 400, param="payment_method", message=messages.PAYMENT_METHOD_SPENT)


def test_setup_future_usage_never_attaches_to_a_customer_deleted_since(account):
    # Deleting a customer detaches its payment methods: an intent made for it before must not
    # attach one again (a method no list shows, of a customer that no longer exists).
    cus = customer(account)
    pi = made(account, customer=cus, payment_method="pm_card_visa",
              setup_future_usage="off_session")
    assert account.delete(f"/v1/customers/{cus}").status_code == 200
    confirmed = done(account, pi["id"], "confirm")
    assert (confirmed["status"], confirmed["customer"]) == ("succeeded", cus)
    method = confirmed["payment_method"]
    assert account.get(f"/v1/payment_methods/{method}").get_json()["customer"] is None
    attached = account.get("/v1/events?type=payment_method.attached").get_json()["data"]
    assert attached == []
    # Saved all the same, as without a customer: free to be attached to another.
    other = customer(account)
    r = account.post(f"/v1/payment_methods/{method}/attach", {"customer": other})
    assert r.get_json()["customer"] == other, r.get_json()


CARD_OPTIONS = {"installments": None, "mandate_options": None, "network": None,
                "request_three_d_secure": "automatic"}


def test_statement_descriptor_is_refused_on_update_too(account):
    pi = made(account, statement_descriptor_suffix="ORDER 42")
    r = account.post(f"/v1/payment_intents/{pi['id']}", {"statement_descriptor": "SHOP"})
    assert_error(r, 400, param="statement_descriptor",
                 message=messages.INTENT_STATEMENT_DESCRIPTOR_CARD)
    shown = account.get(f"/v1/payment_intents/{pi['id']}").get_json()
    assert (shown["statement_descriptor"], shown["statement_descriptor_suffix"]) == (
        None, "ORDER 42")


def test_card_capture_method_option_authorises_only(account):
    # Stripe: payment_method_options[card][capture_method] overrides the intent's own
    # capture_method for cards; the intent's stays as it was.
    pi = succeeded(account, **{"payment_method_options[card][capture_method]": "manual"})
    assert (pi["status"], pi["capture_method"], pi["amount_capturable"]) == (
        "requires_capture", "automatic", 2000)
    assert pi["payment_method_options"] == {"card": {**CARD_OPTIONS,
                                                     "capture_method": "manual"}}
    assert charge(account, pi["latest_charge"])["captured"] is False
    captured = done(account, pi["id"], "capture", amount_to_capture="1500")
    assert (captured["status"], captured["amount_received"]) == ("succeeded", 1500)


def test_card_options_are_updated_one_by_one_and_unset_when_empty(account):
    pi = made(account, capture_method="manual", **{
        "payment_method_options[card][capture_method]": "manual",
        "payment_method_options[card][request_three_d_secure]": "any"})
    r = account.post(f"/v1/payment_intents/{pi['id']}", {
        "payment_method_options[card][capture_method]": ""})
    assert r.get_json()["payment_method_options"] == {"card": {
        **CARD_OPTIONS, "request_three_d_secure": "any"}}
    # The intent's own manual capture applies again: unset is not "automatic".
    confirmed = done(account, pi["id"], "confirm", payment_method="pm_card_visa")
    assert confirmed["status"] == "requires_capture"
    other = made(account, **{"payment_method_options[card][request_three_d_secure]": "any"})
    r = account.post(f"/v1/payment_intents/{other['id']}", {"payment_method_options[card]": ""})
    assert r.get_json()["payment_method_options"] == {"card": CARD_OPTIONS}


def test_request_three_d_secure_is_kept_and_needs_no_authentication(account):
    # 4242's issuer is not enrolled in 3-D Secure: the intent succeeds without requires_action
    # (a card that supports it asks: tests/api/test_three_d_secure.py).
    pi = succeeded(account, **{"payment_method_options[card][request_three_d_secure]": "any"})
    assert (pi["status"], pi["next_action"]) == ("succeeded", None)
    assert pi["payment_method_options"]["card"]["request_three_d_secure"] == "any"


def test_card_setup_future_usage_option_overrides_the_intents(account):
    cus = customer(account)
    saved = payment_method(account)
    made(account, customer=cus, payment_method=saved, confirm="true",
         **{"payment_method_options[card][setup_future_usage]": "off_session"})
    assert account.get(f"/v1/payment_methods/{saved}").get_json()["customer"] == cus
    # "none" saves nothing, whatever the intent's own setup_future_usage says.
    kept = payment_method(account)
    pi = made(account, customer=cus, payment_method=kept, confirm="true",
              setup_future_usage="off_session",
              **{"payment_method_options[card][setup_future_usage]": "none"})
    assert pi["payment_method_options"]["card"]["setup_future_usage"] == "none"
    assert account.get(f"/v1/payment_methods/{kept}").get_json()["customer"] is None


def test_card_options_at_confirm_and_not_after_success(account):
    pi = made(account, payment_method="pm_card_visa")
    confirmed = done(account, pi["id"], "confirm",
                     **{"payment_method_options[card][capture_method]": "manual"})
    assert confirmed["status"] == "requires_capture"
    done(account, pi["id"], "capture")
    r = account.post(f"/v1/payment_intents/{pi['id']}", {
        "payment_method_options[card][request_three_d_secure]": "any"})
    unexpected_state(r, messages.INTENT_UPDATE_STATE.format(
        field="payment_method_options", status="succeeded"), param="payment_method_options",
        status="succeeded")


def test_a_publishable_key_cannot_choose_the_card_capture_method(account):
    pi = made(account, payment_method="pm_card_visa")
    param = "payment_method_options[card][capture_method]"
    r = act(account, pi["id"], "confirm", key=account.publishable_key,
            client_secret=pi["client_secret"], **{param: "manual"})
    assert_error(r, 400, param=param, message=messages.SECRET_KEY_PARAM.format(param=param))
    assert account.get(f"/v1/payment_intents/{pi['id']}").get_json()["status"] == (
        "requires_confirmation")
    r = act(account, pi["id"], "confirm", key=account.publishable_key,
            client_secret=pi["client_secret"],
            **{"payment_method_options[card][request_three_d_secure]": "challenge"})
    assert r.get_json()["status"] == "succeeded", r.get_json()


def test_a_publishable_key_cannot_unset_the_card_capture_method_the_server_chose(account):
    # ``payment_method_options[card]=`` unsets every card option: a manual capture set by the
    # server among them would turn into an automatic one, chosen by the browser.
    pi = made(account, payment_method="pm_card_visa",
              **{"payment_method_options[card][capture_method]": "manual"})
    param = "payment_method_options[card]"
    r = act(account, pi["id"], "confirm", key=account.publishable_key,
            client_secret=pi["client_secret"], **{param: ""})
    assert_error(r, 400, param=param, message=messages.SECRET_KEY_PARAM.format(param=param))
    shown = account.get(f"/v1/payment_intents/{pi['id']}").get_json()
    assert (shown["status"], shown["payment_method_options"]["card"]["capture_method"]) == (
        "requires_confirmation", "manual")
    assert account.get(f"/v1/charges?payment_intent={pi['id']}").get_json()["data"] == []
    # With no capture method among the card options, unsetting them takes nothing away.
    other = made(account, payment_method="pm_card_visa",
                 **{"payment_method_options[card][request_three_d_secure]": "any"})
    r = act(account, other["id"], "confirm", key=account.publishable_key,
            client_secret=other["client_secret"], **{param: ""})
    assert r.status_code == 200, r.get_json()
    assert account.get(f"/v1/payment_intents/{other['id']}").get_json()["status"] == "succeeded"
    # The secret key may unset them, as before: the intent's own (automatic) capture applies.
    confirmed = done(account, pi["id"], "confirm", **{param: ""})
    assert (confirmed["status"], confirmed["payment_method_options"]) == (
        "succeeded", {"card": CARD_OPTIONS})


@pytest.mark.parametrize("current, wanted", [
    ("off_session", ""), ("on_session", ""), ("off_session", "on_session")])
def test_a_publishable_key_cannot_unset_or_lower_the_saving_the_server_asked_for(
        account, current, wanted):
    # Confirm takes an empty setup_future_usage to unset it; from the browser (Stripe: "you
    # can only update the value from on_session to off_session") it would drop the card
    # saving the server set up, as an unset capture method would move money.
    pi = made(account, customer=customer(account), payment_method="pm_card_visa",
              setup_future_usage=current)
    r = act(account, pi["id"], "confirm", key=account.publishable_key,
            client_secret=pi["client_secret"], setup_future_usage=wanted)
    assert_error(r, 400, param="setup_future_usage",
                 message=messages.PUBLISHABLE_FUTURE_USAGE.format(current=current))
    shown = account.get(f"/v1/payment_intents/{pi['id']}").get_json()
    assert (shown["status"], shown["setup_future_usage"]) == ("requires_confirmation", current)
    assert account.get(f"/v1/charges?payment_intent={pi['id']}").get_json()["data"] == []
    # The secret key may.
    confirmed = done(account, pi["id"], "confirm", setup_future_usage=wanted)
    assert (confirmed["status"], confirmed["setup_future_usage"]) == (
        "succeeded", wanted or None)


@pytest.mark.parametrize("current, wanted, result", [
    (None, "on_session", "on_session"), (None, "", None),
    ("on_session", "off_session", "off_session"), ("off_session", "off_session", "off_session")])
def test_a_publishable_key_may_set_or_raise_the_saving(account, current, wanted, result):
    extra = {"setup_future_usage": current} if current else {}
    pi = made(account, payment_method="pm_card_visa", **extra)
    r = act(account, pi["id"], "confirm", key=account.publishable_key,
            client_secret=pi["client_secret"], setup_future_usage=wanted)
    assert r.status_code == 200, r.get_json()
    shown = account.get(f"/v1/payment_intents/{pi['id']}").get_json()
    assert (shown["status"], shown["setup_future_usage"]) == ("succeeded", result)


CARD_SAVING = "payment_method_options[card][setup_future_usage]"


@pytest.mark.parametrize("server, page, param, current", [
    # The card's option overrides the intent's: "none" there would save nothing.
    ({"setup_future_usage": "off_session"}, {CARD_SAVING: "none"}, CARD_SAVING, "off_session"),
    ({"setup_future_usage": "off_session"}, {CARD_SAVING: "on_session"}, CARD_SAVING,
     "off_session"),
    ({CARD_SAVING: "on_session"}, {CARD_SAVING: ""}, CARD_SAVING, "on_session"),
    ({CARD_SAVING: "off_session"}, {CARD_SAVING: "none"}, CARD_SAVING, "off_session"),
    # Unsetting every card option unsets the server's card saving too.
    ({CARD_SAVING: "off_session"}, {"payment_method_options[card]": ""},
     "payment_method_options[card]", "off_session"),
])
def test_a_publishable_key_cannot_drop_the_saving_through_the_card_options(
        account, server, page, param, current):
    pi = made(account, customer=customer(account), payment_method="pm_card_visa", **server)
    r = act(account, pi["id"], "confirm", key=account.publishable_key,
            client_secret=pi["client_secret"], **page)
    assert_error(r, 400, param=param,
                 message=messages.PUBLISHABLE_CARD_FUTURE_USAGE.format(current=current))
    shown = account.get(f"/v1/payment_intents/{pi['id']}").get_json()
    assert (shown["status"], shown["setup_future_usage"]) == (
        "requires_confirmation", pi["setup_future_usage"])
    assert shown["payment_method_options"] == pi["payment_method_options"]
    assert account.get(f"/v1/charges?payment_intent={pi['id']}").get_json()["data"] == []
    # The secret key may.
    assert done(account, pi["id"], "confirm", **page)["status"] == "succeeded"


@pytest.mark.parametrize("server, page", [
    ({CARD_SAVING: "on_session"}, {CARD_SAVING: "off_session"}),
    ({"setup_future_usage": "on_session"}, {CARD_SAVING: "off_session"}),
    ({}, {CARD_SAVING: "on_session"}),
    ({}, {CARD_SAVING: "none"}),
    ({CARD_SAVING: "none"}, {CARD_SAVING: "off_session"}),
    ({"setup_future_usage": "off_session"}, {CARD_SAVING: "off_session"}),
])
def test_a_publishable_key_may_set_or_raise_the_cards_saving(account, server, page):
    pi = made(account, customer=customer(account), payment_method="pm_card_visa", **server)
    r = act(account, pi["id"], "confirm", key=account.publishable_key,
            client_secret=pi["client_secret"], **page)
    assert r.status_code == 200, r.get_json()
    assert account.get(f"/v1/payment_intents/{pi['id']}").get_json()["status"] == "succeeded"


def test_a_method_of_another_customer_is_refused(account):
    method = payment_method(account, customer(account))
    r = create(account, customer=customer(account), payment_method=method)
    assert_error(r, 400, param="payment_method",
                 message=messages.PAYMENT_METHOD_OF_OTHER_CUSTOMER.format(id=method))
    r = create(account, payment_method=method)
    assert_error(r, 400, param="payment_method",
                 message=messages.PAYMENT_METHOD_NEEDS_ITS_CUSTOMER.format(id=method))


def test_a_method_detached_after_being_set_is_refused_at_confirm(account):
    cus = customer(account)
    method = payment_method(account, cus)
    pi = made(account, customer=cus, payment_method=method)
    account.post(f"/v1/payment_methods/{method}/detach")
    r = act(account, pi["id"], "confirm")
    assert_error(r, 400, param="payment_method", message=messages.PAYMENT_METHOD_SPENT)
    assert account.get(f"/v1/payment_intents/{pi['id']}").get_json()["status"] == (
        "requires_confirmation")


@pytest.mark.parametrize("params, code, param, message", [
    ({"payment_method": "pm_nope"}, "resource_missing", "payment_method",
     "No such PaymentMethod: 'pm_nope'"),
    ({"customer": "cus_nope"}, "resource_missing", "customer", "No such customer: 'cus_nope'"),
    ({"amount": "49"}, "amount_too_small", "amount", messages.AMOUNT_TOO_SMALL),
    ({"amount": "100000000"}, "amount_too_large", "amount",
     "Amount must be no more than $999,999.99"),
    ({"capture_method": "later"}, None, "capture_method",
     "Invalid capture_method: must be one of automatic, automatic_async, manual"),
    ({"payment_method_types[]": "ideal"}, None, "payment_method_types",
     messages.PAYMENT_METHOD_TYPE_INVALID.format(type="ideal")),
    # Stripe refuses a full descriptor on an intent that cards may pay (all of them here).
    ({"statement_descriptor": "PAYGROUND SHOP"}, None, "statement_descriptor",
     messages.INTENT_STATEMENT_DESCRIPTOR_CARD),
    # Card options that need a real card network, and other payment method types.
    ({"payment_method_options[card][moto]": "true"}, "parameter_unknown",
     "payment_method_options[card][moto]",
     "Received unknown parameter: payment_method_options[card][moto]"),
    ({"payment_method_options[sepa_debit][setup_future_usage]": "none"}, "parameter_unknown",
     "payment_method_options[sepa_debit]",
     "Received unknown parameter: payment_method_options[sepa_debit]"),
    ({"payment_method_options[card][capture_method]": "automatic"}, None,
     "payment_method_options[card][capture_method]",
     "Invalid payment_method_options[card][capture_method]: must be one of manual"),
    ({"payment_method_options[card][request_three_d_secure]": "always"}, None,
     "payment_method_options[card][request_three_d_secure]",
     "Invalid payment_method_options[card][request_three_d_secure]: must be one of any, "
     "automatic, challenge"),
    ({"shipping[name]": "Jo"}, "parameter_missing", "shipping[address]",
     "Missing required param: shipping[address]."),
])
def test_bad_create_parameters(account, params, code, param, message):
    status = 404 if code == "resource_missing" else 400
    assert_error(create(account, **params), status, code=code, param=param, message=message)
    assert account.get("/v1/payment_intents").get_json()["data"] == []


def test_missing_amount(account):
    r = account.post("/v1/payment_intents", {"currency": "usd"})
    assert_error(r, 400, code="parameter_missing", param="amount",
                 message="Missing required param: amount.")


def test_automatic_payment_methods(account):
    pi = made(account, **{"automatic_payment_methods[enabled]": "true"})
    assert pi["automatic_payment_methods"] == {"allow_redirects": "always", "enabled": True}
    assert pi["payment_method_types"] == ["card"]


def test_automatic_payment_methods_and_listed_types_exclude_each_other(account):
    # Stripe refuses both at once; an integration that sends both must not pass here.
    r = create(account, **{"automatic_payment_methods[enabled]": "true",
                           "payment_method_types[]": "card"})
    assert_error(r, 400, message=messages.ONE_OF_PARAMS.format(
        params="automatic_payment_methods, payment_method_types"))
    assert account.get("/v1/payment_intents").get_json()["data"] == []


@pytest.mark.parametrize("param,value", [
    ("return_url", "https://shop.example/done"), ("off_session", "true"),
    ("off_session", "false"), ("off_session", "recurring"),
    ("error_on_requires_action", "true")])
@pytest.mark.parametrize("confirm", [None, "false"])
def test_confirm_only_parameters_need_confirm_true_on_create(account, param, value, confirm):
    # Stripe: "This parameter can only be used with confirm=true"; its API refuses it (400),
    # rather than keep a setting no confirmation will read.
    sent = {param: value, "payment_method": "pm_card_visa"}
    if confirm is not None:
        sent["confirm"] = confirm
    r = create(account, **sent)
    assert_error(r, 400, param=param,
                 message=messages.INTENT_CONFIRM_ONLY_PARAM.format(param=param))
    assert account.get("/v1/payment_intents").get_json()["data"] == []
    assert account.get("/v1/events?type=payment_intent.created").get_json()["data"] == []


def test_confirm_only_parameters_are_taken_with_confirm_true(account):
    pi = made(account, payment_method="pm_card_visa", confirm="true",
              return_url="https://shop.example/done", off_session="true",
              error_on_requires_action="true")
    assert (pi["status"], pi["next_action"]) == ("succeeded", None)


# -- retrieve, list, expand, idempotency, modes -----------------------------------------------


def test_unknown_intent_is_404(account):
    assert_error(account.get("/v1/payment_intents/pi_nope"), 404, code="resource_missing",
                 param="id", message="No such payment_intent: 'pi_nope'")


def test_list_newest_first_and_by_customer(account):
    cus = customer(account)
    first, second = made(account), made(account, customer=cus)
    listed = account.get("/v1/payment_intents").get_json()
    assert (listed["object"], listed["url"]) == ("list", "/v1/payment_intents")
    assert [p["id"] for p in listed["data"]] == [second["id"], first["id"]]
    mine = account.get(f"/v1/payment_intents?customer={cus}").get_json()["data"]
    assert [p["id"] for p in mine] == [second["id"]]


def test_list_by_a_customer_that_does_not_exist(account):
    # As GET /v1/charges?customer=... (Stripe documents the error there): a 404, not an
    # empty list; a deleted customer's intents are still listed.
    assert_error(account.get("/v1/payment_intents?customer=cus_nope"), 404,
                 code="resource_missing", param="customer",
                 message="No such customer: 'cus_nope'")
    cus = customer(account)
    pi = made(account, customer=cus)
    assert account.delete(f"/v1/customers/{cus}").status_code == 200
    listed = account.get(f"/v1/payment_intents?customer={cus}").get_json()["data"]
    assert [p["id"] for p in listed] == [pi["id"]]


def test_expand(account):
    cus = customer(account)
    pi = succeeded(account, customer=cus)
    r = account.get(f"/v1/payment_intents/{pi['id']}?expand[]=latest_charge"
                    "&expand[]=payment_method&expand[]=customer")
    body = r.get_json()
    assert (body["latest_charge"]["object"], body["latest_charge"]["id"]) == (
        "charge", pi["latest_charge"])
    assert (body["payment_method"]["object"], body["customer"]["id"]) == ("payment_method",
                                                                          cus)


def test_idempotent_create(account):
    headers = {"Idempotency-Key": "order-42"}
    first = create(account, headers=headers)
    again = create(account, headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert len(account.get("/v1/payment_intents").get_json()["data"]) == 1


def test_an_idempotent_decline_is_replayed(account):
    headers = {"Idempotency-Key": "order-43"}
    first = create(account, headers=headers, payment_method="pm_card_chargeDeclined",
                   confirm="true")
    again = create(account, headers=headers, payment_method="pm_card_chargeDeclined",
                   confirm="true")
    assert (first.status_code, again.status_code) == (402, 402)
    assert again.get_json() == first.get_json()
    assert len(account.get("/v1/charges").get_json()["data"]) == 1


def test_modes_are_apart(account):
    pi = made(account)
    live_key = account.activate()
    r = account.get(f"/v1/payment_intents/{pi['id']}", key=live_key)
    assert_error(r, 404, code="resource_missing", param="id",
                 message=messages.NO_SUCH_OTHER_MODE.format(
                     noun="payment_intent", id=pi["id"], other="test", mode="live"))
    assert account.get("/v1/payment_intents", key=live_key).get_json()["data"] == []


def test_live_mode_declines_a_test_card(account):
    live_key = account.activate()
    r = create(account, key=live_key, payment_method="pm_card_visa", confirm="true")
    error = assert_error(r, 402, type="card_error", code="card_declined",
                         decline_code="live_mode_test_card",
                         message=messages.LIVE_MODE_TEST_CARD)
    assert (error["payment_intent"]["livemode"], error["payment_intent"]["status"]) == (
        True, "requires_payment_method")


# -- publishable keys and the client secret ---------------------------------------------------

PUBLIC_FIELDS = {
    "id", "object", "amount", "automatic_payment_methods", "canceled_at",
    "cancellation_reason", "capture_method", "client_secret", "confirmation_method", "created",
    "currency", "description", "last_payment_error", "livemode", "next_action",
    "payment_method", "payment_method_types", "processing", "receipt_email",
    "setup_future_usage", "shipping", "status"}


def retrieve(account, pi, key=None, secret=None):
    query = f"?client_secret={secret}" if secret is not None else ""
    return account.get(f"/v1/payment_intents/{pi['id']}{query}", key=key)


def test_the_browser_flow(account):
    pi = made(account, customer=customer(account), **{"metadata[order]": "9"})
    pk, secret = account.publishable_key, pi["client_secret"]
    shown = retrieve(account, pi, key=pk, secret=secret)
    assert shown.status_code == 200, shown.get_json()
    assert set(shown.get_json()) == PUBLIC_FIELDS  # no customer, metadata or charge
    method = account.post("/v1/payment_methods", {"type": "card", "card[token]": "tok_visa"},
                          key=pk).get_json()["id"]
    r = act(account, pi["id"], "confirm", key=pk, client_secret=secret, payment_method=method)
    assert r.status_code == 200, r.get_json()
    assert set(r.get_json()) == PUBLIC_FIELDS
    assert (r.get_json()["status"], r.get_json()["payment_method"]) == ("succeeded", method)
    full = account.get(f"/v1/payment_intents/{pi['id']}").get_json()
    assert (full["status"], full["metadata"]) == ("succeeded", {"order": "9"})


def test_a_publishable_key_needs_the_client_secret(account):
    pi = made(account, payment_method="pm_card_visa")
    pk = account.publishable_key
    assert_error(retrieve(account, pi, key=pk), 400, code="parameter_missing",
                 param="client_secret", message="Missing required param: client_secret.")
    assert_error(act(account, pi["id"], "confirm", key=pk), 400, code="parameter_missing",
                 param="client_secret", message="Missing required param: client_secret.")
    assert account.get(f"/v1/payment_intents/{pi['id']}").get_json()["status"] == (
        "requires_confirmation")


def test_a_wrong_client_secret(account):
    pi, other = made(account, payment_method="pm_card_visa"), made(account)
    pk = account.publishable_key
    for key in (pk, account.secret_key):
        assert_error(retrieve(account, pi, key=key, secret=other["client_secret"]), 400,
                     param="client_secret", message=messages.CLIENT_SECRET_MISMATCH)
    r = act(account, pi["id"], "confirm", key=pk, client_secret=pi["client_secret"] + "x")
    assert_error(r, 400, param="client_secret", message=messages.CLIENT_SECRET_MISMATCH)
    assert account.get(f"/v1/payment_intents/{pi['id']}").get_json()["status"] == (
        "requires_confirmation")


def test_a_secret_key_may_send_the_right_client_secret(account):
    pi = made(account)
    r = retrieve(account, pi, secret=pi["client_secret"])
    assert r.status_code == 200 and "metadata" in r.get_json()


def test_a_decline_shows_a_publishable_key_only_public_fields(account):
    pi = made(account, **{"metadata[order]": "10"})
    r = act(account, pi["id"], "confirm", key=account.publishable_key,
            client_secret=pi["client_secret"], payment_method="pm_card_chargeDeclined")
    error = assert_error(r, 402, type="card_error", code="card_declined",
                         decline_code="generic_decline", message=messages.CARD_DECLINED)
    assert set(error["payment_intent"]) == PUBLIC_FIELDS
    assert error["payment_intent"]["last_payment_error"]["code"] == "card_declined"


def test_another_accounts_publishable_key_sees_nothing(account, make_account):
    pi = made(account)
    other = make_account()
    r = retrieve(other, pi, key=other.publishable_key, secret=pi["client_secret"])
    assert_error(r, 404, code="resource_missing", param="id",
                 message=f"No such payment_intent: '{pi['id']}'")


@pytest.mark.parametrize("method, path", [
    ("POST", "/v1/payment_intents"), ("GET", "/v1/payment_intents"),
    ("POST", "/v1/payment_intents/{id}"), ("POST", "/v1/payment_intents/{id}/capture"),
    ("POST", "/v1/payment_intents/{id}/cancel")])
def test_everything_else_needs_a_secret_key(account, method, path):
    pi = made(account)
    r = account.client.open(path.format(id=pi["id"]), method=method,
                            data={"client_secret": pi["client_secret"]},
                            headers=account.auth(account.publishable_key))
    assert_error(r, 401, code="secret_key_required", message=messages.SECRET_KEY_REQUIRED)


def test_the_client_secret_stays_out_of_the_request_log(account):
    pi = made(account)
    r = retrieve(account, pi, key=account.publishable_key, secret=pi["client_secret"])
    assert r.status_code == 200
    logged = account.client.get(f"/sandbox/requests/{r.headers['Request-Id']}",
                                headers=account.session_auth)
    assert logged.get_json()["path"] == f"/v1/payment_intents/{pi['id']}"
    everything = account.client.get("/sandbox/requests?limit=100",
                                    headers=account.session_auth).get_data(as_text=True)
    assert pi["client_secret"] not in everything


def test_restricted_keys(account):
    from payground.core import keys

    pi = made(account)
    reader = account.create_key(permissions=["payment_intent_read"])
    assert account.get(f"/v1/payment_intents/{pi['id']}", key=reader).status_code == 200
    r = act(account, pi["id"], "cancel", key=reader)
    assert_error(r, 403, message=messages.MISSING_PERMISSION.format(
        masked=keys.mask(reader), account=account.account_id, permission="payment_intent_write"))


# -- races ------------------------------------------------------------------------------------


@pytest.mark.parametrize("action, make, message", [
    ("confirm", lambda a: made(a, payment_method="pm_card_visa"),
     messages.INTENT_CONFIRM_SUCCEEDED),
    ("capture", authorized, messages.INTENT_ALREADY_CAPTURED)])
def test_parallel_requests_move_an_intent_once(app, account, action, make, message):
    pi, threads = make(account), 8
    barrier = threading.Barrier(threads)
    results: list = []

    def worker():
        client = app.test_client()
        barrier.wait()
        r = client.post(f"/v1/payment_intents/{pi['id']}/{action}", headers=account.auth())
        results.append((r.status_code, r.get_json()))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert sorted(status for status, _ in results) == [200] + [400] * (threads - 1)
    for status, body in results:
        if status == 400:
            assert (body["error"]["code"], body["error"]["message"]) == (STATE, message)
    charges = account.get("/v1/charges").get_json()["data"]
    assert [(c["payment_intent"], c["captured"]) for c in charges] == [(pi["id"], True)]
    succeeded_events = [t for t in event_types(account, pi["id"])
                        if t == "payment_intent.succeeded"]
    assert succeeded_events == ["payment_intent.succeeded"]


def test_intent_money_posts_like_charges_and_the_ledger_balances(account):
    authorized_then_released = authorized(account)
    done(account, authorized_then_released["id"], "cancel")
    done(account, authorized(account)["id"], "capture", amount_to_capture=1000)
    succeeded(account, amount=3000)
    create(account, payment_method="pm_card_chargeDeclined", confirm="true")
    direct = account.post("/v1/charges", {"amount": 4000, "currency": "usd",
                                          "source": "tok_visa"}).get_json()
    verdict = account.client.get("/sandbox/ledger/verify", headers=account.session_auth)
    assert verdict.status_code == 200, verdict.get_json()
    assert verdict.get_json()["balanced"] is True, verdict.get_json()
    balance = account.get("/v1/balance").get_json()
    # 2.9% + 30 on each captured amount: $10.00 -> 59, $30.00 -> 117, $40.00 -> 146.
    pending = {entry["currency"]: entry["amount"] for entry in balance["pending"]}
    assert pending == {"usd": 941 + 2883 + 3854}
    assert direct["balance_transaction"].startswith("txn_")
