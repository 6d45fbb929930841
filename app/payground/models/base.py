"""The declarative base and the mixin that scopes every row to an account and a mode."""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from ..extensions import Base, db

__all__ = ["AccountScoped", "Base", "db"]


class AccountScoped:
    """``id``, ``account_id``, ``livemode`` and ``created`` for every Stripe object.

    Subclasses declare their Stripe identity: ``object`` ("charge"), ``id_prefix`` ("ch_")
    and ``noun`` (used in "No such charge: ..."; defaults to ``object``).
    """

    object: ClassVar[str]
    id_prefix: ClassVar[str]
    noun: ClassVar[str | None] = None

    # Byte-order collation on PostgreSQL: ids are time-ordered base62 and break `created` ties.
    id: Mapped[str] = mapped_column(
        String(64).with_variant(String(64, collation="C"), "postgresql"), primary_key=True)
    livemode: Mapped[bool] = mapped_column(default=False)
    created: Mapped[int] = mapped_column(index=False)

    @declared_attr
    def account_id(cls) -> Mapped[str]:
        return mapped_column(String(40), ForeignKey("accounts.id"), nullable=False)

    @declared_attr.directive
    def __table_args__(cls):
        # Every list is "this account, this mode, newest first": one index serves them all.
        return (Index(f"ix_{cls.__tablename__}_scope", "account_id", "livemode", "created", "id"),)

    @classmethod
    def noun_for_messages(cls) -> str:
        return cls.noun or cls.object
