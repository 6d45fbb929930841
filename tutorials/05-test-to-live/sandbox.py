"""Lesson 5: what only the account's owner can do - activate live mode, move the account's
clock, look at the bank account, check the ledger. Your app never does these, so they use the
dashboard session that `payground init` saved, not an API key (guard it like one)."""

import os
import sys
from pathlib import Path

import requests

API_BASE = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
DAY = 24 * 60 * 60


def call(method: str, path: str, **kwargs) -> requests.Response:
    """A request to the sandbox API, signed in as the account's owner."""
    saved = Path(os.environ.get("PAYGROUND_HOME", "~/.payground")).expanduser() / "session"
    if not saved.exists():
        sys.exit(f"no dashboard session in {saved}: run `payground init` first")
    session = saved.read_text(encoding="utf-8").strip()
    try:
        return requests.request(method, f"{API_BASE}{path}", timeout=10,
                                headers={"Authorization": f"Bearer {session}"}, **kwargs)
    except requests.ConnectionError:  # nothing listens at API_BASE
        sys.exit(f"Payground is not answering at {API_BASE}: start it with `payground serve`")


def advance_clock(days: int) -> None:
    """Move the account's clock forward (both modes share it) instead of waiting days."""
    call("POST", "/sandbox/clock/advance", json={"seconds": days * DAY}).raise_for_status()


def bank_account(livemode: bool) -> dict:
    """The simulated bank account that this mode's payouts go to, and what it received."""
    response = call("GET", "/sandbox/bank")
    response.raise_for_status()
    return next(bank for bank in response.json()["data"] if bank["livemode"] == livemode)


def verify_ledger() -> dict:
    """Payground's own audit: does every journal balance, does every total add up?"""
    response = call("GET", "/sandbox/ledger/verify")
    response.raise_for_status()
    return response.json()
