"""The authenticated scope of the current request: account, mode, key and the clock."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from flask import current_app, g, request

if TYPE_CHECKING:
    from ..services.audit import Source

T = TypeVar("T")
_UNSET = object()


@dataclass(frozen=True)
class Scope:
    account: Any
    livemode: bool
    api_key: Any
    clock: Any


def scope() -> Scope:
    """What services need from the request, set by ``/v1`` authentication."""
    return Scope(account=g.account, livemode=g.livemode, api_key=g.get("api_key"),
                 clock=current_app.extensions["payground"].clock)


def once_per_request(name: str, compute: Callable[[], T]) -> T:
    """``compute()``, worked out once for this request and kept on the request object.

    Not on ``g``: ``g`` belongs to the app context, and requests made inside one already
    pushed (a test's ``with app.app_context():``) share it, so the next request would be
    answered with this one's value."""
    req = request._get_current_object()
    attribute = f"_payground_{name}"
    value = getattr(req, attribute, _UNSET)
    if value is _UNSET:
        value = compute()
        setattr(req, attribute, value)
    return value


def state():
    """The app's Payground state (clock, pepper, rate limiter ...)."""
    return current_app.extensions["payground"]


def public_base_url() -> str:
    """``PUBLIC_URL``, or this request's scheme and ``Host`` as sent (no trailing slash).

    The scheme is ``https`` when a trusted proxy says the client came over HTTPS (as for the
    dashboard's ``Secure`` cookies): the dashboard's ``.env`` download must not point an SDK,
    and the key it sends, at plain ``http://``.

    Not ``request.host_url``: Werkzeug decodes the host's IDNA labels (``xn--...``) there,
    and raises on one it cannot decode (``Host: xn--zz``) - a 500 wherever it was read.
    """
    from flask import request

    from .auth import forwarded_https

    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return configured.rstrip("/")
    scheme = "https" if forwarded_https() else request.scheme
    return f"{scheme}://{request.host}".rstrip("/")


def current_request() -> tuple[str | None, str | None]:
    """The request id and raw Idempotency-Key of the request being served, if any.

    Plugged into ``services.events`` by ``create_app``, so events name their request.
    """
    from flask import has_request_context, request

    if not has_request_context():
        return None, None
    return g.get("request_id"), request.headers.get("Idempotency-Key") or None


def audit_source() -> Source:
    """This request as the audit trail names it: its ``Request-Id`` and the client's address
    (through ``TRUSTED_PROXIES`` as for ``/v1``), for a service that records an audit event.

    The sandbox API's and the dashboard's changes (a key created, rolled or revoked ...) show
    where they came from, as refused uses of a key do: a stolen session leaves its address.
    """
    from ..services.audit import Source
    from .request_log import client_ip  # imports this module

    return Source(request_id=g.get("request_id"), client_ip=client_ip())
