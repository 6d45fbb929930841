"""Lesson 9 (the business): disconnect Acme Analytics. Its access ends at once; Bloom's own
keys are not touched, and no other application's access is."""

import os
import sys
from pathlib import Path

import requests
from dotenv import dotenv_values

if not Path(".env").exists():  # run it in business/, where the business ran `payground init`
    sys.exit("no .env here: run `payground init` in this folder first")
env = dotenv_values(".env")
if "STRIPE_CLIENT_ID" in env:  # register_app.py wrote it: this is Acme's folder, Acme's key
    sys.exit("this .env is Acme's (it has STRIPE_CLIENT_ID): run this in business/, where "
             "Bloom ran `payground init`")
if not env.get("STRIPE_SECRET_KEY"):  # `STRIPE_SECRET_KEY=` in .env, or no such line
    state = "empty" if "STRIPE_SECRET_KEY" in env else "missing"
    sys.exit(f"STRIPE_SECRET_KEY is {state} in .env: run `payground init` in this folder "
             "(it writes a working key there)")
base = env["STRIPE_API_BASE"]
saved = Path(os.environ.get("PAYGROUND_HOME", "~/.payground")).expanduser() / "session"
if not saved.exists():
    sys.exit(f"no dashboard session in {saved}: run `payground init` first")
dashboard = requests.Session()
dashboard.headers["Authorization"] = f"Bearer {saved.read_text().strip()}"

# The saved session is the account that signed in last (`payground init` or `payground
# login`): it must be Bloom's.
try:
    mine = dashboard.post(f"{base}/sandbox/keys/identify", timeout=10,
                          json={"keys": [env["STRIPE_SECRET_KEY"]]})
except requests.ConnectionError:  # nothing listens at STRIPE_API_BASE
    sys.exit(f"Payground is not answering at {base}: start it with `payground serve`")
if not mine.ok:  # the saved session has expired, say: the server says why
    sys.exit(mine.json()["error"]["message"])
if mine.json()["data"][0] is None:
    sys.exit("the saved session is another account's, not the one whose key is in .env: "
             "`payground login` with this folder's account's email signs it in again "
             "(and changes nothing else)")

connections = dashboard.get(f"{base}/sandbox/connections", timeout=10).json()["data"]
acme = [c for c in connections
        if c["application"]["name"] == "Acme Analytics" and c["revoked_at"] is None]
if not acme:
    sys.exit("Acme Analytics is not connected to this account: nothing to disconnect")
for connection in acme:
    response = dashboard.post(f"{base}/sandbox/connections/{connection['id']}/revoke",
                              timeout=10)
    if not response.ok:  # revoked a moment ago, say: the server says why
        sys.exit(response.json()["error"]["message"])
    print(f"disconnected Acme Analytics ({connection['application']['client_id']}, "
          f"{connection['scope']}): {connection['id']}")
