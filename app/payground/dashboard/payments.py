"""Payments pages of the current mode: customers, charges, refunds, payment intents,
balance and payouts (thin views over the same services as ``/v1``)."""

from __future__ import annotations

from collections.abc import Callable

from flask import g, render_template, request

from ..http.context import state
from ..http.schemas import ListParams
from ..services import balance, charges, customers, payment_intents, payouts, refunds
from . import bp
from .logs import list_args, load_page


def _list(template: str, title: str, lister: Callable[[dict], object]):
    """A list page; ``lister(params)`` calls the service for this account and mode."""
    page, error = load_page(ListParams(), list_args(()), lister)
    return render_template(template, title=title, page=page, error=error), \
        400 if error else 200


@bp.get("/customers")
def customers_page():
    """Customers, newest first."""
    return _list("dashboard/customers.html", "Customers", lambda params: customers.list_customers(
        g.account, g.livemode, params, request.path))


@bp.get("/charges")
def charges_page():
    """Charges, newest first."""
    return _list("dashboard/charges.html", "Charges", lambda params: charges.list_charges(
        g.account, g.livemode, state().clock, params, request.path))


@bp.get("/refunds")
def refunds_page():
    """Refunds, newest first."""
    return _list("dashboard/refunds.html", "Refunds", lambda params: refunds.list_refunds(
        g.account, g.livemode, state().clock, params, request.path))


@bp.get("/payment_intents")
def payment_intents_page():
    """Payment intents, newest first."""
    return _list("dashboard/payment_intents.html", "Payment intents",
                 lambda params: payment_intents.list_payment_intents(
                     g.account, g.livemode, state().clock, params, request.path))


@bp.get("/payouts")
def payouts_page():
    """Payouts, newest first (their status caught up with the account's clock)."""
    return _list("dashboard/payouts.html", "Payouts", lambda params: payouts.list_payouts(
        g.account, g.livemode, state().clock, params, request.path))


@bp.get("/balance")
def balance_page():
    """Available and pending funds per currency."""
    funds = balance.get_balance(g.account, g.livemode, state().clock)
    pending = {f["currency"]: f["amount"] for f in funds.pending}
    rows = [{"currency": f["currency"], "available": f["amount"],
             "pending": pending.get(f["currency"], 0)} for f in funds.available]
    return render_template("dashboard/balance.html", rows=rows)
