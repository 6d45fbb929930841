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

A second budget counts the same way per email address (``LOGIN_EMAIL_FAILURE_LIMIT``,
default ``10/10m``, on while the first is): someone with many addresses gets no more
guesses at one account's password than one address would over a few windows. It is keyed by
the email in the form log-in reads it in (``core.emails``: else each spelling, ``ADA@`` or
fullwidth ``ａｄａ@``, would be a budget of its own), hashed under the server's secret so that
no email reaches Redis, never by the account: an email without an account is counted and
refused exactly like one with, before any database read, so neither the answer nor its
timing tells which emails have accounts.

Such a budget lets whoever knows an email lock its account out, with a guess a minute from one
address. So, as OWASP's "device cookie" scheme does for browsers (here for any client, the CLI
too), it holds back only addresses the account has not used: an address that signed up or
logged in as the email (remembered for 30 to 60 days after it last did) is not counted
against it, and keeps only its own address's budget (as before the email's budget existed).
Someone behind the same address (a room's NAT) can guess at that rate, no faster.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, g

from ..config import parse_login_email_failure_limit, parse_login_failure_limit
from ..core.emails import normalize_email
from ..errors import AuthenticationError, RateLimitError
from .context import state
from .ratelimit import client_address

_KEY = "dashlogin"
_EMAIL_KEY = "loginemail"
_EMAIL_PURPOSE = b"payground-login-email\x00"
_KNOWN_KEY = "loginknown"
# An address that came in as an email is remembered in windows of this length, in the window
# it came in and the next: 30 to 60 days after its last success (a session lasts 30).
KNOWN_WINDOW = 30 * 86400
TOO_MANY = "Too many failed log-ins from your address. Wait a little and try again."
AT_ONCE = "Too many log-ins at once from your address. Try again in a second."
TOO_MANY_FOR_EMAIL = ("Too many failed log-ins for this email address. Wait a little and try "
                      "again.")
AT_ONCE_FOR_EMAIL = "Too many log-ins at once for this email address. Try again in a second."


def _rate():
    return parse_login_failure_limit(current_app.config["LOGIN_FAILURE_LIMIT"])


def _email_rate():
    if _rate() is None:  # the log-in throttle is off: both of its budgets are
        return None
    return parse_login_email_failure_limit(current_app.config["LOGIN_EMAIL_FAILURE_LIMIT"])


def _email_counter(email: str) -> str:
    """The email's counter name: normalised as ``accounts.login`` reads it, then hashed."""
    normalised = normalize_email(email).encode()
    return hmac.new(state().pepper.encode(), _EMAIL_PURPOSE + normalised,
                    hashlib.sha256).hexdigest()[:32]


def _known_keys(counter: str) -> tuple[str, str]:
    """This window's and the last one's names for "this address came in as that email"."""
    mine = hmac.new(state().pepper.encode(), f"{counter}\x00{client_address()}".encode(),
                    hashlib.sha256).hexdigest()[:32]
    window = state().clock.now() // KNOWN_WINDOW
    return f"{_KNOWN_KEY}:{mine}:{window}", f"{_KNOWN_KEY}:{mine}:{window - 1}"


def came_in(email: str) -> None:
    """``email``'s account signed up or logged in from this address: the email's budget no
    longer holds this address back (see the module's doc)."""
    if _email_rate() is not None:
        _remember_address(_email_counter(email))


def _remember_address(counter: str) -> None:
    this_window, _ = _known_keys(counter)
    state().rate_limiter.note(this_window, 2 * KNOWN_WINDOW)  # the window, and the next


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


def claim_email(email: str) -> None:
    """Start the attempt against ``email``'s budget too, once the request is known to be a
    log-in (inside ``checking()``, before the password is checked).

    Counted by the email, not its account: no database read, and the same work for every
    email, with an account or not. Not counted at all from an address the email came in
    from (``came_in``): there the address's own budget is the limit.

    :raises RateLimitError: the email used its budget, or (for a second) too many log-ins
        for it are being checked at once; the address's attempt is given back.
    """
    rate = _email_rate()
    if rate is None:
        return
    counter = g.login_email = _email_counter(email)
    limiter = state().rate_limiter
    if any(limiter.noted(key) for key in _known_keys(counter)):
        return
    decision, attempt, busy = limiter.claim_attempt(_EMAIL_KEY, counter, rate)
    if attempt is None:
        raise RateLimitError(AT_ONCE_FOR_EMAIL if busy else TOO_MANY_FOR_EMAIL,
                             headers={"Retry-After": str(decision.reset)})
    g.login_email_attempt = attempt


@contextmanager
def checking() -> Iterator[None]:
    """Check the password of an attempt ``claim()`` allowed: a wrong one (an
    ``AuthenticationError`` leaving the block) uses the address's budget, and the email's
    (``claim_email``); anything else, success, a malformed request or the email's refusal,
    gives the attempts back. A success remembers the address for the email (``came_in``)."""
    failed = False
    try:
        yield
    except AuthenticationError:
        failed = True
        raise
    else:
        counter = g.get("login_email")
        if counter is not None:  # claim_email ran: the email's budget is on
            _remember_address(counter)
    finally:
        g.pop("login_email", None)
        for name in ("login_attempt", "login_email_attempt"):
            attempt = g.pop(name, None)
            if attempt is not None:
                state().rate_limiter.finish_attempt(attempt, failed=failed)
