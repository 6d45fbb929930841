"""`payground serve`: the app built once, then served by gunicorn (or waitress)."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from . import main


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
@click.option("--threads", default=4, show_default=True, envvar="PAYGROUND_THREADS",
              type=click.IntRange(min=1),
              help="Threads per worker process; 1 means gunicorn's sync worker (no "
                   "keep-alive) [env: PAYGROUND_THREADS].")
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
    _warm_up(app)
    home, database = app.config["HOME"], _display_url(app.config["DATABASE_URL"])

    # Why one worker with 4 threads by default: rate limits live in the worker's memory
    # unless PAYGROUND_REDIS_URL is set, so one process keeps them exact, and one process
    # starts fastest. Requests are mostly CPU under the GIL, and SQLite takes one writer at a
    # time: 8 threads measured slower than 4 (bench/RESULTS.md), and 4 still serve a few
    # clients at once (one slow client does not hold up the rest).
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
    from ..app import create_app

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


def _warm_up(app) -> None:
    """Do once, before gunicorn forks, what every worker's first request would do again:
    configure the ORM mappers (~15 ms) and compile the key lookup."""
    from sqlalchemy.orm import configure_mappers

    from ..extensions import db
    from ..services.keys import compile_lookup

    configure_mappers()
    with app.app_context():
        compile_lookup(db.engine.dialect)


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

    from ..core.keys import scrub

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

    from ..extensions import db

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

    # As gunicorn itself does: one thread means its plain synchronous worker (no thread pool
    # hand-off, no keep-alive; measured ~10 % more charges per second than a one-thread
    # gthread worker, bench/RESULTS.md). Threads mean gthread, with keep-alive connections
    # balanced over the worker processes.
    worker_class: Any = "sync" if threads == 1 else "gthread"
    if workers > 1 and threads > 1:
        from .balancing import ConnectionTable, balanced_worker_class

        try:  # room for replacements started while a stopped worker's slot is still held
            table = ConnectionTable(workers * 2 + 2)
        except OSError:  # no shared memory for its lock (a locked-down container): unbalanced
            table = None
        if table is not None:
            worker_class = balanced_worker_class(table) or "gthread"

    options: dict[str, Any] = {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        "worker_class": worker_class,
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
