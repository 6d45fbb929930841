"""/v1/events: retrieve and list (events are written by the services, never through the API)."""

from __future__ import annotations

from flask import request
from marshmallow import Schema, ValidationError, fields

from .. import messages
from ..errors import InvalidRequestError
from ..http.auth import requires
from ..http.context import scope
from ..http.decorators import accepts, returns
from ..http.schemas import Bool, Expand, ListParams, Str, StringArray, StripeSchema, list_schema
from ..http.validation import coded
from ..services import events
from . import bp

MAX_TYPES = 20


class TypeList(StringArray):
    """``types[]=a&types[]=b``: up to 20 event types."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if len(value) > MAX_TYPES:
            raise ValidationError(coded(None, messages.EVENT_TYPES_TOO_MANY.format(max=MAX_TYPES)))
        return value


class EventListParams(ListParams):
    type = Str(max_length=255)
    types = TypeList()
    delivery_success = Bool()


class EventRetrieve(StripeSchema):
    expand = Expand()


class EventOut(Schema):
    id = fields.String()
    object = fields.Constant("event")
    api_version = fields.String()
    created = fields.Integer()
    data = fields.Dict()
    livemode = fields.Boolean()
    pending_webhooks = fields.Integer()  # deliveries not (yet) successful
    request = fields.Function(lambda event: {"id": event.request_id,
                                             "idempotency_key": event.idempotency_key})
    type = fields.String()


@bp.get("/events/<event_id>")
@requires("event_read")
@accepts(EventRetrieve)
@returns(EventOut)
def retrieve_event(event_id, params):
    """Retrieve an event (the object as it was when the event happened)."""
    s = scope()
    return events.get_event(s.account, s.livemode, event_id)


@bp.get("/events")
@requires("event_read")
@accepts(EventListParams)
@returns(list_schema(EventOut))
def list_events(params):
    """List events, newest first; filter by type, types[], created, delivery_success."""
    if params.get("type") and params.get("types"):
        raise InvalidRequestError(messages.EVENT_TYPE_AND_TYPES, param="types")
    s = scope()
    return events.list_events(s.account, s.livemode, s.clock, params, request.path)
