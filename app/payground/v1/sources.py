"""/v1/customers/{id}/sources: a customer's saved cards (create, retrieve, update, delete,
list)."""

from __future__ import annotations

from typing import ClassVar

from flask import request
from marshmallow import Schema, fields

from ..http.auth import requires
from ..http.context import scope, state
from ..http.decorators import accepts, returns
from ..http.schemas import (Bool, CardText, Expand, ListParams, Metadata, NotEmpty, OneOf, Str,
                            StripeSchema, list_schema)
from ..services import events, sources
from . import bp
from .tokens import CardOut


class CardSourceOut(CardOut):
    """Stripe's ``card`` object for a card saved on a customer."""

    READ_PERMISSIONS: ClassVar[tuple[str, ...]] = ("customer_read",)  # to expand one
    id = fields.String()
    metadata = fields.Dict(attribute="metadata_")


events.register_schema("card", CardSourceOut)
CardSourceListOut = list_schema(CardSourceOut)


class DeletedCardOut(Schema):
    id = fields.String()
    object = fields.Constant("card")
    deleted = fields.Constant(True)


class SourceCreate(StripeSchema):
    source = NotEmpty(required=True)  # a token (tok_...), checked by the service
    metadata = Metadata()
    validate = Bool()  # Stripe always verifies a card it saves; so does Payground
    expand = Expand()


class SourceUpdate(StripeSchema):
    exp_month = CardText()
    exp_year = CardText()
    name = Str(max_length=256, allow_empty=True)
    address_city = Str(max_length=200, allow_empty=True)
    address_country = Str(max_length=200, allow_empty=True)
    address_line1 = Str(max_length=200, allow_empty=True)
    address_line2 = Str(max_length=200, allow_empty=True)
    address_state = Str(max_length=200, allow_empty=True)
    address_zip = Str(max_length=20, allow_empty=True)
    metadata = Metadata()
    expand = Expand()


class SourceRetrieve(StripeSchema):
    expand = Expand()


class SourceListParams(ListParams):
    class Meta(ListParams.Meta):
        exclude = ("created",)  # not taken by Stripe's list of a customer's sources

    object = OneOf(("bank_account", "card", "source"))


@bp.post("/customers/<customer_id>/sources")
@requires("customer_write")
@accepts(SourceCreate)
@returns(CardSourceOut)
def create_source(customer_id, params):
    """Save a card on a customer, from a token."""
    s = scope()
    return sources.create_source(s.account, s.livemode, s.clock, customer_id, params,
                                 pepper=state().pepper)


@bp.get("/customers/<customer_id>/sources")
@requires("customer_read")
@accepts(SourceListParams)
@returns(CardSourceListOut)
def list_sources(customer_id, params):
    """List a customer's saved cards, newest first."""
    s = scope()
    return sources.list_sources(s.account, s.livemode, customer_id, params, request.path)


@bp.get("/customers/<customer_id>/sources/<source_id>")
@requires("customer_read")
@accepts(SourceRetrieve)
@returns(CardSourceOut)
def retrieve_source(customer_id, source_id, params):
    """Retrieve one of a customer's saved cards."""
    s = scope()
    return sources.get_source(s.account, s.livemode, customer_id, source_id)


@bp.post("/customers/<customer_id>/sources/<source_id>")
@requires("customer_write")
@accepts(SourceUpdate)
@returns(CardSourceOut)
def update_source(customer_id, source_id, params):
    """Update a saved card's expiry, name, address or metadata."""
    s = scope()
    return sources.update_source(s.account, s.livemode, s.clock, customer_id, source_id, params)


@bp.delete("/customers/<customer_id>/sources/<source_id>")
@requires("customer_write")
@accepts(SourceRetrieve)
@returns(DeletedCardOut)
def delete_source(customer_id, source_id, params):
    """Delete a saved card from a customer."""
    s = scope()
    return sources.delete_source(s.account, s.livemode, s.clock, customer_id, source_id)
