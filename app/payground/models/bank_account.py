"""The simulated bank account each account's payouts go to, one per mode."""

from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .base import AccountScoped, db


class BankAccount(AccountScoped, db.Model):
    """Where payouts land (``ba_``). Test mode: Stripe's test bank; live mode: the activation's."""

    __tablename__ = "bank_accounts"
    object = "bank_account"
    id_prefix = "ba_"
    noun = "external account"

    bank_name: Mapped[str] = mapped_column(String(100))
    routing_number: Mapped[str] = mapped_column(String(20))
    last4: Mapped[str] = mapped_column(String(4))
    country: Mapped[str] = mapped_column(String(2))
    currency: Mapped[str] = mapped_column(String(3))
    account_holder_name: Mapped[str | None] = mapped_column(String(200))

    @declared_attr.directive
    def __table_args__(cls):
        # One bank account per account and mode.
        return (Index("ux_bank_accounts_mode", "account_id", "livemode", unique=True),)
