"""Lesson 7: the dashboard session `payground init` saved (used by deliveries.py and
roll_secret.py). Reading deliveries and rolling a secret take it, not an API key."""

import os
import sys
from pathlib import Path

import requests

from envfile import check_loaded


def saved_session() -> dict[str, str]:
    """The saved session, as the header that signs a request in with it."""
    saved = Path(os.environ.get("PAYGROUND_HOME", "~/.payground")).expanduser() / "session"
    if not saved.exists():  # saved by `payground init`
        sys.exit(f"no dashboard session in {saved}: run `payground init` first")
    return {"Authorization": f"Bearer {saved.read_text().strip()}"}


def check_account(api: str, session: dict[str, str]) -> None:
    """Stop unless ``session`` is the account whose keys are in .env: it is the account that
    signed in last, in whichever folder."""
    check_loaded()  # another folder's keys in the environment: not the session's fault
    # `payground init` wrote the publishable key with the secret one, from one account; the
    # signed-in account's keys show its publishable ones in full. No such key: can't tell.
    publishable = os.environ.get("STRIPE_PUBLISHABLE_KEY")
    if not publishable:
        return
    try:
        response = requests.get(f"{api}/sandbox/keys", headers=session, timeout=10)
    except requests.ConnectionError:  # nothing listens at STRIPE_API_BASE
        sys.exit(f"Payground is not answering at {api}: start it with `payground serve`")
    if not response.ok:  # the saved session has expired, say: the server says why
        sys.exit(response.json()["error"]["message"])
    if publishable not in {key.get("secret") for key in response.json()["data"]}:
        sys.exit("the saved session is another account's, not the one whose keys are in .env: "
                 "`payground login` with this folder's account's email signs it in again "
                 "(and changes nothing else)")
