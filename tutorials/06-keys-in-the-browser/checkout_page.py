"""Lesson 6: what runs in the customer's browser, and all it may hold: the *publishable* key.

Anyone can read a page's code, so this key is public by design. With it the page can turn a
card into a token (Stripe.js does this on a real page) and nothing else: here it also tries
to list your charges, to see what someone who copied the key from your page would get.
"""

import os
import sys

import requests

api = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
publishable_key = os.environ.get("STRIPE_PUBLISHABLE_KEY")  # pk_test_/pk_live_: fine to ship
if not publishable_key:
    sys.exit("STRIPE_PUBLISHABLE_KEY is not set: load .env first (set -a; . ./.env; set +a)")
auth = {"Authorization": f"Bearer {publishable_key}"}

card = {"card[number]": "4242424242424242", "card[exp_month]": "12",
        "card[exp_year]": "2034", "card[cvc]": "123"}
try:
    response = requests.post(f"{api}/v1/tokens", data=card, headers=auth, timeout=10)
except requests.ConnectionError:  # nothing listens at STRIPE_API_BASE
    sys.exit(f"Payground is not answering at {api}: start it with `payground serve`")
token = response.json()
if not response.ok:  # a key the server refuses: it says why
    sys.exit(f"{response.status_code} {token['error']['message']}")
print(f"tokenised: {token['card']['brand']} ending {token['card']['last4']}", file=sys.stderr)

# What a visitor who copies the key from the page's source can do with it:
snooping = requests.get(f"{api}/v1/charges", headers=auth, timeout=10)
if snooping.ok:  # a secret key where the publishable one belongs: every visitor could do this
    mode = "live" if "_live_" in publishable_key else "test"  # the publishable key of its mode
    sys.exit(f"listing charges with the page's key: {snooping.status_code}: it reads your "
             f"charges, so it is no publishable key: put the pk_{mode}_ key in "
             "STRIPE_PUBLISHABLE_KEY")
error = snooping.json()["error"]
print(f"listing charges with the page's key: {snooping.status_code} {error['code']}: "
      f"{error['message']}", file=sys.stderr)

print(token["id"])  # the one thing the page sends to your server
