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
# The most foreign keys a refusal names; the rest are counted. A file of thousands of keys
# would otherwise make one line of thousands of names.
NAMED_KEYS = 5
# What else a key the server does not place may be: it cannot tell one from another account's.
NO_ACCOUNT = ("no account on this server has (another server's, or from before its database "
              "was reset)")


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
                nothing: str, instead_beside_own: bool = True) -> dict[str, dict[str, Any]]:
    """Refuse ``path`` when it holds a key that is not the signed-in account's; else each key
    it holds -> its key object (revoked and expired keys are the account's too).

    One ``POST /sandbox/keys/identify`` (per 100 keys), the keys in its body: it answers
    ``null`` for another account's key, as for one no account has (another server's).
    A file without keys asks nothing.

    Two refusals, as the server cannot tell another account's key from one no account has:
    when none of the file's keys are the signed-in account's, the saved session is likely
    another account's (`payground login` puts it right), or the keys are from before the
    database was reset; when some are, the session is this file's, and the others are another
    account's kept there (a connected account's OAuth access token) or dead leftovers (a
    reset): logging in again would not help, so it is not said.

    :param instead: the other way out than `payground login`, said after it ("write the key
        to another file with --env-file").
    :param nothing: what was not done, the message's last words ("Nothing was created.").
    :param instead_beside_own: whether ``instead`` is said too when some of the file's keys
        are the signed-in account's (``activate``'s "in a folder of the signed-in account"
        is not: this is one).
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
    if not foreign:
        return known
    email = _signed_in(api, obj)
    named = foreign[:NAMED_KEYS]
    if len(foreign) > NAMED_KEYS:
        named.append(f"and {len(foreign) - NAMED_KEYS} more")
    shown = f"{path} holds keys that are not the signed-in account's ({', '.join(named)})"
    if any(known.values()):
        # The session is this file's: the others were put there, or outlived a reset.
        whose = f" ({email}'s)" if email else ""
        other_way = f"; or {instead}" if instead_beside_own else ""
        raise click.ClickException(
            f"{shown}, beside keys that are{whose}: another account's (a connected account's "
            f"OAuth access token, say), or keys {NO_ACCOUNT}. Move them to another file (or "
            f"delete those no longer needed), then run this again{other_way}. {nothing}")
    who = f"{email}: " if email else ""
    raise click.ClickException(
        f"{shown}: the saved session is another account's ({who}the last to sign in with "
        "`payground init` or `payground login`, in any folder), or they are keys "
        f"{NO_ACCOUNT}. Run `payground login` with the email of the account that owns "
        f"{path}'s keys, then run this again; or {instead}. {nothing}")


def _signed_in(api: _Client, obj: dict[str, Any]) -> str | None:
    """The saved session's email (for the message), or ``None`` if the server will not say:
    the refusal stands either way."""
    from .keys import _sandbox

    try:
        return _sandbox(api, obj, "GET", "/sandbox/account").get("email") or None
    except click.ClickException:
        return None
