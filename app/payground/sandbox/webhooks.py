"""/sandbox/webhook_endpoints/{id}/roll: a new signing secret, the old one signing for a while.

Stripe rolls a webhook secret from its dashboard, not its API; here the account's session
does it (the sandbox API, the dashboard), like every other secret's lifecycle.
"""

from __future__ import annotations

from flask import g

from ..http.context import audit_source, state
from ..http.decorators import request_params
from ..http.schemas import Int, StripeSchema
from ..services import webhooks
from ..v1.webhook_endpoints import WebhookEndpointOut
from . import bp
from .auth import session_required


class SecretRoll(StripeSchema):
    expires_in = Int(load_default=0)


@bp.post("/webhook_endpoints/<endpoint_id>/roll")
@session_required
def roll_webhook_secret(endpoint_id):
    """Roll an endpoint's signing secret; the new one is in this response only."""
    params = SecretRoll().load(request_params())
    st = state()
    endpoint, secret = webhooks.roll_secret(g.account, endpoint_id, params["expires_in"],
                                            clock=st.clock, pepper=st.pepper,
                                            source=audit_source())
    shown = WebhookEndpointOut().dump(endpoint)
    shown["secret"] = secret
    shown["previous_secret_expires_at"] = endpoint.previous_secret_expires_at
    return shown
