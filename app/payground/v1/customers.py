"""/v1/customers: create, retrieve, update, delete, list."""

from __future__ import annotations

from typing import ClassVar

from flask import request
from marshmallow import Schema, fields

from ..core import money
from ..http.auth import requires
from ..http.context import scope
from ..http.decorators import accepts, expands, returns
from ..http.schemas import Email, Expand, Int, ListParams, Metadata, Str, StripeSchema, list_schema
from ..services import customers
from . import bp


class CustomerCreate(StripeSchema):
    email = Email(allow_empty=True)  # `email=` unsets it, as Stripe's does
    name = Str(max_length=256)
    description = Str(allow_empty=True)
    phone = Str(max_length=64)
    # Stripe's eight digits either way (the column itself is 64-bit).
    balance = Int(minimum=-money.MAXIMUM_AMOUNT, maximum=money.MAXIMUM_AMOUNT)
    metadata = Metadata()
    expand = Expand()


class CustomerUpdate(CustomerCreate):
    pass


class CustomerRetrieve(StripeSchema):
    expand = Expand()


class CustomerListParams(ListParams):
    email = Str(max_length=512)


class CustomerOut(Schema):
    READ_PERMISSIONS: ClassVar[tuple[str, ...]] = ("customer_read",)  # to expand one
    # Expandable on Stripe, always null here (no saved sources, no invoices): Node and Python
    # integrations expand them on every retrieve, and get the null back.
    EXPANDABLE_NULLS: ClassVar[frozenset[str]] = frozenset({
        "default_source", "invoice_settings.default_payment_method"})
    id = fields.String()
    object = fields.Constant("customer")
    address = fields.Constant(None)
    balance = fields.Integer()
    created = fields.Integer()
    currency = fields.String()
    default_source = fields.Constant(None)
    delinquent = fields.Constant(False)
    description = fields.String()
    email = fields.String()
    invoice_prefix = fields.Constant(None)
    # Payground has no invoices: nothing here can be set (README), but Stripe always shows it.
    invoice_settings = fields.Function(lambda customer: {
        "custom_fields": None, "default_payment_method": None, "footer": None,
        "rendering_options": None})
    livemode = fields.Boolean()
    metadata = fields.Dict(attribute="metadata_")
    name = fields.String()
    phone = fields.String()
    preferred_locales = fields.Constant([])
    shipping = fields.Constant(None)
    tax_exempt = fields.Constant("none")


class DeletedCustomerOut(Schema):
    id = fields.String()
    object = fields.Constant("customer")
    deleted = fields.Constant(True)


@bp.post("/customers")
@requires("customer_write")
@accepts(CustomerCreate)
@returns(CustomerOut)
def create_customer(params):
    """Create a customer."""
    s = scope()
    return customers.create_customer(s.account, s.livemode, s.clock, params)


@bp.get("/customers/<customer_id>")
@requires("customer_read")
@accepts(CustomerRetrieve)
@expands(CustomerOut)
def retrieve_customer(customer_id, params):
    """Retrieve a customer (a deleted one comes back as ``{id, object, deleted: true}``)."""
    s = scope()
    customer = customers.get_customer(s.account, s.livemode, customer_id, include_deleted=True)
    if customer.deleted:
        return DeletedCustomerOut().dump(customer)
    return _dump(customer)


@bp.post("/customers/<customer_id>")
@requires("customer_write")
@accepts(CustomerUpdate)
@returns(CustomerOut)
def update_customer(customer_id, params):
    """Update a customer."""
    s = scope()
    return customers.update_customer(s.account, s.livemode, s.clock, customer_id, params)


@bp.delete("/customers/<customer_id>")
@requires("customer_write")
@accepts(CustomerRetrieve)
@returns(DeletedCustomerOut)
def delete_customer(customer_id, params):
    """Delete a customer."""
    s = scope()
    return customers.delete_customer(s.account, s.livemode, s.clock, customer_id)


@bp.get("/customers")
@requires("customer_read")
@accepts(CustomerListParams)
@returns(list_schema(CustomerOut))
def list_customers(params):
    """List customers, newest first."""
    s = scope()
    return customers.list_customers(s.account, s.livemode, params, request.path)


@returns(CustomerOut)
def _dump(customer):
    return customer
