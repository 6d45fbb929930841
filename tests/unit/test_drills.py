"""core.drills: the bots' script, and whether a key let each attempt in."""

from __future__ import annotations

import pytest

from payground.core import cards, drills
from payground.core.drills import KeyState

LEAK = 1_700_000_000


def key(**changes) -> KeyState:
    fields = dict(type="secret", revoked_at=None, expires_at=None, permissions=(),
                  ip_allowlist=())
    return KeyState(**{**fields, **changes})


def test_the_script_is_the_same_every_time_and_starts_two_minutes_after_the_leak():
    first, second = drills.attempt(LEAK, 0, False), drills.attempt(LEAK, 1, False)
    assert (first.at, first.action, first.address) == (LEAK + 120, drills.READ_BALANCE,
                                                       "203.0.113.51")
    assert (second.at, second.action, second.address) == (LEAK + 140, drills.LIST_CUSTOMERS,
                                                           "198.51.100.77")
    assert drills.attempt(LEAK, 7, True) == drills.attempt(LEAK, 7, True)
    assert drills.attempt(LEAK, drills.MAX_ATTEMPTS - 1, False).at == LEAK + 3600


def test_what_is_due_by_now():
    assert drills.due(LEAK, 0, LEAK + 119) == range(0, 0)
    # Not the attempts of this very second: a revoke may still come in it.
    assert drills.due(LEAK, 0, LEAK + 120) == range(0, 0)
    assert drills.due(LEAK, 0, LEAK + 121) == range(0, 1)
    assert drills.due(LEAK, 1, LEAK + 159) == range(1, 2)
    assert drills.due(LEAK, 2, LEAK + 159) == range(2, 2)
    assert drills.due(LEAK, 0, LEAK + 10 * 86400) == range(0, drills.MAX_ATTEMPTS)


def test_stolen_cards_are_test_cards_in_test_mode_and_pass_luhn_in_live_mode():
    for livemode in (False, True):
        bots = [drills.attempt(LEAK, n, livemode) for n in range(16)]
        card_tests = [bot for bot in bots if bot.action is drills.CARD_TEST]
        assert len(card_tests) == 10 and all(b.card_number for b in bots if b in card_tests)
        assert all(b.card_number is None for b in bots if b not in card_tests)
        for bot in card_tests:  # each is a card the API would take in this mode
            described = cards.describe(bot.card_number, 12, 2030, livemode=livemode, key="k")
            assert isinstance(described, cards.Card), bot
    live_numbers = {drills.live_card(n) for n in range(50)}
    assert len(live_numbers) == 50
    assert all(cards.luhn_valid(n) and len(n) == 16 and n.startswith("4")
               and n not in cards.TEST_CARDS for n in live_numbers)


@pytest.mark.parametrize("state, at, address, permission, refused", [
    (key(), LEAK + 200, "203.0.113.51", "charge_write", None),
    (key(revoked_at=LEAK + 200), LEAK + 199, "203.0.113.51", "charge_write", None),
    (key(revoked_at=LEAK + 200), LEAK + 200, "203.0.113.51", "charge_write", "api_key_expired"),
    (key(expires_at=LEAK + 300), LEAK + 300, "203.0.113.51", "balance_read", "api_key_expired"),
    (key(ip_allowlist=("10.0.0.0/8",)), LEAK, "203.0.113.51", "balance_read",
     "api_key_ip_not_allowed"),
    (key(ip_allowlist=("203.0.113.0/24",)), LEAK, "203.0.113.51", "balance_read", None),
    (key(type="restricted", permissions=("customer_write",)), LEAK, "198.51.100.77",
     "customer_read", None),
    (key(type="restricted", permissions=("customer_read",)), LEAK, "198.51.100.77",
     "charge_write", "permission"),
    # The API's order: a revoked key is refused as revoked even from a refused address.
    (key(revoked_at=LEAK, ip_allowlist=("10.0.0.0/8",)), LEAK, "203.0.113.51", "balance_read",
     "api_key_expired"),
])
def test_refusal_follows_the_apis_checks(state, at, address, permission, refused):
    assert drills.refusal(state, at, address, permission) == refused


def test_bots_drop_a_dead_key_after_three_refusals():
    assert drills.attempts_in_all(LEAK, key()) == drills.MAX_ATTEMPTS
    # Revoked at +300: attempts 0..8 (at +120 ... +280) were let in; 9, 10, 11 are refused.
    assert drills.attempts_in_all(LEAK, key(revoked_at=LEAK + 300)) == 12
    assert drills.attempts_in_all(LEAK, key(revoked_at=LEAK + 290)) == 12
    assert drills.attempts_in_all(LEAK, key(revoked_at=LEAK + 10)) == 3
    assert drills.attempts_in_all(LEAK, key(expires_at=LEAK + 86400)) == drills.MAX_ATTEMPTS


def test_exposure_runs_until_the_key_stops():
    assert drills.exposure(LEAK, key(), LEAK + 500) == (500, False)
    assert drills.exposure(LEAK, key(revoked_at=LEAK + 420), LEAK + 900) == (420, True)
    # Rolled with an hour's grace: still out there until the hour is over.
    rolled = key(expires_at=LEAK + 60 + 3600)
    assert drills.exposure(LEAK, rolled, LEAK + 600) == (600, False)
    assert drills.exposure(LEAK, rolled, LEAK + 7200) == (3660, True)
    assert drills.stopped_at(key(revoked_at=LEAK + 5, expires_at=LEAK + 9)) == LEAK + 5
