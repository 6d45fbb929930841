"""Lesson 2: read .env without a library, check the key, and keep it out of every log line."""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

import requests

# Stripe-style secret and restricted keys, wherever they appear in a text.
KEY_LIKE = re.compile(r"\b(?:sk|rk)_(?:test|live)_[0-9A-Za-z]{8,}")
# A quoted value: 'value' or "value", then maybe a comment.
QUOTED = re.compile(r"""\s*(?:'([^']*)'|"([^"]*)")\s*(?:#.*)?""")


def load_env(path: str | Path = ".env") -> set[str]:
    """Copy the NAME=value lines of ``path`` into ``os.environ``; return the names it set.

    A variable that is already in the environment wins over the file: that is how a server
    or a CI job gives the program its key, with no .env file at all.
    """
    path = Path(path)
    if not path.exists():
        return set()
    loaded = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        name, equals, raw = line.strip().removeprefix("export ").partition("=")
        name, value = name.strip(), value_of(raw)
        if not equals or not name or name.startswith("#") or value is None:
            continue  # blank lines, comments, and lines python-dotenv skips too
        if name not in os.environ:
            os.environ[name] = value
            loaded.add(name)
    return loaded


def value_of(raw: str) -> str | None:
    """The value python-dotenv reads from what follows ``=``; ``None`` for a line it skips.

    ``KEY=sk_test_... # mine`` is ``sk_test_...``: an unquoted value ends where a ``#`` after
    a space starts a comment. A quoted value is what is between its quotes, ``#`` and all.
    (Not done here: backslash escapes, values over several lines, ``${VAR}``: keys need none.)
    """
    if raw.strip()[:1] in ("'", '"'):
        quoted = QUOTED.fullmatch(raw)  # no closing quote, or text after it: skipped
        return (quoted[1] or quoted[2] or "") if quoted else None
    return re.sub(r"\s+#.*", "", raw).strip()


def masked(key: str) -> str:
    """The display form of a key, as Payground's logs show it: ``sk_test_...Ab12``."""
    return f"{key[:8]}...{key[-4:]}"


def secret_key() -> str:
    """``STRIPE_SECRET_KEY``, or a clear exit saying what is wrong (never showing the key)."""
    key = os.environ.get("STRIPE_SECRET_KEY")
    if key is None:
        sys.exit("STRIPE_SECRET_KEY is not set: run `payground init`, or export it.")
    if not key:  # `STRIPE_SECRET_KEY=` in .env, or exported empty (a CI secret not set)
        sys.exit("STRIPE_SECRET_KEY is empty: run `payground init` in this folder (it "
                 "writes a working key to .env); in CI, set the secret the job reads it from")
    if not KEY_LIKE.fullmatch(key):
        sys.exit(f"STRIPE_SECRET_KEY does not look like a secret key ({key[:3]}...): a "
                 "publishable key (pk_) or a typo?")
    return key


class RedactKeys(logging.Filter):
    """Mask anything key-shaped in a log record: the safety net for the line someone forgets."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = KEY_LIKE.sub(lambda match: masked(match.group(0)), record.getMessage())
        record.args = ()
        return True


def setup_logging(level: int = logging.INFO) -> None:
    """Log through one handler that masks keys, for every logger (libraries' loggers too).

    The filter sits on the handler, not on a logger: a logger's filters skip the records
    that its child loggers pass up to it.
    """
    handler = logging.StreamHandler(sys.stdout)  # stdout, so the output below reads in order
    handler.addFilter(RedactKeys())
    logging.basicConfig(level=level, handlers=[handler], format="%(levelname)s %(message)s")


def sandbox_session(api_base: str) -> str:
    """The dashboard session that `payground init` saved: it manages keys (API keys can't).

    Treat it like a key: it can create and revoke them. It is the account that signed in last,
    in whichever folder: checked here to be the one whose keys are in .env.
    """
    path = Path(os.environ.get("PAYGROUND_HOME", "~/.payground")).expanduser() / "session"
    if not path.exists():
        sys.exit(f"no dashboard session in {path}: run `payground init` first")
    session = path.read_text(encoding="utf-8").strip()
    # `payground init` wrote the publishable key with the secret one, from one account; the
    # signed-in account's keys show its publishable ones in full. No such key: can't tell.
    publishable = os.environ.get("STRIPE_PUBLISHABLE_KEY")
    if publishable:
        try:
            response = requests.get(f"{api_base}/sandbox/keys", timeout=10,
                                    headers={"Authorization": f"Bearer {session}"})
        except requests.ConnectionError:  # nothing listens at api_base
            sys.exit(f"Payground is not answering at {api_base}: start it with `payground serve`")
        if not response.ok:  # the saved session has expired, say: the server says why
            sys.exit(response.json()["error"]["message"])
        if publishable not in {key.get("secret") for key in response.json()["data"]}:
            sys.exit("the saved session is another account's, not the one whose keys are in "
                     ".env: `payground login` with this folder's account's email signs it in "
                     "again (and changes nothing else)")
    return session
