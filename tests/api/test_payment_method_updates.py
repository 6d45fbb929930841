"""POST /v1/payment_methods/{id}: billing details, expiry, metadata and allow_redisplay of a
payment method attached to a customer."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from payground import messages
from payground.core import keys
from tests.api.test_payment_methods import YEAR, attach, card, created, customer
from tests.api.test_three_d_secure import press
from tests.helpers import assert_error

NO_ADDRESS = {"city": None, "country": None, "line1": None, "line2": None,
              "postal_code": None, "state": None}


def update(account, method_id, params=None, key=None):
    return account.post(f"/v1/payment_methods/{method_id}", params or {}, key=key)


def updated(account, method_id, params) -> dict:
    r = update(account, method_id, params)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def saved(account, params=None) -> dict:
    """A payment method attached to a new customer."""
    method = created(account, params)
    r = attach(account, method["id"], customer(account))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def updates(account) -> list[dict]:
    return account.get("/v1/events?type=payment_method.updated").get_json()["data"]


def test_update_billing_details_expiry_metadata_and_allow_redisplay(account):
    method = saved(account, card(**{"billing_details[name]": "Jo Doe", "metadata[a]": "1"}))
    assert method["allow_redisplay"] == "unspecified"
    r = update(account, method["id"], {
        "billing_details[email]": "jo@example.com", "billing_details[phone]": "+15555550100",
        "billing_details[address][line1]": "1 Main St",
        "billing_details[address][postal_code]": "94107",
        "card[exp_month]": "3", "card[exp_year]": str(YEAR + 4),
        "metadata[b]": "2", "allow_redisplay": "always"})
    assert r.status_code == 200, r.get_json()
    got = r.get_json()
    assert got["billing_details"] == {
        "address": {**NO_ADDRESS, "line1": "1 Main St", "postal_code": "94107"},
        "email": "jo@example.com", "name": "Jo Doe", "phone": "+15555550100", "tax_id": None}
    assert (got["card"]["exp_month"], got["card"]["exp_year"]) == (3, YEAR + 4)
    assert (got["metadata"], got["allow_redisplay"]) == ({"a": "1", "b": "2"}, "always")
    # The address given is not checked yet; nothing else moved: the same card, the customer's.
    assert got["card"]["checks"] == {"address_line1_check": "unchecked",
                                     "address_postal_code_check": "unchecked",
                                     "cvc_check": "unchecked"}
    kept = ("exp_month", "exp_year", "checks")
    assert {k: v for k, v in got["card"].items() if k not in kept} == {
        k: v for k, v in method["card"].items() if k not in kept}
    assert (got["id"], got["customer"], got["created"]) == (
        method["id"], method["customer"], method["created"])
    assert account.get(f"/v1/payment_methods/{method['id']}").get_json() == got


def test_an_update_sends_payment_method_updated_with_what_changed(account):
    method = saved(account, card(**{"billing_details[name]": "Jo Doe"}))
    got = updated(account, method["id"], {"billing_details[name]": "Jo Smith",
                                          "card[exp_month]": "4", "metadata[plan]": "pro"})
    [event] = updates(account)
    assert event["data"]["object"] == got
    assert event["data"]["previous_attributes"] == {
        "billing_details": {"name": "Jo Doe"}, "card": {"exp_month": 12},
        "metadata": {"plan": None}}  # as Stripe says of a key that was not there


def test_an_update_that_changes_nothing_sends_no_event(account):
    method = saved(account, card(**{"billing_details[name]": "Jo Doe", "metadata[a]": "1"}))
    got = updated(account, method["id"], {"billing_details[name]": "Jo Doe",
                                          "card[exp_year]": str(YEAR + 2), "metadata[a]": "1"})
    assert got == method
    assert updated(account, method["id"], {}) == method
    assert updates(account) == []


def test_billing_details_are_merged_and_an_empty_value_unsets_one(account):
    method = saved(account, card(**{
        "billing_details[name]": "Jo Doe", "billing_details[email]": "jo@example.com",
        "billing_details[address][line1]": "1 Main St",
        "billing_details[address][city]": "Springfield"}))
    got = updated(account, method["id"], {"billing_details[address][city]": "",
                                          "billing_details[address][country]": "US",
                                          "billing_details[name]": ""})
    assert got["billing_details"] == {
        "address": {**NO_ADDRESS, "line1": "1 Main St", "country": "US"},
        "email": "jo@example.com", "name": None, "phone": None, "tax_id": None}
    # `address=` removes all of it.
    got = updated(account, method["id"], {"billing_details[address]": ""})
    assert got["billing_details"]["address"] == NO_ADDRESS
    assert got["billing_details"]["email"] == "jo@example.com"


def test_metadata_follows_stripes_update_rules(account):
    method = saved(account, card(**{"metadata[a]": "1", "metadata[b]": "2"}))
    assert updated(account, method["id"], {"metadata[a]": "",
                                           "metadata[c]": "3"})["metadata"] == {"b": "2",
                                                                                "c": "3"}
    assert updated(account, method["id"], {"metadata": ""})["metadata"] == {}
    r = update(account, method["id"], {f"metadata[{'k' * 41}]": "v"})
    assert_error(r, 400, param="metadata", message=(
        f"Invalid metadata: keys can be at most 40 characters long; {'k' * 41} is 41."))


def test_a_new_address_is_unchecked_until_the_card_is_charged_again(account):
    method = saved(account, card(**{"billing_details[address][postal_code]": "94107"}))
    r = account.post("/v1/payment_intents", {
        "amount": 1000, "currency": "usd", "customer": method["customer"],
        "payment_method": method["id"], "confirm": "true"})
    assert r.status_code == 200, r.get_json()
    checks = account.get(f"/v1/payment_methods/{method['id']}").get_json()["card"]["checks"]
    assert checks["address_postal_code_check"] == "pass"
    # A change elsewhere keeps the issuer's answer; a new postal code was never checked.
    got = updated(account, method["id"], {"billing_details[address][city]": "Springfield"})
    assert got["card"]["checks"]["address_postal_code_check"] == "pass"
    got = updated(account, method["id"], {"billing_details[address][postal_code]": "10001"})
    assert got["card"]["checks"]["address_postal_code_check"] == "unchecked"


def test_an_expired_card_given_its_new_date_is_charged(account):
    """Payments read the expiry from the payment method: once updated, it is what counts."""
    today = datetime.fromtimestamp(account.advance_clock(1), timezone.utc)
    method = saved(account, card(**{"card[exp_month]": str(today.month),
                                    "card[exp_year]": str(today.year)}))
    account.advance_clock(40 * 86400)  # its expiry month is over on the account's clock
    pay = {"amount": 1000, "currency": "usd", "customer": method["customer"],
           "payment_method": method["id"], "confirm": "true"}
    assert_error(account.post("/v1/payment_intents", pay), 402, type="card_error",
                 code="expired_card", param="exp_month", message=messages.CARD_EXPIRED)

    got = updated(account, method["id"], {"card[exp_year]": str(today.year + 3)})
    assert (got["card"]["exp_month"], got["card"]["exp_year"]) == (today.month, today.year + 3)
    r = account.post("/v1/payment_intents", pay)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "succeeded"
    charge = account.get(f"/v1/charges/{r.get_json()['latest_charge']}").get_json()
    assert charge["payment_method_details"]["card"]["exp_year"] == today.year + 3


@pytest.mark.parametrize("params, code, param, message", [
    ({"card[exp_month]": "13"}, "invalid_expiry_month", "exp_month",
     messages.INVALID_EXPIRY_MONTH),
    ({"card[exp_month]": "0"}, "invalid_expiry_month", "exp_month",
     messages.INVALID_EXPIRY_MONTH),
    ({"card[exp_year]": str(YEAR - 1)}, "invalid_expiry_year", "exp_year",
     messages.INVALID_EXPIRY_YEAR),
    ({"card[exp_year]": str(YEAR + 51)}, "invalid_expiry_year", "exp_year",
     messages.INVALID_EXPIRY_YEAR),
])
def test_a_bad_expiry_is_refused_as_a_new_cards_is(account, params, code, param, message):
    method = saved(account)
    assert_error(update(account, method["id"], {**params, "metadata[a]": "1"}), 402,
                 type="card_error", code=code, param=param, message=message)
    assert account.get(f"/v1/payment_methods/{method['id']}").get_json() == method
    assert updates(account) == []


def test_the_month_sent_is_checked_with_the_year_kept(account):
    today = datetime.fromtimestamp(account.advance_clock(1), timezone.utc)
    if today.month == 1:  # so that a month of this year is over
        today = datetime.fromtimestamp(account.advance_clock(31 * 86400), timezone.utc)
    method = saved(account, card(**{"card[exp_month]": "12",
                                    "card[exp_year]": str(today.year)}))
    assert_error(update(account, method["id"], {"card[exp_month]": str(today.month - 1)}),
                 402, type="card_error", code="invalid_expiry_month", param="exp_month",
                 message=messages.INVALID_EXPIRY_MONTH)
    got = updated(account, method["id"], {"card[exp_month]": str(today.month)})
    assert (got["card"]["exp_month"], got["card"]["exp_year"]) == (today.month, today.year)


@pytest.mark.parametrize("params, code, param, message", [
    ({"card[exp_month]": "abc"}, "parameter_invalid_integer", "card[exp_month]",
     "Invalid integer: abc"),
    ({"card[exp_year]": ""}, "parameter_invalid_empty", "card[exp_year]",
     messages.INVALID_EMPTY.format(param="card[exp_year]")),
    ({"card[number]": "4242424242424242"}, "parameter_unknown", "card[number]",
     "Received unknown parameter: card[number]"),
    ({"type": "card"}, "parameter_unknown", "type", "Received unknown parameter: type"),
    ({"customer": "cus_x"}, "parameter_unknown", "customer",
     "Received unknown parameter: customer"),
    ({"allow_redisplay": "sometimes"}, None, "allow_redisplay",
     "Invalid allow_redisplay: must be one of always, limited, unspecified"),
    ({"allow_redisplay": ""}, "parameter_invalid_empty", "allow_redisplay",
     messages.INVALID_EMPTY.format(param="allow_redisplay")),
    ({"billing_details[email]": "nope"}, "email_invalid", "billing_details[email]",
     "Invalid email address: nope"),
    ({"billing_details[address][country]": "USA"}, "parameter_invalid_string",
     "billing_details[address][country]", "Invalid string: USA; must be at most 2 characters"),
    ({"billing_details[tax_id]": "x"}, "parameter_unknown", "billing_details[tax_id]",
     "Received unknown parameter: billing_details[tax_id]"),
    ({"billing_details": "x"}, None, "billing_details", messages.INVALID_HASH),
])
def test_bad_parameters(account, params, code, param, message):
    method = saved(account)
    assert_error(update(account, method["id"], {**params, "metadata[a]": "1"}), 400,
                 code=code, param=param, message=message)
    assert account.get(f"/v1/payment_methods/{method['id']}").get_json() == method
    assert "4242424242424242" not in str(updates(account))


def test_a_method_not_saved_to_a_customer_cannot_be_updated(account):
    fresh = created(account)
    detached = saved(account)
    account.post(f"/v1/payment_methods/{detached['id']}/detach")
    for method_id in (fresh["id"], detached["id"]):
        before = account.get(f"/v1/payment_methods/{method_id}").get_json()
        r = update(account, method_id, {"metadata[a]": "1", "card[exp_month]": "13"})
        assert_error(r, 400, code=None, param=None,
                     message=messages.PAYMENT_METHOD_UPDATE_UNATTACHED)
        assert account.get(f"/v1/payment_methods/{method_id}").get_json() == before
    assert updates(account) == []


def test_unknown_other_mode_and_other_account_are_the_404s_of_retrieving(account, make_account):
    assert_error(update(account, "pm_nope", {"metadata[a]": "1"}), 404, code="resource_missing",
                 param="id", message="No such PaymentMethod: 'pm_nope'")
    # A magic id is no payment method of the account's either.
    assert_error(update(account, "pm_card_visa"), 404, code="resource_missing", param="id",
                 message="No such PaymentMethod: 'pm_card_visa'")
    method = saved(account)
    live = account.activate()
    assert_error(update(account, method["id"], {"metadata[a]": "1"}, key=live), 404,
                 code="resource_missing", param="id",
                 message=messages.NO_SUCH_OTHER_MODE.format(
                     noun="PaymentMethod", id=method["id"], other="test", mode="live"))
    other = make_account()
    assert_error(update(other, method["id"], {"metadata[a]": "1"}), 404,
                 code="resource_missing", param="id",
                 message=f"No such PaymentMethod: '{method['id']}'")
    assert account.get(f"/v1/payment_methods/{method['id']}").get_json() == method


def test_live_mode_updates_its_own(account):
    live = account.activate()
    cus = account.post("/v1/customers", {"email": "jo@example.com"}, key=live).get_json()["id"]
    r = account.post("/v1/payment_methods", {
        "type": "card", "card[number]": "4012888888881881", "card[exp_month]": "12",
        "card[exp_year]": str(YEAR + 2)}, key=account.live_publishable_key)
    assert r.status_code == 200, r.get_json()
    method = r.get_json()["id"]
    assert account.post(f"/v1/payment_methods/{method}/attach", {"customer": cus},
                        key=live).status_code == 200
    got = update(account, method, {"metadata[a]": "1"}, key=live).get_json()
    assert (got["livemode"], got["metadata"]) == (True, {"a": "1"})
    assert account.get("/v1/events?type=payment_method.updated",
                       key=live).get_json()["data"][0]["livemode"] is True
    assert updates(account) == []  # the test mode's events


def test_needs_payment_method_write_and_a_secret_key(account):
    method = saved(account)
    r = update(account, method["id"], {"metadata[a]": "1"}, key=account.publishable_key)
    assert_error(r, 401, code="secret_key_required", message=messages.SECRET_KEY_REQUIRED)
    key = account.create_key(permissions=["payment_method_read"])
    r = update(account, method["id"], {"metadata[a]": "1"}, key=key)
    assert_error(r, 403, message=messages.MISSING_PERMISSION.format(
        masked=keys.mask(key), account=account.account_id, permission="payment_method_write"))
    assert account.get(f"/v1/payment_methods/{method['id']}").get_json() == method
    allowed = account.create_key(permissions=["payment_method_write"])
    assert update(account, method["id"], {"metadata[a]": "1"}, key=allowed).status_code == 200


def test_a_json_body_and_expand_work_as_on_the_other_endpoints(account):
    method = saved(account)
    r = account.client.post(f"/v1/payment_methods/{method['id']}", headers=account.auth(),
                            json={"card": {"exp_month": 5}, "expand": ["customer"]})
    assert r.status_code == 200, r.get_json()
    got = r.get_json()
    assert (got["card"]["exp_month"], got["customer"]["id"]) == (5, method["customer"])


# -- second reading ------------------------------------------------------------------------


def charged(account, method) -> None:
    r = account.post("/v1/payment_intents", {
        "amount": 1000, "currency": "usd", "customer": method["customer"],
        "payment_method": method["id"], "confirm": "true"})
    assert r.status_code == 200, r.get_json()


def test_previous_attributes_name_only_the_nested_keys_that_changed(account):
    """Stripe's `previous_attributes` go down into hashes: a new line 1 names the old line 1
    (not the whole address), and the checks it made `unchecked` (not the CVC's)."""
    method = saved(account, card(**{"billing_details[address][line1]": "1 Main St",
                                    "billing_details[address][postal_code]": "94107",
                                    "billing_details[address][city]": "Springfield"}))
    charged(account, method)
    got = updated(account, method["id"], {"billing_details[address][line1]": "2 Main St"})
    assert got["card"]["checks"] == {"address_line1_check": "unchecked",
                                     "address_postal_code_check": "unchecked",
                                     "cvc_check": "pass"}
    [event] = updates(account)
    assert event["data"]["previous_attributes"] == {
        "billing_details": {"address": {"line1": "1 Main St"}},
        "card": {"checks": {"address_line1_check": "pass",
                            "address_postal_code_check": "pass"}}}
    # A city alone keeps the issuer's answers: only the city is named.
    updated(account, method["id"], {"billing_details[address][city]": "Shelbyville"})
    assert updates(account)[0]["data"]["previous_attributes"] == {
        "billing_details": {"address": {"city": "Springfield"}}}


def test_removing_the_address_names_what_it_held(account):
    method = saved(account, card(**{"billing_details[address][country]": "US",
                                    "billing_details[name]": "Jo Doe"}))
    updated(account, method["id"], {"billing_details[address]": ""})
    [event] = updates(account)
    assert event["data"]["previous_attributes"] == {
        "billing_details": {"address": {"country": "US"}}}


def test_allow_redisplay_is_taken_on_create_too(account):
    """Stripe's `POST /v1/payment_methods` takes `allow_redisplay` (Stripe.js sends it with a
    publishable key); a token's card too."""
    method = created(account, card(allow_redisplay="always"))
    assert method["allow_redisplay"] == "always"
    from_token = created(account, {"type": "card", "card[token]": "tok_visa",
                                   "allow_redisplay": "limited"})
    assert from_token["allow_redisplay"] == "limited"
    assert account.get(f"/v1/payment_methods/{method['id']}").get_json() == method
    assert created(account)["allow_redisplay"] == "unspecified"
    r = account.post("/v1/payment_methods", card(allow_redisplay="sometimes"),
                     key=account.publishable_key)
    assert_error(r, 400, code=None, param="allow_redisplay",
                 message="Invalid allow_redisplay: must be one of always, limited, unspecified")
    r = account.post("/v1/payment_methods", card(allow_redisplay=""),
                     key=account.publishable_key)
    assert_error(r, 400, code="parameter_invalid_empty", param="allow_redisplay",
                 message=messages.INVALID_EMPTY.format(param="allow_redisplay"))


@pytest.mark.parametrize("params, param", [
    ({"billing_details[foo]": "x"}, "billing_details[foo]"),
    ({"billing_details[address][foo]": "x"}, "billing_details[address][foo]"),
    ({"card[cvc]": "123"}, "card[cvc]"),
    ({"card[networks][preferred]": "visa"}, "card[networks]"),
    ({"us_bank_account[account_type]": "checking"}, "us_bank_account"),
])
def test_unknown_nested_parameters_are_named_in_full(account, params, param):
    method = saved(account)
    assert_error(update(account, method["id"], {**params, "metadata[a]": "1"}), 400,
                 code="parameter_unknown", param=param,
                 message=f"Received unknown parameter: {param}")
    assert account.get(f"/v1/payment_methods/{method['id']}").get_json() == method
    assert updates(account) == []


@pytest.mark.parametrize("value", ["-1", "99999999999999999999", "1.5", " 3"])
def test_odd_months(account, value):
    method = saved(account)
    r = update(account, method["id"], {"card[exp_month]": value})
    if value == "-1":
        assert_error(r, 402, type="card_error", code="invalid_expiry_month", param="exp_month",
                     message=messages.INVALID_EXPIRY_MONTH)
    else:
        assert_error(r, 400, code="parameter_invalid_integer", param="card[exp_month]",
                     message=f"Invalid integer: {value}")
    assert account.get(f"/v1/payment_methods/{method['id']}").get_json() == method


def test_a_two_digit_year_is_this_century_and_the_year_after_fifty_is_refused(account):
    method = saved(account)
    got = updated(account, method["id"], {"card[exp_year]": str((YEAR + 3) % 100)})
    assert got["card"]["exp_year"] == YEAR + 3
    assert_error(update(account, method["id"], {"card[exp_year]": "2101"}), 402,
                 type="card_error", code="invalid_expiry_year", param="exp_year",
                 message=messages.INVALID_EXPIRY_YEAR)


def test_a_replayed_update_answers_as_the_first_and_sends_no_second_event(account):
    method = saved(account)
    headers = {"Idempotency-Key": "rename-1"}
    first = account.post(f"/v1/payment_methods/{method['id']}",
                         {"billing_details[name]": "Jo Doe"}, headers=headers)
    assert first.status_code == 200, first.get_json()
    updated(account, method["id"], {"billing_details[name]": "Bo Doe"})
    again = account.post(f"/v1/payment_methods/{method['id']}",
                         {"billing_details[name]": "Jo Doe"}, headers=headers)
    assert (again.status_code, again.data) == (200, first.data)
    assert again.headers["Idempotent-Replayed"] == "true"
    # Not applied again: the later name stays, and there are the two updates' events only.
    shown = account.get(f"/v1/payment_methods/{method['id']}").get_json()
    assert shown["billing_details"]["name"] == "Bo Doe"
    assert len(updates(account)) == 2


def test_an_update_leaves_the_customer_and_its_default_alone(account):
    method = saved(account)
    cus = method["customer"]
    r = account.post(f"/v1/customers/{cus}",
                     {"invoice_settings[default_payment_method]": method["id"]})
    assert r.status_code == 200, r.get_json()
    before = account.get(f"/v1/customers/{cus}").get_json()
    seen = len(account.get("/v1/events?limit=100").get_json()["data"])
    updated(account, method["id"], {"billing_details[email]": "bo@example.com",
                                    "card[exp_month]": "1", "card[exp_year]": str(YEAR + 5)})
    assert account.get(f"/v1/customers/{cus}").get_json() == before
    events = account.get("/v1/events?limit=100").get_json()["data"]
    assert [e["type"] for e in events[:len(events) - seen]] == ["payment_method.updated"]
    listed = account.get(f"/v1/customers/{cus}/payment_methods").get_json()["data"]
    assert [(m["id"], m["card"]["exp_month"], m["billing_details"]["email"])
            for m in listed] == [(method["id"], 1, "bo@example.com")]


def test_a_method_waiting_for_3d_secure_pays_with_its_updated_card(account):
    """An update while its intent waits for 3-D Secure: the charge made once authenticated
    copies the card as it is then."""
    method = saved(account, card("4000002500003155"))
    r = account.post("/v1/payment_intents", {
        "amount": 1000, "currency": "usd", "customer": method["customer"],
        "payment_method": method["id"], "confirm": "true",
        "return_url": "https://example.com/done"})
    assert r.status_code == 200, r.get_json()
    intent = r.get_json()
    assert intent["status"] == "requires_action"
    updated(account, method["id"], {"card[exp_year]": str(YEAR + 6),
                                    "billing_details[name]": "Jo Doe"})
    r = press(account, intent)
    assert r.status_code == 303, r.get_data(as_text=True)
    paid = account.get(f"/v1/payment_intents/{intent['id']}").get_json()
    assert paid["status"] == "succeeded"
    charge = account.get(f"/v1/charges/{paid['latest_charge']}").get_json()
    details = charge["payment_method_details"]["card"]
    assert (details["exp_month"], details["exp_year"]) == (12, YEAR + 6)
    assert charge["billing_details"]["name"] == "Jo Doe"


def test_a_removed_postal_code_leaves_line_1_unchecked_until_the_next_charge(account):
    method = saved(account, card(**{"billing_details[address][line1]": "1 Main St",
                                    "billing_details[address][postal_code]": "94107"}))
    charged(account, method)
    got = updated(account, method["id"], {"billing_details[address][postal_code]": ""})
    assert got["card"]["checks"] == {"address_line1_check": "unchecked",
                                     "address_postal_code_check": None, "cvc_check": "pass"}
    charged(account, got)
    checks = account.get(f"/v1/payment_methods/{method['id']}").get_json()["card"]["checks"]
    assert checks == {"address_line1_check": "pass", "address_postal_code_check": None,
                      "cvc_check": "pass"}


def test_tax_id_is_refused_on_create_as_on_update(account):
    """README: `billing_details[tax_id]` (Stripe's, for LATAM buyers) is not taken yet."""
    r = account.post("/v1/payment_methods", card(**{"billing_details[tax_id]": "x"}),
                     key=account.publishable_key)
    assert_error(r, 400, code="parameter_unknown", param="billing_details[tax_id]",
                 message="Received unknown parameter: billing_details[tax_id]")


def test_an_update_clearing_the_checks_frees_no_method_saved_without_a_customer(account):
    """``card_checked`` also says a method saved without a customer had its one use
    (``payment_methods.used_once``). Only an update clears it, and only a customer's method
    can be updated: such a method cannot be, and attached, updated with a new address (its
    checks ``unchecked`` again), then detached, it is spent for good all the same."""
    method = created(account, card(**{"billing_details[address][postal_code]": "94107"}))
    saved_once = account.post("/v1/setup_intents", {"payment_method": method["id"],
                                                    "confirm": "true"}).get_json()
    assert saved_once["status"] == "succeeded"
    r = update(account, method["id"], {"billing_details[address][postal_code]": "10001"})
    assert_error(r, 400, code=None, param=None,
                 message=messages.PAYMENT_METHOD_UPDATE_UNATTACHED)
    payment = {"amount": 1000, "currency": "usd", "payment_method": method["id"],
               "confirm": "true"}
    used = account.post("/v1/payment_intents", payment)
    assert_error(used, 400, type="invalid_request_error", code=None, param="payment_method",
                 message=messages.PAYMENT_METHOD_SPENT)
    owner = customer(account)
    assert attach(account, method["id"], owner).status_code == 200
    got = updated(account, method["id"], {"billing_details[address][postal_code]": "10001"})
    assert got["card"]["checks"]["address_postal_code_check"] == "unchecked"
    assert account.post(f"/v1/payment_methods/{method['id']}/detach").status_code == 200
    for r in (account.post("/v1/payment_intents", payment),
              account.post("/v1/payment_intents", {**payment, "customer": owner}),
              account.post("/v1/setup_intents", {"payment_method": method["id"],
                                                 "confirm": "true"}),
              attach(account, method["id"], owner)):
        assert_error(r, 400, type="invalid_request_error", code=None, param="payment_method",
                     message=messages.PAYMENT_METHOD_SPENT)
    assert len(account.get("/v1/charges").get_json()["data"]) == 0
