"""Events: ``emit`` records what just happened to an object; list and retrieve read them back.

Emitting an event (from any service, in the same transaction as the change)::

    from . import events

    charge.status = "succeeded"
    events.emit(account, livemode, now, "charge.succeeded", charge)
    db.session.commit()          # the caller commits: the event lands with the change or not at all

    events.emit(account, livemode, now, "customer.updated", customer,
                previous_attributes={"email": "old@example.com"})

``data.object`` is the object exactly as the API would return it at that moment (its output
schema's dump), frozen in the row: later changes never alter an event already stored.

Registering a new resource's output schema (one line, anywhere imported at start-up, e.g.
right under the schema in its ``v1/<resource>.py``)::

    events.register_schema("payout", PayoutOut)                        # a class, or
    events.register_schema("payout", "..v1.payouts:PayoutOut")         # a lazy import path

The key is the model's ``object`` (``Payout.object``); a lazy path is resolved relative to
``payground.services`` on first use, so services need not import the HTTP layer at import
time. The schema is instantiated with no arguments and must be able to dump the model
instance outside a request (``emit`` also runs from the CLI and catch-up code).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import orjson
from marshmallow import Schema
from sqlalchemy import or_

from ..core.keys import scrub
from ..models.base import db
from ..models.direct import Writes, execute, insert_statement
from ..models.event import Event
from . import webhooks
from .common import Page, get_scoped, like_literal, new_object_id, paginate

# The API version events are rendered with (that of the stripe SDKs Payground is tested with).
API_VERSION = "2026-10-28.endive"

# object name -> output schema class, or "module:Class" relative to this package (lazy).
_SCHEMAS: dict[str, type[Schema] | str] = {
    "customer": "..v1.customers:CustomerOut",
    "charge": "..v1.charges:ChargeOut",
    "refund": "..v1.refunds:RefundOut",
    # A platform's Connect application, as account.application.* events show it.
    "connect_application": "..v1.events:ApplicationOut",
}
_INSERT = insert_statement(Event.__table__)

# object name -> compiled dump of one instance of its schema (filled on first use).
_DUMPERS: dict[str, Any] = {}


def register_schema(object_name: str, schema: type[Schema] | str) -> None:
    """Use ``schema`` to snapshot objects whose ``object`` is ``object_name`` in events."""
    _SCHEMAS[object_name] = schema
    _DUMPERS.pop(object_name, None)


def emit(account, livemode: bool, now: int, type: str, obj: Any,
         previous_attributes: dict | None = None, *, flush: bool = True,
         writes: Writes | None = None, application: str | None = None) -> None:
    """Write a ``type`` event about ``obj`` (as it is now) in the caller's transaction.

    The row is INSERTed at once on the session's connection; the caller commits (or rolls
    back, and the event goes with the change).

    :param now: the account's clock (``clock.for_account(account)``), the event's ``created``.
    :param previous_attributes: for ``*.updated`` events, the changed fields' old values.
    :param flush: False when the caller has set every column the snapshot shows on ``obj``
        itself (no relationship-only foreign keys, no column defaults): saves a flush.
    :param writes: queue the row there instead (the caller runs it); implies ``flush=False``.
    :param application: send the event to this Connect application's endpoints only (not
        to the account's own, nor to other platforms'): ``account.application.*``.
    """
    # Ids filled from relationships (charge.balance_transaction -> balance_transaction_id)
    # and column defaults only exist after a flush; the snapshot must show them.
    if flush and writes is None:
        db.session.flush()
    data: dict[str, Any] = {"object": snapshot(obj)}
    if previous_attributes is not None:
        data["previous_attributes"] = _scrubbed(previous_attributes)
    request_id, idempotency_key = _current_request()
    # A plain INSERT on the session's connection, in the caller's transaction (like ledger
    # postings): nobody reads the event back in this transaction through the ORM, so an ORM
    # object would only add its construction and a unit of work to the caller's flush.
    row = {"id": new_object_id(Event), "account_id": account.id, "livemode": livemode,
           "created": now, "type": type, "api_version": API_VERSION, "data": data,
           "request_id": request_id, "idempotency_key": idempotency_key}
    if writes is not None:
        writes.add(_INSERT, row)
    else:
        execute(db.session.connection(), _INSERT, [row])
    # Nothing without endpoints (the account's own, or its platforms' Connect endpoints).
    webhooks.queue_deliveries(account, livemode, row, writes, application=application)


def emit_changes(account, livemode: bool, now: int, type: str, obj: Any,
                 before: dict) -> None:
    """Emit ``type`` (an ``*.updated`` event) if ``obj`` differs from ``before``.

    ``before`` is ``snapshot(obj)`` taken before the change; like Stripe, an update that
    changes nothing emits nothing, and ``previous_attributes`` holds only what changed.
    """
    db.session.flush()
    previous = _previous_attributes(before, snapshot(obj))
    if previous:
        emit(account, livemode, now, type, obj, previous_attributes=previous)


def snapshot(obj: Any) -> dict:
    """``obj`` as the API returns it, with anything key-shaped masked (events are stored)."""
    data = _dumper_for(obj.object)(obj)
    # One C-speed pass tells whether anything could be key-shaped (every key has "_test_" or
    # "_live_" in it); walking the whole snapshot is only needed then.
    text = orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS)
    return _scrubbed(data) if b"_test_" in text or b"_live_" in text else data


def get_event(account, livemode: bool, event_id: str) -> Event:
    """The event ``event_id`` of this account and mode (404 otherwise)."""
    event = get_scoped(Event, account, livemode, event_id)
    _count_pending_webhooks([event])
    return event


def list_events(account, livemode: bool, clock, params: dict[str, Any], url: str) -> Page:
    """Events newest first, filtered by ``type`` (``charge.*``), ``types``, ``created`` and
    ``delivery_success``.

    What has come due on the account's clock is carried out first (``ledger.catch_up``: one
    indexed read when nothing is), so its events (``charge.expired``, ``payout.paid``,
    ``balance.available`` ...) are listed without another read having to notice it first.
    """
    from . import ledger  # ledger emits events through this module

    ledger.catch_up(account, livemode, clock)
    filters: tuple = ()
    if params.get("type"):
        filters += (_type_matches(params["type"]),)
    if params.get("types"):
        filters += (or_(*(_type_matches(t) for t in params["types"])),)
    if params.get("delivery_success") is not None:
        # Stripe: false lists the events still pending or failed at some endpoint; true, the
        # others (every endpoint answered 2xx, or none wanted the event).
        undelivered = webhooks.undelivered(Event.id)
        filters += (~undelivered if params["delivery_success"] else undelivered,)
    page = paginate(Event, account, livemode, params, url, filters)
    _count_pending_webhooks(page.items)
    return page


def _count_pending_webhooks(shown: list[Event]) -> None:
    """Set ``pending_webhooks`` on the events shown.

    Asked even of an account without endpoints now: deliveries that failed before its last
    endpoint was deleted still count (one indexed query per page, none for an empty page).
    """
    counts = webhooks.undelivered_counts([event.id for event in shown])
    for event in shown:
        event.pending_webhooks = counts.get(event.id, 0)


def _type_matches(pattern: str):
    # Stripe's only wildcard is "*"; escape LIKE's own metacharacters so "_" is literal.
    if "*" not in pattern:
        return Event.type == pattern
    return Event.type.like(like_literal(pattern).replace("*", "%"), escape="\\")


def _dumper_for(object_name: str):
    """The compiled dump of ``object_name``'s schema (one shared instance, built on first use)."""
    dumper = _DUMPERS.get(object_name)
    if dumper is None:
        # Imported here: the HTTP layer imports services, not the other way round at start-up.
        from ..http.schemas import dumper_for

        dumper = _DUMPERS[object_name] = dumper_for(_schema_for(object_name))
    return dumper


def _schema_for(object_name: str) -> type[Schema]:
    schema = _SCHEMAS.get(object_name)
    if schema is None:
        raise LookupError(f"No event schema registered for {object_name!r}: call "
                          f"services.events.register_schema({object_name!r}, <Schema>).")
    if isinstance(schema, str):
        module, _, name = schema.partition(":")
        schema = getattr(importlib.import_module(module, __package__), name)
        _SCHEMAS[object_name] = schema
    _DUMPERS.pop(object_name, None)
    return schema


def no_request() -> tuple[str | None, str | None]:
    return None, None


# Where an event's ``request`` comes from: ``(request id, Idempotency-Key)`` of the request
# being served. The HTTP layer plugs itself in (``http.context.current_request``) when the app
# is built, so this module stays free of Flask; the CLI and tests without a request get nulls.
current_request_source: Callable[[], tuple[str | None, str | None]] = no_request


# Set while a request that is not the one being served makes events (a leak drill's bots),
# or while the clock does (nobody's request).
_acting_request: ContextVar[tuple[str | None, None] | None] = ContextVar("acting_request",
                                                                         default=None)


@contextmanager
def acting_request(request_id: str) -> Iterator[None]:
    """Events made inside name ``request_id`` (with no idempotency key), not the request
    being served: the bots' charges are their own requests, not the GET that wrote them."""
    token = _acting_request.set((request_id, None))
    try:
        yield
    finally:
        _acting_request.reset(token)


@contextmanager
def by_the_clock() -> Iterator[None]:
    """Events made inside happened because time passed (funds available, a payout paid):
    like Stripe's, their ``request`` is ``{id: null, idempotency_key: null}``, not that of
    the request that happened to notice it (its Idempotency-Key would be a lie)."""
    token = _acting_request.set((None, None))
    try:
        yield
    finally:
        _acting_request.reset(token)


# Events made inside follow what a customer did on a Payground page (3-D Secure), not an API
# request: like Stripe's, their ``request`` is null too.
by_the_customer = by_the_clock


def _current_request() -> tuple[str | None, str | None]:
    request_id, key = _acting_request.get() or current_request_source()
    return request_id, scrub(key)[:255] if key else None


def _previous_attributes(before: dict, after: dict) -> dict:
    """The old values of what changed; in a hash, at any depth (metadata, a payment method's
    ``billing_details[address]``), only the keys that changed (``null`` for one added), as
    Stripe's; an array that changed is given whole, as since Stripe's 2017-05-25."""
    previous: dict[str, Any] = {}
    for name in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        both_hashes = isinstance(old, dict) and isinstance(new, dict)
        previous[name] = _previous_attributes(old, new) if both_hashes else old
    return previous


def _scrubbed(value: Any) -> Any:
    """A copy of ``value`` with key-shaped strings masked."""
    kind = type(value)  # exact types first: snapshots are plain JSON values
    if kind is str or isinstance(value, str):
        # Every key has "_test_" or "_live_" in it: most strings need no regex at all.
        return scrub(value) if "_test_" in value or "_live_" in value else value
    if kind is dict or isinstance(value, dict):
        return {k: _scrubbed(v) for k, v in value.items()}
    if kind is list or isinstance(value, list):
        return [_scrubbed(v) for v in value]
    return value
