"""/sandbox/ledger/verify and /sandbox/bank: check the signed-in account's money, and choose
which of Stripe's test bank accounts test payouts go to."""

from __future__ import annotations

from flask import g

from ..http.context import state
from ..http.decorators import request_params
from ..services import bank, ledger_verify
from . import bp
from .auth import session_required
from .schemas import BankChoice


@bp.get("/ledger/verify")
@session_required
def verify_ledger():
    """Whether every journal balances and every total matches its entries (and what is wrong)."""
    return ledger_verify.verify(g.account, state().clock)


@bp.get("/bank")
@session_required
def bank_accounts():
    """The account's simulated bank accounts (each mode's default) and what they have received."""
    data = bank.bank_summary(g.account, state().clock)
    return {"object": "list", "url": "/sandbox/bank", "has_more": False, "data": data}


@bp.post("/bank")
@session_required
def use_test_bank_account():
    """Send later test-mode payouts to another of Stripe's test bank accounts."""
    params = BankChoice().load(request_params())
    return bank.use_test_bank_account(g.account, state().clock, params["bank_account"]), 201
