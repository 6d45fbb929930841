"""Payments pages of the current mode: customers, charges, refunds, payment intents,
balance and payouts.

Payment intents, payouts and the balance come from services that may be missing from an
installation built from an older tree: ``optional_service`` finds them by name, and the page
says "not available" instead of failing.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable

from flask import g, render_template, request

from ..http.context import state
from ..http.schemas import ListParams
from ..services import charges, customers, refunds
from . import bp
from .logs import list_args, load_page


def optional_service(module: str, function: str) -> Callable | None:
    """``payground.services.<module>.<function>``, or ``None`` if that module isn't there."""
    name = f"payground.services.{module}"
    try:
        found = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:  # the module is there but broken: that must surface
            raise
        return None
    return getattr(found, function, None)


def call_service(func: Callable, **available):
    """Call a service with the arguments it names (some take ``clock``, some don't)."""
    wanted = inspect.signature(func).parameters
    return func(**{k: v for k, v in available.items() if k in wanted})


def _list(template: str, title: str, lister: Callable | None, **context):
    if lister is None:
        return render_template(template, title=title, page=None, error=None, unavailable=True,
                               **context)
    page, error = load_page(
        ListParams(), list_args(()),
        lambda params: call_service(lister, account=g.account, livemode=g.livemode,
                                    clock=state().clock, params=params, url=request.path))
    return render_template(template, title=title, page=page, error=error, unavailable=False,
                           **context), 400 if error else 200


@bp.get("/customers")
def customers_page():
    """Customers, newest first."""
    return _list("dashboard/customers.html", "Customers", customers.list_customers)


@bp.get("/charges")
def charges_page():
    """Charges, newest first."""
    return _list("dashboard/charges.html", "Charges", charges.list_charges)


@bp.get("/refunds")
def refunds_page():
    """Refunds, newest first."""
    return _list("dashboard/refunds.html", "Refunds", refunds.list_refunds)


@bp.get("/payment_intents")
def payment_intents_page():
    """Payment intents, newest first (if this installation has them)."""
    return _list("dashboard/payment_intents.html", "Payment intents",
                 optional_service("payment_intents", "list_payment_intents"))


@bp.get("/payouts")
def payouts_page():
    """Payouts, newest first (if this installation has them)."""
    return _list("dashboard/payouts.html", "Payouts",
                 optional_service("payouts", "list_payouts"))


def _funds(balance, name: str) -> list[dict]:
    value = balance.get(name) if isinstance(balance, dict) else getattr(balance, name, None)
    return list(value or [])


@bp.get("/balance")
def balance_page():
    """Available and pending funds per currency."""
    get_balance = optional_service("balance", "get_balance")
    if get_balance is None:
        return render_template("dashboard/balance.html", unavailable=True, rows=[])
    balance = call_service(get_balance, account=g.account, livemode=g.livemode,
                           clock=state().clock)
    pending = {f["currency"]: f["amount"] for f in _funds(balance, "pending")}
    rows = [{"currency": f["currency"], "available": f["amount"],
             "pending": pending.get(f["currency"], 0)} for f in _funds(balance, "available")]
    return render_template("dashboard/balance.html", unavailable=False, rows=rows)

