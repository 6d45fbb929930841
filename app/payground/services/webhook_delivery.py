"""Sending queued webhook deliveries: signed POSTs from background threads in each process.

``services.webhooks.queue_deliveries`` writes a ``webhook_deliveries`` row in the event's
transaction; after the commit the process's :class:`Dispatcher` wakes and sends every
delivery that is due, on any account. Each attempt is a POST of the event (as
``GET /v1/events/{id}`` shows it) with Stripe's headers and ``Stripe-Signature``. A 2xx
answer is a success; anything else (another status, a redirect, a refused connection, no
status within ``DEADLINE`` seconds) is retried on the account's clock after
``RETRY_DELAYS``, so ``payground clock advance`` brings a retry forward. Several workers may
share the queue: an attempt is claimed with a conditional UPDATE first, so only one of them
sends it, and its result is written only while the claim is still its own.

One thread per process finds what is due and hands each attempt to one of ``SENDERS``
sender threads, so a slow or unreachable endpoint delays only its own deliveries. The
threads start on the first wake-up in a process (never at import, and a forked worker starts
its own) and sleep until the next retry is due. ``payground serve`` also wakes each worker
on its first request, so retries left waiting when a server stopped are sent after a restart.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import weakref
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from urllib.parse import unquote, urlsplit

import orjson
from sqlalchemy import func, or_, select, update

from ..core.webhooks import ascii_host, endpoint_secret, signature_header
from ..models.account import Account
from ..models.base import db
from ..models.event import Event
from ..models.webhook import WebhookDelivery, WebhookEndpoint
from .webhooks import SEND_AFTER_COMMIT, undelivered_counts

log = logging.getLogger("payground")

# Seconds (account clock) to wait after each failed attempt before the next. Stripe retries
# "three times over a few hours" in test mode and for up to three days in live mode.
RETRY_DELAYS = {
    False: (5 * 60, 30 * 60, 2 * 3600),
    True: (5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600, 12 * 3600, 12 * 3600,
           20 * 3600),
}
TIMEOUT = 10  # seconds for each network step (connect, send, wait for the status line)
# Seconds for looking up the endpoint's host name. The system resolver has no timeout a
# caller can set (a dead name server holds getaddrinfo for its own retries, 30 s and more):
# the lookup runs in a thread of its own, and the attempt fails once this has passed.
LOOKUP_TIMEOUT = TIMEOUT
# Lookups still running after their senders gave up on them (their threads cannot be stopped):
# past this many, a name server that answers nothing at all would keep adding threads, and
# an attempt fails at once instead.
MAX_LOOKUPS = 64
DEADLINE = 20  # seconds for a whole attempt: past it, the connection is cut
# An attempt claimed by a worker that died is taken over after this: far longer than any
# attempt can take (DEADLINE), so a live worker's claim never lapses under it.
CLAIM_SECONDS = 120
# How long after its claim an attempt can still be in flight: cut at DEADLINE, then its
# result is written. An older claim that has not lapsed is a worker that died (or whose
# attempt raised): wait_idle does not wait the rest of CLAIM_SECONDS for it.
IN_FLIGHT_SECONDS = DEADLINE + 5
# Deliveries looked up per query by wait_idle: PostgreSQL takes at most 65535 parameters.
WATCH_BATCH = 1000
SENDERS = 8  # attempts in flight at once, per process
# Of them, at most this many for one endpoint, and for one account's endpoints: one that
# times out (or a participant's many) cannot take every sender on a shared server.
PER_ENDPOINT = 2
PER_ACCOUNT = 4
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
_elapsed_clock = time.monotonic  # how long an attempt has taken (tests replace it)
_getaddrinfo = socket.getaddrinfo  # the name lookup (tests replace it with a slow one)


_dispatchers: weakref.WeakSet = weakref.WeakSet()
_fork_hook_installed = False


def _after_fork_in_child() -> None:
    # A forked worker has the parent's objects but none of its threads: a lock the parent's
    # sender held at fork time would stay held forever. Each dispatcher starts afresh, and
    # so do the name lookups (the parent's would never answer here).
    global _lookups_lock
    for dispatcher in list(_dispatchers):
        dispatcher._reset()
    _lookups_lock = threading.Lock()
    _lookups.clear()


class Dispatcher:
    """One app's sender: :meth:`wake` after a commit that queued deliveries (or after the
    clock moved); the thread sends what is due, then sleeps until the next retry is due.

    Set ``sweep_on_first_request`` (``payground serve`` and ``payground.wsgi`` do) to also
    wake on each process's first request: retries left waiting by a stopped server are sent
    after a restart.
    """

    def __init__(self, app) -> None:
        global _fork_hook_installed
        self._app = app
        self.sweep_on_first_request = False
        #: Set by ``payground.testing.Server``: remember the deliveries this app queues, so
        #: that :meth:`wait_idle` also waits for those another process sharing the database
        #: took (pytest-xdist workers given one ``DATABASE_URL``). Off elsewhere: the set
        #: would only grow (on, it keeps the retries still pending, until they end).
        self.watch_queued = False
        self._queued: set[str] = set()
        self._closed = False
        self._reset()
        _dispatchers.add(self)
        if not _fork_hook_installed and hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_after_fork_in_child)
            _fork_hook_installed = True

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Event()  # set while nothing is due: see wait_idle
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._swept_pid: int | None = None

    def first_request(self) -> None:
        """``before_request`` hook: the first request of a process wakes the sender once."""
        if self.sweep_on_first_request and self._swept_pid != os.getpid():
            self._swept_pid = os.getpid()
            self.wake()

    def wake(self, delivery_ids: Iterable[str] = ()) -> None:
        with self._lock:
            if self._closed:
                return
            if self.watch_queued:
                self._queued.update(delivery_ids)
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="payground-webhooks",
                                                daemon=True)
                self._thread.start()
            self._idle.clear()
            self._wake.set()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every delivery due now has been attempted (those queued by commits
        before this call included); False if ``timeout`` seconds passed first.

        For tests: ``create a charge; wait_idle(); look at what the receiver got``. With
        ``watch_queued`` on, deliveries this app queued that another process sharing the
        database is attempting (or has found due) are waited for too; not those claimed
        longer ago than an attempt can take (their process died; they are retried once the
        claim lapses).
        """
        deadline = time.monotonic() + timeout
        if not self._idle.wait(timeout):
            return False
        while self._queued and not self._closed:
            with self._app.app_context():
                try:
                    waiting, claimable = self._others_sending()
                finally:
                    db.session.remove()
            if not waiting:
                return True
            if claimable:
                # Due and nobody's (a retry that came due, a dead worker's lapsed claim):
                # this sender may be asleep until some later retry, so have it look now.
                self.wake()
            if time.monotonic() >= deadline:
                return False
            # Another process's attempt ends when that process writes it: nothing tells this
            # one, so it looks again shortly (an attempt takes at most DEADLINE seconds).
            time.sleep(0.02)
        return True

    def _others_sending(self) -> tuple[bool, bool]:
        """(whether a delivery this app queued is due and being attempted, or about to be;
        whether one of those is claimed by nobody). Forgets those no longer pending."""
        with self._lock:
            watched = list(self._queued)
        wall = int(self._app.extensions["payground"].clock.now())
        rows = []
        for start in range(0, len(watched), WATCH_BATCH):
            rows += db.session.execute(
                select(WebhookDelivery.id, WebhookDelivery.status,
                       WebhookDelivery.next_attempt_at <= wall + Account.clock_offset,
                       WebhookDelivery.claimed_until)
                .join(Account, Account.id == WebhookDelivery.account_id)
                .where(WebhookDelivery.id.in_(watched[start:start + WATCH_BATCH]))).all()
        db.session.commit()
        pending = {delivery_id for delivery_id, status, _, _ in rows if status == "pending"}
        with self._lock:
            self._queued.intersection_update(pending | (self._queued - set(watched)))
        waiting = claimable = False
        for _, status, due, claimed_until in rows:
            if status != "pending" or not due:
                continue
            if claimed_until is None or claimed_until < wall:
                waiting = claimable = True
            elif claimed_until - CLAIM_SECONDS >= wall - IN_FLIGHT_SECONDS:
                waiting = True
        return waiting, claimable

    def close(self, timeout: float = DEADLINE + 5) -> None:
        """Stop claiming attempts and wait (up to ``timeout`` s) for those being made, so
        their results are written before the app's database goes away."""
        with self._lock:
            self._closed = True
            thread = self._thread if self._pid == os.getpid() else None
            self._wake.set()
            self._idle.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)  # it returns once its attempts in flight are done
        if self._pool is not None and self._pid == os.getpid():
            self._pool.shutdown(wait=False)

    def _run(self) -> None:
        while not self._closed:
            self._wake.clear()  # a wake-up during the sweep makes the wait below return at once
            try:
                with self._app.app_context():
                    wait = self.send_due()
            except Exception:  # a database hiccup must not end the thread: try again later
                log.exception("webhook delivery failed; trying again in 30 s")
                wait = 30.0
            with self._lock:  # atomic with wake(): a wake-up now is never marked idle
                if not self._wake.is_set():
                    self._idle.set()
            if not self._closed:
                self._wake.wait(wait)

    def send_due(self) -> float | None:
        """Send every delivery that is due; the seconds until the next one is (None: none).

        Up to ``SENDERS`` attempts run at once, each in a thread of its own, so an endpoint
        that takes its time (up to ``DEADLINE``) holds up no one else's events: no endpoint
        has more than ``PER_ENDPOINT`` of them, no account more than ``PER_ACCOUNT``, and
        what is queued meanwhile is looked for at once (a wake-up), not after an attempt in
        flight ends. Attempts are claimed here, at most as many as there are free senders:
        a claim never waits in a queue long enough to lapse.
        """
        clock = self._app.extensions["payground"].clock
        in_flight: dict[Future, tuple[str, str]] = {}  # -> (account, endpoint)
        try:
            while not self._closed:
                self._wake.clear()  # before looking: what is queued after it wakes the wait
                for future in [f for f in in_flight if f.done()]:
                    del in_flight[future]
                    if future.exception() is not None:  # the claim lapses; retried after it
                        log.error("webhook attempt failed", exc_info=future.exception())
                accounts = Counter(account for account, _ in in_flight.values())
                endpoints = Counter(endpoint for _, endpoint in in_flight.values())
                room = SENDERS - len(in_flight)
                batch = _due(clock.now(), room,
                             [a for a, n in accounts.items() if n >= PER_ACCOUNT],
                             [e for e, n in endpoints.items() if n >= PER_ENDPOINT]
                             ) if room else []
                took = False
                for delivery_id, offset, attempts, account_id, endpoint_id in batch:
                    if (accounts[account_id] >= PER_ACCOUNT
                            or endpoints[endpoint_id] >= PER_ENDPOINT):
                        continue  # its turn comes when one of theirs is done
                    claim = _claim(delivery_id, attempts, clock.now())
                    if claim is None:
                        continue
                    future = self._senders().submit(self._send, delivery_id, offset,
                                                    attempts, claim)
                    future.add_done_callback(lambda _: self._wake.set())
                    in_flight[future] = (account_id, endpoint_id)
                    accounts[account_id] += 1
                    endpoints[endpoint_id] += 1
                    took = True
                if not in_flight:
                    if not batch:
                        break
                    continue  # all taken by other workers: look again
                if took and len(in_flight) < SENDERS:
                    continue  # others may be due and free to send: look again
                self._wake.wait()  # an attempt ended, or a commit queued a delivery
            return _seconds_until_next(clock.now())
        finally:
            wait(in_flight)
            db.session.remove()

    def _send(self, delivery_id: str, offset: int, attempts: int, claim: int) -> None:
        state = self._app.extensions["payground"]
        with self._app.app_context():
            try:
                _attempt(delivery_id, offset, attempts, claim, state.clock, state.pepper,
                         self._app.config.get("WEBHOOK_ALLOWED_HOSTS"))
            except BaseException:
                # The attempt is over, its claim held until it lapses: wait_idle must not
                # take it for another process's attempt in flight.
                with self._lock:
                    self._queued.discard(delivery_id)
                raise
            finally:
                db.session.remove()

    def _senders(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(SENDERS, thread_name_prefix="payground-webhook")
        return self._pool


def _unclaimed(wall: int):
    """Nobody is making an attempt: never claimed, or the claim lapsed (its worker died)."""
    return or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < wall)


def _due(wall: int, limit: int, busy_accounts=(), busy_endpoints=()
         ) -> list[tuple[str, int, int, str, str]]:
    """(id, account clock offset, attempts so far, account, endpoint) of deliveries due now,
    oldest first, but none for ``busy_accounts`` or ``busy_endpoints``."""
    query = (
        select(WebhookDelivery.id, Account.clock_offset, WebhookDelivery.attempts,
               WebhookDelivery.account_id, WebhookDelivery.endpoint_id)
        .join(Account, Account.id == WebhookDelivery.account_id)
        .where(WebhookDelivery.status == "pending",
               WebhookDelivery.next_attempt_at <= wall + Account.clock_offset,
               _unclaimed(wall))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit))
    if busy_accounts:
        query = query.where(WebhookDelivery.account_id.not_in(busy_accounts))
    if busy_endpoints:
        query = query.where(WebhookDelivery.endpoint_id.not_in(busy_endpoints))
    rows = db.session.execute(query).all()
    db.session.commit()
    return [(delivery_id, offset or 0, attempts, account_id, endpoint_id)
            for delivery_id, offset, attempts, account_id, endpoint_id in rows]


def _claim(delivery_id: str, attempts: int, wall: int) -> int | None:
    """Take the attempt after ``attempts`` for this worker, if nobody has made it since the
    delivery was found due; returns the claim (its ``claimed_until``), or None.

    ``attempts`` is the version: another worker that found the same row in its own batch,
    after this one's attempt failed and set the next retry, would otherwise send it again at
    once. The claim's value is unique to it (a later claim can only start after it lapsed),
    so the result is written only ``WHERE claimed_until`` still equals it.
    """
    claim = wall + CLAIM_SECONDS
    claimed = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
               WebhookDelivery.attempts == attempts, _unclaimed(wall))
        .values(claimed_until=claim)
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.commit()
    return claim if claimed else None


def _attempt(delivery_id: str, offset: int, attempts: int, claim: int, clock,
             pepper: str, allowed=None) -> None:
    """Make the attempt after ``attempts`` (claimed as ``claim``) and write its result."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    now = clock.now(offset)
    if endpoint is None or endpoint.deleted or endpoint.status != "enabled":
        # Deleting an endpoint fails what was waiting for it (an attempt claimed just before
        # comes back here); a retry that comes due while its endpoint is disabled fails here,
        # for good, as on Stripe. Nothing was sent: no attempt is counted.
        gone = endpoint is None or endpoint.deleted
        _finish(delivery, claim, now, status="failed", sent=False,
                error="endpoint deleted" if gone else "endpoint disabled")
        return
    event = db.session.get(Event, delivery.event_id)
    if event is None:  # cannot happen (events are never deleted); never retry it forever
        _finish(delivery, claim, now, status="failed", error="event not found")
        return
    if endpoint.application is not None and _disconnected(event, endpoint.application,
                                                          delivery.connection_id):
        # Queued while the account was connected, due after it disconnected: the platform's
        # access to its data has ended, so it is not sent (and never will be), even if the
        # account has connected again since (a new grant, from its own approval on).
        _finish(delivery, claim, now, status="failed", sent=False,
                error="account disconnected")
        return
    # A Connect endpoint is the platform's: its events name the connected account.
    body = render_event(event, endpoint.api_version,
                        shown_to_platform=endpoint.application is not None)
    url, livemode = endpoint.url, delivery.livemode
    secrets = signing_secrets(endpoint, pepper, now)
    db.session.commit()  # no transaction held while waiting for the receiver
    status, error = post(url, body, secrets, clock.now(), allowed=allowed)
    made = attempts + 1
    if status is not None and 200 <= status < 300:
        _finish(delivery, claim, now, status="succeeded", response=status)
        return
    delays = RETRY_DELAYS[livemode]
    if made > len(delays):
        _finish(delivery, claim, now, status="failed", response=status, error=error)
        return
    _finish(delivery, claim, now, status="pending", response=status, error=error,
            next_attempt_at=now + delays[made - 1])


def _disconnected(event: Event, application: str, connection_id: str | None) -> bool:
    """Whether the connection ``event`` was queued under (``connection_id``) has ended;
    for a delivery queued before deliveries named it, whether ``event``'s account is
    connected to the Connect endpoint's ``application`` at all. Its
    ``account.application.*`` events are sent regardless (they say so)."""
    from ..models.oauth import OAuthConnection
    from .connections import active_connection

    if event.type.startswith("account.application."):
        return False
    if connection_id is not None:
        connection = db.session.get(OAuthConnection, connection_id)
        return connection is None or connection.revoked_at is not None
    return active_connection(application, event.account_id) is None


def _finish(delivery: WebhookDelivery, claim: int, now: int, *, status: str,
            response: int | None = None, error: str | None = None,
            next_attempt_at: int | None = None, sent: bool = True) -> None:
    """Write an attempt's result (counting it, if ``sent``) while the claim is still this
    attempt's and the delivery still pending: one failed meanwhile, because its endpoint
    was deleted during the attempt, stays failed."""
    values = dict(status=status, claimed_until=None, next_attempt_at=next_attempt_at)
    if sent:
        values.update(attempts=WebhookDelivery.attempts + 1, last_attempt_at=now,
                      last_response_status=response)
    values["last_error"] = error[:200] if error else None
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id, WebhookDelivery.claimed_until == claim,
               WebhookDelivery.status == "pending")
        .values(**values).execution_options(synchronize_session=False))
    db.session.commit()


def render_event(event: Event, api_version: str | None = None, *,
                 shown_to_platform: bool = False) -> bytes:
    """The event as ``GET /v1/events/{id}`` returns it, with ``pending_webhooks`` now and,
    for an endpoint that has one, the endpoint's ``api_version``; for a Connect endpoint
    (``shown_to_platform``) with the connected account's id in ``account``, as a platform
    reading it through its connection sees it.

    Stripe renders what it sends to such an endpoint in that version, and says so in the
    event's ``api_version`` (Stripe.net and stripe-go refuse an event whose version is not
    the one they were built for). Payground has one shape of each object: only the label
    changes (README, "Where Payground differs").
    """
    from ..v1.events import EventOut  # the HTTP layer's schema, imported when first sending

    event.pending_webhooks = undelivered_counts([event.id]).get(event.id, 0)
    event.shown_to_platform = shown_to_platform
    shown = EventOut().dump(event)
    if api_version:
        shown["api_version"] = api_version
    return orjson.dumps(shown, option=orjson.OPT_INDENT_2)


def signing_secrets(endpoint: WebhookEndpoint, pepper: str, now: int) -> list[str]:
    """The endpoint's secret, and the one it replaced while that one's grace period lasts
    (``now`` and the expiry are on the account's clock)."""
    secrets = [endpoint_secret(pepper, endpoint.id, endpoint.secret_generation)]
    expires_at = endpoint.previous_secret_expires_at
    if endpoint.secret_generation and expires_at is not None and now < expires_at:
        secrets.append(endpoint_secret(pepper, endpoint.id, endpoint.secret_generation - 1))
    return secrets


def post(url: str, body: bytes, secrets: list[str], timestamp: int,
         allowed=None) -> tuple[int | None, str | None]:
    """POST ``body`` signed with each of ``secrets``; (status, None) or (None, what went
    wrong). The host's name lookup is given up after ``LOOKUP_TIMEOUT`` seconds (a slow
    resolver holds one sender no longer than that), each connection try after ``TIMEOUT``;
    never longer than ``DEADLINE`` seconds once connected: a receiver that trickles its
    answer is cut off. The answer's body is not read (it means nothing to Stripe).

    :param allowed: the server's ``core.webhooks.AllowedHosts``; ``None`` or empty: anywhere.
        A host that is not a listed name is connected to only at addresses in a listed range.
    """
    import base64
    import http.client

    parts = urlsplit(url)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Accept": "*/*; q=0.5, application/xml",
        "Cache-Control": "no-cache",
        "Stripe-Signature": signature_header(secrets, timestamp, body),
    }
    if parts.username is not None:  # Stripe sends https://user:password@host/ as Basic auth
        # Percent-decoded, as browsers, curl and requests do: "/", "#", "?" or "@" in a
        # password can only be written %2F, %23, %3F, %40 in a URL.
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
    connection = None

    def cut() -> None:
        sock = connection.sock if connection is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    deadline = None
    started = _elapsed_clock()
    try:
        https = parts.scheme == "https"
        # The port given explicitly: http.client would read an IPv6 address's last group
        # as one. The host in its IDNA form, as the DNS knows it.
        host = ascii_host(parts.hostname)
        port = parts.port if parts.port is not None else (443 if https else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection_class = http.client.HTTPSConnection if https else http.client.HTTPConnection
        if allowed and allowed.excludes_name(host, port):
            return None, ("OSError: not sent: PAYGROUND_WEBHOOK_ALLOWED_HOSTS excludes "
                          f"{allowed.shown(host, port)}")
        connection = connection_class(host, port, timeout=TIMEOUT)
        if allowed and not allowed.names_host(host, port):
            connect = _connector(allowed)
        elif allowed and allowed.excluded_networks:  # a listed name, but never where ! says
            connect = _connector(allowed, named=True)
        else:
            connect = _connector()
        connection._create_connection = connect  # what connect() calls
        # Name lookup (LOOKUP_TIMEOUT), then TIMEOUT per address tried.
        connection.connect()
        left = DEADLINE - (_elapsed_clock() - started)
        if left <= 0:
            return None, f"no answer within {DEADLINE} s (connecting took them all)"
        # From here the socket exists: cutting it ends a receiver that trickles its answer.
        deadline = threading.Timer(left, cut)
        deadline.daemon = True
        deadline.start()
        connection.request("POST", path, body=body, headers=headers)
        status = connection.getresponse().status
        return status, None if 200 <= status < 300 else f"HTTP {status}"
    except (OSError, http.client.HTTPException, ValueError) as exc:  # UnicodeError too
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        if deadline is not None:
            deadline.cancel()
        if connection is not None:
            connection.close()


def _connector(allowed=None, named: bool = False):
    """``socket.create_connection`` for ``http.client``, with a bounded name lookup
    (``_lookup``) and, on a shared server, only to resolved addresses ``allowed`` holds
    (``named``: those of a listed name, anywhere but where ``!`` takes out): checked on the
    address actually used, so a name cannot point elsewhere between a check and the
    connection. ``allowed`` None: any address.

    :raises OSError: the lookup failed or took too long, no address of the name is allowed,
        or none of them could be connected to (the last one's error).
    """

    def create_connection(address, timeout=None, source_address=None, **_):
        host, port = address
        failure = None
        for family, kind, proto, _, sockaddr in _lookup(host, port):
            if allowed is not None and not allowed.holds_address(sockaddr[0], port,
                                                                 named=named):
                continue
            sock = socket.socket(family, kind, proto)
            try:
                if timeout is not None:
                    sock.settimeout(timeout)
                sock.connect(sockaddr)
                return sock
            except OSError as error:  # the next address, as create_connection does
                sock.close()
                failure = error
        if failure is not None:
            raise failure
        if allowed is None:
            raise OSError(f"{host} resolves to no address")
        # Which addresses, not said: a participant reads this error, and it would map the
        # server's own network for them (the server's log has nothing either: no secret).
        raise OSError(f"not sent: {allowed.shown(host, port)} resolves to no address that "
                      "PAYGROUND_WEBHOOK_ALLOWED_HOSTS allows")

    return create_connection


class _Lookup:
    """One name lookup, in a thread of its own; attempts that need the same name meanwhile
    wait for it instead of starting another."""

    def __init__(self) -> None:
        self.answered = threading.Event()
        self.outcome: list | Exception | None = None


_lookups: dict[tuple[str, int], _Lookup] = {}  # the lookups whose thread still runs
_lookups_lock = threading.Lock()


def _lookup(host: str, port: int) -> list:
    """``getaddrinfo`` for a TCP connection to ``host``, given up after ``LOOKUP_TIMEOUT``
    seconds. The lookup itself cannot be stopped: its thread ends when the resolver gives
    up on its own, and no sender waits for it meanwhile. One thread per name at a time, and
    at most ``MAX_LOOKUPS`` in all: a slow name with many deliveries waiting, or a name
    server that never answers, cannot pile threads up.

    :raises OSError: the name is not known (``gaierror``), no answer came in time, or too
        many lookups are still unanswered.
    """
    key = (host, port)
    with _lookups_lock:
        lookup = _lookups.get(key)
        if lookup is None:
            if len(_lookups) >= MAX_LOOKUPS:
                raise OSError(f"not looked up: {host} waits behind {len(_lookups)} name "
                              "lookups still unanswered (is the name server down?)")
            lookup = _lookups[key] = _Lookup()
            threading.Thread(target=_look_up, args=(key, lookup),
                             name="payground-webhook-lookup", daemon=True).start()
    if not lookup.answered.wait(LOOKUP_TIMEOUT):
        raise TimeoutError(f"looking up {host} took more than {LOOKUP_TIMEOUT} s")
    if isinstance(lookup.outcome, Exception):
        raise lookup.outcome
    return lookup.outcome


def _look_up(key: tuple[str, int], lookup: _Lookup) -> None:
    host, port = key
    try:
        lookup.outcome = _getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except Exception as error:  # noqa: BLE001 - raised in the senders' threads
        lookup.outcome = error
    with _lookups_lock:  # the next attempt looks the name up afresh
        if _lookups.get(key) is lookup:
            del _lookups[key]
    lookup.answered.set()


def _seconds_until_next(wall: int) -> float | None:
    """Seconds until some pending delivery can be claimed: its retry is due (wall time) or,
    if another worker holds it, its claim lapses (that worker may have died)."""
    free = _unclaimed(wall)
    due_wall = db.session.execute(
        select(func.min(WebhookDelivery.next_attempt_at - Account.clock_offset))
        .join(Account, Account.id == WebhookDelivery.account_id)
        .where(WebhookDelivery.status == "pending", free)).scalar()
    lapses = db.session.execute(
        select(func.min(WebhookDelivery.claimed_until))
        .where(WebhookDelivery.status == "pending", ~free)).scalar()
    db.session.commit()
    times = [t for t in (due_wall, lapses) if t is not None]
    if not times:
        return None
    return float(max(1, min(times) - wall))


def wake_after_commit(session) -> None:
    """``after_commit`` listener (``app.py``): wake the sender if this commit asked for it."""
    queued = session.info.pop(SEND_AFTER_COMMIT, None)
    if queued is None:
        return
    from flask import current_app, has_app_context

    if has_app_context():
        current_app.extensions["payground"].webhooks.wake(queued)


def forget_after_rollback(session) -> None:
    """``after_rollback`` listener: deliveries rolled back were never queued."""
    session.info.pop(SEND_AFTER_COMMIT, None)
