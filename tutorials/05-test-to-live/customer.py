"""Lesson 5: the customer's browser. It turns the card into a token with the *publishable* key
(on a real checkout page, Stripe.js does this), so the card number never reaches your server:
the server only ever sees the token."""

import os
import sys
from datetime import date

import stripe
from faker import Faker

stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
publishable_key = os.environ.get("STRIPE_PUBLISHABLE_KEY")  # pk_test_... or pk_live_...: public
if not publishable_key:
    sys.exit("STRIPE_PUBLISHABLE_KEY is not set: load .env first (set -a; . ./.env; set +a)")

# The card number typed in: a test card (4242424242424242) if you give one, otherwise a
# made-up real-looking one (it passes the Luhn check, like every real card number).
number = sys.argv[1] if len(sys.argv) > 1 else Faker().credit_card_number(card_type="visa16")
try:
    token = stripe.Token.create(api_key=publishable_key, card={
        "number": number, "exp_month": 12, "exp_year": date.today().year + 3, "cvc": "123"})
except stripe.CardError as error:
    sys.exit(f"refused: {error.code} / {error.error.decline_code}: {error.user_message}")
except stripe.APIConnectionError:  # nothing listens at api_base
    sys.exit(f"Payground is not answering at {stripe.api_base}: start it with `payground serve`")
except stripe.StripeError as error:  # a key the server refuses: it says why
    sys.exit(f"{error.http_status} {error.user_message}")

mode = "live" if token.livemode else "test"
print(f"{token.card.brand} ending {token.card.last4}, {mode} mode", file=sys.stderr)
print(token.id)  # the one thing the page sends to your server
