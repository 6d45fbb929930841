"""Lesson 5: follow the money - pending, available, paid out, in the bank - for the mode of
STRIPE_SECRET_KEY. The sandbox's clock stands in for the days this takes."""

import sys

import stripe

from sandbox import advance_clock, bank_account, session, verify_ledger
from shop import configure, day, money


def balance(when: str) -> tuple[int, int]:
    """Print the USD balance, and return it: (available, pending)."""
    found = stripe.Balance.retrieve()
    available = sum(b.amount for b in found.available if b.currency == "usd")
    pending = sum(b.amount for b in found.pending if b.currency == "usd")
    print(f"{when}: available {money(available)}, pending {money(pending)}")
    return available, pending


configure()
session()  # the clock below moves with the saved session: check now that it is this account's
try:
    available, pending = balance("balance")
except stripe.APIConnectionError:  # nothing listens at api_base
    sys.exit(f"Payground is not answering at {stripe.api_base}: start it with `payground serve`")
except stripe.StripeError as error:  # a revoked key, say: the server says why
    sys.exit(f"{error.http_status} {error.user_message}")
if pending:
    # A card payment is pending for 2 days before you can pay it out.
    advance_clock(days=2)
    available, pending = balance("2 days later")
if available <= 0:  # only available money can be paid out
    sys.exit("nothing available to pay out: take a payment first (python shop.py ...)")

payout = stripe.Payout.create(amount=available, currency="usd")
print(f"payout {payout.id} of {money(payout.amount)}: {payout.status}, "
      f"arrives {day(payout.arrival_date)}")
for _ in range(2):  # a bank transfer takes days too: pending -> in_transit -> paid/failed
    advance_clock(days=1)
    payout = stripe.Payout.retrieve(payout.id)
    print(f"next day: {payout.status}")
if payout.status == "failed":  # the bank sent it back: the money is in the balance again
    print(f"{payout.failure_code}: {payout.failure_message}")
    balance("sent back")

bank = bank_account(payout.livemode)
received = sum(r["amount"] for r in bank["received"] if r["currency"] == "usd")
print(f"{bank['bank_name']}, account ending {bank['last4']}: {money(received)} received")

report = verify_ledger()
checked = report["checked"]
print(f"ledger {'balanced' if report['ok'] else 'NOT BALANCED'}: {checked['journals']} "
      f"journals, {checked['entries']} entries checked")
for problem in report["problems"]:
    print("  -", problem)
sys.exit(0 if report["ok"] else 1)
