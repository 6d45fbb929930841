"""The ``payground`` command: serve the sandbox, set up a project's keys, seed demo data.

Start-up time matters (``payground serve`` is timed from spawn to the first answer), so this
module imports only click at the top. Flask, SQLAlchemy and the WSGI server are imported by
``serve``; ``requests`` by the commands that talk to a running server; Faker by ``demo``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from .. import __version__

DEFAULT_URL = "http://127.0.0.1:4242"
SERVER_FILE = "server_url"  # in PAYGROUND_HOME, next to the session it goes with
ENV_FILE = ".env"
# The first line of a dotenv file a command creates. init, activate, demo and
# `keys create|roll --env-file` (which may name a file outside this project) all write one.
ENV_HEADER = ("# Payground API keys, written by the `payground` command. Never commit this file "
              "(keep it in .gitignore).")
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# --- the group -----------------------------------------------------------------------------


class _Group(click.Group):
    """The command group, whose errors never show a key: click's own messages quote a bad
    value as typed (``cannot read 'sk_test_...'``, ``Path '...' does not exist``), and a key
    given by mistake, as an argument or in an environment variable, would be printed whole
    (into a terminal's scrollback, a CI log)."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _masked_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _masked_errors():
            return super().invoke(ctx)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | _COMMANDS.keys())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in _COMMANDS:
            from importlib import import_module

            import_module(f"{__name__}.{_COMMANDS[cmd_name]}")  # registers it on `main`
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        # Click suggests the names closest to an unknown one from the commands loaded so
        # far ("Did you mean 'serve'?"): load them all first (only a typo pays for it).
        if args and args[0] not in _COMMANDS:
            for name in _COMMANDS:
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


@contextmanager
def _masked_errors() -> Iterator[None]:
    try:
        yield
    except click.ClickException as error:
        from ..core.keys import scrub

        error.message = scrub(error.message)
        raise


def _check_home_option(ctx: click.Context, param: click.Parameter,
                       value: str | None) -> str | None:
    # Not click.Path(file_okay=False): its refusal names --home even when PAYGROUND_HOME set
    # the value, with a usage line for a setting that is not on the command line.
    if value and os.path.isfile(os.path.expanduser(value)):
        raise click.ClickException(f"{_home_source(ctx)} is {value}, a file: Payground needs a "
                                   "folder there (its database, key pepper and CLI session).")
    return value


def _home_source(ctx: click.Context) -> str:
    """How the user named PAYGROUND_HOME: the option, the variable, or neither (the default)."""
    source = ctx.find_root().get_parameter_source("home")
    return {click.core.ParameterSource.COMMANDLINE: "--home",
            click.core.ParameterSource.ENVIRONMENT: "PAYGROUND_HOME"}.get(source,
                                                                           "PAYGROUND_HOME")


@click.group(cls=_Group, context_settings=CONTEXT_SETTINGS)
@click.option("--home", envvar="PAYGROUND_HOME", metavar="DIR", callback=_check_home_option,
              help="Where Payground keeps its database, key pepper and CLI session "
                   "[env: PAYGROUND_HOME; default: ~/.payground].")
@click.version_option(__version__, "--version", prog_name="payground")
@click.pass_context
def main(ctx: click.Context, home: str | None) -> None:
    """Payground: a Stripe-compatible payments sandbox for learning to handle API keys.

    \b
    Quick start:
      payground serve            # terminal 1: the API on http://127.0.0.1:4242
      payground init             # terminal 2: an account, its test keys in ./.env
      payground demo             # optional: fake customers and charges to look at
      payground tutorial         # the lessons; `payground tutorial 1` copies the first here
      payground scan             # before you commit: any key in this project?

    Settings come from PAYGROUND_* environment variables (PAYGROUND_DATABASE_URL,
    PAYGROUND_REDIS_URL, PAYGROUND_SECRET, PAYGROUND_RATE_LIMITS ...); see the README.

    \f
    .. versionadded:: 0.1
    """
    ctx.obj = {"home": home}


def _home(ctx_obj: dict[str, Any]) -> Path:
    # Resolved here rather than through load_config: that would also create the server's
    # key pepper, which has no business on a machine that only runs `payground init`.
    from ..config import DEFAULTS

    return Path(os.path.expanduser(ctx_obj.get("home") or DEFAULTS["HOME"]))


def check_home(ctx_obj: dict[str, Any]) -> None:
    """Refuse, before anything is asked or created on a server, a PAYGROUND_HOME where the
    session (or the demo account) could not be saved: inside a file, or not writable."""
    home = _home(ctx_obj)
    folder = home
    # os.path, not Path: Path.exists() raises inside a folder that cannot be searched (another
    # user's, mode 0700); then the search stops at that folder, and its permissions speak.
    while not os.path.exists(folder) and folder != folder.parent:  # made when written
        folder = folder.parent
    where = f"{_home_source(click.get_current_context())} ({home})"
    if not os.path.isdir(folder):
        raise click.ClickException(f"{where} cannot be a folder: {folder} is a file. Set "
                                   "PAYGROUND_HOME (or --home) to a folder.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise click.ClickException(f"cannot write in {where}: no permission there. Set "
                                   "PAYGROUND_HOME (or --home) to a folder you can write.")


def save_session(ctx_obj: dict[str, Any], session: str, url: str) -> Path:
    """Keep the session (mode 0600) and the address of the server that issued it, which
    later commands use when no --url or PAYGROUND_URL says otherwise. Returns the session's
    path."""
    from .envfile import _write_private

    home = _home(ctx_obj)
    try:
        _write_private(home / "session", session + "\n")
        _write_private(home / SERVER_FILE, url + "\n")
    except OSError as error:
        raise click.ClickException(
            f"could not save the session in {home} ({error.strerror or error}): set "
            "PAYGROUND_HOME (or --home) to a folder you can write, then run `payground "
            "login`.") from None
    return home / "session"


def saved_session(ctx_obj: dict[str, Any]) -> str:
    """The session token `payground init` saved in PAYGROUND_HOME/session."""
    path = _home(ctx_obj) / "session"
    try:
        return path.read_text().strip()
    except (FileNotFoundError, NotADirectoryError):  # none saved, or a home inside a file
        raise click.ClickException(f"no session in {path}: run `payground init` first. "
                                   "(Have an account already? `payground login`.)") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not text"
        raise click.ClickException(f"cannot read the session in {path} ({reason}): run "
                                   "`payground login` to save a new one.") from None


def _check_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if ctx.get_parameter_source(param.name) is click.core.ParameterSource.DEFAULT:
        # Neither --url nor PAYGROUND_URL: the server of the last init or login, whose
        # session the command is about to use (a workshop's server, another port).
        value = _saved_url(ctx.find_root().obj or {}, strict=True) or value
    if not re.match(r"^https?://[^/\s]+", value or ""):
        raise click.BadParameter(f"{value!r} is not an http:// or https:// address")
    return value.rstrip("/")


def _saved_url(ctx_obj: dict[str, Any], *, strict: bool = False) -> str | None:
    """The server of the last init or login (None: none saved).

    :param strict: a file there that cannot be read is an error rather than none saved: the
        saved session would otherwise go to the default address, not its own server.
    """
    path = _home(ctx_obj) / SERVER_FILE
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, UnicodeDecodeError) as error:
        if not strict:
            return None
        reason = getattr(error, "strerror", None) or "not text"
        raise click.ClickException(
            f"cannot read the saved server address in {path} ({reason}): give the address "
            "with --url (or PAYGROUND_URL); `payground login --url ...` saves it "
            "again.") from None


url_option = click.option(
    "--url", default=DEFAULT_URL, envvar="PAYGROUND_URL", callback=_check_url,
    show_default=f"the server of the last init or login, else {DEFAULT_URL}",
    help="Address of a running Payground server [env: PAYGROUND_URL].")


# Each module adds its commands to `main` when imported, and is imported when one of its
# commands runs (or `--help` lists them all): `payground serve` loads server.py alone, not
# the nine other modules the other commands need (~7 ms of its start-up). Click's pattern for
# lazily loaded subcommands (_Group.get_command); test_cli checks this table is complete.
# (Module names differ from command names, so `payground.cli.serve` stays the command.)
_COMMANDS = {"activate": "accounts", "clock": "clocks", "demo": "demo", "init": "accounts",
             "keys": "keys", "leak": "leak", "ledger": "ledger", "login": "accounts",
             "scan": "scanner", "serve": "server", "tutorial": "lessons"}
# Names `from payground.cli import ...` gave when every module was imported here: commands
# from modules named otherwise, and helpers the tests use. A module's name gives the module.
_ATTRIBUTES = {"activate": "accounts", "init": "accounts", "login": "accounts",
               "clock": "clocks", "tutorial": "lessons", "scan": "scanner", "serve": "server",
               "_display_url": "server", "_scrubbing_formatter": "server",
               "_ensure_gitignored": "envfile"}


def __getattr__(name: str) -> Any:
    from importlib import import_module

    if name in _COMMANDS.values():
        return import_module(f"{__name__}.{name}")
    if name in _ATTRIBUTES:
        return getattr(import_module(f"{__name__}.{_ATTRIBUTES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
