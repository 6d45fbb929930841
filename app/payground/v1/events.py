"""/v1/events: retrieve and list (events are written by the services, never through the API)."""

from __future__ import annotations

from flask import g, request
from marshmallow import Schema, ValidationError, fields, missing

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
    # Stripe's "connected account that originates the event": only on events shown to a
    # platform (a Connect endpoint's delivery, a read through a connection); left out else.
    account = fields.Function(
        lambda event: event.account_id if event.shown_to_platform else missing)
    api_version = fields.String()
    created = fields.Integer()
    data = fields.Dict()
    livemode = fields.Boolean()
    pending_webhooks = fields.Integer()  # deliveries not (yet) successful
    request = fields.Function(lambda event: {"id": event.request_id,
                                             "idempotency_key": event.idempotency_key})
    type = fields.String()


class ApplicationOut(Schema):
    """A platform's Connect application as ``account.application.*`` events carry it."""

    id = fields.String()
    object = fields.Constant("application")
    name = fields.String()


def _shown_to_platform(events_shown) -> None:
    """A read through a connection (``Stripe-Account``, an OAuth access token) is the
    platform's: its events name the connected account, as Connect deliveries do."""
    if g.get("platform_id"):
        for event in events_shown:
            event.shown_to_platform = True


@bp.get("/events/<event_id>")
@requires("event_read")
@accepts(EventRetrieve)
@returns(EventOut)
def retrieve_event(event_id, params):
    """Retrieve an event (the object as it was when the event happened)."""
    s = scope()
    event = events.get_event(s.account, s.livemode, event_id)
    _shown_to_platform([event])
    return event


@bp.get("/events")
@requires("event_read")
@accepts(EventListParams)
@returns(list_schema(EventOut))
def list_events(params):
    """List events, newest first; filter by type, types[], created, delivery_success."""
    if params.get("type") and params.get("types"):
        raise InvalidRequestError(messages.EVENT_TYPE_AND_TYPES, param="types")
    s = scope()
    page = events.list_events(s.account, s.livemode, s.clock, params, request.path)
    _shown_to_platform(page.items)
    return page
