"""Lesson 4, step 1: roll the secret key with a one-hour grace period, and deploy the new one."""

import sys

from config import dashboard, find_key, masked, read_env, secret_key, update_env

GRACE_PERIOD = 3600  # seconds the old key keeps working: time for every server to switch

config = read_env()
if "STRIPE_SECRET_KEY_PREVIOUS" in config:
    sys.exit("a roll is still in progress: finish it first (python finish_roll.py)")
api_base, old_key = config["STRIPE_API_BASE"], secret_key(config)
api = dashboard()

old = find_key(api, api_base, old_key)
response = api.post(f"{api_base}/sandbox/keys/{old['id']}/roll",
                    json={"expires_in": GRACE_PERIOD}, timeout=10)
if not response.ok:  # a key that is revoked or expired already, say: the server says why
    sys.exit(response.json()["error"]["message"])
new = response.json()  # the only response that will ever contain the new secret

# "Deploy": put the new key where the app reads its config. The old one is kept aside only
# so that step 2 can prove it is refused; step 2 then deletes it.
update_env({"STRIPE_SECRET_KEY": new["secret"], "STRIPE_SECRET_KEY_PREVIOUS": old_key})
print("rolled", masked(old_key), "->", new["redacted"], "(deployed to .env)")

old = find_key(api, api_base, old_key)
print("old key:", old["status"], f"for {GRACE_PERIOD} more seconds; new key: {new['status']}")
