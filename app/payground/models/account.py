"""Accounts (the people who sign up) and their dashboard/CLI sessions."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import db


class Account(db.Model):
    __tablename__ = "accounts"
    object = "account"
    id_prefix = "acct_"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created: Mapped[int]
    # Seconds added to wall time for this account only (`payground clock advance`).
    clock_offset: Mapped[int] = mapped_column(default=0)
    live_enabled: Mapped[bool] = mapped_column(default=False)
    business_name: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    bank_routing_number: Mapped[str | None] = mapped_column(String(20))
    bank_account_last4: Mapped[str | None] = mapped_column(String(4))
    # Webhook endpoints not deleted, both modes: read with the key on every /v1 request, so
    # an event looks for endpoints to send itself to only when the account has some.
    webhook_endpoint_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Leak drills whose bots still have requests to come: read with the key too, so a /v1
    # read catches them up (services.drills) only when the account has some.
    open_drills: Mapped[int] = mapped_column(default=0, server_default="0")
    # Connect OAuth connections of this account to platforms' applications not revoked, both
    # modes: read with the key too, so an event looks for the platforms' Connect endpoints
    # (services.webhooks) only when the account is connected to some.
    platform_connections: Mapped[int] = mapped_column(default=0, server_default="0")


class Session(db.Model):
    """A signed-in session; only the token's digest is stored."""

    __tablename__ = "sessions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"), index=True)
    created: Mapped[int]
    expires_at: Mapped[int]
