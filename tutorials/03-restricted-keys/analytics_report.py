"""Lesson 3: the analytics team's revenue report, with a read-only key and `requests`."""

import os
import sys

import requests
from dotenv import load_dotenv

load_dotenv(".env")
if not os.environ.get("ANALYTICS_STRIPE_KEY"):  # made by step 1
    sys.exit("ANALYTICS_STRIPE_KEY is not set: run `python make_team_keys.py` in this folder first")
API_BASE = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
http = requests.Session()
http.headers["Authorization"] = f"Bearer {os.environ['ANALYTICS_STRIPE_KEY']}"  # rk_test_...


def list_all(path: str) -> list[dict]:
    """Every object of a list endpoint, page by page (Stripe's `starting_after` cursor)."""
    objects, params = [], {"limit": 100}
    while True:
        try:
            response = http.get(API_BASE + path, params=params, timeout=10)
        except requests.ConnectionError:  # nothing listens at API_BASE
            sys.exit(f"Payground is not answering at {API_BASE}: start it with `payground serve`")
        if not response.ok:  # a revoked key, say: the server says why
            sys.exit(f"{response.status_code} {response.json()['error']['message']}")
        page = response.json()
        objects += page["data"]
        if not page["has_more"]:
            return objects
        params["starting_after"] = page["data"][-1]["id"]


charges = list_all("/v1/charges")
customers = list_all("/v1/customers")
events = list_all("/v1/events")  # the raw event stream: everything that happened, newest first
gross = sum(charge["amount"] for charge in charges if charge["status"] == "succeeded")
refunded = sum(charge["amount_refunded"] for charge in charges)
print(f"charges: {len(charges)}, customers: {len(customers)}, events: {len(events)}")
print(f"gross {gross}, refunded {refunded}, net {gross - refunded} (usd cents)")

# The report needs nothing more. Try to move money with the same key anyway:
response = http.post(f"{API_BASE}/v1/charges", timeout=10,
                     data={"amount": 2000, "currency": "usd", "source": "tok_visa"})
print(response.status_code, response.json()["error"]["message"])
