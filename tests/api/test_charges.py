"""/v1/charges: test cards and tokens, declines stored as failed charges, capture, expand, lists."""

import time

import pytest

from payground import messages
from tests.helpers import assert_error

YEAR = time.gmtime().tm_year
DECLINES = [
    # (magic name, test number, code, decline_code, param, message)
    ("chargeDeclined", "4000000000000002", "card_declined", "generic_decline", None,
     "Your card was declined."),
    ("chargeDeclinedInsufficientFunds", "4000000000009995", "card_declined",
     "insufficient_funds", None, "Your card has insufficient funds."),
    ("chargeDeclinedLostCard", "4000000000009987", "card_declined", "lost_card", None,
     "Your card was declined."),
    ("chargeDeclinedStolenCard", "4000000000009979", "card_declined", "stolen_card", None,
     "Your card was declined."),
    ("chargeDeclinedExpiredCard", "4000000000000069", "expired_card", None, "exp_month",
     "Your card has expired."),
    ("chargeDeclinedIncorrectCvc", "4000000000000127", "incorrect_cvc", None, "cvc",
     "Your card's security code is incorrect."),
    ("chargeDeclinedProcessingError", "4000000000000119", "processing_error", None, None,
     "An error occurred while processing your card. Try again in a little bit."),
    ("chargeDeclinedFraudulent", "4100000000000019", "card_declined", "fraudulent", None,
     "Your card was declined."),
    # The spellings Stripe's testing page uses now (pm_card_visa_chargeDeclined ...).
    ("visa_chargeDeclined", "4000000000000002", "card_declined", "generic_decline", None,
     "Your card was declined."),
    ("visa_chargeDeclinedInsufficientFunds", "4000000000009995", "card_declined",
     "insufficient_funds", None, "Your card has insufficient funds."),
    ("visa_chargeDeclinedLostCard", "4000000000009987", "card_declined", "lost_card", None,
     "Your card was declined."),
    ("visa_chargeDeclinedStolenCard", "4000000000009979", "card_declined", "stolen_card", None,
     "Your card was declined."),
]
SUCCESSES = [("visa", "4242424242424242", "Visa"), ("mastercard", "5555555555554444",
                                                    "MasterCard"),
             ("amex", "378282246310005", "American Express"),
             ("bypassPending", "4000000000000077", "Visa")]


def charge(account, source="tok_visa", amount=2000, key=None, **extra):
    return account.post("/v1/charges", {"amount": amount, "currency": "usd", "source": source,
                                        **extra}, key=key)


def token(account, number, key=None):
    r = account.post("/v1/tokens", {"card[number]": number, "card[exp_month]": "12",
                                    "card[exp_year]": str(YEAR + 2), "card[cvc]": "123"},
                     key=key or account.publishable_key)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["id"]


def test_create_returns_stripe_shaped_charge(account):
    r = charge(account, description="Order 1", receipt_email="jo@example.com",
               statement_descriptor="PAYGROUND SHOP", **{"metadata[order]": "1"})
    assert r.status_code == 200
    c = r.get_json()
    assert c["id"].startswith("ch_") and c["object"] == "charge"
    assert (c["amount"], c["amount_captured"], c["amount_refunded"], c["currency"]) == (
        2000, 2000, 0, "usd")
    assert (c["status"], c["paid"], c["captured"], c["refunded"], c["livemode"]) == (
        "succeeded", True, True, False, False)
    assert c["balance_transaction"].startswith("txn_")
    assert (c["description"], c["receipt_email"], c["statement_descriptor"], c["metadata"]) == (
        "Order 1", "jo@example.com", "PAYGROUND SHOP", {"order": "1"})
    assert (c["failure_code"], c["failure_message"], c["customer"]) == (None, None, None)
    assert c["outcome"] == {"advice_code": None, "network_advice_code": None,
                            "network_decline_code": None,
                            "network_status": "approved_by_network", "reason": None,
                            "risk_level": "normal", "seller_message": "Payment complete.",
                            "type": "authorized"}
    assert c["source"]["object"] == "card" and c["source"]["last4"] == "4242"
    assert c["payment_method"] == c["source"]["id"]
    details = c["payment_method_details"]
    assert details["type"] == "card"
    assert (details["card"]["brand"], details["card"]["last4"], details["card"]["exp_year"]) == (
        "visa", "4242", YEAR + 1)


@pytest.mark.parametrize("name, number, brand", SUCCESSES)
@pytest.mark.parametrize("via", ["tok", "pm_card", "number"])
def test_successful_test_cards(account, name, number, brand, via):
    source = token(account, number) if via == "number" else f"{via}_{name}"
    c = charge(account, source).get_json()
    assert (c["status"], c["source"]["brand"], c["source"]["last4"]) == ("succeeded", brand,
                                                                        number[-4:])


@pytest.mark.parametrize("name, number, code, decline_code, param, message", DECLINES)
@pytest.mark.parametrize("via", ["tok", "pm_card", "number"])
def test_declines_are_stored_as_failed_charges(account, name, number, code, decline_code,
                                               param, message, via):
    source = token(account, number) if via == "number" else f"{via}_{name}"
    r = charge(account, source)
    error = assert_error(r, 402, type="card_error", code=code, param=param, message=message,
                         decline_code=decline_code)
    assert error["charge"].startswith("ch_")
    failed = account.get(f"/v1/charges/{error['charge']}").get_json()
    assert (failed["status"], failed["paid"], failed["captured"]) == ("failed", False, False)
    assert (failed["failure_code"], failed["failure_message"]) == (code, message)
    assert (failed["balance_transaction"], failed["amount_captured"]) == (None, 0)
    assert failed["outcome"]["type"] in ("issuer_declined", "blocked")
    assert failed["source"]["last4"] == number[-4:]


def test_incorrect_cvc_marks_the_check_failed(account):
    r = charge(account, token(account, "4000000000000127"))
    failed = account.get(f"/v1/charges/{r.get_json()['error']['charge']}").get_json()
    assert failed["source"]["cvc_check"] == "fail"


def test_fraudulent_is_blocked(account):
    r = charge(account, "tok_chargeDeclinedFraudulent")
    failed = account.get(f"/v1/charges/{r.get_json()['error']['charge']}").get_json()
    assert failed["outcome"] == {"advice_code": None, "network_advice_code": None,
                                 "network_decline_code": None,
                                 "network_status": "not_sent_to_network",
                                 "reason": "highest_risk_level", "risk_level": "highest",
                                 "seller_message": "Stripe blocked this payment as too risky.",
                                 "type": "blocked"}


def test_token_is_single_use(account):
    tok = token(account, "4242424242424242")
    assert charge(account, tok).status_code == 200
    assert account.get(f"/v1/tokens/{tok}").get_json()["used"] is True
    assert_error(charge(account, tok), 400, code="token_already_used", param="source",
                 message=f"You cannot use a Stripe token more than once: {tok}.")


def test_a_declined_charge_uses_up_the_token(account):
    tok = token(account, "4000000000000002")
    assert charge(account, tok).status_code == 402
    assert_error(charge(account, tok), 400, code="token_already_used", param="source",
                 message=messages.TOKEN_ALREADY_USED.format(id=tok))


def test_magic_tokens_are_reusable(account):
    first, second = charge(account).get_json(), charge(account).get_json()
    assert first["source"]["id"] != second["source"]["id"]
    assert first["source"]["fingerprint"] == second["source"]["fingerprint"]


@pytest.mark.parametrize("params, param", [
    ({"source": "4242424242424242"}, "source"),
    ({"source": "4242 4242 4242 4242"}, "source"),
    ({"source[number]": "4242424242424242", "source[exp_month]": "12"}, "source"),
    ({"card[number]": "4242424242424242", "card[exp_month]": "12"}, "card"),
    ({"card": "4242424242424242"}, "card"),
])
def test_raw_card_numbers_are_refused(account, params, param):
    r = account.post("/v1/charges", {"amount": 2000, "currency": "usd", **params})
    assert_error(r, 400, param=param, message=messages.RAW_CARD_DATA)
    assert "4242424242424242" not in r.get_data(as_text=True)
    assert account.get("/v1/charges").get_json()["data"] == []


@pytest.mark.parametrize("missing", ["amount", "currency"])
def test_missing_required(account, missing):
    data = {"amount": 2000, "currency": "usd", "source": "tok_visa"}
    del data[missing]
    assert_error(account.post("/v1/charges", data), 400, code="parameter_missing", param=missing,
                 message=f"Missing required param: {missing}.")


@pytest.mark.parametrize("amount, currency, message", [
    (49, "usd", messages.AMOUNT_TOO_SMALL),
    (1, "usd", "Amount must be at least $0.50 usd"),
    (29, "gbp", "Amount must be at least £0.30 gbp"),
])
def test_amount_too_small(account, amount, currency, message):
    r = account.post("/v1/charges", {"amount": amount, "currency": currency,
                                     "source": "tok_visa"})
    assert_error(r, 400, code="amount_too_small", param="amount", message=message)


@pytest.mark.parametrize("currency, message", [
    # Stripe's own text for USD (no currency after it); others name theirs, as Stripe's do
    # ("Amount must be no more than R$ 49,999.99 brl").
    ("usd", "Amount must be no more than $999,999.99"),
    ("eur", "Amount must be no more than €999,999.99 eur"),
    ("jpy", "Amount must be no more than ¥99,999,999 jpy"),
])
def test_amount_too_large_past_stripes_eight_digits(account, currency, message):
    r = account.post("/v1/charges", {"amount": 100_000_000, "currency": currency,
                                     "source": "tok_visa"})
    assert_error(r, 400, code="amount_too_large", param="amount", message=message)
    assert account.get("/v1/charges").get_json()["data"] == []
    largest = account.post("/v1/charges", {"amount": 99_999_999, "currency": currency,
                                           "source": "tok_visa"})
    assert largest.status_code == 200, largest.get_json()


def test_amount_must_be_positive(account):
    assert_error(charge(account, amount=0), 400, code="parameter_invalid_integer",
                 param="amount", message="This value must be greater than or equal to 1.")


def test_source_or_customer_required(account):
    r = account.post("/v1/charges", {"amount": 2000, "currency": "usd"})
    assert_error(r, 400, code="parameter_missing", param="source",
                 message=messages.SOURCE_OR_CUSTOMER)


def test_customer_without_a_card(account):
    cid = account.post("/v1/customers", {}).get_json()["id"]
    r = account.post("/v1/charges", {"amount": 2000, "currency": "usd", "customer": cid})
    assert_error(r, 402, type="card_error", code="missing", param="card",
                 message=messages.CUSTOMER_HAS_NO_CARD)


def test_unknown_sources(account):
    assert_error(charge(account, "tok_nope"), 404, code="resource_missing", param="source",
                 message="No such token: 'tok_nope'")
    assert_error(charge(account, "card_123"), 404, code="resource_missing", param="source",
                 message="No such source: 'card_123'")
    assert_error(charge(account, "pm_card_nope"), 404, code="resource_missing", param="source",
                 message="No such payment_method: 'pm_card_nope'")


def test_unknown_customer(account):
    r = charge(account, customer="cus_nope")
    assert_error(r, 404, code="resource_missing", param="customer",
                 message="No such customer: 'cus_nope'")


def test_publishable_key_cannot_charge(account):
    r = charge(account, key=account.publishable_key)
    assert_error(r, 401, code="secret_key_required", message=messages.SECRET_KEY_REQUIRED)


def test_expand_customer_and_balance_transaction(account):
    cid = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()["id"]
    c = charge(account, customer=cid, **{"expand[]": ["customer", "balance_transaction"]})
    body = c.get_json()
    assert body["customer"]["id"] == cid and body["customer"]["email"] == "jo@example.com"
    txn = body["balance_transaction"]
    assert (txn["object"], txn["amount"], txn["fee"], txn["net"], txn["status"]) == (
        "balance_transaction", 2000, 88, 1912, "pending")
    assert txn["available_on"] == txn["created"] + 2 * 86400
    assert txn["source"] == body["id"]
    again = account.get(f"/v1/charges/{body['id']}?expand[0]=customer").get_json()
    assert again["customer"]["id"] == cid and isinstance(again["balance_transaction"], str)


def test_expand_unknown_field(account):
    r = charge(account, **{"expand[]": "source_transfer"})
    assert_error(r, 400, param="expand",
                 message="This property cannot be expanded (source_transfer).")


def test_update(account):
    cid = charge(account, **{"metadata[a]": "1", "metadata[b]": "2"}).get_json()["id"]
    r = account.post(f"/v1/charges/{cid}", {"description": "Changed", "metadata[a]": "",
                                            "receipt_email": "x@example.com"})
    body = r.get_json()
    assert (body["description"], body["metadata"], body["receipt_email"]) == (
        "Changed", {"b": "2"}, "x@example.com")
    assert_error(account.post(f"/v1/charges/{cid}", {"amount": 5}), 400,
                 code="parameter_unknown", param="amount",
                 message="Received unknown parameter: amount")


def test_capture_later(account):
    c = charge(account, capture="false").get_json()
    assert (c["status"], c["captured"], c["amount_captured"], c["balance_transaction"]) == (
        "succeeded", False, 0, None)
    r = account.post(f"/v1/charges/{c['id']}/capture")
    body = r.get_json()
    assert (body["captured"], body["amount_captured"], body["amount_refunded"]) == (
        True, 2000, 0)
    assert body["balance_transaction"].startswith("txn_")
    assert_error(account.post(f"/v1/charges/{c['id']}/capture"), 400,
                 code="charge_already_captured",
                 message=f"Charge {c['id']} has already been captured.")


def test_partial_capture_releases_the_rest(account):
    cid = charge(account, capture="false").get_json()["id"]
    r = account.post(f"/v1/charges/{cid}/capture",
                     {"amount": 1500, "expand[]": "balance_transaction"})
    body = r.get_json()
    assert (body["amount_captured"], body["amount_refunded"], body["refunded"]) == (
        1500, 500, False)
    assert (body["balance_transaction"]["amount"], body["balance_transaction"]["fee"]) == (
        1500, 74)


def test_capture_errors(account):
    cid = charge(account, capture="false").get_json()["id"]
    assert_error(account.post(f"/v1/charges/{cid}/capture", {"amount": 2001}), 400,
                 code="amount_too_large", param="amount",
                 message=messages.CAPTURE_TOO_LARGE.format(amount="$20.01",
                                                           authorized="$20.00"))
    assert_error(account.post(f"/v1/charges/{cid}/capture", {"amount": 49}), 400,
                 code="amount_too_small", param="amount", message=messages.AMOUNT_TOO_SMALL)
    failed = charge(account, "tok_chargeDeclined").get_json()["error"]["charge"]
    assert_error(account.post(f"/v1/charges/{failed}/capture"), 400,
                 message=messages.CHARGE_FAILED_CANNOT.format(id=failed, action="captured"))


def test_list_pagination_and_customer_filter(account):
    cid = account.post("/v1/customers", {}).get_json()["id"]
    ids = [charge(account).get_json()["id"] for _ in range(3)]
    ids += [charge(account, customer=cid).get_json()["id"] for _ in range(2)]
    page = account.get("/v1/charges?limit=2").get_json()
    assert (page["object"], page["url"], page["has_more"]) == ("list", "/v1/charges", True)
    seen = [c["id"] for c in page["data"]]
    while page["has_more"]:
        page = account.get(f"/v1/charges?limit=2&starting_after={seen[-1]}").get_json()
        seen += [c["id"] for c in page["data"]]
    assert sorted(seen) == sorted(ids)
    back = account.get(f"/v1/charges?limit=2&ending_before={seen[-1]}").get_json()
    assert [c["id"] for c in back["data"]] == seen[-3:-1]
    mine = account.get(f"/v1/charges?customer={cid}&expand[]=data.customer").get_json()
    assert sorted(c["id"] for c in mine["data"]) == sorted(ids[3:])
    assert all(c["customer"]["id"] == cid for c in mine["data"])


def test_other_accounts_charges_are_invisible(account, make_account):
    cid = charge(account).get_json()["id"]
    other = make_account()
    assert_error(other.get(f"/v1/charges/{cid}"), 404, code="resource_missing", param="id",
                 message=f"No such charge: '{cid}'")
    assert other.get("/v1/charges").get_json()["data"] == []


def test_list_filters_name_objects_that_exist(account):
    """Stripe documents that a non-existent customer ID is an error, not an empty list; so is
    an unknown PaymentIntent, and one of the other mode gets the "similar object" message."""
    assert_error(account.get("/v1/charges?customer=cus_nope"), 404, code="resource_missing",
                 param="customer", message="No such customer: 'cus_nope'")
    assert_error(account.get("/v1/charges?payment_intent=pi_nope"), 404,
                 code="resource_missing", param="payment_intent",
                 message="No such payment_intent: 'pi_nope'")
    live = account.activate()
    live_customer = account.post("/v1/customers", {}, key=live).get_json()["id"]
    assert_error(account.get(f"/v1/charges?customer={live_customer}"), 404,
                 code="resource_missing", param="customer",
                 message=messages.NO_SUCH_OTHER_MODE.format(
                     noun="customer", id=live_customer, other="live", mode="test"))
    # A deleted customer's charges are still its charges.
    cid = account.post("/v1/customers", {}).get_json()["id"]
    paid = charge(account, customer=cid).get_json()["id"]
    assert account.delete(f"/v1/customers/{cid}").status_code == 200
    listed = account.get(f"/v1/charges?customer={cid}").get_json()["data"]
    assert [c["id"] for c in listed] == [paid]
