"""Cards: Luhn, brands, Stripe's test cards and magic tokens, and the simulated issuer.

A raw card number lives only in memory while a request is handled; what is kept is a ``Card``
(brand, last four, expiry, HMAC fingerprint, outcome class), never the number.

Outcome classes: a test card's number decides its outcome (``4000000000000002`` is always
declined). Stripe's cards for the verification checks (``CHECK_CARDS``) are classes of their
own: they decide the issuer's answers to the address and CVC checks, and charge as another
class does; so are its 3-D Secure cards (``core.three_d_secure``), which decide when the
cardholder must authenticate; and so is its "Decline after attaching" card
(``DECLINED_WHEN_CHARGED``), which a setup approves (``decide_setup``) and every charge
declines. In live mode a known test card is declined
(``live_mode_test_card``); any other valid card goes to a simulated issuer that approves
amounts up to a per-card limit.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timezone

from .. import messages
from . import three_d_secure
from .keys import base62


@dataclass(frozen=True)
class Outcome:
    """What happens to a charge: Stripe's error fields and its ``outcome`` object."""

    name: str
    code: str | None = None  # error.code; None means the charge succeeds
    decline_code: str | None = None
    message: str | None = None
    param: str | None = None
    network_status: str = "approved_by_network"
    reason: str | None = None
    risk_level: str = "normal"
    seller_message: str = "Payment complete."
    type: str = "authorized"
    bypass_pending: bool = False

    @property
    def declined(self) -> bool:
        return self.code is not None


def _issuer_decline(name: str, code: str, message: str, decline_code: str | None,
                    param: str | None = None, seller_message: str | None = None) -> Outcome:
    return Outcome(name=name, code=code, decline_code=decline_code, message=message, param=param,
                   network_status="declined_by_network", reason=name, type="issuer_declined",
                   seller_message=seller_message
                   or f"The bank returned the decline code `{name}`.")


_OUTCOMES = [
    Outcome("success"),
    Outcome("bypass_pending", bypass_pending=True),
    _issuer_decline("generic_decline", "card_declined", messages.CARD_DECLINED,
                    "generic_decline", seller_message="The bank did not return any further "
                    "details with this decline."),
    _issuer_decline("insufficient_funds", "card_declined", messages.CARD_INSUFFICIENT_FUNDS,
                    "insufficient_funds"),
    _issuer_decline("lost_card", "card_declined", messages.CARD_DECLINED, "lost_card"),
    _issuer_decline("stolen_card", "card_declined", messages.CARD_DECLINED, "stolen_card"),
    # Stripe's table gives expired_card, incorrect_cvc and processing_error no decline_code.
    _issuer_decline("expired_card", "expired_card", messages.CARD_EXPIRED, None, "exp_month"),
    _issuer_decline("incorrect_cvc", "incorrect_cvc", messages.CARD_INCORRECT_CVC, None, "cvc"),
    _issuer_decline("processing_error", "processing_error", messages.CARD_PROCESSING_ERROR,
                    None),
    Outcome("fraudulent", code="card_declined", decline_code="fraudulent",
            message=messages.CARD_DECLINED, network_status="not_sent_to_network",
            reason="highest_risk_level", risk_level="highest", type="blocked",
            seller_message="Stripe blocked this payment as too risky."),
    # A payment its issuer wants authenticated that could not be (off session, the Charges API).
    _issuer_decline("authentication_required", "authentication_required",
                    messages.CARD_AUTHENTICATION_REQUIRED, "authentication_required"),
    Outcome("live_mode_test_card", code="card_declined", decline_code="live_mode_test_card",
            message=messages.LIVE_MODE_TEST_CARD, network_status="not_sent_to_network",
            reason="live_mode_test_card", type="invalid",
            seller_message="The card is a known test card; live mode accepts real cards only."),
]
OUTCOMES: dict[str, Outcome] = {o.name: o for o in _OUTCOMES}

# Stripe's test card numbers -> outcome class.
TEST_CARDS: dict[str, str] = {
    "4242424242424242": "success", "4000056655665556": "success",
    "5555555555554444": "success", "2223003122003222": "success",
    "5200828282828210": "success", "5105105105105100": "success",
    "378282246310005": "success", "371449635398431": "success",
    "6011111111111117": "success", "6011000990139424": "success",
    "3056930009020004": "success", "36227206271667": "success",
    "3566002020360505": "success", "6200000000000005": "success",
    "4000000000000077": "bypass_pending", "4000000000000002": "generic_decline",
    "4000000000009995": "insufficient_funds", "4000000000009987": "lost_card",
    "4000000000009979": "stolen_card", "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc", "4000000000000119": "processing_error",
    "4100000000000019": "fraudulent",
    # Stripe's "CVC and address verification" cards (CHECK_CARDS), and its "Decline after
    # attaching" card (DECLINED_WHEN_CHARGED).
    "4000000000000010": "avs_fail", "4000000000000028": "avs_line1_fail",
    "4000000000000036": "avs_zip_fail", "4000000000000044": "avs_unavailable",
    "4000000000000101": "cvc_check_fail", "4000000000000341": "charge_customer_fail",
    # Stripe's 3-D Secure cards (core.three_d_secure): regulatory (SCA) ones, then 3DS ones.
    "4000002500003155": "auth_unless_set_up", "4000002760003184": "auth_always",
    "4000003800000446": "auth_set_up", "4000008260003178": "auth_insufficient_funds",
    "4000000000003220": "three_ds_required", "4000000000003063": "three_ds_required",
    "4000008400001629": "three_ds_declined", "4000000000003055": "three_ds_optional",
}

# The verification-check test cards: the outcome their charges take, and the issuer's answers
# to the address checks (line1, postal code) for an address that was given (Stripe shows null
# for a line or postal code that was not). Stripe, with an account's default settings:
# 0010/0028/0036 fail those checks, 0044 gets "unavailable" for both, and the charges
# succeed; 0101 fails the CVC check if a CVC was given, and the charge is then declined
# (`incorrect_cvc`), else it succeeds (see `describe`).
CHECK_CARDS: dict[str, tuple[str, str, str]] = {
    "avs_fail": ("success", "fail", "fail"),
    "avs_line1_fail": ("success", "fail", "pass"),
    "avs_zip_fail": ("success", "pass", "fail"),
    "avs_unavailable": ("success", "unavailable", "unavailable"),
    "cvc_check_fail": ("incorrect_cvc", "pass", "pass"),
}
# Stripe's "Decline after attaching" card: "Attaching this card to a Customer object succeeds,
# but attempts to charge the customer fail" (``card_declined``, ``generic_decline``). Its
# charges decline as 0002's do; unlike 0002, it can be set up (``decide_setup``).
DECLINED_WHEN_CHARGED: dict[str, str] = {"charge_customer_fail": "generic_decline"}
# The classes whose issuer approves the zero-amount check that sets them up (a SetupIntent)
# and declines every charge: that card, and Stripe's 3-D Secure "Insufficient funds" card
# ("All payments are declined with an insufficient_funds failure code even after being
# successfully authenticated or previously set up": so it can be set up). 9995, declined
# ``insufficient_funds`` too, is not one: Stripe's SetupIntent guide has it "declined during
# setup".
SET_UP_THEN_DECLINED = ("charge_customer_fail", "auth_insufficient_funds")
FUNDING = {"4000056655665556": "debit", "5200828282828210": "debit",
           "5105105105105100": "prepaid"}  # every other test card is a credit card

# tok_<name> and pm_card_<name> stand for these test cards.
MAGIC: dict[str, str] = {
    "visa": "4242424242424242", "visa_debit": "4000056655665556",
    "mastercard": "5555555555554444", "mastercard_debit": "5200828282828210",
    "mastercard_prepaid": "5105105105105100", "amex": "378282246310005",
    "discover": "6011111111111117", "diners": "3056930009020004",
    "jcb": "3566002020360505", "unionpay": "6200000000000005",
    "bypassPending": "4000000000000077",
    "chargeDeclined": "4000000000000002",
    "chargeDeclinedInsufficientFunds": "4000000000009995",
    "chargeDeclinedLostCard": "4000000000009987",
    "chargeDeclinedStolenCard": "4000000000009979",
    "chargeDeclinedExpiredCard": "4000000000000069",
    "chargeDeclinedIncorrectCvc": "4000000000000127",
    "chargeDeclinedProcessingError": "4000000000000119",
    "chargeDeclinedFraudulent": "4100000000000019",
    # The names Stripe's testing page lists today for the same declines.
    "visa_chargeDeclined": "4000000000000002",
    "visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "visa_chargeDeclinedLostCard": "4000000000009987",
    "visa_chargeDeclinedStolenCard": "4000000000009979",
    # The verification checks' (the magic ids carry no address: see the README).
    "avsFail": "4000000000000010", "avsLine1Fail": "4000000000000028",
    "avsZipFail": "4000000000000036", "avsUnchecked": "4000000000000044",
    "cvcCheckFail": "4000000000000101", "chargeCustomerFail": "4000000000000341",
    "visa_chargeCustomerFail": "4000000000000341",  # its newer name, as the declines' above
    # 3-D Secure's (core.three_d_secure).
    "authenticationRequiredOnSetup": "4000002500003155",
    "authenticationRequired": "4000002760003184",
    "authenticationRequiredSetupForOffSession": "4000003800000446",
    "authenticationRequiredChargeDeclinedInsufficientFunds": "4000008260003178",
    "threeDSecure2Required": "4000000000003220", "threeDSecureRequired": "4000000000003063",
    "threeDSecureRequiredChargeDeclined": "4000008400001629",
    "threeDSecureOptional": "4000000000003055",
    "amex_threeDSecureNotSupported": "378282246310005",
}

BRAND_NAMES = {
    "visa": "Visa", "mastercard": "MasterCard", "amex": "American Express",
    "discover": "Discover", "diners": "Diners Club", "jcb": "JCB", "unionpay": "UnionPay",
    "unknown": "Unknown",
}

# The simulated issuer approves live charges up to a limit between $500 and $5,250.
ISSUER_LIMIT_MIN, ISSUER_LIMIT_STEP, ISSUER_LIMIT_STEPS = 50_000, 25_000, 20


@dataclass(frozen=True)
class CardProblem:
    """A card that cannot even be tokenised: Stripe's 402 ``card_error`` fields."""

    code: str
    param: str
    message: str
    decline_code: str | None = None


@dataclass(frozen=True)
class Card:
    """Everything kept about a card. There is deliberately no field for the number."""

    brand: str
    last4: str
    exp_month: int
    exp_year: int
    funding: str
    country: str
    fingerprint: str
    outcome: str  # a key of OUTCOMES, or "issuer" for a live card
    issuer_limit: int | None = None


def normalize(number: str) -> str:
    """Drop the spaces and dashes people type between groups of digits."""
    return number.replace(" ", "").replace("-", "")


def luhn_valid(number: str) -> bool:
    """The Luhn (mod 10) check every real card number passes."""
    if not _ascii_digits(number):
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def brand(number: str) -> str:
    """The card network, from the number's leading digits (``visa``, ``amex`` ...)."""
    two, four, six = int(number[:2] or 0), int(number[:4] or 0), int(number[:6] or 0)
    if number.startswith("4"):
        return "visa"
    if 51 <= two <= 55 or 2221 <= four <= 2720:
        return "mastercard"
    if two in (34, 37):
        return "amex"
    if four == 6011 or two == 65 or 644 <= int(number[:3] or 0) <= 649 \
            or 622126 <= six <= 622925:
        return "discover"
    if two == 62:
        return "unionpay"
    if 300 <= int(number[:3] or 0) <= 305 or two in (36, 38, 39):
        return "diners"
    if 3528 <= four <= 3589:
        return "jcb"
    return "unknown"


def magic_number(source: str) -> str | None:
    """The test card behind ``tok_visa`` / ``pm_card_visa`` style ids, or None."""
    prefix = next((p for p in ("pm_card_", "tok_") if source.startswith(p)), None)
    return MAGIC.get(source[len(prefix):]) if prefix else None


def fingerprint(number: str, key: str) -> str:
    """A stable, keyed id for a card number: the same card always gets the same value."""
    digest = hmac.new(key.encode(), b"card-fingerprint:" + number.encode(),
                      hashlib.sha256).digest()
    return base62(int.from_bytes(digest[:12], "big")).rjust(16, "0")[-16:]


def issuer_limit(number: str) -> int:
    """The simulated issuer's limit for one live card, derived from the number alone."""
    seed = int.from_bytes(hashlib.sha256(number.encode()).digest()[:4], "big")
    return ISSUER_LIMIT_MIN + (seed % ISSUER_LIMIT_STEPS) * ISSUER_LIMIT_STEP


def number_problem(number: str) -> CardProblem | None:
    if not _ascii_digits(number) or not 12 <= len(number) <= 19:
        return CardProblem("invalid_number", "number", messages.CARD_NUMBER_INVALID)
    if not luhn_valid(number):
        return CardProblem("incorrect_number", "number", messages.CARD_NUMBER_INCORRECT)
    return None


def expiry_problem(exp_month, exp_year, now: int) -> tuple[CardProblem | None, int, int]:
    """Check an expiry against ``now`` (Unix seconds); two-digit years mean 20xx."""
    today = datetime.fromtimestamp(now, timezone.utc)
    bad_month = CardProblem("invalid_expiry_month", "exp_month", messages.INVALID_EXPIRY_MONTH)
    month = _as_int(exp_month)
    if month is None or not 1 <= month <= 12:
        return bad_month, 0, 0
    year = _as_int(exp_year)
    if year is not None and 0 <= year < 100:
        year += 2000
    if year is None or year < today.year or year > today.year + 50:
        return CardProblem("invalid_expiry_year", "exp_year", messages.INVALID_EXPIRY_YEAR), 0, 0
    if year == today.year and month < today.month:
        return bad_month, 0, 0
    return None, month, year


def is_expired(exp_month: int, exp_year: int, now: int) -> bool:
    """Whether a card's expiry month has fully passed at ``now``."""
    today = datetime.fromtimestamp(now, timezone.utc)
    return (exp_year, exp_month) < (today.year, today.month)


def cvc_problem(cvc: str | None) -> CardProblem | None:
    if cvc is None or (_ascii_digits(cvc) and len(cvc) in (3, 4)):
        return None
    return CardProblem("invalid_cvc", "cvc", messages.INVALID_CVC)


def describe(number: str, exp_month: int, exp_year: int, *, livemode: bool,
             key: str, cvc: bool = False) -> Card | CardProblem:
    """A valid ``number`` as a ``Card`` for this mode, or the ``CardProblem`` that refuses it.

    Test mode accepts only test cards; live mode refuses them (Stripe does both at
    tokenisation time) and sends everything else to the simulated issuer.
    :param cvc: a CVC was given with the number: only then can Stripe's ``...0101`` fail
        its CVC check (without one, it is a card that succeeds).
    """
    test_card = TEST_CARDS.get(number)
    if test_card is None and not livemode:
        return CardProblem("card_declined", "number", messages.TEST_MODE_LIVE_CARD,
                           decline_code="test_mode_live_card")
    if test_card is not None and livemode:
        return CardProblem("card_declined", "number", messages.LIVE_MODE_TEST_CARD,
                           decline_code="live_mode_test_card")
    if test_card == "cvc_check_fail" and not cvc:
        test_card = "success"
    if test_card is not None:
        return _card(number, exp_month, exp_year, key, test_card)
    return _card(number, exp_month, exp_year, key, "issuer", issuer_limit(number))


def magic_card(source: str, *, now: int, key: str) -> Card | None:
    """The card a magic ``tok_visa`` / ``pm_card_visa`` id stands for (expiring next year)."""
    number = magic_number(source)
    if number is None:
        return None
    next_year = datetime.fromtimestamp(now, timezone.utc).year + 1
    return _magic_card(number, next_year, key)


def magic_cvc_check(card: Card) -> str | None:
    """A magic payment method's ``cvc_check`` before it is charged. ``pm_card_cvcCheckFail``
    stands for its card entered with a CVC (what it is for: a check not asked for cannot
    fail), so ``unchecked``; the other magic ids for cards entered without one: null."""
    return "unchecked" if card.outcome == "cvc_check_fail" else None


@functools.lru_cache(maxsize=256)
def _magic_card(number: str, exp_year: int, key: str) -> Card:
    # Kept: the same few test numbers come back on every charge with a magic token, and a
    # Card is a frozen function of these arguments (its fingerprint is a keyed HMAC).
    return _card(number, 12, exp_year, key, TEST_CARDS[number])


def decide(card_outcome: str, *, amount: int, issuer_limit: int | None, livemode: bool,
           magic: bool, expired: bool, unauthenticated: bool = False) -> Outcome:
    """The outcome of charging ``amount`` to a card of class ``card_outcome``.

    :param unauthenticated: its issuer wants the payment authenticated, and it could not be
        (``core.three_d_secure.DECLINE``).
    """
    if livemode and magic:
        return OUTCOMES["live_mode_test_card"]
    if expired:
        return OUTCOMES["expired_card"]
    if unauthenticated:
        return OUTCOMES["authentication_required"]
    card_outcome = three_d_secure.charges_as(card_outcome)
    card_outcome = DECLINED_WHEN_CHARGED.get(card_outcome, card_outcome)
    if card_outcome == "issuer":
        if issuer_limit is not None and amount > issuer_limit:
            return OUTCOMES["insufficient_funds"]
        return OUTCOMES["success"]
    checks = CHECK_CARDS.get(card_outcome)
    return OUTCOMES[checks[0] if checks else card_outcome]


def decide_setup(card_outcome: str, *, issuer_limit: int | None, livemode: bool, magic: bool,
                 expired: bool) -> Outcome:
    """The issuer's answer to the zero-amount check that sets up a card of class
    ``card_outcome`` (a SetupIntent): a charge's of nothing (``decide``), except that the
    cards that are declined only when charged (``SET_UP_THEN_DECLINED``) are approved."""
    if card_outcome in SET_UP_THEN_DECLINED and not expired and not (livemode and magic):
        return OUTCOMES["success"]
    return decide(card_outcome, amount=0, issuer_limit=issuer_limit, livemode=livemode,
                  magic=magic, expired=expired)


def saving_outcome(card_outcome: str, *, livemode: bool, expired: bool) -> Outcome:
    """What the issuer answers when a card of class ``card_outcome`` is saved on a customer
    (Stripe verifies a card it attaches as a customer's source): the decline a charge would
    get, except for 0341's class (``DECLINED_WHEN_CHARGED``: saved, declined when charged) and
    Radar's block of ``fraudulent`` (which stops payments, not the saving of a card). A live
    card always passes (the issuer's limit is about amounts; nothing is charged)."""
    if card_outcome in DECLINED_WHEN_CHARGED:
        return OUTCOMES["success"]
    outcome = decide(card_outcome, amount=0, issuer_limit=None, livemode=livemode,
                     magic=False, expired=expired)
    return OUTCOMES["success"] if outcome.name == "fraudulent" else outcome


def address_check(card_outcome: str, key: str) -> str:
    """The issuer's answer, once a card of class ``card_outcome`` is charged, to the check of
    the address ``line1`` or ``postal_code`` it was given: ``pass``, or what Stripe's
    verification test cards answer (``fail``, ``unavailable``)."""
    checks = CHECK_CARDS.get(card_outcome)
    if checks is None:
        return "pass"
    return checks[1] if key == "line1" else checks[2]


def looks_like_card_number(value: str) -> bool:
    """A string of 12-19 digits (spaces and dashes allowed): someone sent a raw number."""
    digits = normalize(value)
    return _ascii_digits(digits) and 12 <= len(digits) <= 19


def _as_int(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value.strip()) if isinstance(value, str) and _ascii_digits(value.strip()) else None


def _ascii_digits(text: str) -> bool:
    """``0``-``9`` only: ``str.isdigit`` also takes ``٤٢`` and ``²``, which a card number never
    holds (and which ``int`` reads as digits, or fails on)."""
    return text.isascii() and text.isdigit()


def _card(number: str, exp_month: int, exp_year: int, key: str, outcome: str,
          limit: int | None = None) -> Card:
    return Card(brand=brand(number), last4=number[-4:], exp_month=exp_month, exp_year=exp_year,
                funding=FUNDING.get(number, "credit"), country="US",
                fingerprint=fingerprint(number, key), outcome=outcome, issuer_limit=limit)
