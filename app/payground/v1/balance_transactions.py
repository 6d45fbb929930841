"""/v1/balance_transactions: retrieve and list (the ledger writes them; the API only reads)."""

from __future__ import annotations

from flask import request

from ..http.auth import requires
from ..http.context import scope
from ..http.decorators import accepts, returns
from ..http.schemas import Expand, ListParams, Str, StripeSchema, list_schema
from ..services import balance
from . import bp
from .balance import BalanceTransactionOut


class Lower(Str):
    """A string compared case-insensitively (currency codes)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).lower()


class BalanceTransactionListParams(ListParams):
    # A type or currency that matches nothing lists nothing; an unknown source or payout is a
    # 404, as the other lists' object filters are.
    type = Str(max_length=64)
    source = Str(max_length=255)
    payout = Str(max_length=255)
    currency = Lower(max_length=3)


class BalanceTransactionRetrieve(StripeSchema):
    expand = Expand()


@bp.get("/balance_transactions/<txn_id>")
@requires("balance_read")
@accepts(BalanceTransactionRetrieve)
@returns(BalanceTransactionOut)
def retrieve_balance_transaction(txn_id, params):
    """Retrieve a balance transaction."""
    s = scope()
    return balance.get_balance_transaction(s.account, s.livemode, s.clock, txn_id)


@bp.get("/balance_transactions")
@requires("balance_read")
@accepts(BalanceTransactionListParams)
@returns(list_schema(BalanceTransactionOut))
def list_balance_transactions(params):
    """List balance transactions, newest first."""
    s = scope()
    return balance.list_balance_transactions(s.account, s.livemode, s.clock, params,
                                             request.path)
