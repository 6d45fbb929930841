"""The account's balance: available and pending funds per currency, from balance transactions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from ..models.balance_transaction import BalanceTransaction
from ..models.base import db


def get_balance(account, livemode: bool, clock) -> dict[str, Any]:
    """Sum the account's balance transactions into Stripe's balance object.

    One aggregate query (it is the benchmark's start-up probe, so it must stay cheap):
    a transaction counts as ``available`` once its ``available_on`` has passed on the
    account's clock, as ``pending`` before. An account with nothing yet shows zero USD.
    """
    now = clock.for_account(account)
    txn = BalanceTransaction
    is_available = txn.available_on <= now
    rows = db.session.execute(
        select(txn.currency,
               func.coalesce(func.sum(case((is_available, txn.net), else_=0)), 0),
               func.coalesce(func.sum(case((is_available, 0), else_=txn.net)), 0))
        .where(txn.account_id == account.id, txn.livemode == livemode)
        .group_by(txn.currency).order_by(txn.currency)
    ).all()
    if not rows:
        rows = [("usd", 0, 0)]
    return {
        "object": "balance",
        "available": [_funds(currency, available) for currency, available, _ in rows],
        "pending": [_funds(currency, pending) for currency, _, pending in rows],
        "livemode": livemode,
    }


def _funds(currency: str, amount: int) -> dict[str, Any]:
    return {"amount": int(amount), "currency": currency, "source_types": {"card": int(amount)}}
