"""Jinja filters: account-clock timestamps, durations and amounts, as people read them."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import request, url_for
from markupsafe import Markup

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


def duration(seconds: int | None, round_up: bool = False) -> str:
    """``5400`` -> ``1 h 30 min``; ``90`` -> ``1 min``; ``30`` -> ``30 s``; at most two units.

    ``round_up`` counts a started minute as whole, as time left is read: 3599 s -> ``1 h``.
    """
    if seconds is None:
        return ""
    seconds = max(0, int(seconds))
    if round_up and seconds > 60:
        seconds = -(-seconds // 60) * 60
    if seconds < 60:
        return f"{seconds} s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        count, seconds = divmod(seconds, size)
        if count or parts:
            parts.append(f"{count} {unit}")
    parts = [p for p in parts if not p.startswith("0 ")] or parts
    return " ".join(parts[:2])


def money(amount: int | None, currency: str | None) -> str:
    """``1234, "usd"`` -> ``$12.34 USD``."""
    if amount is None or not currency:
        return ""
    return f"{format_amount(int(amount), currency)} {currency.upper()}"


def page_link(**changes: str | None) -> str:
    """This page's URL with the same filters and another cursor (``starting_after=...``)."""
    args = {k: v for k, v in request.args.items() if k not in ("starting_after", "ending_before")}
    args.update({k: v for k, v in changes.items() if v is not None})
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def masked(value: object) -> str:
    """A submitted value shown again in its form, with anything key-shaped masked: a key
    pasted into the wrong field is not sent back to the browser."""
    return scrub(str(value)) if value else ""


def register(bp) -> None:
    for name, func in (("timestamp", timestamp), ("time", time_tag), ("duration", duration),
                       ("money", money), ("masked", masked)):
        bp.add_app_template_filter(func, f"pg_{name}")
    bp.add_app_template_global(page_link, "pg_page_link")
