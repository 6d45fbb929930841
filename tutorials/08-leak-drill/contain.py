"""Lesson 8, step 3: respond. Roll the key with no grace period, deploy the new one, check.

A leaked key gets no grace period: it stops working now, for the bots and for you, so the
new key goes where your app reads it straight away (your app reads .env on every request,
so it picks the new key up without a redeploy).
"""

import sys

import requests

from sandbox import key_object, replace_in_env, sandbox, settings, shown

api, base = sandbox()
leaked = settings()["STRIPE_SECRET_KEY"]
old = key_object(api, base, leaked)
drills = api.get(f"{base}/sandbox/leak_drills", timeout=10).json()["data"]
drill_id = next((d["id"] for d in drills if d["key"] == old["id"]), None)
if drill_id is None:  # before leak.py, or a second run (.env has the new key): roll nothing
    sys.exit(f"no leak drill for {shown(leaked)}, the key in .env: start one (python leak.py)")

rolled = api.post(f"{base}/sandbox/keys/{old['id']}/roll", json={"expires_in": 0}, timeout=10)
if not rolled.ok:  # revoked already, say: the server says why
    sys.exit(rolled.json()["error"]["message"])
replace_in_env("STRIPE_SECRET_KEY", rolled.json()["secret"])  # shown once: keep it now
new = settings()["STRIPE_SECRET_KEY"]
print(f"rolled {shown(leaked)} -> {shown(new)}; .env updated")

for name, key in (("leaked", leaked), ("new", new)):
    answer = requests.get(f"{base}/v1/balance", timeout=10,
                          headers={"Authorization": f"Bearer {key}"})
    print(f"{name} key: HTTP {answer.status_code}")

drill = api.get(f"{base}/sandbox/leak_drills/{drill_id}", timeout=10).json()
minutes, seconds = divmod(drill["exposure_seconds"], 60)
verdict = "beaten" if drill["beat_target"] else "missed"
print(f"exposure: {minutes} min {seconds} s (the story's 12 min: {verdict})")
got = drill["bots_got"]
print(f"the bots got: {got['customers_exposed']} customers' details, "
      f"{got['charges_succeeded']} card-testing charges, "
      f"{drill['bot_requests']['refused']} requests refused")
