"""Lesson 3: marketing adds newsletter sign-ups as customers, with a customer_write key."""

import os
import sys

import stripe
from dotenv import load_dotenv

load_dotenv(".env")
if not os.environ.get("MARKETING_STRIPE_KEY"):  # made by step 1
    sys.exit("MARKETING_STRIPE_KEY is not set: run `python make_team_keys.py` in this folder first")
stripe.api_key = os.environ["MARKETING_STRIPE_KEY"]  # rk_test_..., customer_write only
stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")

try:
    customer = stripe.Customer.create(email="grace@example.com", name="Grace Hopper",
                                      metadata={"source": "newsletter"})
except stripe.APIConnectionError:  # nothing listens at api_base
    sys.exit(f"Payground is not answering at {stripe.api_base}: start it with `payground serve`")
except stripe.StripeError as error:  # a revoked key, say: the server says why
    sys.exit(f"{error.http_status} {error.user_message}")
print("added", customer.id, customer.email)
print("read back:", stripe.Customer.retrieve(customer.id).email)  # write implies read

try:
    stripe.Charge.list(limit=10)  # what people paid is none of marketing's business
except stripe.PermissionError as error:
    print("charges:", error.http_status, error.user_message)
