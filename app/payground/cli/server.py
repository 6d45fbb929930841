"""`payground serve`: the app built once, then served by granian, gunicorn or waitress."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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
              help="Worker processes (granian, gunicorn; waitress has one) "
                   "[env: PAYGROUND_WORKERS].")
@click.option("--threads", default=4, show_default=True, envvar="PAYGROUND_THREADS",
              type=click.IntRange(min=1),
              help="Python threads per worker process; under gunicorn 1 means its sync "
                   "worker (no keep-alive) [env: PAYGROUND_THREADS].")
@click.option("--server", "server_name", default="auto", show_default=True,
              type=click.Choice(["auto", "gunicorn", "granian", "waitress"]),
              help="WSGI server: auto uses granian (HTTP in Rust, the most requests per "
                   "second), else gunicorn (POSIX), else waitress.")
@click.pass_obj
def serve(obj: dict[str, Any], host: str, port: int, workers: int, threads: int,
          server_name: str) -> None:
    """Serve the API with a production WSGI server (never Flask's debug server).

    The app is built once - database schema created or upgraded, key pepper generated into
    PAYGROUND_HOME/secret if PAYGROUND_SECRET is unset - and then served by granian (HTTP in
    Rust, keep-alive), or with --server by gunicorn (POSIX) or waitress. Workers are forked
    from the built app. One line is printed when the server accepts connections:

    \b
      Payground listening on http://127.0.0.1:4242 (home: ..., database: ...)

    With --host 0.0.0.0 or :: (every address of this machine) that line shows the loopback
    address, and a line on stderr says that other machines use this machine's address or name.

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
    server_name = _choose_server(server_name)
    _check_port_free(host, port)
    # Held until serve returns, i.e. while the server runs (port 0: _serve_granian claims).
    claim = _claim_port(host, port) if server_name == "granian" and port else None
    if server_name == "granian":
        # Granian's handlers in its main process set the Event its main thread waits on. Run
        # in the main thread, a handler that comes while that thread holds the Event's lock
        # (entering or leaving the wait) deadlocks on it, and the server never stops: seen
        # twice in test runs, a stop right after start-up. So the signals are blocked in the
        # main thread, and one thread calls granian's handlers (Event.set() from another
        # thread is what an Event is for). Blocked before the app is built: every thread
        # started from here on (the app's own, granian's) inherits the mask, and so do the
        # forked workers. SIGHUP too: granian reloads on it, through the same Event.
        _stop_signals_through_one_thread(_STOP_SIGNALS + ("SIGHUP",))
    app = _build_for_serving(obj.get("home"))
    home, database = app.config["HOME"], _display_url(app.config["DATABASE_URL"])

    # Why one worker with 4 threads by default: rate limits live in the worker's memory
    # unless PAYGROUND_REDIS_URL is set, so one process keeps them exact, and one process
    # starts fastest. Requests are mostly CPU under the GIL, and SQLite takes one writer at a
    # time, so more threads do not serve more (under granian one thread served ~40 % more
    # than four, bench/RESULTS.md); but a thread reading a slowly uploaded body is held until
    # it arrives, and 4 keep serving the other clients meanwhile.
    limiter = app.extensions["payground"].rate_limiter
    if workers > 1 and limiter.enabled and not limiter.shared:
        raise click.ClickException(
            f"--workers {workers} needs PAYGROUND_REDIS_URL: without it each worker would "
            "count rate limits on its own, and they would not be exact. Set "
            "PAYGROUND_REDIS_URL=redis://..., serve one worker (more --threads), or turn rate "
            "limits off with PAYGROUND_RATE_LIMITS=off.")
    problem = limiter.storage_problem() if limiter.shared else None
    if problem is not None:
        where = f"Redis at PAYGROUND_REDIS_URL ({_display_redis_url(limiter.redis_url)})"
        if isinstance(problem, ConnectionError):
            # With Redis' reason: a refused port, a name that does not resolve, a timeout.
            raise click.ClickException(f"cannot reach {where} to count rate limits and failed "
                                       f"log-ins ({problem}); is it running?")
        # Reached, and refused: a database index it does not have, a wrong password ...
        raise click.ClickException(f"{where} refused to count rate limits and failed "
                                   f"log-ins: {problem}")
    from ..config import parse_login_email_failure_limit, parse_login_failure_limit

    login_limit = app.config.get("LOGIN_FAILURE_LIMIT")
    if workers > 1 and not limiter.shared and parse_login_failure_limit(login_limit):
        # The per-email budget is on while the per-address one is (http/login_throttle.py).
        email_limit = app.config.get("LOGIN_EMAIL_FAILURE_LIMIT")
        email_part = (f", and an email up to {workers} times PAYGROUND_LOGIN_EMAIL_FAILURE_LIMIT "
                      f"({email_limit})" if parse_login_email_failure_limit(email_limit) else "")
        click.echo(f"Warning: without PAYGROUND_REDIS_URL each of the {workers} workers counts "
                   f"failed log-ins on its own: an address gets up to {workers} times "
                   f"PAYGROUND_LOGIN_FAILURE_LIMIT ({login_limit}){email_part}.", err=True)
    if not _loopback(host) and not app.config["WEBHOOK_ALLOWED_HOSTS"]:
        click.echo(f"Warning: serving on {host} with webhooks sent anywhere: a URL someone "
                   "registers can reach this machine's own ports and network (its database, "
                   "Redis, a cloud metadata address). Set PAYGROUND_WEBHOOK_ALLOWED_HOSTS "
                   "(README: Webhooks).", err=True)
    if workers > 1 and server_name == "waitress":
        click.echo("Warning: waitress serves from one process; --workers is ignored "
                   "(use --threads).", err=True)
    buffer = app.extensions["payground"].request_log
    if buffer is not None and workers > 1 and server_name != "waitress":
        # Another worker's latest rows wait in its buffer: a read of the log waits for them
        # (a lesson lists a request right after making it, on whichever worker).
        from ..services.log_buffer import WorkerProgress

        buffer.progress = WorkerProgress()

    def ready(bound_port: int) -> None:
        local = _local_address(host)
        shown_host = f"[{local}]" if ":" in local else local
        click.echo(f"Payground listening on http://{shown_host}:{bound_port} "
                   f"(home: {home}, database: {database})")
        sys.stdout.flush()
        if local != host:
            click.echo(_elsewhere_note(host, local), err=True)

    if server_name == "granian":
        _serve_granian(app, host=host, port=port, workers=workers, threads=threads,
                       on_ready=ready, claim=claim)
    elif server_name == "gunicorn":
        _serve_gunicorn(app, host=host, port=port, workers=workers, threads=threads,
                        on_ready=ready)
    else:
        _serve_waitress(app, host=host, port=port, threads=threads, on_ready=ready)


def _local_address(host: str) -> str:
    """An address this machine opens the server at: ``host``, or for a wildcard (``0.0.0.0``,
    ``::``, empty: every address) the loopback address of its family."""
    import ipaddress

    if not host:
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # a name: whatever it resolves to, it is what the operator chose
    if not address.is_unspecified:
        return host
    return "::1" if address.version == 6 else "127.0.0.1"


def _elsewhere_note(host: str, local: str) -> str:
    """What to tell the operator of a server listening on a wildcard address, which is no
    address to open. Which of this machine's addresses others can use depends on their
    network (a LAN, a VPN, a container's port mapping): say so rather than guess one."""
    import socket

    # In a container (docker-compose.yml) the name is a random id that only its Docker
    # network resolves: there the way in is the machine running it, at the published port.
    return (f"Listening on every address of this machine (--host {host or repr(host)}): from "
            f"another machine, use this machine's address or name instead of {local} (it "
            f"calls itself {socket.gethostname()}; in a container, use the address of the "
            "machine running it, at the port published for it).")


def _loopback(host: str) -> bool:
    """Whether listening on ``host`` keeps the server to this machine."""
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _choose_server(name: str) -> str:
    """The server ``--server name`` means here; ``auto``: the fastest one installed."""
    if name == "auto":
        return ("granian" if _granian_available() else
                "gunicorn" if _gunicorn_available() else "waitress")
    if name == "gunicorn" and not _gunicorn_available():
        raise click.ClickException("gunicorn is not available here (it needs a POSIX system); "
                                   "use --server granian or --server waitress.")
    if name == "granian" and not _granian_available():
        raise click.ClickException("granian is not available here (pip install granian; not on "
                                   "Windows); use --server gunicorn or --server waitress.")
    return name


def _gunicorn_available() -> bool:
    return _forking_server_installed("gunicorn")


def _granian_available() -> bool:
    return _forking_server_installed("granian")


def _forking_server_installed(module: str) -> bool:
    # Both fork their workers from the built app; Windows has no fork (granian would spawn
    # a fresh interpreter there, which cannot receive the app): waitress serves there.
    if sys.platform == "win32":
        return False
    import importlib.util

    return importlib.util.find_spec(module) is not None  # found, not imported: start-up


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


def _claim_port(host: str, port: int):
    """Claim ``port`` for this Payground server until the returned socket is closed (at exit):
    an abstract Unix socket named after the port, which the kernel lets one process bind.

    Why: granian's workers bind with SO_REUSEPORT, and the kernel lets every program of the
    same user bind a port that way. Two servers started at the same moment both passed
    :func:`_check_port_free` (neither listened yet), both bound, and the kernel split the
    connections between them: half the requests reached the other server's database (keys
    refused at random). Linux only, as is binding in each worker; elsewhere ``None``.
    """
    import errno
    import socket

    if not sys.platform.startswith("linux"):
        return None
    claim = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        claim.bind(f"\0payground-serve-port-{port}")
    except OSError as exc:
        claim.close()
        if exc.errno != errno.EADDRINUSE:
            return None  # no abstract sockets here: nothing to claim with
        raise click.ClickException(
            f"cannot listen on {host}:{port}: another Payground server is starting or running "
            "on that port (choose another --port)") from None
    return claim


def _free_claimed_port(host: str):
    """``(port, claim)``: a free port, claimed (:func:`_claim_port`); another one if a server
    starting at the same moment claimed it first."""
    while True:
        port = _free_port(host)
        try:
            return port, _claim_port(host, port)
        except click.ClickException:
            continue


def _build_app(home: str | None):
    from ..app import create_app
    from ..migrations import DatabaseTooNew, NotPaygroundDatabase, UpgradeFailed

    try:
        return create_app({"HOME": home} if home else None)
    except ModuleNotFoundError as exc:
        extra = {"psycopg": "postgres", "redis": "redis"}.get(exc.name or "")
        if extra is None:
            raise
        raise click.ClickException(f"the {exc.name} driver is not installed: "
                                   f"pip install 'payground[{extra}]'") from None
    # A setting that cannot be read (e.g. PAYGROUND_RATE_LIMITS), a newer version's database,
    # another application's, an upgrade step that failed (rolled back).
    except (ValueError, DatabaseTooNew, NotPaygroundDatabase, UpgradeFailed) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        if exc.filename is None:
            raise
        # PAYGROUND_HOME (the key pepper, the SQLite file) inside a file, or not writable.
        raise click.ClickException(f"cannot use {exc.filename} ({exc.strerror}): set "
                                   "PAYGROUND_HOME (or --home) to a folder you can "
                                   "write.") from None
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


def _build_for_serving(home: str | None):
    """The app every worker inherits: built, warmed up, and frozen (below)."""
    with _objects_for_the_whole_run():
        app = _build_app(home)
        _warm_up(app)
    # Each worker's first request sends the webhook retries that came due while no server ran.
    app.extensions["payground"].webhooks.sweep_on_first_request = True
    return app


@contextmanager
def _objects_for_the_whole_run() -> Iterator[None]:
    """Build what lives as long as the server with the cyclic collector off, then freeze it.

    Start-up creates ~140,000 tracked objects (modules, classes, mappers, schemas) and almost
    no garbage (~1 %). Collecting while they are made is wasted work (~10 % of start-up), and
    once made, every full collection in a worker walked them all again: ~35 ms with the
    worker's request waiting (create_charge p99 64 -> 20 ms, bench/RESULTS.md). Frozen, they
    are left out of every collection, and a forked worker's collections no longer write to
    the pages it shares with the parent (the pattern the gc module documents for freeze()).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if was_enabled:
            gc.enable()


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
        /v1/charges?key=sk_test_...") comes out masked, and without "Listening at"."""

        def setup(self, cfg):
            super().setup(cfg)
            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    if handler.formatter is not None:
                        handler.setFormatter(_scrubbing_formatter(handler.formatter))
            for handler in self.error_log.handlers:
                handler.addFilter(_NotServersListeningAt())

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
        # As under granian: requests in progress get this long after a stop, then the worker
        # is killed (gunicorn's own default is 30 s).
        "graceful_timeout": GRACEFUL_STOP_SECONDS,
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


def _serve_granian(app, *, host: str, port: int, workers: int, threads: int,
                   on_ready, claim=None) -> None:
    """Serve with granian: HTTP parsed in Rust, keep-alive, ``threads`` Python threads per
    worker process. Workers are forked from this process, so they inherit the app built once.
    ``claim``: the port's :func:`_claim_port`, kept for the server's life.
    """
    import multiprocessing

    from granian.constants import Interfaces
    from granian.server import Server

    from ..extensions import db

    if port == 0:
        # On Linux each granian worker binds the address itself (SO_REUSEPORT), so port 0
        # would give every worker a different port: pick one free port for all of them.
        port, claim = _free_claimed_port(host)

    def load_in_worker(_target):
        # Runs in each forked worker, before granian starts the worker's threads.
        _stop_signals_through_one_thread()
        # As under gunicorn: no connection shared with the parent or a sibling
        # (close=False: closing inherited ones could disturb them).
        # (Request-log rows still buffered when a worker stops: services.log_buffer.)
        with app.app_context():
            db.engine.dispose(close=False)
        return app

    # Workers inherit the built app (granian is not offered where there is no fork).
    multiprocessing.set_start_method("fork", force=True)
    # A forked worker keeps the parent's Python signal handlers (which would only set the
    # parent's flags there) until granian installs its own: a stop arriving in between was
    # lost and the worker ran on. Until then the default applies: a worker that has served
    # nothing yet dies at once.
    os.register_at_fork(after_in_child=_default_stop_signals)

    reap_safe_worker = _reap_safe_granian_worker_class()

    class PaygroundGranian(Server):
        def _spawn_worker(self, idx, target, callback_loader):
            worker = super()._spawn_worker(idx, target, callback_loader)
            worker.__class__ = reap_safe_worker
            return worker

        def startup(self, spawn_target, target_loader):
            super().startup(spawn_target, target_loader)
            # The workers exist only now; on Linux each binds the port itself, so "listening"
            # from granian's start-up hooks (which run before the workers) came too early.
            _announce_once_listening(host, port, on_ready)

    server = PaygroundGranian(
        "payground", address=host, port=port, interface=Interfaces.WSGI, workers=workers,
        blocking_threads=threads,
        # One Rust thread per worker does the HTTP; Python runs in the `threads` threads.
        runtime_threads=1, runtime_mode="st",
        websockets=False,  # WSGI has none; saves granian's note about it
        log_access=False,  # off: a URL may hold a key; the app keeps its own masked log
        log_dictconfig=_granian_log_config(),
        # A worker that has not stopped this long after the stop signal is killed (granian
        # would otherwise wait for ever); requests in progress get this long to finish.
        workers_kill_timeout=GRACEFUL_STOP_SECONDS)
    with app.app_context():
        db.engine.dispose()  # nothing this process opened may cross the fork
    try:
        server.serve(target_loader=load_in_worker)
    finally:
        if claim is not None:
            claim.close()


def _reap_safe_granian_worker_class():
    """granian's worker class, answering ``is_alive()`` from the process's sentinel.

    Why: granian joins each worker process from two threads, a watcher's ``join()`` and, at a
    stop, the main thread's ``join(timeout)``. Whichever reaps the process first leaves the
    other's ``waitpid`` with no child, which multiprocessing reads as "still running" until
    the reaping thread has stored the exit code: under load, granian then logged "Killing
    worker-1 after it refused to gracefully stop" for a worker that had stopped at once (1 stop
    in ~150, and once in CI), and sent SIGKILL to a pid already gone. The sentinel becomes
    readable when the process ends, whoever reaps it.
    """
    from multiprocessing.connection import wait

    from granian.server.mp import WorkerProcess

    class ReapSafeGranianWorker(WorkerProcess):
        def is_alive(self) -> bool:
            return not wait([self.inner.sentinel], 0)

    return ReapSafeGranianWorker


# Payground's requests take milliseconds: five seconds is ample for those in progress, and
# bounds the wait for a worker that does not stop.
GRACEFUL_STOP_SECONDS = 5
_STOP_SIGNALS = ("SIGINT", "SIGTERM")


def _stop_signals_through_one_thread(names: tuple[str, ...] = _STOP_SIGNALS) -> None:
    """Deliver this process's SIGINT and SIGTERM (or ``names``) to their Python handlers
    from one thread.

    Why: a granian worker's main thread waits on a lock with no timeout, and the kernel
    hands a signal sent to the process to any thread that does not block it, often one of
    granian's Rust threads. Python then only marks the signal as pending for the main
    thread, which sleeps on and never runs the handler: about one stop in ten right after
    start-up was missed, and the worker was killed 5 s later. So: block both signals here,
    in the main thread, before any other thread starts (threads inherit the mask, so none
    of them ever takes one), and let one thread wait for them with sigwait() and call the
    handler installed for each (granian's sets the worker's stop event). ``payground serve``
    does the same in granian's main process, for another reason (see ``serve``).
    """
    import signal
    import threading

    stops = {getattr(signal, name) for name in names}
    signal.pthread_sigmask(signal.SIG_BLOCK, stops)

    def relay() -> None:
        while True:
            number = signal.sigwait(stops)
            handler = signal.getsignal(number)
            if callable(handler):
                try:
                    handler(number, None)
                except BaseException:  # Python's own SIGINT handler raises KeyboardInterrupt:
                    os._exit(128 + number)  # in this thread that stops nothing, so stop here
            elif handler != signal.SIG_IGN:
                # Nothing has installed a handler yet (the worker serves nothing): stop,
                # as the default action would.
                os._exit(128 + number)

    threading.Thread(target=relay, name="payground-stop-signals", daemon=True).start()


def _default_stop_signals() -> None:
    import signal

    for name in _STOP_SIGNALS:
        signal.signal(getattr(signal, name), signal.SIG_DFL)


def _announce_once_listening(host: str, port: int, on_ready) -> None:
    """Call ``on_ready(port)`` from a background thread once a worker accepts connections.

    Call it only after the workers are forked: a thread running during a fork can leave a
    lock (an import's, a resolver's) taken for ever in the child. The address is resolved
    here, so the thread only connects to a numeric one.
    """
    import socket
    import threading
    import time

    family, kind, proto, _, address = socket.getaddrinfo(
        _local_address(host), port, type=socket.SOCK_STREAM)[0]

    def probe() -> None:
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up:
            try:
                with socket.socket(family, kind, proto) as client:
                    client.settimeout(1)
                    client.connect(address)
                break
            except OSError:
                time.sleep(0.005)  # a worker is still starting: not a race, a poll
        on_ready(port)

    threading.Thread(target=probe, name="payground-ready", daemon=True).start()


def _free_port(host: str) -> int:
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _granian_log_config() -> dict[str, Any]:
    """granian's logging, on stderr (stdout carries only the "listening" line) and scrubbed,
    without granian's own "Listening at" line."""
    return {
        "formatters": {"scrubbed": {"()": f"{__name__}._scrubbed_formatter",
                                    "fmt": "[%(levelname)s] %(message)s"}},
        "filters": {"no_listening_at": {"()": f"{__name__}._NotServersListeningAt"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "scrubbed",
                                "filters": ["no_listening_at"],
                                "stream": "ext://sys.stderr"}},
        "loggers": {"_granian": {"handlers": ["stderr"], "level": "INFO",
                                 "propagate": False}},
    }


class _NotServersListeningAt:
    """Drops granian's and gunicorn's ``Listening at: http://0.0.0.0:4242``: with ``--host
    0.0.0.0`` (or ``::``) that is no address a browser can open. Payground's own line says
    where to go once a worker accepts (``serve``'s ``ready``)."""

    def filter(self, record) -> bool:
        return not (record.name in ("_granian", "gunicorn.error")
                    and str(record.msg).startswith("Listening at: "))


def _scrubbed_formatter(fmt: str | None = None, datefmt: str | None = None):
    import logging

    return _scrubbing_formatter(logging.Formatter(fmt, datefmt))


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
