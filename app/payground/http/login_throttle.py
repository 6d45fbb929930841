"""Log-in throttling: a budget of failed log-ins per client address, for the dashboard's
form and ``POST /sandbox/login`` alike (one count: they check the same passwords).

Counted in the rate limiter's storage (this process's memory, or Redis when ``REDIS_URL`` is
set, so every worker sees the same count), in fixed windows of the app's clock, like the
API's failed-authentication throttle in ``http/ratelimit.py``. It is on whatever
``RATE_LIMITS`` says: guessing passwords is never something a sandbox should allow.
``LOGIN_FAILURE_LIMIT`` (default ``5/1m``) sets it; ``off`` turns it off.

Each attempt counts while its password is being checked, and after it only if it failed:
counted only after, thirty guesses sent at once would all be checked before the first of them
had failed. Successful log-ins use none of the budget (a workshop room behind one address).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, g

from ..config import parse_login_failure_limit
from ..errors import AuthenticationError
from .context import state
from .ratelimit import client_address

_KEY = "dashlogin"
TOO_MANY = "Too many failed log-ins from your address. Wait a little and try again."
AT_ONCE = "Too many log-ins at once from your address. Try again in a second."


def _rate():
    return parse_login_failure_limit(current_app.config["LOGIN_FAILURE_LIMIT"])


@dataclass(frozen=True)
class Refusal:
    """Why a log-in attempt is refused, and how long to wait."""

    wait: int
    message: str


def claim() -> Refusal | None:
    """Start a log-in attempt from the caller's address, before its password is checked.

    Returns why to refuse it (too many failures; or, for a second, too many attempts at once),
    else ``None``; then check the password inside ``checking()``.
    """
    rate = _rate()
    if rate is None:
        return None
    decision, attempt, busy = state().rate_limiter.claim_attempt(_KEY, client_address(), rate)
    if attempt is None:
        # Which one from ``busy``, never from the wait: a window's last second waits 1 s too.
        return Refusal(decision.reset, AT_ONCE if busy else TOO_MANY)
    g.login_attempt = attempt
    return None


def signup_refusal() -> Refusal | None:
    """Why a sign-up from this address is refused: the address used its log-in budget.

    A sign-up is not claimed as in flight, as a log-in is (a room signing up at once must
    not be told to wait): only its refusal for a taken email counts, after the fact.
    """
    rate = _rate()
    if rate is None:
        return None
    decision = state().rate_limiter.failure_status(_KEY, client_address(), rate)
    return None if decision.allowed else Refusal(decision.reset, TOO_MANY)


@contextmanager
def counting_taken_emails() -> Iterator[None]:
    """A sign-up refused because its email has an account tells the caller so - what guessing
    at accounts is after - so it counts against the address like a wrong password."""
    try:
        yield
    except BaseException as error:
        rate = _rate()
        if rate is not None and getattr(error, "code", None) == "email_taken":
            state().rate_limiter.record_failure(_KEY, client_address(), rate)
        raise


@contextmanager
def checking() -> Iterator[None]:
    """Check the password of an attempt ``claim()`` allowed: a wrong one (an
    ``AuthenticationError`` leaving the block) uses the address's budget; anything else,
    success or a malformed request, gives the attempt back."""
    failed = False
    try:
        yield
    except AuthenticationError:
        failed = True
        raise
    finally:
        attempt = g.pop("login_attempt", None)
        if attempt is not None:
            state().rate_limiter.finish_attempt(attempt, failed=failed)
