"""Lesson 9: send an authorization code a second time, as a thief who copied it from the
address bar (or a platform that retries its callback) would.

    python replay_code.py ac_...
"""

import sys

import stripe

from acme import use_stripe

if len(sys.argv) != 2 or not sys.argv[1].startswith("ac_"):
    sys.exit("usage: python replay_code.py ac_... (the code in the address bar after /callback)")
use_stripe()
try:
    token = stripe.OAuth.token(grant_type="authorization_code", code=sys.argv[1])
except stripe.APIConnectionError:  # nothing listens at connect_api_base
    sys.exit(f"Payground is not answering at {stripe.connect_api_base}: start it with "
             "`payground serve`")
except stripe.oauth_error.OAuthError as error:
    print(f"refused: {error.code}: {error.user_message}")
else:  # a code acme_site.py never exchanged (a callback that failed, say)
    print(f"exchanged: {token.stripe_user_id} ({token.scope}), a code not used before")
