"""Lesson 7: roll the endpoint's signing secret; the old one keeps signing for a grace period.

    python roll_secret.py 3600      # seconds the old secret still signs (0 to 86400)
"""

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import requests

from envfile import save_to_env
from sandbox import check_account, saved_session

api = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
url = os.environ.get("WEBHOOK_URL", "http://127.0.0.1:5000/webhook")
grace = sys.argv[1] if len(sys.argv) > 1 else "3600"
if not grace.isdigit():  # 3600, not 1h
    sys.exit("usage: python roll_secret.py SECONDS (how long the old secret still signs)")
session = saved_session()
if "STRIPE_SECRET_KEY" not in os.environ:  # a new terminal: .env not loaded into it yet
    sys.exit("STRIPE_SECRET_KEY is not set: load .env first (set -a; . ./.env; set +a)")
if not os.environ["STRIPE_SECRET_KEY"]:  # loaded, but `STRIPE_SECRET_KEY=` in .env
    sys.exit("STRIPE_SECRET_KEY is empty: run `payground init` in this folder, then load .env "
             "again (set -a; . ./.env; set +a)")
if not Path(".env").exists():  # where the new secret goes, shown this once
    sys.exit("no .env here: run `payground init` in this folder first")
check_account(api, session)  # the roll below takes this account's session: is it?

# Which endpoint: the one sending to our handler's URL.
try:
    # One page holds them all: at most 16 per mode (the default page is 10).
    response = requests.get(f"{api}/v1/webhook_endpoints", params={"limit": 100}, timeout=10,
                            auth=(os.environ["STRIPE_SECRET_KEY"], ""))
except requests.ConnectionError:  # nothing listens at STRIPE_API_BASE
    sys.exit(f"Payground is not answering at {api}: start it with `payground serve`")
if not response.ok:  # a revoked key, say: the server says why
    sys.exit(f"{response.status_code} {response.json()['error']['message']}")
endpoint = next((e for e in response.json()["data"] if e["url"] == url), None)
if endpoint is None:
    sys.exit(f"no webhook endpoint sends to {url}: register one first (python register.py)")

# Rolling is a secret's lifecycle, so it takes the account's session, not an API key.
response = requests.post(f"{api}/sandbox/webhook_endpoints/{endpoint['id']}/roll",
                         json={"expires_in": int(grace)}, headers=session, timeout=10)
if not response.ok:  # a grace period out of range, say: the server says why
    sys.exit(response.json()["error"]["message"])
rolled = response.json()
save_to_env("STRIPE_WEBHOOK_SECRET", rolled["secret"])  # shown in this answer only
until = datetime.fromtimestamp(rolled["previous_secret_expires_at"], timezone.utc)
print(f"new signing secret {rolled['secret'][:6]}...{rolled['secret'][-4:]} saved to .env")
if int(grace):
    print(f"the old secret also signs until {until:%Y-%m-%d %H:%M} UTC (account clock)")
else:  # no grace period: deliveries from now on carry the new signature only
    print("the old secret no longer signs")
