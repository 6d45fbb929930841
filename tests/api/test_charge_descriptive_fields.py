"""A charge's Stripe descriptive fields (``shipping``, ``statement_descriptor_suffix``,
``transfer_group``), the ones a PaymentIntent's charge copies from it, and a customer's
``invoice_settings[default_payment_method]``: accepted with Stripe's checks, kept, and returned
where Stripe returns them. Payground never acts on them."""

from __future__ import annotations

import pytest

from payground import messages
from payground.core import keys
from tests.helpers import assert_error

NO_ADDRESS = {"city": None, "country": None, "line1": None, "line2": None,
              "postal_code": None, "state": None}
SHIPPING = {"shipping[name]": "Ada", "shipping[address][line1]": "1 Main St",
            "shipping[address][country]": "US", "shipping[carrier]": "UPS",
            "shipping[tracking_number]": "1Z999", "shipping[phone]": "+1 555 0100"}
SHOWN = {"address": {**NO_ADDRESS, "line1": "1 Main St", "country": "US"}, "carrier": "UPS",
         "name": "Ada", "phone": "+1 555 0100", "tracking_number": "1Z999"}


def charge(account, **params):
    return account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                        "source": "tok_visa", **params})


def fields_of(body: dict) -> tuple:
    return (body["shipping"], body["statement_descriptor_suffix"], body["transfer_group"],
            body["calculated_statement_descriptor"])


# -- charges -----------------------------------------------------------------------------------


def test_a_charge_keeps_them_and_shows_them(account):
    r = charge(account, statement_descriptor_suffix="ORDER 42", transfer_group="order-42",
               **SHIPPING)
    assert r.status_code == 200, r.get_json()
    created = r.get_json()
    # Stripe's card statement: the account's prefix, "* " and the suffix.
    expected = (SHOWN, "ORDER 42", "order-42", "PAYGROUND* ORDER 42")
    assert fields_of(created) == expected
    assert fields_of(account.get(f"/v1/charges/{created['id']}").get_json()) == expected
    event = account.get("/v1/events?type=charge.succeeded&limit=1").get_json()["data"][0]
    assert fields_of(event["data"]["object"]) == expected


def test_without_them_a_charge_shows_stripes_nulls(account):
    assert fields_of(charge(account).get_json()) == (None, None, None, "PAYGROUND")
    # A whole descriptor without a suffix is what the statement shows, as before.
    assert fields_of(charge(account, statement_descriptor="MY SHOP").get_json())[3] == \
        "MY SHOP"


def test_the_calculated_descriptor_is_cut_to_a_statements_22_characters(account):
    created = charge(account, statement_descriptor_suffix="A" * 22).get_json()
    assert created["statement_descriptor_suffix"] == "A" * 22
    assert created["calculated_statement_descriptor"] == "PAYGROUND* " + "A" * 11


def test_an_update_sets_shipping_and_a_first_transfer_group(account):
    created = charge(account).get_json()
    r = account.post(f"/v1/charges/{created['id']}", {**SHIPPING, "transfer_group": "g1"})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["shipping"], r.get_json()["transfer_group"]) == (SHOWN, "g1")
    event = account.get("/v1/events?type=charge.updated&limit=1").get_json()["data"][0]
    assert event["data"]["previous_attributes"] == {"shipping": None, "transfer_group": None}
    # Replaced whole; `shipping=` removes it.
    r = account.post(f"/v1/charges/{created['id']}", {"shipping[name]": "Bo",
                                                      "shipping[address][city]": "Oslo"})
    assert r.get_json()["shipping"] == {"address": {**NO_ADDRESS, "city": "Oslo"},
                                        "carrier": None, "name": "Bo", "phone": None,
                                        "tracking_number": None}
    # The event names, down to the address key, only what the new shipping changed.
    event = account.get("/v1/events?type=charge.updated&limit=1").get_json()["data"][0]
    assert event["data"]["previous_attributes"] == {"shipping": {
        "address": {"line1": "1 Main St", "country": "US", "city": None},
        "carrier": "UPS", "name": SHOWN["name"], "phone": SHOWN["phone"],
        "tracking_number": SHOWN["tracking_number"]}}
    r = account.post(f"/v1/charges/{created['id']}", {"shipping": ""})
    assert r.get_json()["shipping"] is None


def test_a_transfer_group_is_set_once(account):
    """Stripe: it "may only be provided if it has not been set" (update and capture)."""
    created = charge(account, transfer_group="g1").get_json()
    message = messages.CHARGE_TRANSFER_GROUP_SET.format(id=created["id"])
    assert_error(account.post(f"/v1/charges/{created['id']}", {"transfer_group": "g2"}), 400,
                 code=None, param="transfer_group", message=message)
    held = charge(account, capture="false", transfer_group="g3").get_json()
    r = account.post(f"/v1/charges/{held['id']}/capture", {"transfer_group": "g4"})
    assert_error(r, 400, code=None, param="transfer_group",
                 message=messages.CHARGE_TRANSFER_GROUP_SET.format(id=held["id"]))
    shown = account.get(f"/v1/charges/{held['id']}").get_json()
    assert (shown["captured"], shown["transfer_group"]) == (False, "g3")
    assert account.get(f"/v1/charges/{created['id']}").get_json()["transfer_group"] == "g1"


def test_capture_sets_the_suffix_and_a_first_transfer_group(account):
    held = charge(account, capture="false").get_json()
    r = account.post(f"/v1/charges/{held['id']}/capture",
                     {"statement_descriptor_suffix": "PAID", "transfer_group": "g9"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["captured"], body["statement_descriptor_suffix"], body["transfer_group"],
            body["calculated_statement_descriptor"]) == (True, "PAID", "g9", "PAYGROUND* PAID")


def test_charges_are_listed_by_transfer_group(account):
    grouped = [charge(account, transfer_group="order-7").get_json()["id"] for _ in range(2)]
    charge(account, transfer_group="order-8")
    charge(account)
    listed = account.get("/v1/charges?transfer_group=order-7").get_json()
    assert [c["id"] for c in listed["data"]] == grouped[::-1]
    assert account.get("/v1/charges?transfer_group=none").get_json()["data"] == []


@pytest.mark.parametrize("params, code, param, message", [
    ({"statement_descriptor_suffix": "ORDER*1"}, None, "statement_descriptor_suffix",
     messages.STATEMENT_DESCRIPTOR_CHARACTERS),
    ({"statement_descriptor_suffix": "1234"}, None, "statement_descriptor_suffix",
     messages.STATEMENT_DESCRIPTOR_LETTER),
    ({"statement_descriptor_suffix": "S" * 23}, "parameter_invalid_string",
     "statement_descriptor_suffix", f"Invalid string: {'S' * 23}; must be at most 22 characters"),
    ({"transfer_group": ""}, "parameter_invalid_empty", "transfer_group",
     "You passed an empty string for 'transfer_group'. We assume empty values are an attempt to "
     "unset a parameter; however 'transfer_group' cannot be unset. You should remove "
     "'transfer_group' from your request or supply a non-empty value."),
    ({"transfer_group": "g" * 5001}, "parameter_invalid_string", "transfer_group",
     f"Invalid string: {'g' * 57}...; must be at most 5000 characters"),
    ({"shipping[name]": "Ada"}, "parameter_missing", "shipping[address]",
     "Missing required param: shipping[address]."),
    ({"shipping[address][line1]": "1 Main St"}, "parameter_missing", "shipping[name]",
     "Missing required param: shipping[name]."),
    ({"shipping[name]": "Ada", "shipping[address][country]": "USA"},
     "parameter_invalid_string", "shipping[address][country]",
     "Invalid string: USA; must be at most 2 characters"),
    ({"shipping[name]": "Ada", "shipping[address][line3]": "x"}, "parameter_unknown",
     "shipping[address][line3]", "Received unknown parameter: shipping[address][line3]"),
])
def test_bad_values_are_stripes_400_naming_the_parameter(account, params, code, param,
                                                         message):
    assert_error(charge(account, **params), 400, code=code, param=param, message=message)
    assert account.get("/v1/charges").get_json()["data"] == []  # nothing was charged


def test_an_update_checks_them_too(account):
    created = charge(account).get_json()
    r = account.post(f"/v1/charges/{created['id']}", {"shipping[name]": "Ada"})
    assert_error(r, 400, code="parameter_missing", param="shipping[address]",
                 message="Missing required param: shipping[address].")
    # Stripe takes the suffix at creation and capture only.
    r = account.post(f"/v1/charges/{created['id']}", {"statement_descriptor_suffix": "X1"})
    assert_error(r, 400, code="parameter_unknown", param="statement_descriptor_suffix",
                 message="Received unknown parameter: statement_descriptor_suffix")


# -- a PaymentIntent's charge ------------------------------------------------------------------


def test_an_intents_charge_copies_its_descriptive_fields(account):
    customer = account.post("/v1/customers", {"email": "ada@example.com"}).get_json()
    r = account.post("/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
        "customer": customer["id"], "description": "Order 42",
        "receipt_email": "ada@example.com", "statement_descriptor_suffix": "ORDER 42",
        "metadata[order]": "42", **SHIPPING})
    intent = r.get_json()
    r = account.post(f"/v1/payment_intents/{intent['id']}/confirm")
    assert r.status_code == 200, r.get_json()
    charge_id = r.get_json()["latest_charge"]
    shown = account.get(f"/v1/charges/{charge_id}").get_json()
    assert (shown["description"], shown["receipt_email"], shown["metadata"],
            shown["customer"]) == ("Order 42", "ada@example.com", {"order": "42"},
                                   customer["id"])
    assert fields_of(shown) == (SHOWN, "ORDER 42", None, "PAYGROUND* ORDER 42")


def test_an_intents_capture_suffix_reaches_its_charge(account):
    intent = account.post("/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
        "confirm": "true", "capture_method": "manual",
        "statement_descriptor_suffix": "HELD"}).get_json()
    r = account.post(f"/v1/payment_intents/{intent['id']}/capture",
                     {"statement_descriptor_suffix": "SHIPPED"})
    assert (r.status_code, r.get_json()["statement_descriptor_suffix"]) == (200, "SHIPPED")
    shown = account.get(f"/v1/charges/{intent['latest_charge']}").get_json()
    assert (shown["statement_descriptor_suffix"], shown["calculated_statement_descriptor"]) \
        == ("SHIPPED", "PAYGROUND* SHIPPED")


def test_an_intents_transfer_group_is_kept_and_copied_to_its_charge(account):
    r = account.post("/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
        "transfer_group": "order-42"})
    assert (r.status_code, r.get_json()["transfer_group"]) == (200, "order-42")
    intent = account.post(f"/v1/payment_intents/{r.get_json()['id']}/confirm").get_json()
    assert intent["transfer_group"] == "order-42"
    shown = account.get(f"/v1/charges/{intent['latest_charge']}").get_json()
    assert shown["transfer_group"] == "order-42"
    listed = account.get("/v1/charges?transfer_group=order-42").get_json()["data"]
    assert [c["id"] for c in listed] == [intent["latest_charge"]]
    event = account.get("/v1/events?type=payment_intent.succeeded&limit=1").get_json()
    assert event["data"][0]["data"]["object"]["transfer_group"] == "order-42"


def test_an_intents_transfer_group_is_set_once(account):
    intent = account.post("/v1/payment_intents", {"amount": 2000,
                                                  "currency": "usd"}).get_json()
    assert intent["transfer_group"] is None
    r = account.post(f"/v1/payment_intents/{intent['id']}", {"transfer_group": "g1"})
    assert (r.status_code, r.get_json()["transfer_group"]) == (200, "g1")
    message = messages.INTENT_TRANSFER_GROUP_SET.format(id=intent["id"])
    for again in ("g2", "g1"):  # strict, as a charge's: the same value again too
        r = account.post(f"/v1/payment_intents/{intent['id']}", {"transfer_group": again})
        assert_error(r, 400, code=None, param="transfer_group", message=message)
    assert account.get(f"/v1/payment_intents/{intent['id']}").get_json()[
        "transfer_group"] == "g1"
    # A refused update changes nothing else either.
    r = account.post(f"/v1/payment_intents/{intent['id']}",
                     {"transfer_group": "g3", "description": "not kept"})
    assert r.status_code == 400
    assert account.get(f"/v1/payment_intents/{intent['id']}").get_json()[
        "description"] is None


@pytest.mark.parametrize("params, code, message", [
    ({"transfer_group": ""}, "parameter_invalid_empty",
     "You passed an empty string for 'transfer_group'. We assume empty values are an attempt to "
     "unset a parameter; however 'transfer_group' cannot be unset. You should remove "
     "'transfer_group' from your request or supply a non-empty value."),
    ({"transfer_group": "g" * 5001}, "parameter_invalid_string",
     f"Invalid string: {'g' * 57}...; must be at most 5000 characters"),
])
def test_an_intents_bad_transfer_group_is_refused(account, params, code, message):
    r = account.post("/v1/payment_intents", {"amount": 2000, "currency": "usd", **params})
    assert_error(r, 400, code=code, param="transfer_group", message=message)
    assert account.get("/v1/payment_intents").get_json()["data"] == []
    intent = account.post("/v1/payment_intents", {"amount": 2000,
                                                  "currency": "usd"}).get_json()
    r = account.post(f"/v1/payment_intents/{intent['id']}", params)
    assert_error(r, 400, code=code, param="transfer_group", message=message)
    # Stripe's confirm and capture take none.
    r = account.post(f"/v1/payment_intents/{intent['id']}/confirm", {"transfer_group": "g"})
    assert_error(r, 400, code="parameter_unknown", param="transfer_group",
                 message="Received unknown parameter: transfer_group")


# -- a customer's default payment method -------------------------------------------------------


def attached(account, customer_id: str) -> str:
    method = account.post("/v1/payment_methods/pm_card_visa/attach",
                          {"customer": customer_id}).get_json()
    assert method["customer"] == customer_id, method
    return method["id"]


def not_attached(method_id: str) -> dict:
    return {"code": None, "param": "invoice_settings[default_payment_method]",
            "message": messages.PAYMENT_METHOD_OF_OTHER_CUSTOMER.format(id=method_id)}


def test_a_customers_default_payment_method_is_one_attached_to_it(account):
    customer = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()
    method = attached(account, customer["id"])
    r = account.post(f"/v1/customers/{customer['id']}", {
        "invoice_settings[default_payment_method]": method,
        "invoice_settings[footer]": "Thanks"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["invoice_settings"] == {
        "custom_fields": None, "default_payment_method": method, "footer": "Thanks",
        "rendering_options": None}
    event = account.get("/v1/events?type=customer.updated&limit=1").get_json()["data"][0]
    assert event["data"]["previous_attributes"]["invoice_settings"][
        "default_payment_method"] is None
    # Expandable, as on Stripe (a customer, a list of them).
    r = account.get(f"/v1/customers/{customer['id']}",
                    query_string={"expand[]": "invoice_settings.default_payment_method"})
    expanded = r.get_json()["invoice_settings"]["default_payment_method"]
    assert (expanded["id"], expanded["object"], expanded["customer"]) == (
        method, "payment_method", customer["id"])
    r = account.get("/v1/customers", query_string={
        "expand[]": "data.invoice_settings.default_payment_method"})
    assert r.get_json()["data"][0]["invoice_settings"]["default_payment_method"]["id"] == method
    # Another setting leaves it; `=` removes it.
    r = account.post(f"/v1/customers/{customer['id']}", {"invoice_settings[footer]": "Bye"})
    assert r.get_json()["invoice_settings"]["default_payment_method"] == method
    r = account.post(f"/v1/customers/{customer['id']}",
                     {"invoice_settings[default_payment_method]": ""})
    assert r.get_json()["invoice_settings"]["default_payment_method"] is None
    assert r.get_json()["invoice_settings"]["footer"] == "Bye"


def test_a_payment_method_not_attached_to_the_customer_is_refused(account):
    jo = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()
    bo = account.post("/v1/customers", {"email": "bo@example.com"}).get_json()
    bos = attached(account, bo["id"])
    loose = account.post("/v1/payment_methods", {"type": "card",
                                                 "card[token]": "tok_visa"}).get_json()["id"]
    for method in (bos, loose, "pm_1NoSuchMethod12345", "pm_card_visa"):
        r = account.post(f"/v1/customers/{jo['id']}",
                         {"invoice_settings[default_payment_method]": method,
                          "name": "Jo"})
        assert_error(r, 400, **not_attached(method))
    shown = account.get(f"/v1/customers/{jo['id']}").get_json()
    assert (shown["name"], shown["invoice_settings"]["default_payment_method"]) == (None, None)
    # A new customer has none attached: any id is refused, and nothing is made.
    r = account.post("/v1/customers", {"invoice_settings[default_payment_method]": bos})
    assert_error(r, 400, **not_attached(bos))
    assert len(account.get("/v1/customers").get_json()["data"]) == 2


def test_detaching_the_default_removes_it(account):
    customer = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()
    method = attached(account, customer["id"])
    kept = attached(account, customer["id"])
    account.post(f"/v1/customers/{customer['id']}",
                 {"invoice_settings[default_payment_method]": method})
    assert account.post(f"/v1/payment_methods/{kept}/detach").status_code == 200
    shown = account.get(f"/v1/customers/{customer['id']}").get_json()
    assert shown["invoice_settings"]["default_payment_method"] == method
    assert account.post(f"/v1/payment_methods/{method}/detach").status_code == 200
    shown = account.get(f"/v1/customers/{customer['id']}").get_json()
    assert shown["invoice_settings"]["default_payment_method"] is None
    event = account.get("/v1/events?type=customer.updated&limit=1").get_json()["data"][0]
    assert event["data"]["previous_attributes"]["invoice_settings"][
        "default_payment_method"] == method


def test_expanding_it_needs_payment_method_read(account):
    customer = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()
    key = account.create_key(permissions=["customer_read"])
    r = account.get(f"/v1/customers/{customer['id']}", key=key,
                    query_string={"expand[]": "invoice_settings.default_payment_method"})
    assert_error(r, 403, message=messages.MISSING_PERMISSION.format(
        masked=keys.mask(key), account=account.account_id, permission="payment_method_read"))
    with_it = account.create_key(permissions=["customer_read", "payment_method_read"])
    r = account.get(f"/v1/customers/{customer['id']}", key=with_it,
                    query_string={"expand[]": "invoice_settings.default_payment_method"})
    assert (r.status_code, r.get_json()["invoice_settings"]["default_payment_method"]) == (
        200, None)
