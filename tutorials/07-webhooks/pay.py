"""Lesson 7: two orders, one paid and one declined; the handler hears about both."""

import os

import stripe

stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]

paid = stripe.Charge.create(amount=2000, currency="usd", source="tok_visa")
print(f"charged {paid.id}")
try:
    stripe.Charge.create(amount=2000, currency="usd", source="tok_chargeDeclined")
except stripe.CardError as declined:
    print(f"declined {declined.error.charge}")
