"""The application factory: configuration -> database -> blueprints -> error handlers."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, g, request
from sqlalchemy.engine import make_url
from werkzeug.exceptions import BadHost

from . import messages
from .config import load_config, make_private_dir
from .core.clock import Clock
from .core.ids import new_sortable_id
from .errors import (InvalidRequestError, RequestTooLarge, is_oauth_path,
                     register_error_handlers)
from .extensions import configure_sqlite, db
from .http.json_provider import OrjsonProvider
from .http.json_provider import dumps as json_dumps
from .http.json_provider import loads as json_loads
from .http.ratelimit import RateLimiter
from .http.routing import rule_class


# Stripe's, on every API answer: one may hold a key shown once (signup, create, roll), a
# session token or customer data, and no browser or proxy cache should keep it.
API_CACHE_CONTROL = "no-cache, no-store"


@dataclass
class PaygroundState:
    """What the app shares across requests, at ``app.extensions["payground"]``."""

    pepper: str
    clock: Clock
    rate_limiter: RateLimiter | None = None
    request_log: Any = None  # services.log_buffer.LogBuffer, or None: each row at once
    webhooks: Any = None  # services.webhook_delivery.Dispatcher


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build a Payground WSGI app.

    :param config: settings that win over ``PAYGROUND_*`` environment variables and the
        defaults (``HOME``, ``DATABASE_URL``, ``SECRET``, ``RATE_LIMITS``, ``TESTING`` ...).
    :returns: a Flask app whose database schema is created and up to date.

    .. versionadded:: 0.1
    """
    settings = load_config(config)
    app = Flask("payground")
    app.url_rule_class = rule_class()  # URL builders compiled on first use: faster start
    app.config.update(settings)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings["DATABASE_URL"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _engine_options(settings["DATABASE_URL"])
    app.json = OrjsonProvider(app)  # compact, schema order, several times faster

    if settings["DATABASE_URL"].startswith("sqlite:///"):
        # The path as SQLAlchemy reads it: a URL may escape characters (config.sqlite_url).
        database = make_url(settings["DATABASE_URL"]).database or ""
        make_private_dir(Path(database).parent)
    db.init_app(app)
    clock = settings.get("CLOCK") or Clock()
    app.extensions["payground"] = PaygroundState(
        pepper=settings["SECRET"], clock=clock,
        rate_limiter=RateLimiter.from_config(settings, clock))

    # Before the upgrade: its "database upgraded ..." line (INFO) would be dropped otherwise.
    _configure_logging(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
        from .migrations import upgrade

        try:
            upgrade(db.engine)
        except Exception:
            db.engine.dispose()  # the app is not returned: no one else could close these
            raise
        _batch_request_log(app, db.engine)
    _send_webhooks(app)

    _register_request_hooks(app)
    from .http.context import current_request
    from .services import events

    events.current_request_source = current_request  # events name the request behind them
    from .dashboard import bp as dashboard_bp
    from .oauth import bp as oauth_bp
    from .sandbox import bp as sandbox_bp
    from .three_d_secure import bp as three_d_secure_bp
    from .v1 import bp as v1_bp

    app.register_blueprint(v1_bp)
    app.register_blueprint(sandbox_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(oauth_bp)
    app.register_blueprint(three_d_secure_bp)
    register_error_handlers(app)
    return app


def dispose_app(app: Flask) -> None:
    """Stop sending webhooks, write the request-log rows still waiting and close the app's
    database connections.

    For whoever ends an app before its process ends (the fixture's ``Server``, tests): the
    rows would otherwise be written later, by the flusher thread, on a new connection.
    """
    app.extensions["payground"].webhooks.close()
    with app.app_context():
        buffer = app.extensions["payground"].request_log
        if buffer is not None:
            buffer.flush()
        db.engine.dispose()


def _batch_request_log(app: Flask, engine) -> None:
    delay_ms = int(app.config["REQUEST_LOG_FLUSH_MS"])
    if delay_ms <= 0:
        return
    from sqlalchemy import event

    from .http.request_log import piggyback_on_commit
    from .services.log_buffer import LogBuffer

    app.extensions["payground"].request_log = LogBuffer(engine, delay_ms / 1000)
    if not event.contains(db.session, "before_commit", piggyback_on_commit):
        event.listen(db.session, "before_commit", piggyback_on_commit)


def _send_webhooks(app: Flask) -> None:
    """A sender for this app (its thread starts when a commit first queues a delivery, or on
    a process's first request where ``payground serve`` asks for that)."""
    from sqlalchemy import event

    from .services.webhook_delivery import Dispatcher, forget_after_rollback, wake_after_commit

    dispatcher = app.extensions["payground"].webhooks = Dispatcher(app)
    app.before_request(dispatcher.first_request)
    for name, listener in (("after_commit", wake_after_commit),
                           ("after_rollback", forget_after_rollback)):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)


def _engine_options(url: str) -> dict[str, Any]:
    # hide_parameters: a failed statement's error (logged) shows its SQL, never its values,
    # which can be a password hash or an email.
    json_columns = {"json_serializer": json_dumps, "json_deserializer": json_loads,
                    "hide_parameters": True}
    if url.startswith("sqlite"):
        return {"connect_args": {"check_same_thread": False, "timeout": 10}, **json_columns}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20, **json_columns}


def _register_request_hooks(app: Flask) -> None:
    from .http import api_version, cors, idempotency, ratelimit, request_log
    from .http.auth import authenticate_v1, catch_up_leak_drills, refuse_key_in_url
    from .http.body import settle_streamed_body

    @app.before_request
    def start_request():
        # Time-ordered: the request log lists newest first by (created, id).
        g.request_id = new_sortable_id("req_", 14)
        g.started = time.perf_counter()
        # Before anything reads the body: a declared length over the cap is refused up front,
        # a streamed one is read to its end (or refused) rather than cut at the cap.
        limit = app.config["MAX_CONTENT_LENGTH"]
        if request.content_length is not None and request.content_length > limit:
            raise RequestTooLarge()
        settle_streamed_body(request, limit)
        query = request.query_string
        if "\0" in request.path or b"%00" in query or b"\0" in query:
            # Before anything looks an id up: PostgreSQL refuses NUL in text (a 500 there).
            raise InvalidRequestError(messages.NUL_IN_URL)
        if isinstance(request.routing_exception, BadHost):
            # Werkzeug's 400 for a Host it cannot encode (a label over 63 characters): on
            # /v1 it read as an unknown route, elsewhere as a body that could not be decoded.
            raise InvalidRequestError(messages.BAD_HOST)
        if "\0" in request.headers.get("Idempotency-Key", ""):
            # Werkzeug's and waitress's servers pass it on; events and the log store the key.
            raise InvalidRequestError(messages.NUL_IN_IDEMPOTENCY_KEY)
        if request_log.is_v1(request.path):
            if cors.is_preflight():
                return cors.preflight_response()  # a browser's question: it holds no key
            authenticate_v1()  # counts the request against its account's rate limit too
            request_log.note_caller()
            api_version.check()
            catch_up_leak_drills()  # a read shows what a leak drill's bots did
            # Keep last: it commits a claim on the Idempotency-Key (or returns a replay), so
            # every check that can refuse the request must already have run.
            return idempotency.claim()
        # /sandbox, the dashboard and any other address: a key in the URL is refused and
        # audited as /v1 refuses it (there, inside authentication, after the throttle).
        refuse_key_in_url()
        return None

    @app.after_request
    def finish_request(response):
        idempotency.store(response)
        ratelimit.add_headers(response)
        response.headers["Request-Id"] = g.get("request_id") or new_sortable_id("req_", 14)
        v1 = request_log.is_v1(request.path)
        if v1:
            cors.add_headers(response)
            idempotency.echo_key(response)
            api_version.add_header(response)
        if v1 or request.path.startswith("/sandbox/") or is_oauth_path(request.path):
            # /oauth's unrouted answers too (a 404, a 405): its blueprint's hook never ran.
            response.headers["Cache-Control"] = API_CACHE_CONTROL
        # Last: the log row is committed on its own, after idempotency's rollback and commit.
        request_log.record(response)
        return response


def _configure_logging(app: Flask) -> None:
    from .logs import KeyScrubbingFilter, ScrubbingFormatter

    logger = logging.getLogger("payground")
    for handler in logger.handlers + logging.getLogger().handlers:
        if not any(isinstance(f, KeyScrubbingFilter) for f in handler.filters):
            handler.addFilter(KeyScrubbingFilter())
    if not logger.handlers and not app.config["TESTING"]:
        handler = logging.StreamHandler()
        handler.setFormatter(ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler.addFilter(KeyScrubbingFilter())
        logger.addHandler(handler)
    logger.setLevel(app.config["LOG_LEVEL"])
