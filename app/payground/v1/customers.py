"""/v1/customers: create, retrieve, update, delete, list."""

from __future__ import annotations

from typing import ClassVar

import re

from flask import request
from marshmallow import Schema, ValidationError, fields

from .. import messages
from ..core import money
from ..http.auth import requires
from ..http.context import scope, state
from ..http.decorators import accepts, expands, returns
from ..http.intent_schemas import Address, CustomerShippingDetails, FreeformAddress, Shipping
from ..http.schemas import (Email, Expand, Int, ListParams, Metadata, NotEmpty, OneOf, Str,
                            StringArray, StripeSchema, list_schema)
from ..http.validation import coded
from ..services import customers
from . import bp

_INVOICE_PREFIX = re.compile(r"^[A-Z0-9]{1,12}$")
# A BCP 47 language tag as Stripe's locales are written: en, fr-FR, zh-Hant-TW, es-419.
_LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")


class InvoicePrefix(Str):
    def __init__(self, **kwargs):
        super().__init__(max_length=12, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value and not _INVOICE_PREFIX.match(value):
            raise ValidationError(coded(None, messages.INVOICE_PREFIX_INVALID))
        return super()._deserialize(value, attr, data, **kwargs)


class PreferredLocales(StringArray):
    """``preferred_locales[]=fr-FR``: language tags, in order of preference (``""`` unsets)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            return []  # Stripe's `Emptyable`: no preference
        value = super()._deserialize(value, attr, data, **kwargs)
        for index, locale in enumerate(value):
            if not _LOCALE.match(locale):
                raise ValidationError({index: [coded(None, messages.PREFERRED_LOCALE_INVALID)]})
        return value


class CustomField(StripeSchema):
    name = Str(required=True, max_length=40)
    value = Str(required=True, max_length=140)


class CustomFields(fields.List):
    """``invoice_settings[custom_fields][0][name]=...``: at most four; ``""`` removes them."""

    MAX = 4

    def __init__(self, **kwargs):
        super().__init__(fields.Nested(CustomField), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            return None
        value = super()._deserialize(value, attr, data, **kwargs)
        if len(value) > self.MAX:
            raise ValidationError(coded(None, messages.CUSTOM_FIELDS_TOO_MANY.format(
                param="{param}", max=self.MAX)))
        return value


class RenderingOptions(StripeSchema):
    amount_tax_display = OneOf(("exclude_tax", "include_inclusive_tax"), allow_empty=True)
    template = Str(max_length=5000)


class Emptyable(fields.Nested):
    """A hash Stripe lets ``""`` remove (None)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "":
            return None
        return super()._deserialize(value, attr, data, **kwargs)


class InvoiceSettings(StripeSchema):
    """What Stripe's invoices would show: kept and shown back (Payground makes no invoices).
    ``default_payment_method`` must be attached to the customer (``""`` removes it); kept and
    shown, it charges nothing by itself (no subscriptions here, README)."""

    custom_fields = CustomFields()
    default_payment_method = Str(max_length=255, allow_empty=True)
    footer = Str(max_length=5000, allow_empty=True)
    rendering_options = Emptyable(RenderingOptions)


class CustomerCreate(StripeSchema):
    email = Email(allow_empty=True)  # `email=` unsets it, as Stripe's does
    name = Str(max_length=256)
    description = Str(allow_empty=True)
    phone = Str(max_length=64)
    # Stripe's eight digits either way (the column itself is 64-bit).
    balance = Int(minimum=-money.MAXIMUM_AMOUNT, maximum=money.MAXIMUM_AMOUNT)
    metadata = Metadata()
    # Descriptive: kept and shown back, never acted on (Payground has no invoices or tax).
    address = Address(FreeformAddress)
    shipping = Shipping(CustomerShippingDetails)
    preferred_locales = PreferredLocales()
    tax_exempt = OneOf(("exempt", "none", "reverse"), allow_empty=True)
    invoice_prefix = InvoicePrefix()
    invoice_settings = fields.Nested(InvoiceSettings)
    next_invoice_sequence = Int(minimum=1, maximum=2**31 - 1)
    # A token (tok_...): its card is saved on the customer as its default source.
    source = NotEmpty()
    expand = Expand()


class CustomerUpdate(CustomerCreate):
    # One of its saved cards (card_...), which charges naming only the customer then pay with.
    default_source = Str(max_length=255)


class CustomerRetrieve(StripeSchema):
    expand = Expand()


class CustomerListParams(ListParams):
    email = Str(max_length=512)


def _invoice_settings(customer) -> dict:
    given = customer.invoice_settings or {}
    return {"custom_fields": given.get("custom_fields"),
            "default_payment_method": customer.default_payment_method_id,
            "footer": given.get("footer"), "rendering_options": given.get("rendering_options")}


def _card_schema():
    from .sources import CardSourceOut  # it imports this module

    return CardSourceOut


def _card_list_schema():
    from .sources import CardSourceListOut  # it imports this module

    return CardSourceListOut


def _payment_method_schema():
    from ..http.intent_schemas import PaymentMethodOut  # it imports this module

    return PaymentMethodOut


class CustomerOut(Schema):
    READ_PERMISSIONS: ClassVar[tuple[str, ...]] = ("customer_read",)  # to expand one
    # A field under a hash, expanded in place (``http.decorators``).
    EXPANDABLE: ClassVar[dict] = {
        "invoice_settings.default_payment_method": ("default_payment_method",
                                                    _payment_method_schema),
        "default_source": ("default_source", _card_schema),
        # Not shown unless expanded, as since Stripe's 2020-08-27 version.
        "sources": ("sources", _card_list_schema)}
    id = fields.String()
    object = fields.Constant("customer")
    address = fields.Raw()
    balance = fields.Integer()
    created = fields.Integer()
    currency = fields.String()
    default_source = fields.String(attribute="default_source_id")
    delinquent = fields.Constant(False)
    description = fields.String()
    email = fields.String()
    invoice_prefix = fields.String()
    # Payground has no invoices: what is set here is only shown back (README).
    invoice_settings = fields.Function(_invoice_settings)
    livemode = fields.Boolean()
    metadata = fields.Dict(attribute="metadata_")
    name = fields.String()
    next_invoice_sequence = fields.Function(lambda c: c.next_invoice_sequence or 1)
    phone = fields.String()
    preferred_locales = fields.Function(lambda c: list(c.preferred_locales or ()))
    shipping = fields.Raw()
    tax_exempt = fields.Function(lambda c: c.tax_exempt or "none")


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
    return customers.create_customer(s.account, s.livemode, s.clock, params,
                                     pepper=state().pepper)


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
    return customers.update_customer(s.account, s.livemode, s.clock, customer_id, params,
                                     pepper=state().pepper)


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
