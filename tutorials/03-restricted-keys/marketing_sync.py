"""Lesson 3: marketing adds newsletter sign-ups as customers, with a customer_write key."""

import os

import stripe
from dotenv import load_dotenv

load_dotenv(".env")
stripe.api_key = os.environ["MARKETING_STRIPE_KEY"]  # rk_test_..., customer_write only
stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")

customer = stripe.Customer.create(email="grace@example.com", name="Grace Hopper",
                                  metadata={"source": "newsletter"})
print("added", customer.id, customer.email)
print("read back:", stripe.Customer.retrieve(customer.id).email)  # write implies read

try:
    stripe.Charge.list(limit=10)  # what people paid is none of marketing's business
except stripe.PermissionError as error:
    print("charges:", error.http_status, error.user_message)
