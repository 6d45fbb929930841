"""Connect applications (a platform's OAuth settings) and the connections accounts make to
them: listed and revoked by the connected account, reached with ``Stripe-Account``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, update

from .. import messages
from ..core import oauth as oauthfmt
from ..core.ids import ACCOUNT_ID, new_sortable_id
from ..errors import InvalidRequestError, ParameterInvalid, ResourceMissing
from ..models.account import Account
from ..models.api_key import ApiKey
from ..models.base import db
from ..models.oauth import (AuthorizationCode, ConnectApplication, OAuthConnection,
                            RefreshToken)

if TYPE_CHECKING:
    from .audit import Source


# --- the platform's side: its application per mode --------------------------------------------


def list_applications(account) -> list[ConnectApplication]:
    """The platform's applications: test mode's first, then live mode's."""
    return list(db.session.execute(
        select(ConnectApplication).where(ConnectApplication.account_id == account.id)
        .order_by(ConnectApplication.livemode)).scalars())


def save_application(account, params: dict, *, clock,
                     source: Source | None = None) -> ConnectApplication:
    """Create or update the platform's application of ``params["livemode"]``: its
    ``client_id`` stays the same across updates (platforms keep it in their configuration).

    :raises InvalidRequestError: live mode not activated; a redirect URI that is not an
        absolute http(s) URL without fragment (https in live mode, but for loopback hosts).
    """
    from .audit import record_event
    from .common import locking

    livemode = params.get("livemode", False)
    if livemode and not account.live_enabled:
        raise InvalidRequestError(messages.LIVE_MODE_NOT_ACTIVATED, param="livemode",
                                  code="account_not_activated")
    uris = params["redirect_uris"]
    for index, uri in enumerate(uris):
        problem = oauthfmt.redirect_uri_problem(uri, livemode)
        if problem is not None:
            raise ParameterInvalid(f"Invalid redirect URI: it {problem}.",
                                   param=f"redirect_uris[{index}]", code="url_invalid")
    application = db.session.execute(locking(select(ConnectApplication).where(
        ConnectApplication.account_id == account.id,
        ConnectApplication.livemode == livemode))).scalar_one_or_none()
    now = clock.for_account(account)
    if application is None:
        application = ConnectApplication(id=oauthfmt.new_client_id(), account_id=account.id,
                                         livemode=livemode, created=now)
        db.session.add(application)
    application.name = params["name"]
    application.redirect_uris = list(dict.fromkeys(uris))  # the same URI twice: once
    record_event("connect_application.saved", now=now, account_id=account.id,
                 livemode=livemode, source=source,
                 data={"client_id": application.id, "name": application.name})
    db.session.commit()
    return application


def application_of_mode(account, livemode: bool) -> ConnectApplication | None:
    """The platform's application of ``livemode``, if it made one."""
    return db.session.execute(select(ConnectApplication).where(
        ConnectApplication.account_id == account.id,
        ConnectApplication.livemode == livemode)).scalar_one_or_none()


def connections_to(application: ConnectApplication) -> list[OAuthConnection]:
    """The accounts connected to the platform's ``application`` (revoked ones too), newest
    first: what its Connect settings page lists."""
    return list(db.session.execute(
        select(OAuthConnection).where(OAuthConnection.application_id == application.id)
        .order_by(OAuthConnection.created.desc(), OAuthConnection.id.desc())).scalars())


def application_by_client_id(client_id: str | None) -> ConnectApplication | None:
    if not client_id or not client_id.startswith("ca_") or len(client_id) > 64:
        return None
    return db.session.get(ConnectApplication, client_id)


# --- the connected account's side ---------------------------------------------------------------


def list_connections(account, livemode: bool | None = None) -> list[OAuthConnection]:
    """The account's connections, revoked ones too, newest first."""
    query = select(OAuthConnection).where(OAuthConnection.account_id == account.id)
    if livemode is not None:
        query = query.where(OAuthConnection.livemode == livemode)
    return list(db.session.execute(
        query.order_by(OAuthConnection.created.desc(), OAuthConnection.id.desc())).scalars())


def connected_applications(account, livemode: bool
                           ) -> list[tuple[OAuthConnection, ConnectApplication, Account]]:
    """The account's connections of ``livemode`` (revoked ones too), newest first, each with
    its application and the platform that made it."""
    rows = db.session.execute(
        select(OAuthConnection, ConnectApplication, Account)
        .join(ConnectApplication, ConnectApplication.id == OAuthConnection.application_id)
        .join(Account, Account.id == OAuthConnection.platform_id)
        .where(OAuthConnection.account_id == account.id, OAuthConnection.livemode == livemode)
        .order_by(OAuthConnection.created.desc(), OAuthConnection.id.desc()))
    return [(connection, application, platform) for connection, application, platform in rows]


def require_mode(connection: OAuthConnection, livemode: bool, action: str) -> None:
    """Refuse ``connection`` when it is not of the mode the dashboard shows (as
    :func:`.keys.require_mode` does for keys).

    :raises InvalidRequestError: a connection of the other mode.
    """
    if connection.livemode != livemode:
        other, mode = ("live", "test") if connection.livemode else ("test", "live")
        raise InvalidRequestError(messages.CONNECTION_OTHER_MODE.format(
            connection=connection.id, other=other, mode=mode, action=action))


def get_connection(account, connection_id: str, *, for_update: bool = False) -> OAuthConnection:
    """One of the account's connections (as the connected account), or Stripe's 404."""
    from .common import locking

    query = select(OAuthConnection).where(OAuthConnection.id == connection_id,
                                          OAuthConnection.account_id == account.id)
    connection = db.session.execute(
        locking(query) if for_update else query).scalar_one_or_none()
    if connection is None:
        raise ResourceMissing(messages.NO_SUCH.format(noun="connection", id=connection_id),
                              param="id")
    return connection


def revoke_connection(account, connection_id: str, *, clock,
                      source: Source | None = None) -> OAuthConnection:
    """The connected account disconnects an application: its access tokens stop at once (they
    are API keys, revoked here), its refresh tokens are dead.

    :raises InvalidRequestError: the connection is revoked already.
    """
    from .audit import record_event

    connection = get_connection(account, connection_id, for_update=True)
    if connection.revoked_at is not None:
        raise InvalidRequestError(messages.CONNECTION_ALREADY_REVOKED.format(
            connection=connection.id), param="id", code="connection_revoked")
    now = clock.for_account(account)
    end_connection(connection, account, now)
    record_event("oauth.disconnected", now=now, account_id=account.id,
                 livemode=connection.livemode, source=source,
                 data={"connection": connection.id, "client_id": connection.application_id})
    db.session.commit()
    return connection


def end_connection(connection: OAuthConnection, account, now: int) -> None:
    """Revoke ``connection`` of ``account`` (the connected account), its access tokens and
    its refresh tokens, and tell the platform (not committed).

    Whoever ends it, the account or the platform, Stripe sends the platform's Connect
    endpoints ``account.application.deauthorized``: an event of the connected account,
    sent to that application only (its other endpoints, and the account's own, get nothing).
    """
    from . import events

    connection.revoked_at = now
    revoke_tokens(connection.id, now)
    _count_connections(account.id, -1)
    application = db.session.get(ConnectApplication, connection.application_id)
    events.emit(account, connection.livemode, now, "account.application.deauthorized",
                application, application=application.id)


def revoke_tokens(connection_id: str, now: int, key_ids: list[str] | None = None) -> None:
    """Revoke the connection's access tokens (only ``key_ids`` of them, when given) and, with
    all of them, its refresh tokens. Revoked keys are refused by the next request anywhere:
    authentication reads the row every time."""
    keys = update(ApiKey).where(ApiKey.connection_id == connection_id,
                                ApiKey.revoked_at.is_(None))
    if key_ids is not None:
        keys = keys.where(ApiKey.id.in_(key_ids or [""]))
    db.session.execute(keys.values(revoked_at=now).execution_options(synchronize_session=False))
    if key_ids is None:
        db.session.execute(update(RefreshToken).where(
            RefreshToken.connection_id == connection_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now).execution_options(synchronize_session=False))


def narrow_connection(connection: OAuthConnection, now: int) -> tuple[int, int]:
    """The account approved ``read_only`` on a ``read_write`` connection: revoke what the
    wider grant handed out (not committed) - its ``read_write`` access tokens (secret keys;
    its ``rk_`` read-only tokens keep working) and every refresh token (the platform
    exchanges the new code for one). Returns how many of each were revoked.

    Its codes of the wider scope not exchanged yet (locked by the caller before the
    connection) end too: marked by an expiry at their creation, which the exchange refuses
    as narrowed, whatever the connection's scope is by then.
    """
    db.session.execute(
        update(AuthorizationCode).where(AuthorizationCode.connection_id == connection.id,
                                        AuthorizationCode.scope == "read_write",
                                        AuthorizationCode.used_at.is_(None))
        .values(expires_at=AuthorizationCode.created)
        .execution_options(synchronize_session=False))
    keys = db.session.execute(
        update(ApiKey).where(ApiKey.connection_id == connection.id, ApiKey.type == "secret",
                             ApiKey.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False)).rowcount
    grants = db.session.execute(
        update(RefreshToken).where(RefreshToken.connection_id == connection.id,
                                   RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False)).rowcount
    return keys, grants


def active_connection(application_id: str, account_id: str, *,
                      for_update: bool = False) -> OAuthConnection | None:
    """The connection of ``account_id`` to the application that is not revoked, if any."""
    from .common import locking

    query = select(OAuthConnection).where(
        OAuthConnection.application_id == application_id,
        OAuthConnection.account_id == account_id, OAuthConnection.revoked_at.is_(None))
    return db.session.execute(locking(query) if for_update else query).scalars().first()


def new_connection(application: ConnectApplication, account, scope: str,
                   now: int) -> OAuthConnection:
    connection = OAuthConnection(
        id=new_sortable_id("conn_"), account_id=account.id, livemode=application.livemode,
        created=now, application_id=application.id, platform_id=application.account_id,
        scope=scope)
    db.session.add(connection)
    db.session.flush()  # before the code that names it (no relationship orders the INSERTs)
    _count_connections(account.id, +1)
    return connection


def _count_connections(account_id: str, change: int) -> None:
    """``accounts.platform_connections``: an event of an account connected to none looks for
    no platform's Connect endpoint (services.webhooks)."""
    db.session.execute(update(Account).where(Account.id == account_id).values(
        platform_connections=Account.platform_connections + change)
        .execution_options(synchronize_session=False))


# --- Stripe-Account: a platform's request acting on a connected account -------------------------


def reach(platform_id: str, livemode: bool, account_id: str) -> tuple[str, Account] | None:
    """The scope of the platform's live connection in ``livemode`` to ``account_id`` and the
    connected account, or ``None`` when the platform's application has none."""
    found = db.session.execute(
        select(OAuthConnection.scope, Account)
        .join(Account, Account.id == OAuthConnection.account_id)
        .where(OAuthConnection.platform_id == platform_id,
               OAuthConnection.account_id == account_id,
               OAuthConnection.livemode == livemode,
               OAuthConnection.revoked_at.is_(None)).limit(1)).first()
    return (found[0], found[1]) if found is not None else None


def _connected(platform_id: str, livemode: bool, *, now_only: bool = True):
    """``Account.id IN`` the accounts connected to the platform's application of
    ``livemode`` (ever, unless ``now_only``): each account once, however many times it
    connected, and found from the platform's connections (``ix_oauth_connections_reach``),
    not by reading every account."""
    query = select(OAuthConnection.account_id).where(OAuthConnection.platform_id == platform_id,
                                                     OAuthConnection.livemode == livemode)
    if now_only:
        query = query.where(OAuthConnection.revoked_at.is_(None))
    return Account.id.in_(query)


def connected_accounts(platform_id: str, livemode: bool, params: dict, url: str):
    """``GET /v1/accounts``: the accounts connected to the platform in ``livemode`` now, as a
    page of ``Account`` rows, newest account first (the ``created`` it shows and the
    ``created`` filter is Stripe's "connected accounts that were created during the given
    date interval").

    A cursor may name an account whose connection has ended since the previous page (the
    platform saw it; its place in the order is the account's own): anything else, another
    platform's account, one connected in the other mode, the platform itself or a made-up
    id, is one ``No such account`` 404.
    """
    from .common import keyset_page, time_filters

    query = select(Account).where(_connected(platform_id, livemode),
                                  *time_filters(Account.created, params.get("created")))
    before = params.get("ending_before")
    cursor = None
    for param in ("starting_after", "ending_before"):
        if params.get(param):
            cursor = _cursor(platform_id, livemode, params[param], param)
    return keyset_page(query, Account.created, Account.id, cursor, before=bool(before),
                       limit=params.get("limit", 10), url=url)


def _cursor(platform_id: str, livemode: bool, account_id: str, param: str):
    found = None
    if ACCOUNT_ID.fullmatch(account_id):  # anything else names no account: not asked
        found = db.session.execute(
            select(Account.created, Account.id).where(
                Account.id == account_id,
                _connected(platform_id, livemode, now_only=False))).first()
    if found is None:
        raise ResourceMissing(messages.NO_SUCH.format(noun="account", id=account_id),
                              param=param)
    return found
