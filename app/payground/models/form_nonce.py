"""Spent one-time form nonces: a dashboard form that creates something acts once."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import db


class UsedFormNonce(db.Model):
    """A nonce a form was sent with (``dashboard.form_nonces``), spent in the transaction of
    what the form did. Only the random part is kept; the HMAC that ties it to its session is
    checked before, and the row is useless once that session has expired (then it goes)."""

    __tablename__ = "used_form_nonces"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created: Mapped[int] = mapped_column(index=True)  # wall clock (sessions expire on it)
    # The Request-Id of the sending that spent it: the audit trail names what that request
    # made (a key), for the page a second sending gets. Committed with it, so a second
    # sending, which waits for the first to commit, always finds it.
    request_id: Mapped[str | None] = mapped_column(String(40))
