"""`payground init`, `payground login` and `payground activate`: an account, its session and
its keys in ./.env."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..core.emails import normalize_email
from . import ENV_FILE, _saved_url, check_home, main, save_session, saved_session, url_option
from .client import ServerError, _Client, _mask
from .envfile import (_read_env, _save_env_with_gitignore, added_lines, check_env_file,
                      stale_shell_note, write_or_show)
from .keys import _sandbox
from .owner import check_owner


def credential_options(command):
    """``--email`` and ``--password``, given or read from the env; the command asks for the
    missing ones (``_ask_missing``) once a server has answered."""
    command = click.option(
        "--password", envvar="PAYGROUND_PASSWORD",
        help="Account password (8 characters or more); asked for, hidden, if not given "
             "[env: PAYGROUND_PASSWORD].")(command)
    return click.option("--email", envvar="PAYGROUND_EMAIL",
                        help="Account email; asked for if not given "
                             "[env: PAYGROUND_EMAIL].")(command)


def _ask_missing(email: str | None, password: str | None) -> tuple[str, str]:
    # Asked here rather than by click, which asks before the command runs: an email and a
    # password typed for an address where no Payground answers were wasted, and the error
    # came only after them.
    if email is None:
        email = click.prompt("Email")
    if password is None:
        password = click.prompt("Password", hide_input=True)
    return email, password


# --- keys a folder needs --------------------------------------------------------------------


def _works(api: _Client, session: str, raw_key: str, *, livemode: bool) -> bool:
    """Whether ``raw_key`` is an active (or expiring) secret key of the session's account."""
    from ..core.keys import parse

    if parse(raw_key) is None:
        # Not a Payground key (a real Stripe key, say, or a typo): it cannot be the
        # account's, and it has no business travelling to the server.
        return False
    found = api.call("POST", "/sandbox/keys/identify", key=session,
                     json={"keys": [raw_key[:255]]})["data"][0]
    return bool(found) and found["type"] == "secret" and found["livemode"] == livemode \
        and found["status"] in ("active", "expiring")


def _publishable_key(api: _Client, session: str, *, livemode: bool) -> str | None:
    """The account's working publishable key of that mode (public: the API shows it)."""
    keys = api.call("GET", "/sandbox/keys", key=session)["data"]
    return next((k["secret"] for k in keys
                 if k["type"] == "publishable" and k["livemode"] == livemode
                 and k["status"] in ("active", "expiring") and k.get("secret")), None)


def _new_secret_key(api: _Client, session: str, *, livemode: bool) -> dict[str, Any]:
    """A new secret key named after this folder; its object, secret included (shown once)."""
    name = f"payground init: {Path.cwd().name or '/'}"[:200]
    return api.call("POST", "/sandbox/keys", key=session,
                    json={"type": "secret", "livemode": livemode, "name": name})


def _saved_session_is(obj: dict[str, Any], api: _Client, email: str) -> bool:
    """Whether the session an earlier init or login saved for this server is ``email``'s.

    Then init logs in without trying to sign up first: a sign-up refused because the email
    has an account counts as a failed log-in against the address (it is what guessers ask),
    and a room running init in every lesson's folder would lock itself out of logging in.
    """
    if _saved_url(obj) != api.url:
        return False
    try:
        account = api.call("GET", "/sandbox/account", key=saved_session(obj))
    except click.ClickException:  # no saved session, an expired one, or no answer
        return False
    # As the server knows addresses (services.accounts.accounts_for_email): normalised, or an
    # older account's own spelling.
    return account.get("email") in (normalize_email(email), email.strip().lower())


def _note_stale_shell(names: tuple[str, ...]) -> None:
    """Say so when this shell exports other values of ``names`` than ./.env now holds (a
    learner who loaded .env, then fixed its key with init): they would win over the file."""
    note = stale_shell_note(Path(ENV_FILE), names)
    if note:
        click.echo(note, err=True)


# --- init ----------------------------------------------------------------------------------


@main.command()
@url_option
@credential_options
@click.pass_obj
def init(obj: dict[str, Any], url: str, email: str | None, password: str | None) -> None:
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
    shown again: the STRIPE_SECRET_KEY in .env is kept if it is an active test key of the
    account; otherwise a new secret key, named after this folder, is created and written
    there instead.

    The email and password are asked for (unless given) only once a Payground server has
    answered at --url: no server there, or something else, is said first, on one line.
    Exits with status 1, printing the server's message, if the server refuses (wrong
    password, password too short ...) or cannot be reached. Refused by the log-in throttle
    (429: too many failed log-ins from this address), it waits as the server says and tries
    again, up to 3 times (at most a minute each), printing a line each time.

    \f
    .. versionadded:: 0.1
    """
    env_path = Path(ENV_FILE)
    check_env_file(env_path)
    check_home(obj)  # the session goes there: refused now, not after the sign-up
    with _Client(url) as api:
        api.check_server()
        email, password = _ask_missing(email, password)
        credentials = {"email": email, "password": password}
        signed_up = False
        if not _saved_session_is(obj, api, email):
            try:
                body = api.call("POST", "/sandbox/signup", json=credentials)
                signed_up = True
            except ServerError as exc:
                if exc.code != "email_taken":
                    raise
        if not signed_up:
            body = api.call("POST", "/sandbox/login", json=credentials)
        session, account = body["session"], body["account"]
        existing = _read_env(env_path).get("STRIPE_SECRET_KEY")
        created = None
        if signed_up:
            secret, publishable = body["keys"]["secret"], body["keys"]["publishable"]
        else:
            # Logged in: its secret key cannot be shown again. The one in .env is kept if it
            # works; else this folder gets a new one (one key per app is good practice).
            publishable = _publishable_key(api, session, livemode=False)
            secret = None
            if not (existing and _works(api, session, existing, livemode=False)):
                created = _new_secret_key(api, session, livemode=False)
                secret = created["secret"]

    updates = {}
    if secret:
        updates["STRIPE_SECRET_KEY"] = secret
    if publishable:
        updates["STRIPE_PUBLISHABLE_KEY"] = publishable
    updates["STRIPE_API_BASE"] = url
    # The keys first: a secret shown only once must be safe before anything else can fail.
    # A value replaced is kept as a comment: it was no key of this account, but it may be
    # the only copy of one (a real Stripe key, another server's).
    gitignore_added = write_or_show(
        lambda: _save_env_with_gitignore(updates, keep=frozenset({"STRIPE_SECRET_KEY"})),
        {"STRIPE_SECRET_KEY": secret} if secret else {})
    try:
        session_path = save_session(obj, session, url)
    except click.ClickException as error:
        error.message = f"the keys are in {ENV_FILE}; {error.message}"
        raise

    verb = "Signed up" if signed_up else "Logged in as"
    click.echo(f"{verb} {account['email']} (account {account['id']}) on {url}.")
    if signed_up:
        click.echo(f"Test keys written to {ENV_FILE} (mode 0600):")
        click.echo(f"  STRIPE_SECRET_KEY={_mask(secret)}   (masked here; the full key is "
                   f"only in {ENV_FILE})")
        if existing and existing != secret:
            click.echo(f"  It replaces {_mask(existing)}, kept in {ENV_FILE} as a comment.")
    elif created is None:
        click.echo(f"Kept the STRIPE_SECRET_KEY already in {ENV_FILE} ({_mask(existing)}): "
                   "it is an active test key of this account.")
        click.echo(f"Updated {ENV_FILE} (mode 0600):")
    else:
        click.echo("Secret keys are shown only once, when they are created, so Payground "
                   f"cannot show this account's again: created a new test secret key for this "
                   f"folder, {created['id']} \"{created['name']}\".")
        if existing:
            click.echo(f"  It replaces {_mask(existing)}, which is not an active test secret "
                       f"key of this account (kept in {ENV_FILE} as a comment).")
        click.echo(f"Updated {ENV_FILE} (mode 0600):")
        click.echo(f"  STRIPE_SECRET_KEY={_mask(secret)}   (masked here; the full key is "
                   f"only in {ENV_FILE})")
    if publishable:
        click.echo(f"  STRIPE_PUBLISHABLE_KEY={publishable}")
    else:
        click.echo("  Warning: this account has no active test publishable key.", err=True)
    click.echo(f"  STRIPE_API_BASE={url}")
    for line in added_lines(gitignore_added) or [f"{ENV_FILE} is already in .gitignore."]:
        click.echo(line)
    click.echo(f"Session saved in {session_path}.")
    _note_stale_shell(("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_API_BASE"))
    click.echo("")
    click.echo("Next step:")
    click.echo(f"  set -a; . ./{ENV_FILE}; set +a")
    click.echo(f'  curl {url}/v1/customers -u "$STRIPE_SECRET_KEY:"')
    if _is_a_lesson_folder(Path.cwd()):  # copying lesson 1 here would nest it
        click.echo("This folder is a lesson: go on with its README.md.")
    else:
        click.echo("The lessons: `payground tutorial` lists them, `payground tutorial 1` "
                   "copies the first here.")


def _is_a_lesson_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a lesson copied by ``payground tutorial`` (its README's title)."""
    try:
        with open(folder / "README.md", encoding="utf-8") as readme:
            return readme.readline().startswith("# Lesson ")
    except (OSError, UnicodeDecodeError):
        return False


# --- login ---------------------------------------------------------------------------------

# After any refused log-in, whether or not the email has an account: the server's one answer
# for both tells no one which emails do, and neither may this.
NO_ACCOUNT_HINT = " If you have no account yet, run `payground init` (it signs up)."


@main.command()
@url_option
@credential_options
@click.pass_obj
def login(obj: dict[str, Any], url: str, email: str | None, password: str | None) -> None:
    """Log in to an existing account and save the session for the other commands.

    The session goes to PAYGROUND_HOME/session (readable by you only, mode 0600), replacing
    any saved one, and the server's address with it: later commands use that server unless
    --url says otherwise. Unlike `payground init`, nothing else is written: no .env, no keys.

    As `payground init`, it asks for the email and password (unless given) only once a
    Payground server has answered at --url. Exits with status 1, printing the server's
    message and a pointer to `payground init` for whoever has no account yet, on a wrong
    email or password; the saved session is then left as it was.
    Refused by the log-in throttle (429), it waits as the server says and tries again, up
    to 3 times (at most a minute each).

    \f
    .. versionadded:: 0.1
    """
    check_home(obj)
    with _Client(url) as api:
        api.check_server()
        email, password = _ask_missing(email, password)
        try:
            body = api.call("POST", "/sandbox/login",
                            json={"email": email, "password": password})
        except ServerError as error:
            if error.status == 401:  # a wrong password or no such account: one answer
                error.message += NO_ACCOUNT_HINT
            raise
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
    A .env holding keys that are not the signed-in account's (the saved session may be another
    account's, from an init or login in another folder) is refused before anything changes.

    \f
    .. versionadded:: 0.1
    """
    session = saved_session(obj)
    check_env_file(Path(ENV_FILE))
    details = {k: v for k, v in (("business_name", business_name), ("country", country)) if v}
    existing = _read_env(Path(ENV_FILE)).get("STRIPE_LIVE_SECRET_KEY")
    with _Client(url) as api:
        # Before live mode is activated: the signed-in account may not be this folder's.
        check_owner(api, obj, Path(ENV_FILE), nothing="Nothing was changed.",
                    instead="run `payground activate` in a folder of the signed-in account",
                    instead_beside_own=False)
        try:
            body = _sandbox(api, obj, "POST", "/sandbox/account/activate", json=details)
            secret, publishable = body["keys"]["secret"], body["keys"]["publishable"]
            account, already = body["account"], False
        except ServerError as error:
            if error.code != "account_already_activated":
                raise
            # Live already (an earlier lesson, another folder): make sure this folder's .env
            # has working live keys, as `init` does for test keys.
            account, already = api.call("GET", "/sandbox/account", key=session), True
            publishable = _publishable_key(api, session, livemode=True)
            secret = existing
            if not (secret and _works(api, session, secret, livemode=True)):
                secret = _new_secret_key(api, session, livemode=True)["secret"]
    updates = {"STRIPE_LIVE_SECRET_KEY": secret}
    if publishable:
        updates["STRIPE_LIVE_PUBLISHABLE_KEY"] = publishable
    gitignore_added = write_or_show(
        lambda: _save_env_with_gitignore(updates, keep=frozenset({"STRIPE_LIVE_SECRET_KEY"})),
        {"STRIPE_LIVE_SECRET_KEY": secret})
    if already:
        click.echo(f"Live mode was already active for {account['business_name']} "
                   f"({account['id']}).")
    else:
        click.echo(f"Live mode activated for {account['business_name']} ({account['id']}).")
    if already and secret == existing:  # as init says of a test key it keeps
        click.echo(f"Kept the STRIPE_LIVE_SECRET_KEY already in {ENV_FILE} ({_mask(secret)}): "
                   "it is an active live key of this account.")
    else:
        click.echo(f"Live keys written to {ENV_FILE} (mode 0600):")
        click.echo(f"  STRIPE_LIVE_SECRET_KEY={_mask(secret)}   (masked here; the full key is "
                   f"only in {ENV_FILE})")
    if existing and existing != secret:
        click.echo(f"  It replaces {_mask(existing)}, which is not an active live secret key of "
                   f"this account (kept in {ENV_FILE} as a comment).")
    click.echo(f"  STRIPE_LIVE_PUBLISHABLE_KEY={publishable}")
    for line in added_lines(gitignore_added):
        click.echo(line)
    _note_stale_shell(("STRIPE_LIVE_SECRET_KEY", "STRIPE_LIVE_PUBLISHABLE_KEY"))
