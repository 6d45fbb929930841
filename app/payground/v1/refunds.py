"""/v1/refunds: create, retrieve, update, list."""

from __future__ import annotations

from typing import Any, ClassVar

from flask import request
from marshmallow import Schema, ValidationError, fields, validates_schema

from .. import messages
from ..http.auth import requires
from ..http.context import scope
from ..http.decorators import accepts, returns
from ..http.schemas import Expand, Int, ListParams, Metadata, OneOf, Str, StripeSchema, list_schema
from ..http.validation import coded
from ..services import refunds
from . import bp
from .balance import BalanceTransactionOut
from .charges import ChargeOut

REASONS = ("duplicate", "fraudulent", "requested_by_customer")


class RefundCreate(StripeSchema):
    charge = Str(max_length=255)
    payment_intent = Str(max_length=255)  # refunds the intent's charge
    amount = Int(minimum=1)
    reason = OneOf(REASONS)
    metadata = Metadata()
    expand = Expand()


    @validates_schema
    def charge_or_intent(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "charge" in data and "payment_intent" in data:
            raise ValidationError(coded(None, messages.ONE_OF_PARAMS.format(
                params="charge, payment_intent")))
        if "charge" not in data and "payment_intent" not in data:
            raise ValidationError(coded("parameter_missing", messages.REFUND_NEEDS_CHARGE),
                                  field_name="charge")


class RefundUpdate(StripeSchema):
    metadata = Metadata()
    expand = Expand()


class RefundRetrieve(StripeSchema):
    expand = Expand()


class RefundListParams(ListParams):
    charge = Str(max_length=255)
    payment_intent = Str(max_length=255)


class RefundOut(Schema):
    READ_PERMISSIONS: ClassVar[tuple[str, ...]] = ("refund_read",)  # to expand a charge's
    EXPANDABLE: ClassVar[dict] = {
        "charge": ("charge", lambda: ChargeOut),
        "balance_transaction": ("balance_transaction", lambda: BalanceTransactionOut),
    }

    id = fields.String()
    object = fields.Constant("refund")
    amount = fields.Integer()
    balance_transaction = fields.String(attribute="balance_transaction_id")
    charge = fields.String(attribute="charge_id")
    created = fields.Integer()
    currency = fields.String()
    metadata = fields.Dict(attribute="metadata_")
    payment_intent = fields.String(attribute="payment_intent_id")  # its charge's intent
    reason = fields.String()
    receipt_number = fields.Constant(None)
    source_transfer_reversal = fields.Constant(None)
    status = fields.String()
    transfer_reversal = fields.Constant(None)


RefundListOut = list_schema(RefundOut)


class ChargeRefundListParams(ListParams):
    class Meta(ListParams.Meta):
        exclude = ("created",)  # not taken by Stripe's list of a charge's refunds


@bp.post("/refunds")
@requires("refund_write")
@accepts(RefundCreate)
@returns(RefundOut)
def create_refund(params):
    """Refund all or part of a charge (``charge``, or a PaymentIntent's: ``payment_intent``)."""
    s = scope()
    return refunds.create_refund(s.account, s.livemode, s.clock, params)


@bp.get("/refunds/<refund_id>")
@requires("refund_read")
@accepts(RefundRetrieve)
@returns(RefundOut)
def retrieve_refund(refund_id, params):
    """Retrieve a refund."""
    s = scope()
    return refunds.get_refund(s.account, s.livemode, refund_id)


@bp.post("/refunds/<refund_id>")
@requires("refund_write")
@accepts(RefundUpdate)
@returns(RefundOut)
def update_refund(refund_id, params):
    """Update a refund's metadata."""
    s = scope()
    return refunds.update_refund(s.account, s.livemode, s.clock, refund_id, params)


@bp.get("/refunds")
@requires("refund_read")
@accepts(RefundListParams)
@returns(RefundListOut)
def list_refunds(params):
    """List refunds, newest first."""
    s = scope()
    return refunds.list_refunds(s.account, s.livemode, s.clock, params, request.path)


@bp.get("/charges/<charge_id>/refunds")
@requires("refund_read")
@accepts(ChargeRefundListParams)
@returns(RefundListOut)
def list_charge_refunds(charge_id, params):
    """List a charge's refunds, newest first (where its expanded ``refunds`` list pages on)."""
    s = scope()
    return refunds.list_charge_refunds(s.account, s.livemode, s.clock, charge_id, params,
                                       request.path)


@bp.get("/charges/<charge_id>/refunds/<refund_id>")
@requires("refund_read")
@accepts(RefundRetrieve)
@returns(RefundOut)
def retrieve_charge_refund(charge_id, refund_id, params):
    """Retrieve one of a charge's refunds (``stripe.Charge.retrieve_refund``)."""
    s = scope()
    return refunds.get_charge_refund(s.account, s.livemode, charge_id, refund_id)
