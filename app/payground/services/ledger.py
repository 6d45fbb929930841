"""Posting journals, keeping running totals, and the catch-up step that settles what matured.

Writes follow one rule: the entries of a journal and the running totals they change are
written in the same database transaction, and a running total is only ever changed with
``amount = amount + delta`` (an atomic upsert), in sorted order, so concurrent writers never
lose an update and never deadlock on each other's totals.

Pending funds settle lazily: ``catch_up`` carries out whatever ``ledger_schedule`` says is due
on the account's clock (settlements, payout status changes, and uncaptured charges expiring,
which move no money but come due the same way). It runs before anything reads a
balance, a balance transaction or a payout, or lists refunds or events (which would otherwise
miss an expiry's refund and events), before a refund is made (it comes out of the bucket
the charge's money is in now), before a payout is created or canceled, after
``POST /sandbox/clock/advance`` and before ``verify``; its cost depends only on what matured
since it last ran.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, select, text

from ..core import ledger as core
from ..core.ids import new_sortable_id
from ..models.balance_transaction import BalanceTransaction
from ..models.base import db
from ..models.direct import Writes, execute, insert_statement, upsert_insert
from ..models.ledger import LedgerBalance, LedgerEntry, LedgerJournal, LedgerSchedule
from . import charge_expiry, events
from .common import new_object_id

SETTLE = "settle"
SETTLE_CHUNK = 5000  # balance transactions looked up per statement when settling
LOCK_TIMEOUT = "10s"  # PostgreSQL; SQLite's busy timeout is set on the connection


@dataclass
class Posting:
    """A journal to post, with what it belongs to."""

    journal: core.Journal
    source: str | None = None
    balance_transaction_id: str | None = None


def post(account_id: str, livemode: bool, now: int, postings: Iterable[Posting], *,
         connection=None, writes: Writes | None = None) -> None:
    """Write the journals and their entries, and apply their deltas to the running totals.

    Plain statements on the session's connection (or ``connection``), in the caller's
    transaction: nothing the caller has added to the session is flushed early, and no ORM
    bookkeeping is paid for rows nobody reads back. The totals' row locks are held until the
    caller commits. With ``writes``, the rows are only queued there (the caller runs them).
    """
    postings = list(postings)
    journals, entries = [], []
    for item in postings:
        _rows_of(item, account_id, livemode, now, journals, entries)
    if not journals:
        return
    queue = writes if writes is not None else Writes()
    queue.add(insert_statement(LedgerJournal.__table__), journals)
    queue.add(insert_statement(LedgerEntry.__table__), entries)
    # Executed once per row, in `combine`'s sorted order, which is the lock order.
    queue.add(_upsert, [
        {"account_id": account_id, "livemode": livemode, "currency": currency,
         "ledger_account": name, "amount": delta}
        for (currency, name), delta in core.combine(item.journal for item in postings).items()])
    if writes is None:
        queue.run(connection)


def post_dated(items: Iterable[tuple[str, bool, int, Posting]], *, connection) -> None:
    """``post`` for journals of several accounts, each ``(account_id, livemode, created,
    posting)`` dated on its own, in three statements: an upgrade's backfill of many journals
    (``post`` for each was a few round trips apiece, and updated the same running totals once
    per journal: minutes for 100,000 old charges on PostgreSQL)."""
    journals, entries = [], []
    by_mode: dict[tuple[str, bool], list[core.Journal]] = defaultdict(list)
    for account_id, livemode, created, item in items:
        _rows_of(item, account_id, livemode, created, journals, entries)
        by_mode[(account_id, livemode)].append(item.journal)
    execute(connection, insert_statement(LedgerJournal.__table__), journals)
    execute(connection, insert_statement(LedgerEntry.__table__), entries)
    execute(connection, _upsert(connection.dialect.name), [  # in sorted (lock) order
        {"account_id": account_id, "livemode": livemode, "currency": currency,
         "ledger_account": name, "amount": delta}
        for account_id, livemode in sorted(by_mode)
        for (currency, name), delta in core.combine(by_mode[(account_id, livemode)]).items()])


def _rows_of(item: Posting, account_id: str, livemode: bool, created: int,
             journals: list[dict], entries: list[dict]) -> None:
    """Add ``item``'s journal row to ``journals`` and its entry rows to ``entries``."""
    journal_id = new_sortable_id(LedgerJournal.id_prefix)
    journals.append({"id": journal_id, "account_id": account_id, "livemode": livemode,
                     "created": created, "kind": item.journal.kind, "source": item.source,
                     "balance_transaction_id": item.balance_transaction_id})
    entries.extend({"journal_id": journal_id, "account_id": account_id, "livemode": livemode,
                    "ledger_account": entry.ledger_account, "currency": entry.currency,
                    "amount": entry.amount} for entry in item.journal.entries)


@functools.cache
def _upsert(dialect_name: str):
    """``INSERT ... ON CONFLICT DO UPDATE SET amount = amount + excluded.amount`` (built once)."""
    table = LedgerBalance.__table__
    stmt = upsert_insert(dialect_name, table)
    return stmt.on_conflict_do_update(
        index_elements=["account_id", "livemode", "currency", "ledger_account"],
        set_={"amount": table.c.amount + stmt.excluded.amount})


def schedule(account_id: str, livemode: bool, kind: str, ref: str, due_at: int, *,
             connection=None, writes: Writes | None = None) -> None:
    """Have the catch-up step carry out ``kind`` for ``ref`` once the clock reaches ``due_at``.

    With ``writes``, the row is only queued there."""
    row = {"account_id": account_id, "livemode": livemode, "kind": kind, "ref": ref,
           "due_at": due_at}
    if writes is not None:
        writes.add(insert_statement(LedgerSchedule.__table__), row)
        return
    execute(connection if connection is not None else db.session.connection(),
            insert_statement(LedgerSchedule.__table__), [row])


def totals(account_id: str, livemode: bool,
           names: Iterable[str] | None = None) -> dict[tuple[str, str], int]:
    """Running totals ``{(currency, ledger account): amount}`` (one indexed read)."""
    query = select(LedgerBalance.currency, LedgerBalance.ledger_account, LedgerBalance.amount
                   ).where(LedgerBalance.account_id == account_id,
                           LedgerBalance.livemode == livemode)
    if names is not None:
        query = query.where(LedgerBalance.ledger_account.in_(list(names)))
    return {(c, n): int(a) for c, n, a in db.session.execute(query)}


def lock_total(account_id: str, livemode: bool, currency: str, name: str) -> int:
    """Read one running total and hold its row lock until commit (``SELECT ... FOR UPDATE``)."""
    amount = db.session.execute(
        select(LedgerBalance.amount).where(
            LedgerBalance.account_id == account_id, LedgerBalance.livemode == livemode,
            LedgerBalance.currency == currency, LedgerBalance.ledger_account == name
        ).with_for_update()).scalar()
    return int(amount or 0)


# --- charges and refunds ------------------------------------------------------------------


def record_charge(charge, txn: BalanceTransaction, now: int, *,
                  writes: Writes | None = None) -> None:
    """Post a captured charge's journal; its net waits in ``pending`` until ``available_on``.

    With ``writes``, the rows are only queued there (the caller runs them)."""
    available = txn.available_on <= now
    post(charge.account_id, charge.livemode, now, [Posting(
        core.captured_charge(txn.amount, txn.fee, txn.currency, available=available),
        source=charge.id, balance_transaction_id=txn.id)], writes=writes)
    if not available and txn.net:  # a net of 0 (all fee) puts nothing in pending to settle
        schedule(charge.account_id, charge.livemode, SETTLE, txn.id, txn.available_on,
                 writes=writes)


def refund_transaction(refund, charge, now: int) -> BalanceTransaction:
    """The balance transaction and journal of a refund of a captured charge.

    A debit, and the original fee is not returned (as with Stripe). It comes out of the
    bucket the charge's funds are in: refunding a charge whose funds are still pending lowers
    pending (and settles with it), rather than pushing the available balance below zero.
    """
    charge_txn = charge.balance_transaction
    pending = _is_scheduled(charge_txn.id)
    txn = BalanceTransaction(
        id=new_object_id(BalanceTransaction), account_id=refund.account_id,
        livemode=refund.livemode, created=now, amount=-refund.amount, fee=0, net=-refund.amount,
        currency=refund.currency, type="refund", reporting_category="refund", source=refund.id,
        description=(f"REFUND FOR CHARGE ({charge.description})" if charge.description
                     else "REFUND FOR CHARGE"),
        available_on=max(now, charge_txn.available_on) if pending else now)
    db.session.add(txn)
    post(refund.account_id, refund.livemode, now, [Posting(
        core.refund(refund.amount, refund.currency, available=not pending),
        source=refund.id, balance_transaction_id=txn.id)])
    if pending:
        schedule(refund.account_id, refund.livemode, SETTLE, txn.id, txn.available_on)
    return txn


def _is_scheduled(txn_id: str) -> bool:
    # On the connection: a session query would flush the caller's half-made refund.
    return db.session.connection().execute(
        select(LedgerSchedule.id).where(LedgerSchedule.ref == txn_id,
                                        LedgerSchedule.kind == SETTLE).limit(1)
    ).first() is not None


# --- catching up with the clock -----------------------------------------------------------


@dataclass
class CaughtUp:
    """What one catch-up did."""

    settled: list[str] = field(default_factory=list)  # balance transaction ids
    payouts: list[str] = field(default_factory=list)  # payouts whose status moved
    expired: list[str] = field(default_factory=list)  # uncaptured charges that expired


def catch_up(account, livemode: bool, clock) -> CaughtUp:
    """Carry out everything due on ``account``'s clock in this mode, and commit it.

    Runs in its own transaction (whatever the session had open is committed first, which is
    why callers run it before they change anything). See ``carry_out_due``.
    """
    now = clock.for_account(account)
    due_soon = select(LedgerSchedule.id).where(
        LedgerSchedule.account_id == account.id, LedgerSchedule.livemode == livemode,
        LedgerSchedule.due_at <= now).limit(1)
    if db.session.execute(due_soon).first() is None:
        return CaughtUp()  # the common case: one indexed read, no write
    # End the read: on SQLite the claim below must be the first statement of its
    # transaction, so that it waits for the write lock instead of failing on a stale snapshot.
    db.session.commit()
    done = carry_out_due(account, livemode, now)
    db.session.commit()
    return done


def carry_out_due(account, livemode: bool, now: int) -> CaughtUp:
    """Carry out what is due at ``now`` in this mode, in the caller's transaction (nothing is
    committed: a clock advance commits its new time and this together, or neither).

    The due rows are claimed with ``DELETE ... RETURNING``: two concurrent catch-ups cannot
    both carry out the same one.
    """
    lock_timeout()
    due = db.session.execute(
        delete(LedgerSchedule).where(
            LedgerSchedule.account_id == account.id, LedgerSchedule.livemode == livemode,
            LedgerSchedule.due_at <= now)
        .returning(LedgerSchedule.kind, LedgerSchedule.ref, LedgerSchedule.due_at)
        .execution_options(synchronize_session=False)).all()
    done = CaughtUp()
    if not due:
        return done
    # In the order things happened: a payout goes in transit before it is paid.
    due.sort(key=lambda row: (row.due_at, row.kind != "payout_in_transit", row.ref))
    postings = _settlements(account, livemode, [r.ref for r in due if r.kind == SETTLE],
                            done)
    from . import payouts  # payouts posts through this module

    with events.by_the_clock():  # whichever request noticed, none of them made it happen
        done.expired = charge_expiry.expire(
            account, livemode, now, [r.ref for r in due if r.kind == charge_expiry.EXPIRE])
        postings += payouts.advance(
            account, livemode, now,
            [(r.kind, r.ref) for r in due if r.kind not in (SETTLE, charge_expiry.EXPIRE)], done)
        post(account.id, livemode, now, postings)
        if available_grew(postings):
            # Stripe sends it whenever the available balance grows ("not fired for negative
            # transactions"): funds settling, or a failed payout's money coming back. Not when
            # a charge settles with a refund bigger than its net (the fee is kept): the
            # available balance fell.
            emit_balance_available(account, livemode, now)
    return done


def available_grew(postings: Iterable[Posting]) -> bool:
    """Whether ``postings`` add to the available balance in some currency."""
    deltas = core.combine(item.journal for item in postings)
    return any(delta > 0 for (_, name), delta in deltas.items() if name == core.AVAILABLE)


def emit_balance_available(account, livemode: bool, now: int) -> None:
    """A ``balance.available`` event showing the balance as it is now (after the caller's
    postings, in the caller's transaction)."""
    from .balance import balance_of

    events.emit(account, livemode, now, "balance.available", balance_of(account.id, livemode))


def catch_up_modes(account, clock) -> None:
    """``catch_up`` in test mode, and in live mode once the account has it."""
    for livemode in (False, True) if account.live_enabled else (False,):
        catch_up(account, livemode, clock)


def _settlements(account, livemode: bool, txn_ids: list[str], done: CaughtUp) -> list[Posting]:
    if not txn_ids:
        return []
    txn = BalanceTransaction
    rows = []
    # By primary key alone, in chunks. With the account in the WHERE clause, SQLite's planner
    # (no ANALYZE statistics) walks the account's scope index - every balance transaction it
    # has - as soon as ten ids are due; and one statement may not bind more parameters than
    # the database allows (65,535 on PostgreSQL), or every later read would fail the same way.
    for start in range(0, len(txn_ids), SETTLE_CHUNK):
        rows += db.session.execute(
            select(txn.id, txn.account_id, txn.livemode, txn.net, txn.currency, txn.source)
            .where(txn.id.in_(txn_ids[start:start + SETTLE_CHUNK]))).all()
    # The ids come from this account's schedule; the scope is still checked, here.
    rows = sorted((r for r in rows if r.account_id == account.id and r.livemode == livemode),
                  key=lambda r: r.id)
    done.settled.extend(r.id for r in rows)
    return [Posting(core.settlement(r.net, r.currency), source=r.source,
                    balance_transaction_id=r.id) for r in rows if r.net]


# --- locks --------------------------------------------------------------------------------


def lock_timeout() -> None:
    # PostgreSQL waits for a row lock forever by default; a caller would rather get a 429
    # (the app's error handler turns the timeout into Stripe's lock_timeout).
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))


def lock_for_money(account_id: str, livemode: bool, currency: str, name: str) -> int:
    """``lock_total`` under ``lock_timeout``: for a check-then-debit such as a payout."""
    lock_timeout()
    return lock_total(account_id, livemode, currency, name)
