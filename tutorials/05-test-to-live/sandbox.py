"""Lesson 5: what only the account's owner can do - activate live mode, move the account's
clock, look at the bank account, check the ledger. Your app never does these, so they use the
dashboard session that `payground init` saved, not an API key (guard it like one)."""

import os
import sys
from functools import cache
from pathlib import Path

import requests
from dotenv import dotenv_values

API_BASE = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
DAY = 24 * 60 * 60


def call(method: str, path: str, **kwargs) -> requests.Response:
    """A request to the sandbox API, signed in as the account's owner."""
    try:
        return requests.request(method, f"{API_BASE}{path}", timeout=10,
                                headers={"Authorization": f"Bearer {session()}"}, **kwargs)
    except requests.ConnectionError:  # nothing listens at API_BASE
        sys.exit(f"Payground is not answering at {API_BASE}: start it with `payground serve`")


@cache  # read and checked once a run
def session() -> str:
    """The saved session, once checked to be the account whose keys are in .env: it is the
    account that signed in last, in whichever folder."""
    saved = Path(os.environ.get("PAYGROUND_HOME", "~/.payground")).expanduser() / "session"
    if not saved.exists():
        sys.exit(f"no dashboard session in {saved}: run `payground init` first")
    token = saved.read_text(encoding="utf-8").strip()
    # `payground init` wrote the publishable key with the secret one, from one account; the
    # signed-in account's keys show its publishable ones in full. No such key: can't tell.
    publishable = os.environ.get("STRIPE_PUBLISHABLE_KEY")
    here = dotenv_values(".env") if Path(".env").exists() else {}
    mine = {here.get(n) for n in ("STRIPE_PUBLISHABLE_KEY", "STRIPE_LIVE_PUBLISHABLE_KEY")}
    if publishable and mine - {None, ""} and publishable not in mine:
        # Loaded in another folder, then a `cd` here: that folder's account, not the session's
        # fault (activate.py would write its live keys to this .env).
        sys.exit("the keys in your environment are not this folder's .env's (loaded in another "
                 "folder?): load .env again (set -a; . ./.env; set +a), and in the production "
                 "terminal export the live ones again")
    if publishable:
        try:
            listed = requests.get(f"{API_BASE}/sandbox/keys", timeout=10,
                                  headers={"Authorization": f"Bearer {token}"})
        except requests.ConnectionError:  # nothing listens at API_BASE
            sys.exit(f"Payground is not answering at {API_BASE}: start it with `payground serve`")
        if not listed.ok:  # the saved session has expired, say: the server says why
            sys.exit(listed.json()["error"]["message"])
        if publishable not in {key.get("secret") for key in listed.json()["data"]}:
            sys.exit("the saved session is another account's, not the one whose keys are in "
                     ".env: `payground login` with this folder's account's email signs it in "
                     "again (and changes nothing else)")
    return token


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
