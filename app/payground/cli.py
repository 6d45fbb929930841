"""The ``payground`` command: serve the sandbox, set up a project's keys, seed demo data.

Start-up time matters (``payground serve`` is timed from spawn to the first answer), so this
module imports only click at the top. Flask, SQLAlchemy and the WSGI server are imported by
``serve``; ``requests`` by the commands that talk to a running server; Faker by ``demo``.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

import click

from . import __version__

DEFAULT_URL = "http://127.0.0.1:4242"
ENV_FILE = ".env"
ENV_HEADER = ("# Payground test keys, written by `payground init`. Keep this file out of git "
              "(it is in .gitignore).")
TUTORIAL = "tutorials/01-first-charge"
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# --- the group -----------------------------------------------------------------------------


@click.group(context_settings=CONTEXT_SETTINGS)
@click.option("--home", envvar="PAYGROUND_HOME", metavar="DIR",
              type=click.Path(file_okay=False),
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

    Settings come from PAYGROUND_* environment variables (PAYGROUND_DATABASE_URL,
    PAYGROUND_REDIS_URL, PAYGROUND_SECRET, PAYGROUND_RATE_LIMITS ...); see the README.

    \f
    .. versionadded:: 0.1
    """
    ctx.obj = {"home": home}


def _home(ctx_obj: dict[str, Any]) -> Path:
    # Resolved here rather than through load_config: that would also create the server's
    # key pepper, which has no business on a machine that only runs `payground init`.
    from .config import DEFAULTS

    return Path(os.path.expanduser(ctx_obj.get("home") or DEFAULTS["HOME"]))


def _check_url(_ctx, _param, value: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value or ""):
        raise click.BadParameter(f"{value!r} is not an http:// or https:// address")
    return value.rstrip("/")


url_option = click.option(
    "--url", default=DEFAULT_URL, show_default=True, envvar="PAYGROUND_URL",
    callback=_check_url, help="Address of a running Payground server [env: PAYGROUND_URL].")


# --- serve ---------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="PAYGROUND_HOST",
              help="Address to listen on; 0.0.0.0 makes it reachable from other machines "
                   "[env: PAYGROUND_HOST].")
@click.option("--port", default=4242, show_default=True, envvar="PAYGROUND_PORT",
              type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one [env: PAYGROUND_PORT].")
@click.option("--workers", default=1, show_default=True, envvar="PAYGROUND_WORKERS",
              type=click.IntRange(min=1),
              help="Worker processes (gunicorn only) [env: PAYGROUND_WORKERS].")
@click.option("--threads", default=8, show_default=True, envvar="PAYGROUND_THREADS",
              type=click.IntRange(min=1),
              help="Threads per worker process [env: PAYGROUND_THREADS].")
@click.option("--server", "server_name", default="auto", show_default=True,
              type=click.Choice(["auto", "gunicorn", "waitress"]),
              help="WSGI server: auto uses gunicorn on POSIX and waitress on Windows.")
@click.pass_obj
def serve(obj: dict[str, Any], host: str, port: int, workers: int, threads: int,
          server_name: str) -> None:
    """Serve the API with a production WSGI server (never Flask's debug server).

    The app is built once - database schema created or upgraded, key pepper generated into
    PAYGROUND_HOME/secret if PAYGROUND_SECRET is unset - and then served by gunicorn (POSIX)
    or waitress (Windows, or when gunicorn is missing). One line is printed when the server
    accepts connections:

    \b
      Payground listening on http://127.0.0.1:4242 (home: ..., database: ...)

    Access logs are off: a URL may hold a key. Payground keeps its own request log, with
    keys masked (GET /sandbox/requests). Stop the server with Ctrl-C or SIGTERM.

    \b
    Examples:
      payground serve
      payground --home ./sandbox serve --port 5000
      PAYGROUND_REDIS_URL=redis://localhost:6379/0 payground serve --host 0.0.0.0 --workers 4

    \f
    .. versionadded:: 0.1
    """
    if server_name == "auto":
        server_name = "gunicorn" if _gunicorn_available() else "waitress"
    elif server_name == "gunicorn" and not _gunicorn_available():
        raise click.ClickException("gunicorn is not available here (it needs a POSIX system); "
                                   "use --server waitress.")
    _check_port_free(host, port)
    app = _build_app(obj.get("home"))
    home, database = app.config["HOME"], _display_url(app.config["DATABASE_URL"])

    # Why one worker with 8 threads by default: rate limits live in the worker's memory
    # unless PAYGROUND_REDIS_URL is set, so one process keeps them exact; threads give
    # concurrency (requests mostly wait on the database) and one process starts fastest.
    limiter = app.extensions["payground"].rate_limiter
    if workers > 1 and limiter.enabled and not limiter.shared:
        raise click.ClickException(
            f"--workers {workers} needs PAYGROUND_REDIS_URL: without it each worker would "
            "count rate limits on its own, and they would not be exact. Set "
            "PAYGROUND_REDIS_URL=redis://..., serve one worker (more --threads), or turn rate "
            "limits off with PAYGROUND_RATE_LIMITS=off.")
    if limiter.enabled and limiter.shared and not limiter.check_storage():
        raise click.ClickException("cannot reach Redis at PAYGROUND_REDIS_URL "
                                   f"({_display_redis_url(limiter.redis_url)}) to count rate "
                                   "limits; is it running?")
    if workers > 1 and server_name == "waitress":
        click.echo("Warning: waitress serves from one process; --workers is ignored "
                   "(use --threads).", err=True)

    def ready(bound_port: int) -> None:
        shown_host = f"[{host}]" if ":" in host else host
        click.echo(f"Payground listening on http://{shown_host}:{bound_port} "
                   f"(home: {home}, database: {database})")
        sys.stdout.flush()

    if server_name == "gunicorn":
        _serve_gunicorn(app, host=host, port=port, workers=workers, threads=threads,
                        on_ready=ready)
    else:
        _serve_waitress(app, host=host, port=port, threads=threads, on_ready=ready)


def _gunicorn_available() -> bool:
    if sys.platform == "win32":
        return False
    try:
        import gunicorn  # noqa: F401  (its __init__ is tiny; the heavy parts load later)
    except ImportError:
        return False
    return True


def _check_port_free(host: str, port: int) -> None:
    """Fail in milliseconds on a busy port, before the app is built (gunicorn would retry
    for five seconds and then exit with a less helpful message)."""
    if port == 0:
        return
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as exc:
        raise click.ClickException(f"cannot listen on {host!r}: {exc.strerror}") from None
    with socket.socket(family, kind, proto) as probe:
        if os.name != "nt":  # the servers set it too; without it a TIME_WAIT port looks busy
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            hint = ""
            if exc.errno == errno.EADDRINUSE:
                hint = " (is another server running there? choose another --port)"
            raise click.ClickException(
                f"cannot listen on {host}:{port}: {exc.strerror}{hint}") from None


def _build_app(home: str | None):
    from .app import create_app

    try:
        return create_app({"HOME": home} if home else None)
    except ModuleNotFoundError as exc:
        extra = {"psycopg": "postgres", "redis": "redis"}.get(exc.name or "")
        if extra is None:
            raise
        raise click.ClickException(f"the {exc.name} driver is not installed: "
                                   f"pip install 'payground[{extra}]'") from None
    except ValueError as exc:  # a setting that cannot be read, e.g. PAYGROUND_RATE_LIMITS
        raise click.ClickException(str(exc)) from None
    except Exception as exc:
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            # `orig` is the driver's message: it names host and port, never the password.
            raise click.ClickException(f"cannot open the database: {exc.orig}") from None
        raise


def _display_redis_url(url: str) -> str:
    """A Redis URL without its password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"


def _display_url(url: str) -> str:
    """The database URL with its password (and any password parameter) left out."""
    from sqlalchemy.engine import URL, make_url

    parsed = make_url(url)
    query = {k: v for k, v in parsed.query.items() if "password" not in k.lower()}
    # URL.set(password=None) means "leave unchanged", so rebuild it without one.
    return URL.create(parsed.drivername, username=parsed.username, host=parsed.host,
                      port=parsed.port, database=parsed.database,
                      query=query).render_as_string(hide_password=False)


def _scrubbing_formatter(inner):
    import logging

    from .core.keys import scrub

    class ScrubbedFormatter(logging.Formatter):
        """Wraps a server's formatter: its whole output, tracebacks included, is scrubbed."""

        def format(self, record: logging.LogRecord) -> str:
            return scrub(inner.format(record))

    return ScrubbedFormatter()


def _serve_gunicorn(app, *, host: str, port: int, workers: int, threads: int,
                    on_ready) -> None:
    # gunicorn's classes are subclassed here, inside the function, so that importing the
    # CLI (for `init`, `--help` ...) never imports gunicorn.
    from gunicorn.app.base import BaseApplication
    from gunicorn.glogging import Logger

    from .extensions import db

    class ScrubbingLogger(Logger):
        """gunicorn's logger, but a key in a logged URL (e.g. "Error handling request
        /v1/charges?key=sk_test_...") comes out masked."""

        def setup(self, cfg):
            super().setup(cfg)
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    if handler.formatter is not None:
                        handler.setFormatter(_scrubbing_formatter(handler.formatter))

    def when_ready(arbiter) -> None:  # master: the socket is listening, workers come next
        on_ready(arbiter.LISTENERS[0].sock.getsockname()[1])

    def post_fork(_arbiter, _worker) -> None:
        # Belt and braces: the master emptied the pool before forking; a fresh pool here
        # guarantees no connection is shared with the master or a sibling. close=False:
        # closing inherited connections from the child could disturb the other process.
        with app.app_context():
            db.engine.dispose(close=False)

    options: dict[str, Any] = {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        # The app object already exists: workers inherit it, so start-up pays for imports
        # and the schema check once, not once per worker.
        "preload_app": True,
        "accesslog": None,  # off: a URL may hold a key; the app keeps its own masked log
        "errorlog": "-",
        "loglevel": "info",
        "logger_class": ScrubbingLogger,
        "proc_name": "payground",
        "when_ready": when_ready,
        "post_fork": post_fork,
        # gunicorn >= 25 opens a control socket at a fixed path under $HOME by default: two
        # sandboxes (or a test run next to a dev server) would fight over it.
        "control_socket_disable": True,
    }
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        # Worker heartbeats are file writes; in containers /tmp may be slow overlay storage.
        options["worker_tmp_dir"] = "/dev/shm"

    class PaygroundGunicorn(BaseApplication):
        def load_config(self) -> None:
            for name, value in options.items():
                if name in self.cfg.settings:  # older gunicorns lack some settings
                    self.cfg.set(name, value)

        def load(self):
            return app

    with app.app_context():
        db.engine.dispose()  # nothing the master opened may cross the fork
    PaygroundGunicorn().run()


def _serve_waitress(app, *, host: str, port: int, threads: int, on_ready) -> None:
    import logging
    import signal

    from waitress.server import create_server

    handler = logging.StreamHandler()
    handler.setFormatter(_scrubbing_formatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")))
    waitress_log = logging.getLogger("waitress")
    waitress_log.addHandler(handler)
    waitress_log.setLevel(logging.INFO)

    server = create_server(app, host=host, port=port, threads=threads)
    bound = getattr(server, "effective_port", None)
    if bound is None:  # several sockets (e.g. "localhost" on IPv4 and IPv6)
        bound = server.effective_listen[0][1]
    on_ready(bound)

    def stop(_signum, _frame):
        raise SystemExit(0)  # waitress's loop catches it and shuts its threads down

    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, stop)
    try:
        server.run()
    finally:
        server.close()


# --- talking to a running server -----------------------------------------------------------


class ServerError(click.ClickException):
    """The server answered with Stripe's error envelope; shown as its ``message``."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(str(error.get("message") or f"HTTP {status}"))
        self.status = status
        self.code = error.get("code")
        self.error = error


class _Client:
    """A small JSON client for the sandbox and /v1 APIs; failures become click errors."""

    def __init__(self, url: str) -> None:
        import requests

        self._requests = requests
        self.url = url
        self.http = requests.Session()
        self.http.headers["User-Agent"] = f"payground-cli/{__version__}"

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *_exc) -> None:
        self.http.close()

    def call(self, method: str, path: str, *, key: str | None = None,
             json: dict | None = None, data: dict | None = None,
             params: dict | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        for attempt in range(5):
            try:
                response = self.http.request(method, self.url + path, headers=headers,
                                             json=json, data=data, params=params, timeout=30)
            except self._requests.Timeout:
                raise click.ClickException(
                    f"Payground at {self.url} did not answer within 30 seconds.") from None
            except self._requests.ConnectionError:
                raise click.ClickException(
                    f"cannot reach Payground at {self.url}: is `payground serve` running "
                    "there? (use --url for another address)") from None
            if response.status_code == 429 and attempt < 4:
                # Rate limited (test mode allows 25 requests a second): wait as told.
                import time

                time.sleep(min(float(response.headers.get("Retry-After") or 1), 5))
                continue
            break
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if response.status_code >= 400 and isinstance(error, dict):
            raise ServerError(response.status_code, error)
        if response.status_code >= 400 or not isinstance(body, dict):
            raise click.ClickException(
                f"{self.url} did not answer {method} {path} like a Payground server "
                f"(HTTP {response.status_code}).")
        return body


def _mask(key: str) -> str:
    """Terminal form of a secret: first 8 characters ... last 4 (``sk_test_...Ab12``)."""
    return f"{key[:8]}...{key[-4:]}"


# --- files ---------------------------------------------------------------------------------

_ENV_LINE = re.compile(r"^\s*(export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def _read_env(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return values
    for line in text.splitlines():
        match = _ENV_LINE.match(line)
        if match:
            value = match[3]
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            values[match[2]] = value
    return values


def _update_env(path: Path, updates: dict[str, str]) -> None:
    """Set ``NAME=value`` lines in a dotenv file, keeping every other line; mode 0600."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = [ENV_HEADER]
    pending = dict(updates)
    out = []
    for line in lines:
        match = _ENV_LINE.match(line)
        if match and match[2] in updates:
            if match[2] in pending:
                out.append(f"{match[1] or ''}{match[2]}={pending.pop(match[2])}")
            # A second line for the same name is dropped: when sourced, it would win.
            continue
        out.append(line)
    out.extend(f"{name}={value}" for name, value in pending.items())
    _write_private(path, "\n".join(out) + "\n")


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (0600), atomically: no moment where a reader
    sees half a file, or the keys under looser permissions."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)  # mkstemp's default, made explicit
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _ensure_gitignored(path: Path, name: str) -> bool:
    """Make sure ``name`` (a file in this directory) is ignored; True if a line was added.

    Existing patterns count when they match it (``.env``, ``/.env``, ``.env*``, ``*.env``,
    ``**/.env``); a later ``!.env`` un-ignores it, as in git.
    """
    from fnmatch import fnmatchcase

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    ignored = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line.endswith("/"):
            continue  # comments; "dir/" patterns match directories only
        negate = line.startswith("!")
        pattern = line[1:] if negate else line
        pattern = pattern.removeprefix("**/").removeprefix("/")
        if "/" not in pattern and fnmatchcase(name, pattern):
            ignored = not negate
    if ignored:
        return False
    separator = "" if not text or text.endswith("\n") else "\n"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"{separator}{name}\n")
    return True


def _save_env_with_gitignore(updates: dict[str, str]) -> bool:
    """Write ./.env and make sure git ignores it; True if .gitignore gained a line."""
    _update_env(Path(ENV_FILE), updates)
    return _ensure_gitignored(Path(".gitignore"), ENV_FILE)


# --- init ----------------------------------------------------------------------------------


@main.command()
@url_option
@click.option("--email", prompt=True, envvar="PAYGROUND_EMAIL",
              help="Account email; asked for if not given [env: PAYGROUND_EMAIL].")
@click.option("--password", prompt=True, hide_input=True, envvar="PAYGROUND_PASSWORD",
              help="Account password (8 characters or more); asked for, hidden, if not "
                   "given [env: PAYGROUND_PASSWORD].")
@click.pass_obj
def init(obj: dict[str, Any], url: str, email: str, password: str) -> None:
    """Sign up (or log in) on a running server and write this project's test keys to ./.env.

    Run it in your project's directory while `payground serve` is running. A new email
    signs up; an email that already has an account logs in. Then:

    \b
    - ./.env gets STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_API_BASE (other
      lines are kept; the file is made readable by you only, mode 0600);
    - ./.gitignore is made to ignore .env (created, or one line appended, if needed);
    - the session is saved in PAYGROUND_HOME/session (mode 0600) for later commands.

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
    gitignore_added = _save_env_with_gitignore(updates)
    session_path = _home(obj) / "session"
    _write_private(session_path, session + "\n")

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
    click.echo(f"Then follow {TUTORIAL}.")


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
    session_path = _home(obj) / "session"
    try:
        session = session_path.read_text().strip()
    except FileNotFoundError:
        raise click.ClickException(
            f"no session in {session_path}: run `payground init` first.") from None
    details = {k: v for k, v in (("business_name", business_name), ("country", country)) if v}
    with _Client(url) as api:
        body = api.call("POST", "/sandbox/account/activate", key=session, json=details)
    secret, publishable = body["keys"]["secret"], body["keys"]["publishable"]
    gitignore_added = _save_env_with_gitignore({"STRIPE_LIVE_SECRET_KEY": secret,
                                                "STRIPE_LIVE_PUBLISHABLE_KEY": publishable})
    account = body["account"]
    click.echo(f"Live mode activated for {account['business_name']} ({account['id']}).")
    click.echo(f"Live keys written to {ENV_FILE} (mode 0600):")
    click.echo(f"  STRIPE_LIVE_SECRET_KEY={_mask(secret)}   (masked here; shown only once)")
    click.echo(f"  STRIPE_LIVE_PUBLISHABLE_KEY={publishable}")
    if gitignore_added:
        click.echo(f"Added {ENV_FILE} to .gitignore.")


# --- demo ----------------------------------------------------------------------------------

# Most demo charges succeed; a few use Stripe's decline tokens so the data has failures too.
DEMO_DECLINES = ("tok_chargeDeclined", "tok_chargeDeclinedInsufficientFunds")
DEMO_DECLINE_RATE = 0.15


@main.command()
@url_option
@click.option("--customers", "n_customers", default=10, show_default=True,
              type=click.IntRange(0, 1000), help="How many customers to create.")
@click.option("--charges", "n_charges", default=20, show_default=True,
              type=click.IntRange(0, 1000),
              help="How many charges to create (skipped if the server has no /v1/charges).")
@click.option("--seed", type=int, default=None,
              help="Make names, amounts and outcomes repeatable (the account is always new).")
@click.option("--write-env", is_flag=True,
              help="Also write the demo account's keys to ./.env, like `payground init`.")
@click.pass_obj
def demo(obj: dict[str, Any], url: str, n_customers: int, n_charges: int, seed: int | None,
         write_env: bool) -> None:
    """Fill a running server with a new demo account, fake customers and charges.

    Signs up demo-<random>@example.com, creates customers with Faker-made names, emails and
    phone numbers, and (when the server has /v1/charges) charges paid with test tokens:
    mostly tok_visa, some declined. Prints a summary.

    The account's keys, email and password are written to PAYGROUND_HOME/demo.env
    (mode 0600, replaced on each run); with --write-env the keys also go to ./.env (and
    .env into ./.gitignore), replacing the STRIPE_* lines there.

    \b
    Example:
      payground demo --customers 5 --charges 10 --seed 42

    \f
    .. versionadded:: 0.1
    """
    import random
    import secrets

    from faker import Faker  # slow to import: only here

    fake = Faker("en_US")
    rng = random.Random(seed)
    if seed is not None:
        fake.seed_instance(seed)
    email = f"demo-{secrets.token_hex(4)}@example.com"
    password = secrets.token_urlsafe(12)

    with _Client(url) as api:
        body = api.call("POST", "/sandbox/signup", json={"email": email, "password": password})
        account = body["account"]
        secret, publishable = body["keys"]["secret"], body["keys"]["publishable"]

        for number in range(1, n_customers + 1):
            api.call("POST", "/v1/customers", key=secret, data={
                "name": fake.name(), "email": fake.email(), "phone": fake.phone_number(),
                "description": f"Demo customer {number}", "metadata[source]": "payground demo",
            })

        charges_supported = n_charges > 0 and _has_route(api, "/v1/charges", secret)
        succeeded, captured, declines = 0, 0, {}
        if charges_supported:
            for _ in range(n_charges):
                declined = rng.random() < DEMO_DECLINE_RATE
                token = rng.choice(DEMO_DECLINES) if declined else "tok_visa"
                amount = rng.randint(5, 500) * 100 + rng.choice((0, 0, 50, 99))
                try:
                    api.call("POST", "/v1/charges", key=secret, data={
                        "amount": amount, "currency": "usd", "source": token,
                        "description": f"{fake.catch_phrase()} (demo order)",
                    })
                except ServerError as exc:
                    if exc.status != 402:  # a decline is expected; anything else is not
                        raise
                    reason = exc.error.get("decline_code") or exc.code or "declined"
                    declines[reason] = declines.get(reason, 0) + 1
                else:
                    succeeded += 1
                    captured += amount

    home_env = _home(obj) / "demo.env"
    _write_private(home_env, "\n".join([
        f"# Payground demo account, made by `payground demo` against {url}",
        f"PAYGROUND_DEMO_EMAIL={email}",
        f"PAYGROUND_DEMO_PASSWORD={password}",
        f"STRIPE_SECRET_KEY={secret}",
        f"STRIPE_PUBLISHABLE_KEY={publishable}",
        f"STRIPE_API_BASE={url}",
    ]) + "\n")

    click.echo(f"Demo account {email} ({account['id']}) on {url}:")
    click.echo(f"  {_plural(n_customers, 'customer')} created")
    if not n_charges:
        click.echo("  no charges asked for")
    elif not charges_supported:
        click.echo("  no charges: this server has no /v1/charges yet")
    else:
        failed = sum(declines.values())
        detail = ", ".join(f"{reason} {count}" for reason, count in sorted(declines.items()))
        click.echo(f"  {_plural(n_charges, 'charge')}: {succeeded} succeeded "
                   f"(${captured // 100:,}.{captured % 100:02d}), {failed} declined"
                   + (f" ({detail})" if detail else ""))
    click.echo(f"Keys, email and password written to {home_env} (mode 0600); "
               f"secret key {_mask(secret)}.")
    if write_env:
        added = _save_env_with_gitignore({"STRIPE_SECRET_KEY": secret,
                                          "STRIPE_PUBLISHABLE_KEY": publishable,
                                          "STRIPE_API_BASE": url})
        click.echo(f"Keys also written to {ENV_FILE} (mode 0600)"
                   + ("; added .env to .gitignore." if added else "."))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _has_route(api: _Client, path: str, key: str) -> bool:
    try:
        api.call("GET", path, key=key, params={"limit": 1})
    except ServerError as exc:
        if exc.status == 404:
            return False
        raise
    return True
