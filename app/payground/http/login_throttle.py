"""Log-in throttling: a budget of failed log-ins per client address, for the dashboard's
form and ``POST /sandbox/login`` alike (one count: they check the same passwords).

Counted in the rate limiter's storage (this process's memory, or Redis when ``REDIS_URL`` is
set, so every worker sees the same count), in fixed windows of the app's clock, like the
API's failed-authentication throttle in ``http/ratelimit.py``. It is on whatever
``RATE_LIMITS`` says: guessing passwords is never something a sandbox should allow.
``LOGIN_FAILURE_LIMIT`` (default ``5/1m``) sets it; ``off`` turns it off.

Each attempt is counted *before* its password is checked and given back when it turns out
not to be a failure: counted only after, thirty guesses sent at once would all be checked
before the first of them had failed.
"""

from __future__ import annotations

from flask import current_app, g, request

from ..config import parse_login_failure_limit
from .context import state

_KEY = "dashlogin"
TOO_MANY = "Too many failed log-ins from your address. Wait a little and try again."


def _rate():
    return parse_login_failure_limit(current_app.config["LOGIN_FAILURE_LIMIT"])


def client_address() -> str:
    """The caller's address, through trusted proxies as the API resolves it."""
    if current_app.config.get("TRUSTED_PROXIES"):
        from .auth import resolve_client_ip

        return resolve_client_ip()
    return request.remote_addr or "unknown"


def claim() -> int | None:
    """Count this log-in attempt against the caller's address, before its password is checked.

    Returns the seconds to wait if the address has used its budget (the attempt must not be
    made), else ``None``; then call ``give_back()`` unless the password was wrong.
    """
    rate = _rate()
    if rate is None:
        return None
    decision, counter = state().rate_limiter.claim_attempt(_KEY, client_address(), rate)
    if not decision.allowed:
        return decision.reset
    g.login_attempt = (counter, rate)
    return None


def give_back() -> None:
    """The claimed attempt was not a failed log-in (it succeeded, or was not even a log-in:
    a malformed email): it does not use the budget."""
    claimed = g.pop("login_attempt", None)
    if claimed is not None:
        state().rate_limiter.give_back(*claimed)
