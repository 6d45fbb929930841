"""Refunds: create (never more than what is left of the charge), retrieve, update, list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from .. import messages
from ..core import money
from ..errors import InvalidRequestError
from ..models.base import db
from ..models.account import Account
from ..models.charge import Charge
from ..models.payment_intent import PaymentIntent
from ..models.refund import Refund
from . import charge_expiry, events, intent_sync, ledger
from .common import (Page, clean_metadata, get_scoped, get_scoped_child, merge_metadata,
                     new_object_id, paginate)

EMBEDDED_REFUNDS = 10  # how many refunds a charge's expanded ``refunds`` list holds


def create_refund(account, livemode: bool, clock, params: dict[str, Any]) -> Refund:
    """Refund all or part of a charge.

    The charge row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite write requests
    hold the write lock from their first statement) in the same transaction as the insert,
    so concurrent refunds can never add up to more than the charge.

    What has come due on the account's clock is carried out first (``ledger.catch_up``).

    Refunding an uncaptured charge releases the authorisation: only the full amount is
    allowed, the refund has no balance transaction, and the charge becomes ``refunded``.

    :raises InvalidRequestError: ``charge_already_refunded`` (an authorisation that expired
        too), an amount greater than what is left, a partial refund of an uncaptured charge,
        or a failed charge.
    """
    # First what came due: a refund comes out of the bucket the charge's money is in *now*,
    # and a settlement nobody noticed yet must not be merged with it (its balance.available
    # would be lost when the refund is larger than the charge's net).
    ledger.catch_up(account, livemode, clock)
    charge_id = _charge_id(account, livemode, params)
    intent_sync.lock_intent_of(account, livemode, charge_id)
    charge = get_scoped(Charge, account, livemode, charge_id,
                        param="charge" if "charge" in params else "payment_intent",
                        for_update=True)
    if charge.status == "failed":
        raise InvalidRequestError(messages.CHARGE_FAILED_CANNOT.format(id=charge.id,
                                                                      action="refunded"),
                                  param="charge")
    now = clock.for_account(account)
    if charge_expiry.is_due(charge, now):  # released already: nothing is left to refund
        charge_expiry.release(account, livemode, now, charge)
        db.session.commit()  # it has expired, whatever becomes of this request
    remaining = charge.amount - charge.amount_refunded
    if remaining <= 0:
        raise InvalidRequestError(messages.CHARGE_ALREADY_REFUNDED.format(id=charge.id),
                                  code="charge_already_refunded")
    amount = params.get("amount", remaining)
    if amount > remaining:
        # Stripe names the charge's amount until part of it has been refunded (or released).
        message = (messages.REFUND_TOO_LARGE_AFTER_REFUNDS if charge.amount_refunded
                   else messages.REFUND_TOO_LARGE)
        raise InvalidRequestError(message.format(
            amount=money.format_amount(amount, charge.currency),
            remaining=money.format_amount(remaining, charge.currency)), param="amount")
    if not charge.captured and amount != charge.amount:
        raise InvalidRequestError(messages.REFUND_UNCAPTURED_PARTIAL, param="amount")
    before = events.snapshot(charge)
    refund = Refund(id=new_object_id(Refund), account_id=account.id, livemode=livemode,
                    created=now, charge=charge, amount=amount, currency=charge.currency,
                    reason=params.get("reason"), status="succeeded",
                    metadata_=clean_metadata(params.get("metadata")))
    if charge.captured:
        # A debit posted to the ledger; the original fee is not returned (as with Stripe).
        refund.balance_transaction = ledger.refund_transaction(refund, charge, now)
    charge.amount_refunded += amount
    charge.refunded = charge.amount_refunded == charge.amount
    if not charge.captured:
        intent_sync.follow_release(account, livemode, now, charge)
    db.session.add(refund)
    events.emit_changes(account, livemode, now, "charge.refunded", charge, before)
    events.emit(account, livemode, now, "refund.created", refund)
    db.session.commit()
    return refund


def _charge_id(account, livemode: bool, params: dict[str, Any]) -> str:
    """The charge to refund: ``charge``, or the latest charge of ``payment_intent``."""
    if "charge" in params:
        return params["charge"]
    intent = get_scoped(PaymentIntent, account, livemode, params["payment_intent"],
                        param="payment_intent")
    if intent.latest_charge_id is None:
        raise InvalidRequestError(messages.REFUND_NO_CHARGE.format(id=intent.id),
                                  param="payment_intent")
    return intent.latest_charge_id


def get_refund(account, livemode: bool, refund_id: str) -> Refund:
    """The refund ``refund_id`` of this account and mode (404 otherwise)."""
    return get_scoped(Refund, account, livemode, refund_id)


def update_refund(account, livemode: bool, clock, refund_id: str,
                  params: dict[str, Any]) -> Refund:
    """Change a refund's metadata (the only thing Stripe lets you change)."""
    refund = get_refund(account, livemode, refund_id)
    before = events.snapshot(refund)
    if "metadata" in params:
        refund.metadata_ = merge_metadata(refund.metadata_, params["metadata"])
    now = clock.for_account(account)
    for event_type in ("charge.refund.updated", "refund.updated"):  # Stripe sends both
        events.emit_changes(account, livemode, now, event_type, refund, before)
    db.session.commit()
    return refund


def list_charge_refunds(account, livemode: bool, clock, charge_id: str,
                        params: dict[str, Any], url: str) -> Page:
    """``GET /v1/charges/{id}/refunds``: the charge's refunds, newest first (404 if no such
    charge; an authorisation whose seven days are over is expired first: its refund shows)."""
    charge = get_scoped(Charge, account, livemode, charge_id)
    charge_expiry.catch_up_charges(account, livemode, clock, [charge])
    return paginate(Refund, account, livemode, params, url, (Refund.charge_id == charge.id,))


def get_charge_refund(account, livemode: bool, charge_id: str, refund_id: str) -> Refund:
    """``GET /v1/charges/{charge}/refunds/{id}``: the refund, if it is one of that charge's;
    another charge's is as unknown as a made-up id (404)."""
    charge = get_scoped(Charge, account, livemode, charge_id)
    return get_scoped_child(Refund, account, livemode, refund_id, parent="charge_id",
                            parent_id=charge.id)


def embedded_refunds(charge: Charge) -> Page:
    """A charge's ``refunds`` (``expand[]=refunds``): its 10 newest, as Stripe embeds them;
    the list's ``url`` pages through the rest."""
    account = db.session.get(Account, charge.account_id)  # the caller's: already loaded
    return paginate(Refund, account, charge.livemode, {"limit": EMBEDDED_REFUNDS},
                    f"/v1/charges/{charge.id}/refunds", (Refund.charge_id == charge.id,))


def list_refunds(account, livemode: bool, clock, params: dict[str, Any], url: str) -> Page:
    """Refunds newest first, optionally only those of ``charge`` or ``payment_intent``.

    What has come due is carried out first (``ledger.catch_up``: one indexed read when
    nothing is), so the refund of an authorisation whose seven days are over is listed.

    :raises ResourceMissing: no such charge (as Stripe documents) or PaymentIntent.
    """
    ledger.catch_up(account, livemode, clock)
    filters: tuple = ()
    if params.get("charge"):
        charge = get_scoped(Charge, account, livemode, params["charge"], param="charge")
        filters += (Refund.charge_id == charge.id,)
    if params.get("payment_intent"):
        intent = get_scoped(PaymentIntent, account, livemode, params["payment_intent"],
                            param="payment_intent")
        filters += (Refund.charge_id.in_(select(Charge.id).where(
            Charge.payment_intent_id == intent.id)),)
    return paginate(Refund, account, livemode, params, url, filters)
