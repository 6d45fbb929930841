"""The audit trail: what happened to an account's keys (never a key itself)."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import db


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_scope", "account_id", "created", "id"),)
    object = "audit_event"
    id_prefix = "aud_"

    id: Mapped[str] = mapped_column(
        String(64).with_variant(String(64, collation="C"), "postgresql"), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(40), ForeignKey("accounts.id"))
    livemode: Mapped[bool | None]
    type: Mapped[str] = mapped_column(String(64))
    created: Mapped[int]
    key_id: Mapped[str | None] = mapped_column(String(40))
    key_redacted: Mapped[str | None] = mapped_column(String(20))
    request_id: Mapped[str | None] = mapped_column(String(40))
    client_ip: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict | None] = mapped_column(JSON)
