"""Lesson 6: your server. It alone holds the *secret* key, and charges the token the page sent.

    python pay_server.py tok_...
"""

import os
import sys

import stripe

stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]  # sk_test_...: never leaves the server

token_id = sys.argv[1]
charge = stripe.Charge.create(amount=1500, currency="usd", source=token_id,
                              description="lesson 6 order")
print(f"{charge.id} {charge.status}: {charge.amount / 100:.2f} {charge.currency} "
      f"on the card ending {charge.source.last4}")
