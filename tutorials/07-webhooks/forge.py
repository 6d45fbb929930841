"""Lesson 7: an attacker who found your webhook URL tries to mark an order paid.

The URL is no secret (it is in your code, your logs, your DNS). What they cannot make is a
signature: that needs the endpoint's secret.
"""

import hmac
import json
import os
import sys
import time
from hashlib import sha256

import requests

url = os.environ.get("WEBHOOK_URL", "http://127.0.0.1:5000/webhook")
fake = json.dumps({"id": "evt_forged", "object": "event", "type": "charge.succeeded",
                   "data": {"object": {"id": "ch_forged", "object": "charge",
                                       "amount": 99900, "currency": "usd"}}})

try:
    unsigned = requests.post(url, data=fake, timeout=10,
                             headers={"Content-Type": "application/json"})
except requests.ConnectionError:  # the handler is not running (or not on this port)
    sys.exit(f"nothing answers at {url}: start the handler first (python handler.py)")
print(f"without a signature: {unsigned.status_code}")

guess = b"whsec_" + b"guessed" * 4  # any secret but the real one
t = int(time.time())
signature = hmac.new(guess, f"{t}.{fake}".encode(), sha256).hexdigest()
signed = requests.post(url, data=fake, timeout=10,
                       headers={"Content-Type": "application/json",
                                "Stripe-Signature": f"t={t},v1={signature}"})
print(f"signed with a guessed secret: {signed.status_code}")
