"""Lesson 3: the marketing key leaked. What can a stranger do with it - and what not?"""

import os
import re
import sys

import stripe
from dotenv import load_dotenv

load_dotenv(".env")
if not os.environ.get("MARKETING_STRIPE_KEY"):  # made by step 1
    sys.exit("MARKETING_STRIPE_KEY is not set: run `python make_team_keys.py` in this folder first")
stripe.api_key = os.environ["MARKETING_STRIPE_KEY"]  # pretend you found it in a public repo
stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")

# What the key is for works for the stranger too: the dashboard's totals.
try:
    balance = stripe.Balance.retrieve()
    sale = stripe.BalanceTransaction.list(type="charge", limit=1).data[0]
except stripe.APIConnectionError:  # nothing listens at api_base
    sys.exit(f"Payground is not answering at {stripe.api_base}: start it with `payground serve`")
except stripe.StripeError as error:  # revoked already, say: the server says why
    sys.exit(f"{error.http_status} {error.user_message}")
except IndexError:  # no sale to look at yet
    sys.exit("no sales yet: run `python admin_backend.py` first")
print(f"read the balance: allowed, pending {balance.pending[0].amount} usd cents")
print(f"read a sale: allowed, {sale.amount} {sale.currency}, fee {sale.fee}, from {sale.source}")

attempts = {  # everything else: who paid, what they bought, moving money
    "open that charge": lambda: stripe.Charge.retrieve(sale.source),
    "expand it instead": lambda: stripe.BalanceTransaction.retrieve(sale.id,
                                                                    expand=["source"]),
    "list the customers": lambda: stripe.Customer.list(limit=100),
    "read the events": lambda: stripe.Event.list(limit=100),  # each holds a whole object
    "charge a card": lambda: stripe.Charge.create(amount=99900, currency="usd",
                                                  source="tok_visa"),
    "refund a charge": lambda: stripe.Refund.create(charge="ch_anything"),
    "change a customer": lambda: stripe.Customer.modify("cus_anything",
                                                        email="thief@example.com"),
    "pay out the balance": lambda: stripe.Payout.create(amount=1000, currency="usd"),
}
for what, attempt in attempts.items():
    try:
        attempt()
        print(f"{what}: ALLOWED")
    except stripe.PermissionError as error:
        # Refused before anything is looked up: "ch_anything" does not even have to exist.
        needed = re.search(r"'(rak_\w+)'", error.user_message).group(1)
        print(f"{what}: refused {error.http_status}, needs {needed}")
