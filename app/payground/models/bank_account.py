"""The simulated bank accounts each account's payouts go to: one default per mode."""

from __future__ import annotations

from sqlalchemy import DDL, String, event, text, true
from sqlalchemy.orm import Mapped, mapped_column

from .base import AccountScoped, db

DEFAULT = text("default_for_currency")  # the partial index's condition (and ON CONFLICT's)


class BankAccount(AccountScoped, db.Model):
    """Where payouts land (``ba_``). Test mode: one of Stripe's test bank accounts; live mode:
    the activation's.

    New payouts go to the mode's default account, or to the one their ``destination`` names.
    Choosing another test bank account makes a new default; the old one stays, since the
    payouts sent to it still name it (and a payout may still name it as its destination).
    """

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
    default_for_currency: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Stripe's: "new", or "errored" once a payout to it has failed.
    status: Mapped[str] = mapped_column(String(16), default="new", server_default="new")
    # What a payout to one of Stripe's failing test accounts ends with (never in live mode).
    payout_failure_code: Mapped[str | None] = mapped_column(String(64))


# One default bank account per account and mode: a partial unique index, written out rather
# than declared with ``Index(..., sqlite_where=, postgresql_where=)``, whose dialect keywords
# make SQLAlchemy import the PostgreSQL dialect on SQLite too (~30 ms of every start-up).
# The same statement as the upgrade to schema 13 (migrations).
UNIQUE_DEFAULT = ("CREATE UNIQUE INDEX ux_bank_accounts_default ON bank_accounts "
                  "(account_id, livemode) WHERE default_for_currency")
event.listen(BankAccount.__table__, "after_create", DDL(UNIQUE_DEFAULT))
