"""A PaymentIntent follows its charge when the charge is captured or released directly.

The PaymentIntents API captures and cancels through the charge (``payment_intents``); the
Charges and Refunds APIs can reach the same uncaptured charge. Done there, the intent moves
with it - captured: ``succeeded``; released by a full refund: ``canceled`` - so it never waits
in ``requires_capture`` for a capture that can no longer happen (Stripe cancels an intent whose
authorisation is released, and an intent is ``succeeded`` once its charge is captured).
"""

from __future__ import annotations

from sqlalchemy import select

from ..models.base import db
from ..models.charge import Charge
from ..models.payment_intent import PaymentIntent
from . import events
from .common import locking


def lock_intent_of(account, livemode: bool, charge_id: str) -> None:
    """Lock the PaymentIntent of charge ``charge_id`` (if it has one) before the charge.

    The PaymentIntents API locks its intent, then the charge; the Charges and Refunds APIs
    call this first so that they take the two rows in the same order - taken the other way,
    a capture racing a cancel deadlocked on PostgreSQL. A no-op when this transaction holds
    the intent already, and for a charge of another account or mode: its rows are not this
    caller's to lock (waiting for them would tell that the charge exists).
    """
    intent_id = db.session.execute(
        select(Charge.payment_intent_id).where(Charge.id == charge_id,
                                               Charge.account_id == account.id,
                                               Charge.livemode == livemode)
    ).scalar_one_or_none()
    if intent_id is not None:
        db.session.execute(locking(select(PaymentIntent.id).where(
            PaymentIntent.id == intent_id, PaymentIntent.account_id == account.id)))


def _waiting_intent(charge: Charge) -> PaymentIntent | None:
    if charge.payment_intent_id is None:
        return None
    intent = db.session.get(PaymentIntent, charge.payment_intent_id)
    # Anything else means the PaymentIntents API is the one moving it (it sets the intent's
    # new status before it captures or releases the charge).
    return intent if intent is not None and intent.status == "requires_capture" else None


def follow_capture(account, livemode: bool, now: int, charge: Charge, amount: int) -> None:
    """``charge`` was captured for ``amount``: its waiting intent has succeeded."""
    intent = _waiting_intent(charge)
    if intent is not None:
        intent.status, intent.amount_received, intent.amount_capturable = "succeeded", amount, 0
        events.emit(account, livemode, now, "payment_intent.succeeded", intent)


def follow_release(account, livemode: bool, now: int, charge: Charge, *,
                   expired_at: int | None = None) -> None:
    """``charge``'s authorisation was released (refunded uncaptured, or expired at
    ``expired_at``): its intent is canceled (by Stripe itself, ``automatic``, if it expired)."""
    intent = _waiting_intent(charge)
    if intent is not None:
        intent.status, intent.amount_capturable = "canceled", 0
        intent.canceled_at = now if expired_at is None else expired_at
        if expired_at is not None:
            intent.cancellation_reason = "automatic"
        events.emit(account, livemode, now, "payment_intent.canceled", intent)
