"""Lesson 3: marketing's sales dashboard - totals only, with a balance_read key."""

import os
import sys

import stripe
from dotenv import load_dotenv

load_dotenv(".env")
if not os.environ.get("MARKETING_STRIPE_KEY"):  # made by step 1
    sys.exit("MARKETING_STRIPE_KEY is not set: run `python make_team_keys.py` in this folder first")
stripe.api_key = os.environ["MARKETING_STRIPE_KEY"]  # rk_test_..., balance_read only
stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")

try:
    balance = stripe.Balance.retrieve()
    # Every movement of money: an amount, a fee, a date - and no name, e-mail or card.
    movements = list(stripe.BalanceTransaction.list(limit=100).auto_paging_iter())
except stripe.APIConnectionError:  # nothing listens at api_base
    sys.exit(f"Payground is not answering at {stripe.api_base}: start it with `payground serve`")
except stripe.StripeError as error:  # a revoked key, say: the server says why
    sys.exit(f"{error.http_status} {error.user_message}")
sales = [m for m in movements if m.type == "charge"]
refunds = [m for m in movements if m.type == "refund"]
print(f"sales: {len(sales)}, gross {sum(m.amount for m in sales)}, "
      f"fees {sum(m.fee for m in sales)}, refunded {-sum(m.amount for m in refunds)}")
pending, available = balance.pending[0].amount, balance.available[0].amount
print(f"balance: pending {pending}, available {available} (usd cents)")

try:
    stripe.Customer.list(limit=10)  # who bought is none of the dashboard's business
except stripe.PermissionError as error:
    print("customers:", error.http_status, error.user_message)
