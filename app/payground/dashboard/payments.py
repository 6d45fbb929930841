"""Payments pages of the current mode: customers, charges, refunds, payment intents, setup
intents, balance and payouts (thin views over the same services as ``/v1``).

Customers, charges and payment intents also search: ``?query=`` takes Stripe's query language
(``services.search``, as ``GET /v1/.../search``), paged with the search's ``page`` cursor.
The Test/Live switch keeps the query (``switch.FILTERS``), never a cursor: a list's
``starting_after`` names a row of this mode, a search's ``page`` is signed for it."""

from __future__ import annotations

from collections.abc import Callable

from flask import g, render_template, request

from .. import messages
from ..core.keys import scrub
from ..errors import InvalidRequestError
from ..http.context import state
from ..http.schemas import ListParams, SearchParams
from ..services import (balance, charges, customers, payment_intents, payouts, refunds, search,
                        setup_intents)
from . import bp
from .logs import list_args, load_page


def _list(template: str, title: str, lister: Callable[[dict], object],
          resource: str | None = None, context: Callable[[object], dict] | None = None):
    """A list page; ``lister(params)`` calls the service for this account and mode. With a
    ``resource`` (customers | charges | payment_intents) and a ``query``, the page is that
    search's instead; an empty query is the list. ``context(page)``: more for the template,
    of the page listed."""
    args = {n: request.args.get(n, "").strip() for n in ("query", "page")} if resource else {}
    if args.get("query"):
        page, error = load_page(SearchParams(), {n: v for n, v in args.items() if v},
                                lambda params: _search(resource, params))
    else:
        page, error = load_page(ListParams(), list_args(()), lister)
    more = context(page) if context and page else {}
    return render_template(template, title=title, page=page, error=error,
                           query=args.get("query", ""), cursor=args.get("page", ""), **more), \
        400 if error else 200


def _search(resource: str, params):
    # The box shows the query back masked and the pages' links carry it masked (a secret is
    # never echoed): a query that masking changes would page another query's cursor, refused.
    # Said at once instead. (Keys and signing secrets never get here: the URL guard and the
    # query's own validation refuse them; OAuth codes and refresh tokens do.)
    if scrub(params["query"]) != params["query"]:
        raise InvalidRequestError(messages.SEARCH_QUERY_MASKED.format(path=f"/v1/{resource}"),
                                  param="query")
    # The pepper signs the cursors, as for /v1/.../search: a page the API gave pages here
    # too, and one of another account, mode or query is refused the same way.
    return search.search(resource, g.account, g.livemode, state().clock, params,
                         request.path, secret=state().pepper)


@bp.get("/customers")
def customers_page():
    """Customers, newest first (or those a search finds)."""
    return _list("dashboard/customers.html", "Customers", lambda params: customers.list_customers(
        g.account, g.livemode, params, request.path), "customers")


@bp.get("/charges")
def charges_page():
    """Charges, newest first (or those a search finds)."""
    return _list("dashboard/charges.html", "Charges", lambda params: charges.list_charges(
        g.account, g.livemode, state().clock, params, request.path), "charges")


@bp.get("/refunds")
def refunds_page():
    """Refunds, newest first."""
    return _list("dashboard/refunds.html", "Refunds", lambda params: refunds.list_refunds(
        g.account, g.livemode, state().clock, params, request.path))


@bp.get("/payment_intents")
def payment_intents_page():
    """Payment intents, newest first (or those a search finds)."""
    return _list("dashboard/payment_intents.html", "Payment intents",
                 lambda params: payment_intents.list_payment_intents(
                     g.account, g.livemode, state().clock, params, request.path),
                 "payment_intents")


@bp.get("/setup_intents")
def setup_intents_page():
    """SetupIntents, newest first, each with the card it holds (one query for the page's).
    No search (Stripe has none for them), so nothing for the Test/Live switch to carry."""
    return _list("dashboard/setup_intents.html", "Setup intents",
                 lambda params: setup_intents.list_setup_intents(
                     g.account, g.livemode, params, request.path),
                 context=lambda page: {"methods": setup_intents.payment_methods_of(
                     g.account, g.livemode, page.items)})


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
