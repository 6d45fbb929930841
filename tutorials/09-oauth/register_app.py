"""Lesson 9, step 1 (Acme Analytics): register Acme as a Connect application, once.

Its name is what every business sees on the consent page; its redirect URI is the only
address Payground will send a business's browser back to. Like making keys, it takes the
dashboard session, never an API key.
"""

import os
import sys
from pathlib import Path

import requests
from dotenv import set_key

from acme import ACME_URL, settings

env = settings()
base = env["STRIPE_API_BASE"]
saved = Path(os.environ.get("PAYGROUND_HOME", "~/.payground")).expanduser() / "session"
if not saved.exists():
    sys.exit(f"no dashboard session in {saved}: run `payground init` first")
dashboard = requests.Session()
dashboard.headers["Authorization"] = f"Bearer {saved.read_text().strip()}"

# The saved session is the account that signed in last (`payground init` or `payground
# login`): the business's, if it ran in business/ after this folder. Acme's application
# must be Acme's.
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

response = dashboard.post(f"{base}/sandbox/connect", timeout=10, json={
    "name": "Acme Analytics", "redirect_uris": [f"{ACME_URL}/callback"]})
if not response.ok:  # a redirect URI the server refuses, say: it says why
    sys.exit(response.json()["error"]["message"])
application = response.json()
set_key(".env", "STRIPE_CLIENT_ID", application["client_id"],  # public: not a secret
        quote_mode="never")
print(f"{application['name']}: client_id {application['client_id']}, saved to .env")
print(f"businesses come back to {application['redirect_uris'][0]}")
