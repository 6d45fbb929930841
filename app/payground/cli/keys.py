"""`payground keys list|create|roll|revoke`: manage your API keys on a running server.

Everything goes through the sandbox API with the session `payground init` or `payground login`
saved. A full secret is printed only by `create` and `roll`, once, straight from the response
that issued it (or written to a .env file with ``--env-file``, the terminal showing it masked).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import click

from . import main, saved_session, url_option
from .client import ServerError, _Client, _mask

ONCE_WARNING = ("This is the only time the full key is shown: it won't be shown again. "
                "Store it now (a .env file kept out of Git, or a secrets manager).")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# SPEC §2: an old key works 0 to 7 days after a roll (services.keys.MAX_GRACE; not imported,
# to keep SQLAlchemy out of the CLI's start-up).
MAX_GRACE = 7 * 86400
_KEY_ID = re.compile(r"^key_[0-9A-Za-z]+$")
# What to do instead when git cannot say whether --env-file is tracked (envfile.check_env_file).
ELSEWHERE = "write the key to a file outside the repository with --env-file"
# ... and when --env-file holds another account's keys (owner.check_owner).
ANOTHER_FILE = "write the key to another file with --env-file"


@main.group()
def keys() -> None:
    """Your API keys: list them, create secret or restricted ones, roll and revoke them."""


# --- helpers -------------------------------------------------------------------------------


def _sandbox(api: _Client, obj: dict[str, Any], method: str, path: str,
             **kwargs: Any) -> dict[str, Any]:
    """Call the sandbox API with the saved session; a refused session says how to renew it."""
    try:
        return api.call(method, path, key=saved_session(obj), **kwargs)
    except ServerError as error:
        if error.status == 401:
            # The session expired, was logged out, or belongs to another server's database.
            raise click.ClickException(
                f"{error.message} Your saved session no longer works: run `payground login` "
                "(or `payground init`).") from None
        raise


def _when(timestamp: int | None) -> str:
    if timestamp is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(timestamp))


def _span(seconds: int) -> str:
    """``3600`` -> ``1 hour``; the largest unit that divides ``seconds`` exactly."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"  # pragma: no cover - size 1 always divides


def _shown_key(key: dict[str, Any]) -> str:
    # Publishable keys are public and the API returns them in full; any other key only ever
    # appears redacted here, whatever the API sent.
    if key["type"] == "publishable" and key.get("secret"):
        return key["secret"]
    return key["redacted"]


def _mode(key: dict[str, Any]) -> str:
    return "live" if key["livemode"] else "test"


def _default_env_var(key: dict[str, Any]) -> str:
    live = "LIVE_" if key["livemode"] else ""
    return f"STRIPE_{live}{key['type'].upper()}_KEY"  # SECRET, RESTRICTED, PUBLISHABLE


def _check_key_id(_ctx, _param, value: str) -> str:
    # Checked before anything is sent: a full key pasted here by mistake must not travel in
    # a URL (nor be echoed back), and a stray "/" must not reach another route.
    if not _KEY_ID.match(value):
        raise click.BadParameter("expected a key's id (key_...), as `payground keys list` "
                                 "shows it; never the key itself.")
    return value


def _check_env_var(_ctx, _param, value: str | None) -> str | None:
    if value is not None and not _ENV_NAME.match(value):
        raise click.BadParameter(f"{value!r} is not a variable name (letters, digits, _)")
    return value


env_file_option = click.option(
    "--env-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Write the new key into this dotenv file (mode 0600) instead of printing it.")
env_var_option = click.option(
    "--env-var", metavar="NAME", callback=_check_env_var, default=None,
    help="Variable for --env-file [default: STRIPE_SECRET_KEY, STRIPE_RESTRICTED_KEY, "
         "STRIPE_PUBLISHABLE_KEY, or STRIPE_LIVE_... for live keys].")


def _reveal(key: dict[str, Any], env_file: Path | None, env_var: str | None, *,
            replacing: str | None = None) -> None:
    """Print a just-issued secret once, or write it to ``env_file`` and show it masked.
    (A publishable key is public: printed whole, without the warning.)

    :param replacing: a roll's old key, as displayed (``sk_test_...Ab12``): the value it
        writes over is expected to be that key; any other (the wrong key id rolled, another
        key kept in that variable) stays in the file as a comment, as ``init`` keeps one.
    """
    secret = key["secret"]
    publishable = key["type"] == "publishable"
    if env_file is None:
        click.echo("Publishable key:" if publishable else "Secret key:")
        click.echo(f"  {secret}")
        if not publishable:
            click.echo(ONCE_WARNING)
        return
    from .envfile import (_update_env, _values, added_lines, ignore_files, keep_out_of_git,
                          stale_shell_note, write_or_show)

    name = env_var or _default_env_var(key)
    others = ([value for value in dict.fromkeys(_values(env_file, name))
               if value and _mask(value) != replacing] if replacing is not None else [])
    keep = frozenset({name}) if others else frozenset()
    write_or_show(lambda: _update_env(env_file, {name: secret}, keep=keep), {name: secret})
    shown = secret if publishable else (f"{_mask(secret)}   (masked here; the full key is only "
                                        f"in {env_file})")
    click.echo(f"Written to {env_file} (mode 0600): {name}={shown}")
    for value in others:
        click.echo(f"  It replaces {_mask(value)}, which is not the rolled key (kept in "
                   f"{env_file} as a comment).")
    note = stale_shell_note(env_file, [name]) if replacing is not None else None
    if note:  # a roll: the shell's copy of the old key stops working when its grace ends
        click.echo(note, err=True)
    files = ignore_files(env_file)
    if not files:  # outside Git and this folder
        click.echo(f"Keep {env_file} out of version control.")
        return
    try:
        added = keep_out_of_git(env_file, files)
    except (OSError, UnicodeError) as error:  # checked before; the disk may still fill up
        click.echo(f"Warning: could not add {env_file.name} to .gitignore ({error}): add it "
                   "yourself, before a commit publishes the key.", err=True)
        return
    for line in added_lines(added):
        click.echo(line)


# --- list ----------------------------------------------------------------------------------

_COLUMNS = ("ID", "TYPE", "MODE", "NAME", "KEY", "STATUS", "EXPIRES (UTC)", "LAST USED (UTC)",
            "PERMISSIONS")


def _row(key: dict[str, Any]) -> tuple[str, ...]:
    permissions = ", ".join(key.get("permissions") or []) if key["type"] == "restricted" else "-"
    return (key["id"], key["type"], _mode(key), key.get("name") or "-", _shown_key(key),
            key["status"], _when(key.get("expires_at")), _when(key.get("last_used")),
            permissions or "-")


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
            for row in rows]


@keys.command("list")
@url_option
@click.option("--mode", type=click.Choice(["test", "live"]), default=None,
              help="Only this mode's keys [default: both].")
@click.option("--json", "as_json", is_flag=True, help="Print the key objects as JSON.")
@click.pass_obj
def list_keys(obj: dict[str, Any], url: str, mode: str | None, as_json: bool) -> None:
    """List the account's API keys, newest first.

    Secret and restricted keys appear redacted (sk_test_...Ab12): Payground keeps only a
    digest of them. Publishable keys are public and shown in full. Times are account time
    (see `payground clock show`).

    \f
    .. versionadded:: 0.1
    """
    with _Client(url) as api:
        body = _sandbox(api, obj, "GET", "/sandbox/keys")
    data = [k for k in body["data"] if mode is None or _mode(k) == mode]
    for key in data:  # belt and braces: a listing never carries a non-public secret
        if key["type"] != "publishable":
            key.pop("secret", None)
    if as_json:
        click.echo(json.dumps({**body, "data": data}, indent=2))
        return
    if not data:
        click.echo(f"No {mode + ' mode ' if mode else ''}keys.")
        return
    for line in _table([_COLUMNS, *map(_row, data)]):
        click.echo(line)


# --- create --------------------------------------------------------------------------------


def _expires_at(_ctx, _param, value: str | None) -> tuple[str, int] | None:
    """``1767225600`` / ``2026-01-01`` / ``2026-01-01T12:00`` (UTC unless it says) -> an
    absolute time; ``+30d`` -> a duration from the account's current time."""
    from datetime import datetime, timezone

    if value is None:
        return None
    text = value.strip()
    if text.startswith("+"):
        from ..core.clock import parse_duration

        try:
            return ("in", parse_duration(text[1:]))
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
    if text.isdigit():
        return ("at", int(text))
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        # Formats, not a sample date: a date to copy goes stale, and a past one is refused.
        raise click.BadParameter(f"cannot read {value!r} (try YYYY-MM-DD, "
                                 "YYYY-MM-DDTHH:MM, a Unix timestamp, or +30d)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return ("at", int(moment.timestamp()))


@keys.command("create")
@url_option
@click.option("--restricted", is_flag=True,
              help="A restricted key (rk_), limited to the --permission(s) given.")
@click.option("--permission", "permissions", multiple=True, metavar="PERM",
              help="A permission for a restricted key, e.g. charge_read or customer_write "
                   "(write implies read); repeat for more.")
@click.option("--name", default=None, help="A name to recognise the key by.")
@click.option("--note", default=None, help="A note: where the key is used, who owns it.")
@click.option("--ip", "ips", multiple=True, metavar="CIDR",
              help="Accept the key only from this address or range; repeat for more.")
@click.option("--mode", type=click.Choice(["test", "live"]), default="test", show_default=True,
              help="Live keys need live mode (`payground activate`).")
@click.option("--expires-at", metavar="WHEN", callback=_expires_at, default=None,
              help="When the key stops working: YYYY-MM-DD, YYYY-MM-DDTHH:MM (UTC), a Unix "
                   "timestamp, or +30d from the account's time [default: never].")
@env_file_option
@env_var_option
@click.pass_obj
def create(obj: dict[str, Any], url: str, restricted: bool, permissions: tuple[str, ...],
           name: str | None, note: str | None, ips: tuple[str, ...], mode: str,
           expires_at: tuple[str, int] | None, env_file: Path | None,
           env_var: str | None) -> None:
    """Create a secret key, or a restricted one with --restricted and --permission.

    The full key is printed once, now; Payground cannot show it again. With --env-file it
    is written to that file instead, and kept out of Git (the .gitignore beside it gets its
    name, unless git ignores it already; a file git tracks is refused); a variable the file
    already has is overwritten only when it holds a key of this account that no longer
    works, revoked or expired (else --env-var names another). A file holding keys that
    are not the signed-in account's is refused: the saved session may be another account's
    (`payground login` with the file's account's email puts it right).

    \b
    Examples:
      payground keys create --name backend
      payground keys create --restricted --permission charge_read --name reports
      payground keys create --name ci --expires-at +30d --env-file .env.ci

    \f
    .. versionadded:: 0.1
    """
    params: dict[str, Any] = {"type": "restricted" if restricted else "secret",
                              "livemode": mode == "live"}
    optional = {"name": name, "note": note, "permissions": list(permissions) or None,
                "ip_allowlist": list(ips) or None}
    params.update({k: v for k, v in optional.items() if v is not None})
    replaced: list[dict[str, Any]] = []
    if env_file is not None:
        from .envfile import check_env_file

        check_env_file(env_file, elsewhere=ELSEWHERE)
    with _Client(url) as api:
        if env_file is not None:
            from .owner import check_owner

            known = check_owner(api, obj, env_file, instead=ANOTHER_FILE,
                                nothing="Nothing was created.")
            replaced = _replaceable(known, env_file, env_var or _default_env_var(params))
        if expires_at is not None:
            kind, amount = expires_at
            if kind == "in":
                amount += _sandbox(api, obj, "GET", "/sandbox/clock")["now"]
            params["expires_at"] = amount
        key = _sandbox(api, obj, "POST", "/sandbox/keys", json=params)
    label = f' "{key["name"]}"' if key.get("name") else ""
    click.echo(f"Created {key['type']} key {key['id']}{label} ({key['redacted']}, "
               f"{_mode(key)} mode).")
    if key["type"] == "restricted":
        click.echo(f"Permissions: {', '.join(key.get('permissions') or [])}")
    if key.get("ip_allowlist"):
        click.echo(f"Accepted only from: {', '.join(key['ip_allowlist'])}")
    if key.get("expires_at") is not None:
        click.echo(f"Expires: {_when(key['expires_at'])} UTC (account time)")
    for dead in replaced:
        click.echo(f"It replaces {dead['redacted']} in {env_file}, {dead['status']}: "
                   "that key no longer works.")
    _reveal(key, env_file, env_var)


def _replaceable(known: dict[str, dict[str, Any]], env_file: Path,
                 name: str) -> list[dict[str, Any]]:
    """Refuse, before a key is created, to write it over a value that may still be needed.

    An empty variable is free. One holding a key of this account that no longer works
    (revoked or expired) is free too, and that key's object is returned: after a leak the
    key is revoked and its successor goes where the services read it (Story 4), and the dead
    key is no loss. Anything else (a working key, a value the server cannot place; another
    account's key stopped the command before) may be the only copy of a key that still
    works: refused. Every line of
    the variable counts, not only the last: the new key's line replaces them all.

    :param known: each key the file holds -> its key object (``owner.check_owner``); a value
        that is no key is not there.
    """
    from .envfile import _values, check_unset

    held = [value for value in dict.fromkeys(_values(env_file, name)) if value]
    if not held:
        return []
    found = [known.get(value) for value in held]
    if all(key and key["status"] in ("revoked", "expired") for key in found):
        return found
    check_unset(env_file, name)  # raises: a value may still be needed
    return []  # pragma: no cover - check_unset raised


# --- roll ----------------------------------------------------------------------------------


def _grace(_ctx, _param, value: str) -> int:
    from ..core.clock import parse_duration

    if value.strip().lower() == "now":
        return 0
    try:
        seconds = parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    if seconds > MAX_GRACE:
        raise click.BadParameter(f"{value!r} is more than 7 days, the longest an old key can "
                                 "keep working.")
    return seconds


@keys.command("roll")
@click.argument("key_id", callback=_check_key_id)
@url_option
@click.option("--expires-in", "grace", metavar="DURATION", default="now", callback=_grace,
              show_default=True,
              help="How long the old key keeps working: now, 3600, 90s, 15m, 1h, 7d (at most "
                   "7 days), on the account's clock.")
@env_file_option
@env_var_option
@click.pass_obj
def roll(obj: dict[str, Any], url: str, key_id: str, grace: int, env_file: Path | None,
         env_var: str | None) -> None:
    """Replace KEY_ID (key_...) with a new key of the same type, name and permissions.

    The new key works at once and is printed once, now. The old key keeps working for
    --expires-in (on your account's clock), long enough to deploy the new one; with the
    default, `now`, it stops working immediately. With --env-file, a file holding keys
    that are not the signed-in account's is refused before anything is rolled.

    \f
    .. versionadded:: 0.1
    """
    if env_file is not None:
        from .envfile import check_env_file

        # Before the roll: the old key may stop working at once.
        check_env_file(env_file, elsewhere=ELSEWHERE)
    with _Client(url) as api:
        if env_file is not None:
            from .owner import check_owner

            # Before the old key is even read: rolling another account's key id would fail
            # with a bare "No such api_key", which does not say the session is the trouble.
            check_owner(api, obj, env_file, instead=ANOTHER_FILE, nothing="Nothing was rolled.")
        # Read the old key first: once the roll is made, nothing may stand between it and
        # showing the new key (shown this once), or a failed read would lose it.
        old = _sandbox(api, obj, "GET", f"/sandbox/keys/{key_id}")
        new = _sandbox(api, obj, "POST", f"/sandbox/keys/{key_id}/roll",
                       json={"expires_in": grace})
        click.echo(f"Rolled {old['id']} ({old['redacted']}): the new key is {new['id']} "
                   f"({new['redacted']}).")
        _reveal(new, env_file, env_var, replacing=old["redacted"])
        if grace == 0:
            click.echo(f"The old key {old['redacted']} stopped working now.")
            return
        old = _sandbox(api, obj, "GET", f"/sandbox/keys/{key_id}")  # its new expiry
    click.echo(f"The old key {old['redacted']} keeps working for {_span(grace)}, until "
               f"{_when(old['expires_at'])} UTC (account time).")


# --- revoke --------------------------------------------------------------------------------


@keys.command("revoke")
@click.argument("key_id", callback=_check_key_id)
@url_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def revoke(obj: dict[str, Any], url: str, key_id: str, yes: bool) -> None:
    """Revoke KEY_ID (key_...): the very next request made with it fails.

    Asks first, unless --yes. A revoked key cannot be brought back; to replace a key
    without downtime, roll it instead.

    \f
    .. versionadded:: 0.1
    """
    with _Client(url) as api:
        if not yes:
            key = _sandbox(api, obj, "GET", f"/sandbox/keys/{key_id}")
            label = f', "{key["name"]}"' if key.get("name") else ""
            # A key that cannot be revoked (publishable, or revoked already) is not asked
            # about: the server's refusal below says why, without a question first.
            if key["type"] != "publishable" and key["status"] != "revoked":
                click.confirm(f"Revoke {key['id']} ({key['redacted']}, {_mode(key)} mode{label})? "
                              "Requests made with it will fail at once", abort=True)
        key = _sandbox(api, obj, "POST", f"/sandbox/keys/{key_id}/revoke")
    click.echo(f"Revoked {key['id']} ({key['redacted']}): requests made with it now fail "
               "with 401 api_key_expired.")
