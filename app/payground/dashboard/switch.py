"""What the Test/Live switch carries to the other mode: the page it was pressed on, with the
filters of that page that still mean something there.

The switch's hidden ``next`` (``switch_next``) is the page's path and those of its filters
that may be carried; ``carried`` then keeps, for the mode switched to, the ones that make
sense in it. Never a cursor (``starting_after`` names a row of the mode left, a search's
``page`` is signed for it): the other mode's first page. Nor a value masking would change
(the address would hold a secret), nor one holding a NUL (no page takes such an address)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlencode

from flask import current_app, g, request, url_for
from werkzeug.exceptions import HTTPException

from ..core.keys import scrub
from ..errors import ResourceMissing
from ..services import keys as key_service
from ..services import webhooks
from . import bp


def _kept(value: str, live: bool, args: Mapping[str, str]) -> bool:
    """A filter that means the same in either mode (a status, an event type, a query)."""
    return True


def _both_modes(value: str, live: bool, args: Mapping[str, str]) -> bool:
    """The request log's mode filter: "Both modes" is kept; a single mode is the switch's
    (the log then shows the mode switched to, as on a first visit)."""
    return value == "any"


def _key_of_mode(value: str, live: bool, args: Mapping[str, str]) -> bool:
    """The request log's key: every key is of one mode. Kept while the log shows both modes
    (the same rows), or for a key of the mode switched to; one of the mode left would list
    nothing there."""
    if args.get("mode") == "any":
        return True
    try:
        return key_service.get_key(g.account, value).livemode == live
    except ResourceMissing:
        return False


def _endpoint_of_mode(value: str, live: bool, args: Mapping[str, str]) -> bool:
    """The webhooks page's endpoint: the page lists one mode's endpoints and deliveries, so
    only an endpoint of the mode switched to is kept (in practice, never one of the mode
    left: it has no deliveries there, nor a place in that page's list)."""
    try:
        webhooks.get_endpoint(g.account, live, value)
    except ResourceMissing:
        return False
    return True


Rule = Callable[[str, bool, Mapping[str, str]], bool]
_SEARCH = {"query": _kept}
# A filter given empty is no filter (``logs.list_args``), but for the request log's mode:
# ``mode=`` is not a first visit (``logs.requests_page``), it lists both modes, as "any" does.
BLANK: dict[str, dict[str, str]] = {"dashboard.requests_page": {"mode": "any"}}
# Per page (its endpoint): the filters the switch carries, each with whether it still means
# something in the mode switched to. The audit trail lists both modes whatever the switch
# shows: its key filter keeps its meaning, so it is kept.
FILTERS: dict[str, dict[str, Rule]] = {
    "dashboard.customers_page": _SEARCH,
    "dashboard.charges_page": _SEARCH,
    "dashboard.payment_intents_page": _SEARCH,
    "dashboard.requests_page": {"key": _key_of_mode, "status": _kept, "mode": _both_modes},
    "dashboard.audit_page": {"type": _kept, "key": _kept},
    "dashboard.webhooks_page": {"endpoint": _endpoint_of_mode, "status": _kept},
}


# Pages about one object (a key, a webhook endpoint, a connection): each is of one mode, so in
# the other mode such a page only says it is not there. The switch leads to their list.
LISTS_INSTEAD = {
    "dashboard.roll_key_form": "dashboard.keys",
    "dashboard.revoke_key_form": "dashboard.keys",
    "dashboard.roll_webhook_secret_form": "dashboard.webhooks_page",
    "dashboard.disconnect_form": "dashboard.connections_page",
}


def _page(target: str) -> str | None:
    """The endpoint of the page ``target`` (a dashboard path) shows, if it is one."""
    try:
        return current_app.url_map.bind("").match(target, method="GET")[0]
    except HTTPException:  # no such page (or a redirect to one: not followed)
        return None


def _candidates(endpoint: str | None, pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The page's filters the switch may carry, as the page reads them: named in ``FILTERS``,
    not empty (but where ``BLANK`` says what empty means), without a NUL (no page takes an
    address holding one, and PostgreSQL cannot look an id up with it: a 500), and left whole
    by masking (a key pasted into a filter stays out of the address)."""
    names = FILTERS.get(endpoint or "", {})
    blank = BLANK.get(endpoint or "", {})
    first: dict[str, str] = {}
    for name, value in pairs:  # the first of a name, as the page reads it
        if name in names:
            first.setdefault(name, value.strip() or blank.get(name, ""))
    return {n: v for n, v in first.items() if v and "\0" not in v and scrub(v) == v}


def switch_next() -> str:
    """The switch's ``next``: this page's path (masked) and the filters it may carry."""
    args = _candidates(request.endpoint, request.args.items(multi=True))
    path = scrub(request.path)
    return path + ("?" + urlencode(args) if args else "")


bp.add_app_template_global(switch_next, "pg_switch_next")


def carried(target: str, pairs: Iterable[tuple[str, str]], live: bool) -> str:
    """The address the switch leads to: ``target`` (a checked dashboard path) with those of
    ``pairs`` that make sense in the mode switched to (``live``)."""
    endpoint = _page(target)
    if endpoint in LISTS_INSTEAD and live != g.livemode:
        return url_for(LISTS_INSTEAD[endpoint])
    args = _candidates(endpoint, pairs)
    rules = FILTERS.get(endpoint or "", {})
    kept = {n: v for n, v in args.items() if rules[n](v, live, args)}
    return target + ("?" + urlencode(kept) if kept else "")
