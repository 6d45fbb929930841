"""The request log: one row per ``/v1`` request (never a key, a body or a query string)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import db


class RequestLog(db.Model):
    """What a ``/v1`` request was and how it ended, written once when it ends.

    ``id`` is the request's own id (the ``Request-Id`` header, sortable by time).
    ``account_id`` is ``None`` when no account could be named: a failed authentication with
    an unknown or malformed key. Such rows are for the operator and visible to nobody through
    the API. A refused key that does belong to an account (expired, revoked) is attributed to
    that account, so its owner sees who still uses it.
    """

    __tablename__ = "request_logs"
    # Every listing is "this account (and maybe mode), newest first".
    __table_args__ = (Index("ix_request_logs_scope", "account_id", "livemode", "created", "id"),)
    object = "request_log"
    id_prefix = "req_"
    noun = "request"

    id: Mapped[str] = mapped_column(
        String(64).with_variant(String(64, collation="C"), "postgresql"), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(40), ForeignKey("accounts.id"))
    livemode: Mapped[bool | None]  # None: the mode is unknown (no key, or a malformed one)
    key_id: Mapped[str | None] = mapped_column(String(40))
    key_redacted: Mapped[str | None] = mapped_column(String(20))  # sk_test_...Ab12
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(1024))  # request.path, scrubbed; no query string
    status: Mapped[int]
    client_ip: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))  # scrubbed
    created: Mapped[int]  # on the account's clock when the account is known, else wall time
    duration_ms: Mapped[float]
    error_type: Mapped[str | None] = mapped_column(String(64))
    error_code: Mapped[str | None] = mapped_column(String(64))
    # A request made through a Connect connection (the platform's key with ``Stripe-Account``,
    # or an OAuth access token): the platform's account. It is logged in the connected
    # account, where its data is; this says who made it.
    platform_id: Mapped[str | None] = mapped_column(String(40))
