"""Leak drills: a real key of the account, treated as pushed to a public repository."""

from __future__ import annotations

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import AccountScoped, db


class LeakDrill(AccountScoped, db.Model):
    """One drill (``drill_``): ``created`` is when the key "leaked", on the account's clock.

    The bots' requests are not stored here but where real requests go (the request log, the
    audit trail, the charges they made); this row counts what they got, and how many of their
    attempts (``core.drills.attempt``) are written down so far.
    """

    __tablename__ = "leak_drills"
    __table_args__ = (Index("ix_leak_drills_scope", "account_id", "livemode", "created", "id"),)
    object = "leak_drill"
    id_prefix = "drill_"
    noun = "leak drill"

    key_id: Mapped[str] = mapped_column(String(40))
    key_redacted: Mapped[str] = mapped_column(String(20))  # sk_test_...Ab12, never the key
    # How far the bots' script is written down (``MAX_ATTEMPTS`` once they have moved on),
    # and how many requests that made.
    attempts_done: Mapped[int] = mapped_column(default=0)
    requests: Mapped[int] = mapped_column(default=0)
    refused: Mapped[int] = mapped_column(default=0)  # attempts the key turned away
    balance_reads: Mapped[int] = mapped_column(default=0)
    customers_exposed: Mapped[int] = mapped_column(default=0)  # most customers one list showed
    charges_succeeded: Mapped[int] = mapped_column(default=0)
    charges_declined: Mapped[int] = mapped_column(default=0)
    amount_charged: Mapped[int] = mapped_column(default=0)  # minor units, usd
