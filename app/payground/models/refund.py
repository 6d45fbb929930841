"""Refunds."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, ForeignKey, String, select
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from .balance_transaction import BalanceTransaction
from .base import AccountScoped, db
from .charge import Charge


class Refund(AccountScoped, db.Model):
    __tablename__ = "refunds"
    object = "refund"
    id_prefix = "re_"

    charge_id: Mapped[str] = mapped_column(String(64), ForeignKey("charges.id"), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    metadata_: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    balance_transaction_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("balance_transactions.id"))

    # The charge's PaymentIntent, read with the refund (one query for a whole list).
    payment_intent_id: Mapped[str | None] = column_property(
        select(Charge.payment_intent_id).where(Charge.id == charge_id).scalar_subquery())

    charge: Mapped[Charge] = relationship(lazy="select")
    balance_transaction: Mapped[BalanceTransaction | None] = relationship(lazy="select")
