"""Lesson 1: the same charge with the official `stripe` library, pointed at Payground."""

import os
import sys

import stripe
from dotenv import load_dotenv

load_dotenv(".env")
if "STRIPE_SECRET_KEY" not in os.environ:  # no .env in the folder you run this from
    sys.exit("STRIPE_SECRET_KEY is not set (no .env here?): run `payground init` in this folder")
if not os.environ["STRIPE_SECRET_KEY"]:  # `STRIPE_SECRET_KEY=` in .env (or in your shell)
    sys.exit("STRIPE_SECRET_KEY is empty: run `payground init` in this folder (it "
             "writes a working key to .env)")
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]
stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")

try:
    charge = stripe.Charge.create(amount=2000, currency="usd", source="tok_visa")
except stripe.APIConnectionError:  # nothing listens at api_base
    sys.exit(f"Payground is not answering at {stripe.api_base}: start it with `payground serve`")
except stripe.StripeError as error:  # a mistyped, revoked or expired key: the server says which
    sys.exit(f"{error.http_status} {error.user_message}")
print(charge.id, charge.status, charge.paid)

try:
    stripe.Charge.create(amount=2000, currency="usd", source="tok_chargeDeclinedInsufficientFunds")
except stripe.CardError as error:
    # What your checkout shows the customer: the message, never the raw response.
    print("declined:", error.code, error.error.decline_code, error.user_message)
