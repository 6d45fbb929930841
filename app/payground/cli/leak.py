"""`payground leak start|status`: the leak drill of Story 4, from the terminal.

`start` treats one of your keys as pushed to a public repository; bots begin using it two
minutes later (on your account's clock). `status` says how long the key has been out, what
the bots got, and whether you beat the 12 minutes the story's team took.
"""

from __future__ import annotations

import re
import time
from typing import Any

import click

from ..core.clock import duration
from . import main, url_option
from .client import _Client
from .keys import _check_key_id, _sandbox

_DRILL_ID = re.compile(r"^drill_[0-9A-Za-z]+$")


@main.group()
def leak() -> None:
    """Leak drills: one of your keys "leaks", bots use it, you stop them; time yourself."""


def _utc(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


@leak.command("start")
@click.argument("key_id", callback=_check_key_id)
@url_option
@click.pass_obj
def start(obj: dict[str, Any], url: str, key_id: str) -> None:
    """Treat KEY_ID (key_..., a secret or restricted key) as pushed to a public repository.

    Bots start using it two minutes later and keep at it for an hour, unless the key stops
    working first. Their requests show in your request log like anyone's.

    \f
    .. versionadded:: 0.1
    """
    with _Client(url) as api:
        drill = _sandbox(api, obj, "POST", "/sandbox/leak_drills", json={"key": key_id})
    wait = drill["bots_arrive_at"] - drill["leaked_at"]
    click.echo(f"Leak drill {drill['id']}: {drill['key_redacted']} ({key_id}) counts as pushed "
               f"to a public repository at {_utc(drill['leaked_at'])}.")
    click.echo(f"Bots scan public pushes: the first one uses the key {duration(wait)} later.")
    click.echo("Spot them (`payground keys list` shows LAST USED; the dashboard's Requests "
               "page shows who), then stop them:")
    click.echo(f"  payground keys roll {key_id} --expires-in now   (then deploy the new key)")
    click.echo(f"`payground leak status` times you: the story's team took "
               f"{duration(drill['target_seconds'])}.")


@leak.command("status")
@click.argument("drill_id", required=False)
@url_option
@click.pass_obj
def status(obj: dict[str, Any], url: str, drill_id: str | None) -> None:
    """Show a drill (DRILL_ID, or your latest): exposure, what the bots got, your score.

    \f
    .. versionadded:: 0.1
    """
    if drill_id is not None and not _DRILL_ID.match(drill_id):
        raise click.BadParameter("expected a drill's id (drill_...).", param_hint="DRILL_ID")
    with _Client(url) as api:
        if drill_id is None:
            listed = _sandbox(api, obj, "GET", "/sandbox/leak_drills")["data"]
            if not listed:
                raise click.ClickException("No leak drill yet: start one with "
                                           "`payground leak start key_...`.")
            drill = listed[0]
        else:
            drill = _sandbox(api, obj, "GET", f"/sandbox/leak_drills/{drill_id}")
    for line in describe(drill):
        click.echo(line)


def describe(drill: dict[str, Any]) -> list[str]:
    """The lines `status` prints for a drill object of the sandbox API."""
    exposure, target = drill["exposure_seconds"], drill["target_seconds"]
    shown = duration(exposure) if exposure < 60 else f"{duration(exposure)} ({exposure} s)"
    if drill["status"] == "contained":
        verdict = (f"contained: the key worked for {shown} after the leak, until "
                   f"{_utc(drill['key_stopped_at'])}")
    else:
        verdict = f"EXPOSED: the key still works, {shown} after the leak"
    score = {True: f"beat the story's {duration(target)}.",
             False: f"slower than the story's {duration(target)}: try again with a new key.",
             None: f"the story's team took {duration(target)}."}[drill["beat_target"]]
    asked, got = drill["bot_requests"], drill["bots_got"]
    mode = "live" if drill["livemode"] else "test"
    return [
        f"{drill['id']}  {drill['key_redacted']} ({drill['key']}, {mode} mode)",
        f"Leaked at:     {_utc(drill['leaked_at'])}",
        f"Status:        {verdict}",
        f"Score:         {score}",
        f"Bot requests:  {asked['total']} ({asked['let_in']} let in, {asked['refused']} "
        "refused)",
        f"The bots got:  {_count(got['balance_reads'], 'balance read')}, the details of "
        f"{_count(got['customers_exposed'], 'customer')}, "
        f"{_count(got['charges_succeeded'], 'card-testing charge')} "
        f"(${got['amount_charged'] / 100:.2f} in all; {got['charges_declined']} more declined)",
    ]


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
