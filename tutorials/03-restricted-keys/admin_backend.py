"""Lesson 3: the payments backend - the one place the full-power secret key lives."""

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
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]  # sk_test_: every permission there is
stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")

try:
    customer = stripe.Customer.create(email="ada@example.com", name="Ada Lovelace")
except stripe.APIConnectionError:  # nothing listens at api_base
    sys.exit(f"Payground is not answering at {stripe.api_base}: start it with `payground serve`")
except stripe.StripeError as error:  # a mistyped, revoked or expired key: the server says which
    sys.exit(f"{error.http_status} {error.user_message}")
first = stripe.Charge.create(amount=2000, currency="usd", source="tok_visa",
                             customer=customer.id)
second = stripe.Charge.create(amount=3500, currency="usd", source="tok_visa")
refund = stripe.Refund.create(charge=first.id, amount=500)
print("customer", customer.id, customer.email)
print("charges", first.id, first.amount, second.id, second.amount)
print("refund", refund.id, refund.amount, "of", refund.charge)
