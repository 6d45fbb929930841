"""/v1/webhook_endpoints: create, retrieve, update, delete, list (delivery: services)."""

from __future__ import annotations

from flask import current_app, request
from marshmallow import Schema, ValidationError, fields

from .. import messages
from ..http.auth import requires
from ..http.context import scope, state
from ..http.decorators import accepts, returns
from ..http.schemas import (
    Bool,
    Expand,
    ListParams,
    Metadata,
    SendableUrl,
    Str,
    StripeSchema,
    StringArray,
    list_schema,
)
from ..http.validation import coded
from ..http.api_version import is_api_version
from ..services import webhooks
from ..services.events import API_VERSION
from . import bp


class EnabledEvents(StringArray):
    """``enabled_events[]=charge.succeeded&enabled_events[]=...``, or ``["*"]`` for all."""

    def _deserialize(self, value, attr, data, **kwargs):
        # enabled_events= is refused too: an endpoint cannot be without
        value = super()._deserialize(value, attr, data, **kwargs)
        if not value:  # a JSON []
            raise ValidationError(coded(None, messages.WEBHOOK_EVENTS_INVALID))
        for index, name in enumerate(value):
            if name != webhooks.ALL_EVENTS and name not in webhooks.EVENT_TYPES:
                # Keyed by position, so the error's param is enabled_events[<index>].
                raise ValidationError({index: [coded(None, messages.WEBHOOK_EVENT_UNKNOWN.format(
                    param="{param}", types=", ".join(webhooks.EVENT_TYPES)))]})
        return list(dict.fromkeys(value))  # duplicates once, in the order given


class ApiVersion(Str):
    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not is_api_version(value):
            raise ValidationError(coded(None, f"Invalid {{param}}: must be an API version such "
                                              f"as {API_VERSION}."))
        return value


class WebhookEndpointCreate(StripeSchema):
    url = SendableUrl(required=True, max_length=2048)
    enabled_events = EnabledEvents(required=True)
    description = Str(allow_empty=True)
    api_version = ApiVersion(max_length=32)
    connect = Bool()  # true: sent the events of the accounts connected to the application
    metadata = Metadata()
    expand = Expand()


class WebhookEndpointUpdate(StripeSchema):
    url = SendableUrl(max_length=2048)
    enabled_events = EnabledEvents()
    description = Str(allow_empty=True)
    disabled = Bool()
    metadata = Metadata()
    expand = Expand()


class WebhookEndpointRetrieve(StripeSchema):
    expand = Expand()


class WebhookEndpointOut(Schema):
    id = fields.String()
    object = fields.Constant("webhook_endpoint")
    api_version = fields.String()
    application = fields.String()  # a Connect endpoint's application (ca_), else null
    created = fields.Integer()
    description = fields.String()
    enabled_events = fields.List(fields.String())
    livemode = fields.Boolean()
    metadata = fields.Dict(attribute="metadata_")
    status = fields.String()
    url = fields.String()


class CreatedWebhookEndpointOut(WebhookEndpointOut):
    # The signing secret, in the response that creates the endpoint only.
    secret = fields.String()


class DeletedWebhookEndpointOut(Schema):
    id = fields.String()
    object = fields.Constant("webhook_endpoint")
    deleted = fields.Constant(True)


@bp.post("/webhook_endpoints")
@requires("webhook_write")
@accepts(WebhookEndpointCreate)
def create_webhook_endpoint(params):
    """Create an endpoint; only this response shows its signing secret (`whsec_...`)."""
    s = scope()
    endpoint, secret = webhooks.create_endpoint(
        s.account, s.livemode, s.clock, params, pepper=state().pepper,
        allowed=current_app.config["WEBHOOK_ALLOWED_HOSTS"])
    shown = CreatedWebhookEndpointOut().dump(endpoint)
    shown["secret"] = secret
    return shown


@bp.get("/webhook_endpoints/<endpoint_id>")
@requires("webhook_read")
@accepts(WebhookEndpointRetrieve)
@returns(WebhookEndpointOut)
def retrieve_webhook_endpoint(endpoint_id, params):
    """Retrieve an endpoint (without its secret)."""
    s = scope()
    return webhooks.get_endpoint(s.account, s.livemode, endpoint_id)


@bp.post("/webhook_endpoints/<endpoint_id>")
@requires("webhook_write")
@accepts(WebhookEndpointUpdate)
@returns(WebhookEndpointOut)
def update_webhook_endpoint(endpoint_id, params):
    """Change an endpoint's URL, events, description or metadata; `disabled=true` pauses it."""
    s = scope()
    return webhooks.update_endpoint(s.account, s.livemode, endpoint_id, params,
                                    allowed=current_app.config["WEBHOOK_ALLOWED_HOSTS"])


@bp.delete("/webhook_endpoints/<endpoint_id>")
@requires("webhook_write")
@accepts(WebhookEndpointRetrieve)
@returns(DeletedWebhookEndpointOut)
def delete_webhook_endpoint(endpoint_id, params):
    """Delete an endpoint: nothing more is sent to it."""
    s = scope()
    return webhooks.delete_endpoint(s.account, s.livemode, endpoint_id)


@bp.get("/webhook_endpoints")
@requires("webhook_read")
@accepts(ListParams)
@returns(list_schema(WebhookEndpointOut))
def list_webhook_endpoints(params):
    """List endpoints, newest first."""
    s = scope()
    return webhooks.list_endpoints(s.account, s.livemode, params, request.path)
