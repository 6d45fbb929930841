"""Lesson 7: what Payground sent your endpoint, and what it answered (GET /sandbox/webhook_deliveries)."""

import os
import time
from pathlib import Path

import requests

api = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
home = Path(os.environ.get("PAYGROUND_HOME", "~/.payground")).expanduser()
session = (home / "session").read_text().strip()  # saved by `payground init`

# The newest two: the last payment's charge.succeeded and charge.failed.
deliveries = requests.get(f"{api}/sandbox/webhook_deliveries", params={"limit": 2}, timeout=10,
                          headers={"Authorization": f"Bearer {session}"}).json()["data"]
for d in reversed(deliveries):  # oldest first
    answer = d["last_response_status"] or d["last_error"]
    when = d["next_attempt_at"]  # on your account's clock
    retry = f", next try at {time.strftime('%H:%M:%S UTC', time.gmtime(when))}" if when else ""
    print(f"{d['event_type']}: {d['status']} after {d['attempts']} attempt(s), "
          f"last answer {answer}{retry}")
