"""Lesson 7: roll the endpoint's signing secret; the old one keeps signing for a grace period.

    python roll_secret.py 3600      # seconds the old secret still signs (0 to 86400)
"""

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import requests

from envfile import save_to_env

api = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
url = os.environ.get("WEBHOOK_URL", "http://127.0.0.1:5000/webhook")
grace = int(sys.argv[1]) if len(sys.argv) > 1 else 3600
home = Path(os.environ.get("PAYGROUND_HOME", "~/.payground")).expanduser()
session = {"Authorization": f"Bearer {(home / 'session').read_text().strip()}"}

# Which endpoint: the one sending to our handler's URL.
endpoints = requests.get(f"{api}/v1/webhook_endpoints", timeout=10,
                         auth=(os.environ["STRIPE_SECRET_KEY"], "")).json()["data"]
endpoint = next((e for e in endpoints if e["url"] == url), None)
if endpoint is None:
    sys.exit(f"no webhook endpoint sends to {url}: register one first (python register.py)")

# Rolling is a secret's lifecycle, so it takes the account's session, not an API key.
response = requests.post(f"{api}/sandbox/webhook_endpoints/{endpoint['id']}/roll",
                         json={"expires_in": grace}, headers=session, timeout=10)
if not response.ok:  # a grace period out of range, say: the server says why
    sys.exit(response.json()["error"]["message"])
rolled = response.json()
save_to_env("STRIPE_WEBHOOK_SECRET", rolled["secret"])  # shown in this answer only
until = datetime.fromtimestamp(rolled["previous_secret_expires_at"], timezone.utc)
print(f"new signing secret {rolled['secret'][:6]}...{rolled['secret'][-4:]} saved to .env")
print(f"the old secret also signs until {until:%Y-%m-%d %H:%M} UTC (account clock)")
