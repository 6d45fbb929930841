"""The ledger's storage: journals, their entries, running totals, and what matures when.

``core.ledger`` builds journals; ``services.ledger`` writes them here. Reading a balance reads
``ledger_balances`` (one row per ledger account and currency), never the entries, so it costs
the same with ten entries or a million.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import AccountScoped, db

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
_SERIAL = BigInteger().with_variant(Integer, "sqlite")


class LedgerJournal(AccountScoped, db.Model):
    """One journal (``jnl_``): a balanced set of entries posted together.

    ``balance_transaction_id`` links it to the balance transaction (Stripe's view of the same
    movement) that it created or settled; ``source`` is the ``ch_``/``re_``/``po_`` behind it.
    """

    __tablename__ = "ledger_journals"
    object = "ledger_journal"
    id_prefix = "jnl_"

    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(64))
    # A plain column, no foreign key: journals are written with Core statements in the same
    # transaction, before the ORM flushes the balance transaction; `verify` checks the link.
    balance_transaction_id: Mapped[str | None] = mapped_column(String(64), index=True)


class LedgerEntry(db.Model):
    """One signed movement of a journal into a ledger account (see ``core.ledger``)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_total", "account_id", "livemode", "currency", "ledger_account"),
    )

    id: Mapped[int] = mapped_column(_SERIAL, primary_key=True, autoincrement=True)
    journal_id: Mapped[str] = mapped_column(String(64), ForeignKey("ledger_journals.id"),
                                            index=True)
    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"))
    livemode: Mapped[bool]
    ledger_account: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)


class LedgerBalance(db.Model):
    """The running total of one ledger account, updated in the same transaction as its entries.

    Updated only with ``amount = amount + delta`` (an atomic upsert), never read-modify-write.
    """

    __tablename__ = "ledger_balances"

    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"),
                                            primary_key=True)
    livemode: Mapped[bool] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    ledger_account: Mapped[str] = mapped_column(String(32), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger, default=0)


class LedgerSchedule(db.Model):
    """Something that happens when the account's clock reaches ``due_at``.

    ``kind`` is ``settle`` (``ref``: a pending balance transaction), ``payout_in_transit`` or
    ``payout_paid`` (``ref``: a payout; paid, or failed if its bank account fails payouts), or
    ``charge_expire`` (``ref``: an uncaptured charge,
    released seven days after it was made unless it was captured or refunded by then). The catch-up step deletes what is due (through the
    index) and carries it out, so its cost depends only on what matured since last time.
    """

    __tablename__ = "ledger_schedule"
    __table_args__ = (Index("ix_ledger_schedule_due", "account_id", "livemode", "due_at"),)

    id: Mapped[int] = mapped_column(_SERIAL, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"))
    livemode: Mapped[bool]
    due_at: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(64), index=True)
