"""API keys: stored as a peppered HMAC digest plus the last four characters, never in full."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import db


class ApiKey(db.Model):
    __tablename__ = "api_keys"
    object = "api_key"
    id_prefix = "key_"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"), index=True)
    livemode: Mapped[bool]
    type: Mapped[str] = mapped_column(String(16))  # secret | publishable | restricted
    name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))  # sk_test_
    last4: Mapped[str] = mapped_column(String(4))
    created: Mapped[int]
    last_used: Mapped[int | None]
    expires_at: Mapped[int | None]
    revoked_at: Mapped[int | None]
    permissions: Mapped[list | None] = mapped_column(JSON)
    ip_allowlist: Mapped[list | None] = mapped_column(JSON)
    rolled_from: Mapped[str | None] = mapped_column(String(40))
    # An OAuth access token (``models.oauth``): revoked with its connection, and only so.
    # No foreign key: SQLite cannot add one to an existing table (schema version 15).
    connection_id: Mapped[str | None] = mapped_column(String(64), index=True)

    @property
    def redacted(self) -> str:
        return f"{self.prefix}...{self.last4}"

    def status_at(self, now: int) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None:
            return "expired" if self.expires_at <= now else "expiring"
        return "active"
