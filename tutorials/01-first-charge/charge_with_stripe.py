"""Lesson 1: the same charge with the official `stripe` library, pointed at Payground."""

import os

import stripe
from dotenv import load_dotenv

load_dotenv(".env")
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]
stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")

charge = stripe.Charge.create(amount=2000, currency="usd", source="tok_visa")
print(charge.id, charge.status, charge.paid)

try:
    stripe.Charge.create(amount=2000, currency="usd", source="tok_chargeDeclinedInsufficientFunds")
except stripe.CardError as error:
    # What your checkout shows the customer: the message, never the raw response.
    print("declined:", error.code, error.error.decline_code, error.user_message)
