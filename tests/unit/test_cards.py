"""core.cards: Luhn, brands, the test-card table, magic tokens and the simulated issuer."""

import dataclasses
import time

import pytest

from payground import messages
from payground.core import cards

NOW = int(time.time())
YEAR = time.gmtime(NOW).tm_year
MONTH = time.gmtime(NOW).tm_mon


@pytest.mark.parametrize("number", sorted(cards.TEST_CARDS))
def test_every_test_card_passes_luhn(number):
    assert cards.luhn_valid(number)


@pytest.mark.parametrize("number", ["4242424242424241", "1234567812345678", "42424242x4242424",
                                    ""])
def test_luhn_rejects(number):
    assert not cards.luhn_valid(number)


@pytest.mark.parametrize("number, brand", [
    ("4242424242424242", "visa"), ("5555555555554444", "mastercard"),
    ("2223003122003222", "mastercard"), ("378282246310005", "amex"),
    ("371449635398431", "amex"), ("6011111111111117", "discover"),
    ("6500000000000002", "discover"), ("3056930009020004", "diners"),
    ("36227206271667", "diners"), ("3566002020360505", "jcb"),
    ("6200000000000005", "unionpay"), ("9999999999999995", "unknown"),
])
def test_brand(number, brand):
    assert cards.brand(number) == brand


def test_every_magic_name_is_a_test_card():
    for name, number in cards.MAGIC.items():
        assert number in cards.TEST_CARDS, name
        assert cards.magic_number(f"tok_{name}") == number
        assert cards.magic_number(f"pm_card_{name}") == number


@pytest.mark.parametrize("source", ["tok_nope", "pm_card_", "tok_1234", "card_visa", "visa"])
def test_unknown_magic_names(source):
    assert cards.magic_number(source) is None


@pytest.mark.parametrize("number, outcome", [
    ("4242424242424242", "success"), ("5555555555554444", "success"),
    ("378282246310005", "success"), ("4000000000000077", "bypass_pending"),
    ("4000000000000002", "generic_decline"), ("4000000000009995", "insufficient_funds"),
    ("4000000000009987", "lost_card"), ("4000000000009979", "stolen_card"),
    ("4000000000000069", "expired_card"), ("4000000000000127", "incorrect_cvc"),
    ("4000000000000119", "processing_error"), ("4100000000000019", "fraudulent"),
    ("4000000000000010", "avs_fail"), ("4000000000000028", "avs_line1_fail"),
    ("4000000000000036", "avs_zip_fail"), ("4000000000000044", "avs_unavailable"),
    ("4000000000000341", "charge_customer_fail"),
])
def test_test_card_outcomes(number, outcome):
    card = cards.describe(number, 12, YEAR + 1, livemode=False, key="k")
    assert card.outcome == outcome
    assert card.last4 == number[-4:]
    assert card.issuer_limit is None


def test_card_keeps_no_number():
    names = {field.name for field in dataclasses.fields(cards.Card)}
    assert "number" not in names
    card = cards.describe("4242424242424242", 12, YEAR + 1, livemode=False, key="k")
    assert "4242424242424242" not in repr(card)


def test_fingerprint_is_stable_keyed_and_opaque():
    first = cards.fingerprint("4242424242424242", "key-a")
    assert first == cards.fingerprint("4242424242424242", "key-a")
    assert first != cards.fingerprint("4242424242424242", "key-b")
    assert first != cards.fingerprint("5555555555554444", "key-a")
    assert len(first) == 16 and "4242" not in first


def test_issuer_limit_is_deterministic_and_bounded():
    limits = {cards.issuer_limit(f"4{n:014d}") for n in range(200)}
    assert cards.issuer_limit("4012888888881881") == cards.issuer_limit("4012888888881881")
    assert min(limits) >= cards.ISSUER_LIMIT_MIN
    assert max(limits) < cards.ISSUER_LIMIT_MIN + cards.ISSUER_LIMIT_STEPS * cards.ISSUER_LIMIT_STEP
    assert len(limits) > 5


@pytest.mark.parametrize("number, code, message", [
    ("4242", "invalid_number", messages.CARD_NUMBER_INVALID),
    ("4242abcd42424242", "invalid_number", messages.CARD_NUMBER_INVALID),
    ("42424242424242424242", "invalid_number", messages.CARD_NUMBER_INVALID),
    ("4242424242424241", "incorrect_number", messages.CARD_NUMBER_INCORRECT),
])
def test_number_problems(number, code, message):
    assert cards.number_problem(number) == cards.CardProblem(code, "number", message)


def test_valid_number_has_no_problem():
    assert cards.number_problem(cards.normalize("4242 4242-4242 4242")) is None


@pytest.mark.parametrize("month, year, code", [
    ("13", str(YEAR + 1), "invalid_expiry_month"),
    ("0", str(YEAR + 1), "invalid_expiry_month"),
    ("ab", str(YEAR + 1), "invalid_expiry_month"),
    ("12", str(YEAR - 1), "invalid_expiry_year"),
    ("12", "nope", "invalid_expiry_year"),
    ("12", str(YEAR + 51), "invalid_expiry_year"),
])
def test_expiry_problems(month, year, code):
    problem, _, _ = cards.expiry_problem(month, year, NOW)
    assert problem.code == code
    assert problem.param == ("exp_month" if "month" in code else "exp_year")
    assert problem.message == (messages.INVALID_EXPIRY_MONTH if "month" in code
                               else messages.INVALID_EXPIRY_YEAR)


def test_expiry_earlier_this_year_is_an_invalid_month():
    if MONTH == 1:
        pytest.skip("no earlier month this year")
    problem, _, _ = cards.expiry_problem(MONTH - 1, YEAR, NOW)
    assert problem.code == "invalid_expiry_month"


def test_two_digit_years_and_ints():
    assert cards.expiry_problem(12, (YEAR + 2) % 100, NOW) == (None, 12, YEAR + 2)
    assert cards.expiry_problem(" 3 ", str(YEAR + 1), NOW) == (None, 3, YEAR + 1)


def test_is_expired():
    assert cards.is_expired(12, YEAR - 1, NOW)
    assert not cards.is_expired(MONTH, YEAR, NOW)


@pytest.mark.parametrize("cvc, ok", [(None, True), ("123", True), ("1234", True), ("12", False),
                                     ("abc", False)])
def test_cvc(cvc, ok):
    assert (cards.cvc_problem(cvc) is None) is ok


def test_test_mode_refuses_live_cards():
    problem = cards.describe("4012888888881881", 12, YEAR + 1, livemode=False, key="k")
    assert problem == cards.CardProblem("card_declined", "number", messages.TEST_MODE_LIVE_CARD,
                                        decline_code="test_mode_live_card")


def test_live_mode_refuses_test_cards():
    problem = cards.describe("4242424242424242", 12, YEAR + 1, livemode=True, key="k")
    assert problem.decline_code == "live_mode_test_card"
    assert problem.message == messages.LIVE_MODE_TEST_CARD


def test_live_cards_go_to_the_issuer():
    card = cards.describe("4012888888881881", 12, YEAR + 1, livemode=True, key="k")
    assert card.outcome == "issuer"
    assert card.issuer_limit == cards.issuer_limit("4012888888881881")


def test_decide():
    limit = 60_000
    kw = {"issuer_limit": limit, "magic": False, "expired": False}
    assert cards.decide("issuer", amount=limit, livemode=True, **kw).name == "success"
    assert cards.decide("issuer", amount=limit + 1, livemode=True, **kw).name == \
        "insufficient_funds"
    assert cards.decide("success", amount=100, livemode=True, issuer_limit=None, magic=True,
                        expired=False).name == "live_mode_test_card"
    assert cards.decide("success", amount=100, livemode=False, issuer_limit=None, magic=False,
                        expired=True).name == "expired_card"
    assert cards.decide("stolen_card", amount=100, livemode=False, issuer_limit=None,
                        magic=True, expired=False).name == "stolen_card"


def test_magic_card_expires_next_year():
    card = cards.magic_card("tok_amex", now=NOW, key="k")
    assert (card.brand, card.last4, card.exp_year) == ("amex", "0005", YEAR + 1)
    assert cards.magic_card("tok_123", now=NOW, key="k") is None


def test_a_magic_card_is_the_one_its_number_year_and_key_make():
    # Magic cards are kept per (number, year, key): each of those still changes the card.
    visa = cards.magic_card("tok_visa", now=NOW, key="k")
    assert visa == cards.describe("4242424242424242", 12, YEAR + 1, livemode=False, key="k")
    assert cards.magic_card("pm_card_visa", now=NOW, key="k") == visa
    assert cards.magic_card("tok_visa", now=NOW, key="other").fingerprint != visa.fingerprint
    later = cards.magic_card("tok_visa", now=NOW + 366 * 86400, key="k")
    assert (later.exp_year, later.fingerprint) == (YEAR + 2, visa.fingerprint)
    assert cards.magic_card("tok_mastercard", now=NOW, key="k").last4 == "4444"


@pytest.mark.parametrize("value, raw", [("4242424242424242", True), ("4242 4242 4242 4242", True),
                                        ("tok_visa", False), ("12345", False)])
def test_looks_like_card_number(value, raw):
    assert cards.looks_like_card_number(value) is raw


def test_declines_use_stripe_wording():
    o = cards.OUTCOMES
    assert (o["insufficient_funds"].code, o["insufficient_funds"].decline_code,
            o["insufficient_funds"].message) == ("card_declined", "insufficient_funds",
                                                 "Your card has insufficient funds.")
    assert (o["expired_card"].code, o["expired_card"].param) == ("expired_card", "exp_month")
    assert (o["incorrect_cvc"].code, o["incorrect_cvc"].param) == ("incorrect_cvc", "cvc")
    assert o["processing_error"].message == (
        "An error occurred while processing your card. Try again in a little bit.")
    assert o["fraudulent"].decline_code == "fraudulent"


@pytest.mark.parametrize("number", ["٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢", "４２４２４２４２４２４２４２４２",
                                    "424242424242424²"])
def test_digits_of_other_scripts_are_not_a_card_number(number):
    assert cards.number_problem(number) == cards.CardProblem(
        "invalid_number", "number", messages.CARD_NUMBER_INVALID)
    assert not cards.luhn_valid(number) and not cards.looks_like_card_number(number)


def test_the_cvc_check_card_fails_only_with_a_cvc():
    given = cards.describe("4000000000000101", 12, YEAR + 1, livemode=False, key="k", cvc=True)
    assert given.outcome == "cvc_check_fail"
    assert cards.describe("4000000000000101", 12, YEAR + 1, livemode=False,
                          key="k").outcome == "success"
    decided = cards.decide("cvc_check_fail", amount=2000, issuer_limit=None, livemode=False,
                           magic=False, expired=False)
    assert decided is cards.OUTCOMES["incorrect_cvc"]
    # The magic ids stand for it entered with a CVC, or it could not fail.
    magic = cards.magic_card("pm_card_cvcCheckFail", now=NOW, key="k")
    assert (magic.outcome, cards.magic_cvc_check(magic)) == ("cvc_check_fail", "unchecked")
    assert cards.magic_cvc_check(cards.magic_card("pm_card_visa", now=NOW, key="k")) is None


@pytest.mark.parametrize("outcome, line1, postal_code", [
    ("success", "pass", "pass"), ("issuer", "pass", "pass"), ("generic_decline", "pass", "pass"),
    ("avs_fail", "fail", "fail"), ("avs_line1_fail", "fail", "pass"),
    ("avs_zip_fail", "pass", "fail"), ("avs_unavailable", "unavailable", "unavailable"),
    ("cvc_check_fail", "pass", "pass"),
])
def test_address_checks_and_outcomes_of_the_check_cards(outcome, line1, postal_code):
    assert (cards.address_check(outcome, "line1"),
            cards.address_check(outcome, "postal_code")) == (line1, postal_code)
    if outcome.startswith("avs_"):  # charges with them succeed (Stripe's default settings)
        assert cards.decide(outcome, amount=2000, issuer_limit=None, livemode=False,
                            magic=False, expired=False) is cards.OUTCOMES["success"]
        # ... and are still refused in live mode and when expired
        assert cards.decide(outcome, amount=2000, issuer_limit=None, livemode=True,
                            magic=True, expired=False).name == "live_mode_test_card"
        assert cards.decide(outcome, amount=2000, issuer_limit=None, livemode=False,
                            magic=False, expired=True).name == "expired_card"


# Every test card's class, and what a setup (a SetupIntent's zero-amount check) answers: as a
# charge of nothing, except Stripe's cards declined only when charged.
SET_UP_DECLINED = {"generic_decline", "insufficient_funds", "lost_card", "stolen_card",
                   "expired_card", "incorrect_cvc", "processing_error", "fraudulent",
                   "three_ds_declined", "cvc_check_fail"}


@pytest.mark.parametrize("number", sorted(cards.TEST_CARDS))
def test_a_setup_is_answered_as_a_charge_but_for_the_cards_declined_when_charged(number):
    card_class = cards.TEST_CARDS[number]
    kw = {"issuer_limit": None, "livemode": False, "magic": False, "expired": False}
    setup = cards.decide_setup(card_class, **kw)
    charge = cards.decide(card_class, amount=2000, **kw)
    if card_class in cards.SET_UP_THEN_DECLINED:
        assert (setup.name, charge.declined) == ("success", True)
    else:
        assert setup is cards.decide(card_class, amount=0, **kw)
        assert setup.declined is (card_class in SET_UP_DECLINED)


def test_the_decline_after_attaching_card_is_declined_as_a_generic_decline_when_charged():
    kw = {"issuer_limit": None, "livemode": False, "magic": False, "expired": False}
    assert cards.decide("charge_customer_fail", amount=2000, **kw) is \
        cards.OUTCOMES["generic_decline"]
    assert cards.decide("charge_customer_fail", amount=0, **kw) is \
        cards.OUTCOMES["generic_decline"]
    assert cards.decide_setup("charge_customer_fail", **kw) is cards.OUTCOMES["success"]
    # 3178: the charge once authenticated is declined insufficient_funds; its setup is not.
    assert cards.decide("auth_insufficient_funds", amount=2000, **kw) is \
        cards.OUTCOMES["insufficient_funds"]
    assert cards.decide_setup("auth_insufficient_funds", **kw) is cards.OUTCOMES["success"]
    for card in cards.magic_card("pm_card_chargeCustomerFail", now=NOW, key="k"), \
            cards.magic_card("tok_visa_chargeCustomerFail", now=NOW, key="k"):
        assert (card.outcome, card.last4) == ("charge_customer_fail", "0341")


@pytest.mark.parametrize("card_class", cards.SET_UP_THEN_DECLINED)
def test_a_setup_of_a_card_declined_when_charged_is_still_refused_expired_or_live(card_class):
    kw = {"issuer_limit": None}
    assert cards.decide_setup(card_class, livemode=False, magic=False, expired=True,
                              **kw).name == "expired_card"
    assert cards.decide_setup(card_class, livemode=True, magic=True, expired=False,
                              **kw).name == "live_mode_test_card"
