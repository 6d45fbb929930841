"""Lesson 7: what Payground sent your endpoint, and what it answered (GET /sandbox/webhook_deliveries)."""

import os
import sys
import time

import requests

from sandbox import check_account, saved_session

session = saved_session()
api = os.environ.get("STRIPE_API_BASE")  # which server: in .env
if not api:  # a new terminal, say: .env is not loaded into it yet
    sys.exit("STRIPE_API_BASE is not set: load .env first (set -a; . ./.env; set +a)")
check_account(api, session)  # another account's deliveries would only puzzle you

# The newest two: the last payment's charge.succeeded and charge.failed.
try:
    response = requests.get(f"{api}/sandbox/webhook_deliveries", params={"limit": 2}, timeout=10,
                            headers=session)
except requests.ConnectionError:  # nothing listens at STRIPE_API_BASE
    sys.exit(f"Payground is not answering at {api}: start it with `payground serve`")
if not response.ok:  # the saved session has expired, say: the server says why
    sys.exit(response.json()["error"]["message"])
deliveries = response.json()["data"]
if not deliveries:  # a step skipped
    sys.exit("no deliveries yet: register an endpoint (python register.py), then python pay.py")
for d in reversed(deliveries):  # oldest first
    answer = d["last_response_status"] or d["last_error"]
    when = d["next_attempt_at"]  # on your account's clock
    retry = f", next try at {time.strftime('%H:%M:%S UTC', time.gmtime(when))}" if when else ""
    print(f"{d['event_type']}: {d['status']} after {d['attempts']} attempt(s), "
          f"last answer {answer}{retry}")
