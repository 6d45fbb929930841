"""/v1/balance, and the balance transaction object (charges, refunds and payouts expand into it)."""

from __future__ import annotations

from typing import ClassVar

from marshmallow import Schema, fields

from ..http.auth import requires
from ..http.context import scope
from ..http.decorators import accepts, returns
from ..http.schemas import Expand, StripeSchema
from ..services import balance
from . import bp


def _status(txn) -> str:
    s = scope()
    return txn.status_at(s.clock.for_account(s.account))


class SourceOut:
    """Dumps a balance transaction's source with the schema of whatever it is."""

    # Expanding ``source`` is allowed before the view knows which kind it will be: a
    # restricted key needs to be able to read every kind.
    READ_PERMISSIONS: ClassVar[tuple[str, ...]] = ("charge_read", "refund_read", "payout_read")

    def dump(self, obj) -> dict:
        from .charges import ChargeOut
        from .payouts import PayoutOut
        from .refunds import RefundOut

        schema = {"charge": ChargeOut, "refund": RefundOut, "payout": PayoutOut}[obj.object]
        return schema().dump(obj)


class BalanceTransactionOut(Schema):
    READ_PERMISSIONS: ClassVar[tuple[str, ...]] = ("balance_read",)  # to expand one
    EXPANDABLE: ClassVar[dict] = {"source": ("source_object", lambda: SourceOut)}

    id = fields.String()
    object = fields.Constant("balance_transaction")
    amount = fields.Integer()
    available_on = fields.Integer()
    balance_type = fields.Constant("payments")  # no issuing or reserve balances
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


class BalanceOut(Schema):
    object = fields.Constant("balance")
    available = fields.List(fields.Dict())
    pending = fields.List(fields.Dict())
    livemode = fields.Boolean()


class BalanceRetrieve(StripeSchema):
    expand = Expand()


@bp.get("/balance")
@requires("balance_read")
@accepts(BalanceRetrieve)
@returns(BalanceOut)
def retrieve_balance(params):
    """Retrieve the balance: available and pending funds per currency."""
    s = scope()
    return balance.get_balance(s.account, s.livemode, s.clock)
