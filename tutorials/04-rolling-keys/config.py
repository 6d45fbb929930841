"""Lesson 4: the app's config source (.env here), read fresh and replaced atomically."""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path

import requests

ENV_FILE = Path(".env")


def read_env(path: Path = ENV_FILE) -> dict[str, str]:
    """The NAME=value lines of ``path`` as a dict (the file is read anew on every call)."""
    if not path.exists():
        sys.exit(f"no {path} here: run `payground init` in this folder first")
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, equals, value = line.strip().removeprefix("export ").partition("=")
        if equals and name and not name.startswith("#"):
            values[name.strip()] = _value(value)
    return values


def _value(raw: str) -> str:
    """What python-dotenv reads after ``=``: a quoted value is what is between its quotes; an
    unquoted one ends where a ``#`` after a space starts a comment (``sk_test_... # mine``)."""
    value = raw.strip()
    quote = value[:1]
    if quote in ("'", '"') and quote in value[1:]:
        return value[1:value.index(quote, 1)]
    return re.sub(r"\s+#.*", "", raw).strip()  # `KEY= # note` is empty, `KEY=#x` is "#x"


def update_env(updates: dict[str, str | None], path: Path = ENV_FILE) -> None:
    """Set (or, for ``None``, remove) lines of ``path``, keeping the others.

    The new content goes to a temporary file that then replaces ``path`` in one step
    (``os.replace``): a program reading the file at that moment sees the old file or the new
    one, never a half-written one, and never a file others can read (``mkstemp`` is 0600).
    """
    pending = dict(updates)
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name = line.strip().removeprefix("export ").partition("=")[0].strip()
        if name in updates:
            value = pending.pop(name, None)
            if value is not None:
                lines.append(f"{name}={value}")
        else:
            lines.append(line)
    lines += [f"{name}={value}" for name, value in pending.items() if value is not None]
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".env.")
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    os.replace(temporary, path)


def secret_key(config: dict[str, str]) -> str:
    """The app's key in ``config``, or a clear exit when .env has none."""
    if not config.get("STRIPE_SECRET_KEY"):  # `STRIPE_SECRET_KEY=` in .env, or no such line
        state = "empty" if "STRIPE_SECRET_KEY" in config else "missing"
        sys.exit(f"STRIPE_SECRET_KEY is {state} in .env: run `payground init` in this folder "
                 "(it writes a working key there)")
    return config["STRIPE_SECRET_KEY"]


def masked(key: str) -> str:
    """The display form of a key, as the dashboard and the request log show it."""
    return f"{key[:8]}...{key[-4:]}"


def dashboard() -> requests.Session:
    """An HTTP session for /sandbox, signed in with the session `payground init` saved."""
    path = Path(os.environ.get("PAYGROUND_HOME", "~/.payground")).expanduser() / "session"
    if not path.exists():
        sys.exit(f"no dashboard session in {path}: run `payground init` first")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {path.read_text().strip()}"
    return session


def find_key(api: requests.Session, api_base: str, key: str,
             fix: str = "`payground init` here puts one of yours in .env") -> dict:
    """The dashboard's object for ``key`` (``key_...`` id, status ...), found by display form;
    ``fix`` says what to do when the signed-in account has no such key."""
    try:
        response = api.get(f"{api_base}/sandbox/keys", timeout=10)
    except requests.ConnectionError:  # nothing listens at api_base
        sys.exit(f"Payground is not answering at {api_base}: start it with `payground serve`")
    if not response.ok:  # the saved session has expired, say: the server says why
        sys.exit(response.json()["error"]["message"])
    keys = response.json()["data"]
    for candidate in keys:
        if candidate["redacted"] == masked(key) and candidate["type"] == "secret":
            return candidate
    # `payground init` wrote .env's publishable key with the secret one, from one account: when
    # that is not the signed-in account's either, the saved session is what changed (a later
    # `payground init` elsewhere, with another email), not .env.
    publishable = read_env().get("STRIPE_PUBLISHABLE_KEY")
    if publishable and publishable not in {k.get("secret") for k in keys}:
        sys.exit("the saved session is another account's, not the one whose keys are in .env: "
                 "`payground login` with this folder's account's email signs it in again "
                 "(and changes nothing else)")
    sys.exit(f"{masked(key)} is not a secret key of the signed-in account: a typo in .env, "
             f"or another account's key? {fix}")
