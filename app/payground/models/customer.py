"""Customers."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import AccountScoped, db


class Customer(AccountScoped, db.Model):
    __tablename__ = "customers"
    object = "customer"
    id_prefix = "cus_"

    email: Mapped[str | None] = mapped_column(String(512))
    name: Mapped[str | None] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(String(5000))
    phone: Mapped[str | None] = mapped_column(String(64))
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str | None] = mapped_column(String(3))
    metadata_: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    deleted: Mapped[bool] = mapped_column(default=False)
