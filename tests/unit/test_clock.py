"""The per-account clock and duration parsing."""

import pytest

from payground.core.clock import Clock, parse_duration


def test_clock_adds_the_account_offset():
    clock = Clock(wall=lambda: 1000.9)

    class Account:
        clock_offset = 3600

    assert clock.now() == 1000
    assert clock.for_account(Account()) == 4600


def test_a_stopped_clock_keeps_its_second_and_the_offset():
    wall = [1000.9]
    stopped = Clock(wall=lambda: wall[0]).stopped()

    class Account:
        clock_offset = 3600

    wall[0] += 5
    assert (stopped.now(), stopped.for_account(Account())) == (1000, 4600)


@pytest.mark.parametrize("text,seconds", [("90", 90), ("90s", 90), ("15m", 900), ("1h", 3600),
                                          ("2d", 172800), ("1w", 604800), (" 3 h ", 10800)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "1y", "-1h", "1.5h"])
def test_parse_duration_refuses(text):
    with pytest.raises(ValueError, match="cannot read duration"):
        parse_duration(text)
