"""Balance transactions: what each charge (credit) and refund (debit) does to the balance."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import AccountScoped, db


class BalanceTransaction(AccountScoped, db.Model):
    __tablename__ = "balance_transactions"
    object = "balance_transaction"
    id_prefix = "txn_"

    amount: Mapped[int]
    fee: Mapped[int] = mapped_column(default=0)
    net: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    type: Mapped[str] = mapped_column(String(32))  # charge | refund
    reporting_category: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(64))  # the ch_/re_ it belongs to
    description: Mapped[str | None] = mapped_column(String(5000))
    # Pending until then on the account's clock; `status` is derived, never stored, so that
    # advancing the clock settles funds without rewriting rows.
    available_on: Mapped[int]

    def status_at(self, now: int) -> str:
        return "available" if self.available_on <= now else "pending"
