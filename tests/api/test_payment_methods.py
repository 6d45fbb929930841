"""/v1/payment_methods: create from card details or a token, retrieve, attach, detach, list."""

from __future__ import annotations

import time

import pytest

from payground import messages
from payground.core import keys
from tests.helpers import assert_error

YEAR = time.gmtime().tm_year


def card(number="4242424242424242", **extra):
    return {"type": "card", "card[number]": number, "card[exp_month]": "12",
            "card[exp_year]": str(YEAR + 2), "card[cvc]": "123", **extra}


def create(account, params=None, key=None):
    return account.post("/v1/payment_methods", card() if params is None else params,
                        key=key or account.publishable_key)


def created(account, params=None, key=None) -> dict:
    r = create(account, params, key)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def customer(account) -> str:
    return account.post("/v1/customers", {"email": "jo@example.com"}).get_json()["id"]


def attach(account, method_id, customer_id):
    return account.post(f"/v1/payment_methods/{method_id}/attach", {"customer": customer_id})


def test_create_with_card_details_and_a_publishable_key(account):
    r = create(account, card(**{"billing_details[name]": "Jo Doe",
                                "billing_details[email]": "jo@example.com",
                                "metadata[order]": "7"}))
    assert r.status_code == 200, r.get_json()
    method = r.get_json()
    assert method["id"].startswith("pm_") and method["object"] == "payment_method"
    assert (method["type"], method["customer"], method["livemode"]) == ("card", None, False)
    assert method["metadata"] == {"order": "7"}
    assert method["billing_details"]["name"] == "Jo Doe"
    assert method["billing_details"]["email"] == "jo@example.com"
    c = method["card"]
    assert (c["brand"], c["display_brand"], c["last4"], c["exp_month"], c["exp_year"]) == (
        "visa", "visa", "4242", 12, YEAR + 2)
    assert (c["funding"], c["country"], c["checks"]["cvc_check"]) == ("credit", "US",
                                                                      "unchecked")
    assert c["networks"] == {"available": ["visa"], "preferred": None}
    assert len(c["fingerprint"]) == 16
    assert "4242424242424242" not in r.get_data(as_text=True)


def test_empty_billing_details_are_null(account):
    # Stripe marks them Emptyable; stripe-node sends `billing_details: {email: null}` so.
    r = create(account, card(**{"billing_details[name]": "", "billing_details[email]": "",
                                "billing_details[phone]": ""}))

    assert r.status_code == 200, r.get_json()
    details = r.get_json()["billing_details"]
    assert (details["name"], details["email"], details["phone"]) == (None, None, None)


def test_the_same_card_has_the_same_fingerprint(account):
    first, second = created(account), created(account)
    assert first["id"] != second["id"]
    assert first["card"]["fingerprint"] == second["card"]["fingerprint"]


def test_display_brand_of_amex(account):
    method = created(account, card("378282246310005", **{"card[cvc]": "1234"}))
    assert (method["card"]["brand"], method["card"]["display_brand"]) == (
        "amex", "american_express")


def test_create_from_a_token_uses_it_up(account):
    token = account.post("/v1/tokens", {"card[number]": "5555555555554444",
                                        "card[exp_month]": "3",
                                        "card[exp_year]": str(YEAR + 1)},
                         key=account.publishable_key).get_json()["id"]
    method = created(account, {"type": "card", "card[token]": token}, key=account.secret_key)
    assert (method["card"]["brand"], method["card"]["last4"]) == ("mastercard", "4444")
    assert account.get(f"/v1/tokens/{token}").get_json()["used"] is True
    r = create(account, {"type": "card", "card[token]": token})
    assert_error(r, 400, code="token_already_used", param="card[token]",
                 message=messages.TOKEN_ALREADY_USED.format(id=token))


def test_create_from_a_magic_token(account):
    method = created(account, {"type": "card", "card[token]": "tok_amex"})
    assert (method["card"]["brand"], method["card"]["last4"]) == ("amex", "0005")


def test_unknown_token_is_404(account):
    r = create(account, {"type": "card", "card[token]": "tok_nope"})
    assert_error(r, 404, code="resource_missing", param="card[token]",
                 message="No such token: 'tok_nope'")


def test_token_and_card_details_together_are_refused(account):
    r = create(account, {"type": "card", "card[token]": "tok_visa",
                         "card[number]": "4242424242424242"})
    assert_error(r, 400, param="card[token]", message=messages.PAYMENT_METHOD_TOKEN_AND_CARD)
    assert "4242424242424242" not in r.get_data(as_text=True)


@pytest.mark.parametrize("params, code, param, message", [
    ({"card[token]": "tok_visa"}, "parameter_missing", "type", "Missing required param: type."),
    ({"type": "card"}, "parameter_missing", "card", "Missing required param: card."),
    ({"type": "card", "card[exp_month]": "12", "card[exp_year]": str(YEAR + 1)},
     "parameter_missing", "card[number]", "Missing required param: card[number]."),
    ({"type": "sepa_debit"}, None, "type", "Invalid type: must be one of card"),
    ({**card(), "card[brand]": "visa"}, "parameter_unknown", "card[brand]",
     "Received unknown parameter: card[brand]"),
])
def test_bad_parameters(account, params, code, param, message):
    assert_error(create(account, params), 400, code=code, param=param, message=message)


@pytest.mark.parametrize("number, code, param, decline_code, message", [
    ("4012888888881881", "card_declined", "number", "test_mode_live_card",
     messages.TEST_MODE_LIVE_CARD),
    ("4242424242424241", "incorrect_number", "number", None, messages.CARD_NUMBER_INCORRECT),
    ("42424242", "invalid_number", "number", None, messages.CARD_NUMBER_INVALID),
])
def test_card_errors_are_those_of_tokens(account, number, code, param, decline_code, message):
    r = create(account, card(number))
    assert_error(r, 402, type="card_error", code=code, param=param,
                 decline_code=decline_code, message=message)
    assert number not in r.get_data(as_text=True)


def test_bad_expiry_month(account):
    r = create(account, card(**{"card[exp_month]": "13"}))
    assert_error(r, 402, type="card_error", code="invalid_expiry_month", param="exp_month",
                 message=messages.INVALID_EXPIRY_MONTH)


def test_live_mode_refuses_a_test_card(account):
    account.activate()
    r = create(account, card(), key=account.live_publishable_key)
    assert_error(r, 402, type="card_error", code="card_declined", param="number",
                 decline_code="live_mode_test_card", message=messages.LIVE_MODE_TEST_CARD)


def test_retrieve(account):
    method = created(account)
    r = account.get(f"/v1/payment_methods/{method['id']}")
    assert r.status_code == 200
    assert r.get_json() == method


def test_retrieve_needs_a_secret_key(account):
    method = created(account)
    r = account.get(f"/v1/payment_methods/{method['id']}", key=account.publishable_key)
    assert_error(r, 401, code="secret_key_required", message=messages.SECRET_KEY_REQUIRED)


def test_unknown_payment_method_is_404(account):
    assert_error(account.get("/v1/payment_methods/pm_nope"), 404, code="resource_missing",
                 param="id", message="No such PaymentMethod: 'pm_nope'")


def test_modes_are_apart(account):
    method = created(account)
    live_key = account.activate()
    r = account.get(f"/v1/payment_methods/{method['id']}", key=live_key)
    assert_error(r, 404, code="resource_missing", param="id",
                 message=messages.NO_SUCH_OTHER_MODE.format(
                     noun="PaymentMethod", id=method["id"], other="test", mode="live"))
    assert account.get("/v1/payment_methods", key=live_key).get_json()["data"] == []


def test_another_account_cannot_see_it(account, make_account):
    method = created(account)
    other = make_account()
    assert_error(other.get(f"/v1/payment_methods/{method['id']}"), 404,
                 code="resource_missing", param="id",
                 message=f"No such PaymentMethod: '{method['id']}'")


def test_attach_and_detach(account):
    method, cus = created(account), customer(account)
    r = attach(account, method["id"], cus)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["customer"] == cus
    # Attaching again to the same customer changes nothing.
    assert attach(account, method["id"], cus).get_json()["customer"] == cus
    events = account.get("/v1/events?type=payment_method.attached").get_json()["data"]
    assert [e["data"]["object"]["id"] for e in events] == [method["id"]]
    assert events[0]["data"]["object"]["customer"] == cus
    r = account.post(f"/v1/payment_methods/{method['id']}/detach")
    assert r.status_code == 200
    assert r.get_json()["customer"] is None
    # Stripe's payment_method.detached: the method as it is now, and the customer it left.
    events = account.get("/v1/events?type=payment_method.detached").get_json()["data"]
    assert [(e["data"]["object"]["id"], e["data"]["object"]["customer"],
             e["data"]["previous_attributes"]) for e in events] == [
        (method["id"], None, {"customer": cus})]


def test_attach_to_another_customer_is_refused(account):
    method = created(account)
    attach(account, method["id"], customer(account))
    r = attach(account, method["id"], customer(account))
    assert_error(r, 400, message=messages.PAYMENT_METHOD_ALREADY_ATTACHED)


def test_attach_needs_a_known_customer(account):
    method = created(account)
    assert_error(attach(account, method["id"], "cus_nope"), 404, code="resource_missing",
                 param="customer", message="No such customer: 'cus_nope'")
    assert_error(account.post(f"/v1/payment_methods/{method['id']}/attach"), 400,
                 code="parameter_missing", param="customer",
                 message="Missing required param: customer.")


def test_detach_an_unattached_method_is_refused(account):
    method = created(account)
    r = account.post(f"/v1/payment_methods/{method['id']}/detach")
    assert_error(r, 400, message=messages.PAYMENT_METHOD_NOT_ATTACHED)


def test_a_detached_method_cannot_be_attached_again(account):
    method, cus = created(account), customer(account)
    attach(account, method["id"], cus)
    account.post(f"/v1/payment_methods/{method['id']}/detach")
    assert_error(attach(account, method["id"], cus), 400, param="payment_method",
                 message=messages.PAYMENT_METHOD_SPENT)


def test_list_by_customer(account):
    cus, other = customer(account), customer(account)
    first, second, loose = created(account), created(account), created(account)
    attach(account, first["id"], cus)
    attach(account, second["id"], cus)
    attach(account, created(account)["id"], other)
    r = account.get(f"/v1/payment_methods?customer={cus}&type=card")
    assert r.status_code == 200
    body = r.get_json()
    assert (body["object"], body["url"], body["has_more"]) == ("list", "/v1/payment_methods",
                                                               False)
    assert [m["id"] for m in body["data"]] == [second["id"], first["id"]]
    everything = account.get("/v1/payment_methods?limit=100").get_json()["data"]
    assert loose["id"] in [m["id"] for m in everything] and len(everything) == 4


def test_list_with_an_unknown_customer_is_404(account):
    assert_error(account.get("/v1/payment_methods?customer=cus_nope"), 404,
                 code="resource_missing", param="customer",
                 message="No such customer: 'cus_nope'")


def test_list_a_customers_payment_methods(account):
    # Stripe's GET /v1/customers/{id}/payment_methods (stripe.Customer.list_payment_methods).
    cus = customer(account)
    first, second, loose = created(account), created(account), created(account)
    attach(account, first["id"], cus)
    attach(account, second["id"], cus)
    attach(account, created(account)["id"], customer(account))
    r = account.get(f"/v1/customers/{cus}/payment_methods?type=card")
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["object"], body["url"], body["has_more"]) == (
        "list", f"/v1/customers/{cus}/payment_methods", False)
    assert [m["id"] for m in body["data"]] == [second["id"], first["id"]]
    page = account.get(f"/v1/customers/{cus}/payment_methods?limit=1").get_json()
    assert ([m["id"] for m in page["data"]], page["has_more"]) == ([second["id"]], True)
    page = account.get(f"/v1/customers/{cus}/payment_methods?limit=1"
                       f"&starting_after={second['id']}").get_json()
    assert ([m["id"] for m in page["data"]], page["has_more"]) == ([first["id"]], False)
    assert loose["id"] not in [m["id"] for m in body["data"]]


def test_list_a_customers_payment_methods_refuses_what_the_list_refuses(account):
    assert_error(account.get("/v1/customers/cus_nope/payment_methods"), 404,
                 code="resource_missing", param="customer",
                 message="No such customer: 'cus_nope'")
    cus = customer(account)
    assert_error(account.get(f"/v1/customers/{cus}/payment_methods?customer={cus}"), 400,
                 code="parameter_unknown", param="customer",
                 message="Received unknown parameter: customer")
    assert_error(account.get(f"/v1/customers/{cus}/payment_methods?type=sepa_debit"), 400,
                 param="type", message="Invalid type: must be one of card")
    key = account.create_key(permissions=["customer_read"])
    assert_error(account.get(f"/v1/customers/{cus}/payment_methods", key=key), 403,
                 message=messages.MISSING_PERMISSION.format(
                     masked=keys.mask(key), account=account.account_id,
                     permission="payment_method_read"))
    allowed = account.create_key(permissions=["payment_method_read"])
    assert account.get(f"/v1/customers/{cus}/payment_methods", key=allowed).status_code == 200
    live = account.activate()
    assert_error(account.get(f"/v1/customers/{cus}/payment_methods", key=live), 404,
                 code="resource_missing", param="customer",
                 message=f"No such customer: '{cus}'; a similar object exists in test mode, "
                         "but a live mode key was used to make this request.")


def test_retrieve_one_of_a_customers_payment_methods(account):
    # stripe.Customer.retrieve_payment_method: only a method attached to that customer.
    cus, other = customer(account), customer(account)
    mine, theirs, loose = created(account), created(account), created(account)
    attach(account, mine["id"], cus)
    attach(account, theirs["id"], other)

    r = account.get(f"/v1/customers/{cus}/payment_methods/{mine['id']}")

    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["id"], r.get_json()["customer"]) == (mine["id"], cus)
    for method_id in (theirs["id"], loose["id"], "pm_nope"):
        assert_error(account.get(f"/v1/customers/{cus}/payment_methods/{method_id}"), 404,
                     code="resource_missing", param="id",
                     message=f"No such PaymentMethod: '{method_id}'")
    assert_error(account.get(f"/v1/customers/cus_nope/payment_methods/{mine['id']}"), 404,
                 code="resource_missing", param="customer",
                 message="No such customer: 'cus_nope'")
    expanded = account.get(f"/v1/customers/{cus}/payment_methods/{mine['id']}"
                           "?expand[]=customer").get_json()
    assert expanded["customer"]["id"] == cus
    key = account.create_key(permissions=["customer_read"])
    assert_error(account.get(f"/v1/customers/{cus}/payment_methods/{mine['id']}", key=key), 403,
                 message=messages.MISSING_PERMISSION.format(
                     masked=keys.mask(key), account=account.account_id,
                     permission="payment_method_read"))


def test_restricted_key_needs_payment_method_write(account):
    key = account.create_key(permissions=["token_write"])
    r = create(account, key=key)
    assert_error(r, 403, message=messages.MISSING_PERMISSION.format(
        masked=keys.mask(key), account=account.account_id, permission="payment_method_write"))
    allowed = account.create_key(permissions=["payment_method_write"])
    assert create(account, key=allowed).status_code == 200


def test_attach_a_magic_id_attaches_a_new_method(account):
    cus = customer(account)
    r = attach(account, "pm_card_visa", cus)
    assert r.status_code == 200, r.get_json()
    method = r.get_json()
    assert method["id"].startswith("pm_") and method["id"] != "pm_card_visa"
    assert (method["customer"], method["card"]["last4"]) == (cus, "4242")
    listed = account.get(f"/v1/payment_methods?customer={cus}").get_json()["data"]
    assert [m["id"] for m in listed] == [method["id"]]


# --- live mode: magic test ids, other modes, other accounts -------------------------------------


@pytest.mark.parametrize("token", ["tok_visa", "tok_mastercard", "tok_chargeDeclined"])
def test_live_mode_refuses_a_magic_token_as_it_refuses_its_test_card(account, token):
    """``card[token]=tok_visa`` with a live key is the test card 4242... in disguise: the same
    402 as its number gets, and no live payment method is made."""
    live = account.activate()
    r = create(account, {"type": "card", "card[token]": token}, key=account.live_publishable_key)
    assert_error(r, 402, type="card_error", code="card_declined", param="card[token]",
                 decline_code="live_mode_test_card", message=messages.LIVE_MODE_TEST_CARD)
    assert account.get("/v1/payment_methods", key=live).get_json()["data"] == []


@pytest.mark.parametrize("magic", ["pm_card_visa", "pm_card_chargeDeclined"])
def test_live_mode_refuses_to_attach_a_magic_payment_method(account, magic):
    live = account.activate()
    cus = account.post("/v1/customers", {"email": "jo@example.com"}, key=live).get_json()["id"]
    r = account.post(f"/v1/payment_methods/{magic}/attach", {"customer": cus}, key=live)
    assert_error(r, 402, type="card_error", code="card_declined", param="id",
                 decline_code="live_mode_test_card", message=messages.LIVE_MODE_TEST_CARD)
    assert account.get("/v1/payment_methods", key=live).get_json()["data"] == []
    assert account.get("/v1/events?type=payment_method.attached",
                       key=live).get_json()["data"] == []
    # Test mode still makes and attaches one.
    test_cus = customer(account)
    assert attach(account, magic, test_cus).get_json()["customer"] == test_cus


@pytest.mark.parametrize("confirm", [False, True])
def test_live_mode_refuses_to_attach_the_method_an_intent_made_of_a_magic_id(account, confirm):
    """A live PaymentIntent takes ``pm_card_visa`` (its payment is declined when confirmed):
    the ``pm_...`` it made for it is no way round the refusal to keep a test card."""
    live = account.activate()
    cus = account.post("/v1/customers", {"email": "jo@example.com"}, key=live).get_json()["id"]
    r = account.post("/v1/payment_intents", {"amount": 1000, "currency": "usd",
                                             "payment_method": "pm_card_visa",
                                             "confirm": str(confirm).lower()}, key=live)
    if confirm:
        assert r.status_code == 402, r.get_json()
        made = r.get_json()["error"]["payment_method"]["id"]
    else:
        assert r.status_code == 200, r.get_json()
        made = r.get_json()["payment_method"]
    r = account.post(f"/v1/payment_methods/{made}/attach", {"customer": cus}, key=live)
    assert_error(r, 402, type="card_error", code="card_declined", param="id",
                 decline_code="live_mode_test_card", message=messages.LIVE_MODE_TEST_CARD)
    assert account.get(f"/v1/payment_methods?customer={cus}", key=live).get_json()["data"] == []
    assert account.get(f"/v1/payment_methods/{made}", key=live).get_json()["customer"] is None
    assert account.get("/v1/events?type=payment_method.attached",
                       key=live).get_json()["data"] == []


def test_attaching_a_payment_method_of_the_other_mode_is_404(account):
    method = created(account)  # test mode
    live = account.activate()
    cus = account.post("/v1/customers", {"email": "jo@example.com"}, key=live).get_json()["id"]
    r = account.post(f"/v1/payment_methods/{method['id']}/attach", {"customer": cus}, key=live)
    assert_error(r, 404, code="resource_missing", param="id",
                 message=messages.NO_SUCH_OTHER_MODE.format(
                     noun="PaymentMethod", id=method["id"], other="test", mode="live"))
    # Nor, with the test key, the live customer.
    r = attach(account, method["id"], cus)
    assert_error(r, 404, code="resource_missing", param="customer",
                 message=messages.NO_SUCH_OTHER_MODE.format(
                     noun="customer", id=cus, other="live", mode="test"))
    assert account.get(f"/v1/payment_methods/{method['id']}").get_json()["customer"] is None


def test_attaching_another_accounts_payment_method_or_customer_is_404(account, make_account):
    method, cus = created(account), customer(account)
    other = make_account()
    theirs = customer(other)
    assert_error(attach(other, method["id"], theirs), 404, code="resource_missing",
                 param="id", message=f"No such PaymentMethod: '{method['id']}'")
    mine = created(other)
    assert_error(attach(other, mine["id"], cus), 404, code="resource_missing",
                 param="customer", message=f"No such customer: '{cus}'")
    assert account.get(f"/v1/payment_methods/{method['id']}").get_json()["customer"] is None
