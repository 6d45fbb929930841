"""The webhooks page: the endpoints of the mode shown, and what was sent to them."""

from __future__ import annotations

from flask import g, render_template, request

from ..http.schemas import ListParams
from ..sandbox.logs import DeliveryListParams
from ..services import logs, webhooks
from . import bp
from .logs import PAGE_SIZE, list_args, load_page


@bp.get("/webhooks")
def webhooks_page():
    """Webhook endpoints (this mode) and their deliveries: attempts, answers, next retry."""
    endpoints = webhooks.list_endpoints(g.account, g.livemode,
                                        ListParams().load({"limit": "100"}), request.path)
    args = list_args(("endpoint", "status"))
    args["mode"] = "live" if g.livemode else "test"
    page, error = load_page(DeliveryListParams(), args,
                            lambda p: logs.list_webhook_deliveries(g.account, p, request.path))
    return render_template("dashboard/webhooks.html", endpoints=endpoints.items,
                           urls={e.id: e.url for e in endpoints.items}, page=page,
                           error=error, filters=args, page_size=PAGE_SIZE), 400 if error else 200
