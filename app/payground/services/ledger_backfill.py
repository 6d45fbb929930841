"""An upgrade step: journals for balance transactions written before the ledger existed."""

from __future__ import annotations

from sqlalchemy import select

from ..core import ledger as core
from ..models.balance_transaction import BalanceTransaction
from ..models.direct import execute, insert_statement
from ..models.ledger import LedgerJournal, LedgerSchedule
from . import ledger


def backfill(connection) -> int:
    """Post the journal of every balance transaction that has none; returns how many.

    For a schema upgrade (``migrations.UPGRADES``): charges and refunds stored by versions
    without the ledger get the journal they would have had, into ``pending`` when they were
    made pending (then scheduled to settle on their ``available_on``, which the next catch-up
    does if that has passed) or straight into ``available``. Safe to run twice.

    A journal moves what the stored row says. Before the fee was capped at the amount, a 30p
    charge (GBP's minimum) was stored with a fee of 31 and a net of -1; a net of 0 puts
    nothing in ``pending``, so nothing is scheduled to settle it (as ``record_charge`` does).
    """
    txn = BalanceTransaction.__table__
    has_journal = select(LedgerJournal.__table__.c.id).where(
        LedgerJournal.__table__.c.balance_transaction_id == txn.c.id).exists()
    # Only charges and refunds existed before the ledger; payouts were born with it.
    rows = connection.execute(select(txn).where(~has_journal, txn.c.type.in_(
        ("charge", "refund"))).order_by(txn.c.id)).all()
    for start in range(0, len(rows), CHUNK):
        postings, settlements = [], []
        for row in rows[start:start + CHUNK]:
            pending = row.available_on > row.created
            if row.type == "charge":
                journal = _charge_journal(row, available=not pending)
            else:
                journal = core.refund(-row.amount, row.currency, available=not pending)
            postings.append((row.account_id, row.livemode, row.created, ledger.Posting(
                journal, source=row.source, balance_transaction_id=row.id)))
            if pending and row.net:
                settlements.append({"account_id": row.account_id, "livemode": row.livemode,
                                    "kind": ledger.SETTLE, "ref": row.id,
                                    "due_at": row.available_on})
        ledger.post_dated(postings, connection=connection)
        execute(connection, insert_statement(LedgerSchedule.__table__), settlements)
    return len(rows)


CHUNK = 5000  # balance transactions posted per few statements (memory stays small)


def _charge_journal(row, *, available: bool) -> core.Journal:
    if row.fee <= row.amount:
        return core.captured_charge(row.amount, row.fee, row.currency, available=available)
    # An old all-fee charge: the card paid the amount, Stripe took more, the balance went down.
    return core.Journal("charge", (
        core.Entry(core.CARD_PAYMENTS, row.currency, -row.amount),
        core.Entry(core.AVAILABLE if available else core.PENDING, row.currency, row.net),
        core.Entry(core.STRIPE_FEES, row.currency, row.fee),
    ))
