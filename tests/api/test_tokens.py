"""/v1/tokens: card validation with Stripe's errors, publishable keys, no stored numbers."""

import logging
import time

import pytest

from payground import messages
from payground.core import keys
from tests.helpers import assert_error

YEAR = time.gmtime().tm_year


def card(number="4242424242424242", month="12", year=str(YEAR + 2), **extra):
    data = {"card[number]": number, "card[exp_month]": month, "card[exp_year]": year}
    data.update({f"card[{name}]": value for name, value in extra.items()})
    return data


def test_create_with_publishable_key(account):
    r = account.post("/v1/tokens", card(cvc="123", name="Jo"), key=account.publishable_key)
    assert r.status_code == 200
    body = r.get_json()
    assert body["id"].startswith("tok_")
    assert (body["object"], body["type"], body["used"], body["livemode"]) == (
        "token", "card", False, False)
    assert body["client_ip"] == "127.0.0.1"
    c = body["card"]
    assert c["id"].startswith("card_") and c["object"] == "card"
    assert (c["brand"], c["last4"], c["exp_month"], c["exp_year"], c["funding"], c["country"],
            c["cvc_check"], c["name"]) == ("Visa", "4242", 12, YEAR + 2, "credit", "US",
                                           "unchecked", "Jo")
    assert len(c["fingerprint"]) == 16


def test_retrieve_needs_secret_key(account):
    tok = account.post("/v1/tokens", card(), key=account.publishable_key).get_json()
    assert account.get(f"/v1/tokens/{tok['id']}").get_json() == tok
    r = account.get(f"/v1/tokens/{tok['id']}", key=account.publishable_key)
    assert_error(r, 401, code="secret_key_required", message=messages.SECRET_KEY_REQUIRED)


def test_json_body_and_spaces(account):
    r = account.post("/v1/tokens", json={"card": {"number": "5555 5555 5555 4444",
                                                  "exp_month": 3, "exp_year": YEAR + 1}})
    assert r.status_code == 200
    assert (r.get_json()["card"]["brand"], r.get_json()["card"]["last4"]) == ("MasterCard",
                                                                              "4444")


def test_same_card_same_fingerprint(account, make_account):
    a = account.post("/v1/tokens", card()).get_json()["card"]["fingerprint"]
    b = account.post("/v1/tokens", card(month="1")).get_json()["card"]["fingerprint"]
    c = account.post("/v1/tokens", card("5555555555554444")).get_json()["card"]["fingerprint"]
    assert a == b != c


def test_number_never_in_response_or_database(app, account, caplog):
    caplog.set_level(logging.DEBUG)
    number = "4000000000009995"
    r = account.post("/v1/tokens", card(number))
    assert number not in r.get_data(as_text=True)
    assert number not in caplog.text
    from sqlalchemy import text

    from payground.extensions import db

    with app.app_context():
        rows = db.session.execute(text("SELECT * FROM tokens")).all()
    assert rows and all(number not in repr(row) for row in rows)


@pytest.mark.parametrize("number, code, message", [
    ("4242424242424241", "incorrect_number", messages.CARD_NUMBER_INCORRECT),
    ("4242", "invalid_number", messages.CARD_NUMBER_INVALID),
    ("4242x42424242424", "invalid_number", messages.CARD_NUMBER_INVALID),
])
def test_bad_numbers(account, number, code, message):
    r = account.post("/v1/tokens", card(number))
    assert_error(r, 402, type="card_error", code=code, param="number", message=message)


@pytest.mark.parametrize("month, year, code, param, message", [
    ("13", str(YEAR + 1), "invalid_expiry_month", "exp_month", messages.INVALID_EXPIRY_MONTH),
    ("xx", str(YEAR + 1), "invalid_expiry_month", "exp_month", messages.INVALID_EXPIRY_MONTH),
    ("12", str(YEAR - 1), "invalid_expiry_year", "exp_year", messages.INVALID_EXPIRY_YEAR),
    ("12", "20x", "invalid_expiry_year", "exp_year", messages.INVALID_EXPIRY_YEAR),
])
def test_bad_expiry(account, month, year, code, param, message):
    r = account.post("/v1/tokens", card(month=month, year=year))
    assert_error(r, 402, type="card_error", code=code, param=param, message=message)


def test_bad_cvc(account):
    r = account.post("/v1/tokens", card(cvc="12"))
    assert_error(r, 402, type="card_error", code="invalid_cvc", param="cvc",
                 message=messages.INVALID_CVC)


@pytest.mark.parametrize("missing", ["number", "exp_month", "exp_year"])
def test_missing_card_fields(account, missing):
    data = card()
    del data[f"card[{missing}]"]
    r = account.post("/v1/tokens", data)
    assert_error(r, 400, code="parameter_missing", param=f"card[{missing}]",
                 message=f"Missing required param: card[{missing}].")


def test_no_card_at_all(account):
    assert_error(account.post("/v1/tokens", {}), 400, code="parameter_missing", param="card",
                 message=messages.TOKEN_NEEDS_CARD)


def test_unknown_card_field(account):
    r = account.post("/v1/tokens", card(colour="red"))
    assert_error(r, 400, code="parameter_unknown", param="card[colour]",
                 message="Received unknown parameter: card[colour]")


def test_non_string_number_is_not_echoed(account):
    r = account.post("/v1/tokens", json={"card": {"number": ["4242424242424242"],
                                                  "exp_month": 1, "exp_year": YEAR + 1}})
    error = assert_error(r, 400, code="parameter_invalid_string", param="card[number]",
                         message="Invalid card[number]: must be a string.")
    assert "4242" not in str(error)


def test_test_mode_refuses_a_live_card(account):
    r = account.post("/v1/tokens", card("4012888888881881"))
    # Stripe's words, as its live test-mode answers have them ("non test (live) card").
    assert_error(r, 402, type="card_error", code="card_declined", param="number",
                 decline_code="test_mode_live_card",
                 message="Your card was declined. Your request was in test mode, but used a non "
                         "test (live) card. For a list of valid test cards, visit: "
                         "https://stripe.com/docs/testing.")


def test_restricted_key_needs_token_write(account):
    r = account.client.post("/sandbox/keys", json={"type": "restricted", "name": "ro",
                                                   "permissions": ["charge_read"]},
                            headers=account.session_auth)
    assert r.status_code == 201
    key = r.get_json()["secret"]
    r = account.post("/v1/tokens", card(), key=key)
    assert_error(r, 403, message=messages.MISSING_PERMISSION.format(
        masked=keys.mask(key), account=account.account_id, permission="token_write"))


def test_unknown_token_404(account):
    r = account.get("/v1/tokens/tok_nope")
    assert_error(r, 404, code="resource_missing", param="id", message="No such token: 'tok_nope'")
