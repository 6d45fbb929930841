"""Spending one-time form nonces, in the transaction of what the form does."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ..models.base import db
from ..models.form_nonce import UsedFormNonce
from .accounts import SESSION_SECONDS


class NonceSpent(Exception):
    """The nonce was spent already: the form it came with has been sent before."""


def spend(nonce: str, *, now: int, request_id: str | None = None) -> None:
    """Record ``nonce`` as spent in the caller's transaction, at once (a flushed INSERT).

    The caller then does what the form asks and commits both together, or rolls both back:
    a form refused (a wrong field) can be sent again. A second sending at the same moment
    waits at the INSERT for the first's transaction (PostgreSQL's unique index, SQLite's
    single writer) and then finds the nonce spent: nothing in process memory, so it works
    whichever worker answers.

    Spent nonces older than a session's lifetime are deleted on the way: the HMAC that makes
    a nonce valid needs its session, expired by then, so none of them can be sent again.
    Those another form's transaction is deleting are left to it (``SKIP LOCKED``): else every
    form sent meanwhile, of any account, would wait on PostgreSQL for that form to finish.

    :param now: the wall clock (``clock.now()``), which sessions expire on.
    :param request_id: the sending's ``Request-Id``, kept with the nonce (``spent``).
    :raises NonceSpent: an earlier sending spent it (the transaction is rolled back).
    """
    expired = (select(UsedFormNonce.id).where(UsedFormNonce.created < now - SESSION_SECONDS)
               .with_for_update(skip_locked=True))
    db.session.execute(delete(UsedFormNonce).where(UsedFormNonce.id.in_(expired))
                       .execution_options(synchronize_session=False))
    db.session.add(UsedFormNonce(id=nonce, created=now, request_id=request_id))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise NonceSpent() from None


def spent(nonce: str) -> UsedFormNonce | None:
    """The record of ``nonce`` if a sending spent it (its ``request_id`` names that sending),
    else ``None``."""
    return db.session.get(UsedFormNonce, nonce)
