"""Connect OAuth's flow: the authorize request read and approved, codes exchanged for tokens,
tokens refreshed, a platform deauthorizing an account (as Stripe Connect Standard's OAuth).

Access tokens are API keys of the connected account (``api_keys.connection_id``): ``sk_``
for ``read_write``, ``rk_`` holding every ``*_read`` permission for ``read_only``.
Authorization codes and refresh tokens are stored as peppered digests only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from .. import messages
from ..core import keys as keyfmt
from ..core import oauth as oauthfmt
from ..core.ids import new_id
from ..errors import (InvalidClient, InvalidGrant, InvalidScope, OAuthInvalidRequest,
                      UnsupportedGrantType)
from ..models.account import Account
from ..models.api_key import ApiKey
from ..models.base import db
from ..models.oauth import AuthorizationCode, ConnectApplication, OAuthConnection, RefreshToken
from . import connections, events
from .audit import record_event
from .keys import PERMISSIONS, issue_key, publishable_secret

if TYPE_CHECKING:
    from .audit import Source


class AuthorizePageError(Exception):
    """An authorize request that must get an error page, never a redirect: the client or the
    redirect URI is unknown, so nothing may be sent where the link says."""

    def __init__(self, message: str, status: int = 400, *, activate: bool = False,
                 switch_account: bool = False) -> None:
        super().__init__(message)
        self.message, self.status, self.activate = message, status, activate
        # The account signed in is the wrong one: the page offers to log out and come back.
        self.switch_account = switch_account


class AuthorizeRedirect(Exception):
    """An authorize request refused by redirecting to the platform with ``error=...``."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


@dataclass(frozen=True)
class AuthorizeRequest:
    application: ConnectApplication
    platform: Account
    redirect_uri: str
    scope: str
    state: str | None

    def redirect(self, **params: str | None) -> str:
        return oauthfmt.with_params(self.redirect_uri, {**params, "state": self.state})


def read_authorize_request(args: Mapping[str, str]) -> AuthorizeRequest:
    """What ``GET /oauth/authorize?...`` asks, checked in Stripe's order: the client and the
    redirect URI first (an error page), then the rest (an error sent to the redirect URI).

    ``stripe_landing``, ``always_prompt`` and ``stripe_user[...]`` are accepted and ignored.

    :raises AuthorizePageError: unknown or missing ``client_id``; unregistered redirect URI.
    :raises AuthorizeRedirect: ``response_type`` or ``scope`` not supported.
    """
    application = connections.application_by_client_id(args.get("client_id"))
    if application is None:
        raise AuthorizePageError(messages.OAUTH_NO_CLIENT)
    redirect_uri = args.get("redirect_uri") or application.redirect_uris[0]
    if redirect_uri not in application.redirect_uris:
        raise AuthorizePageError(messages.OAUTH_BAD_REDIRECT_URI.format(
            uri=keyfmt.scrub_start(redirect_uri, 500)))
    request = AuthorizeRequest(application=application,
                               platform=db.session.get(Account, application.account_id),
                               redirect_uri=redirect_uri, scope=args.get("scope") or "read_only",
                               state=args.get("state"))
    response_type = args.get("response_type")
    if not response_type:
        raise AuthorizeRedirect(request.redirect(
            error="invalid_request", error_description=messages.OAUTH_NO_RESPONSE_TYPE))
    if response_type != "code":
        raise AuthorizeRedirect(request.redirect(
            error="unsupported_response_type",
            error_description=messages.OAUTH_UNSUPPORTED_RESPONSE_TYPE.format(
                value=keyfmt.scrub_start(response_type, 100))))
    if request.scope not in oauthfmt.SCOPES:
        raise AuthorizeRedirect(request.redirect(
            error="invalid_scope", error_description=messages.OAUTH_INVALID_SCOPE.format(
                value=keyfmt.scrub_start(request.scope, 100))))
    return request


def refuse_connecting(account, request: AuthorizeRequest) -> None:
    """Refuse an account that cannot connect: the platform itself, or (to a live-mode
    application) an account whose live mode is not activated.

    :raises AuthorizePageError: with what the consent page says instead.
    """
    if account.id == request.application.account_id:
        raise AuthorizePageError(messages.OAUTH_OWN_APPLICATION, switch_account=True)
    if request.application.livemode and not account.live_enabled:
        raise AuthorizePageError(messages.OAUTH_LIVE_NOT_ACTIVATED.format(
            name=request.application.name), activate=True)


def narrows(account, request: AuthorizeRequest) -> bool:
    """Whether approving ``request`` would narrow the account's connection to the
    application (read_only asked of a read_write one): what :func:`approve` then revokes."""
    connection = connections.active_connection(request.application.id, account.id)
    return connection is not None and not oauthfmt.scope_covers(request.scope,
                                                                 connection.scope)


def approve(account, request: AuthorizeRequest, *, pepper: str, clock,
            source: Source | None = None) -> str:
    """The account connects to the application: its connection made (or, connected already,
    given the scope asked now: Stripe keeps one per application and account; a narrower one
    revokes what the wider grant handed out, :func:`.connections.narrow_connection`), and
    the address to send the browser to, with a new authorization code.

    :raises AuthorizePageError: see :func:`refuse_connecting`.
    """
    from .common import locking

    refuse_connecting(account, request)
    application = request.application
    # Locked: two approvals at once must not make two connections.
    db.session.execute(locking(select(ConnectApplication.id).where(
        ConnectApplication.id == application.id)))
    now = clock.for_account(account)
    if request.scope == "read_only":
        # The codes a narrowing ends, locked before the connection, in the order an exchange
        # takes them (its code, then the connection): PostgreSQL would otherwise deadlock.
        _lock_wider_codes(application.id, account.id)
    connection = connections.active_connection(application.id, account.id, for_update=True)
    if connection is None:
        connection = connections.new_connection(application, account, request.scope, now)
    else:
        if not oauthfmt.scope_covers(request.scope, connection.scope):
            # The page said "Read only": what the wider grant handed out ends now.
            keys, grants = connections.narrow_connection(connection, now)
            record_event("oauth.scope_narrowed", now=now, account_id=account.id,
                         livemode=application.livemode, source=source,
                         data={"client_id": application.id, "connection": connection.id,
                               "from": connection.scope, "scope": request.scope,
                               "revoked_keys": keys, "revoked_refresh_tokens": grants})
        connection.scope = request.scope
    code = oauthfmt.new_code()
    issued_at = clock.for_account(request.platform)  # the code expires on the platform's clock
    db.session.add(AuthorizationCode(
        digest=keyfmt.digest(pepper, code), application_id=application.id,
        connection_id=connection.id, livemode=application.livemode, scope=request.scope,
        redirect_uri=request.redirect_uri, created=issued_at,
        expires_at=issued_at + oauthfmt.CODE_SECONDS))
    # Stripe: "Occurs whenever a user authorizes an application. Sent to the related
    # application only." The account authorizes it here (its access works from now on,
    # Stripe-Account included), not when the platform exchanges the code; again on each
    # approval (a new scope is a new authorization).
    events.emit(account, application.livemode, now, "account.application.authorized",
                application, application=application.id)
    record_event("oauth.authorized", now=now, account_id=account.id,
                 livemode=application.livemode, source=source,
                 data={"client_id": application.id, "scope": request.scope,
                       "connection": connection.id, "platform": application.account_id})
    db.session.commit()
    return request.redirect(code=code, scope=request.scope)


def _lock_wider_codes(application_id: str, account_id: str) -> None:
    """Lock the ``read_write`` codes not exchanged yet of the account's connection to the
    application, if any (read unlocked: connections are made under the application's lock,
    which the caller holds)."""
    from .common import locking

    connection = connections.active_connection(application_id, account_id)
    if connection is not None:
        db.session.execute(locking(select(AuthorizationCode.digest).where(
            AuthorizationCode.connection_id == connection.id,
            AuthorizationCode.scope == "read_write", AuthorizationCode.used_at.is_(None))))


def deny(request: AuthorizeRequest) -> str:
    """Where the browser goes when the account says no."""
    return request.redirect(error="access_denied",
                            error_description=messages.OAUTH_ACCESS_DENIED)


# --- the platform's server: POST /oauth/token and /oauth/deauthorize ---------------------------


def token(platform, key, params: Mapping[str, str], *, pepper: str, clock,
          source: Source | None = None) -> dict:
    """``POST /oauth/token``: an access token (and the refresh token) for a code or a refresh
    token, for the platform ``platform`` calling with its secret key ``key``.

    :raises OAuthError: Stripe's OAuth errors (see the messages ``OAUTH_*``).
    """
    grant_type = params.get("grant_type")
    if not grant_type:
        raise OAuthInvalidRequest(messages.OAUTH_NO_GRANT_TYPE)
    if grant_type == "authorization_code":
        return _exchange_code(platform, key, params, pepper=pepper, clock=clock, source=source)
    if grant_type == "refresh_token":
        return _refresh(platform, key, params, pepper=pepper, clock=clock, source=source)
    raise UnsupportedGrantType(messages.OAUTH_UNSUPPORTED_GRANT_TYPE.format(
        value=keyfmt.scrub_start(grant_type, 100)))


def _modes(livemode: bool) -> dict[str, str]:
    return {"mode": "live" if livemode else "test", "other": "test" if livemode else "live"}


def _exchange_code(platform, key, params, *, pepper, clock, source) -> dict:
    from .common import locking

    code = params.get("code")
    if not code:
        raise OAuthInvalidRequest(messages.OAUTH_NO_CODE)
    row = db.session.execute(locking(select(AuthorizationCode).where(
        AuthorizationCode.digest == keyfmt.digest(pepper, code)))).scalar_one_or_none()
    application = db.session.get(ConnectApplication, row.application_id) if row else None
    unknown = InvalidGrant(messages.OAUTH_CODE_UNKNOWN.format(code=oauthfmt.shown(code)))
    if row is None or application.account_id != platform.id:
        raise unknown
    if row.livemode != key.livemode:
        raise InvalidGrant(messages.OAUTH_CODE_OTHER_MODE.format(**_modes(row.livemode)))
    # Locked, as approving and disconnecting lock it: an approval narrowing the scope
    # meanwhile either comes first (the code is refused below) or revokes what this gives.
    connection = db.session.execute(locking(select(OAuthConnection).where(
        OAuthConnection.id == row.connection_id))).scalar_one()
    now = clock.for_account(platform)
    if row.used_at is not None:
        _revoke_replayed(row, connection, clock=clock, source=source)
        raise InvalidGrant(messages.OAUTH_CODE_USED)
    if row.expires_at == row.created and connection.revoked_at is None:
        # Ended by a narrower approval (connections.narrow_connection): so it stays, even
        # once the account has approved the wider scope again.
        raise InvalidGrant(messages.OAUTH_CODE_NARROWED.format(
            code=oauthfmt.shown(code), wanted=row.scope, granted="read_only"))
    if now >= row.expires_at:
        raise InvalidGrant(messages.OAUTH_CODE_EXPIRED.format(code=oauthfmt.shown(code)))
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is not None and redirect_uri != row.redirect_uri:
        raise InvalidGrant(messages.OAUTH_REDIRECT_MISMATCH)
    if connection.revoked_at is not None:  # disconnected before the exchange: nothing to give
        raise unknown
    if not oauthfmt.scope_covers(connection.scope, row.scope):
        raise InvalidGrant(messages.OAUTH_CODE_NARROWED.format(
            code=oauthfmt.shown(code), wanted=row.scope, granted=connection.scope))
    row.used_at = now
    refresh_token = oauthfmt.new_refresh_token()
    grant = RefreshToken(id=new_id("rtk_"), digest=keyfmt.digest(pepper, refresh_token),
                         connection_id=connection.id, code_digest=row.digest, key_ids=[],
                         created=now)
    db.session.add(grant)
    return _answer(connection, application, grant, refresh_token, row.scope, pepper=pepper,
                   clock=clock, source=source)


def _revoke_replayed(row: AuthorizationCode, connection: OAuthConnection, *, clock,
                     source) -> None:
    """A code sent twice (RFC 6749 §4.1.2): what its first exchange gave is revoked, as the
    code may have been stolen. Committed: it stands although the request is refused."""
    account = db.session.get(Account, connection.account_id)
    now = clock.for_account(account)
    grants = db.session.execute(select(RefreshToken).where(
        RefreshToken.code_digest == row.digest)).scalars().all()
    for grant in grants:
        connections.revoke_tokens(connection.id, now, key_ids=list(grant.key_ids))
        grant.revoked_at = grant.revoked_at or now
    record_event("oauth.code_reused", now=now, account_id=account.id,
                 livemode=connection.livemode, source=source,
                 data={"client_id": connection.application_id, "connection": connection.id,
                       "revoked_keys": sum(len(g.key_ids) for g in grants)})
    db.session.commit()


def _refresh(platform, key, params, *, pepper, clock, source) -> dict:
    from .common import locking

    refresh_token = params.get("refresh_token")
    if not refresh_token:
        raise OAuthInvalidRequest(messages.OAUTH_NO_REFRESH_TOKEN)
    digest = keyfmt.digest(pepper, refresh_token)
    # The connection locked first, then the token: the order approving (which narrows the
    # scope and revokes refresh tokens) and disconnecting take them in. A refresh racing a
    # narrowing approval waits for it and finds its token revoked, or comes first and has
    # what it issued revoked by it.
    connection_id = db.session.execute(select(RefreshToken.connection_id).where(
        RefreshToken.digest == digest)).scalar_one_or_none()
    connection = grant = None
    if connection_id is not None:
        connection = db.session.execute(locking(select(OAuthConnection).where(
            OAuthConnection.id == connection_id))).scalar_one()
        grant = db.session.execute(locking(select(RefreshToken).where(
            RefreshToken.digest == digest))).scalar_one()
    if (grant is None or grant.revoked_at is not None or connection.revoked_at is not None
            or connection.platform_id != platform.id):
        raise InvalidGrant(messages.OAUTH_REFRESH_UNKNOWN.format(
            token=oauthfmt.shown(refresh_token)))
    if connection.livemode != key.livemode:
        raise InvalidGrant(messages.OAUTH_REFRESH_OTHER_MODE.format(
            **_modes(connection.livemode)))
    # The refresh token's scope is its code's (Stripe), within the connection's now: a later
    # approval of read_write widens the connection, not a read-only grant.
    code_scope = db.session.execute(select(AuthorizationCode.scope).where(
        AuthorizationCode.digest == grant.code_digest)).scalar_one_or_none() or connection.scope
    granted = (connection.scope if oauthfmt.scope_covers(code_scope, connection.scope)
               else code_scope)
    scope = params.get("scope") or granted
    if scope not in oauthfmt.SCOPES:
        raise InvalidScope(messages.OAUTH_INVALID_SCOPE.format(
            value=keyfmt.scrub_start(scope, 100)))
    if not oauthfmt.scope_covers(granted, scope):
        raise InvalidScope(messages.OAUTH_SCOPE_UPGRADE.format(granted=granted, wanted=scope))
    application = db.session.get(ConnectApplication, connection.application_id)
    # Stripe answers a refresh with the same refresh token.
    return _answer(connection, application, grant, refresh_token, scope, pepper=pepper,
                   clock=clock, source=source)


def _answer(connection, application, grant, refresh_token: str, scope: str, *, pepper, clock,
            source) -> dict:
    """Issue an access token of ``scope`` in the connected account, commit, and answer."""
    account = db.session.get(Account, connection.account_id)
    now = clock.for_account(account)
    read_only = scope == "read_only"
    issued = issue_key(account, kind="restricted" if read_only else "secret",
                       livemode=connection.livemode, pepper=pepper, now=now,
                       name=f"OAuth: {application.name}"[:200],
                       permissions=oauthfmt.read_only_permissions(PERMISSIONS) if read_only
                       else None, connection_id=connection.id)
    grant.key_ids = [*grant.key_ids, issued.key.id]  # a new list: JSON columns track no edits
    record_event("api_key.created", key=issued.key, now=now, source=source,
                 data={"connection": connection.id, "client_id": application.id})
    db.session.commit()
    return {"access_token": issued.secret, "livemode": connection.livemode,
            "refresh_token": refresh_token, "token_type": "bearer",
            "stripe_publishable_key": _publishable_key(account, connection.livemode, now, pepper),
            "stripe_user_id": account.id, "scope": scope}


def _publishable_key(account, livemode: bool, now: int, pepper: str) -> str | None:
    """The connected account's newest working publishable key of the mode (public: whole)."""
    keys = db.session.execute(select(ApiKey).where(
        ApiKey.account_id == account.id, ApiKey.livemode == livemode,
        ApiKey.type == "publishable", ApiKey.revoked_at.is_(None))
        .order_by(ApiKey.created.desc(), ApiKey.id.desc())).scalars()
    for key in keys:
        if key.expires_at is None or key.expires_at > now:
            return publishable_secret(key, pepper)
    return None


def deauthorize(platform, key, params: Mapping[str, str], *, clock,
                source: Source | None = None) -> dict:
    """``POST /oauth/deauthorize``: the platform disconnects an account from its application
    of the key's mode; the connection's tokens stop at once.

    :raises OAuthError: a parameter missing; not this platform's application; not connected.
    """
    client_id, account_id = params.get("client_id"), params.get("stripe_user_id")
    if not client_id:
        raise OAuthInvalidRequest(messages.OAUTH_NO_CLIENT_ID)
    if not account_id:
        raise OAuthInvalidRequest(messages.OAUTH_NO_STRIPE_USER_ID)
    application = connections.application_by_client_id(client_id)
    if (application is None or application.account_id != platform.id
            or application.livemode != key.livemode):
        raise InvalidClient(messages.OAUTH_NO_SUCH_APPLICATION.format(
            client_id=keyfmt.scrub_start(client_id, 100)))
    connection = connections.active_connection(application.id, account_id[:64],
                                                for_update=True)
    if connection is None:
        raise InvalidClient(messages.OAUTH_NOT_CONNECTED.format(
            account=keyfmt.scrub_start(account_id, 100)))
    account = db.session.get(Account, connection.account_id)
    now = clock.for_account(account)
    connections.end_connection(connection, account, now)
    record_event("oauth.deauthorized", now=now, account_id=account.id,
                 livemode=connection.livemode, source=source,
                 data={"client_id": application.id, "connection": connection.id,
                       "platform": platform.id})
    db.session.commit()
    return {"stripe_user_id": account.id}
