"""/v1/payouts: create, retrieve, update, list, cancel."""

from __future__ import annotations

from typing import ClassVar

from flask import request
from marshmallow import Schema, fields

from ..http.auth import requires
from ..http.context import scope
from ..http.decorators import accepts, returns
from ..http.schemas import (
    Currency,
    Expand,
    IntOrRange,
    Int,
    ListParams,
    Metadata,
    OneOf,
    Str,
    StripeSchema,
    list_schema,
)
from ..services import payouts
from . import bp
from .balance import BalanceTransactionOut


class PayoutCreate(StripeSchema):
    amount = Int(required=True, minimum=1)
    currency = Currency(required=True)
    # One of the account's bank accounts (ba_...) in this mode; the default one if left out.
    destination = Str(max_length=255)
    description = Str(allow_empty=True)
    metadata = Metadata()
    method = OneOf(("standard",))
    statement_descriptor = Str(max_length=22)
    expand = Expand()


class PayoutUpdate(StripeSchema):
    metadata = Metadata()
    expand = Expand()


class PayoutRetrieve(StripeSchema):
    expand = Expand()


class PayoutListParams(ListParams):
    status = Str(max_length=32)  # like Stripe: an unknown status lists nothing
    arrival_date = IntOrRange()
    destination = Str(max_length=255)  # the bank account (ba_...) paid into


class BankAccountOut(Schema):
    READ_PERMISSIONS: ClassVar[tuple[str, ...]] = ("payout_read",)  # to expand one
    id = fields.String()
    object = fields.Constant("bank_account")
    account_holder_name = fields.String()
    account_holder_type = fields.Constant("company")
    bank_name = fields.String()
    country = fields.String()
    currency = fields.String()
    default_for_currency = fields.Boolean()
    last4 = fields.String()
    routing_number = fields.String()
    status = fields.String()  # "errored" once a payout to it has failed


def _trace_id(payout) -> dict:
    # Stripe's is pending until the bank has the payout; the simulated bank gives no trace id.
    status = "pending" if payout.status in ("pending", "in_transit") else "unsupported"
    return {"status": status, "value": None}


class PayoutOut(Schema):
    EXPANDABLE: ClassVar[dict] = {
        "balance_transaction": ("balance_transaction", lambda: BalanceTransactionOut),
        "failure_balance_transaction": ("failure_balance_transaction",
                                        lambda: BalanceTransactionOut),
        "destination": ("destination", lambda: BankAccountOut),
    }

    id = fields.String()
    object = fields.Constant("payout")
    amount = fields.Integer()
    application_fee = fields.Constant(None)
    application_fee_amount = fields.Constant(None)
    arrival_date = fields.Integer()
    automatic = fields.Constant(False)
    balance_transaction = fields.String(attribute="balance_transaction_id")
    created = fields.Integer()
    currency = fields.String()
    description = fields.String()
    destination = fields.String(attribute="destination_id")
    failure_balance_transaction = fields.String(attribute="failure_balance_transaction_id")
    failure_code = fields.String()
    failure_message = fields.String()
    livemode = fields.Boolean()
    metadata = fields.Dict(attribute="metadata_")
    method = fields.String()
    original_payout = fields.Constant(None)
    payout_method = fields.Constant(None)  # no v2 financial accounts
    # Reconciliation applies to automatic payouts only; these are all manual.
    reconciliation_status = fields.Constant("not_applicable")
    reversed_by = fields.Constant(None)
    source_type = fields.Constant("card")
    statement_descriptor = fields.String()
    status = fields.String()
    trace_id = fields.Function(_trace_id)
    type = fields.Constant("bank_account")


@bp.post("/payouts")
@requires("payout_write")
@accepts(PayoutCreate)
@returns(PayoutOut)
def create_payout(params):
    """Send money from the available balance to the account's bank account."""
    s = scope()
    return payouts.create_payout(s.account, s.livemode, s.clock, params)


@bp.get("/payouts/<payout_id>")
@requires("payout_read")
@accepts(PayoutRetrieve)
@returns(PayoutOut)
def retrieve_payout(payout_id, params):
    """Retrieve a payout."""
    s = scope()
    return payouts.get_payout(s.account, s.livemode, s.clock, payout_id)


@bp.post("/payouts/<payout_id>")
@requires("payout_write")
@accepts(PayoutUpdate)
@returns(PayoutOut)
def update_payout(payout_id, params):
    """Update a payout's metadata."""
    s = scope()
    return payouts.update_payout(s.account, s.livemode, s.clock, payout_id, params)


@bp.get("/payouts")
@requires("payout_read")
@accepts(PayoutListParams)
@returns(list_schema(PayoutOut))
def list_payouts(params):
    """List payouts, newest first."""
    s = scope()
    return payouts.list_payouts(s.account, s.livemode, s.clock, params, request.path)


@bp.post("/payouts/<payout_id>/cancel")
@requires("payout_write")
@accepts(PayoutRetrieve)
@returns(PayoutOut)
def cancel_payout(payout_id, params):
    """Cancel a pending payout; its amount goes back to the available balance."""
    s = scope()
    return payouts.cancel_payout(s.account, s.livemode, s.clock, payout_id)
