"""Payouts: create (from available funds only), retrieve, list, cancel; paid on the clock.

A payout is ``pending`` when made, ``in_transit`` one day later and ``paid`` on its
``arrival_date`` (two days after it was made), all on the account's clock: the catch-up step
(``services.ledger.catch_up``) moves it along and, when it is paid, posts the journal that puts
the money in the account's simulated bank account. A payout to one of Stripe's failing test
bank accounts (``services.bank.use_test_bank_account``) is ``failed`` on its arrival date
instead: the bank sent it back, and a ``payout_failure`` balance transaction returns the money
to the available balance. It goes ``in_transit`` -> ``failed`` and is never ``paid`` first:
Stripe's API reference says some failing payouts show ``paid`` before ``failed`` (a real bank's
late return), but its table of test bank account numbers only says such a payout "fails with"
its code, so the sandbox does not invent a ``payout.paid`` for it.

Money coming back (a failure, a cancel) makes the available balance grow, and Stripe sends
``balance.available`` whenever it does ("not fired for negative transactions"); so does this.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from .. import messages
from ..core import banks
from ..core import ledger as core
from ..errors import InvalidRequestError
from ..models.balance_transaction import BalanceTransaction
from ..models.bank_account import BankAccount
from ..models.base import db
from ..models.payout import Payout
from . import events, ledger
from .bank import bank_account
from .charges import check_maximum
from .common import (Page, clean_metadata, get_scoped, merge_metadata, new_object_id, paginate,
                     time_filters)

IN_TRANSIT_AFTER = 86400
ARRIVAL_AFTER = 2 * 86400
IN_TRANSIT, PAID = "payout_in_transit", "payout_paid"

events.register_schema("payout", "..v1.payouts:PayoutOut")


def create_payout(account, livemode: bool, clock, params: dict[str, Any]) -> Payout:
    """Send ``amount`` of the available balance to the bank account ``destination`` names, or
    else to the mode's default one.

    ``destination`` may be any of the account's bank accounts in this mode, the default or not,
    ``errored`` or not: Stripe stops only *scheduled* payouts to an errored one, and Payground
    makes none. The payout ends as that bank account says (``advance``).

    The available total's row is locked (``SELECT ... FOR UPDATE``; on SQLite the request
    holds the write lock) from the check to the commit: two payouts at once can never take
    more than is available.

    :raises InvalidRequestError: ``amount_too_large`` past Stripe's eight digits (as for a
        charge), or ``balance_insufficient`` when the available balance in ``currency`` is
        less than ``amount``.
    :raises ResourceMissing: ``destination`` is not one of the account's bank accounts in
        this mode: Stripe's "No such external account" (with its hint for the other mode's),
        before the balance is looked at.
    """
    amount, currency = params["amount"], params["currency"]
    check_maximum(amount, currency)
    ledger.catch_up(account, livemode, clock)
    now = clock.for_account(account)
    bank = (get_scoped(BankAccount, account, livemode, params["destination"],
                       param="destination")
            if params.get("destination") else bank_account(account, livemode, now))
    available = ledger.lock_for_money(account.id, livemode, currency, core.AVAILABLE)
    if available < amount:
        raise InvalidRequestError(messages.BALANCE_INSUFFICIENT, code="balance_insufficient")
    payout = Payout(
        id=new_object_id(Payout), account_id=account.id, livemode=livemode, created=now,
        amount=amount, currency=currency, status="pending", arrival_date=now + ARRIVAL_AFTER,
        description=params.get("description"), method="standard",
        statement_descriptor=params.get("statement_descriptor"),
        metadata_=clean_metadata(params.get("metadata")), destination=bank)
    payout.balance_transaction = _transaction(payout, "payout", -amount, now)
    db.session.add(payout)
    ledger.post(account.id, livemode, now, [ledger.Posting(
        core.payout_created(amount, currency), source=payout.id,
        balance_transaction_id=payout.balance_transaction.id)])
    ledger.schedule(account.id, livemode, IN_TRANSIT, payout.id, now + IN_TRANSIT_AFTER)
    ledger.schedule(account.id, livemode, PAID, payout.id, payout.arrival_date)
    events.emit(account, livemode, now, "payout.created", payout)
    db.session.commit()
    return payout


def get_payout(account, livemode: bool, clock, payout_id: str) -> Payout:
    """The payout ``payout_id`` (404 otherwise), its status brought up to date."""
    ledger.catch_up(account, livemode, clock)
    return get_scoped(Payout, account, livemode, payout_id, param="payout")


def update_payout(account, livemode: bool, clock, payout_id: str,
                  params: dict[str, Any]) -> Payout:
    """Change a payout's metadata (the only thing Stripe lets you change); a change is a
    ``payout.updated`` event, as on Stripe."""
    ledger.catch_up(account, livemode, clock)  # the answer and the event show today's status
    payout = get_scoped(Payout, account, livemode, payout_id, param="payout")
    before = events.snapshot(payout)
    if "metadata" in params:
        payout.metadata_ = merge_metadata(payout.metadata_, params["metadata"])
    events.emit_changes(account, livemode, clock.for_account(account), "payout.updated",
                        payout, before)
    db.session.commit()
    return payout


def list_payouts(account, livemode: bool, clock, params: dict[str, Any], url: str) -> Page:
    """Payouts newest first, filtered by ``status``, ``destination``, ``arrival_date`` and
    ``created``."""
    ledger.catch_up(account, livemode, clock)
    filters: tuple = ()
    if params.get("status"):
        filters += (Payout.status == params["status"],)
    if params.get("destination"):
        filters += (Payout.destination_id == params["destination"],)
    filters += time_filters(Payout.arrival_date, params.get("arrival_date"))
    return paginate(Payout, account, livemode, params, url, filters)


def cancel_payout(account, livemode: bool, clock, payout_id: str) -> Payout:
    """Cancel a pending payout: the money goes back to the available balance.

    :raises InvalidRequestError: the payout is no longer pending (Stripe's wording).
    """
    ledger.catch_up(account, livemode, clock)
    now = clock.for_account(account)
    payout = get_scoped(Payout, account, livemode, payout_id, param="payout", for_update=True)
    # The clock check covers a catch-up that is moving it to in_transit right now.
    if payout.status != "pending" or now >= payout.created + IN_TRANSIT_AFTER:
        raise InvalidRequestError(messages.PAYOUT_NOT_PENDING)
    payout.status = "canceled"
    payout.failure_balance_transaction = _transaction(payout, "payout_cancel",
                                                      payout.amount, now)
    ledger.post(account.id, livemode, now, [ledger.Posting(
        core.payout_returned(payout.amount, payout.currency, kind="payout_cancel"),
        source=payout.id,
        balance_transaction_id=payout.failure_balance_transaction.id)])
    events.emit(account, livemode, now, "payout.canceled", payout)
    ledger.emit_balance_available(account, livemode, now)  # the money is available again
    db.session.commit()
    return payout


def advance(account, livemode: bool, now: int, due: list[tuple[str, str]],
            done) -> list[ledger.Posting]:
    """Carry out the payout steps that came due (called by ``ledger.catch_up``).

    ``due`` is ``[(kind, payout id)]`` in the order they fell due; a canceled payout's steps
    are dropped. Returns the journals to post (one per payout paid or failed).
    """
    if not due:
        return []
    ids = sorted({ref for _, ref in due})
    # Locked in id order: a concurrent cancel of one of them waits, or is waited for. By
    # primary key alone and in chunks, as ledger._settlements does (SQLite's planner would
    # otherwise walk the account's every payout; PostgreSQL binds at most 65,535 values).
    found = {}
    for start in range(0, len(ids), ledger.SETTLE_CHUNK):
        for payout in db.session.execute(
                select(Payout).where(Payout.id.in_(ids[start:start + ledger.SETTLE_CHUNK]))
                .order_by(Payout.id).with_for_update()).scalars():
            if payout.account_id == account.id and payout.livemode == livemode:
                found[payout.id] = payout
    failures = _failure_codes([found[ref].destination_id for kind, ref in due
                               if kind == PAID and ref in found])
    postings = []
    for kind, ref in due:
        payout = found.get(ref)
        if payout is None or payout.status not in ("pending", "in_transit"):
            continue
        done.payouts.append(payout.id)
        if kind == IN_TRANSIT:
            payout.status = "in_transit"
            events.emit(account, livemode, now, "payout.updated", payout,
                        previous_attributes={"status": "pending"})
        elif payout.destination_id in failures:
            postings.append(_fail(payout, failures[payout.destination_id], now))
            events.emit(account, livemode, now, "payout.failed", payout)
        else:
            payout.status = "paid"
            postings.append(ledger.Posting(core.payout_paid(payout.amount, payout.currency),
                                           source=payout.id))
            events.emit(account, livemode, now, "payout.paid", payout)
    return postings


def _failure_codes(bank_ids: list[str]) -> dict[str, str]:
    """``{bank account id: failure code}`` of those of ``bank_ids`` that send payouts back.

    Only test mode has such accounts (``services.bank``); live payouts are always paid.
    """
    if not bank_ids:
        return {}
    return dict(db.session.execute(
        select(BankAccount.id, BankAccount.payout_failure_code)
        .where(BankAccount.id.in_(sorted(set(bank_ids))),
               BankAccount.payout_failure_code.is_not(None))).all())


def _fail(payout: Payout, code: str, now: int) -> ledger.Posting:
    """Fail an in-transit payout on its arrival date, as Stripe's test bank accounts do: the
    money goes back to the available balance (a ``payout_failure`` balance transaction, the
    payout's ``failure_balance_transaction``) and the bank account is ``errored``."""
    payout.status = "failed"
    payout.failure_code = code
    payout.failure_message = banks.PAYOUT_FAILURE_MESSAGES[code]
    payout.failure_balance_transaction = _transaction(payout, "payout_failure", payout.amount,
                                                      now)
    db.session.execute(update(BankAccount).where(BankAccount.id == payout.destination_id)
                       .values(status="errored").execution_options(synchronize_session=False))
    return ledger.Posting(
        core.payout_returned(payout.amount, payout.currency, kind="payout_failure"),
        source=payout.id, balance_transaction_id=payout.failure_balance_transaction.id)


def _transaction(payout: Payout, type_: str, amount: int, now: int) -> BalanceTransaction:
    # A payout leaves the available balance at once (and a canceled one comes back at once),
    # so these are available from the start.
    return BalanceTransaction(
        id=new_object_id(BalanceTransaction), account_id=payout.account_id,
        livemode=payout.livemode, created=now, amount=amount, fee=0, net=amount,
        currency=payout.currency, type=type_,
        reporting_category="payout" if type_ == "payout" else "payout_reversal",
        source=payout.id, description=payout.description or "STRIPE PAYOUT",
        available_on=now)
