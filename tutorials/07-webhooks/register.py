"""Lesson 7: register your webhook endpoint and keep its signing secret with your other secrets.

    python register.py            # WEBHOOK_URL defaults to http://127.0.0.1:5000/webhook
"""

import os
import sys
from pathlib import Path

import stripe

from envfile import check_loaded, save_to_env

if "STRIPE_SECRET_KEY" not in os.environ:  # a new terminal: .env not loaded into it yet
    sys.exit("STRIPE_SECRET_KEY is not set: load .env first (set -a; . ./.env; set +a)")
if not os.environ["STRIPE_SECRET_KEY"]:  # loaded, but `STRIPE_SECRET_KEY=` in .env
    sys.exit("STRIPE_SECRET_KEY is empty: run `payground init` in this folder, then load .env "
             "again (set -a; . ./.env; set +a)")
stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]
url = os.environ.get("WEBHOOK_URL", "http://127.0.0.1:5000/webhook")
if not Path(".env").exists():  # where the secret goes, shown this once: check before asking
    sys.exit("no .env here: run `payground init` in this folder first")
check_loaded()  # the endpoint is made with the environment's key: this .env's account's?

# One endpoint per URL: a second one would send every event again, signed with a secret that
# your handler does not have (this program, run twice, would leave it only the newer one).
try:
    endpoints = stripe.WebhookEndpoint.list(limit=100)
except stripe.APIConnectionError:  # nothing listens at api_base
    sys.exit(f"Payground is not answering at {stripe.api_base}: start it with `payground serve`")
except stripe.StripeError as error:  # a revoked key, say: the server says why
    sys.exit(f"{error.http_status} {error.user_message}")
for existing in endpoints.auto_paging_iter():
    if existing.url == url:
        sys.exit(f"{existing.id} already sends to {url}: its secret is the one register.py "
                 "saved then (lost it? python roll_secret.py 0 saves a new one to .env)")

try:
    endpoint = stripe.WebhookEndpoint.create(
        url=url, enabled_events=["charge.succeeded", "charge.failed"],
        description="lesson 7 shop")
except stripe.InvalidRequestError as error:  # a URL this server won't send to, say: it says why
    hint = (" Set WEBHOOK_URL to an address the server can reach (README: Payground on "
            "another machine)." if error.param == "url" else "")
    sys.exit(f"{error.http_status} {error.user_message}{hint}")
secret = endpoint.secret  # whsec_...: in this response only, never again

save_to_env("STRIPE_WEBHOOK_SECRET", secret)
print(f"{endpoint.id} sends {', '.join(endpoint.enabled_events)} to {endpoint.url}")
print(f"signing secret {secret[:6]}...{secret[-4:]} saved to .env as STRIPE_WEBHOOK_SECRET")
