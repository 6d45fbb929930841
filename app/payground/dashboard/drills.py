"""The leak drills page: leak one of the mode's keys, watch the score while you contain it."""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from .. import messages
from ..errors import StripeError
from ..http.context import audit_source, state
from ..sandbox.drills import DrillStart
from ..services import drills
from ..services import keys as key_service
from . import bp
from .form_nonces import once
from .forms import error_text

PAGE_SIZE = 100  # the newest drills of the mode; a learner runs a handful


def _render(error: str | None = None, started: str | None = None):
    now = state().clock.for_account(g.account)
    page = drills.list_drills(g.account, {"limit": PAGE_SIZE}, request.path,
                              livemode=g.livemode)
    shown = drills.describe_all(page.items, now)
    # Publishable keys are public by design and dead keys cannot leak any more.
    leakable = [k for k in key_service.list_keys(g.account)
                if k.livemode == g.livemode and k.type != "publishable"
                and k.status_at(now) in ("active", "expiring")]
    return render_template("dashboard/drills.html", drills=shown, keys=leakable, error=error,
                           started=started), 400 if error else 200


@bp.get("/drills")
def drills_page():
    """The mode's drills with their exposure and score, and a form to start one."""
    return _render(started=request.args.get("started"))


@bp.post("/drills")
def start_drill():
    """Leak the chosen key now; the page then shows the drill."""
    try:
        params = DrillStart().load({name: request.form[name] for name in ("key",)
                                    if name in request.form})
        # The form lists this mode's keys; a stale tab (the mode switched in another) may
        # still send one of the other mode, whose drill this page would never show.
        with once(messages.DASHBOARD_DRILL_STARTED_BEFORE, "dashboard.drills_page",
                "Back to leak drills"):
            drill = drills.start_drill(g.account, params["key"], clock=state().clock,
                                       livemode=g.livemode, source=audit_source())
    except (StripeError, ValidationError) as exc:
        message, _ = error_text(exc)
        return _render(error=message)
    return redirect(url_for("dashboard.drills_page", started=drill.id), 303)
