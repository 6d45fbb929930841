"""Lesson 6: your server. It alone holds the *secret* key, and charges the token the page sent.

    python pay_server.py tok_...
"""

import os
import sys

import stripe

if len(sys.argv) != 2 or not sys.argv[1]:  # "$(python checkout_page.py)" printed no token
    sys.exit("usage: python pay_server.py TOKEN (no token? run python checkout_page.py to see why)")
if "STRIPE_SECRET_KEY" not in os.environ:  # a new terminal: .env not loaded into it yet
    sys.exit("STRIPE_SECRET_KEY is not set: load .env first (set -a; . ./.env; set +a)")
if not os.environ["STRIPE_SECRET_KEY"]:  # loaded, but `STRIPE_SECRET_KEY=` in .env
    sys.exit("STRIPE_SECRET_KEY is empty: run `payground init` in this folder, then load .env "
             "again (set -a; . ./.env; set +a)")
stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]  # sk_test_...: never leaves the server

token_id = sys.argv[1]
try:
    charge = stripe.Charge.create(amount=1500, currency="usd", source=token_id,
                                  description="lesson 6 order")
except stripe.APIConnectionError:  # nothing listens at api_base
    sys.exit(f"Payground is not answering at {stripe.api_base}: start it with `payground serve`")
except stripe.StripeError as error:  # a token used twice, a revoked key ...: the server says
    sys.exit(f"{error.http_status} {error.user_message}")
print(f"{charge.id} {charge.status}: {charge.amount / 100:.2f} {charge.currency} "
      f"on the card ending {charge.source.last4}")
