"""`payground init`, `payground login` and `payground activate`: an account, its session and
its keys in ./.env."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from . import ENV_FILE, TUTORIAL, main, save_session, saved_session, url_option
from .client import ServerError, _Client, _mask
from .envfile import _read_env, _save_env_with_gitignore, check_writable, write_or_show


def credential_options(command):
    """``--email`` and ``--password``: asked for (the password hidden) or read from the env."""
    command = click.option(
        "--password", prompt=True, hide_input=True, envvar="PAYGROUND_PASSWORD",
        help="Account password (8 characters or more); asked for, hidden, if not given "
             "[env: PAYGROUND_PASSWORD].")(command)
    return click.option("--email", prompt=True, envvar="PAYGROUND_EMAIL",
                        help="Account email; asked for if not given "
                             "[env: PAYGROUND_EMAIL].")(command)


# --- init ----------------------------------------------------------------------------------


@main.command()
@url_option
@credential_options
@click.pass_obj
def init(obj: dict[str, Any], url: str, email: str, password: str) -> None:
    """Sign up (or log in) on a running server and write this project's test keys to ./.env.

    Run it in your project's directory while `payground serve` is running. A new email
    signs up; an email that already has an account logs in. Then:

    \b
    - ./.env gets STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_API_BASE (other
      lines are kept; the file is made readable by you only, mode 0600);
    - ./.gitignore is made to ignore .env (created, or one line appended, if needed);
    - the session is saved in PAYGROUND_HOME/session (mode 0600) for later commands, and
      the server's address with it: they use that server unless --url says otherwise.

    Secret keys are shown only once, when they are created. On a sign-up the new secret
    key goes straight into .env (the terminal shows it masked). On a log-in it cannot be
    shown again: an existing STRIPE_SECRET_KEY line in .env is kept; otherwise create a
    new secret key.

    Exits with status 1, printing the server's message, if the server refuses (wrong
    password, password too short ...) or cannot be reached.

    \f
    .. versionadded:: 0.1
    """
    env_path = Path(ENV_FILE)
    check_writable(env_path, Path(".gitignore"))
    with _Client(url) as api:
        credentials = {"email": email, "password": password}
        try:
            body = api.call("POST", "/sandbox/signup", json=credentials)
            signed_up = True
        except ServerError as exc:
            if exc.code != "email_taken":
                raise
            body = api.call("POST", "/sandbox/login", json=credentials)
            signed_up = False
        session, account = body["session"], body["account"]
        if signed_up:
            secret, publishable = body["keys"]["secret"], body["keys"]["publishable"]
            usable: set[str] = set()
        else:
            secret = None
            keys = api.call("GET", "/sandbox/keys", key=session)["data"]
            test_keys = [k for k in keys if not k["livemode"]
                         and k["status"] in ("active", "expiring")]
            publishable = next((k["secret"] for k in test_keys
                                if k["type"] == "publishable" and k.get("secret")), None)
            usable = {k["redacted"] for k in test_keys if k["type"] != "publishable"}

    existing = _read_env(env_path).get("STRIPE_SECRET_KEY")
    updates = {}
    if secret:
        updates["STRIPE_SECRET_KEY"] = secret
    if publishable:
        updates["STRIPE_PUBLISHABLE_KEY"] = publishable
    updates["STRIPE_API_BASE"] = url
    session_path = save_session(obj, session, url)
    gitignore_added = write_or_show(lambda: _save_env_with_gitignore(updates),
                                    {"STRIPE_SECRET_KEY": secret} if secret else {})

    verb = "Signed up" if signed_up else "Logged in as"
    click.echo(f"{verb} {account['email']} (account {account['id']}) on {url}.")
    if signed_up:
        click.echo(f"Test keys written to {ENV_FILE} (mode 0600):")
        click.echo(f"  STRIPE_SECRET_KEY={_mask(secret)}   (masked here; the full key is "
                   f"only in {ENV_FILE})")
    else:
        click.echo("Secret keys are shown only once, when they are created, so Payground "
                   "cannot show yours again.")
        if existing:
            shown = _mask(existing)
            click.echo(f"  Kept the STRIPE_SECRET_KEY already in {ENV_FILE} ({shown}).")
            if shown not in usable:
                click.echo(f"  Warning: {shown} is not an active test key of this account; "
                           "requests made with it will fail.", err=True)
        else:
            click.echo(f"  {ENV_FILE} has no STRIPE_SECRET_KEY: create a new secret key "
                       "(`payground keys create`, or roll the lost one with `payground keys "
                       f"roll`) and add it to {ENV_FILE}.")
        click.echo(f"Updated {ENV_FILE} (mode 0600):")
    if publishable:
        click.echo(f"  STRIPE_PUBLISHABLE_KEY={publishable}")
    else:
        click.echo("  Warning: this account has no active test publishable key.", err=True)
    click.echo(f"  STRIPE_API_BASE={url}")
    click.echo(f"Added {ENV_FILE} to .gitignore." if gitignore_added
               else f"{ENV_FILE} is already in .gitignore.")
    click.echo(f"Session saved in {session_path}.")
    click.echo("")
    click.echo("Next step:")
    click.echo(f"  set -a; . ./{ENV_FILE}; set +a")
    click.echo(f'  curl {url}/v1/customers -u "$STRIPE_SECRET_KEY:"')
    click.echo(f"Then follow lesson 1: `payground tutorial 1` copies it here ({TUTORIAL}).")


# --- login ---------------------------------------------------------------------------------


@main.command()
@url_option
@credential_options
@click.pass_obj
def login(obj: dict[str, Any], url: str, email: str, password: str) -> None:
    """Log in to an existing account and save the session for the other commands.

    The session goes to PAYGROUND_HOME/session (readable by you only, mode 0600), replacing
    any saved one, and the server's address with it: later commands use that server unless
    --url says otherwise. Unlike `payground init`, nothing else is written: no .env, no keys.

    Exits with status 1, printing the server's message, on a wrong email or password;
    the saved session is then left as it was.

    \f
    .. versionadded:: 0.2
    """
    with _Client(url) as api:
        body = api.call("POST", "/sandbox/login", json={"email": email, "password": password})
    session_path = save_session(obj, body["session"], url)
    account = body["account"]
    click.echo(f"Logged in as {account['email']} (account {account['id']}) on {url}.")
    click.echo(f"Session saved in {session_path} (mode 0600).")
    click.echo("Next: `payground keys list`, or `payground keys create` for a new secret key.")


# --- activate ------------------------------------------------------------------------------


@main.command()
@url_option
@click.option("--business-name", default=None, help="Business name (Faker fills it if absent).")
@click.option("--country", default=None, help="Two-letter country code [default: US].")
@click.pass_obj
def activate(obj: dict[str, Any], url: str, business_name: str | None,
             country: str | None) -> None:
    """Activate live mode for the account `payground init` logged in, and write its live keys.

    Live keys (sk_live_/pk_live_) reach Payground's simulated real ledger: test cards are
    refused there, real-looking card numbers go through a simulated issuer. The keys are
    shown only once, so they go straight into ./.env as STRIPE_LIVE_SECRET_KEY and
    STRIPE_LIVE_PUBLISHABLE_KEY (mode 0600, kept out of Git); the terminal shows them masked.

    \f
    .. versionadded:: 0.1
    """
    session = saved_session(obj)
    check_writable(Path(ENV_FILE), Path(".gitignore"))
    details = {k: v for k, v in (("business_name", business_name), ("country", country)) if v}
    with _Client(url) as api:
        body = api.call("POST", "/sandbox/account/activate", key=session, json=details)
    secret, publishable = body["keys"]["secret"], body["keys"]["publishable"]
    gitignore_added = write_or_show(
        lambda: _save_env_with_gitignore({"STRIPE_LIVE_SECRET_KEY": secret,
                                          "STRIPE_LIVE_PUBLISHABLE_KEY": publishable}),
        {"STRIPE_LIVE_SECRET_KEY": secret})
    account = body["account"]
    click.echo(f"Live mode activated for {account['business_name']} ({account['id']}).")
    click.echo(f"Live keys written to {ENV_FILE} (mode 0600):")
    click.echo(f"  STRIPE_LIVE_SECRET_KEY={_mask(secret)}   (masked here; shown only once)")
    click.echo(f"  STRIPE_LIVE_PUBLISHABLE_KEY={publishable}")
    if gitignore_added:
        click.echo(f"Added {ENV_FILE} to .gitignore.")
