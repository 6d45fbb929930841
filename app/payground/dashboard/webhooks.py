"""The webhooks page: the endpoints of the mode shown, what was sent to them, and rolling an
endpoint's signing secret (the new one shown once, as keys are)."""

from __future__ import annotations

from flask import current_app, g, render_template, request
from marshmallow import ValidationError

from .. import messages
from ..core.webhooks import without_credentials
from ..errors import ParameterInvalid, StripeError
from ..http.context import audit_source, state
from ..http.schemas import ListParams
from ..sandbox.logs import DeliveryListParams
from ..sandbox.webhooks import SecretRoll
from ..services import logs, webhooks
from ..services.webhooks import ALL_EVENTS
from ..v1.webhook_endpoints import WebhookEndpointCreate
from . import bp
from .filters import duration
from .form_nonces import once
from .forms import error_text
from .logs import list_args, load_page
from .session import refuse_form_of_other_mode

# When the old secret stops signing (Stripe allows up to 24 hours).
ROLL_CHOICES = ((0, "Now"), (3600, "In 1 hour"), (86400, "In 24 hours"))
CHOOSE_EVENTS = "Choose the events to send (or All events)."


@bp.get("/webhooks")
def webhooks_page():
    """Webhook endpoints (this mode) and their deliveries: attempts, answers, next retry."""
    return _render_page()


def _render_page(**rolled):
    # At most 16 per mode (services.webhooks.MAX_ENDPOINTS): one page holds them all.
    endpoints = webhooks.list_endpoints(g.account, g.livemode,
                                        ListParams().load({"limit": "100"}), request.path)
    args = list_args(("endpoint", "status"))
    args["mode"] = "live" if g.livemode else "test"
    page, error = load_page(DeliveryListParams(), args,
                            lambda p: logs.list_webhook_deliveries(g.account, p, request.path))
    now = state().clock.for_account(g.account)
    return render_template("dashboard/webhooks.html", endpoints=endpoints.items,
                           urls={e.id: without_credentials(e.url)
                                 for e in endpoints.items},
                           page=page, error=error, filters=args, now=now,
                           **rolled), 400 if error else 200


@bp.get("/webhooks/new")
def new_webhook_endpoint_form():
    """Ask for the URL, the events and a description."""
    return _render_form({"url": "", "description": "", "enabled_events": [ALL_EVENTS]})


@bp.post("/webhooks")
def create_webhook_endpoint():
    """Add an endpoint: the webhooks page then shows its signing secret, this once."""
    form = {"url": request.form.get("url", "").strip(),
            "description": request.form.get("description", "").strip(),
            "enabled_events": request.form.getlist("enabled_events")}
    try:
        refuse_form_of_other_mode("added")
        if not form["enabled_events"]:
            raise ParameterInvalid(CHOOSE_EVENTS, param="enabled_events")
        params = WebhookEndpointCreate().load({k: v for k, v in form.items() if v})
        st = state()
        with once(messages.DASHBOARD_ENDPOINT_ADDED_BEFORE, "dashboard.webhooks_page",
                "Back to webhooks"):
            endpoint, secret = webhooks.create_endpoint(
                g.account, g.livemode, st.clock, params, pepper=st.pepper,
                allowed=current_app.config["WEBHOOK_ALLOWED_HOSTS"])
    except (StripeError, ValidationError) as exc:
        message, field = error_text(exc)
        return _render_form(form, error=message, error_field=field), 400
    return _render_page(
        secret_title="Your endpoint’s signing secret",
        rolled_url=without_credentials(endpoint.url), rolled_secret=secret,
        rolled_intro="Give it to your handler (as STRIPE_WEBHOOK_SECRET, say): it checks each "
                     "delivery’s Stripe-Signature with it.")


def _render_form(form: dict, **error):
    return render_template("dashboard/webhook_new.html", form=form,
                           event_types=(ALL_EVENTS, *webhooks.EVENT_TYPES), **error)


@bp.get("/webhooks/<endpoint_id>/roll")
def roll_webhook_secret_form(endpoint_id):
    """Ask when the old signing secret should stop signing."""
    endpoint = webhooks.get_endpoint(g.account, g.livemode, endpoint_id)
    return render_template("dashboard/webhook_roll.html", endpoint=endpoint,
                           url=without_credentials(endpoint.url), choices=ROLL_CHOICES)


@bp.post("/webhooks/<endpoint_id>/roll")
def roll_webhook_secret(endpoint_id):
    """Roll: the new secret (shown once) signs now, the old one too until the chosen time."""
    endpoint = webhooks.get_endpoint(g.account, g.livemode, endpoint_id)
    try:
        params = SecretRoll().load({"expires_in": request.form.get("expires_in", "")})
        st = state()
        with once(messages.DASHBOARD_SECRET_ROLLED_BEFORE, "dashboard.webhooks_page",
                "Back to webhooks"):
            endpoint, secret = webhooks.roll_secret(g.account, endpoint.id,
                                                    params["expires_in"], clock=st.clock,
                                                    pepper=st.pepper, source=audit_source())
    except (StripeError, ValidationError) as exc:
        message, _ = error_text(exc)
        return render_template("dashboard/webhook_roll.html", endpoint=endpoint,
                               url=without_credentials(endpoint.url),
                               choices=ROLL_CHOICES, error=message), 400
    grace = params["expires_in"]
    intro = ("The old secret has stopped signing deliveries." if grace == 0 else
             f"The old secret also signs deliveries for {duration(grace)} more: deploy the "
             "new one to your handler before then.")
    return _render_page(rolled_url=without_credentials(endpoint.url),
                        rolled_secret=secret, rolled_intro=intro)
