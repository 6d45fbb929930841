"""Lesson 7: the shop's webhook handler. It believes an event only if Stripe's signature
checks out with the endpoint's secret, and handles each event once.

    PORT=5000 python handler.py
    HANDLER_HOST=0.0.0.0 python handler.py   # for a Payground in Docker on Linux (README)
"""

import os
import sys

import stripe
from flask import Flask, request

app = Flask(__name__)
webhook_secret = os.environ.get("STRIPE_WEBHOOK_SECRET")  # whsec_...: from .env, never in code
if not webhook_secret:  # register.py saves it to .env: load .env after running it
    sys.exit("STRIPE_WEBHOOK_SECRET is not set: run python register.py, then load .env "
             "(set -a; . ./.env; set +a)")
handled: set[str] = set()  # event ids already acted on (a real shop keeps them in its database)


def say(line: str) -> None:
    # One write per line: deliveries arrive on several threads at once, and print() writes
    # the text and its newline separately, so two lines could run together.
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@app.post("/webhook")
def webhook():
    try:
        event = stripe.Webhook.construct_event(
            request.get_data(as_text=True), request.headers.get("Stripe-Signature", ""),
            webhook_secret)
    except (ValueError, stripe.SignatureVerificationError):
        # Not from Payground (or altered on the way): act on nothing, say little, log no secret.
        say("refused: no valid signature")
        return "", 400
    if event.id in handled:  # deliveries can repeat: a retry after a lost answer, say
        return "", 200
    handled.add(event.id)
    charge = event.data.object
    if event.type == "charge.succeeded":
        say(f"paid: {charge.id} {charge.amount} {charge.currency}")
    elif event.type == "charge.failed":
        say(f"declined: {charge.id} {charge.failure_code}")
    return "", 200


if __name__ == "__main__":
    # This machine only, unless told otherwise: the handler is reachable by whoever can
    # reach the address it listens on.
    app.run(host=os.environ.get("HANDLER_HOST", "127.0.0.1"),
            port=int(os.environ.get("PORT", "5000")))
