"""``GET /v1/{customers,charges,payment_intents}/search``: Stripe's search query language.

The query is read and turned into SQL by ``services.search``; these views only take the
parameters and dump the ``search_result``. (Flask prefers the static ``/customers/search`` to
``/customers/<customer_id>``, whatever order they are declared in.)
"""

from __future__ import annotations

from flask import g, request

from ..http.auth import requires
from ..http.context import scope, state
from ..http.decorators import accepts, returns
from ..http.intent_schemas import PaymentIntentOut
from ..http.schemas import SearchParams, search_result_schema
from ..services import search
from . import bp
from .charges import ChargeOut
from .customers import CustomerOut


def _search(resource: str, params):
    s = scope()
    return search.search(resource, s.account, s.livemode, s.clock, params, request.path,
                         secret=state().pepper, count="total_count" in g.expand)


@bp.get("/customers/search")
@requires("customer_read")
@accepts(SearchParams)
@returns(search_result_schema(CustomerOut))
def search_customers(params):
    """Search customers (Stripe's query language), newest first."""
    return _search("customers", params)


@bp.get("/charges/search")
@requires("charge_read")
@accepts(SearchParams)
@returns(search_result_schema(ChargeOut))
def search_charges(params):
    """Search charges (Stripe's query language), newest first."""
    return _search("charges", params)


@bp.get("/payment_intents/search")
@requires("payment_intent_read")
@accepts(SearchParams)
@returns(search_result_schema(PaymentIntentOut))
def search_payment_intents(params):
    """Search PaymentIntents (Stripe's query language), newest first."""
    return _search("payment_intents", params)
