"""`payground ledger`: check your account's ledger and see its simulated bank account."""

from __future__ import annotations

from typing import Any

import click

from . import main, url_option
from .client import _Client
from .keys import _sandbox


@main.group()
def ledger() -> None:
    """Your account's money: verify the double-entry ledger, look at the bank it pays out to."""


@ledger.command("verify")
@url_option
@click.pass_obj
def verify(obj: dict[str, Any], url: str) -> None:
    """Check that every journal balances and every balance matches its entries.

    Exits with status 1 (and lists what is wrong) when the ledger does not hold together.

    \f
    .. versionadded:: 0.1
    """
    with _Client(url) as api:
        body = _sandbox(api, obj, "GET", "/sandbox/ledger/verify")
    counts = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in body["checked"].items())
    if body["ok"]:
        click.echo(f"Ledger balanced. Checked {counts}.")
        return
    click.echo(f"Ledger NOT balanced ({len(body['problems'])} problems). Checked {counts}.")
    for problem in body["problems"]:
        click.echo(f"  - {problem}")
    raise SystemExit(1)


@ledger.command("bank")
@url_option
@click.option("--use-test-account", "test_account", metavar="NUMBER", default=None,
              help="Send later test-mode payouts to this Stripe test bank account number: "
                   "000123456789 is paid, 000111111116, 000111111113, 000222222227, "
                   "000333333335 and 000444444440 fail.")
@click.pass_obj
def bank(obj: dict[str, Any], url: str, test_account: str | None) -> None:
    """Show the simulated bank account payouts go to, and what it has received (per mode).

    \f
    .. versionadded:: 0.1
    """
    with _Client(url) as api:
        if test_account is not None:
            _sandbox(api, obj, "POST", "/sandbox/bank",
                     json={"bank_account": {"account_number": test_account}})
        body = _sandbox(api, obj, "GET", "/sandbox/bank")
    for account in body["data"]:
        mode = "Live mode" if account["livemode"] else "Test mode"
        errored = " - errored: a payout to it failed" if account.get("status") == "errored" else ""
        click.echo(f"{mode}: {account['bank_name']} (routing {account['routing_number']}, "
                   f"account ending {account['last4']}) {account['id']}{errored}")
        click.echo(f"  received:   {_money(account['received'])}")
        click.echo(f"  in transit: {_money(account['in_transit'])}")


def _money(amounts: list[dict[str, Any]]) -> str:
    from ..core.money import format_amount

    return ", ".join(f"{format_amount(a['amount'], a['currency'])} {a['currency'].upper()}"
                     for a in amounts)
