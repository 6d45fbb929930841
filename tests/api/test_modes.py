"""Test vs live mode: test cards in test mode only, the live issuer, per-mode objects."""

import time

import pytest
from faker import Faker

from payground import messages
from payground.core import cards
from tests.helpers import assert_error

LIVE_CARD = "4012888888881881"  # Luhn-valid, not one of Stripe's test cards
YEAR = time.gmtime().tm_year


@pytest.fixture
def live(account):
    account.activate()
    return account


def tokenize(account, number, key, year=YEAR + 2, month=12):
    return account.post("/v1/tokens", {"card[number]": number, "card[exp_month]": str(month),
                                       "card[exp_year]": str(year)}, key=key)


def charge(account, source, key, amount=2000):
    return account.post("/v1/charges", {"amount": amount, "currency": "usd", "source": source},
                        key=key)


@pytest.mark.parametrize("source", ["tok_visa", "pm_card_visa", "tok_mastercard",
                                    "tok_chargeDeclined"])
def test_magic_test_cards_are_declined_in_live_mode(live, source):
    r = charge(live, source, live.live_secret_key)
    error = assert_error(r, 402, type="card_error", code="card_declined",
                         decline_code="live_mode_test_card",
                         message=messages.LIVE_MODE_TEST_CARD)
    failed = live.get(f"/v1/charges/{error['charge']}", key=live.live_secret_key).get_json()
    assert (failed["livemode"], failed["status"], failed["failure_code"]) == (
        True, "failed", "card_declined")
    assert failed["outcome"]["reason"] == "live_mode_test_card"


@pytest.mark.parametrize("number", ["4242424242424242", "5555555555554444", "378282246310005",
                                    "4000000000000002"])
def test_test_card_numbers_are_refused_when_tokenised_in_live_mode(live, number):
    r = tokenize(live, number, live.live_publishable_key)
    assert_error(r, 402, type="card_error", code="card_declined", param="number",
                 decline_code="live_mode_test_card", message=messages.LIVE_MODE_TEST_CARD)


def test_live_card_numbers_are_refused_in_test_mode(account):
    numbers = {Faker().credit_card_number(card_type="visa16") for _ in range(5)} | {LIVE_CARD}
    for number in numbers - set(cards.TEST_CARDS):
        r = tokenize(account, number, account.publishable_key)
        assert_error(r, 402, type="card_error", code="card_declined", param="number",
                     decline_code="test_mode_live_card", message=messages.TEST_MODE_LIVE_CARD)


def test_live_card_within_and_beyond_the_issuer_limit(live):
    limit = cards.issuer_limit(LIVE_CARD)
    tok = tokenize(live, LIVE_CARD, live.live_publishable_key).get_json()
    assert (tok["livemode"], tok["card"]["brand"]) == (True, "Visa")
    ok = charge(live, tok["id"], live.live_secret_key, amount=limit).get_json()
    assert (ok["status"], ok["livemode"], ok["amount"]) == ("succeeded", True, limit)

    again = tokenize(live, LIVE_CARD, live.live_publishable_key).get_json()["id"]
    r = charge(live, again, live.live_secret_key, amount=limit + 1)
    error = assert_error(r, 402, type="card_error", code="card_declined",
                         decline_code="insufficient_funds",
                         message=messages.CARD_INSUFFICIENT_FUNDS)
    failed = live.get(f"/v1/charges/{error['charge']}", key=live.live_secret_key).get_json()
    assert failed["outcome"]["reason"] == "insufficient_funds"


def test_a_card_that_expires_after_tokenising_is_declined(live, wall):
    tok = tokenize(live, LIVE_CARD, live.live_publishable_key, year=YEAR,
                   month=12).get_json()["id"]
    wall[0] += 400 * 86400  # well into next year
    r = charge(live, tok, live.live_secret_key)
    assert_error(r, 402, type="card_error", code="expired_card", param="exp_month",
                 message=messages.CARD_EXPIRED)


def test_charges_are_invisible_across_modes(live):
    test_id = charge(live, "tok_visa", live.secret_key).get_json()["id"]
    r = live.get(f"/v1/charges/{test_id}", key=live.live_secret_key)
    assert_error(r, 404, code="resource_missing", param="id",
                 message=f"No such charge: '{test_id}'; a similar object exists in test mode, "
                         "but a live mode key was used to make this request.")
    tok = tokenize(live, LIVE_CARD, live.live_publishable_key).get_json()["id"]
    live_id = charge(live, tok, live.live_secret_key).get_json()["id"]
    r = live.get(f"/v1/charges/{live_id}")
    assert_error(r, 404, code="resource_missing", param="id",
                 message=f"No such charge: '{live_id}'; a similar object exists in live mode, "
                         "but a test mode key was used to make this request.")
    assert [c["id"] for c in live.get("/v1/charges").get_json()["data"]] == [test_id]
    listed = live.get("/v1/charges", key=live.live_secret_key).get_json()["data"]
    assert [c["id"] for c in listed] == [live_id]
    r = live.post("/v1/refunds", {"charge": live_id})
    assert_error(r, 404, code="resource_missing", param="charge",
                 message=f"No such charge: '{live_id}'; a similar object exists in live mode, "
                         "but a test mode key was used to make this request.")


def test_tokens_are_invisible_across_modes(live):
    tok = tokenize(live, "4242424242424242", live.publishable_key).get_json()["id"]
    r = charge(live, tok, live.live_secret_key)
    assert_error(r, 404, code="resource_missing", param="source",
                 message=f"No such token: '{tok}'; a similar object exists in test mode, but a "
                         "live mode key was used to make this request.")
    assert_error(live.get(f"/v1/tokens/{tok}", key=live.live_secret_key), 404,
                 code="resource_missing", param="id",
                 message=f"No such token: '{tok}'; a similar object exists in test mode, but a "
                         "live mode key was used to make this request.")


def test_balances_are_per_mode(live):
    charge(live, "tok_bypassPending", live.secret_key)
    tok = tokenize(live, LIVE_CARD, live.live_publishable_key).get_json()["id"]
    charge(live, tok, live.live_secret_key, amount=5000)
    test_balance = live.get("/v1/balance").get_json()
    live_balance = live.get("/v1/balance", key=live.live_secret_key).get_json()
    assert (test_balance["livemode"], live_balance["livemode"]) == (False, True)
    assert test_balance["available"][0]["amount"] == 2000 - 88
    assert test_balance["pending"][0]["amount"] == 0
    assert live_balance["available"][0]["amount"] == 0
    assert live_balance["pending"][0]["amount"] == 5000 - 175
