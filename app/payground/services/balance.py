"""The account's balance (from the ledger's running totals) and its balance transactions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from .. import messages
from ..core import ledger as core
from ..errors import ResourceMissing
from ..models.balance_transaction import BalanceTransaction
from ..models.payout import Payout
from . import events, ledger
from .common import Page, get_scoped, paginate

events.register_schema("balance", "..v1.balance:BalanceOut")


@dataclass
class Balance:
    """Stripe's balance object: ``available`` and ``pending`` funds per currency."""

    object: ClassVar[str] = "balance"
    available: list[dict[str, Any]]
    pending: list[dict[str, Any]]
    livemode: bool


def get_balance(account, livemode: bool, clock) -> Balance:
    """The balance after settling whatever matured on the account's clock.

    Reads the ledger's running totals: a few small rows per currency (one per ledger
    account), however many charges the account has (it is also the benchmark's start-up
    probe, so it must stay cheap).
    """
    ledger.catch_up(account, livemode, clock)
    return balance_of(account.id, livemode)


def balance_of(account_id: str, livemode: bool) -> Balance:
    """The balance as the ledger has it now (no catch-up). An empty account shows zero USD.

    Every currency the account has taken money in is listed, even with nothing in
    ``available`` or ``pending`` yet: a charge whose fee took all of it (30p in GBP) has a
    balance transaction in its currency, so the balance shows that currency too.
    """
    totals = ledger.totals(account_id, livemode)  # a few rows per currency
    currencies = sorted({currency for currency, _ in totals}) or ["usd"]
    return Balance(
        available=[_funds(c, totals.get((c, core.AVAILABLE), 0)) for c in currencies],
        pending=[_funds(c, totals.get((c, core.PENDING), 0)) for c in currencies],
        livemode=livemode)


def _funds(currency: str, amount: int) -> dict[str, Any]:
    # Every payment Payground takes is a card payment.
    return {"amount": int(amount), "currency": currency, "source_types": {"card": int(amount)}}


def get_balance_transaction(account, livemode: bool, clock, txn_id: str) -> BalanceTransaction:
    """The balance transaction ``txn_id`` (404 otherwise), after catching up."""
    ledger.catch_up(account, livemode, clock)
    return get_scoped(BalanceTransaction, account, livemode, txn_id)


def list_balance_transactions(account, livemode: bool, clock, params: dict[str, Any],
                              url: str) -> Page:
    """Balance transactions newest first, filtered by type, source, payout, currency, created.

    ``payout`` lists the payout's own transactions (its debit, and the credit that put the
    money back if it was canceled): Payground's payouts are all manual, and Stripe lists the
    transactions a payout swept only for automatic payouts.

    :raises ResourceMissing: ``source`` or ``payout`` names no object of this account and mode
        (as the charge and refund lists' ``customer``, ``charge`` ... filters do).
    """
    ledger.catch_up(account, livemode, clock)
    txn = BalanceTransaction
    filters: tuple = ()
    for name, column in (("type", txn.type), ("currency", txn.currency)):
        if params.get(name):
            filters += (column == params[name],)
    if params.get("source"):
        filters += (txn.source == _source(account, livemode, params["source"]),)
    if params.get("payout"):
        payout = get_scoped(Payout, account, livemode, params["payout"], param="payout")
        filters += (txn.source == payout.id,)
    return paginate(txn, account, livemode, params, url, filters)


def _source(account, livemode: bool, source_id: str) -> str:
    """``source_id``, once it is known to name a charge, refund or payout of this account and
    mode (404 otherwise, with the "similar object in the other mode" hint where it is one)."""
    model = BalanceTransaction.source_model(source_id)
    if model is None:
        raise ResourceMissing(messages.NO_SUCH.format(noun="source", id=source_id),
                              param="source")
    return get_scoped(model, account, livemode, source_id, param="source").id


