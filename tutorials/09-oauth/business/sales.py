"""Lesson 9 (the business, Bloom Flowers): two sales on its own account, with its own key."""

import sys
from pathlib import Path

import stripe
from dotenv import dotenv_values

if not Path(".env").exists():  # run it in business/, where the business ran `payground init`
    sys.exit("no .env here: run `payground init` in this folder first")
env = dotenv_values(".env")
if "STRIPE_CLIENT_ID" in env:  # register_app.py wrote it: this is Acme's folder, Acme's key
    sys.exit("this .env is Acme's (it has STRIPE_CLIENT_ID): run this in business/, where "
             "Bloom ran `payground init`")
if not env.get("STRIPE_SECRET_KEY"):  # `STRIPE_SECRET_KEY=` in .env, or no such line
    state = "empty" if "STRIPE_SECRET_KEY" in env else "missing"
    sys.exit(f"STRIPE_SECRET_KEY is {state} in .env: run `payground init` in this folder "
             "(it writes a working key there)")
stripe.api_key = env["STRIPE_SECRET_KEY"]  # Bloom's key: it never leaves Bloom
stripe.api_base = env["STRIPE_API_BASE"]

for amount, description in ((2500, "spring bouquet"), (4000, "wedding flowers")):
    try:
        charge = stripe.Charge.create(amount=amount, currency="usd", source="tok_visa",
                                      description=description)
    except stripe.APIConnectionError:  # nothing listens at api_base
        sys.exit(f"Payground is not answering at {stripe.api_base}: start it with "
                 "`payground serve`")
    except stripe.StripeError as error:  # a revoked key, say: the server says why
        sys.exit(f"{error.http_status} {error.user_message}")
    print(f"{charge.id} {charge.status}: {charge.amount / 100:.2f} usd, {description}")
