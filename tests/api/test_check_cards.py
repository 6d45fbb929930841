"""Stripe's test cards for the CVC and address checks (docs.stripe.com/testing, "CVC and address
verification"): the checks' values on tokens, payment methods and charges, and the decline a
failed CVC check gets."""

from __future__ import annotations

import time

import pytest

from payground import messages
from tests.helpers import assert_error

YEAR = time.gmtime().tm_year + 2
ADDRESS = {"card[address_line1]": "1 Main St", "card[address_zip]": "94107"}


def token(account, number: str, *, cvc: str | None = "123", **extra) -> dict:
    params = {"card[number]": number, "card[exp_month]": "12", "card[exp_year]": str(YEAR),
              **extra}
    if cvc is not None:
        params["card[cvc]"] = cvc
    r = account.post("/v1/tokens", params)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def charge(account, source: str):
    return account.post("/v1/charges", {"amount": 2000, "currency": "usd", "source": source})


def source_checks(card: dict) -> tuple:
    return card["address_line1_check"], card["address_zip_check"], card["cvc_check"]


def method_checks(card: dict) -> tuple:
    checks = card["checks"]
    return (checks["address_line1_check"], checks["address_postal_code_check"],
            checks["cvc_check"])


@pytest.mark.parametrize("number, line1, postal_code", [
    ("4242424242424242", "pass", "pass"),
    ("4000000000000010", "fail", "fail"),
    ("4000000000000028", "fail", "pass"),
    ("4000000000000036", "pass", "fail"),
    ("4000000000000044", "unavailable", "unavailable"),
])
def test_the_address_checks_are_the_cards_once_charged(account, number, line1, postal_code):
    made = token(account, number, **ADDRESS)
    assert source_checks(made["card"]) == ("unchecked", "unchecked", "unchecked")
    r = charge(account, made["id"])
    assert r.status_code == 200, r.get_json()  # Stripe's default settings: it succeeds
    created = r.get_json()
    assert (created["status"], created["outcome"]["type"]) == ("succeeded", "authorized")
    assert source_checks(created["source"]) == (line1, postal_code, "pass")
    shown = account.get(f"/v1/charges/{created['id']}").get_json()
    assert method_checks(shown["payment_method_details"]["card"]) == (line1, postal_code,
                                                                      "pass")
    # The token is what it was when made.
    again = account.get(f"/v1/tokens/{made['id']}").get_json()
    assert source_checks(again["card"]) == ("unchecked", "unchecked", "unchecked")


def test_a_check_whose_field_was_not_given_is_null(account):
    made = token(account, "4000000000000010", cvc=None, **{"card[address_zip]": "94107"})
    assert source_checks(made["card"]) == (None, "unchecked", None)
    created = charge(account, made["id"]).get_json()
    assert source_checks(created["source"]) == (None, "fail", None)


def test_cvc_check_fail_declines_a_card_given_with_a_cvc(account):
    made = token(account, "4000000000000101", **ADDRESS)
    assert made["card"]["cvc_check"] == "unchecked"
    r = charge(account, made["id"])
    error = assert_error(r, 402, type="card_error", code="incorrect_cvc", param="cvc",
                         message=messages.CARD_INCORRECT_CVC)
    assert "decline_code" not in error
    failed = account.get(f"/v1/charges/{error['charge']}").get_json()
    assert (failed["status"], failed["failure_code"], failed["failure_message"]) == (
        "failed", "incorrect_cvc", messages.CARD_INCORRECT_CVC)
    assert (failed["outcome"]["type"], failed["outcome"]["reason"],
            failed["outcome"]["network_status"]) == (
        "issuer_declined", "incorrect_cvc", "declined_by_network")
    assert source_checks(failed["source"]) == ("pass", "pass", "fail")


def test_cvc_check_fail_without_a_cvc_succeeds(account):
    made = token(account, "4000000000000101", cvc=None)
    created = charge(account, made["id"]).get_json()
    assert (created["status"], created["source"]["cvc_check"]) == ("succeeded", None)


def test_the_magic_cvc_check_fail_token_is_declined(account):
    r = charge(account, "tok_cvcCheckFail")
    error = assert_error(r, 402, type="card_error", code="incorrect_cvc", param="cvc",
                         message=messages.CARD_INCORRECT_CVC)
    failed = account.get(f"/v1/charges/{error['charge']}").get_json()
    assert (failed["source"]["last4"], failed["source"]["cvc_check"]) == ("0101", "fail")


def test_the_magic_cvc_check_fail_payment_method_fails_its_check(account):
    r = account.post("/v1/payment_intents", {"amount": 2000, "currency": "usd",
                                             "payment_method": "pm_card_cvcCheckFail",
                                             "confirm": "true"})
    error = assert_error(r, 402, type="card_error", code="incorrect_cvc", param="cvc",
                         message=messages.CARD_INCORRECT_CVC)
    assert error["payment_intent"]["status"] == "requires_payment_method"
    assert method_checks(error["payment_method"]["card"]) == (None, None, "fail")
    # Made from the magic token, a payment method has the CVC it stands for.
    method = account.post("/v1/payment_methods", {"type": "card",
                                                  "card[token]": "tok_cvcCheckFail"}).get_json()
    assert method_checks(method["card"]) == (None, None, "unchecked")


@pytest.mark.parametrize("name, last4", [
    ("avsFail", "0010"), ("avsLine1Fail", "0028"), ("avsZipFail", "0036"),
    ("avsUnchecked", "0044"),
])
def test_the_magic_address_cards_carry_no_address(account, name, last4):
    created = charge(account, f"tok_{name}").get_json()
    assert (created["status"], created["source"]["last4"]) == ("succeeded", last4)
    assert source_checks(created["source"]) == (None, None, "pass")
    intent = account.post("/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "payment_method": f"pm_card_{name}",
        "confirm": "true"}).get_json()
    assert intent["status"] == "succeeded"


def test_a_payment_method_shows_its_checks_once_an_intent_charges_it(account):
    r = account.post("/v1/payment_methods", {
        "type": "card", "card[number]": "4000000000000036", "card[exp_month]": "12",
        "card[exp_year]": str(YEAR), "card[cvc]": "123",
        "billing_details[address][line1]": "1 Main St",
        "billing_details[address][postal_code]": "94107"})
    assert r.status_code == 200, r.get_json()
    method = r.get_json()
    assert method_checks(method["card"]) == ("unchecked", "unchecked", "unchecked")
    customer = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()
    account.post(f"/v1/payment_methods/{method['id']}/attach", {"customer": customer["id"]})
    intent = account.post("/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "customer": customer["id"],
        "payment_method": method["id"], "confirm": "true"}).get_json()
    assert intent["status"] == "succeeded", intent
    shown = account.get(f"/v1/payment_methods/{method['id']}").get_json()
    assert method_checks(shown["card"]) == ("pass", "fail", "pass")
    charged = account.get(f"/v1/charges/{intent['latest_charge']}").get_json()
    assert method_checks(charged["payment_method_details"]["card"]) == ("pass", "fail", "pass")
    # Listed and expanded alike.
    listed = account.get(f"/v1/customers/{customer['id']}/payment_methods").get_json()["data"]
    assert method_checks(listed[0]["card"]) == ("pass", "fail", "pass")
    expanded = account.get(f"/v1/payment_intents/{intent['id']}",
                           query_string={"expand[]": "payment_method"}).get_json()
    assert method_checks(expanded["payment_method"]["card"]) == ("pass", "fail", "pass")


def test_a_declined_charge_answers_the_checks_too(account):
    method = account.post("/v1/payment_methods", {
        "type": "card", "card[number]": "4000000000000101", "card[exp_month]": "12",
        "card[exp_year]": str(YEAR), "card[cvc]": "123",
        "billing_details[address][postal_code]": "94107"}).get_json()
    r = account.post("/v1/payment_intents", {"amount": 2000, "currency": "usd",
                                             "payment_method": method["id"],
                                             "confirm": "true"})
    error = assert_error(r, 402, type="card_error", code="incorrect_cvc", param="cvc",
                         message=messages.CARD_INCORRECT_CVC)
    assert method_checks(error["payment_method"]["card"]) == (None, "pass", "fail")


# Stripe's testing page names it `pm_card_chargeCustomerFail`; integrations also use the
# `visa_` form its newer names take (`tok_visa_chargeCustomerFail`), as for the declines.
@pytest.mark.parametrize("name", ["chargeCustomerFail", "visa_chargeCustomerFail"])
def test_charge_customer_fail_attaches_then_declines(account, name):
    customer = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()
    r = account.post(f"/v1/payment_methods/pm_card_{name}/attach",
                     {"customer": customer["id"]})
    assert r.status_code == 200, r.get_json()
    method = r.get_json()
    assert (method["customer"], method["card"]["last4"]) == (customer["id"], "0341")
    made = account.post("/v1/payment_methods", {"type": "card",
                                                "card[token]": f"tok_{name}"}).get_json()
    assert made["card"]["last4"] == "0341"
    for _ in range(2):  # every charge of the attached card fails
        r = account.post("/v1/payment_intents", {
            "amount": 2000, "currency": "usd", "customer": customer["id"],
            "payment_method": method["id"], "confirm": "true"})
        error = assert_error(r, 402, type="card_error", code="card_declined", param=None,
                             decline_code="generic_decline", message=messages.CARD_DECLINED)
    failed = account.get("/v1/events?type=charge.failed").get_json()["data"]
    assert [(e["data"]["object"]["id"], e["data"]["object"]["failure_code"])
            for e in failed][0] == (error["charge"], "card_declined")
    # Declines move no money.
    assert account.get("/v1/balance_transactions").get_json()["data"] == []
    balance = account.get("/v1/balance").get_json()
    assert [b["amount"] for b in balance["available"] + balance["pending"]] == [0, 0]


@pytest.mark.parametrize("source", ["tok_chargeCustomerFail", "tok_visa_chargeCustomerFail",
                                    "pm_card_chargeCustomerFail", "4000000000000341"])
def test_charge_customer_fail_declines_a_charge_as_the_generic_decline_card(account, source):
    # The Charges API: declined as 0002 is, outcome and all (its number tokenised too).
    if source.isdigit():
        source = account.post("/v1/tokens", {
            "card[number]": source, "card[exp_month]": "12", "card[exp_year]": str(YEAR + 1),
            "card[cvc]": "123"}, key=account.publishable_key).get_json()["id"]
    declines = []
    for token in (source, "tok_chargeDeclined"):
        r = account.post("/v1/charges", {"amount": 2000, "currency": "usd", "source": token})
        error = assert_error(r, 402, type="card_error", code="card_declined", param=None,
                             decline_code="generic_decline", message=messages.CARD_DECLINED)
        charge = account.get(f"/v1/charges/{error['charge']}").get_json()
        declines.append((charge["status"], charge["failure_code"], charge["outcome"]))
    assert declines[0] == declines[1]
    assert declines[0][2]["reason"] == "generic_decline"


@pytest.mark.parametrize("number", ["4000000000000010", "4000000000000101",
                                    "4000000000000341"])
def test_they_are_test_cards_live_mode_refuses(account, number):
    live = account
    live.activate()
    r = live.post("/v1/tokens", {"card[number]": number, "card[exp_month]": "12",
                                 "card[exp_year]": str(YEAR)},
                  key=live.live_publishable_key)
    assert_error(r, 402, type="card_error", code="card_declined", param="number",
                 decline_code="live_mode_test_card", message=messages.LIVE_MODE_TEST_CARD)
