"""/sandbox/clock: read and fast-forward the signed-in account's clock."""

from __future__ import annotations

from flask import g

from ..http.context import audit_source, state
from ..http.decorators import request_params
from ..http.schemas import Int, StripeSchema
from ..services import clock as clock_service
from . import bp
from .auth import session_required


class Advance(StripeSchema):
    seconds = Int(required=True)


def clock_object(account) -> dict:
    clock = state().clock
    return {"object": "clock", "now": clock.for_account(account),
            "offset": account.clock_offset or 0, "wall": clock.now()}


@bp.get("/clock")
@session_required
def get_clock():
    """The account's time, its offset from the wall clock, and the wall clock."""
    return clock_object(g.account)


@bp.post("/clock/advance")
@session_required
def advance_clock():
    """Move the account's clock forward by ``seconds``."""
    params = Advance().load(request_params())
    clock_service.advance_clock(g.account, params["seconds"], clock=state().clock,
                               source=audit_source())
    return clock_object(g.account)
