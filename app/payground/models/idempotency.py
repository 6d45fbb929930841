"""Idempotency keys of POST requests: the claim on a key, then the response it produced."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import db


class IdempotencyRecord(db.Model):
    """One ``Idempotency-Key`` of one account and mode (not a Stripe object).

    The primary key ``(account_id, livemode, key_digest)`` is the unique constraint that decides
    which of several racing requests owns a key: the database, not the application, picks the
    winner. ``status`` is ``None`` while the owner is still running; afterwards ``status`` and
    ``body`` are what a replay returns.
    """

    __tablename__ = "idempotency_records"

    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"),
                                            primary_key=True)
    livemode: Mapped[bool] = mapped_column(primary_key=True)
    # HMAC of the key, not the key: a key is client data and might be anything (even a secret
    # pasted by mistake); a digest is all a lookup needs.
    key_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    # HMAC of method, path and decoded parameters: a mismatch is detectable, while card numbers
    # and other parameters are not stored.
    fingerprint: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(40))  # the owner, echoed as Original-Request
    # The first request's path (scrubbed, as the request log keeps it), for Stripe's message
    # naming both paths when the key comes back on another; None in records older than it.
    path: Mapped[str | None] = mapped_column(String(1024))
    # Who sent the first request (``http.idempotency.claim``): the account's own keys, its
    # publishable key, a platform acting on it. Another caller's request never matches, and
    # is told so; None in records older than it (they get the other messages, as before).
    caller: Mapped[str | None] = mapped_column(String(120))
    created: Mapped[int]  # on the account's clock
    status: Mapped[int | None]
    body: Mapped[str | None] = mapped_column(Text)
