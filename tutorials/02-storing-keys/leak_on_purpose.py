"""Lesson 2: leak a throwaway key on purpose, and look at what Payground shows and records."""

import os
import sys
from pathlib import Path

import requests

from settings import load_env, sandbox_session

load_env()
if "STRIPE_API_BASE" not in os.environ and not Path(".env").exists():  # which server, then?
    sys.exit("no .env here: run `payground init` in this folder first")
API_BASE = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
SESSION = sandbox_session(API_BASE)  # the account whose keys are in .env: checked
answers = []  # every response body from here on, searched for the key at the end


def call(method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.request(method, API_BASE + path, headers=headers, timeout=10, **kwargs)
    answers.append(response.text)
    return response


def error_of(response: requests.Response) -> str:
    error = response.json()["error"]
    return f"{response.status_code} {error.get('code')}: {error['message']}"


# 1. A throwaway key, so that no key you really use gets exposed. Its secret is in this one
#    response, which is why it is the only one left out of `answers`.
try:
    response = requests.post(f"{API_BASE}/sandbox/keys", timeout=10,
                             headers={"Authorization": f"Bearer {SESSION}"},
                             json={"type": "secret", "name": "lesson 2 throwaway"})
except requests.ConnectionError:  # nothing listens at API_BASE
    sys.exit(f"Payground is not answering at {API_BASE}: start it with `payground serve`")
if not response.ok:  # the saved session has expired, say: the server says why
    sys.exit(response.json()["error"]["message"])
created = response.json()
key, key_id = created["secret"], created["id"]
print("created", created["redacted"])

# 2. The right way: the key in the Authorization header.
print("key in a header:", call("GET", "/v1/customers", token=key).status_code)

# 3. The mistake: the key in the URL, where proxies, browser history and logs keep it.
print("key in the URL:", error_of(call("GET", "/v1/customers", params={"api_key": key})))

# 3b. The other mistake: the key pasted into data (an order note, a ticket). Payground
#     stores no key anywhere, so it refuses to keep this one.
note = {"description": f"deploy key for the shop: {key}"}
print("key in a description:", error_of(call("POST", "/v1/customers", token=key, data=note)))

# 4. An exposed key is revoked (or rolled, if something uses it: lesson 4). The server now
#    refuses it, and names it in the error only in masked form.
call("POST", f"/sandbox/keys/{key_id}/revoke", token=SESSION)
print("revoked key:", error_of(call("GET", "/v1/customers", token=key)))

# 5. What Payground kept: its request log and audit trail name the key by its display form.
log = call("GET", "/sandbox/requests", token=SESSION, params={"key": key_id}).json()["data"]
for entry in reversed(log):  # the API lists newest first
    print("request log:", entry["method"], entry["path"], entry["status"],
          entry["key_redacted"], entry["error_code"] or "-")
audit = call("GET", "/sandbox/audit", token=SESSION, params={"key": key_id}).json()["data"]
for event in reversed(audit):
    print("audit:", event["type"], event["key_redacted"])

print("full key in any answer since it was created:",
      "YES" if any(key in text for text in answers) else "no")
