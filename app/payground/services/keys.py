"""Issuing, finding and authenticating API keys."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from sqlalchemy import select

from ..core import keys as keyfmt
from ..core.ids import new_id
from ..errors import ApiKeyExpired, InvalidApiKey
from ..models.account import Account
from ..models.api_key import ApiKey
from ..models.base import db

if TYPE_CHECKING:
    from .audit import Source


@dataclass
class IssuedKey:
    """A key object together with its full secret, which exists only in this response."""

    key: ApiKey
    secret: str


def issue_key(account: Account, *, kind: str, livemode: bool, pepper: str, now: int,
              name: str | None = None, note: str | None = None,
              permissions: list[str] | None = None, ip_allowlist: list[str] | None = None,
              expires_at: int | None = None, rolled_from: str | None = None,
              connection_id: str | None = None) -> IssuedKey:
    """Create a key of ``kind``; only its digest and last four characters are stored.

    :param connection_id: the Connect OAuth connection whose access token this key is.
    """
    key_id = new_id("key_")
    if kind == "publishable":
        secret = keyfmt.derive(kind, livemode, pepper, key_id)
    else:
        secret = keyfmt.generate(kind, livemode)
    row = ApiKey(
        id=key_id, account_id=account.id, livemode=livemode, type=kind, name=name, note=note,
        digest=keyfmt.digest(pepper, secret), prefix=keyfmt.prefix_of(secret),
        last4=secret[-4:], created=now, expires_at=expires_at,
        permissions=permissions if kind == "restricted" else None,
        ip_allowlist=ip_allowlist or None, rolled_from=rolled_from,
        connection_id=connection_id,
    )
    db.session.add(row)
    return IssuedKey(key=row, secret=secret)


def issue_standard_keys(account: Account, *, livemode: bool, pepper: str, now: int,
                        source: Source | None = None) -> tuple[IssuedKey, IssuedKey]:
    """The secret and publishable key pair every account has for each mode.

    :param source: the request that asked (sign-up, activation), for the audit trail.
    """
    from .audit import record_event

    mode = "Live" if livemode else "Test"
    secret = issue_key(account, kind="secret", livemode=livemode, pepper=pepper, now=now,
                       name=f"{mode} secret key")
    publishable = issue_key(account, kind="publishable", livemode=livemode, pepper=pepper,
                            now=now, name=f"{mode} publishable key")
    for issued in (secret, publishable):  # the audit trail starts with the first keys
        record_event("api_key.created", key=issued.key, now=now, source=source)
    return secret, publishable


def publishable_secret(key: ApiKey, pepper: str) -> str:
    """A publishable key in full: public, so it is recomputed and shown whenever asked."""
    return keyfmt.derive("publishable", key.livemode, pepper, key.id)


LAST_USED_RESOLUTION = 60


def touch(key: CallerKey, now: int) -> None:
    """Record that ``key`` was used, at most once a minute (not a write on every request)."""
    from sqlalchemy import update

    if key.last_used is not None and now - key.last_used < LAST_USED_RESOLUTION:
        return
    db.session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used=now)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def list_keys(account: Account) -> list[ApiKey]:
    return list(db.session.execute(
        select(ApiKey).where(ApiKey.account_id == account.id)
        .order_by(ApiKey.created.desc(), ApiKey.id.desc())
    ).scalars())


# --- authentication: one indexed SELECT by digest, on every /v1 request ----------------------


@dataclass(frozen=True, slots=True)
class CallerKey:
    """The columns of the authenticating key that requests read: a plain, read-only row.

    Not an ``ApiKey``: building two ORM objects per request cost more than the lookup itself.
    """

    id: str
    account_id: str
    livemode: bool
    type: str
    prefix: str
    last4: str
    last_used: int | None
    expires_at: int | None
    revoked_at: int | None
    permissions: list | None
    ip_allowlist: list | None
    connection_id: str | None  # an OAuth access token's connection
    platform_id: str | None  # ... and that connection's platform (read by the same lookup)

    @property
    def redacted(self) -> str:
        return keyfmt.redact(self.prefix, self.last4)


@dataclass(frozen=True, slots=True)
class CallerAccount:
    """The authenticated account as services read it (every column but the password hash).

    Read-only on purpose: ``/v1`` requests never change their account; the sandbox routes
    that do (activation, clock advance) load the ORM ``Account`` through a session.
    """

    id: str
    email: str
    created: int
    clock_offset: int
    live_enabled: bool
    business_name: str | None
    country: str | None
    bank_routing_number: str | None
    bank_account_last4: str | None
    webhook_endpoint_count: int
    open_drills: int
    platform_connections: int


def caller_account(account: Account) -> CallerAccount:
    """``account`` (an ORM row) as requests read it: a connected account that a platform's
    request acts on (``Stripe-Account``)."""
    return CallerAccount(**{name: getattr(account, name) for name in _ACCOUNT_COLUMNS})


_KEY_COLUMNS = tuple(f.name for f in fields(CallerKey))
_ACCOUNT_COLUMNS = tuple(f.name for f in fields(CallerAccount))
_JSON_COLUMNS = ("permissions", "ip_allowlist")
_lookup_sql: dict[str, tuple[str, bool]] = {}


def compile_lookup(dialect) -> tuple[str, bool]:
    """The lookup's SQL for ``dialect``, compiled once, and whether its parameters are positional.

    ``api_keys.digest`` is UNIQUE, so this is an index search whatever the number of keys.
    """
    if dialect.name not in _lookup_sql:
        from sqlalchemy import bindparam

        from ..models.oauth import OAuthConnection

        table, accounts = ApiKey.__table__, Account.__table__
        connections = OAuthConnection.__table__
        # An access token's platform comes with it: a join on a primary key (nothing for
        # other keys), so the request log names the platform without a query of its own.
        statement = (
            select(*(connections.c[name] if name == "platform_id" else table.c[name]
                     for name in _KEY_COLUMNS),
                   *(accounts.c[name] for name in _ACCOUNT_COLUMNS))
            .select_from(table.join(accounts, accounts.c.id == table.c.account_id)
                         .outerjoin(connections, connections.c.id == table.c.connection_id))
            .where(table.c.digest == bindparam("digest")))
        compiled = statement.compile(dialect=dialect)
        _lookup_sql[dialect.name] = (compiled.string, compiled.positional)
    return _lookup_sql[dialect.name]


def _find_caller(digest: str) -> tuple[CallerKey, CallerAccount] | None:
    """The key and account with this digest, read outside the ORM session.

    A pooled DBAPI connection and SQL compiled once cost ~15 us; the session's way (ORM
    objects, BEGIN, COMMIT) ~200 us, on every request. It is a lone SELECT: on SQLite (in
    autocommit mode, see ``extensions.configure_sqlite``) its own read transaction, which
    never takes the write lock; elsewhere the pool's reset on return ends it.
    """
    from sqlalchemy.exc import DBAPIError

    engine = db.engine
    sql, positional = compile_lookup(engine.dialect)
    params = (digest,) if positional else {"digest": digest}
    dbapi_error = engine.dialect.loaded_dbapi.Error
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(sql, params)
        row = cursor.fetchone()
        cursor.close()
    except dbapi_error as exc:  # as SQLAlchemy would raise it
        raise DBAPIError.instance(sql, params, exc, dbapi_error) from exc
    finally:
        raw.close()  # back to the pool
    if row is None:
        return None
    values = dict(zip(_KEY_COLUMNS, row[:len(_KEY_COLUMNS)]))
    values["livemode"] = bool(values["livemode"])  # SQLite has no boolean: 0/1
    for name in _JSON_COLUMNS:  # text on SQLite, already decoded by PostgreSQL's driver
        if isinstance(values[name], str):
            values[name] = json.loads(values[name])
    account = dict(zip(_ACCOUNT_COLUMNS, row[len(_KEY_COLUMNS):]))
    account["live_enabled"] = bool(account["live_enabled"])
    account["clock_offset"] = account["clock_offset"] or 0
    account["webhook_endpoint_count"] = account["webhook_endpoint_count"] or 0
    account["open_drills"] = account["open_drills"] or 0
    account["platform_connections"] = account["platform_connections"] or 0
    return CallerKey(**values), CallerAccount(**account)


def authenticate(raw_key: str, pepper: str, clock) -> tuple[CallerKey, CallerAccount]:
    """The key and account behind ``raw_key``, or the 401 Stripe would give.

    Shape and checksum are checked before any database read: a typo costs nothing. The
    lookup uses no session, so it leaves no transaction open behind it.
    """
    parsed = keyfmt.parse(raw_key)
    if parsed is None:
        raise InvalidApiKey(keyfmt.mask(raw_key))
    found = _find_caller(keyfmt.digest(pepper, raw_key))
    if found is None:
        raise InvalidApiKey(keyfmt.mask(raw_key))
    key, account = found
    now = clock.for_account(account)
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise KeyRefused(keyfmt.mask(raw_key), key, now)
    return key, account


class KeyRefused(ApiKeyExpired):
    """Stripe's ``api_key_expired`` 401, remembering which key it refused and why.

    ``event`` is ``api_key.revoked_used`` or ``api_key.expired_used``; ``key`` is a plain
    snapshot of the key (id, account, mode, redacted form), safe to read after a rollback.
    The HTTP layer passes it to :func:`audit_refused_use` with the request's id and address.
    """

    def __init__(self, masked: str, key: CallerKey | ApiKey, now: int) -> None:
        from .logs import KeyRef

        super().__init__(masked)
        self.event = ("api_key.revoked_used" if key.revoked_at is not None
                      else "api_key.expired_used")
        self.key = KeyRef(id=key.id, account_id=key.account_id, livemode=key.livemode,
                          redacted=key.redacted, clock_offset=0)
        self.now = now


def audit_refused_use(refused: KeyRefused, *, source: Source | None = None) -> None:
    """Record the use of a revoked or expired key, committed at once: it outlives the 401
    (whose request's session is rolled back)."""
    from .audit import record_event

    # End the key lookup's read transaction first: on SQLite a read transaction cannot
    # always turn into a write one.
    db.session.rollback()
    record_event(refused.event, key=refused.key, now=refused.now, source=source, commit=True)


BROWSER_USE_RESOLUTION = 3600  # one event an hour per key: a busy page is one finding


def audit_browser_use(key: CallerKey, *, origin: str, now: int,
                      source: Source | None = None) -> None:
    """Record that a secret or restricted key was sent by a web page, at most once an hour.

    Browsers add ``Origin`` to every cross-origin call: the key is in front-end code, where
    every visitor can read it. Stripe answers such calls as any other, and so does Payground;
    the event is what tells the owner to move the key to a server and roll it. Committed at
    once, before the request's own writes: it stands whatever the request's outcome.
    """
    from ..models.audit import AuditEvent
    from .audit import record_event

    recent = db.session.execute(
        select(AuditEvent.id).where(
            AuditEvent.account_id == key.account_id, AuditEvent.key_id == key.id,
            AuditEvent.type == "api_key.used_in_browser",
            AuditEvent.created > now - BROWSER_USE_RESOLUTION).limit(1)).first()
    db.session.rollback()  # end the read: on SQLite it cannot always turn into a write
    if recent is None:
        # As sent, and storable: PostgreSQL takes no NUL in text.
        record_event("api_key.used_in_browser", key=key, now=now, source=source,
                     data={"origin": origin.replace("\0", "%00")[:200]}, commit=True)


# --- the key lifecycle: create, roll, revoke ------------------------------------------------

# ``accounts_kyc_basic_read`` is Stripe's own name for reading the account (its 403 for
# ``GET /v1/account`` names ``rak_accounts_kyc_basic_read``): read only, as nothing here
# changes an account through ``/v1``.
PERMISSIONS = tuple(f"{resource}_{level}" for resource in (
    "customer", "charge", "refund", "payment_intent", "payment_method", "payout", "webhook",
    "setup_intent")
    for level in ("read", "write")) + ("token_read", "token_write", "balance_read", "event_read",
                                       "accounts_kyc_basic_read")
MAX_GRACE = 7 * 86400


def key_made_by_request(account: Account, request_id: str) -> ApiKey | None:
    """The secret or restricted key of ``account`` that the request ``request_id`` created or
    rolled in (its audit event names it), if any: for the page a form sent twice gets."""
    from ..models.audit import AuditEvent

    events = db.session.execute(
        select(AuditEvent.type, AuditEvent.key_id, AuditEvent.data).where(
            AuditEvent.account_id == account.id, AuditEvent.request_id == request_id,
            AuditEvent.type.in_(("api_key.created", "api_key.rolled")))
        .order_by(AuditEvent.id)).all()
    for kind, key_id, data in events:
        made = (data or {}).get("new_key") if kind == "api_key.rolled" else key_id
        key = db.session.get(ApiKey, made) if made else None
        if key is not None and key.account_id == account.id and key.type != "publishable":
            return key
    return None


def get_key(account: Account, key_id: str, *, for_update: bool = False,
            param: str = "id") -> ApiKey:
    """One of the account's keys, or Stripe's 404 naming ``param`` (``id`` for a key named in
    the path, else the parameter that named it).

    ``for_update`` locks the row on PostgreSQL (SQLite's write transactions hold the whole
    database): read the clock only after it, so a roll or revoke and a leak drill's bots,
    which lock it too, agree on what happened first.
    """
    from .. import messages
    from ..errors import ResourceMissing

    if for_update:
        from .common import locking

        # Scoped in the query: another account's key is never locked (nor waited for).
        key = db.session.execute(locking(select(ApiKey).where(
            ApiKey.id == key_id, ApiKey.account_id == account.id))).scalar_one_or_none()
    else:
        key = db.session.get(ApiKey, key_id)
    if key is None or key.account_id != account.id:
        raise ResourceMissing(messages.NO_SUCH.format(noun="api_key", id=key_id), param=param)
    return key


def require_mode(key: ApiKey, livemode: bool, action: str, *, param: str | None = None) -> None:
    """Refuse ``key`` when it is not of the mode the caller works in (the dashboard's): that
    page would never show what the action did (a roll's new key, a drill).

    :param action: what was asked, for the message (``"roll"``, ``"leak"``).
    :raises InvalidRequestError: a key of the other mode.
    """
    from .. import messages
    from ..errors import InvalidRequestError

    if key.livemode != livemode:
        modes = ("live", "test") if key.livemode else ("test", "live")
        raise InvalidRequestError(messages.KEY_OTHER_MODE.format(
            key=key.redacted, other=modes[0], mode=modes[1], action=action), param=param)


def identify_keys(account: Account, raw_keys: list[str], *, pepper: str) -> list[ApiKey | None]:
    """For each of ``raw_keys`` (found by ``payground scan``), the account's key it is, else
    ``None``: a key of another account is as unknown as a made-up one. Shape and checksum
    first, then one query by digest, as authentication does."""
    digests = [keyfmt.digest(pepper, raw) if keyfmt.parse(raw) else None for raw in raw_keys]
    wanted = {d for d in digests if d is not None}
    found = {}
    if wanted:
        found = {key.digest: key for key in db.session.execute(
            select(ApiKey).where(ApiKey.account_id == account.id, ApiKey.digest.in_(wanted))
        ).scalars()}
    return [found.get(d) if d is not None else None for d in digests]


def create_key(account: Account, params: dict, *, pepper: str, clock,
               source: Source | None = None) -> IssuedKey:
    """A new secret or restricted key (restricted keys need at least one permission).

    :param source: the request that asked and its client's address, for the audit trail.
    :raises InvalidRequestError: live mode not activated, permissions missing or given for a
        secret key, ``expires_at`` not in the future on the account's clock.
    """
    from ..errors import InvalidRequestError, ParameterInvalid, ParameterMissing
    from .audit import record_event

    now = clock.for_account(account)
    kind, livemode = params["type"], params.get("livemode", False)
    if livemode and not account.live_enabled:
        from .. import messages

        raise InvalidRequestError(messages.LIVE_MODE_NOT_ACTIVATED, param="livemode",
                                  code="account_not_activated")
    permissions = sorted(set(params.get("permissions") or []))
    if kind == "restricted" and not permissions:
        raise ParameterMissing("permissions")
    if kind == "secret" and permissions:
        raise ParameterInvalid("Only restricted keys have permissions; a secret key can do "
                               "everything.", param="permissions", code="parameter_invalid")
    expires_at = params.get("expires_at")
    if expires_at is not None and expires_at <= now:
        # The date too: `payground keys create --expires-at 2027-01-31` sent no timestamp.
        shown = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(now))
        raise ParameterInvalid("Invalid expires_at: must be in the future (account time "
                               f"{now}, {shown}).", param="expires_at", code="parameter_invalid")
    issued = issue_key(account, kind=kind, livemode=livemode, pepper=pepper, now=now,
                       name=params.get("name"), note=params.get("note"),
                       permissions=permissions or None,
                       ip_allowlist=params.get("ip_allowlist"), expires_at=expires_at)
    record_event("api_key.created", key=issued.key, now=now, source=source)
    db.session.commit()
    return issued


def refuse_access_token(key: ApiKey) -> None:
    """An OAuth access token is not rolled nor revoked on its own: it ends with its
    connection (``POST /sandbox/connections/<id>/revoke``), which ends its siblings too.

    :raises InvalidRequestError: ``key`` is an access token.
    """
    from .. import messages
    from ..errors import InvalidRequestError

    if key.connection_id is not None:
        raise InvalidRequestError(messages.OAUTH_TOKEN_NOT_MANAGED_HERE.format(
            key=key.redacted, connection=key.connection_id), param="id",
            code="api_key_oauth_token")


def roll_key(account: Account, key_id: str, expires_in: int, *, pepper: str,
             clock, source: Source | None = None) -> IssuedKey:
    """Replace a key: the new one works at once, the old one until ``expires_in`` has passed.

    The new key keeps the old one's type, mode, name, note, permissions and allow-list.

    A key created with an expiry date (status ``expiring``) can be rolled too; its old
    expiry stays if it comes sooner than the grace period.

    :param source: the request that asked and its client's address, for the audit trail.
    :raises InvalidRequestError: the key is expired or revoked, or was rolled already, or is
        an OAuth access token.
    """
    from ..errors import InvalidRequestError
    from .audit import record_event

    old = get_key(account, key_id, for_update=True)
    refuse_access_token(old)
    now = clock.for_account(account)
    status = old.status_at(now)
    if status == "expiring" and db.session.scalar(
            select(ApiKey.id).where(ApiKey.rolled_from == old.id).limit(1)) is None:
        status = "active"  # expiring by its own date, not because it was replaced
    if status != "active":
        raise InvalidRequestError(f"Only an active key can be rolled; {old.redacted} is "
                                  f"{status}.", param="id", code="api_key_not_active")
    issued = issue_key(account, kind=old.type, livemode=old.livemode, pepper=pepper, now=now,
                       name=old.name, note=old.note, permissions=old.permissions,
                       ip_allowlist=old.ip_allowlist, rolled_from=old.id)
    old.expires_at = min(now + expires_in, old.expires_at or now + expires_in)
    record_event("api_key.rolled", key=old, now=now, source=source,
                 data={"new_key": issued.key.id, "expires_in": expires_in})
    db.session.commit()
    return issued


def revoke_key(account: Account, key_id: str, *, clock,
               source: Source | None = None) -> ApiKey:
    """Revoke a key now: the very next request with it fails (there is no cache to go stale).

    :param source: the request that asked and its client's address, for the audit trail.
    :raises InvalidRequestError: publishable keys can't be revoked (roll them), nor can a key
        twice, nor an OAuth access token (revoke its connection).
    """
    from ..errors import InvalidRequestError
    from .audit import record_event

    key = get_key(account, key_id, for_update=True)
    refuse_access_token(key)
    now = clock.for_account(account)
    if key.type == "publishable":
        raise InvalidRequestError("Publishable keys cannot be revoked; roll them instead.",
                                  param="id", code="api_key_not_revocable")
    if key.revoked_at is not None:
        raise InvalidRequestError(f"{key.redacted} is already revoked.", param="id",
                                  code="api_key_not_active")
    key.revoked_at = now
    record_event("api_key.revoked", key=key, now=now, source=source)
    db.session.commit()
    return key
