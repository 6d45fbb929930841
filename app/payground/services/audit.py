"""Recording audit events: key created, rolled, revoked, expired/revoked key used, key in a URL
or in a web page; a webhook endpoint's signing secret rolled; a leak drill started; the
account's clock moved forward; Connect OAuth: the platform's application saved, an account
connected (``oauth.authorized``), disconnected by itself (``oauth.disconnected``) or by the
platform (``oauth.deauthorized``), an authorization code sent twice (``oauth.code_reused``),
an application approved again with a narrower scope (``oauth.scope_narrowed``).

Events never hold a key: only its id and redacted form (``sk_test_...Ab12``). Each names the
request that caused it and the client's address when there was one: a change made with a
stolen session shows where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.ids import new_sortable_id
from ..core.keys import scrub
from ..models.audit import AuditEvent
from ..models.base import db

EVENT_TYPES = (
    "api_key.created", "api_key.rolled", "api_key.revoked", "api_key.expired_used",
    "api_key.revoked_used", "api_key.seen_in_url", "api_key.used_in_browser", "auth.throttled",
    "webhook_endpoint.secret_rolled", "leak_drill.started", "clock.advanced",
    "connect_application.saved", "oauth.authorized", "oauth.code_reused", "oauth.deauthorized",
    "oauth.disconnected", "oauth.scope_narrowed",
)


@dataclass(frozen=True)
class Source:
    """Where a change came from: the request that made it (its ``Request-Id``) and the
    client's address. The view layer knows them and hands them to the service, which passes
    them on here (services never read the request); ``None`` records neither."""

    request_id: str | None = None
    client_ip: str | None = None


def record_event(type: str, *, now: int, account_id: str | None = None,
                 livemode: bool | None = None, key=None, source: Source | None = None,
                 data: dict[str, Any] | None = None, commit: bool = False) -> AuditEvent:
    """Add an audit event to the session (and commit it when ``commit``).

    :param type: one of ``EVENT_TYPES``.
    :param key: the ``ApiKey`` concerned, if any: its id and redacted form are kept.
    :param source: the request and address that caused it (``None``: neither is known).
    :param data: extra details; strings in it are scrubbed of anything key-shaped.
    """
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown audit event type {type!r}")
    source = source or Source()
    event = AuditEvent(
        id=new_sortable_id("aud_"), type=type, created=now,
        account_id=account_id or (key.account_id if key is not None else None),
        livemode=livemode if livemode is not None else (key.livemode if key is not None
                                                        else None),
        key_id=key.id if key is not None else None,
        key_redacted=key.redacted if key is not None else None,
        request_id=source.request_id, client_ip=source.client_ip,
        data={k: scrub(v) if isinstance(v, str) else v for k, v in (data or {}).items()} or None,
    )
    db.session.add(event)
    if commit:
        db.session.commit()
    return event
