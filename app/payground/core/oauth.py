"""Connect OAuth's pieces that need no app: identifiers and secrets, redirect URIs, scopes.

A ``client_id`` (``ca_`` + 32 base62) is public. An authorization code (``ac_`` + 32) and a
refresh token (``rt_`` + 40) are secrets: only their peppered digest (``core.keys.digest``)
is stored, and messages show them as :func:`shown` (``ac_AbCd...``).
"""

from __future__ import annotations

import ipaddress
import secrets
from urllib.parse import urlencode, urlsplit, urlunsplit

from .keys import BASE62

CODE_SECONDS = 300  # Stripe's authorization codes expire after five minutes
SCOPES = ("read_only", "read_write")
MAX_REDIRECT_URIS = 10
MAX_REDIRECT_URI_LENGTH = 2048
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def _random(length: int) -> str:
    return "".join(secrets.choice(BASE62) for _ in range(length))


def new_client_id() -> str:
    return "ca_" + _random(32)


def new_code() -> str:
    return "ac_" + _random(32)


def new_refresh_token() -> str:
    return "rt_" + _random(40)


def shown(value: str) -> str:
    """A code or refresh token as a message may show it: its prefix, four characters, ``...``
    (never whole: a message is logged, shown and copied)."""
    head, _, rest = value.partition("_")
    if not rest:
        return value[:4] + "..."
    return f"{head}_{rest[:4]}..."


def read_only_permissions(permissions) -> list[str]:
    """Every ``*_read`` permission: what a ``read_only`` access token (an ``rk_`` key) holds."""
    return sorted(p for p in permissions if p.endswith("_read"))


def scope_covers(granted: str, wanted: str) -> bool:
    """Whether a connection of scope ``granted`` may hand out a token of scope ``wanted``."""
    return granted == "read_write" or wanted == "read_only"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_problem(uri: str, livemode: bool) -> str | None:
    """Why ``uri`` cannot be a redirect URI of an application of this mode, else ``None``.

    Absolute http(s), no fragment (RFC 6749 §3.1.2); in live mode https, except for loopback
    hosts (Payground's allowance: a learner's callback runs on their own machine).
    """
    if len(uri) > MAX_REDIRECT_URI_LENGTH:
        return f"must be at most {MAX_REDIRECT_URI_LENGTH} characters long"
    if not uri.isprintable() or any(c.isspace() for c in uri):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018  (raises for a port that is not a number)
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http or https URL"
    if "#" in uri:
        return "must not contain a fragment (#...)"
    if livemode and parts.scheme != "https" and not is_loopback(parts.hostname):
        return "must use https in live mode (http is allowed only for 127.0.0.1, ::1 and localhost)"
    return None


def origin(uri: str) -> str:
    """``scheme://host[:port]`` of ``uri``: where the consent page says the browser goes."""
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], "", "", ""))


def with_params(uri: str, params: dict[str, str | None]) -> str:
    """``uri`` with ``params`` added to its query (those that are ``None`` left out), as the
    redirect back to the platform carries them; the registered URI's own query is kept."""
    parts = urlsplit(uri)
    extra = urlencode([(k, v) for k, v in params.items() if v is not None])
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
