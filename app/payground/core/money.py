"""Money in integer minor units: processing fees, minimum charge amounts, display.

Everything here is integer arithmetic: a float never touches an amount.
"""

from __future__ import annotations

# 2.9% + 30, the fee Stripe charges for a domestic card payment.
FEE_RATE_PER_MILLE = 29
FEE_FIXED = 30

# Stripe's minimum charge amounts, in minor units of each currency.
MINIMUM_AMOUNTS = {
    "usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50, "jpy": 50, "chf": 50, "sek": 300,
    "nok": 300, "dkk": 250, "nzd": 50, "sgd": 50, "hkd": 400, "mxn": 1000, "brl": 50,
    "inr": 50, "pln": 200, "czk": 1500,
}
# Stripe's technical limit, in any currency: eight digits of minor units ($999,999.99).
MAXIMUM_AMOUNT = 99_999_999
ZERO_DECIMAL = frozenset({"jpy"})
SYMBOLS = {
    "usd": "$", "cad": "$", "aud": "$", "nzd": "$", "sgd": "$", "hkd": "$", "mxn": "$",
    "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹", "brl": "R$",
}


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, halves away from zero."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def fee(amount: int) -> int:
    """The processing fee on a successful charge of ``amount``: 2.9% (half-up) + 30, never
    more than the charge itself (a 30p charge, GBP's minimum, would otherwise cost 31p)."""
    return min(round_half_up(amount * FEE_RATE_PER_MILLE, 1000) + FEE_FIXED, amount)


def net(amount: int) -> int:
    """What the account keeps of a charge of ``amount`` once the fee is taken."""
    return amount - fee(amount)


def minimum_amount(currency: str) -> int:
    """The smallest amount a charge in ``currency`` may have (50 for currencies not listed)."""
    return MINIMUM_AMOUNTS.get(currency.lower(), 50)


def format_amount(amount: int, currency: str, *, grouped: bool = False) -> str:
    """``1234, "usd"`` -> ``$12.34``; ``500, "jpy"`` -> ``¥500``; ``300, "sek"`` -> ``3.00``;
    ``grouped`` puts in thousands separators, as Stripe's maximum-amount message does
    (``$999,999.99``)."""
    currency = currency.lower()
    sign = "-" if amount < 0 else ""
    symbol = SYMBOLS.get(currency, "")
    comma = "," if grouped else ""
    if currency in ZERO_DECIMAL:
        return f"{sign}{symbol}{abs(amount):{comma}d}"
    major, minor = divmod(abs(amount), 100)
    return f"{sign}{symbol}{major:{comma}d}.{minor:02d}"
