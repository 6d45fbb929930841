"""Lesson 1: a first charge with `requests`, the key read from .env (never from the code)."""

import os
import sys

import requests
from dotenv import load_dotenv

load_dotenv(".env")  # written by `payground init`; .gitignore keeps it out of Git
API_BASE = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
if SECRET_KEY is None:  # no .env in the folder you run this from
    sys.exit("STRIPE_SECRET_KEY is not set (no .env here?): run `payground init` in this folder")
if not SECRET_KEY:  # `STRIPE_SECRET_KEY=` in .env (or exported empty by your shell)
    sys.exit("STRIPE_SECRET_KEY is empty: run `payground init` in this folder (it "
             "writes a working key to .env)")


def create_charge(source: str = "tok_visa", amount: int = 2000) -> tuple[int, dict]:
    try:
        response = requests.post(
            f"{API_BASE}/v1/charges",
            headers={"Authorization": f"Bearer {SECRET_KEY}"},  # the key goes in a header
            data={"amount": amount, "currency": "usd", "source": source,
                  "description": "My first charge"},
            timeout=10,
        )
    except requests.ConnectionError:  # nothing listens at API_BASE
        sys.exit(f"Payground is not answering at {API_BASE}: start it with `payground serve`")
    return response.status_code, response.json()


if __name__ == "__main__":
    status, charge = create_charge()
    if status != 200:  # a wrong key in .env, say: the error tells why, with the key masked
        raise SystemExit(f"{status} {charge['error']['message']}")
    print(status, charge["id"], charge["status"], charge["amount"], charge["currency"])

    status, body = create_charge(source="tok_chargeDeclined")
    error = body["error"]
    print(status, error["type"], error["code"], error["decline_code"], error["charge"])
