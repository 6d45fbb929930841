"""Stripe parameters that only describe an object (a customer's address, shipping, locales,
tax status and invoice settings; a card's billing address): accepted with Stripe's checks,
kept, and returned where Stripe returns them. Payground never acts on them."""

import time

import pytest

from payground import messages
from tests.helpers import assert_error

YEAR = time.gmtime().tm_year + 2
NO_ADDRESS = {"city": None, "country": None, "line1": None, "line2": None,
              "postal_code": None, "state": None}


def card(**extra):
    return {"card[number]": "4242424242424242", "card[exp_month]": "12",
            "card[exp_year]": str(YEAR), **{f"card[{k}]": v for k, v in extra.items()}}


# -- customers ---------------------------------------------------------------------------------


def test_a_customer_keeps_its_descriptive_fields(account):
    r = account.post("/v1/customers", {
        "address[line1]": "1 Main St", "address[city]": "Paris",
        "address[country]": "France",  # freeform on a customer, as on Stripe
        "shipping[name]": "Jo", "shipping[address][postal_code]": "75001",
        "shipping[phone]": "+33 1 23 45 67 89",
        "preferred_locales[]": ["fr-FR", "en"], "tax_exempt": "reverse",
        "invoice_prefix": "JO2024", "next_invoice_sequence": "7",
        "invoice_settings[footer]": "Merci",
        "invoice_settings[custom_fields][0][name]": "VAT",
        "invoice_settings[custom_fields][0][value]": "FR123",
        "invoice_settings[rendering_options][amount_tax_display]": "exclude_tax"})
    assert r.status_code == 200, r.get_json()
    expected = {
        "address": {**NO_ADDRESS, "line1": "1 Main St", "city": "Paris", "country": "France"},
        "shipping": {"address": {**NO_ADDRESS, "postal_code": "75001"}, "carrier": None,
                     "name": "Jo", "phone": "+33 1 23 45 67 89", "tracking_number": None},
        "preferred_locales": ["fr-FR", "en"], "tax_exempt": "reverse",
        "invoice_prefix": "JO2024", "next_invoice_sequence": 7,
        "invoice_settings": {
            "custom_fields": [{"name": "VAT", "value": "FR123"}],
            "default_payment_method": None, "footer": "Merci",
            "rendering_options": {"amount_tax_display": "exclude_tax", "template": None}}}
    created = r.get_json()
    assert {k: created[k] for k in expected} == expected
    again = account.get(f"/v1/customers/{created['id']}").get_json()
    assert {k: again[k] for k in expected} == expected


def test_a_customer_without_them_shows_stripes_defaults(account):
    customer = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()
    assert (customer["address"], customer["shipping"], customer["preferred_locales"],
            customer["tax_exempt"], customer["invoice_prefix"],
            customer["next_invoice_sequence"]) == (None, None, [], "none", None, 1)


def test_an_update_changes_each_invoice_setting_on_its_own_and_empty_unsets(account):
    customer = account.post("/v1/customers", {
        "address[line1]": "1 Main St", "shipping[name]": "Jo",
        "shipping[address][line1]": "2 Side St", "tax_exempt": "exempt",
        "preferred_locales[]": "de", "invoice_settings[footer]": "Danke",
        "invoice_settings[custom_fields][0][name]": "PO",
        "invoice_settings[custom_fields][0][value]": "42"}).get_json()
    r = account.post(f"/v1/customers/{customer['id']}", {
        "address": "", "shipping": "", "tax_exempt": "", "preferred_locales": "",
        "invoice_settings[footer]": ""})
    assert r.status_code == 200, r.get_json()
    updated = r.get_json()
    assert (updated["address"], updated["shipping"], updated["tax_exempt"],
            updated["preferred_locales"]) == (None, None, "none", [])
    assert updated["invoice_settings"]["footer"] is None
    assert updated["invoice_settings"]["custom_fields"] == [{"name": "PO", "value": "42"}]
    r = account.post(f"/v1/customers/{customer['id']}", {
        "address[postal_code]": "10115", "invoice_settings[custom_fields]": ""})
    updated = r.get_json()
    assert updated["address"] == {**NO_ADDRESS, "postal_code": "10115"}
    assert updated["invoice_settings"]["custom_fields"] is None
    event = account.get("/v1/events?type=customer.updated&limit=1").get_json()["data"][0]
    assert event["data"]["previous_attributes"]["address"] is None


@pytest.mark.parametrize("params, code, param, message", [
    ({"invoice_prefix": "abc"}, None, "invoice_prefix", messages.INVOICE_PREFIX_INVALID),
    ({"invoice_prefix": "ABCDEFGHIJKLM"}, None, "invoice_prefix",
     messages.INVOICE_PREFIX_INVALID),
    ({"tax_exempt": "sometimes"}, None, "tax_exempt",
     "Invalid tax_exempt: must be one of exempt, none, reverse"),
    ({"preferred_locales[]": ["en", "not a locale"]}, None, "preferred_locales[1]",
     "Invalid preferred_locales[1]: must be a language tag such as en, fr-FR or zh-Hant-TW."),
    ({"preferred_locales": "en"}, None, "preferred_locales", messages.INVALID_ARRAY),
    ({"next_invoice_sequence": "0"}, "parameter_invalid_integer", "next_invoice_sequence",
     "This value must be greater than or equal to 1."),
    ({"next_invoice_sequence": "first"}, "parameter_invalid_integer",
     "next_invoice_sequence", "Invalid integer: first"),
    ({"address": "1 Main St"}, None, "address", messages.INVALID_HASH),
    ({"address[line1]": "x" * 201}, "parameter_invalid_string", "address[line1]",
     f"Invalid string: {'x' * 57}...; must be at most 200 characters"),
    ({"shipping[name]": "Jo"}, "parameter_missing", "shipping[address]",
     "Missing required param: shipping[address]."),
    ({"shipping[address][line1]": "1 Main St"}, "parameter_missing", "shipping[name]",
     "Missing required param: shipping[name]."),
    ({"shipping[name]": "Jo", "shipping[address][line1]": "x", "shipping[carrier]": "UPS"},
     "parameter_unknown", "shipping[carrier]", "Received unknown parameter: shipping[carrier]"),
    ({"invoice_settings[custom_fields][0][name]": "PO"}, "parameter_missing",
     "invoice_settings[custom_fields][0][value]",
     "Missing required param: invoice_settings[custom_fields][0][value]."),
    ({"invoice_settings[custom_fields][0][name]": "n" * 41,
      "invoice_settings[custom_fields][0][value]": "v"}, "parameter_invalid_string",
     "invoice_settings[custom_fields][0][name]",
     f"Invalid string: {'n' * 41}; must be at most 40 characters"),
    ({**{f"invoice_settings[custom_fields][{i}][name]": "n" for i in range(5)},
      **{f"invoice_settings[custom_fields][{i}][value]": "v" for i in range(5)}}, None,
     "invoice_settings[custom_fields]",
     "Invalid invoice_settings[custom_fields]: a customer can have at most 4 custom fields."),
    ({"invoice_settings[rendering_options][amount_tax_display]": "always"}, None,
     "invoice_settings[rendering_options][amount_tax_display]",
     "Invalid invoice_settings[rendering_options][amount_tax_display]: must be one of "
     "exclude_tax, include_inclusive_tax"),
])
def test_bad_values_are_stripes_400_naming_the_parameter(account, params, code, param,
                                                         message):
    assert_error(account.post("/v1/customers", params), 400, code=code, param=param,
                 message=message)
    assert account.get("/v1/customers").get_json()["data"] == []


def test_a_key_in_an_address_is_refused_not_stored(account):
    r = account.post("/v1/customers", {"address[line1]": account.secret_key})
    assert_error(r, 400, code="parameter_invalid_string", param="address[line1]",
                 message=messages.SECRET_IN_VALUE.format(param="address[line1]"))
    assert account.get("/v1/customers").get_json()["data"] == []


# -- card addresses ----------------------------------------------------------------------------


def test_a_tokens_card_keeps_its_address_and_the_charge_shows_it(account):
    r = account.post("/v1/tokens", card(name="Jo", address_line1="1 Main St",
                                        address_line2="", address_city="SF",
                                        address_state="CA", address_zip="94107",
                                        address_country="US", currency="usd"))
    assert r.status_code == 200, r.get_json()
    token = r.get_json()
    shown = {k: v for k, v in token["card"].items() if k.startswith("address_")}
    assert shown == {"address_city": "SF", "address_country": "US",
                     "address_line1": "1 Main St", "address_line1_check": "unchecked",
                     "address_line2": None, "address_state": "CA", "address_zip": "94107",
                     "address_zip_check": "unchecked"}
    assert "currency" not in token["card"]  # Stripe uses it for Connect debit cards only
    charge = account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                          "source": token["id"]}).get_json()
    assert (charge["source"]["address_line1"], charge["source"]["address_line1_check"],
            charge["source"]["address_zip_check"]) == ("1 Main St", "pass", "pass")
    assert charge["billing_details"]["address"] == {
        "city": "SF", "country": "US", "line1": "1 Main St", "line2": None,
        "postal_code": "94107", "state": "CA"}
    assert charge["billing_details"]["name"] == "Jo"
    checks = charge["payment_method_details"]["card"]["checks"]
    assert (checks["address_line1_check"], checks["address_postal_code_check"]) == (
        "pass", "pass")


def test_a_card_without_an_address_shows_nulls(account):
    token = account.post("/v1/tokens", card()).get_json()
    assert (token["card"]["address_line1"], token["card"]["address_line1_check"],
            token["card"]["address_zip_check"]) == (None, None, None)


@pytest.mark.parametrize("currency", ["thb", "XOF", "usd"])
def test_a_cards_currency_is_any_iso_code_and_ignored(account, currency):
    # Stripe ignores it on cards that are not a Connect account's debit card: a currency
    # Payground does not charge in is fine there.
    r = account.post("/v1/tokens", card(currency=currency))
    assert r.status_code == 200, r.get_json()
    assert "currency" not in r.get_json()["card"]


@pytest.mark.parametrize("extra, code, param, message", [
    ({"currency": "us"}, None, "card[currency]", messages.CARD_CURRENCY_INVALID.format(
        value="us")),
    ({"currency": "us1"}, None, "card[currency]",
     "Invalid currency: us1. A card's currency is a three-letter ISO 4217 code, such as usd."),
    ({"currency": "usdd"}, None, "card[currency]", messages.CARD_CURRENCY_INVALID.format(
        value="usdd")),
    ({"currency": "ü€$"}, None, "card[currency]", messages.CARD_CURRENCY_INVALID.format(
        value="ü€$")),
    ({"currency": ""}, "parameter_invalid_empty", "card[currency]",
     "You passed an empty string for 'card[currency]'. We assume empty values are an attempt "
     "to unset a parameter; however 'card[currency]' cannot be unset. You should remove "
     "'card[currency]' from your request or supply a non-empty value."),
    ({"address_zip": "9" * 21}, "parameter_invalid_string", "card[address_zip]",
     f"Invalid string: {'9' * 21}; must be at most 20 characters"),
])
def test_bad_card_address_values(account, extra, code, param, message):
    assert_error(account.post("/v1/tokens", card(**extra)), 400, code=code, param=param,
                 message=message)


def test_card_networks_are_still_unknown(account):
    r = account.post("/v1/tokens", {**card(), "card[networks][preferred]": "visa"})
    assert_error(r, 400, code="parameter_unknown", param="card[networks]",
                 message="Received unknown parameter: card[networks]")


def test_a_json_number_as_an_address_line_is_refused(account):
    r = account.post("/v1/tokens", json={"card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": YEAR,
        "address_zip": 94107}})
    assert_error(r, 400, code="parameter_invalid_string", param="card[address_zip]",
                 message="Invalid string: 94107")


def test_a_payment_method_takes_a_billing_address_or_its_tokens(account):
    r = account.post("/v1/payment_methods", {
        "type": "card", "card[token]": "tok_visa", "billing_details[address][line1]": "1 Main",
        "billing_details[address][postal_code]": "94107"})
    assert r.status_code == 200, r.get_json()
    method = r.get_json()
    assert method["billing_details"]["address"] == {**NO_ADDRESS, "line1": "1 Main",
                                                    "postal_code": "94107"}
    assert method["card"]["checks"] == {"address_line1_check": "unchecked",
                                        "address_postal_code_check": "unchecked",
                                        "cvc_check": None}
    intent = account.post("/v1/payment_intents", {
        "amount": 500, "currency": "usd", "payment_method": method["id"],
        "confirm": "true"}).get_json()
    charge = account.get(f"/v1/charges/{intent['latest_charge']}").get_json()
    assert charge["billing_details"]["address"] == method["billing_details"]["address"]
    token = account.post("/v1/tokens", card(address_city="Paris")).get_json()
    method = account.post("/v1/payment_methods", {"type": "card",
                                                  "card[token]": token["id"]}).get_json()
    assert method["billing_details"]["address"] == {**NO_ADDRESS, "city": "Paris"}
    r = account.post("/v1/payment_methods", {"type": "card", "card[token]": "tok_visa",
                                             "billing_details[address][country]": "USA"})
    assert_error(r, 400, code="parameter_invalid_string",
                 param="billing_details[address][country]",
                 message="Invalid string: USA; must be at most 2 characters")
