"""Lesson 5: look a charge up. Test mode and live mode are two separate worlds: a key only
ever sees the objects of its own mode."""

import sys

import stripe

from shop import configure, money

if len(sys.argv) != 2:
    sys.exit("usage: python find_charge.py CHARGE_ID")
configure()
try:
    charge = stripe.Charge.retrieve(sys.argv[1])
except stripe.InvalidRequestError as error:
    sys.exit(f"{error.http_status} {error.code}: {error.user_message}")
except stripe.APIConnectionError:  # nothing listens at api_base
    sys.exit(f"Payground is not answering at {stripe.api_base}: start it with `payground serve`")
except stripe.StripeError as error:  # a revoked key, say: the server says why
    sys.exit(f"{error.http_status} {error.user_message}")
mode = "live" if charge.livemode else "test"
print(f"{charge.id}: {charge.status}, {money(charge.amount, charge.currency)}, {mode} mode")
