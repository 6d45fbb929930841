"""Writing each ``/v1`` request to the request log, last thing before the response leaves.

Wired in ``app.py``: ``note_caller()`` right after authentication, ``record(response)`` at
the very end of ``after_request``, after ``idempotency.store`` (which rolls the session back
and commits its own writes). Whatever the view left uncommitted is rolled back first, never
committed by accident. The row then waits in ``services.log_buffer`` and is written within
``REQUEST_LOG_FLUSH_MS``; readers of the log call ``flush()`` first.
"""

from __future__ import annotations

import logging
import time

from flask import Response, current_app, g, has_app_context, request
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import holds_writer_lock, writer_connection
from ..models.base import db
from ..services import logs
from . import cors
from .context import audit_source, once_per_request
from .auth import key_from_request, url_text
from .context import state

log = logging.getLogger("payground")


def is_v1(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


def client_ip() -> str | None:
    """The caller's address: through ``TRUSTED_PROXIES`` when set (resolved once per request,
    whatever asks first: authentication, a refusal before it, a token), else the socket's."""
    if "client_ip" not in g and current_app.config.get("TRUSTED_PROXIES"):
        from .auth import resolve_client_ip

        g.client_ip = resolve_client_ip()
    return g.get("client_ip") or request.remote_addr


def note_caller() -> None:
    """Remember who is calling, while the key and account are fresh from authentication.

    Read later, their attributes could have been expired by a rollback (idempotency does
    one), and reading them then would cost a SELECT.
    """
    if "log_caller" in g:
        return
    account, key = g.get("account"), g.get("api_key")
    if account is None or key is None:
        return
    # ``platform_id``: the platform of a request made through a connection (http/auth.py).
    g.log_caller = (account.id, key.livemode, key.id, key.redacted,
                    state().clock.for_account(account), g.get("platform_id"))


def record(response: Response) -> Response:
    """Write this ``/v1`` request's row; a failure to log never fails the request."""
    if not is_v1(request.path) or "request_id" not in g or cors.is_preflight():
        return response  # a preflight is the browser's question, not a call to log
    try:
        _record(response)
    except SQLAlchemyError:  # the database's trouble only: a bug here should surface
        db.session.rollback()
        log.warning("could not write the request log entry for %s", g.request_id,
                    exc_info=True)
    return response


def is_unlogged_throttle(status: int) -> bool:
    """Whether this is the failed-authentication throttle's 429 for a caller with no known
    key, which is never logged: refused before any database work, so a flood writes nothing
    (the auth.throttled audit event tells of it). One refused over the budget after its key
    was found expired or revoked (failures sent at once) is logged in the key owner's
    account, as its 401 would have been: its audit event names the request."""
    return status == 429 and g.get("account") is None and not g.get("refused_key_found")


def _record(response: Response) -> None:
    note_caller()  # refused after authentication (403, 404 ...): g still holds the caller
    error_type = error_code = None
    status = response.status_code
    if status >= 400:
        error = (response.get_json(silent=True) or {}).get("error") or {}
        error_type, error_code = error.get("type"), error.get("code")
    caller = g.get("log_caller")
    if db.session().in_transaction():
        # Whatever the view left pending is discarded (teardown would anyway), and on SQLite
        # it must be: a pending write holds the lock the log's INSERT needs.
        db.session.rollback()
    if caller is None:
        if is_unlogged_throttle(status):
            return
        caller = refused_caller(status, error_code)
    account_id, livemode, key_id, key_redacted, created, platform_id = caller
    row = logs.request_log_row(
        id=g.request_id, account_id=account_id, livemode=livemode, key_id=key_id,
        key_redacted=key_redacted, method=request.method,
        # Refused, but logged: as sent, made storable by request_log_row.
        path=request.path,
        status=status, client_ip=client_ip(),
        idempotency_key=request.headers.get("Idempotency-Key") or None,
        created=created, duration_ms=round((time.perf_counter() - g.started) * 1000, 3),
        error_type=error_type, error_code=error_code, platform_id=platform_id)
    buffer = state().request_log
    if buffer is not None:
        buffer.add(row)  # written within REQUEST_LOG_FLUSH_MS (services/log_buffer.py)
        return
    # An INSERT outside the session: it queues like the rest.
    with writer_connection(db.engine) as raw:
        logs.write_request_logs(db.engine, [row], raw)


def flush() -> None:
    """Write this process's waiting request-log rows, and wait for those of the other worker
    processes: call before reading the log."""
    buffer = state().request_log
    if buffer is not None:
        # End the session's read first: its snapshot (taken when the caller was
        # authenticated) would predate the rows written now, and it holds a pooled
        # connection. The flush checks out one of its own: a reader holding one while waiting
        # for another (or for the flush before it) could, with as many readers as the pool
        # has connections, leave none to give. Nothing is pending in a GET, and objects stay
        # loaded; the next read starts after the flush.
        db.session.commit()
        # Their flushers write a row within the delay; waiting longer than this means a
        # worker starved or stuck, and a reader should not hang on it.
        buffer.wait_for_other_workers(timeout=max(10 * buffer.delay, 0.5))
        buffer.flush()


def piggyback_on_commit(session) -> None:
    """``before_commit`` listener (``app.py``): a SQLite write transaction of this process
    takes the request-log rows waiting in its buffer along."""
    if not has_app_context():
        return
    buffer = state().request_log
    if buffer is None or not buffer.has_rows or buffer.engine.dialect.name != "sqlite":
        return
    # The commit's own writes first: one refused (an idempotency claim that lost its race, an
    # email taken) rolls the transaction back, and would take the rows along with it.
    session.flush()
    connection = session.connection()
    if holds_writer_lock(connection):
        buffer.piggyback(connection.connection.dbapi_connection)


def refused_caller(status: int, error_code: str | None) -> tuple:
    """``_identify_refused_caller``, found once a request: the error's ``request_log_url``
    (errors.py) asks first, whether the entry will be in an account; the log reuses it."""
    return once_per_request(f"refused_caller_{status}_{error_code}",
                            lambda: _identify_refused_caller(status, error_code))


def _identify_refused_caller(status: int, error_code: str | None) -> tuple:
    """Who sent a request refused before (or by) authentication, as far as it is known.

    A real key that was refused (expired, revoked) or came with a request refused for another
    reason first (a key in the URL, a body too large) names its account: the owner sees it in
    their log. An unknown key (401 without ``api_key_expired``: authentication already looked
    for it) is not looked up again; it is logged without an account, with only the redacted
    form of a key-shaped value.
    """
    st = state()
    raw = key_from_request()
    url_key = g.get("url_key")  # a real key found in the URL (audit_key_in_url)
    if raw is not None and (status != 401 or error_code == "api_key_expired"):
        key = logs.find_key(raw, st.pepper)
        # End the read: on SQLite a read transaction cannot always turn into a write one.
        db.session.rollback()
        if key is not None:  # a revoked access token names its platform, as it did working
            return (key.account_id, key.livemode, key.id, key.redacted,
                    st.clock.for_account(key), key.platform_id)
    if url_key is not None:
        return (url_key.account_id, url_key.livemode, url_key.id, url_key.redacted,
                st.clock.for_account(url_key), url_key.platform_id)
    return (None, None, None, logs.redacted_form(raw) if raw else None, st.clock.now(), None)


def audit_key_in_url() -> None:
    """Audit a key refused in the URL (called by ``http.auth.refuse_key_in_url``).

    The event goes to the account of each real key found; the URL itself is never stored.
    """
    st = state()
    try:
        key = logs.record_keys_in_url(
            url_text(), pepper=st.pepper, clock=st.clock, source=audit_source(),
            method=request.method, path=request.path)
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not audit a key seen in a URL", exc_info=True)
        return
    if key is not None:
        g.url_key = key  # with no usable key in the header, the log names this key's account
