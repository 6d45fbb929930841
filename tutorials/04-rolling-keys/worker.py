"""Lesson 4: your app - it calls Payground non-stop and reads its key afresh every time."""

import signal
import threading

import requests

from config import masked, read_env, secret_key

stop = threading.Event()
for signal_number in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C, or a deployment stopping it
    signal.signal(signal_number, lambda *_: stop.set())

http = requests.Session()
succeeded = failed = 0
current_key = None
while not stop.is_set():
    config = read_env()  # the config source, read on every iteration: no restart to swap keys
    key = secret_key(config)  # an empty one is a setup mistake, not a failed request
    try:
        response = http.get(f"{config['STRIPE_API_BASE']}/v1/charges", params={"limit": 1},
                            headers={"Authorization": f"Bearer {key}"}, timeout=10)
        response.raise_for_status()
    except requests.RequestException as error:  # refused, or no answer: either way, a failure
        failed += 1
        print("FAILED:", error, flush=True)
    else:
        succeeded += 1
        if key != current_key:
            print("using", masked(key), flush=True)
            current_key = key
    stop.wait(0.2)  # about 5 requests a second: well under the test-mode rate limit

print(f"stopped: {succeeded} requests succeeded, {failed} failed")
