"""The request log and the audit trail: writing a request's row, finding keys, listing both.

Nothing here reads ``flask.request``: ``http/request_log.py`` gathers what a request was and
passes plain values in. Neither table ever holds a key: only its id and redacted form
(``sk_test_...Ab12``), and paths and idempotency keys scrubbed of anything key-shaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select
from sqlalchemy.exc import DBAPIError

from .. import messages
from ..core import keys as keyfmt
from ..errors import ResourceMissing
from ..models.account import Account
from ..models.api_key import ApiKey
from ..models.audit import AuditEvent
from ..models.base import db
from ..models.oauth import OAuthConnection
from ..models.request_log import RequestLog
from .audit import Source, record_event
from .common import Page, time_filters

PATH_MAX = 1024
IDEMPOTENCY_KEY_MAX = 255
# A query string could name many key-shaped strings; look up only the first few.
URL_KEYS_LOOKED_UP = 3
STATUS_CLASSES = {"1xx", "2xx", "3xx", "4xx", "5xx"}


def request_log_row(**row: Any) -> dict[str, Any]:
    """One request-log row, ready to store.

    ``path`` and ``idempotency_key`` are scrubbed and cut to their column sizes here, so no
    caller can store a key by mistake; the text a client sent has its NUL characters written
    ``%00`` (PostgreSQL takes none in text, and one bad row would fail the whole batch).
    """
    row.setdefault("platform_id", None)  # every row names every column (named parameters)
    row["path"] = keyfmt.scrub_start(_storable(row["path"]), PATH_MAX)
    row["method"] = _storable(row["method"])[:10]
    if row.get("idempotency_key") is not None:
        row["idempotency_key"] = keyfmt.scrub_start(_storable(row["idempotency_key"]),
                                                    IDEMPOTENCY_KEY_MAX)
    return row


def _storable(text: str) -> str:
    return text.replace("\0", "%00")


def write_request_logs(engine, rows: list[dict[str, Any]], raw=None) -> None:
    """Insert rows from :func:`request_log_row` and commit them, in one transaction of their own.

    Called with one row per request when rows are not batched (``REQUEST_LOG_FLUSH_MS=0``),
    otherwise with a batch by ``log_buffer``. On SQLite the caller holds the writer lock and
    gives the connection it checked out before taking it (``extensions.writer_connection``),
    and has ended the session's transaction: a write still pending there would block this
    one. Without ``raw``, a pooled connection is checked out here.

    :raises sqlalchemy.exc.DBAPIError: as SQLAlchemy would raise it.
    """
    # Every request comes through here, so it skips the ORM session: a pooled DBAPI
    # connection and an INSERT compiled once per dialect cost ~0.13 ms, the session's way
    # ~0.6 ms. The values are str/int/float/bool/None, which every driver takes as they are.
    sql, params = request_log_insert(engine.dialect, rows)
    dbapi_error = engine.dialect.loaded_dbapi.Error
    own = raw is None
    if own:
        raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")  # an autocommit connection (configure_sqlite)
        else:
            # Don't wait for the WAL flush (~3 ms here): a crash may lose the last log rows,
            # never corrupt anything. This transaction only.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.executemany(sql, params)
        if engine.dialect.name == "sqlite":
            cursor.execute("COMMIT")
        else:
            raw.commit()
        cursor.close()
    except dbapi_error as exc:
        try:
            raw.rollback()
        except dbapi_error:
            pass
        # As SQLAlchemy's own errors on this engine: the SQL, not the rows' values.
        raise DBAPIError.instance(sql, params, exc, dbapi_error,
                                  hide_parameters=engine.hide_parameters) from exc
    finally:
        if own:
            raw.close()  # back to the pool


def request_log_insert(dialect, rows: list[dict[str, Any]]) -> tuple[str, list]:
    """The request log's INSERT for ``dialect`` and the parameters of ``rows`` for it."""
    sql, names = _compiled_insert(dialect)
    return sql, [tuple(row.get(n) for n in names) for row in rows] if names else rows


_INSERT_REQUEST_LOG = insert(RequestLog.__table__).values(
    {c.name: bindparam(c.name) for c in RequestLog.__table__.columns})
_compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}


def _compiled_insert(dialect) -> tuple[str, tuple[str, ...] | None]:
    """The INSERT's SQL for ``dialect`` and, for positional paramstyles, the parameter order."""
    if dialect.name not in _compiled:
        compiled = _INSERT_REQUEST_LOG.compile(dialect=dialect)
        names = tuple(compiled.positiontup) if compiled.positional else None
        _compiled[dialect.name] = (compiled.string, names)
    return _compiled[dialect.name]


@dataclass(frozen=True)
class KeyRef:
    """Plain values of a key and its account: safe to use after the session rolls back.

    It has what ``audit.record_event(key=...)`` and ``Clock.for_account`` read.
    """

    id: str
    account_id: str
    livemode: bool
    redacted: str
    clock_offset: int
    platform_id: str | None = None  # an OAuth access token's platform (the request log's)


def find_key(raw_key: str, pepper: str) -> KeyRef | None:
    """The key (whatever its status) behind ``raw_key``, if it is a real key.

    Shape and checksum first: a malformed or mistyped value costs no database read.
    """
    if keyfmt.parse(raw_key) is None:
        return None
    row = db.session.execute(
        select(ApiKey.id, ApiKey.account_id, ApiKey.livemode, ApiKey.prefix, ApiKey.last4,
               Account.clock_offset, OAuthConnection.platform_id)
        .join(Account, Account.id == ApiKey.account_id)
        .outerjoin(OAuthConnection, OAuthConnection.id == ApiKey.connection_id)
        .where(ApiKey.digest == keyfmt.digest(pepper, raw_key))
    ).first()
    if row is None:
        return None
    return KeyRef(id=row.id, account_id=row.account_id, livemode=row.livemode,
                  redacted=keyfmt.redact(row.prefix, row.last4),
                  clock_offset=row.clock_offset or 0, platform_id=row.platform_id)


def redacted_form(raw_key: str) -> str | None:
    """``sk_test_...Ab12`` for a key-shaped value (real or not); ``None`` for anything else."""
    if len(raw_key) > 12 and keyfmt.KEY_LIKE.fullmatch(raw_key):
        return keyfmt.redact(keyfmt.prefix_of(raw_key), raw_key[-4:])
    return None


def record_keys_in_url(url: str, *, pepper: str, clock, source: Source, method: str,
                       path: str) -> KeyRef | None:
    """Audit ``api_key.seen_in_url`` for a URL (path and query string) that carries a key.

    Each real secret or restricted key found gets an event in its own account; if none is
    real, one event with no account (the operator's). A publishable key is public by design
    (every checkout page shows one): a URL holding it leaks nothing, and anyone could write
    events into its account's trail with it. The URL itself is never stored: only the method
    and the path, scrubbed. Returns the first real key found, if any.
    """
    candidates = list(dict.fromkeys(keyfmt.KEY_LIKE.findall(keyfmt.unveiled(url))))
    secret = [c for c in candidates if not c.startswith("pk_")]
    found = [f for f in (find_key(c, pepper) for c in secret[:URL_KEYS_LOOKED_UP]) if f]
    # End the read first: on SQLite a read transaction cannot always become a write one.
    db.session.rollback()
    data = {"method": method, "path": keyfmt.scrub_start(path, PATH_MAX)}
    for key in found:
        record_event("api_key.seen_in_url", now=clock.for_account(key), key=key,
                     source=source, data=data)
    if not found:
        shown = next((r for r in map(redacted_form, candidates) if r), None)
        record_event("api_key.seen_in_url", now=clock.now(), source=source,
                     data={**data, "key_redacted": shown})
    db.session.commit()
    return found[0] if found else None


def get_request(account: Account, request_id: str) -> RequestLog:
    """One request of ``account`` (either mode); another account's is a 404 like any other."""
    entry = db.session.execute(
        select(RequestLog).where(RequestLog.id == request_id,
                                 RequestLog.account_id == account.id)
    ).scalar_one_or_none()
    if entry is None:
        raise ResourceMissing(messages.NO_SUCH.format(noun="request", id=request_id),
                              param="id")
    return entry


def list_requests(account: Account, params: dict[str, Any], url: str) -> Page:
    """The account's requests, newest first; filters ``key``, ``status``, ``mode``."""
    filters = []
    if params.get("key"):
        filters.append(RequestLog.key_id == params["key"])
    if params.get("mode"):
        filters.append(RequestLog.livemode == (params["mode"] == "live"))
    status = params.get("status")
    if status in STATUS_CLASSES:
        low = int(status[0]) * 100
        filters.append(RequestLog.status.between(low, low + 99))
    elif status:
        filters.append(RequestLog.status == int(status))
    return page_both_modes(RequestLog, account, params, url, filters, noun="request")


def list_audit_events(account: Account, params: dict[str, Any], url: str) -> Page:
    """The account's audit events, newest first; filters ``type``, ``key``."""
    filters = []
    if params.get("type"):
        filters.append(AuditEvent.type == params["type"])
    if params.get("key"):
        filters.append(AuditEvent.key_id == params["key"])
    return page_both_modes(AuditEvent, account, params, url, filters, noun="audit event")


def logged_request_ids(account: Account, request_ids: list[str]) -> set[str]:
    """Those of ``request_ids`` that are in the account's request log. Only ``/v1`` requests
    are: an audit event made by the sandbox API or the dashboard names its request too."""
    if not request_ids:
        return set()
    return set(db.session.execute(
        select(RequestLog.id).where(RequestLog.account_id == account.id,
                                    RequestLog.id.in_(set(request_ids)))).scalars())


def list_webhook_deliveries(account: Account, params: dict[str, Any], url: str) -> Page:
    """The account's webhook deliveries, newest first; filters ``endpoint``, ``event``,
    ``status`` (pending, succeeded, failed), ``mode``."""
    from ..models.webhook import WebhookDelivery

    filters = []
    for param, column in (("endpoint", WebhookDelivery.endpoint_id),
                          ("event", WebhookDelivery.event_id),
                          ("status", WebhookDelivery.status)):
        if params.get(param):
            filters.append(column == params[param])
    if params.get("mode"):
        filters.append(WebhookDelivery.livemode == (params["mode"] == "live"))
    return page_both_modes(WebhookDelivery, account, params, url, filters,
                           noun="webhook delivery")


def page_both_modes(model, account: Account, params: dict[str, Any], url: str,
                    filters: list, *, noun: str) -> Page:
    """``services.common.paginate`` across both modes: newest first by ``(created, id)``,
    with the same ``created`` filter."""
    limit = params.get("limit", 10)
    query = select(model).where(model.account_id == account.id, *filters,
                                *time_filters(model.created, params.get("created")))
    for param, newer in (("starting_after", False), ("ending_before", True)):
        cursor_id = params.get(param)
        if not cursor_id:
            continue
        cursor = db.session.execute(
            select(model.created, model.id).where(model.id == cursor_id,
                                                  model.account_id == account.id)
        ).first()
        if cursor is None:
            raise ResourceMissing(messages.NO_SUCH.format(noun=noun, id=cursor_id), param=param)
        if newer:
            query = query.where(or_(model.created > cursor.created,
                                    and_(model.created == cursor.created, model.id > cursor.id)))
        else:
            query = query.where(or_(model.created < cursor.created,
                                    and_(model.created == cursor.created, model.id < cursor.id)))
    if params.get("ending_before"):
        # Walk forwards (oldest first) from the cursor, then show the page newest first.
        rows = db.session.execute(
            query.order_by(model.created.asc(), model.id.asc()).limit(limit + 1)).scalars().all()
        return Page(items=list(reversed(rows[:limit])), has_more=len(rows) > limit, url=url)
    rows = db.session.execute(
        query.order_by(model.created.desc(), model.id.desc()).limit(limit + 1)).scalars().all()
    return Page(items=list(rows[:limit]), has_more=len(rows) > limit, url=url)
