"""Jinja filters: account-clock timestamps, durations and amounts, as people read them."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import urlencode

from flask import request, url_for
from markupsafe import Markup

from ..core.clock import duration
from ..core.keys import scrub
from ..core.money import format_amount


def timestamp(value: int | None) -> str:
    """``1735689600`` -> ``2025-01-01 00:00:00 UTC``; empty for ``None``."""
    if value is None:
        return ""
    return datetime.fromtimestamp(int(value), timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def time_tag(value: int | None, seconds: bool = True) -> Markup:
    """A ``<time>`` element for tables: ``2025-01-01 00:00:00`` (UTC, said in its title)."""
    if value is None:
        return Markup("")
    moment = datetime.fromtimestamp(int(value), timezone.utc)
    full = moment.strftime("%Y-%m-%d %H:%M:%S")
    return Markup('<time datetime="{}" title="{} UTC">{}</time>').format(
        moment.isoformat(), full, full if seconds else full[:-3])


# Audit event details that are moments on the account's clock (``clock.advanced``'s ``from``
# and ``to``, a rolled signing secret's expiry): shown as times, not Unix seconds.
AUDIT_TIMES = frozenset({"from", "to", "previous_secret_expires_at"})


def audit_detail(value: object, name: str) -> object:
    """An audit event's detail as people read it: a time for the moments, else as stored."""
    if name in AUDIT_TIMES and isinstance(value, int) and not isinstance(value, bool):
        return time_tag(value)
    return value


def money(amount: int | None, currency: str | None) -> str:
    """``1234, "usd"`` -> ``$12.34 USD``."""
    if amount is None or not currency:
        return ""
    return f"{format_amount(int(amount), currency)} {currency.upper()}"


# A list's cursors and a search's: a link to another page replaces them, never keeps them.
# Nor ``limit``: every page is ``logs.PAGE_SIZE`` rows whatever it says; a link keeping it
# would suggest otherwise.
DROPPED = ("starting_after", "ending_before", "page", "limit")


def page_link(**changes: str | None) -> str:
    """This page's URL with the same filters (or search query) and another cursor
    (``starting_after=...``, a search's ``page=...``; none: the first page).

    Whatever else the address carried comes along masked: a key pasted into it is not put
    back into the page's links (nor, once followed, into the next page's address)."""
    args = {scrub(k): scrub(v) for k, v in request.args.items() if k not in DROPPED}
    args.update({k: v for k, v in changes.items() if v is not None})
    # The query string built apart: a filter may be called ``endpoint`` (the webhooks page's)
    # or ``_external``, names url_for would take as its own arguments.
    query = urlencode(args)
    return url_for(request.endpoint, **(request.view_args or {})) + (f"?{query}" if query else "")


def masked(value: object) -> str:
    """A submitted value shown again in its form, with anything key-shaped masked: a key
    pasted into the wrong field is not sent back to the browser."""
    return scrub(str(value)) if value else ""


def register(bp) -> None:
    for name, func in (("timestamp", timestamp), ("time", time_tag), ("duration", duration),
                       ("money", money), ("masked", masked),
                       ("audit_detail", audit_detail)):
        bp.add_app_template_filter(func, f"pg_{name}")
    bp.add_app_template_global(page_link, "pg_page_link")
