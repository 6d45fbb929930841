"""/sandbox/ledger/verify and /sandbox/bank: check the signed-in account's money."""

from __future__ import annotations

from flask import g

from ..http.context import state
from ..services import bank, ledger_verify
from . import bp
from .auth import session_required


@bp.get("/ledger/verify")
@session_required
def verify_ledger():
    """Whether every journal balances and every total matches its entries (and what is wrong)."""
    return ledger_verify.verify(g.account, state().clock)


@bp.get("/bank")
@session_required
def bank_accounts():
    """The account's simulated bank accounts (one per mode) and what they have received."""
    data = bank.bank_summary(g.account, state().clock)
    return {"object": "list", "url": "/sandbox/bank", "has_more": False, "data": data}
