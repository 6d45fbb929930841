"""The ``page`` cursor of a search: where the next page starts, signed.

A cursor names the last row shown (its ``created`` and ``id``: results are newest first) and
carries an HMAC over that position *and* the account, mode, resource and query it was made
for. A cursor that was edited, made up, or made for another account, mode, resource or query
fails :func:`read` (a 400 to the caller), so it can never page through rows it was not given.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass

_TAG_BYTES = 16


class PageError(ValueError):
    """Not a cursor this search made."""


@dataclass(frozen=True)
class Scope:
    """What a cursor is bound to."""

    account_id: str
    livemode: bool
    resource: str  # customers | charges | payment_intents
    query: str


def make(secret: str, scope: Scope, created: int, object_id: str) -> str:
    """The cursor that starts after the row ``(created, object_id)``."""
    body = _b64(json.dumps([created, object_id], separators=(",", ":")).encode())
    return f"{body}.{_b64(_tag(secret, scope, body))}"


def read(secret: str, scope: Scope, cursor: str) -> tuple[int, str]:
    """``(created, id)`` of the row ``cursor`` starts after, or :class:`PageError`."""
    body, dot, tag = cursor.partition(".")
    if not dot:
        raise PageError(cursor)
    try:
        given = _unb64(tag)
        if not hmac.compare_digest(given, _tag(secret, scope, body)):
            raise PageError(cursor)
        created, object_id = json.loads(_unb64(body))
    except (binascii.Error, ValueError, TypeError):  # JSONDecodeError is a ValueError
        raise PageError(cursor) from None
    if type(created) is not int or not isinstance(object_id, str):
        raise PageError(cursor)
    return created, object_id


def _tag(secret: str, scope: Scope, body: str) -> bytes:
    # Joined with NUL, which no id holds (and the query is hashed): no two scopes give the
    # same message.
    message = "\0".join(("search-page", scope.account_id, "live" if scope.livemode else "test",
                         scope.resource, hashlib.sha256(scope.query.encode()).hexdigest(),
                         body))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()[:_TAG_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text.isascii():
        raise ValueError(text)
    # validate: a character outside the alphabet is an error, not silently dropped.
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
