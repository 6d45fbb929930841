"""Sending queued webhook deliveries: signed POSTs from background threads in each process.

``services.webhooks.queue_deliveries`` writes a ``webhook_deliveries`` row in the event's
transaction; after the commit the process's :class:`Dispatcher` wakes and sends every
delivery that is due, on any account. Each attempt is a POST of the event (as
``GET /v1/events/{id}`` shows it) with Stripe's headers and ``Stripe-Signature``. A 2xx
answer is a success; anything else (another status, a redirect, a refused connection, no
answer in ``TIMEOUT`` seconds) is retried on the account's clock after ``RETRY_DELAYS``, so
``payground clock advance`` brings a retry forward. Several workers may share the queue:
an attempt is claimed with a conditional UPDATE first, so only one of them sends it.

One thread per process finds what is due and hands each attempt to one of ``SENDERS``
sender threads, so a slow or unreachable endpoint delays only its own deliveries. The
threads start on the first wake-up in a process (never at import, and a forked worker starts
its own) and sleep while nothing is due: an idle server never touches the database for
webhooks.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from urllib.parse import urlsplit

import orjson
from sqlalchemy import func, or_, select, update

from ..core.webhooks import endpoint_secret, signature_header
from ..models.account import Account
from ..models.base import db
from ..models.event import Event
from ..models.webhook import WebhookDelivery, WebhookEndpoint
from .webhooks import SEND_AFTER_COMMIT, pending_counts

log = logging.getLogger("payground")

# Seconds (account clock) to wait after each failed attempt before the next. Stripe retries
# "three times over a few hours" in test mode and for up to three days in live mode.
RETRY_DELAYS = {
    False: (5 * 60, 30 * 60, 2 * 3600),
    True: (5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600, 12 * 3600, 12 * 3600,
           20 * 3600),
}
TIMEOUT = 10  # seconds to connect and to wait for the answer
CLAIM_SECONDS = 60  # an attempt claimed by a worker that died is taken over after this
SENDERS = 8  # attempts in flight at once, per process
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


class Dispatcher:
    """One app's sender: :meth:`wake` after a commit that queued deliveries (or after the
    clock moved); the thread sends what is due, then sleeps until the next retry is due."""

    def __init__(self, app) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._idle = threading.Event()  # set while nothing is due: see wait_idle
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False

    def wake(self) -> None:
        with self._lock:
            if self._closed:
                return
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._pool = None  # a forked child has the parent's pool, without its threads
                self._wake = threading.Event()
                self._thread = threading.Thread(target=self._run, name="payground-webhooks",
                                                daemon=True)
                self._thread.start()
            self._idle.clear()
            self._wake.set()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until every delivery due now has been attempted (those queued by commits
        before this call included); False if ``timeout`` seconds passed first.

        For tests: ``create a charge; wait_idle(); look at what the receiver got``.
        """
        return self._idle.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread (after the attempt it is making, if any)."""
        with self._lock:
            self._closed = True
            thread = self._thread if self._pid == os.getpid() else None
            self._wake.set()
            self._idle.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
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
        that takes its ten seconds to time out holds up no one else's events. Attempts are
        claimed here, at most as many as there are free senders: a claim never waits in a
        queue long enough to lapse.
        """
        clock = self._app.extensions["payground"].clock
        in_flight: set[Future] = set()
        try:
            while not self._closed:
                room = SENDERS - len(in_flight)
                batch = _due(clock.now(), room) if room else []
                for delivery_id, offset, attempts in batch:
                    if _claim(delivery_id, attempts, clock.now()):
                        in_flight.add(self._senders().submit(self._send, delivery_id, offset))
                if not in_flight:
                    if not batch:
                        break
                    continue  # all taken by other workers: look again
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    if future.exception() is not None:  # the claim lapses; retried after it
                        log.error("webhook attempt failed", exc_info=future.exception())
            return _seconds_until_next(clock.now())
        finally:
            wait(in_flight)
            db.session.remove()

    def _send(self, delivery_id: str, offset: int) -> None:
        state = self._app.extensions["payground"]
        with self._app.app_context():
            try:
                _attempt(delivery_id, offset, state.clock, state.pepper)
            finally:
                db.session.remove()

    def _senders(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(SENDERS, thread_name_prefix="payground-webhook")
        return self._pool


def _due(wall: int, limit: int) -> list[tuple[str, int, int]]:
    """(id, account clock offset, attempts so far) of deliveries due now, oldest first."""
    rows = db.session.execute(
        select(WebhookDelivery.id, Account.clock_offset, WebhookDelivery.attempts)
        .join(Account, Account.id == WebhookDelivery.account_id)
        .where(WebhookDelivery.status == "pending",
               WebhookDelivery.next_attempt_at <= wall + Account.clock_offset,
               or_(WebhookDelivery.claimed_until.is_(None),
                   WebhookDelivery.claimed_until < wall))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)).all()
    db.session.commit()
    return [(delivery_id, offset or 0, attempts) for delivery_id, offset, attempts in rows]


def _claim(delivery_id: str, attempts: int, wall: int) -> bool:
    """Take the attempt after ``attempts`` for this worker, if nobody has made it since the
    delivery was found due. ``attempts`` is the version: another worker that found the same
    row in its own batch, after this one's attempt failed and set the next retry, would
    otherwise send it again at once."""
    claimed = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "pending",
               WebhookDelivery.attempts == attempts,
               or_(WebhookDelivery.claimed_until.is_(None),
                   WebhookDelivery.claimed_until < wall))
        .values(claimed_until=wall + CLAIM_SECONDS)
        .execution_options(synchronize_session=False)).rowcount == 1
    db.session.commit()
    return claimed


def _attempt(delivery_id: str, offset: int, clock, pepper: str) -> None:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    now = clock.now(offset)
    if endpoint is None or endpoint.deleted or endpoint.status != "enabled":
        # Disabling an endpoint stops what was waiting for it; enabling it again does not
        # send the past (as Stripe). Deleting it already failed its waiting deliveries; one
        # being attempted meanwhile comes back here.
        gone = endpoint is None or endpoint.deleted
        _finish(delivery, now, status="failed",
                error="endpoint deleted" if gone else "endpoint disabled")
        return
    event = db.session.get(Event, delivery.event_id)
    if event is None:  # cannot happen (events are never deleted); never retry it forever
        _finish(delivery, now, status="failed", error="event not found")
        return
    body = render_event(event)
    db.session.commit()  # no transaction held while waiting for the receiver
    status, error = post(endpoint.url, body, signing_secrets(endpoint, pepper, now),
                         clock.now())
    delivery = db.session.get(WebhookDelivery, delivery_id)
    delivery.attempts += 1
    if status is not None and 200 <= status < 300:
        _finish(delivery, now, status="succeeded", response=status)
        return
    delays = RETRY_DELAYS[delivery.livemode]
    if delivery.attempts > len(delays):
        _finish(delivery, now, status="failed", response=status, error=error)
        return
    delivery.next_attempt_at = now + delays[delivery.attempts - 1]
    _finish(delivery, now, status="pending", response=status, error=error)


def _finish(delivery: WebhookDelivery, now: int, *, status: str, response: int | None = None,
            error: str | None = None) -> None:
    delivery.status = status
    delivery.claimed_until = None
    delivery.last_attempt_at = now
    delivery.last_response_status = response
    delivery.last_error = error[:200] if error else None
    if status != "pending":
        delivery.next_attempt_at = None
    db.session.commit()


def render_event(event: Event) -> bytes:
    """The event as ``GET /v1/events/{id}`` returns it, with ``pending_webhooks`` now."""
    from ..v1.events import EventOut  # the HTTP layer's schema, imported when first sending

    event.pending_webhooks = pending_counts([event.id]).get(event.id, 0)
    return orjson.dumps(EventOut().dump(event), option=orjson.OPT_INDENT_2)


def signing_secrets(endpoint: WebhookEndpoint, pepper: str, now: int) -> list[str]:
    """The endpoint's secret, and the one it replaced while that one's grace period lasts
    (``now`` and the expiry are on the account's clock)."""
    secrets = [endpoint_secret(pepper, endpoint.id, endpoint.secret_generation)]
    expires_at = endpoint.previous_secret_expires_at
    if endpoint.secret_generation and expires_at is not None and now < expires_at:
        secrets.append(endpoint_secret(pepper, endpoint.id, endpoint.secret_generation - 1))
    return secrets


def post(url: str, body: bytes, secrets: list[str],
         timestamp: int) -> tuple[int | None, str | None]:
    """POST ``body`` signed with each of ``secrets``; (status, None) or (None, what went
    wrong)."""
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
        credentials = f"{parts.username}:{parts.password or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
    connection_class = (http.client.HTTPSConnection if parts.scheme == "https"
                        else http.client.HTTPConnection)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = connection_class(parts.hostname, parts.port, timeout=TIMEOUT)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65536)  # the answer's body means nothing to Stripe
        return response.status, None if 200 <= response.status < 300 else (
            f"HTTP {response.status}")
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"
    finally:
        connection.close()


def _seconds_until_next(wall: int) -> float | None:
    due_wall = db.session.execute(
        select(func.min(WebhookDelivery.next_attempt_at - Account.clock_offset))
        .join(Account, Account.id == WebhookDelivery.account_id)
        .where(WebhookDelivery.status == "pending")).scalar()
    db.session.commit()
    if due_wall is None:
        return None
    return float(max(1, due_wall - wall))


def wake_after_commit(session) -> None:
    """``after_commit`` listener (``app.py``): wake the sender if this commit asked for it."""
    if not session.info.pop(SEND_AFTER_COMMIT, False):
        return
    from flask import current_app, has_app_context

    if has_app_context():
        current_app.extensions["payground"].webhooks.wake()


def forget_after_rollback(session) -> None:
    """``after_rollback`` listener: deliveries rolled back were never queued."""
    session.info.pop(SEND_AFTER_COMMIT, None)
