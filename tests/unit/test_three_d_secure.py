"""core.three_d_secure: when Stripe's test cards ask the cardholder to authenticate, and how
their payments end once they may go ahead."""

import time

import pytest

from payground.core import cards
from payground.core.three_d_secure import CHALLENGE, DECLINE, requirement

YEAR = time.gmtime().tm_year

# number -> (on session, off session not set up, off session set up, outcome once authenticated)
CARDS = {
    "4000002500003155": (CHALLENGE, DECLINE, None, "success"),
    "4000002760003184": (CHALLENGE, DECLINE, DECLINE, "success"),
    "4000003800000446": (CHALLENGE, None, None, "success"),
    "4000008260003178": (CHALLENGE, None, None, "insufficient_funds"),
    "4000000000003220": (CHALLENGE, DECLINE, DECLINE, "success"),
    "4000000000003063": (CHALLENGE, DECLINE, DECLINE, "success"),
    "4000008400001629": (CHALLENGE, DECLINE, DECLINE, "generic_decline"),
    "4000000000003055": (None, None, None, "success"),
    "4242424242424242": (None, None, None, "success"),
    "378282246310005": (None, None, None, "success"),
}


def decided(card_class: str, **kwargs) -> str:
    return cards.decide(card_class, amount=2000, issuer_limit=None, livemode=False,
                        magic=False, expired=False, **kwargs).name


@pytest.mark.parametrize("number", sorted(CARDS))
def test_when_each_card_asks_and_how_it_ends(number):
    on, off, off_set_up, outcome = CARDS[number]
    card_class = cards.describe(number, 12, YEAR + 1, livemode=False, key="k").outcome
    assert requirement(card_class, livemode=False, off_session=False) == on
    assert requirement(card_class, livemode=False, off_session=True) == off
    assert requirement(card_class, livemode=False, off_session=True, set_up=True) == off_set_up
    assert decided(card_class) == outcome
    assert decided(card_class, unauthenticated=True) == "authentication_required"


@pytest.mark.parametrize("requested, asked", [(None, None), ("automatic", None),
                                              ("any", CHALLENGE), ("challenge", CHALLENGE)])
def test_a_card_that_supports_it_asks_when_the_payment_asks(requested, asked):
    assert requirement("three_ds_optional", livemode=False, off_session=False,
                       requested=requested) == asked
    assert requirement("three_ds_optional", livemode=False, off_session=True,
                       requested=requested) is None
    assert requirement("success", livemode=False, off_session=False,
                       requested=requested) is None  # 4242: not enrolled


def test_live_mode_never_asks():
    for card_class in ("auth_always", "three_ds_required", "issuer"):
        assert requirement(card_class, livemode=True, off_session=False,
                           requested="challenge") is None


def test_the_decline_is_stripes():
    outcome = cards.OUTCOMES["authentication_required"]
    assert (outcome.code, outcome.decline_code, outcome.message, outcome.type) == (
        "authentication_required", "authentication_required",
        "Your card was declined. This transaction requires authentication.", "issuer_declined")


@pytest.mark.parametrize("name, number", [
    ("authenticationRequiredOnSetup", "4000002500003155"),
    ("authenticationRequired", "4000002760003184"),
    ("authenticationRequiredSetupForOffSession", "4000003800000446"),
    ("authenticationRequiredChargeDeclinedInsufficientFunds", "4000008260003178"),
    ("threeDSecure2Required", "4000000000003220"), ("threeDSecureRequired", "4000000000003063"),
    ("threeDSecureRequiredChargeDeclined", "4000008400001629"),
    ("threeDSecureOptional", "4000000000003055"),
    ("amex_threeDSecureNotSupported", "378282246310005"),
])
def test_stripes_names_for_them(name, number):
    assert cards.magic_number(f"pm_card_{name}") == number
    assert cards.magic_number(f"tok_{name}") == number
