"""Lesson 3: contain the leak - see what the key was used for, then roll it with no grace."""

import os
import sys

import requests
from dotenv import load_dotenv, set_key

import sandbox

load_dotenv(".env")
if not os.environ.get("MARKETING_STRIPE_KEY"):  # made by step 1
    sys.exit("MARKETING_STRIPE_KEY is not set: run `python make_team_keys.py` in this folder first")
leaked = os.environ["MARKETING_STRIPE_KEY"]
shown = f"{leaked[:8]}...{leaked[-4:]}"  # the display form the dashboard lists keys by
API_BASE = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
# Rolling a key takes the dashboard session: the leaked key cannot roll or revoke itself.
dashboard, keys = sandbox.dashboard(API_BASE)  # checked: the account whose keys are in .env
key = next((k for k in keys if k["redacted"] == shown), None)
if key is None:  # the account has no key of that display form
    sys.exit(f"{shown} is not a key of the signed-in account: a typo in .env, or another "
             "account's key? Remove its line and run `python make_team_keys.py` again")

# What was it used for? The request log keeps every request, with the key that made it.
log = dashboard.get(f"{API_BASE}/sandbox/requests", timeout=10,
                    params={"key": key["id"], "limit": 100}).json()["data"]
refused = [entry for entry in log if entry["status"] == 403]
print(f"{shown}: {len(log)} in the request log, {len(refused)} of them refused (403)")

# Roll with no grace period: the leaked key stops now, the new one has the same permissions.
rolled = dashboard.post(f"{API_BASE}/sandbox/keys/{key['id']}/roll", json={"expires_in": 0},
                        timeout=10)
if not rolled.ok:  # revoked already, say: the server says why
    sys.exit(rolled.json()["error"]["message"])
new = rolled.json()
set_key(".env", "MARKETING_STRIPE_KEY", new["secret"])  # shown this once: straight into .env
print(f"rolled {shown} -> {new['redacted']}  {', '.join(new['permissions'])}")

for name, secret in (("leaked", leaked), ("new", new["secret"])):
    answer = requests.get(f"{API_BASE}/v1/balance", timeout=10,
                          headers={"Authorization": f"Bearer {secret}"})
    reason = "" if answer.ok else " " + answer.json()["error"]["message"]
    print(f"{name} key: {answer.status_code}{reason}")
