"""The request log (with one page per request: where ``request_log_url`` lands) and the
audit trail."""

from __future__ import annotations

from flask import g, render_template, request
from marshmallow import ValidationError

from ..errors import ResourceMissing, StripeError
from ..http import request_log
from ..sandbox.logs import AuditListParams, RequestListParams
from ..services import keys as key_service
from ..services import logs
from ..services.audit import EVENT_TYPES
from . import bp
from .forms import error_text

PAGE_SIZE = 25


def list_args(names: tuple[str, ...]) -> dict[str, str]:
    """The filters and cursor given in the query string (empty ones left out)."""
    args = {n: request.args.get(n, "").strip() for n in (*names, "starting_after",
                                                         "ending_before")}
    return {n: v for n, v in args.items() if v}


def load_page(schema, args: dict, lister):
    """``(page, error)``: the listed page, or the message of a refused filter or cursor."""
    try:
        params = schema.load({**args, "limit": str(PAGE_SIZE)})
        return lister(params), None
    except (StripeError, ValidationError) as exc:
        return None, error_text(exc)[0]


def _keys_by_id() -> dict:
    return {k.id: k for k in key_service.list_keys(g.account)}


@bp.get("/requests")
def requests_page():
    """The account's /v1 requests, newest first; filter by key, status and mode."""
    args = list_args(("key", "status", "mode"))
    if "mode" not in request.args:  # first visit: the mode the toggle shows
        args["mode"] = "live" if g.livemode else "test"
    elif args.get("mode") == "any":
        del args["mode"]
    request_log.flush()  # this process's own latest rows first
    page, error = load_page(RequestListParams(), args,
                            lambda p: logs.list_requests(g.account, p, request.path))
    return render_template("dashboard/requests.html", page=page, error=error, filters=args,
                           keys=_keys_by_id()), 400 if error else 200


@bp.get("/requests/<request_id>")
def request_detail(request_id):
    """One request of the log (either mode): the page an error's ``request_log_url`` names."""
    request_log.flush()
    entry = logs.get_request(g.account, request_id)
    key = None
    if entry.key_id:
        try:
            key = key_service.get_key(g.account, entry.key_id)
        except ResourceMissing:
            key = None
    return render_template("dashboard/request.html", entry=entry, key=key)


@bp.get("/audit")
def audit_page():
    """What happened to the account's keys: created, rolled, revoked, refused uses."""
    args = list_args(("type", "key"))
    request_log.flush()  # a refused use's request, just made, has its page to link to
    page, error = load_page(AuditListParams(), args,
                            lambda p: logs.list_audit_events(g.account, p, request.path))
    # Only a /v1 request has a page; a change made here or with the sandbox API names its
    # request (the Request-Id its answer had) without one.
    logged = logs.logged_request_ids(g.account, [e.request_id for e in page.items
                                                 if e.request_id]) if page else set()
    return render_template("dashboard/audit.html", page=page, error=error, filters=args,
                           event_types=EVENT_TYPES, keys=_keys_by_id(),
                           logged=logged), 400 if error else 200
