"""Lesson 4, step 2: once nothing uses the old key, let its grace period end, and check."""

import sys

import requests

from config import dashboard, find_key, masked, read_env, secret_key, update_env

config = read_env()
if "STRIPE_SECRET_KEY_PREVIOUS" not in config:  # roll_key.py did not run, or this did already
    sys.exit("no roll in progress: start one with python roll_key.py")
api_base = config["STRIPE_API_BASE"]
# An emptied line (a deploy step that wrote `STRIPE_SECRET_KEY=`, say) is a setup mistake:
# say what to do, rather than look the empty value up as if it were a key.
old_key, new_key = config["STRIPE_SECRET_KEY_PREVIOUS"], secret_key(config)
LET_IT_GO = "the old key stops by itself when its grace period ends"
if not old_key:
    sys.exit("STRIPE_SECRET_KEY_PREVIOUS is empty in .env: the old key roll_key.py kept there "
             f"is gone, so this can't check it. Delete that line: {LET_IT_GO}")
if old_key == new_key:  # a deploy that put an old copy of .env back, say
    sys.exit(f"STRIPE_SECRET_KEY is the old key again ({masked(old_key)}): finishing the roll "
             "would stop the app. Put the key roll_key.py made back there (or a new one: "
             "`payground keys create`), then run this again")
api = dashboard()
old_id = find_key(api, api_base, old_key,
                  fix=f"Delete the STRIPE_SECRET_KEY_PREVIOUS line: {LET_IT_GO}")["id"]
new_id = find_key(api, api_base, new_key)["id"]


def last_request(key_id: str) -> tuple | None:
    """When the newest request made with a key was logged: (time, request id), or None."""
    log = api.get(f"{api_base}/sandbox/requests", params={"key": key_id, "limit": 1},
                  timeout=10).json()["data"]
    return (log[0]["created"], log[0]["id"]) if log else None  # request ids sort by time


# 1. Is anything still using the old key? The request log knows.
last_old, last_new = last_request(old_id), last_request(new_id)
if last_new is None:
    sys.exit("nothing has used the new key yet: is the app (python worker.py) running? "
             "Run this again once it says it is using the new key")
if last_old is not None and last_old > last_new:
    sys.exit(f"{masked(old_key)} is still in use: find out where before its grace period ends")
print(f"{masked(old_key)} is no longer used: {masked(new_key)} has taken over")

# 2. The hour passes. In the sandbox, move the account's clock instead of waiting.
api.post(f"{api_base}/sandbox/clock/advance", json={"seconds": 3600},
         timeout=10).raise_for_status()
print("one hour later (account clock advanced by 3600 s)")

# 3. The old key is refused now, the new one works - and the audit trail tells the story.
for name, key in (("old", old_key), ("new", new_key)):
    response = requests.get(f"{api_base}/v1/charges", params={"limit": 1}, timeout=10,
                            headers={"Authorization": f"Bearer {key}"})
    error = {} if response.ok else response.json()["error"]
    print(f"{name} key {masked(key)}: {response.status_code}",
          *([error["code"], error["message"]] if error else []))
for key in (old_key, new_key):
    print(f"{masked(key)}:", find_key(api, api_base, key)["status"])
audit = api.get(f"{api_base}/sandbox/audit", params={"key": old_id}, timeout=10).json()["data"]
print("audit trail of the old key:", ", ".join(event["type"] for event in reversed(audit)))

# 4. Forget the old key: it is useless now, and a file is no place for useless secrets.
update_env({"STRIPE_SECRET_KEY_PREVIOUS": None})
print("removed STRIPE_SECRET_KEY_PREVIOUS from .env")
