"""Uncaptured charges expire seven days after they were made, on the account's clock.

Stripe: "Uncaptured payments expire exactly seven days after they are created. If they are
not captured by that point in time, they will be marked as refunded and will no longer be
capturable." The charge becomes ``refunded`` (``amount_refunded`` = ``amount``, still
``captured: false``) with a refund whose ``reason`` is ``expired_uncaptured_charge``; its
PaymentIntent, if it waited in ``requires_capture``, is ``canceled`` with
``cancellation_reason: automatic``. Capturing it afterwards is Stripe's
``charge_expired_for_capture``.

Nothing runs in the background. An uncaptured charge puts a row in ``ledger_schedule``, and
the ledger's catch-up (a clock advance, a balance read ...) expires it when it comes due;
reading, capturing or refunding the charge (or reading, updating, confirming, capturing or
canceling its PaymentIntent) expires it first when its time is up, so an answer never shows an
authorisation that is over.
"""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import write_transactions
from ..models.base import db
from ..models.charge import Charge
from ..models.payment_intent import PaymentIntent
from ..models.refund import Refund
from . import events, intent_sync
from .common import locking, new_object_id

AUTHORIZATION_SECONDS = 7 * 86400
EXPIRE = "charge_expire"  # the ledger_schedule kind (ref: the charge)
EXPIRED_REASON = "expired_uncaptured_charge"  # the refund's reason, Stripe's name for it


def is_due(charge: Charge, now: int) -> bool:
    """Whether ``charge`` is an authorisation whose seven days are over (still to expire)."""
    return (charge.status == "succeeded" and not charge.captured and not charge.refunded
            and charge.created + AUTHORIZATION_SECONDS <= now)


def has_expired(charge: Charge) -> bool:
    """Whether ``charge`` was released by expiring (not by a refund someone asked for)."""
    if charge.captured or not charge.refunded:
        return False
    return db.session.execute(select(Refund.id).where(
        Refund.charge_id == charge.id, Refund.reason == EXPIRED_REASON).limit(1)
    ).first() is not None


def release(account, livemode: bool, now: int, charge: Charge) -> None:
    """Expire ``charge``, which the caller holds locked (its PaymentIntent first, if any).

    Nothing is committed, and the ledger is untouched: an authorisation never moved money.
    The refund is dated when the seven days ended; the events when it was noticed, as the
    catch-up's are, and (made by the clock) without a request.
    """
    expired_at = charge.created + AUTHORIZATION_SECONDS
    refund = Refund(id=new_object_id(Refund), account_id=account.id, livemode=livemode,
                    created=expired_at, charge=charge, amount=charge.amount,
                    currency=charge.currency, reason=EXPIRED_REASON, status="succeeded",
                    metadata_={})
    charge.amount_refunded, charge.refunded = charge.amount, True
    db.session.add(refund)
    with events.by_the_clock():
        intent_sync.follow_release(account, livemode, now, charge, expired_at=expired_at)
        events.emit(account, livemode, now, "charge.expired", charge)
        events.emit(account, livemode, now, "refund.created", refund)


def expire(account, livemode: bool, now: int, charge_ids) -> list[str]:
    """Expire those of ``charge_ids`` that are due, in the caller's transaction; returns them.

    Each is locked as the Charges API locks it (its PaymentIntent, then the charge) and
    checked again under the lock: one captured or released meanwhile is left alone.
    """
    expired = []
    for charge_id in sorted(set(charge_ids)):
        charge = _locked(account, livemode, charge_id)
        if charge is not None and is_due(charge, now):
            release(account, livemode, now, charge)
            expired.append(charge_id)
    return expired


def catch_up_charges(account, livemode: bool, clock, charges) -> None:
    """Expire the due ones among ``charges`` (just read) before they are shown.

    Costs nothing unless one is due: the check is on the objects already loaded. The
    expiry commits in a transaction of its own, and the objects are updated in place.
    """
    now = clock.for_account(account)
    due = [charge.id for charge in charges if is_due(charge, now)]
    if not due:
        return
    db.session.commit()  # end the read: the writes below need a transaction of their own
    with write_transactions():
        expire(account, livemode, now, due)
        db.session.commit()


def catch_up_intents(account, livemode: bool, clock, intents) -> None:
    """``catch_up_charges`` for the charges of the ``requires_capture`` ones of ``intents``."""
    now = clock.for_account(account)
    # An intent is never younger than its charge: most are ruled out without a query.
    waiting = [intent.latest_charge_id for intent in intents
               if intent.status == "requires_capture" and intent.latest_charge_id
               and intent.created + AUTHORIZATION_SECONDS <= now]
    charges = [db.session.get(Charge, charge_id) for charge_id in waiting]
    catch_up_charges(account, livemode, clock, [c for c in charges if c is not None])


def expire_intent_if_due(account, livemode: bool, clock, intent: PaymentIntent) -> None:
    """Expire the charge of ``intent`` (which the caller holds locked) if its seven days are
    over, and commit: the intent is then ``canceled``, and capturing, canceling or confirming
    it is refused for that status, as on Stripe."""
    now = clock.for_account(account)
    # An intent is never younger than its charge: one under seven days old needs no lock.
    if intent.status != "requires_capture" or intent.latest_charge_id is None \
            or intent.created + AUTHORIZATION_SECONDS > now:
        return
    charge = db.session.execute(locking(select(Charge).where(
        Charge.id == intent.latest_charge_id))).scalar_one()
    if is_due(charge, now):
        release(account, livemode, now, charge)
        db.session.commit()  # it has expired, whatever becomes of this request


def _locked(account, livemode: bool, charge_id: str) -> Charge | None:
    intent_id = db.session.execute(
        select(Charge.payment_intent_id).where(Charge.id == charge_id,
                                               Charge.account_id == account.id,
                                               Charge.livemode == livemode)
    ).scalar_one_or_none()
    if intent_id is not None:  # read afresh: follow_release goes by its status
        db.session.execute(locking(select(PaymentIntent).where(
            PaymentIntent.id == intent_id, PaymentIntent.account_id == account.id)))
    return db.session.execute(locking(select(Charge).where(
        Charge.id == charge_id, Charge.account_id == account.id,
        Charge.livemode == livemode))).scalar_one_or_none()
