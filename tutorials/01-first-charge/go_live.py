"""Lesson 1: the same code with a live key. Test cards stop working; real-looking cards don't."""

import os
import sys

import stripe
from dotenv import load_dotenv
from faker import Faker

load_dotenv(".env")
if not os.environ.get("STRIPE_LIVE_SECRET_KEY"):  # written by `payground activate`
    sys.exit("STRIPE_LIVE_SECRET_KEY is not set: run `payground activate` in this folder first")
stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
stripe.api_key = os.environ["STRIPE_LIVE_SECRET_KEY"]  # sk_live_...: real (simulated) money

try:
    stripe.Charge.create(amount=2000, currency="usd", source="tok_visa")
except stripe.CardError as error:
    print("test card in live mode:", error.code, error.error.decline_code)
except stripe.APIConnectionError:  # nothing listens at api_base
    sys.exit(f"Payground is not answering at {stripe.api_base}: start it with `payground serve`")
except stripe.StripeError as error:  # a key that doesn't work (any more): the server says why
    sys.exit(f"{error.http_status} {error.user_message}")

# A card number that passes the Luhn check, as a real customer's would. Raw numbers go to
# /v1/tokens with the *publishable* key (in real life: from the browser, via Stripe.js).
fake = Faker()
token = stripe.Token.create(
    api_key=os.environ["STRIPE_LIVE_PUBLISHABLE_KEY"],
    card={"number": fake.credit_card_number(card_type="visa16"), "exp_month": 12,
          "exp_year": 2035, "cvc": "123"},
)
charge = stripe.Charge.create(amount=1500, currency="usd", source=token.id)
print("live charge:", charge.id, charge.status, charge.livemode)
