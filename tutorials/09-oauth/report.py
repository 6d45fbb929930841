"""Lesson 9 (Acme Analytics): the nightly report. For each connected business, read its
charges and tag the biggest one, with Acme's own key and the business's account id."""

import sys

import stripe

from acme import ACME_URL, connected_accounts, save_accounts, use_stripe

use_stripe()
accounts = connected_accounts()
if not accounts:
    sys.exit(f"no business has connected yet: run python acme_site.py, open {ACME_URL} "
             "and connect one")
for account in accounts:
    try:
        # stripe_account= sends Stripe-Account: Acme's key, acting on the business's account.
        charges = list(stripe.Charge.list(limit=100, stripe_account=account)
                       .auto_paging_iter())
    except stripe.APIConnectionError:  # nothing listens at api_base
        sys.exit(f"Payground is not answering at {stripe.api_base}: start it with "
                 "`payground serve`")
    except stripe.StripeError as error:
        # The library leaves a 403's code off the exception: the error object has it.
        code = error.error.code if error.error else None
        if code != "account_invalid":  # Acme's own key revoked, say: the server says why
            sys.exit(f"{error.http_status} {error.user_message}")
        # The business disconnected Acme: nothing of its account is Acme's to read any more.
        print(f"{account}: {error.http_status} {code}: {error.user_message}")
        save_accounts([other for other in connected_accounts() if other != account])
        print(f"  forgotten: {account} disconnected Acme Analytics")
        continue
    paid = sum(charge.amount for charge in charges if charge.status == "succeeded")
    print(f"{account}: {len(charges)} charges, {paid / 100:.2f} usd paid")
    if not charges:
        continue
    biggest = max(charges, key=lambda charge: charge.amount)
    try:
        stripe.Charge.modify(biggest.id, metadata={"acme_segment": "top"},
                             stripe_account=account)
        print(f"  tagged {biggest.id} acme_segment=top")
    except stripe.PermissionError as error:  # a read_only connection: reads, nothing else
        print(f"  tag {biggest.id}: refused {error.http_status} {error.user_message}")
