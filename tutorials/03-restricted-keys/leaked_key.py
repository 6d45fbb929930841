"""Lesson 3: the analytics key leaked. What can a stranger do with it - and what not?"""

import os
import re
import sys

import stripe
from dotenv import load_dotenv

load_dotenv(".env")
if not os.environ.get("ANALYTICS_STRIPE_KEY"):  # made by step 1
    sys.exit("ANALYTICS_STRIPE_KEY is not set: run `python make_team_keys.py` in this folder first")
stripe.api_key = os.environ["ANALYTICS_STRIPE_KEY"]  # pretend you found it in a public repo
stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")

# Reading works: a leaked read-only key is still a data leak, so it gets revoked at once.
try:
    charges = stripe.Charge.list(limit=100).data
except stripe.APIConnectionError:  # nothing listens at api_base
    sys.exit(f"Payground is not answering at {stripe.api_base}: start it with `payground serve`")
except stripe.StripeError as error:  # revoked already, say: the server says why
    sys.exit(f"{error.http_status} {error.user_message}")
print("read charges:", len(charges))

attempts = {
    "charge a card": lambda: stripe.Charge.create(amount=99900, currency="usd",
                                                  source="tok_visa"),
    "refund a charge": lambda: stripe.Refund.create(charge="ch_anything"),
    "change a customer": lambda: stripe.Customer.modify("cus_anything",
                                                        email="thief@example.com"),
    "read the balance": lambda: stripe.Balance.retrieve(),
}
for what, attempt in attempts.items():
    try:
        attempt()
        print(f"{what}: ALLOWED")
    except stripe.PermissionError as error:
        # Refused before anything is looked up: "ch_anything" does not even have to exist.
        needed = re.search(r"'(rak_\w+)'", error.user_message).group(1)
        print(f"{what}: refused {error.http_status}, needs {needed}")
