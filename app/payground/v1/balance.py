"""/v1/balance, and the balance transaction object that charges and refunds expand into."""

from __future__ import annotations

from marshmallow import Schema, fields

from ..http.auth import requires
from ..http.context import scope
from ..http.decorators import accepts
from ..http.schemas import Expand, StripeSchema
from ..services import balance
from . import bp


def _status(txn) -> str:
    s = scope()
    return txn.status_at(s.clock.for_account(s.account))


class BalanceTransactionOut(Schema):
    id = fields.String()
    object = fields.Constant("balance_transaction")
    amount = fields.Integer()
    available_on = fields.Integer()
    created = fields.Integer()
    currency = fields.String()
    description = fields.String()
    exchange_rate = fields.Constant(None)
    fee = fields.Integer()
    fee_details = fields.Function(lambda txn: [
        {"amount": txn.fee, "application": None, "currency": txn.currency,
         "description": "Stripe processing fees", "type": "stripe_fee"}] if txn.fee else [])
    net = fields.Integer()
    reporting_category = fields.String()
    source = fields.String()
    status = fields.Function(_status)
    type = fields.String()


class BalanceRetrieve(StripeSchema):
    expand = Expand()


@bp.get("/balance")
@requires("balance_read")
@accepts(BalanceRetrieve)
def retrieve_balance(params):
    """Retrieve the balance: available and pending funds per currency."""
    s = scope()
    return balance.get_balance(s.account, s.livemode, s.clock)
