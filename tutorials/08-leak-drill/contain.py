"""Lesson 8, step 3: respond. Roll the key with no grace period, deploy the new one, check.

A leaked key gets no grace period: it stops working now, for the bots and for you, so the
new key goes where your app reads it straight away (your app reads .env on every request,
so it picks the new key up without a redeploy).
"""

import sys

import requests

from sandbox import key_object, replace_in_env, sandbox, settings, shown

api, base = sandbox()
in_env = settings()["STRIPE_SECRET_KEY"]
current = key_object(api, base, in_env)
drills, page = [], {"has_more": True}  # every drill, newest first: a page holds 100 at most
while page["has_more"]:
    after = {"starting_after": drills[-1]["id"]} if drills else {}
    page = api.get(f"{base}/sandbox/leak_drills", params={"limit": 100, **after},
                   timeout=10).json()
    drills += page["data"]
drill_id = next((d["id"] for d in drills if d["key"] == current["id"]), None)
# No drill for the key in .env: it may be the leaked key's successor. A second run: .env holds
# the key this program rolled to. Or the story's two steps: the leaked key revoked, then a new
# one in .env (`payground keys create --env-file .env`, `payground init`). Its drill is on a key
# of the same kind and mode, leaked before the new key was made and, first choice, stopped
# before it too (another key leaked meanwhile and still working is not the one it replaced).
how, earlier = "rolled to", next((d for d in drills if d["key"] == current.get("rolled_from")),
                                 None)
if earlier is None:
    made = current["created"]
    before = [d for d in drills if d["key_redacted"][:8] == in_env[:8] and d["leaked_at"] <= made]
    stopped = [d for d in before if d["key_stopped_at"] is not None and d["key_stopped_at"] <= made]
    how, earlier = "replaced by", next(iter(stopped + before), None)

if drill_id is None and earlier is not None and earlier["status"] == "exposed":
    sys.exit(f"{earlier['key_redacted']} was {how} {shown(in_env)}, the key in .env, but still "
             f"works: stop it now (payground keys revoke {earlier['key']} --yes)")
elif drill_id is None and earlier is not None:  # contained already: roll nothing, show the score
    drill_id = earlier["id"]
    print(f"contained already: {earlier['key_redacted']} was {how} {shown(in_env)}, the key in "
          ".env; nothing to roll")
elif drill_id is None:  # before leak.py: roll nothing
    sys.exit(f"no leak drill for {shown(in_env)}, the key in .env: start one (python leak.py)")
elif current["status"] in ("revoked", "expired"):  # stopped from the dashboard or the CLI
    sys.exit(f"{shown(in_env)}, the key in .env, is {current['status']} already: the leak is "
             "contained, nothing to roll. `payground init` here puts a working key in .env")
else:
    rolled = api.post(f"{base}/sandbox/keys/{current['id']}/roll", json={"expires_in": 0},
                      timeout=10)
    if not rolled.ok:  # rolled with a grace period already, say: the server says why
        sys.exit(rolled.json()["error"]["message"])
    replace_in_env("STRIPE_SECRET_KEY", rolled.json()["secret"])  # shown once: keep it now
    new = settings()["STRIPE_SECRET_KEY"]
    print(f"rolled {shown(in_env)} -> {shown(new)}; .env updated")

    for name, key in (("leaked", in_env), ("new", new)):
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
