"""API-key authentication for ``/v1`` and the ``@requires(permission)`` route declaration."""

from __future__ import annotations

import base64
import functools
import ipaddress
import logging
import re
from collections.abc import Callable

from flask import current_app, g, request
from sqlalchemy.exc import SQLAlchemyError

from .. import messages
from ..core import keys as keyfmt
from ..core.ids import ACCOUNT_ID
from ..errors import (AccountInvalid, ApiKeyInUrl, AuthenticationError, InvalidRequestError,
                      IpNotAllowed, PermissionDenied, RouteNotFound, SecretKeyRequired)
from ..models.base import db
from ..services import keys as key_service
from .context import audit_source
from .ratelimit import count_auth_failures, enforce, refuse_throttled_address

log = logging.getLogger("payground")

# Publishable keys may call only routes declared with `publishable=True` (tokens, and later
# payment methods and confirming payment intents).
PERMISSION_ATTR = "_payground_permission"
PUBLISHABLE_ATTR = "_payground_publishable"
_KEY_IN_URL = re.compile(r"(?:sk|pk|rk)_(?:test|live)_", re.IGNORECASE)


def requires(permission: str, *, publishable: bool = False) -> Callable:
    """Declare the permission a ``/v1`` route needs (``charge_write``, ``balance_read`` ...).

    Restricted keys need it (write implies read); secret keys have every permission;
    publishable keys are refused unless ``publishable=True``.
    """

    def decorator(view: Callable) -> Callable:
        setattr(view, PERMISSION_ATTR, permission)
        setattr(view, PUBLISHABLE_ATTR, publishable)
        return view

    return decorator


def key_from_request() -> str | None:
    """The key in ``Authorization: Bearer <key>`` or Basic auth (``curl -u key:``)."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except ValueError:
            # binascii.Error and UnicodeDecodeError are ValueErrors, and so is what b64decode
            # raises for a character outside ASCII (``Basic é``, which a header can carry as
            # Latin-1): all of them are a header that names no key, not a 500.
            return None
        return decoded.partition(":")[0] or None
    return None


def url_text() -> str:
    """The request's path and query string, where a key must never be: URLs are written
    down everywhere (proxy logs, browser history, ``Referer``)."""
    return f"{request.path}?{request.query_string.decode('latin-1')}"


def refuse_key_in_url() -> None:
    """A key in the URL, query string or path (``/v1/customers/sk_test_...``), is refused
    (and never logged: logs show the path, scrubbed, never the query string)."""
    # Read as decoded: ``%73k_test_``, ``sk%255Ftest%255F`` (encoded twice) are keys too.
    if _KEY_IN_URL.search(keyfmt.unveiled(url_text())):
        from .request_log import audit_key_in_url  # imports this module

        audit_key_in_url()  # api_key.seen_in_url, in the account of a real key
        raise ApiKeyInUrl()


def authenticate_v1() -> None:
    """``before_request`` for ``/v1``: resolve key -> account and mode, check the route's needs."""
    if current_app.config.get("TRUSTED_PROXIES"):
        g.client_ip = resolve_client_ip()  # read by request_log.client_ip()
    refuse_throttled_address()  # first: a throttled address gets 429 before any database read
    refuse_key_in_url()
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is None:
        # Unknown route: Stripe answers 404 only to callers with a valid key; so do we.
        _authenticate()
        refusal = _act_as_connected_account()
        enforce()  # every authenticated request counts, refused ones too
        if refusal is not None:
            raise refusal
        raise RouteNotFound(messages.UNRECOGNIZED_URL.format(method=request.method,
                                                             path=request.path))
    key = _authenticate()
    # Before the budget: a request on a connected account counts against that account's.
    refusal = _act_as_connected_account()
    enforce()  # before the refusals below: a 403 or 404 counts against the budget too
    if refusal is not None:
        raise refusal
    permission = getattr(view, PERMISSION_ATTR, None)
    if permission is None:  # a route nobody declared: refuse rather than allow
        raise PermissionDenied("This endpoint has no declared permission.")
    if key.ip_allowlist:
        check_allowlist(key.ip_allowlist)
    if key.type == "publishable":
        if not getattr(view, PUBLISHABLE_ATTR, False):
            raise SecretKeyRequired()
    else:
        refuse_without(permission)


def refuse_without(permission: str) -> None:
    """Stripe's 403 naming ``rak_<permission>``, for a restricted key without it (secret keys
    have every permission). The route's own check, and each object ``expand[]`` asks for."""
    key = g.api_key
    if key.type == "restricted" and not keyfmt.allows(key.permissions or [], permission):
        raise PermissionDenied(messages.MISSING_PERMISSION.format(
            masked=keyfmt.mask(g.raw_key), account=g.account.id, permission=permission))


def catch_up_leak_drills() -> None:
    """On a ``/v1`` read, once the request is admitted (authenticated, not rate limited):
    if a leak drill's bots have been at work, write down what they did (their charges ...),
    as the sandbox's and the dashboard's reads do. Before a deletion too: a customer the bots
    listed before it was deleted counts as exposed (a deletion keeps no time to replay)."""
    if request.method not in ("GET", "DELETE") or not g.account.open_drills:
        return
    from ..services import drills

    state = current_app.extensions["payground"]
    drills.catch_up(g.account, clock=state.clock, pepper=state.pepper)


def _act_as_connected_account() -> PermissionDenied | InvalidRequestError | None:
    """``Stripe-Account`` (or ``Stripe-Context``) naming another account: Connect's way to act
    as a connected account.

    A platform's key (not an OAuth access token) whose application has a live connection in
    the key's mode to that account acts on it from here on: ``g.account`` is the connected
    account (its data, ledger, idempotency keys, rate limit, request log), while the key's own
    permissions still apply, and a ``read_only`` connection allows only reads. Any other
    account: Stripe's 403 for an account the key cannot reach, rather than acting on the
    key's own account without a word. Returned, not raised: the request still counts against
    the rate limit first.
    """
    wanted = request.headers.get("Stripe-Account", "").strip()
    # Stripe-Context (the SDKs' ``stripe_context``) supersedes Stripe-Account on Stripe; a
    # connected account's id there is the same request. Ignored, it would run the platform's
    # code on the platform's own account. A path of accounts (``acct_a/acct_b``: organisations,
    # recipients) names nothing a key reaches here, so it is refused below as an unknown one.
    context = request.headers.get("Stripe-Context", "").strip()
    # A header sent empty names no account: Stripe refuses it rather than ignore it, and so
    # must we, since granian (the default server) hands a value holding a non-ASCII byte (a
    # copy-pasted no-break space after the id) over as "": ignored, it would run the
    # platform's code on the platform's own account unawares.
    for header, value in (("Stripe-Account", wanted), ("Stripe-Context", context)):
        if not value and header in request.headers:
            return account_not_accessible("")
    if wanted and context and wanted != context:
        return InvalidRequestError(messages.CONTEXT_AND_ACCOUNT_DIFFER.format(
            account=_shown(wanted), context=_shown(context)))
    wanted = wanted or context
    if not wanted or wanted == g.account.id:
        return None
    key = g.api_key
    reached = None
    if key.connection_id is None and ACCOUNT_ID.fullmatch(wanted):
        from ..services import connections

        try:
            found = connections.reach(g.account.id, key.livemode, wanted)
            if found is not None:
                reached = (found[0], key_service.caller_account(found[1]))
        finally:
            db.session.rollback()  # end the read: on SQLite it cannot always become a write
    if reached is None:
        return account_not_accessible(wanted)
    scope, account = reached
    g.platform_id, g.account = g.account.id, account
    if scope == "read_only" and request.method not in ("GET", "HEAD"):
        return PermissionDenied(messages.OAUTH_READ_ONLY.format(account=account.id))
    return None


def account_not_accessible(account: str) -> AccountInvalid:
    """Stripe's 403 ``account_invalid`` for an account the request's key cannot reach (or that
    does not exist: the two are one answer, so it tells no one which ids are taken)."""
    return AccountInvalid(messages.ACCOUNT_NOT_ACCESSIBLE.format(
        masked=keyfmt.mask(g.raw_key), account=_shown(account)))


def reaches_connected_accounts() -> bool:
    """Whether this request may name the accounts connected to its account: a platform's own
    key on its own account. Not an OAuth access token (its platform is ``g.platform_id``), nor
    a request already acting as a connected account (``Stripe-Account``)."""
    return g.get("platform_id") is None


def _shown(account: str) -> str:
    """A header's account as an error echoes it. Scrubbed before it is cut: cut first, a key
    could lose what makes it one."""
    return keyfmt.scrub_start(account, 100).replace("\0", "%00")


def check_allowlist(allowlist: list[str]) -> None:
    """A key with an allow-list works only from those addresses (the error names the address)."""
    from .request_log import client_ip

    address = client_ip() or ""
    if not keyfmt.address_allowed(address, allowlist):
        raise IpNotAllowed(messages.IP_NOT_ALLOWED.format(address=address))


def resolve_client_ip() -> str:
    """The caller's address: the socket's peer, unless ``TRUSTED_PROXIES`` lists the peer;
    then the right-most ``X-Forwarded-For`` entry that is not a trusted proxy.

    Entries left of it were written by the client and prove nothing. A value that is not an
    IP address becomes ``"unknown"`` (never the proxy's address: that could be allow-listed),
    and so does one with an IPv6 zone (``fe80::1%eth0``): a zone names an interface of the
    host that wrote it, means nothing here, and can be of any length.
    """
    peer = request.remote_addr or ""
    trusted = _trusted_proxies()
    if not _within(peer, trusted):
        return peer
    hops = [hop.strip() for line in request.headers.getlist("X-Forwarded-For")
            for hop in line.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return _forwarded_address(hop)
    # Every hop is a trusted proxy: the left-most sent it.
    return _forwarded_address(hops[0]) if hops else peer


def _forwarded_address(hop: str) -> str:
    return hop if _ip(hop) is not None and "%" not in hop else "unknown"


def forwarded_https() -> bool:
    """Whether a trusted proxy (``TRUSTED_PROXIES``) says the client came over HTTPS
    (``X-Forwarded-Proto: https``, the nearest proxy's word). From anyone else the header
    proves nothing."""
    trusted = _trusted_proxies()
    if not trusted or not _within(request.remote_addr or "", trusted):
        return False
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip().lower()
    return proto == "https"


def _trusted_proxies() -> tuple:
    """``TRUSTED_PROXIES`` as networks (a string or a list in the config)."""
    setting = current_app.config.get("TRUSTED_PROXIES") or ""
    return _networks(setting if isinstance(setting, str) else ",".join(setting))


@functools.lru_cache(maxsize=8)
def _networks(setting: str) -> tuple:
    return tuple(ipaddress.ip_network(part.strip(), strict=False)
                 for part in setting.split(",") if part.strip())


def _ip(address: str):
    try:
        return ipaddress.ip_address(address)
    except ValueError:
        return None


def _within(address: str, networks) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip.version == n.version and ip in n for n in networks)


@count_auth_failures
def _authenticate():
    raw = key_from_request()
    if raw is None:
        raise AuthenticationError()
    key, account, now = known_key(raw)
    _audit_if_sent_by_a_page(key, now)
    g.raw_key, g.api_key, g.account, g.livemode = raw, key, account, key.livemode
    # An OAuth access token acts for its connection's platform (the request log names it).
    g.platform_id = key.platform_id
    return key


def known_key(raw: str):
    """``(key, account, now)`` for the key ``raw`` (``now`` on the account's clock), its use
    noted (``last_used``); for ``/v1`` and ``/oauth``'s platform keys alike.

    :raises AuthenticationError: an unknown or malformed key; a revoked or expired one
        (``KeyRefused``) once its owner's audit trail has recorded the use.
    """
    state = current_app.extensions["payground"]
    # The lookup does not use the session: no transaction is left open (and on SQLite no
    # write lock is taken) before the view's first write.
    try:
        key, account = key_service.authenticate(raw, state.pepper, state.clock)
    except key_service.KeyRefused as refused:
        # A real key: this request is logged in its owner's account, whatever the answer (a
        # throttle's 429 too, http/request_log.py), as the audit event below names it.
        g.refused_key_found = True
        # Committed now: the 401's rollback must not take the audit event with it. A database
        # failure here must not turn the 401 into a 500.
        try:
            key_service.audit_refused_use(refused, source=audit_source())
        except SQLAlchemyError:
            db.session.rollback()
        raise
    now = state.clock.for_account(account)
    key_service.touch(key, now)
    return key, account, now


def _audit_if_sent_by_a_page(key, now: int) -> None:
    """A secret or restricted key with an ``Origin`` header came from a web page's code."""
    origin = request.headers.get("Origin")
    if origin is None or key.type == "publishable":
        return
    try:  # the audit's trouble must not fail the call (nor turn it into a 500)
        key_service.audit_browser_use(key, origin=origin, now=now, source=audit_source())
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not audit a key used in a browser", exc_info=True)
