"""Lesson 8: the few things every step needs - your .env, your dashboard session, your key."""

import os
import sys
import tempfile
from pathlib import Path

import requests
from dotenv import dotenv_values

ENV_FILE = Path(".env")


def settings() -> dict[str, str]:
    """The project's .env, read afresh (your app reads it on every request, as in lesson 4)."""
    if not ENV_FILE.exists():
        sys.exit("no .env here: run `payground init` in this folder first")
    values = dotenv_values(ENV_FILE)
    if not values.get("STRIPE_SECRET_KEY"):  # `STRIPE_SECRET_KEY=` in .env, or no such line
        state = "empty" if "STRIPE_SECRET_KEY" in values else "missing"
        sys.exit(f"STRIPE_SECRET_KEY is {state} in .env: run `payground init` in this folder "
                 "(it writes a working key there)")
    return values


def replace_in_env(name: str, value: str) -> None:
    """Set ``name`` in .env by writing a new file and swapping it in with one rename: a
    program reading .env meanwhile sees the old file or the new one, never half of one."""
    lines = [line for line in ENV_FILE.read_text().splitlines()
             if not line.startswith(f"{name}=")]
    handle, temporary = tempfile.mkstemp(dir=".", prefix=".env.")  # 0600, like .env
    with os.fdopen(handle, "w") as new_file:
        new_file.write("\n".join([*lines, f"{name}={value}"]) + "\n")
    os.replace(temporary, ENV_FILE)


def shown(key: str) -> str:
    """A key as logs and dashboards show it: never more than its prefix and last four."""
    return f"{key[:8]}...{key[-4:]}"


def sandbox() -> tuple[requests.Session, str]:
    """An HTTP session signed in with the session `payground init` saved, and the API base."""
    saved = Path(os.environ.get("PAYGROUND_HOME", "~/.payground")).expanduser() / "session"
    if not saved.exists():
        sys.exit(f"no dashboard session in {saved}: run `payground init` first")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {saved.read_text().strip()}"
    return session, settings()["STRIPE_API_BASE"]


def key_object(api: requests.Session, base: str, key: str) -> dict:
    """The dashboard's record of ``key`` (its ``key_...`` id, status ...), by display form."""
    try:
        response = api.get(f"{base}/sandbox/keys", timeout=10)
    except requests.ConnectionError:  # nothing listens at STRIPE_API_BASE
        sys.exit(f"Payground is not answering at {base}: start it with `payground serve`")
    if not response.ok:  # the saved session has expired, say: the server says why
        sys.exit(response.json()["error"]["message"])
    keys = response.json()["data"]
    for candidate in keys:
        if candidate["redacted"] == shown(key):
            return candidate
    # `payground init` wrote .env's publishable key with the secret one, from one account: when
    # that is not the signed-in account's either, the saved session is what changed (a later
    # `payground init` elsewhere, with another email), not .env.
    publishable = settings().get("STRIPE_PUBLISHABLE_KEY")
    if publishable and publishable not in {k.get("secret") for k in keys}:
        sys.exit("the saved session is another account's, not the one whose keys are in .env: "
                 "`payground login` with this folder's account's email signs it in again "
                 "(and changes nothing else)")
    sys.exit(f"{shown(key)} is not a key of the signed-in account: a typo in .env, or another "
             "account's key? `payground init` here puts one of yours in .env")
