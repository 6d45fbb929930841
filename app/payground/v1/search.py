"""``GET /v1/{customers,charges,payment_intents}/search``: Stripe's search, which Payground lacks.

Without these routes the SDKs' ``search`` (``stripe.customers.search({query: ...})`` in
Node, ``stripe.Customer.search(query=...)`` in Python) reached the retrieve route with the
id ``search`` and was told ``Received unknown parameter: query``, as if search were there and
its parameter wrong. It is answered as a route Payground lacks: a 404 that names the list
and the filters to use instead.
"""

from __future__ import annotations

from flask import request

from .. import messages
from ..errors import RouteNotFound
from ..http.auth import requires
from . import bp


def _unsupported(noun: str, filters: str) -> RouteNotFound:
    return RouteNotFound(messages.SEARCH_UNSUPPORTED.format(
        method=request.method, path=request.path, noun=noun, filters=filters))


@bp.get("/customers/search")
@requires("customer_read")
def search_customers():
    """Search customers (not in Payground: list them)."""
    raise _unsupported("customers", "email, created")


@bp.get("/charges/search")
@requires("charge_read")
def search_charges():
    """Search charges (not in Payground: list them)."""
    raise _unsupported("charges", "customer, payment_intent, created")


@bp.get("/payment_intents/search")
@requires("payment_intent_read")
def search_payment_intents():
    """Search PaymentIntents (not in Payground: list them)."""
    raise _unsupported("payment_intents", "customer, created")
