"""Rate limits: requests per account and mode, and failed authentications per client address.

Wired in ``app.py`` and ``http/auth.py``, in this order on a ``/v1`` request:

1. ``refuse_throttled_address()`` first thing in authentication: an address that has used up
   its failed-authentication budget gets 429 before any database read.
2. ``count_auth_failures`` wraps the key lookup: each ``AuthenticationError`` (missing,
   unknown, expired or revoked key) counts against the caller's address; one that the count
   puts over the budget (failures sent at once, all past step 1) gets 429 instead of 401.
3. ``enforce()`` inside ``authenticate_v1``, as soon as the key is found (so a request then
   refused - a restricted key's 403, an unknown route's 404 - counts too), and before
   ``idempotency.claim()`` (which commits): over budget it gets 429.
4. ``add_headers(response)`` in ``after_request``: ``RateLimit-Policy`` and ``RateLimit`` on
   every response to a request that was counted. While the store fails (Redis down), requests
   are let through uncounted, and their responses carry neither: there is no count to show,
   and a full budget would be a lie. The log says when it fails, and when it answers again.

Windows are fixed and aligned to the clock (``now // window``), read from the app's
injected :class:`~payground.core.clock.Clock`, so the window, ``Retry-After`` and the
headers come from one integer clock reading, and tests move time instead of sleeping. The
counters are this process's memory (``http/counters.py``), or ``limits``' ``RedisStorage``
(an atomic INCR + EXPIRE script) when ``REDIS_URL`` is set, which makes the count exact
across every worker of a deployment. Each window has its own key, so one round trip
(the increment) both counts the request and tells how many came before it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Response, g

from .. import messages
from ..config import Rate, parse_auth_failure_limit, parse_rate_limits
from ..core.clock import duration
from ..errors import AuthenticationError, RateLimitError
from .context import state
from .counters import MemoryCounters

log = logging.getLogger("payground")

#: ``Stripe-Rate-Limited-Reason`` for the per-account limit (Stripe's name for its general
#: request-rate limiter) and for the failed-authentication throttle (Payground's own).
GLOBAL_RATE = "global-rate"
AUTH_FAILURES = "auth-failures"
#: Policy names in ``RateLimit-Policy`` and ``RateLimit`` (draft-ietf-httpapi-ratelimit-headers).
ACCOUNT_POLICY = "account"
AUTH_POLICY = "auth-failures"
KEY_PREFIX = "payground"
# A window's counter outlives the window by this much. It is only garbage collection (each
# window has its own key), so a worker whose clock lags a little, or a test's frozen clock,
# never sees a count vanish before its window is over.
_KEY_SLACK = 60
REDIS_TIMEOUT = 1.0  # seconds; a counter is one round trip on a local network
_WARN_EVERY = 30  # seconds between warnings that the store is unreachable


@dataclass(frozen=True)
class Decision:
    """One counted (or peeked-at) request: allowed or not, and what the headers say."""

    allowed: bool
    rate: Rate
    remaining: int
    reset: int  # whole seconds until the window ends, 1 to rate.window
    counted: bool = True  # False: the store failed, nothing was counted (let through)

    def headers(self, policy: str) -> dict[str, str]:
        # Structured-field syntax of draft-ietf-httpapi-ratelimit-headers-08 and later:
        # a quoted policy name with q (quota) and w (window); r (remaining) and t (reset).
        return {"RateLimit-Policy": f'"{policy}";q={self.rate.limit};w={self.rate.window}',
                "RateLimit": f'"{policy}";r={self.remaining};t={self.reset}'}

    def refusal(self, policy: str, reason: str, message: str | None = None) -> RateLimitError:
        return RateLimitError(message, headers={
            **self.headers(policy), "Retry-After": str(self.reset),
            "Stripe-Rate-Limited-Reason": reason})


@dataclass(frozen=True)
class Attempt:
    """An attempt being checked: its window's failure and in-flight counters."""

    failures_key: str
    in_flight_key: str
    expiry: int


class RateLimiter:
    """The counters behind Payground's rate limits; one per app, on ``PaygroundState``.

    :param limits: each mode's budget (``{False: test, True: live}``), or ``None`` for none.
    :param auth_failures: failed authentications allowed per client address, or ``None``.
    :param clock: the app's clock; its wall time (no account offset) places the windows.
    :param redis_url: count in Redis (shared by every worker) instead of this process's memory.
    """

    def __init__(self, limits: Mapping[bool, Rate] | None, auth_failures: Rate | None, *,
                 clock: Any, redis_url: str | None = None) -> None:
        self.limits = dict(limits) if limits else None
        self.auth_failures = auth_failures if self.limits else None
        self.clock = clock
        self.redis_url = redis_url or None
        self._storage: Any = None
        self._storage_lock = threading.Lock()
        self._last_warning = -_WARN_EVERY
        # A failure was logged and its end not yet: the next answer of the store logs that.
        self._outage_logged = False
        self._report_lock = threading.Lock()  # threads of a worker log each line once
        # In memory, one lock keeps counts exact: a count and the reads that decide on it
        # (``claim_attempt``: increment, read, give back) are one step for this worker's threads.
        self._count_lock: AbstractContextManager = (
            nullcontext() if self.redis_url else threading.Lock())

    @classmethod
    def from_config(cls, config: Mapping[str, Any], clock: Any) -> RateLimiter:
        """Build from ``RATE_LIMITS``, ``AUTH_FAILURE_LIMIT`` and ``REDIS_URL``.

        :raises ValueError: if a setting cannot be read.
        """
        return cls(parse_rate_limits(config.get("RATE_LIMITS")),
                   parse_auth_failure_limit(config.get("AUTH_FAILURE_LIMIT")),
                   clock=clock, redis_url=config.get("REDIS_URL"))

    @property
    def enabled(self) -> bool:
        return self.limits is not None

    @property
    def shared(self) -> bool:
        """Whether the counts are shared by every process (Redis)."""
        return self.redis_url is not None

    def storage(self) -> Any:
        # Created on first use, so each worker process makes its own Redis connections.
        if self._storage is None:
            with self._storage_lock:
                if self._storage is None:
                    if self.redis_url:
                        from limits.storage import storage_from_string

                        # Errors wrapped as limits' StorageError (see _unreachable), and short
                        # timeouts: a Redis that hangs must not hold every request for seconds.
                        self._storage = storage_from_string(
                            self.redis_url, key_prefix=KEY_PREFIX, wrap_exceptions=True,
                            socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
                    else:  # not limits' MemoryStorage: see http/counters.py
                        self._storage = MemoryCounters()
        return self._storage

    def storage_problem(self) -> Exception | None:
        """Why the counters cannot be used (``None``: they can; always in memory): the error
        of a Redis PING, as a ``ConnectionError`` when Redis could not be reached (or did not
        answer), else as Redis gave it (``DB index is out of range``, a wrong password)."""
        storage = self.storage()
        try:
            if storage.check():
                return None
            # limits' check() says only no; Redis' own answer says why.
            storage.storage.ping()
        except Exception as error:  # noqa: BLE001 - reported to the operator as it is
            from redis.exceptions import ConnectionError as Unreachable
            from redis.exceptions import TimeoutError as Silent

            return ConnectionError(str(error)) if isinstance(error, (Unreachable, Silent)) \
                else error
        return ConnectionError("no answer to PING")

    # -- counting ------------------------------------------------------------------------------

    def _window(self, rate: Rate) -> tuple[int, int]:
        now = self.clock.now()
        window = now // rate.window
        return window, (window + 1) * rate.window - now

    def _unreachable(self, error: Exception) -> None:
        """The counters' store failed (Redis down, hanging, or refusing: a database index
        it no longer has). Requests go on uncounted - a room's whole API answering 500 would
        be worse than limits off for a while - and the operator hears of it, with Redis' own
        reason, once in ``_WARN_EVERY`` seconds, not once a request."""
        now = self.clock.now()
        with self._report_lock:
            if now - self._last_warning < _WARN_EVERY:
                return
            self._last_warning = now
            self._outage_logged = True
        cause = getattr(error, "storage_error", None) or error  # limits' StorageError
        log.warning("rate-limit store failed (%s: %s); requests are let through "
                    "uncounted, without RateLimit headers, until it answers again",
                    type(cause).__name__, cause)

    def _answered(self) -> None:
        """The store answered: if a failure was logged, say once that it is over (else the
        log's last word stays "failed" and the operator cannot tell counting resumed).

        Only after a logged failure, so a store that fails and answers by turns writes at
        most one such pair of lines per ``_WARN_EVERY`` seconds, failure first. At the
        failure's level: a log filtered to warnings shows the outage's end too. A boolean
        read is all it costs a request while the store is well.
        """
        if not self._outage_logged:
            return
        with self._report_lock:
            if not self._outage_logged:  # another thread of this worker said it
                return
            self._outage_logged = False
        log.warning("rate-limit store answers again; requests are counted, with RateLimit "
                    "headers, again")

    def _store_errors(self) -> tuple[type[Exception], ...]:
        from limits.errors import StorageError

        return (StorageError,)

    # Every use of the store goes through these two: an answer ends a logged outage.

    def _incr(self, key: str, expiry: int, amount: int = 1) -> int:
        count = self.storage().incr(key, expiry, amount=amount)
        self._answered()
        return count

    def _get(self, key: str) -> int:
        count = self.storage().get(key)
        self._answered()
        return count

    def _hit(self, key: str, rate: Rate) -> Decision:
        window, reset = self._window(rate)
        try:
            with self._count_lock:
                count = self._incr(f"{key}:{window}", rate.window + _KEY_SLACK)
        except self._store_errors() as error:
            self._unreachable(error)
            return Decision(True, rate, rate.limit, reset, counted=False)
        return Decision(count <= rate.limit, rate, max(0, rate.limit - count), reset)

    def hit_account(self, account_id: str, livemode: bool) -> Decision:
        """Count one request of this account in this mode."""
        rate = self.limits[livemode]
        return self._hit(f"acct:{account_id}:{'live' if livemode else 'test'}", rate)

    def address_status(self, address: str) -> Decision:
        """Where this address stands with failed authentications (counts nothing)."""
        return self.failure_status("authfail", address, self.auth_failures)

    def record_auth_failure(self, address: str) -> Decision:
        return self.record_failure("authfail", address, self.auth_failures)

    def failure_status(self, kind: str, address: str, rate: Rate) -> Decision:
        """Where ``address`` stands with its ``kind`` of failures (counts nothing)."""
        window, reset = self._window(rate)
        try:
            count = self._get(f"{kind}:{address}:{window}")
        except self._store_errors() as error:
            self._unreachable(error)
            return Decision(True, rate, rate.limit, reset, counted=False)
        return Decision(count < rate.limit, rate, max(0, rate.limit - count), reset)

    def record_failure(self, kind: str, address: str, rate: Rate) -> Decision:
        """Count one ``kind`` of failure (a bad key, a sign-up for a taken email) against
        ``address``, in the counter ``claim_attempt`` reads for the same ``kind``."""
        return self._hit(f"{kind}:{address}", rate)

    def claim_attempt(self, kind: str, address: str, rate: Rate
                      ) -> tuple[Decision, Attempt | None, bool]:
        """Start an attempt (a log-in) from ``address``, before it is checked.

        Allowed while the window's failures plus the attempts still being checked stay within
        ``rate``: guesses sent all at once get no more checks than guesses sent one by one.
        A refusal only because of attempts in flight says to retry in a second (``reset`` 1,
        and the third value, ``busy``, true); one because of failures, when the window ends.
        Finish an allowed attempt with ``finish_attempt``.
        """
        window, reset = self._window(rate)
        attempt = Attempt(f"{kind}:{address}:{window}", f"{kind}-inflight:{address}:{window}",
                          rate.window + _KEY_SLACK)
        try:
            with self._count_lock:
                in_flight = self._incr(attempt.in_flight_key, attempt.expiry)
                failures = self._get(attempt.failures_key)
                if failures + in_flight <= rate.limit:
                    return (Decision(True, rate, rate.limit - failures - in_flight, reset),
                            attempt, False)
                self._incr(attempt.in_flight_key, attempt.expiry, amount=-1)
        except self._store_errors() as error:
            self._unreachable(error)
            return Decision(True, rate, rate.limit, reset, counted=False), attempt, False
        busy = failures < rate.limit
        return Decision(False, rate, 0, 1 if busy else reset), None, busy

    def finish_attempt(self, attempt: Attempt, *, failed: bool) -> None:
        """The attempt is over: a failure counts for the rest of its window."""
        try:
            with self._count_lock:
                if failed:  # counted before it leaves the in-flight count: never a gap
                    self._incr(attempt.failures_key, attempt.expiry)
                self._incr(attempt.in_flight_key, attempt.expiry, amount=-1)
        except self._store_errors() as error:
            self._unreachable(error)

    def note(self, key: str, seconds: int) -> None:
        """Write down that ``key`` holds, for ``seconds`` (read back with ``noted``)."""
        try:
            with self._count_lock:
                self._incr(key, seconds)
        except self._store_errors() as error:
            self._unreachable(error)

    def noted(self, key: str) -> bool:
        """Whether ``note`` wrote ``key`` down and it has not expired (no: the store failed)."""
        try:
            return self._get(key) > 0
        except self._store_errors() as error:
            self._unreachable(error)
            return False

    def first_refusal(self, address: str) -> bool:
        """Count a refusal of this throttled address; true for the window's first one."""
        rate = self.auth_failures
        window, _ = self._window(rate)
        try:
            with self._count_lock:
                return self._incr(f"auththrottled:{address}:{window}",
                                  rate.window + _KEY_SLACK) == 1
        except self._store_errors() as error:
            self._unreachable(error)
            return False


# -- request plumbing ---------------------------------------------------------------------------


def _limiter() -> RateLimiter | None:
    return getattr(state(), "rate_limiter", None)


def client_address() -> str:
    """The caller's address (through trusted proxies), for counting; never empty."""
    from .request_log import client_ip  # request_log imports http.auth, which imports this

    return client_ip() or "unknown"


def enforce() -> None:
    """Count this ``/v1`` request against its account and mode; 429 when over the budget.

    Runs after authentication (it needs the account) and before ``idempotency.claim()``.
    """
    limiter = _limiter()
    if limiter is None or not limiter.enabled:
        return
    decision = limiter.hit_account(g.account.id, g.livemode)
    if not decision.allowed:
        raise decision.refusal(ACCOUNT_POLICY, GLOBAL_RATE)
    if decision.counted:  # uncounted (the store failed): no budget to show
        g.rate_limit_headers = decision.headers(ACCOUNT_POLICY)


def add_headers(response: Response) -> Response:
    """``RateLimit-Policy`` and ``RateLimit`` on the response of a request that was counted."""
    headers = g.get("rate_limit_headers")
    if headers:
        response.headers.update(headers)
    return response


def refuse_throttled_address() -> None:
    """429 for an address over its failed-authentication budget, before any database read.

    The window's first refusal of an address is written to the audit trail
    (``auth.throttled``, with no account: nothing about the caller is looked up).
    """
    limiter = _limiter()
    if limiter is None or limiter.auth_failures is None:
        return
    address = client_address()
    _refuse_over_budget(limiter, address, limiter.address_status(address))


def _refuse_over_budget(limiter: RateLimiter, address: str, decision: Decision) -> None:
    """The throttle's 429 when ``decision`` says the address is over its budget; the
    window's first refusal is audited."""
    if decision.allowed:
        return
    if limiter.first_refusal(address):
        _audit_throttled(address, decision)
    # Not the request-rate message: the caller may send one request a minute, with a good key
    # (a classroom behind one address shares the budget, README).
    raise decision.refusal(AUTH_POLICY, AUTH_FAILURES, messages.AUTH_FAILURES_THROTTLED.format(
        limit=decision.rate.limit, window=duration(decision.rate.window), wait=decision.reset))


def count_auth_failures(authenticate: Callable) -> Callable:
    """Decorate the key lookup: each ``AuthenticationError`` it raises counts against the
    caller's address.

    The count is the one atomic increment: a failure it puts over the budget is answered
    with the throttle's 429, not its 401. Failures sent all at once all pass the check of
    ``refuse_throttled_address`` before any of them is counted; this keeps the number of
    401s an address gets exact without a round trip more on successful requests.
    """

    @wraps(authenticate)
    def counted(*args: Any, **kwargs: Any) -> Any:
        try:
            return authenticate(*args, **kwargs)
        except AuthenticationError as failure:
            limiter = _limiter()
            if limiter is None or limiter.auth_failures is None:
                raise
            address = client_address()
            try:
                _refuse_over_budget(limiter, address, limiter.record_auth_failure(address))
            except RateLimitError as refusal:
                raise refusal from failure
            raise

    return counted


def _audit_throttled(address: str, decision: Decision) -> None:
    from sqlalchemy.exc import SQLAlchemyError

    from ..models.base import db
    from ..services.audit import Source, record_event

    limiter = _limiter()
    try:
        record_event("auth.throttled", now=limiter.clock.now(), account_id=None,
                     source=Source(g.get("request_id"), address), commit=True,
                     data={"limit": decision.rate.limit, "window": decision.rate.window,
                           "retry_after": decision.reset})
    except SQLAlchemyError:
        db.session.rollback()
        log.warning("could not audit a throttled address", exc_info=True)
