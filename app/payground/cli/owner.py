"""Whose keys a dotenv file holds, asked before a command writes a key of the signed-in account
into it (`keys create|roll --env-file`, `activate`).

The saved session (PAYGROUND_HOME/session) is the account that signed in last, in any folder:
after `payground init` elsewhere with another email (lesson 9 makes a second account), a key
written here would be that account's, beside this folder's keys of another, and nothing would
say so until a program mixed them up. So a file that holds keys the signed-in account does not
have is refused before anything changes, on the server or in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .client import _Client, _mask

IDENTIFY_BATCH = 100  # the most /sandbox/keys/identify takes at once


def held_keys(path: Path) -> list[tuple[str, str]]:
    """Each ``(NAME, key)`` of ``path`` whose value is a well-formed Payground key, whatever the
    variable's name, every line (an earlier line of a name too), once each. Values that are
    no Payground key (a real Stripe key, a typo) are left out: no account here can own them,
    and they have no business travelling to the server."""
    from ..core.keys import parse
    from .envfile import assignments

    return [(name, value) for name, value in dict.fromkeys(assignments(path))
            if parse(value) is not None]


def check_owner(api: _Client, obj: dict[str, Any], path: Path, *, instead: str,
                nothing: str) -> dict[str, dict[str, Any]]:
    """Refuse ``path`` when it holds a key that is not the signed-in account's; else each key
    it holds -> its key object (revoked and expired keys are the account's too).

    One ``POST /sandbox/keys/identify`` (per 100 keys), the keys in its body: it answers
    ``null`` for another account's key, as for one no account has (another server's).
    A file without keys asks nothing.

    :param instead: the other way out than `payground login`, said after it ("write the key
        to another file with --env-file").
    :param nothing: what was not done, the message's last words ("Nothing was created.").
    """
    from .keys import _sandbox

    held = held_keys(path)
    values = list(dict.fromkeys(value for _name, value in held))
    known: dict[str, Any] = {}
    for start in range(0, len(values), IDENTIFY_BATCH):
        batch = values[start:start + IDENTIFY_BATCH]
        answer = _sandbox(api, obj, "POST", "/sandbox/keys/identify", json={"keys": batch})
        known.update(zip(batch, answer["data"]))
    foreign = [f"{name}={_mask(value)}" for name, value in held if known.get(value) is None]
    if foreign:
        raise click.ClickException(
            f"{path} holds keys that are not the signed-in account's ({', '.join(foreign)}): "
            f"the saved session is another account's ({_signed_in(api, obj)}the last to sign "
            "in with `payground init` or `payground login`, in any folder). Run `payground "
            f"login` with the email of the account that owns {path}'s keys, then run this "
            f"again; or {instead}. {nothing}")
    return known


def _signed_in(api: _Client, obj: dict[str, Any]) -> str:
    """``ada@example.com: `` (the saved session's account, for the message), or nothing if
    the server will not say: the refusal stands either way."""
    from .keys import _sandbox

    try:
        email = _sandbox(api, obj, "GET", "/sandbox/account").get("email")
    except click.ClickException:
        return ""
    return f"{email}: " if email else ""
