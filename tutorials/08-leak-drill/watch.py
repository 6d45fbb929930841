"""Lesson 8, step 2: notice. Who has been using the key? Anything not from us is an alarm.

Run it from cron, a CI job or your monitoring: it exits with status 1 when it finds requests
from addresses that are not yours, so whatever runs it can page someone.
"""

import os
import sys
from collections import Counter

from sandbox import key_object, sandbox, settings, shown

# Where your own servers call from. Anything else using your secret key is not you.
OURS = set(os.environ.get("OUR_ADDRESSES", "127.0.0.1,::1").split(","))

api, base = sandbox()
key = settings()["STRIPE_SECRET_KEY"]
key_id = key_object(api, base, key)["id"]
log = api.get(f"{base}/sandbox/requests", params={"key": key_id, "limit": 100}, timeout=10)
log.raise_for_status()
strangers = Counter((entry["client_ip"], entry["method"], entry["path"], entry["status"])
                    for entry in log.json()["data"] if entry["client_ip"] not in OURS)
if not strangers:
    print(f"{shown(key)}: every request came from your own addresses.")
    sys.exit(0)
print(f"ALERT: {shown(key)} is being used from addresses that are not yours:")
for (address, method, path, status), times in sorted(strangers.items()):
    print(f"  {address:<15} {method:<4} {path:<14} -> {status}  x{times}")
sys.exit(1)
