"""`payground clock`: read and fast-forward your account's clock on a running server."""

from __future__ import annotations

import time
from typing import Any

import click

from . import main, url_option
from .client import _Client
from .keys import _sandbox


@main.group()
def clock() -> None:
    """Your account's clock: key grace periods and retention run on it, not on wall time."""


def _ahead(seconds: int) -> str:
    """``867600`` -> ``10 days 1 hour``: an offset a person can read (lessons add up to days)."""
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts)


def _show(body: dict[str, Any]) -> None:
    now = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(body["now"]))
    offset = body["offset"]
    readable = f": {_ahead(offset)}" if offset >= 60 else ""
    click.echo(f"Account time: {now} (wall clock + {offset} s{readable})")


@clock.command("show")
@url_option
@click.pass_obj
def show(obj: dict[str, Any], url: str) -> None:
    """Print the account's time and how far it is ahead of the wall clock.

    \f
    .. versionadded:: 0.1
    """
    with _Client(url) as api:
        _show(_sandbox(api, obj, "GET", "/sandbox/clock"))


@clock.command("advance")
@click.argument("duration")
@url_option
@click.pass_obj
def advance(obj: dict[str, Any], url: str, duration: str) -> None:
    """Move the account's clock forward by DURATION (90, 90s, 15m, 1h, 2d or 1w).

    Only your account's time moves: a key rolled with a one-hour grace period stops working
    after `payground clock advance 1h`, whatever the wall clock says.

    \f
    .. versionadded:: 0.1
    """
    from ..core.clock import parse_duration

    try:
        seconds = parse_duration(duration)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="DURATION") from None
    with _Client(url) as api:
        body = _sandbox(api, obj, "POST", "/sandbox/clock/advance", json={"seconds": seconds})
    click.echo(f"Advanced {seconds} s.")
    _show(body)
