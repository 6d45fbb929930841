"""Lesson 7: two orders, one paid and one declined; the handler hears about both."""

import os
import sys

import stripe

if "STRIPE_SECRET_KEY" not in os.environ:  # a new terminal: .env not loaded into it yet
    sys.exit("STRIPE_SECRET_KEY is not set: load .env first (set -a; . ./.env; set +a)")
if not os.environ["STRIPE_SECRET_KEY"]:  # loaded, but `STRIPE_SECRET_KEY=` in .env
    sys.exit("STRIPE_SECRET_KEY is empty: run `payground init` in this folder, then load .env "
             "again (set -a; . ./.env; set +a)")
stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]

try:
    paid = stripe.Charge.create(amount=2000, currency="usd", source="tok_visa")
except stripe.APIConnectionError:  # nothing listens at api_base
    sys.exit(f"Payground is not answering at {stripe.api_base}: start it with `payground serve`")
except stripe.StripeError as error:  # a revoked key, say: the server says why
    sys.exit(f"{error.http_status} {error.user_message}")
print(f"charged {paid.id}")
try:
    stripe.Charge.create(amount=2000, currency="usd", source="tok_chargeDeclined")
except stripe.CardError as declined:
    print(f"declined {declined.error.charge}")
