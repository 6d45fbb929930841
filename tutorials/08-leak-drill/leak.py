"""Lesson 8, step 1: the mistake. The secret key in .env is pushed to a public repository.

Here it is a drill: Payground treats the key as public from now on, and its bots use it.
"""

import sys

from sandbox import key_object, sandbox, settings, shown

api, base = sandbox()
key = settings()["STRIPE_SECRET_KEY"]
response = api.post(f"{base}/sandbox/leak_drills", json={"key": key_object(api, base, key)["id"]},
                    timeout=10)
if not response.ok:  # a drill already running for this key, say: the server says why
    sys.exit(response.json()["error"]["message"])
drill = response.json()
wait = drill["bots_arrive_at"] - drill["leaked_at"]
print(f"{shown(key)} is public now (drill {drill['id']}).")
print(f"Bots scan public pushes: expect them in about {wait // 60} minutes. The clock is running.")
