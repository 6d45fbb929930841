"""/v1/charges: create, retrieve, update, capture, list."""

from __future__ import annotations

from typing import ClassVar

from flask import request
from marshmallow import Schema, fields

from ..core.cards import OUTCOMES
from ..http.auth import requires
from ..http.context import scope, state
from ..http.decorators import accepts, returns
from ..http.intent_schemas import Shipping, TransferGroup, full_address
from ..http.schemas import (
    Bool,
    Currency,
    Email,
    Expand,
    Int,
    ListParams,
    Metadata,
    NotEmpty,
    StatementDescriptor,
    Str,
    StripeSchema,
    dumper_for,
    list_schema,
)
from ..services import charge_expiry, charges
from . import bp
from .balance import BalanceTransactionOut
from .customers import CustomerOut
from .tokens import CardOut, address_check


class ChargeCreate(StripeSchema):
    amount = Int(required=True, minimum=1)
    currency = Currency(required=True)
    source = NotEmpty()
    card = NotEmpty()  # accepted only to refuse raw card data with a helpful message
    customer = Str(max_length=255)
    description = Str(allow_empty=True)
    metadata = Metadata()
    capture = Bool()
    receipt_email = Email()
    statement_descriptor = StatementDescriptor()
    # Descriptive: kept and shown back. The suffix follows the account's prefix (as a
    # PaymentIntent's does); a transfer group names no transfer (Payground has no Connect
    # transfers), it only groups.
    statement_descriptor_suffix = StatementDescriptor(minimum=1)
    shipping = Shipping()
    transfer_group = TransferGroup()
    expand = Expand()


class ChargeUpdate(StripeSchema):
    description = Str(allow_empty=True)
    metadata = Metadata()
    receipt_email = Email()
    shipping = Shipping()  # replaces the shipping whole; `shipping=` removes it
    transfer_group = TransferGroup()  # only while the charge has none (Stripe's rule)
    expand = Expand()


class ChargeCapture(StripeSchema):
    amount = Int(minimum=1)
    receipt_email = Email()
    statement_descriptor = StatementDescriptor()
    statement_descriptor_suffix = StatementDescriptor(minimum=1)
    transfer_group = TransferGroup()
    expand = Expand()


class ChargeRetrieve(StripeSchema):
    expand = Expand()


class ChargeListParams(ListParams):
    customer = Str(max_length=255)
    payment_intent = Str(max_length=255)
    transfer_group = TransferGroup()


_dump_card = dumper_for(CardOut)


def _outcome(charge) -> dict:
    outcome = OUTCOMES[charge.result]
    # Stripe's advice and network codes come from a real card network: none here.
    return {"advice_code": None, "network_advice_code": None, "network_decline_code": None,
            "network_status": outcome.network_status, "reason": outcome.reason,
            "risk_level": outcome.risk_level, "seller_message": outcome.seller_message,
            "type": outcome.type}


def _payment_method_details(charge) -> dict:
    uncaptured = charge.status == "succeeded" and not charge.captured
    return {"card": {
        "amount_authorized": charge.amount if charge.status == "succeeded" else None,
        "authorization_code": None,
        "brand": charge.brand,
        # Stripe's "the charge will be automatically refunded if uncaptured" at this time.
        "capture_before": (charge.created + charge_expiry.AUTHORIZATION_SECONDS
                           if uncaptured else None),
        "checks": {"address_line1_check": address_check(charge, "line1"),
                   "address_postal_code_check": address_check(charge, "postal_code"),
                   "cvc_check": charge.cvc_check},
        "country": charge.card_country, "exp_month": charge.exp_month,
        "exp_year": charge.exp_year, "fingerprint": charge.fingerprint,
        "funding": charge.funding, "installments": None, "last4": charge.last4,
        "mandate": None, "network": charge.brand, "network_transaction_id": None,
        "regulated_status": "unregulated", "three_d_secure": charge.three_d_secure,
        "wallet": None,
    }, "type": "card"}


# The account's statement descriptor prefix: Payground accounts have no business name.
DESCRIPTOR_PREFIX = "PAYGROUND"


def _calculated_statement_descriptor(charge) -> str:
    """What the card statement shows: with a suffix, Stripe's prefix, ``* `` and the suffix,
    cut to the 22 characters a statement holds; else the charge's descriptor or the
    account's."""
    if charge.statement_descriptor_suffix:
        return f"{DESCRIPTOR_PREFIX}* {charge.statement_descriptor_suffix}"[:22]
    return charge.statement_descriptor or DESCRIPTOR_PREFIX


def _payment_intent_schema():
    from ..http.intent_schemas import PaymentIntentOut  # it imports this module

    return PaymentIntentOut


def _refund_list_schema():
    from .refunds import RefundListOut  # it imports this module

    return RefundListOut


class ChargeOut(Schema):
    READ_PERMISSIONS: ClassVar[tuple[str, ...]] = ("charge_read",)  # to expand one
    EXPANDABLE: ClassVar[dict] = {
        "customer": ("customer", lambda: CustomerOut),
        "balance_transaction": ("balance_transaction", lambda: BalanceTransactionOut),
        "payment_intent": ("payment_intent", _payment_intent_schema),
        # Not shown unless expanded, as since Stripe's 2022-11-15 version.
        "refunds": ("refunds", _refund_list_schema),
    }

    id = fields.String()
    object = fields.Constant("charge")
    amount = fields.Integer()
    amount_captured = fields.Integer()
    amount_refunded = fields.Integer()
    application = fields.Constant(None)
    application_fee = fields.Constant(None)
    application_fee_amount = fields.Constant(None)
    balance_transaction = fields.String(attribute="balance_transaction_id")
    billing_details = fields.Function(lambda c: {
        "address": c.billing_address or full_address({}),
        "email": None, "name": c.card_name, "phone": None, "tax_id": None})
    calculated_statement_descriptor = fields.Function(_calculated_statement_descriptor)
    captured = fields.Boolean()
    created = fields.Integer()
    currency = fields.String()
    customer = fields.String(attribute="customer_id")
    description = fields.String()
    disputed = fields.Constant(False)
    failure_balance_transaction = fields.Constant(None)
    failure_code = fields.String()
    failure_message = fields.String()
    fraud_details = fields.Constant({})
    livemode = fields.Boolean()
    metadata = fields.Dict(attribute="metadata_")
    on_behalf_of = fields.Constant(None)
    outcome = fields.Function(_outcome)
    paid = fields.Boolean()
    payment_intent = fields.String(attribute="payment_intent_id")
    # A PaymentIntent's charge names its PaymentMethod; a direct charge names its card.
    payment_method = fields.Function(lambda c: c.payment_method_id or c.card_id)
    payment_method_details = fields.Function(_payment_method_details)
    receipt_email = fields.String()
    receipt_number = fields.Constant(None)
    receipt_url = fields.Constant(None)  # Payground renders no receipts (see the README)
    refunded = fields.Boolean()
    review = fields.Constant(None)
    shipping = fields.Raw()
    # Like Stripe's, a charge made by a PaymentIntent has no source (it has payment_method).
    source = fields.Function(
        lambda charge: None if charge.payment_method_id else _dump_card(charge))
    source_transfer = fields.Constant(None)
    statement_descriptor = fields.String()
    statement_descriptor_suffix = fields.String()
    status = fields.String()
    transfer_data = fields.Constant(None)
    transfer_group = fields.String()


@bp.post("/charges")
@requires("charge_write")
@accepts(ChargeCreate)
@returns(ChargeOut)
def create_charge(params):
    """Create a charge."""
    s = scope()
    return charges.create_charge(s.account, s.livemode, s.clock, params, pepper=state().pepper)


@bp.get("/charges/<charge_id>")
@requires("charge_read")
@accepts(ChargeRetrieve)
@returns(ChargeOut)
def retrieve_charge(charge_id, params):
    """Retrieve a charge."""
    s = scope()
    return charges.get_charge(s.account, s.livemode, s.clock, charge_id)


@bp.post("/charges/<charge_id>")
@requires("charge_write")
@accepts(ChargeUpdate)
@returns(ChargeOut)
def update_charge(charge_id, params):
    """Update a charge's description, receipt e-mail, metadata, shipping or transfer group."""
    s = scope()
    return charges.update_charge(s.account, s.livemode, s.clock, charge_id, params)


@bp.post("/charges/<charge_id>/capture")
@requires("charge_write")
@accepts(ChargeCapture)
@returns(ChargeOut)
def capture_charge(charge_id, params):
    """Capture an uncaptured charge."""
    s = scope()
    return charges.capture_charge(s.account, s.livemode, s.clock, charge_id, params)


@bp.get("/charges")
@requires("charge_read")
@accepts(ChargeListParams)
@returns(list_schema(ChargeOut))
def list_charges(params):
    """List charges, newest first."""
    s = scope()
    return charges.list_charges(s.account, s.livemode, s.clock, params, request.path)
