"""Balance transactions: Stripe's view of each movement of an account's balance.

The money itself lives in the double-entry ledger (``models.ledger``): every balance
transaction has the journal that created it (``LedgerJournal.balance_transaction_id``) and,
if it was pending, the settlement journal that made it available.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import AccountScoped, db


class BalanceTransaction(AccountScoped, db.Model):
    __tablename__ = "balance_transactions"
    object = "balance_transaction"
    id_prefix = "txn_"
    noun = "balance transaction"

    amount: Mapped[int] = mapped_column(BigInteger)
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    net: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # charge | refund | payout | payout_cancel | payout_failure
    type: Mapped[str] = mapped_column(String(32))
    reporting_category: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(64))  # the ch_/re_/po_ it belongs to
    description: Mapped[str | None] = mapped_column(String(5000))
    # Pending until then on the account's clock. The ledger settles it lazily (the catch-up
    # step runs before anything reads balances), so `status` is derived from the clock, never
    # stored: advancing the clock settles funds without rewriting this row.
    available_on: Mapped[int]

    def status_at(self, now: int) -> str:
        return "available" if self.available_on <= now else "pending"

    @property
    def source_object(self):
        """The charge, refund or payout this transaction belongs to (``expand[]=source``)."""
        model = self.source_model(self.source)
        return db.session.get(model, self.source) if model else None

    @staticmethod
    def source_model(source_id: str):
        """The model of the object ``source_id`` names (by its prefix), or None: only
        charges, refunds and payouts have balance transactions."""
        from . import Charge, Payout, Refund  # they import this module

        return {"ch_": Charge, "re_": Refund, "po_": Payout}.get(source_id[:3])
