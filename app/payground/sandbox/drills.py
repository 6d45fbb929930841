"""/sandbox/leak_drills: treat one of the account's keys as leaked, and see what bots do.

Stripe has nothing like it: in Stripe, a leak is real. Here the bots are simulated (see
``services.drills``) and use the key through the same checks as the API, so a revoked,
expired, allow-listed or restricted key stops them exactly where it would stop anyone.
"""

from __future__ import annotations

from flask import g, request

from ..http.context import audit_source, state
from ..http.decorators import request_params
from ..http.schemas import ListParams, OneOf, Str, StripeSchema
from ..services import drills
from . import bp
from .auth import session_required


class DrillStart(StripeSchema):
    key = Str(required=True, max_length=40)


@bp.post("/leak_drills")
@session_required
def start_leak_drill():
    """Start a drill: the key counts as pushed to a public repository now."""
    params = DrillStart().load(request_params())
    st = state()
    drill = drills.start_drill(g.account, params["key"], clock=st.clock, source=audit_source())
    return drills.describe(drill, drills.key_of(drill), st.clock.for_account(g.account)), 201


class DrillListParams(ListParams):
    mode = OneOf(("test", "live"))


@bp.get("/leak_drills")
@session_required
def list_leak_drills():
    """The account's drills, newest first, with each one's exposure so far."""
    params = DrillListParams().load(request_params())
    mode = params.get("mode")
    page = drills.list_drills(g.account, params, request.path,
                              livemode=None if mode is None else mode == "live")
    now = state().clock.for_account(g.account)
    return {"object": "list", "url": page.url, "has_more": page.has_more,
            "data": drills.describe_all(page.items, now)}


@bp.get("/leak_drills/<drill_id>")
@session_required
def retrieve_leak_drill(drill_id):
    """One drill: how long the key has been out, what the bots got, whether it is contained."""
    drill = drills.get_drill(g.account, drill_id)
    return drills.describe(drill, drills.key_of(drill), state().clock.for_account(g.account))
