"""Lesson 5: your shop's server. One program for test and live mode: the key in the
environment decides which, so nothing in the code says "test" or "live"."""

import os
import sys
from datetime import datetime, timezone

import stripe


def configure() -> str:
    """Point `stripe` at Payground with the key from the environment, and only from there.

    Development and production run this same code; only their environment differs
    (`sk_test_...` on your laptop, `sk_live_...` on the server that takes real money).
    """
    key = os.environ.get("STRIPE_SECRET_KEY")
    if key is None:  # a new terminal, say: its environment has none of .env's keys yet
        sys.exit("STRIPE_SECRET_KEY is not set: load .env first (set -a; . ./.env; set +a)")
    if not key:  # loaded, but `STRIPE_SECRET_KEY=` in .env
        sys.exit("STRIPE_SECRET_KEY is empty: run `payground init` in this folder, then load .env "
                 "again (set -a; . ./.env; set +a)")
    if not key.startswith(("sk_test_", "sk_live_")):
        sys.exit("STRIPE_SECRET_KEY is not set to a secret key (sk_test_... or sk_live_...)")
    stripe.api_key = key
    stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:4242")
    return key


def masked(key: str) -> str:
    return f"{key[:8]}...{key[-4:]}"


def money(amount: int, currency: str = "usd") -> str:
    return f"{amount / 100:.2f} {currency}"  # amounts are in cents


def day(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")


def take_payment(token: str, amount: int) -> None:
    """Charge the card behind ``token`` and say what the shop really receives, and when."""
    try:
        charge = stripe.Charge.create(amount=amount, currency="usd", source=token,
                                      description="Order #1001",
                                      expand=["balance_transaction"])
    except stripe.CardError as error:
        print(f"declined: {error.code} / {error.error.decline_code}: {error.user_message}")
        print(f"failed charge {error.error.charge} is on record")  # in this key's mode only
        sys.exit(1)
    except stripe.APIConnectionError:  # nothing listens at api_base
        sys.exit(f"Payground is not answering at {stripe.api_base}: "
                 "start it with `payground serve`")
    except stripe.StripeError as error:  # a revoked key, a token used twice: the server says
        sys.exit(f"{error.http_status} {error.user_message}")
    money_in = charge.balance_transaction  # what the payment does to your balance
    print(f"charge {charge.id} {charge.status}: {money(charge.amount, charge.currency)}")
    print(f"fee {money(money_in.fee)}, net {money(money_in.net)}")
    print(f"{money_in.id}: {money_in.status}, available on {day(money_in.available_on)}")


if __name__ == "__main__":
    amount = sys.argv[2] if len(sys.argv) == 3 else "2000"
    if len(sys.argv) not in (2, 3) or not amount.isdigit():  # in cents: 4500, not 45.00
        sys.exit("usage: python shop.py TOKEN [AMOUNT_IN_CENTS]")
    key = configure()
    # Say which key is in use - masked - so a wrong environment shows at the first line.
    print("mode:", "live" if key.startswith("sk_live_") else "test", f"({masked(key)})")
    take_payment(sys.argv[1], int(amount))
