"""Events: what happened to an account's objects, with a snapshot of each object at that moment."""

from __future__ import annotations

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import AccountScoped, db


class Event(AccountScoped, db.Model):
    """One Stripe event (``evt_``), written in the same transaction as the change it records.

    ``data`` is stored exactly as the API returns it (``{"object": ..., "previous_attributes":
    ...}``): a snapshot never changes when the object changes later. Webhook delivery sends
    these rows (``services.webhook_delivery``), so they are the durable record of what happened.
    """

    __tablename__ = "events"
    object = "event"
    id_prefix = "evt_"
    # Not a column: its deliveries not (yet) successful, set by whoever shows it.
    pending_webhooks = 0
    # Not a column: shown to a platform (its ``account`` field is then set), by whoever shows it.
    shown_to_platform = False

    type: Mapped[str] = mapped_column(String(64), index=True)
    api_version: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict] = mapped_column(JSON)
    # The request that caused the event (null for CLI or background work), and its
    # Idempotency-Key scrubbed of anything key-shaped, as the request log stores it.
    request_id: Mapped[str | None] = mapped_column(String(40))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
