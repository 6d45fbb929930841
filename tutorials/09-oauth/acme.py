"""Lesson 9: what Acme Analytics' programs share - its .env, and its list of connected
businesses (Acme's "database": one Payground account id per business, nothing else)."""

import json
import os
import sys
import tempfile
from pathlib import Path

import stripe
from dotenv import dotenv_values

ENV_FILE = Path(".env")
ACCOUNTS_FILE = Path("connected_accounts.json")
# Where acme_site.py answers: the address businesses come back to after connecting.
ACME_URL = os.environ.get("ACME_URL", "http://localhost:8000")


def settings() -> dict[str, str]:
    """Acme's .env, which `payground init` wrote in this folder: Acme's own keys."""
    if not ENV_FILE.exists():
        sys.exit("no .env here: run `payground init` in this folder first")
    values = dotenv_values(ENV_FILE)
    if not values.get("STRIPE_SECRET_KEY"):  # `STRIPE_SECRET_KEY=` in .env, or no such line
        state = "empty" if "STRIPE_SECRET_KEY" in values else "missing"
        sys.exit(f"STRIPE_SECRET_KEY is {state} in .env: run `payground init` in this folder "
                 "(it writes a working key there)")
    return values


def use_stripe() -> None:
    """Set up the stripe library with Acme's secret key: the only key Acme ever holds."""
    env = settings()
    stripe.api_key = env["STRIPE_SECRET_KEY"]
    # Before the first use of stripe.OAuth: the library copies connect_api_base when it
    # loads its OAuth module, and builds every authorize link from that copy.
    stripe.api_base = stripe.connect_api_base = env["STRIPE_API_BASE"]
    stripe.client_id = env.get("STRIPE_CLIENT_ID")  # ca_...: public, in every authorize link


def connected_accounts() -> list[str]:
    return json.loads(ACCOUNTS_FILE.read_text()) if ACCOUNTS_FILE.exists() else []


def save_accounts(accounts: list[str]) -> None:
    """Write the list with one rename: a program reading it meanwhile sees all of it."""
    handle, temporary = tempfile.mkstemp(dir=".", prefix=".accounts.")
    with os.fdopen(handle, "w") as new_file:
        json.dump(sorted(set(accounts)), new_file, indent=1)
    os.replace(temporary, ACCOUNTS_FILE)
