"""The leak drill's bots: what they do with a leaked key, when, and whether the key let them.

Story 4 (``../shared/STORIES.md``): a key is pushed to a public repository, bots find it
within minutes and start using it; the team notices, revokes it, and the exposure is the time
from the push until the key stopped working. A drill replays that on a real key of the
account. Nothing here is random: attempt ``n`` always happens ``FOUND_AFTER + n * EVERY``
seconds after the leak (on the account's clock), from the same address, doing the same thing.
So a drill can be replayed lazily, when someone looks (``services.drills``), with the outcome
each attempt had at its own time: a key revoked at ``r`` refused every attempt from ``r`` on,
however late the attempt is written down.

Framework-free: the service applies these decisions to the database.
"""

from __future__ import annotations

from dataclasses import dataclass

from .keys import address_allowed, allows

FOUND_AFTER = 120  # scanners watch public pushes: the first use comes two minutes later
EVERY = 20  # then one request every 20 seconds
GIVE_UP_AFTER = 3600  # bots keep trying for an hour after the leak, then move on
MAX_ATTEMPTS = (GIVE_UP_AFTER - FOUND_AFTER) // EVERY + 1
TRIES_WHEN_DEAD = 3  # refusals (revoked, expired) before the bots drop a dead key
TARGET_SECONDS = 12 * 60  # the story's team took 12 minutes: beat it

# Documentation address ranges (RFC 5737): plainly not yours, and never anyone's real host.
BOT_ADDRESSES = ("203.0.113.51", "198.51.100.77", "192.0.2.140")


@dataclass(frozen=True)
class Action:
    """One request a bot makes: what Stripe's API would see, and the permission it needs."""

    name: str  # read_balance | list_customers | card_test
    method: str
    path: str
    permission: str  # the same permission the route declares (a test checks)


READ_BALANCE = Action("read_balance", "GET", "/v1/balance", "balance_read")
LIST_CUSTOMERS = Action("list_customers", "GET", "/v1/customers", "customer_read")
CARD_TEST = Action("card_test", "POST", "/v1/charges", "charge_write")

# First look around (is there money? who are the customers?), then "card testing": small
# charges with stolen card numbers, to learn which cards work. The classic abuse of a leaked
# payments key, and the one that costs the account real fees and disputes.
SCRIPT = (READ_BALANCE, LIST_CUSTOMERS, CARD_TEST, CARD_TEST, CARD_TEST, LIST_CUSTOMERS,
          CARD_TEST, CARD_TEST)
CARD_TEST_AMOUNT = 100  # $1.00: small enough to go unnoticed on a statement

# Test mode: Stripe's test cards (one works, the others are declined as stolen cards are).
TEST_CARDS = ("4242424242424242", "4000000000000002", "4000000000009995", "4000000000009979")


@dataclass(frozen=True)
class Attempt:
    number: int
    at: int  # account-clock seconds
    action: Action
    address: str
    card_number: str | None  # card tests only


def attempt(leaked_at: int, number: int, livemode: bool) -> Attempt:
    """The ``number``-th request of the bots (0-based) after a leak at ``leaked_at``."""
    action = SCRIPT[number % len(SCRIPT)]
    card = None
    if action is CARD_TEST:
        card = live_card(number) if livemode else TEST_CARDS[number % len(TEST_CARDS)]
    return Attempt(number=number, at=leaked_at + FOUND_AFTER + number * EVERY, action=action,
                   address=BOT_ADDRESSES[number % len(BOT_ADDRESSES)], card_number=card)


def due(leaked_at: int, done: int, now: int) -> range:
    """The attempts that happened before ``now`` and are not written down yet.

    Not those of this very second: a revoke in the same second may still come, and the
    attempt's outcome must not depend on whether someone looked before it.
    """
    if now <= leaked_at + FOUND_AFTER:
        return range(done, done)
    happened = min(MAX_ATTEMPTS, (now - 1 - leaked_at - FOUND_AFTER) // EVERY + 1)
    return range(done, max(done, happened))


def attempts_in_all(leaked_at: int, key: KeyState) -> int:
    """How many attempts the bots make: all of them while the key works; once it stops, the
    first ``TRIES_WHEN_DEAD`` refusals tell them it is dead and they move on."""
    end = stopped_at(key)
    if end is None:
        return MAX_ATTEMPTS
    first_refused = max(0, -(-(end - leaked_at - FOUND_AFTER) // EVERY))
    return min(MAX_ATTEMPTS, first_refused + TRIES_WHEN_DEAD)


def live_card(number: int) -> str:
    """A stolen-looking (Luhn-valid, not a test card) Visa number, the same for ``number``."""
    body = "41" + str(4_000_000_000_000 + number * 7_919)[-13:]
    return body + _luhn_digit(body)


def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        digit = int(ch)
        if i % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


@dataclass(frozen=True)
class KeyState:
    """What the drill needs to know about the leaked key (a row of ``api_keys``)."""

    type: str  # secret | restricted
    revoked_at: int | None
    expires_at: int | None
    permissions: tuple[str, ...]
    ip_allowlist: tuple[str, ...]


def refusal(key: KeyState, at: int, address: str, permission: str) -> str | None:
    """Why the key refused a bot at ``at`` (``None``: it let the bot in), in the order the API
    checks: the key's state, its allow-list, then a restricted key's permissions.

    :returns: ``api_key_expired`` (revoked or expired by then), ``api_key_ip_not_allowed`` or
        ``permission``.
    """
    if key.revoked_at is not None and at >= key.revoked_at:
        return "api_key_expired"
    if key.expires_at is not None and at >= key.expires_at:
        return "api_key_expired"
    if key.ip_allowlist and not address_allowed(address, key.ip_allowlist):
        return "api_key_ip_not_allowed"
    if key.type == "restricted" and not allows(key.permissions, permission):
        return "permission"
    return None


def stopped_at(key: KeyState) -> int | None:
    """When the key stopped working for everyone (revoked, or expired after a roll)."""
    ends = [t for t in (key.revoked_at, key.expires_at) if t is not None]
    return min(ends) if ends else None


def exposure(leaked_at: int, key: KeyState, now: int) -> tuple[int, bool]:
    """Seconds the leaked key worked after the leak, and whether it has stopped by ``now``."""
    end = stopped_at(key)
    if end is not None and end <= now:
        return max(0, end - leaked_at), True
    return max(0, now - leaked_at), False
