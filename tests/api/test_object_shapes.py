"""Every /v1 object has the fields of Stripe's API version Payground renders (that of the
``stripe`` library it is tested with): none missing that Stripe always returns, none Stripe
does not have, and Stripe's ``null`` where only a real network or bank could say more."""

import pytest
import stripe

from payground.services.events import API_VERSION
from tests.helpers import assert_error

DAY = 86400

CHARGE_FIELDS = {
    "id", "object", "amount", "amount_captured", "amount_refunded", "application",
    "application_fee", "application_fee_amount", "balance_transaction", "billing_details",
    "calculated_statement_descriptor", "captured", "created", "currency", "customer",
    "description", "disputed", "failure_balance_transaction", "failure_code",
    "failure_message", "fraud_details", "livemode", "metadata", "on_behalf_of", "outcome",
    "paid", "payment_intent", "payment_method", "payment_method_details", "receipt_email",
    "receipt_number", "receipt_url", "refunded", "review", "shipping", "source",
    "source_transfer", "statement_descriptor", "statement_descriptor_suffix", "status",
    "transfer_data", "transfer_group"}
CARD_FIELDS = {
    "id", "object", "address_city", "address_country", "address_line1", "address_line1_check",
    "address_line2", "address_state", "address_zip", "address_zip_check", "brand", "country",
    "customer", "cvc_check", "dynamic_last4", "exp_month", "exp_year", "fingerprint",
    "funding", "last4", "metadata", "name", "regulated_status", "tokenization_method"}


def post(account, path, **data):
    r = account.post(path, data)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def get(account, path):
    r = account.get(path)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def unknown_to_stripe(obj: dict, cls: type, where: str) -> list[str]:
    """The fields of ``obj`` (recursively) that ``cls``, the stripe library's class, lacks."""
    known = set()
    for klass in cls.__mro__:
        known |= set(vars(klass).get("__annotations__", {}))
    found = [f"{where}.{name}" for name in obj if name not in known]
    inner = getattr(cls, "_inner_class_types", {})
    for name, value in obj.items():
        if isinstance(value, dict) and name in inner:
            found += unknown_to_stripe(value, inner[name], f"{where}.{name}")
    return found


def test_the_api_version_is_the_stripe_librarys():
    assert API_VERSION == stripe.api_version


def test_a_charge_has_stripes_fields(account):
    c = post(account, "/v1/charges", amount=2000, currency="usd", source="tok_visa")
    assert set(c) == CHARGE_FIELDS  # no `invoice` (gone since 2025-03-31.basil), no `refunds`
    assert c["receipt_url"] is None
    assert c["billing_details"] == {
        "address": {"city": None, "country": None, "line1": None, "line2": None,
                    "postal_code": None, "state": None},
        "email": None, "name": None, "phone": None, "tax_id": None}
    card = c["payment_method_details"]["card"]
    assert (card["amount_authorized"], card["authorization_code"], card["installments"],
            card["mandate"], card["network_transaction_id"], card["regulated_status"]) == (
        2000, None, None, None, None, "unregulated")
    assert set(c["source"]) == CARD_FIELDS
    assert unknown_to_stripe(c, stripe.Charge, "charge") == []
    assert unknown_to_stripe(c["source"], stripe.Card, "charge.source") == []


def test_a_declined_charge_authorised_nothing(account):
    r = account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                     "source": "tok_chargeDeclined"})
    error = assert_error(r, 402, type="card_error", code="card_declined",
                         decline_code="generic_decline", message="Your card was declined.")
    failed = get(account, f"/v1/charges/{error['charge']}")
    assert set(failed) == CHARGE_FIELDS
    assert failed["payment_method_details"]["card"]["amount_authorized"] is None
    assert (failed["outcome"]["advice_code"], failed["outcome"]["network_decline_code"]) == (
        None, None)


def test_a_tokens_card_has_stripes_fields(account):
    token = post(account, "/v1/tokens", **{"card[number]": "4242424242424242",
                                           "card[exp_month]": "12", "card[exp_year]": "2040",
                                           "card[cvc]": "123"})
    assert set(token["card"]) == CARD_FIELDS  # a card has no `wallet`
    assert token["card"]["regulated_status"] == "unregulated"
    assert unknown_to_stripe(token, stripe.Token, "token") == []
    assert unknown_to_stripe(token["card"], stripe.Card, "token.card") == []


def test_a_customer_has_invoice_settings(account):
    customer = post(account, "/v1/customers", email="jo@example.com")
    assert customer["invoice_settings"] == {"custom_fields": None,
                                            "default_payment_method": None, "footer": None,
                                            "rendering_options": None}
    assert unknown_to_stripe(customer, stripe.Customer, "customer") == []


def test_a_setup_intent_has_only_stripes_fields(account):
    intent = post(account, "/v1/setup_intents", payment_method="pm_card_chargeDeclined")
    declined = account.post(f"/v1/setup_intents/{intent['id']}/confirm")
    assert declined.status_code == 402
    failed = get(account, f"/v1/setup_intents/{intent['id']}")
    assert failed["last_setup_error"]["code"] == "card_declined"
    assert unknown_to_stripe(failed, stripe.SetupIntent, "setup_intent") == []
    asked = post(account, "/v1/setup_intents", payment_method="pm_card_authenticationRequired",
                 confirm="true", return_url="https://shop.example/done")
    assert unknown_to_stripe(asked, stripe.SetupIntent, "setup_intent") == []


def test_a_payment_intent_has_no_invoice(account):
    intent = post(account, "/v1/payment_intents", amount=2000, currency="usd",
                  payment_method="pm_card_visa", confirm="true")
    assert "invoice" not in intent
    assert intent["latest_charge"].startswith("ch_")
    assert unknown_to_stripe(intent, stripe.PaymentIntent, "payment_intent") == []
    method = get(account, f"/v1/payment_methods/{intent['payment_method']}")
    assert unknown_to_stripe(method, stripe.PaymentMethod, "payment_method") == []
    charge = get(account, f"/v1/charges/{intent['latest_charge']}")
    assert set(charge) == CHARGE_FIELDS


def test_balance_transactions_and_payouts_have_stripes_fields(account):
    charge = post(account, "/v1/charges", amount=10000, currency="usd",
                  source="tok_bypassPending")
    txn = get(account, f"/v1/balance_transactions/{charge['balance_transaction']}")
    assert txn["balance_type"] == "payments"
    assert unknown_to_stripe(txn, stripe.BalanceTransaction, "balance_transaction") == []

    payout = post(account, "/v1/payouts", amount=1000, currency="usd")
    assert (payout["payout_method"], payout["trace_id"]) == (
        None, {"status": "pending", "value": None})
    assert unknown_to_stripe(payout, stripe.Payout, "payout") == []
    account.advance_clock(3 * DAY)
    paid = get(account, f"/v1/payouts/{payout['id']}")
    assert (paid["status"], paid["trace_id"]) == ("paid", {"status": "unsupported",
                                                           "value": None})
    canceled = post(account, "/v1/payouts", amount=1000, currency="usd")
    canceled = post(account, f"/v1/payouts/{canceled['id']}/cancel")
    assert (canceled["status"], canceled["trace_id"]) == ("canceled", {"status": "unsupported",
                                                                       "value": None})
    refund = post(account, "/v1/refunds", charge=charge["id"], amount=500)
    assert unknown_to_stripe(refund, stripe.Refund, "refund") == []
    assert unknown_to_stripe(get(account, "/v1/balance"), stripe.Balance, "balance") == []


def test_events_show_the_same_shapes(account):
    post(account, "/v1/charges", amount=2000, currency="usd", source="tok_visa")
    (event,) = get(account, "/v1/events?type=charge.succeeded")["data"]
    assert set(event["data"]["object"]) == CHARGE_FIELDS
    assert unknown_to_stripe(event, stripe.Event, "event") == []


# -- a charge's refunds: expandable, paged on at /v1/charges/{id}/refunds ----------------------

@pytest.fixture
def refunded(account):
    """A charge with 12 refunds of $1.00 (ids newest first)."""
    charge = post(account, "/v1/charges", amount=5000, currency="usd", source="tok_visa")
    ids = [post(account, "/v1/refunds", charge=charge["id"], amount=100)["id"]
           for _ in range(12)]
    return charge["id"], ids[::-1]


def test_expand_refunds_embeds_the_ten_newest(account, refunded):
    charge_id, ids = refunded
    refunds = get(account, f"/v1/charges/{charge_id}?expand[]=refunds")["refunds"]
    assert {k: v for k, v in refunds.items() if k != "data"} == {
        "object": "list", "url": f"/v1/charges/{charge_id}/refunds", "has_more": True}
    assert [r["id"] for r in refunds["data"]] == ids[:10]
    assert "refunds" not in get(account, f"/v1/charges/{charge_id}")  # only when expanded

    nested = get(account, f"/v1/charges/{charge_id}?expand[]=refunds.data.balance_transaction")
    assert nested["refunds"]["data"][0]["balance_transaction"]["object"] == (
        "balance_transaction")
    (listed,) = get(account, "/v1/charges?expand[]=data.refunds")["data"]
    assert [r["id"] for r in listed["refunds"]["data"]] == ids[:10]


@pytest.mark.parametrize("paths", [("refunds", "refunds.data.charge"),
                                   ("refunds.data.charge", "refunds")])
def test_a_shorter_expansion_keeps_a_deeper_one_whatever_the_order(account, paths):
    charge = post(account, "/v1/charges", amount=2000, currency="usd", source="tok_visa")
    refund = post(account, "/v1/refunds", charge=charge["id"], amount=100)
    query = "&".join(f"expand[]={path}" for path in paths)
    shown = get(account, f"/v1/charges/{charge['id']}?{query}")
    assert [r["id"] for r in shown["refunds"]["data"]] == [refund["id"]]
    assert shown["refunds"]["data"][0]["charge"]["id"] == charge["id"]
    (listed,) = get(account, "/v1/charges?" + "&".join(
        f"expand[]=data.{path}" for path in paths))["data"]
    assert listed["refunds"]["data"][0]["charge"]["object"] == "charge"


def test_a_charge_without_refunds_expands_to_an_empty_list(account):
    charge = post(account, "/v1/charges", amount=2000, currency="usd", source="tok_visa")
    assert get(account, f"/v1/charges/{charge['id']}?expand[]=refunds")["refunds"] == {
        "object": "list", "url": f"/v1/charges/{charge['id']}/refunds", "has_more": False,
        "data": []}


def test_list_a_charges_refunds(account, refunded):
    charge_id, ids = refunded
    other = post(account, "/v1/charges", amount=2000, currency="usd", source="tok_visa")
    post(account, "/v1/refunds", charge=other["id"], amount=100)
    first = get(account, f"/v1/charges/{charge_id}/refunds?limit=5")
    assert (first["url"], first["has_more"]) == (f"/v1/charges/{charge_id}/refunds", True)
    assert [r["id"] for r in first["data"]] == ids[:5]
    rest = get(account, f"/v1/charges/{charge_id}/refunds?limit=100&starting_after={ids[4]}")
    assert ([r["id"] for r in rest["data"]], rest["has_more"]) == (ids[5:], False)


def test_list_a_charges_refunds_refusals(account):
    assert_error(account.get("/v1/charges/ch_nope/refunds"), 404, code="resource_missing",
                 param="id", message="No such charge: 'ch_nope'")
    charge = post(account, "/v1/charges", amount=2000, currency="usd", source="tok_visa")
    assert_error(account.get(f"/v1/charges/{charge['id']}/refunds?created=1"), 400,
                 code="parameter_unknown", param="created",
                 message="Received unknown parameter: created")


def test_expanding_refunds_needs_refund_read(account):
    charge = post(account, "/v1/charges", amount=2000, currency="usd", source="tok_visa")
    key = account.create_key(permissions=["charge_read"])
    error = assert_error(account.get(f"/v1/charges/{charge['id']}?expand[]=refunds", key=key),
                         403)
    assert "Having the 'rak_refund_read' permission" in error["message"]
    assert account.get(f"/v1/charges/{charge['id']}", key=key).status_code == 200


def test_retrieve_one_of_a_charges_refunds(account, refunded):
    # stripe.Charge.retrieve_refund, and the expanded list's retrieve (GET {url}/{id}): only a
    # refund of that charge.
    charge_id, ids = refunded
    other = post(account, "/v1/charges", amount=2000, currency="usd", source="tok_visa")
    theirs = post(account, "/v1/refunds", charge=other["id"], amount=100)["id"]

    shown = get(account, f"/v1/charges/{charge_id}/refunds/{ids[3]}?expand[]=charge")

    assert (shown["id"], shown["object"], shown["charge"]["id"]) == (ids[3], "refund", charge_id)
    for refund_id in (theirs, "re_nope"):
        assert_error(account.get(f"/v1/charges/{charge_id}/refunds/{refund_id}"), 404,
                     code="resource_missing", param="id",
                     message=f"No such refund: '{refund_id}'")
    assert_error(account.get(f"/v1/charges/ch_nope/refunds/{ids[0]}"), 404,
                 code="resource_missing", param="id", message="No such charge: 'ch_nope'")
    key = account.create_key(permissions=["charge_read"])
    error = assert_error(account.get(f"/v1/charges/{charge_id}/refunds/{ids[0]}", key=key), 403)
    assert "Having the 'rak_refund_read' permission" in error["message"]
