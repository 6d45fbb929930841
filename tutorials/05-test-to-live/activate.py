"""Lesson 5: activate live mode - say who you are and where your money goes - and put the live
keys, shown this once, straight into .env."""

import os
import sys
from pathlib import Path

from dotenv import dotenv_values, set_key

from sandbox import call
from shop import masked

# What Stripe asks for before you may take real money (made up here; leave any of it out and
# Payground makes it up for you).
BUSINESS = {"business_name": "Ada's Bakery", "country": "US",
            "bank_account": {"routing_number": "021000021", "account_number": "000987654321"}}

if not Path(".env").exists():  # the live keys go next to the test keys, in a git-ignored file
    sys.exit("no .env here: run `payground init` in this folder first")
if not os.environ.get("STRIPE_API_BASE"):  # which server: in .env, not loaded into this shell
    sys.exit("STRIPE_API_BASE is not set: load .env first (set -a; . ./.env; set +a)")
response = call("POST", "/sandbox/account/activate", json=BUSINESS)
if response.status_code == 400 and response.json()["error"]["code"] == "account_already_activated":
    live_key = dotenv_values(".env").get("STRIPE_LIVE_SECRET_KEY")
    if not live_key:
        sys.exit("live mode is already on, and its secret key can't be shown again: "
                 "`payground activate` writes live keys of this folder's own to .env")
    print(f"live mode is already on: keeping STRIPE_LIVE_SECRET_KEY={masked(live_key)}")
    sys.exit()
if not response.ok:  # the saved session has expired, say: the server says why
    sys.exit(response.json()["error"]["message"])
account, keys = response.json()["account"], response.json()["keys"]

# This response is the only place the live secret key will ever appear: into .env with it
# (mode 0600, and `payground init` made Git ignore the file). Never print it in full.
set_key(".env", "STRIPE_LIVE_SECRET_KEY", keys["secret"], quote_mode="never")
set_key(".env", "STRIPE_LIVE_PUBLISHABLE_KEY", keys["publishable"], quote_mode="never")
bank = account["bank_account"]
print(f"live mode on for {account['business_name']} ({account['id']})")
print(f"payouts go to routing {bank['routing_number']}, account ending {bank['last4']}")
print(f"STRIPE_LIVE_SECRET_KEY={masked(keys['secret'])} and STRIPE_LIVE_PUBLISHABLE_KEY "
      "written to .env")
