"""Payouts: money sent from the available balance to the account's (simulated) bank."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .balance_transaction import BalanceTransaction
from .bank_account import BankAccount
from .base import AccountScoped, db


class Payout(AccountScoped, db.Model):
    __tablename__ = "payouts"
    object = "payout"
    id_prefix = "po_"

    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # pending -> in_transit -> paid, on the account's clock; or canceled while pending; or,
    # sent to one of Stripe's failing test bank accounts, in_transit -> failed.
    status: Mapped[str] = mapped_column(String(16))
    arrival_date: Mapped[int]
    description: Mapped[str | None] = mapped_column(String(5000))
    statement_descriptor: Mapped[str | None] = mapped_column(String(22))
    metadata_: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    method: Mapped[str] = mapped_column(String(16), default="standard")
    failure_code: Mapped[str | None] = mapped_column(String(64))
    failure_message: Mapped[str | None] = mapped_column(String(500))
    destination_id: Mapped[str] = mapped_column(String(64), ForeignKey("bank_accounts.id"))
    balance_transaction_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("balance_transactions.id"))
    # The payout_cancel / payout_failure transaction that put the money back (Stripe's name).
    failure_balance_transaction_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("balance_transactions.id"))

    destination: Mapped[BankAccount] = relationship(lazy="select")
    balance_transaction: Mapped[BalanceTransaction] = relationship(
        lazy="select", foreign_keys=[balance_transaction_id])
    failure_balance_transaction: Mapped[BalanceTransaction | None] = relationship(
        lazy="select", foreign_keys=[failure_balance_transaction_id])
