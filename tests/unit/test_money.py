"""core.money: fees (2.9% + 30, half-up, integers only), minimums, display."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payground.core import money


@pytest.mark.parametrize("amount, fee", [
    (50, 31),        # 1.45 -> 1
    (2000, 88),      # 58 exactly
    (500, 45),       # 14.5 -> 15: the half rounds up
    (30, 30),        # 0.87 -> 1, 31: never more than the charge (GBP's minimum is 30)
    (31, 31),
    (32, 31),
    (100_000, 2930),
])
def test_fee(amount, fee):
    assert money.fee(amount) == fee
    assert money.net(amount) == amount - fee


@given(st.integers(min_value=0, max_value=10**12))
def test_fee_matches_decimal_half_up(amount):
    expected = (Decimal(amount) * Decimal("0.029")).quantize(Decimal(1), ROUND_HALF_UP) + 30
    assert money.fee(amount) == min(int(expected), amount)
    assert isinstance(money.fee(amount), int)


@pytest.mark.parametrize("numerator, denominator, result", [
    (5, 2, 3), (4, 2, 2), (7, 3, 2), (-5, 2, -3), (-7, 3, -2), (0, 7, 0),
])
def test_round_half_up(numerator, denominator, result):
    assert money.round_half_up(numerator, denominator) == result


@pytest.mark.parametrize("currency, minimum", [
    ("usd", 50), ("USD", 50), ("gbp", 30), ("jpy", 50), ("mxn", 1000), ("xyz", 50),
])
def test_minimum_amount(currency, minimum):
    assert money.minimum_amount(currency) == minimum


@pytest.mark.parametrize("amount, currency, shown", [
    (50, "usd", "$0.50"), (123456, "usd", "$1234.56"), (-700, "usd", "-$7.00"),
    (30, "gbp", "£0.30"), (500, "jpy", "¥500"), (300, "sek", "3.00"), (5, "eur", "€0.05"),
])
def test_format_amount(amount, currency, shown):
    assert money.format_amount(amount, currency) == shown


@pytest.mark.parametrize("amount, currency, shown", [
    (99_999_999, "usd", "$999,999.99"), (99_999_999, "jpy", "¥99,999,999"),
    (99_999_999, "sek", "999,999.99"), (-123456, "eur", "-€1,234.56"), (50, "usd", "$0.50"),
])
def test_format_amount_grouped(amount, currency, shown):
    assert money.format_amount(amount, currency, grouped=True) == shown
