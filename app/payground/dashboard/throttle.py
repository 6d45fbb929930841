"""Login throttling: a budget of failed log-ins per client address.

Counted in the rate limiter's storage (this process's memory, or Redis when ``REDIS_URL`` is
set, so every worker sees the same count), in fixed windows of the app's clock, like the
API's failed-authentication throttle in ``http/ratelimit.py``. It is on whatever
``RATE_LIMITS`` says: guessing passwords is never something a sandbox should allow.
``LOGIN_FAILURE_LIMIT`` (default ``5/1m``) sets it; ``off`` turns it off.
"""

from __future__ import annotations

from flask import current_app, request

from ..config import parse_login_failure_limit
from ..http.context import state

_KEY = "dashlogin"


def _rate():
    return parse_login_failure_limit(current_app.config["LOGIN_FAILURE_LIMIT"])


def client_address() -> str:
    """The caller's address, through trusted proxies as the API resolves it."""
    if current_app.config.get("TRUSTED_PROXIES"):
        from ..http.auth import resolve_client_ip

        return resolve_client_ip()
    return request.remote_addr or "unknown"


def retry_after() -> int | None:
    """Seconds until this address may try again, or ``None`` if it still has attempts left."""
    rate = _rate()
    if rate is None:
        return None
    decision = state().rate_limiter.failure_status(_KEY, client_address(), rate)
    return None if decision.allowed else decision.reset


def record_failure() -> None:
    """Count one failed log-in against this address."""
    rate = _rate()
    if rate is not None:
        state().rate_limiter.record_failure(_KEY, client_address(), rate)
