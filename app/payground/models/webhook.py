"""Webhook endpoints and the deliveries of events to them."""

from __future__ import annotations

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import AccountScoped, db


class WebhookEndpoint(AccountScoped, db.Model):
    """A URL that is sent the account's events of the types it lists (``we_``).

    Its signing secret is not stored: ``core.webhooks.endpoint_secret`` derives it from the
    pepper, the id and ``secret_generation``. A deleted endpoint is gone for the API (404) and is sent nothing.
    """

    __tablename__ = "webhook_endpoints"
    object = "webhook_endpoint"
    id_prefix = "we_"
    noun = "webhook endpoint"

    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(5000))
    enabled_events: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="enabled")  # enabled | disabled
    api_version: Mapped[str | None] = mapped_column(String(32))
    metadata_: Mapped[dict] = mapped_column("metadata", JSON, default=dict)
    deleted: Mapped[bool] = mapped_column(default=False)
    # How many times the secret was rolled (the secret is derived from it), and until when
    # (account clock) the one before it still signs deliveries too.
    secret_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    previous_secret_expires_at: Mapped[int | None]
    # A Connect endpoint (``connect=true``): the platform's application (``ca_``) of the
    # endpoint's mode. It is sent the events of the accounts connected to that application.
    application: Mapped[str | None] = mapped_column(String(64), index=True)


class WebhookDelivery(AccountScoped, db.Model):
    """One event to send to one endpoint: written with the event, in its transaction.

    ``status`` is ``pending`` until an attempt gets a 2xx (``succeeded``) or the retries run
    out (``failed``). ``next_attempt_at`` is on the account's clock, so advancing the clock
    brings retries forward; ``claimed_until`` (wall time) keeps two workers from sending the
    same attempt at once.
    """

    __tablename__ = "webhook_deliveries"
    object = "webhook_delivery"
    id_prefix = "whd_"
    noun = "webhook delivery"
    __table_args__ = (
        Index("ix_webhook_deliveries_scope", "account_id", "livemode", "created", "id"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    event_id: Mapped[str] = mapped_column(String(64), index=True)
    endpoint_id: Mapped[str] = mapped_column(String(64), index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[int | None]
    claimed_until: Mapped[int | None]
    last_attempt_at: Mapped[int | None]
    last_response_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    # For a Connect endpoint, the connection (``conn_``) the account had to its application
    # when the event happened: the delivery is sent while that one lasts, not under a later
    # one. None for other endpoints, ``account.application.*`` events and older rows.
    connection_id: Mapped[str | None] = mapped_column(String(64))
