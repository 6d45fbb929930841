"""Lesson 3: the dashboard session `payground init` saved. API keys cannot make, roll or
revoke keys (a leaked key must not make itself new ones): this session can. Guard it like one."""

import os
import sys
from pathlib import Path

import requests


def dashboard(api_base: str) -> tuple[requests.Session, list[dict]]:
    """An HTTP session signed in with the saved session, and the signed-in account's keys.

    The session is the account that signed in last, in whichever folder: checked here to be
    the one whose keys are in .env, before anything is made or rolled.
    """
    saved = Path(os.environ.get("PAYGROUND_HOME", "~/.payground")).expanduser() / "session"
    if not saved.exists():
        sys.exit(f"no dashboard session in {saved}: run `payground init` first")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {saved.read_text(encoding='utf-8').strip()}"
    try:
        response = session.get(f"{api_base}/sandbox/keys", timeout=10)
    except requests.ConnectionError:  # nothing listens at api_base
        sys.exit(f"Payground is not answering at {api_base}: start it with `payground serve`")
    if not response.ok:  # the saved session has expired, say: the server says why
        sys.exit(response.json()["error"]["message"])
    keys = response.json()["data"]
    # `payground init` wrote .env's publishable key with the secret one, from one account; the
    # signed-in account's keys show its publishable ones in full. No such key: can't tell.
    publishable = os.environ.get("STRIPE_PUBLISHABLE_KEY")
    if publishable and publishable not in {key.get("secret") for key in keys}:
        sys.exit("the saved session is another account's, not the one whose keys are in .env: "
                 "`payground login` with this folder's account's email signs it in again "
                 "(and changes nothing else)")
    return session, keys
