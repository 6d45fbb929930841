"""The dashboard's display filters: durations, timestamps, amounts."""

from __future__ import annotations

import pytest

from payground.dashboard.filters import duration, money, timestamp


@pytest.mark.parametrize("seconds, round_up, shown", [
    (0, False, "0 s"), (59, False, "59 s"), (90, False, "1 min"), (3600, False, "1 h"),
    (5400, False, "1 h 30 min"), (86400 + 60, False, "1 d 1 min"), (90061, False, "1 d 1 h"),
    (3599, False, "59 min"), (3599, True, "1 h"), (3601, True, "1 h 1 min"), (59, True, "59 s"),
    (-5, False, "0 s"), (None, False, ""),
])
def test_duration(seconds, round_up, shown):
    assert duration(seconds, round_up=round_up) == shown


def test_timestamp_and_money():
    assert timestamp(1_700_000_000) == "2023-11-14 22:13:20 UTC"
    assert timestamp(None) == ""
    assert money(123456, "usd") == "$1234.56 USD"
    assert money(500, "jpy") == "¥500 JPY"
    assert money(None, "usd") == ""
