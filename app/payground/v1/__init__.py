"""The Stripe-compatible API under ``/v1``: one module per resource, all on one blueprint."""

from flask import Blueprint

bp = Blueprint("v1", __name__, url_prefix="/v1")

# Route modules register themselves on `bp` when imported.
from . import accounts, customers  # noqa: E402,F401
from . import balance, charges, refunds, tokens  # noqa: E402,F401
from . import balance_transactions, events, payment_intents, payment_methods, payouts  # noqa: E402,F401
from . import search, setup_intents, sources, webhook_endpoints  # noqa: E402,F401
