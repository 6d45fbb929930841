"""Webhook endpoints (create, retrieve, update, delete, list) and queueing events for them.

An event is queued for an endpoint in the transaction that writes the event (one
``webhook_deliveries`` row per endpoint that wants its type), so a change and the news of it
land together or not at all. ``services.webhook_delivery`` sends the rows after the commit.
Accounts count their endpoints (``accounts.webhook_endpoint_count``, read with the key on
every request): an account without any, like every benchmark account, pays nothing.

A Connect endpoint (``connect=true``, ``application`` set) is a platform's: it is sent the
events of the accounts connected to its application instead of its own account's. Accounts
count their connections too (``accounts.platform_connections``): only a connected account's
events look for such endpoints.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists, func, select, update

from .. import messages
from ..core.webhooks import endpoint_secret, without_credentials
from ..errors import InvalidRequestError, ParameterInvalid, ResourceMissing
from ..models.account import Account
from ..models.base import db
from ..models.direct import Writes, execute, insert_statement
from ..models.webhook import WebhookDelivery, WebhookEndpoint
from . import audit
from .common import Page, clean_metadata, get_scoped, merge_metadata, new_object_id, paginate

# Every event type Payground sends (tests check the services emit no other). Stripe's list is
# far longer; a type Payground never sends is refused rather than silently never delivered.
EVENT_TYPES = (
    "account.application.authorized", "account.application.deauthorized",
    "balance.available",
    "charge.captured", "charge.expired", "charge.failed", "charge.refund.updated",
    "charge.refunded", "charge.succeeded", "charge.updated",
    "customer.created", "customer.deleted", "customer.source.created",
    "customer.source.deleted", "customer.source.updated", "customer.updated",
    "payment_intent.amount_capturable_updated", "payment_intent.canceled",
    "payment_intent.created", "payment_intent.payment_failed", "payment_intent.requires_action",
    "payment_intent.succeeded",
    "payment_method.attached", "payment_method.detached", "payment_method.updated",
    "payout.canceled", "payout.created", "payout.failed", "payout.paid", "payout.updated",
    "refund.created", "refund.updated",
    "setup_intent.canceled", "setup_intent.created", "setup_intent.requires_action",
    "setup_intent.setup_failed", "setup_intent.succeeded",
)
ALL_EVENTS = "*"
# Stripe's limit per account and mode.
MAX_ENDPOINTS = 16

_INSERT_DELIVERY = insert_statement(WebhookDelivery.__table__)


def create_endpoint(account, livemode: bool, clock, params: dict[str, Any], *,
                    pepper: str, allowed=None) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (shown in this response only).

    :param allowed: the server's ``core.webhooks.AllowedHosts`` (``None``: anywhere).
    """
    application = _connect_application(account, livemode) if params.get("connect") else None
    _check_live_url(params["url"], livemode)
    check_allowed_host(params["url"], allowed)
    # Counting first locks the account's row (PostgreSQL) until the commit: two creates at
    # once take turns, so the limit below cannot be passed by racing it.
    _count_endpoints(account, +1)
    existing = db.session.execute(
        select(func.count()).select_from(WebhookEndpoint).where(
            WebhookEndpoint.account_id == account.id, WebhookEndpoint.livemode == livemode,
            WebhookEndpoint.deleted.is_(False))).scalar_one()
    if existing >= MAX_ENDPOINTS:
        db.session.rollback()
        raise InvalidRequestError(messages.WEBHOOK_ENDPOINTS_LIMIT.format(
            max=MAX_ENDPOINTS, mode="live" if livemode else "test"))
    endpoint = WebhookEndpoint(
        id=new_object_id(WebhookEndpoint), account_id=account.id, livemode=livemode,
        created=clock.for_account(account), url=params["url"],
        description=params.get("description"), enabled_events=params["enabled_events"],
        status="enabled", api_version=params.get("api_version"),
        metadata_=clean_metadata(params.get("metadata")), application=application)
    db.session.add(endpoint)
    db.session.commit()
    return endpoint, endpoint_secret(pepper, endpoint.id)


def _connect_application(account, livemode: bool) -> str:
    """The ``client_id`` a Connect endpoint of this mode belongs to (one per account and
    mode, never deleted: the endpoint keeps it).

    :raises ParameterInvalid: the account has no Connect application in this mode.
    """
    from ..models.oauth import ConnectApplication

    client_id = db.session.execute(select(ConnectApplication.id).where(
        ConnectApplication.account_id == account.id,
        ConnectApplication.livemode == livemode)).scalar_one_or_none()
    if client_id is None:
        raise ParameterInvalid(messages.WEBHOOK_CONNECT.format(
            mode="live" if livemode else "test", livemode="true" if livemode else "false"),
            param="connect")
    return client_id


def get_endpoint(account, livemode: bool, endpoint_id: str) -> WebhookEndpoint:
    endpoint = get_scoped(WebhookEndpoint, account, livemode, endpoint_id)
    if endpoint.deleted:  # gone for the API, kept for the deliveries that name it
        raise _no_such(endpoint_id)
    return endpoint


def _no_such(endpoint_id: str) -> ResourceMissing:
    return ResourceMissing(messages.NO_SUCH.format(noun=WebhookEndpoint.noun, id=endpoint_id),
                           param="id")


def update_endpoint(account, livemode: bool, endpoint_id: str, params: dict[str, Any], *,
                    allowed=None) -> WebhookEndpoint:
    """Change the URL, the event types, the description, metadata, or enable/disable it."""
    endpoint = get_endpoint(account, livemode, endpoint_id)
    if "url" in params:
        _check_live_url(params["url"], livemode)
        check_allowed_host(params["url"], allowed)
        endpoint.url = params["url"]
    if "enabled_events" in params:
        endpoint.enabled_events = params["enabled_events"]
    if "description" in params:
        endpoint.description = params["description"] or None
    if "disabled" in params:
        # Retries already waiting are kept: one that comes due while the endpoint is still
        # disabled fails then, for good (services.webhook_delivery); re-enabled before it,
        # it is sent. Stripe: "if you disable and then re-enable a webhook endpoint before
        # Stripe can retry, you can still expect to see future retry attempts."
        endpoint.status = "disabled" if params["disabled"] else "enabled"
    if "metadata" in params:
        endpoint.metadata_ = merge_metadata(endpoint.metadata_, params["metadata"])
    db.session.commit()
    return endpoint


def delete_endpoint(account, livemode: bool, endpoint_id: str) -> WebhookEndpoint:
    """Delete the endpoint: nothing more is sent to it, retries waiting for it included."""
    endpoint = get_endpoint(account, livemode, endpoint_id)
    # Only the request that flips `deleted` counts it: two deletes at once must not both.
    deleted = db.session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint.id, WebhookEndpoint.deleted.is_(False))
        .values(deleted=True).execution_options(synchronize_session=False)).rowcount
    if not deleted:
        db.session.rollback()
        raise _no_such(endpoint_id)
    endpoint.deleted = True
    _stop_waiting_deliveries(endpoint.id, "endpoint deleted")
    _count_endpoints(account, -1)
    db.session.commit()
    return endpoint


def _stop_waiting_deliveries(endpoint_id: str, reason: str) -> None:
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status == "pending")
        .values(status="failed", next_attempt_at=None, last_error=reason)
        .execution_options(synchronize_session=False))


# Stripe lets the old secret sign for up to 24 hours after a roll.
MAX_SECRET_GRACE = 86400


def roll_secret(account, endpoint_id: str, expires_in: int, *, clock, pepper: str,
                source: audit.Source | None = None) -> tuple[WebhookEndpoint, str]:
    """Give the endpoint a new signing secret; the old one signs too for ``expires_in`` more
    seconds (account clock), so receivers can switch without refusing a delivery.

    Deliveries carry a signature per valid secret. Rolling again during a grace period ends
    it at once: only the secret being replaced keeps signing.

    :param source: the request that rolled it and its client's address, for the audit trail.
    """
    if not 0 <= expires_in <= MAX_SECRET_GRACE:
        raise ParameterInvalid(messages.WEBHOOK_ROLL_EXPIRES_IN.format(max=MAX_SECRET_GRACE),
                               param="expires_in", code="parameter_invalid_integer")
    endpoint = db.session.execute(
        select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id,
                                      WebhookEndpoint.account_id == account.id)
        .with_for_update()).scalar_one_or_none()
    if endpoint is None or endpoint.deleted:
        raise _no_such(endpoint_id)
    now = clock.for_account(account)
    endpoint.secret_generation += 1
    endpoint.previous_secret_expires_at = now + expires_in
    audit.record_event("webhook_endpoint.secret_rolled", now=now, account_id=account.id,
                       livemode=endpoint.livemode, source=source,
                       data={"endpoint": endpoint.id, "url": without_credentials(endpoint.url),
                             "previous_secret_expires_at": now + expires_in})
    db.session.commit()
    return endpoint, endpoint_secret(pepper, endpoint.id, endpoint.secret_generation)


def list_endpoints(account, livemode: bool, params: dict[str, Any], url: str) -> Page:
    return paginate(WebhookEndpoint, account, livemode, params, url,
                    (WebhookEndpoint.deleted.is_(False),))


def queue_deliveries(account, livemode: bool, event: dict[str, Any],
                     writes: Writes | None = None, *, application: str | None = None) -> None:
    """Queue ``event`` (its row's values) for every enabled endpoint that wants its type,
    in the caller's transaction (or its ``writes``).

    Those are the account's own endpoints, and the Connect endpoints (``connect=true``) of
    the platforms whose application the account is connected to in ``livemode`` now. With
    ``application`` (``account.application.*``: "sent to the related application only"),
    that application's Connect endpoints only, connected or not any more.
    """
    if application is not None:
        targets = _connect_endpoints(account, livemode, event["created"],
                                     application=application)
    else:
        targets = []
        if getattr(account, "webhook_endpoint_count", 0):
            targets = [(endpoint_id, enabled, account.id, event["created"], None)
                       for endpoint_id, enabled in db.session.execute(
                           select(WebhookEndpoint.id, WebhookEndpoint.enabled_events).where(
                               WebhookEndpoint.account_id == account.id,
                               WebhookEndpoint.livemode == livemode,
                               WebhookEndpoint.status == "enabled",
                               WebhookEndpoint.deleted.is_(False),
                               # A Connect endpoint hears of connected accounts only.
                               WebhookEndpoint.application.is_(None))).all()]
        if getattr(account, "platform_connections", 0):  # connected accounts only pay this
            targets += _connect_endpoints(account, livemode, event["created"])
    rows = [{"id": new_object_id(WebhookDelivery), "account_id": owner,
             "livemode": livemode, "created": created, "event_id": event["id"],
             "endpoint_id": endpoint_id, "event_type": event["type"], "status": "pending",
             "attempts": 0, "next_attempt_at": created, "claimed_until": None,
             "last_attempt_at": None, "last_response_status": None, "last_error": None,
             "connection_id": connection_id}
            for endpoint_id, enabled, owner, created, connection_id in targets
            if ALL_EVENTS in enabled or event["type"] in enabled]
    if not rows:
        return
    if writes is not None:
        writes.add(_INSERT_DELIVERY, rows)
    else:
        execute(db.session.connection(), _INSERT_DELIVERY, rows)
    send_after_commit([row["id"] for row in rows])


def _connect_endpoints(account, livemode: bool, created: int, *,
                       application: str | None = None) -> list[tuple]:
    """(endpoint, its enabled events, its platform, now on the platform's clock, the
    connection) of the enabled Connect endpoints of ``application`` (no connection: sent
    connected or not), or of every application ``account`` is connected to in ``livemode``
    (the connection it is connected by now). ``created``: the event's time, on ``account``'s
    clock.

    A delivery belongs to the endpoint's owner (the platform: its deliveries page, its
    clock for retries, its share of the senders), so its times are on the platform's clock.
    """
    from ..models.oauth import OAuthConnection

    query = (select(WebhookEndpoint.id, WebhookEndpoint.enabled_events,
                    WebhookEndpoint.account_id, Account.clock_offset)
             .join(Account, Account.id == WebhookEndpoint.account_id)
             .where(WebhookEndpoint.livemode == livemode, WebhookEndpoint.status == "enabled",
                    WebhookEndpoint.deleted.is_(False)))
    if application is not None:
        query = query.where(WebhookEndpoint.application == application)
    else:
        query = query.join(OAuthConnection,
                           OAuthConnection.application_id == WebhookEndpoint.application).where(
            OAuthConnection.account_id == account.id, OAuthConnection.livemode == livemode,
            OAuthConnection.revoked_at.is_(None)).add_columns(OAuthConnection.id)
    wall = created - (account.clock_offset or 0)  # ``created`` is on the account's clock
    rows = db.session.execute(query).all()
    return [(endpoint_id, enabled, platform, wall + (offset or 0),
             connection[0] if connection else None)
            for endpoint_id, enabled, platform, offset, *connection in rows]


SEND_AFTER_COMMIT = "payground_send_webhooks"


def send_after_commit(delivery_ids: Iterable[str] = ()) -> None:
    """Have the sender look for due deliveries once the session's transaction commits
    (``webhook_delivery.wake_after_commit``); nothing happens if it rolls back.
    ``delivery_ids``: those this transaction queued (``Dispatcher.wait_idle`` may watch them)."""
    db.session.info.setdefault(SEND_AFTER_COMMIT, set()).update(delivery_ids)


def undelivered_counts(event_ids: list[str]) -> dict[str, int]:
    """How many of each event's deliveries have not succeeded (Stripe's ``pending_webhooks``:
    "webhooks that haven't been successfully delivered"): those still being retried, and
    those whose retries ran out, whose endpoint was deleted, or disabled at a retry. Events with
    none are left out. An event counted here is one ``delivery_success=false`` lists
    (``undelivered``)."""
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(WebhookDelivery.event_id, func.count())
        .where(WebhookDelivery.event_id.in_(event_ids), WebhookDelivery.status != "succeeded")
        .group_by(WebhookDelivery.event_id)).all()
    return dict(rows)


def undelivered(event_id):
    """A condition on ``event_id`` (a column): some endpoint has not had the event yet
    (its delivery is pending) or never will (it failed)."""
    return exists().where(WebhookDelivery.event_id == event_id,
                          WebhookDelivery.status != "succeeded")


# The secret in a saved create response (Idempotency-Key replays) is kept as this marker;
# the replay derives it again (`restore_secret`): nothing stored can sign a delivery.
_WITHHELD = "whsec_(derived again when replayed)"


def withhold_secret(body: str) -> str:
    """A create response about to be saved for replays, without the endpoint's secret.

    Only the top-level field's text is swapped (``_swap_secret``), so the replay, swapping
    it back, is the first answer byte for byte (its JSON formatting and final newline too)."""
    data = json.loads(body)
    if not (isinstance(data, dict) and data.get("object") == "webhook_endpoint"
            and isinstance(data.get("secret"), str)):
        return body  # an error answer: nothing to withhold
    secret = data["secret"]
    withheld = _swap_secret(body, secret, _WITHHELD)
    if withheld is None or secret in withheld:
        # Formatted otherwise (never by Payground), or the secret's text elsewhere too (input
        # refuses it: it cannot be): never keep the secret, even at the cost of the bytes.
        data["secret"] = _WITHHELD
        withheld = json.dumps(data, separators=(",", ":")).replace(secret, _WITHHELD)
    return withheld


def restore_secret(body: str, pepper: str) -> str:
    """A saved create response as first sent: the endpoint's first secret derived again (a
    create answer always shows it, as its replay must)."""
    data = json.loads(body)
    if not (isinstance(data, dict) and data.get("secret") == _WITHHELD):
        return body
    secret = endpoint_secret(pepper, data["id"])
    restored = _swap_secret(body, _WITHHELD, secret)
    if restored is None:  # saved by the fallback above
        data["secret"] = secret
        restored = json.dumps(data, separators=(",", ":"))
    return restored


def _swap_secret(body: str, old: str, new: str) -> str | None:
    """``body`` with its top-level ``"secret":"<old>"`` made ``"secret":"<new>"``, or None.

    The same text can be a metadata entry (``metadata[secret]`` set to the marker): inside
    a string its quotes would be escaped, but as an object's own key and value it reads the
    same. Each occurrence is tried, and the one that changes the top-level field is kept."""
    field, start = _secret_field(old), 0
    while (start := body.find(field, start)) != -1:
        swapped = body[:start] + _secret_field(new) + body[start + len(field):]
        if json.loads(swapped).get("secret") == new:
            return swapped
        start += len(field)
    return None


def _secret_field(secret: str) -> str:
    return '"secret":' + json.dumps(secret)


def _count_endpoints(account, change: int) -> None:
    db.session.execute(update(Account).where(Account.id == account.id).values(
        webhook_endpoint_count=Account.webhook_endpoint_count + change))


def check_allowed_host(url: str, allowed) -> None:
    """On a server whose operator lists where deliveries may go (``WEBHOOK_ALLOWED_HOSTS``),
    a URL elsewhere is refused when it is registered (and checked again when sending)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if allowed and not allowed.may_register(host, port):
        shown = allowed.shown(host[:255], port)
        raise ParameterInvalid(messages.WEBHOOK_URL_NOT_ALLOWED.format(host=shown),
                               code="url_invalid", param="url")


def _check_live_url(url: str, livemode: bool) -> None:
    """Stripe sends live events over HTTPS only; a receiver on this machine is let through
    so that live mode can be practised on a laptop. (Whether the URL can be sent to at all
    is the input schema's check: ``http.schemas.SendableUrl``.)"""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if livemode and parts.scheme != "https" and parts.hostname not in _LOOPBACK:
        raise ParameterInvalid(messages.WEBHOOK_URL_LIVE_HTTPS, code="url_invalid", param="url")


_LOOPBACK = ("localhost", "127.0.0.1", "::1")
