"""Input and output schemas of /v1/setup_intents (Stripe's SetupIntent object).

What a SetupIntent shares with a PaymentIntent (payment method types, a return_url's checks,
``next_action`` for 3-D Secure) comes from ``intent_schemas``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validates_schema

from .. import messages
from .intent_schemas import (AutomaticPaymentMethods, PaymentMethodOut, PaymentMethodTypes,
                             ReturnUrl, _customer_schema, _next_action)
from .schemas import Bool, Expand, ListParams, Metadata, OneOf, Str, StripeSchema
from .validation import coded

USAGES = ("off_session", "on_session")
CANCELLATION_REASONS = ("abandoned", "duplicate", "requested_by_customer")  # Stripe's enum
# Stripe's "retrievable with publishable key" attributes of a SetupIntent (as Stripe.js's
# SetupIntent type lists them): not automatic_payment_methods, unlike a PaymentIntent's.
PUBLIC_SETUP_FIELDS = frozenset((
    "id", "object", "cancellation_reason", "client_secret", "created", "description",
    "last_setup_error", "livemode", "next_action", "payment_method", "payment_method_types",
    "status", "usage"))


class SetupIntentCreate(StripeSchema):
    customer = Str(max_length=255)
    payment_method = Str(max_length=255)
    usage = OneOf(USAGES)
    confirm = Bool()
    payment_method_types = PaymentMethodTypes()
    automatic_payment_methods = fields.Nested(AutomaticPaymentMethods)
    description = Str(allow_empty=True)
    metadata = Metadata()
    return_url = ReturnUrl()  # with confirm=true only, as Stripe says
    expand = Expand()

    @validates_schema
    def automatic_or_listed_types(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "automatic_payment_methods" in data and "payment_method_types" in data:
            raise ValidationError(coded(None, messages.ONE_OF_PARAMS.format(
                params="automatic_payment_methods, payment_method_types")))

    @validates_schema
    def confirm_only(self, data: dict[str, Any], **kwargs: Any) -> None:
        # Accepted and dropped, an integration would believe the page had a way back.
        if "return_url" in data and not data.get("confirm"):
            raise ValidationError(coded(None, messages.SETUP_CONFIRM_ONLY_PARAM.format(
                param="return_url")), "return_url")


class SetupIntentUpdate(StripeSchema):
    customer = Str(max_length=255)
    payment_method = Str(max_length=255)
    payment_method_types = PaymentMethodTypes()
    description = Str(allow_empty=True)
    metadata = Metadata()
    expand = Expand()


class SetupIntentConfirm(StripeSchema):
    payment_method = Str(max_length=255)
    return_url = ReturnUrl()
    client_secret = Str(max_length=255)
    expand = Expand()


class SetupIntentCancel(StripeSchema):
    cancellation_reason = OneOf(CANCELLATION_REASONS)
    expand = Expand()


class SetupIntentRetrieve(StripeSchema):
    client_secret = Str(max_length=255)
    expand = Expand()


class SetupIntentListParams(ListParams):
    customer = Str(max_length=255)
    payment_method = Str(max_length=255)


_method_out = PaymentMethodOut()


def _last_setup_error(intent) -> dict | None:
    if not intent.last_setup_error:
        return None
    method = intent.last_setup_error_method
    return {**intent.last_setup_error,
            "payment_method": _method_out.dump(method) if method is not None else None}


class SetupIntentOut(Schema):
    READ_PERMISSIONS: ClassVar[tuple[str, ...]] = ("setup_intent_read",)  # to expand one
    EXPANDABLE: ClassVar[dict] = {
        "customer": ("customer", _customer_schema),
        "payment_method": ("payment_method", lambda: PaymentMethodOut),
    }

    id = fields.String()
    object = fields.Constant("setup_intent")
    application = fields.Constant(None)
    automatic_payment_methods = fields.Raw()
    cancellation_reason = fields.String()
    client_secret = fields.String()
    created = fields.Integer()
    customer = fields.String(attribute="customer_id")
    description = fields.String()
    flow_directions = fields.Constant(None)
    last_setup_error = fields.Function(_last_setup_error)
    latest_attempt = fields.Constant(None)  # Payground keeps no SetupAttempts
    livemode = fields.Boolean()
    mandate = fields.Constant(None)  # cards need no mandate
    metadata = fields.Dict(attribute="metadata_")
    next_action = fields.Function(_next_action)
    on_behalf_of = fields.Constant(None)
    payment_method = fields.String(attribute="payment_method_id")
    payment_method_configuration_details = fields.Constant(None)
    payment_method_options = fields.Function(lambda _: {"card": {
        "mandate_options": None, "network": None, "request_three_d_secure": "automatic"}})
    payment_method_types = fields.List(fields.String())
    single_use_mandate = fields.Constant(None)
    status = fields.String()
    usage = fields.String()
