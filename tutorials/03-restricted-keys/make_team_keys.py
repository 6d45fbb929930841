"""Lesson 3: one restricted key per team, each with only the permissions its job needs."""

import os
import sys
from pathlib import Path

from dotenv import load_dotenv, set_key

import sandbox

TEAM_KEYS = {  # .env name: (the key's name in the dashboard, its permissions)
    "ANALYTICS_STRIPE_KEY": ("analytics: revenue report",
                             ["charge_read", "customer_read", "event_read"]),
    "MARKETING_STRIPE_KEY": ("marketing: sales dashboard", ["balance_read"]),
}

if not Path(".env").exists():  # the keys go into this folder's .env, next to the others
    sys.exit("no .env here: run `payground init` in this folder first")
load_dotenv(".env")
API_BASE = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
# API keys cannot make keys: that takes the dashboard session `payground init` saved, of the
# account whose keys are in .env (sandbox.py checks it is).
dashboard, _ = sandbox.dashboard(API_BASE)

for env_name, (name, permissions) in TEAM_KEYS.items():
    if os.environ.get(env_name):
        print(f"{env_name} is already in .env: kept")
        continue
    response = dashboard.post(f"{API_BASE}/sandbox/keys", timeout=10, json={
        "type": "restricted", "name": name, "permissions": permissions})
    if not response.ok:  # the saved session has expired, say: the server says why
        sys.exit(response.json()["error"]["message"])
    key = response.json()
    set_key(".env", env_name, key["secret"])  # shown this once: straight into .env
    print(f"{env_name}={key['redacted']}  {', '.join(key['permissions'])}")
