"""Statement descriptors follow Stripe's rules ("Statement descriptors" in Stripe's docs).

A whole descriptor (a charge's ``statement_descriptor``, at creation or capture) has 5 to 22
characters; it and a charge's or PaymentIntent's ``statement_descriptor_suffix`` (which follows
the account's prefix, so may be short) need a Latin letter and none of ``< > \\ ' " *``.
A payout's ``statement_descriptor`` is the account's own bank statement: Stripe documents only
its 22 characters there, and so does Payground.
"""

from __future__ import annotations

import pytest

from payground import messages
from tests.helpers import assert_error

CHARACTERS = messages.STATEMENT_DESCRIPTOR_CHARACTERS
LETTER = messages.STATEMENT_DESCRIPTOR_LETTER
BAD = [
    ("SHOP <3", CHARACTERS), ("SHOP >", CHARACTERS), ("BACK\\SLASH", CHARACTERS),
    ("JO'S SHOP", CHARACTERS), ('THE "SHOP"', CHARACTERS), ("SHOP*ONE", CHARACTERS),
    # Fullwidth look-alikes are the characters they look like (read in NFKC form).
    ("SHOP＊ONE", CHARACTERS), ("ＳＨＯＰ＜", CHARACTERS),
    ("12345", LETTER), ("2024-10-01", LETTER), ("ÉÉÉÉÉ", LETTER), ("#1234 $5", LETTER),
]


def charge(account, **params):
    return account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                        "source": "tok_visa", **params})


def intent(account, **params):
    return account.post("/v1/payment_intents", {"amount": 2000, "currency": "usd", **params})


@pytest.mark.parametrize("descriptor, message", BAD)
def test_a_charge_descriptor_stripe_refuses_is_refused(account, descriptor, message):
    assert_error(charge(account, statement_descriptor=descriptor), 400, code=None,
                 param="statement_descriptor", message=message)
    assert account.get("/v1/charges").get_json()["data"] == []  # nothing was charged


@pytest.mark.parametrize("descriptor", ["SHOP", "ab", "A"])
def test_a_whole_descriptor_has_five_characters_at_least(account, descriptor):
    assert_error(charge(account, statement_descriptor=descriptor), 400, code=None,
                 param="statement_descriptor",
                 message=messages.STATEMENT_DESCRIPTOR_TOO_SHORT.format(minimum=5))


def test_at_most_22_characters(account):
    long = "PAYGROUND SHOP ORDER 123"  # 24
    assert_error(charge(account, statement_descriptor=long), 400,
                 code="parameter_invalid_string", param="statement_descriptor",
                 message=f"Invalid string: {long}; must be at most 22 characters")


@pytest.mark.parametrize("descriptor", [
    "SHOP1", "PAYGROUND SHOP", "Order 12-A", "A" * 22, "café & co. #7", "x.com/2",
    "ＳＨＯＰ ＯＮＥ",  # fullwidth letters are letters
])
def test_descriptors_stripe_takes_are_kept(account, descriptor):
    r = charge(account, statement_descriptor=descriptor)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["statement_descriptor"] == descriptor


def test_the_rules_hold_at_capture_too(account):
    held = charge(account, capture="false").get_json()
    r = account.post(f"/v1/charges/{held['id']}/capture", {"statement_descriptor": "BAD*NAME"})
    assert_error(r, 400, code=None, param="statement_descriptor", message=CHARACTERS)
    assert account.get(f"/v1/charges/{held['id']}").get_json()["captured"] is False
    r = account.post(f"/v1/charges/{held['id']}/capture", {"statement_descriptor": "GOOD NAME"})
    assert (r.status_code, r.get_json()["statement_descriptor"]) == (200, "GOOD NAME")


@pytest.mark.parametrize("suffix, message", BAD)
def test_an_intent_suffix_stripe_refuses_is_refused(account, suffix, message):
    assert_error(intent(account, statement_descriptor_suffix=suffix), 400, code=None,
                 param="statement_descriptor_suffix", message=message)
    assert account.get("/v1/payment_intents").get_json()["data"] == []


@pytest.mark.parametrize("suffix, message", BAD)
def test_a_charge_suffix_follows_the_same_rules(account, suffix, message):
    assert_error(charge(account, statement_descriptor_suffix=suffix), 400, code=None,
                 param="statement_descriptor_suffix", message=message)
    held = charge(account, capture="false").get_json()
    r = account.post(f"/v1/charges/{held['id']}/capture",
                     {"statement_descriptor_suffix": suffix})
    assert_error(r, 400, code=None, param="statement_descriptor_suffix", message=message)
    assert [c["captured"] for c in account.get("/v1/charges").get_json()["data"]] == [False]


def test_a_charge_shows_its_prefix_and_suffix_together(account):
    """``calculated_statement_descriptor``: the account's prefix, ``* `` and the suffix
    (which wins over a whole descriptor on a card statement)."""
    r = charge(account, statement_descriptor="MY SHOP", statement_descriptor_suffix="7A")
    body = r.get_json()
    assert (r.status_code, body["statement_descriptor"], body["statement_descriptor_suffix"],
            body["calculated_statement_descriptor"]) == (200, "MY SHOP", "7A", "PAYGROUND* 7A")


def test_a_suffix_may_be_short(account):
    """It follows the account's prefix (``PAYGROUND* 7A``): one letter will do."""
    r = intent(account, statement_descriptor_suffix="7A")
    assert (r.status_code, r.get_json()["statement_descriptor_suffix"]) == (200, "7A")


def test_the_suffix_rules_hold_on_update_and_capture(account):
    pi = intent(account, payment_method="pm_card_visa", confirm="true",
                capture_method="manual").get_json()
    r = account.post(f"/v1/payment_intents/{pi['id']}", {"statement_descriptor_suffix": "42"})
    assert_error(r, 400, code=None, param="statement_descriptor_suffix", message=LETTER)
    r = account.post(f"/v1/payment_intents/{pi['id']}/capture",
                     {"statement_descriptor_suffix": "<ORDER>"})
    assert_error(r, 400, code=None, param="statement_descriptor_suffix", message=CHARACTERS)
    shown = account.get(f"/v1/payment_intents/{pi['id']}").get_json()
    assert (shown["status"], shown["statement_descriptor_suffix"]) == ("requires_capture", None)


def test_a_payout_descriptor_keeps_stripes_payout_rule(account):
    """Stripe documents 22 characters for a payout's descriptor, and nothing else."""
    account.post("/v1/charges", {"amount": 10000, "currency": "usd",
                                 "source": "tok_bypassPending"})
    r = account.post("/v1/payouts", {"amount": 500, "currency": "usd",
                                     "statement_descriptor": "W12"})
    assert (r.status_code, r.get_json()["statement_descriptor"]) == (200, "W12")
