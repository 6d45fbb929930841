"""Lesson 9 (Acme Analytics): Acme's website, where a business connects its Payground account.

    python acme_site.py      # then open http://localhost:8000

/connect sends the browser to Payground's consent page with a random `state`, kept in a
cookie; /callback checks that `state`, exchanges the code with Acme's secret key and keeps
the business's account id, nothing else.
"""

import hmac
import secrets
import sys
from html import escape
from urllib.parse import urlsplit

import stripe
from flask import Flask, redirect, request

from acme import ACME_URL, connected_accounts, save_accounts, use_stripe

use_stripe()
if not stripe.client_id:
    sys.exit("STRIPE_CLIENT_ID is not set: run `python register_app.py` in this folder first")
app = Flask(__name__)
STATE_COOKIE = "acme_oauth_state"


def say(line: str) -> None:
    sys.stdout.write(line + "\n")  # one write per line: requests run on several threads
    sys.stdout.flush()


def page(body: str, status: int = 200) -> tuple[str, int]:
    return f"<!doctype html><title>Acme Analytics</title><h1>Acme Analytics</h1>{body}", status


def answered(body: str, status: int = 200):
    """A page answering the callback: the state cookie goes, a state serves one answer."""
    response = app.make_response(page(body, status))
    response.delete_cookie(STATE_COOKIE, path="/callback")
    return response


@app.get("/")
def home():
    accounts = "".join(f"<li><code>{account}</code></li>" for account in connected_accounts())
    return page(f"<p>Connected businesses:</p><ul>{accounts or '<li>none yet</li>'}</ul>"
                "<p>Connect your Payground account: <a href='/connect'>read only</a> or "
                "<a href='/connect?scope=read_write'>read and write</a></p>")


@app.get("/connect")
def connect():
    if request.host_url.rstrip("/") != ACME_URL:  # the cookie must be where /callback is
        return redirect(ACME_URL + request.full_path.rstrip("?"))
    scope = "read_write" if request.args.get("scope") == "read_write" else "read_only"
    state = secrets.token_urlsafe(32)  # unguessable, and this browser's only
    url = stripe.OAuth.authorize_url(scope=scope, state=state,
                                     redirect_uri=f"{ACME_URL}/callback")
    response = redirect(url)
    response.set_cookie(STATE_COOKIE, state, max_age=600, path="/callback", httponly=True,
                        samesite="Lax")
    return response


@app.get("/callback")
def callback():
    expected = request.cookies.get(STATE_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, request.args.get("state", "")):
        # Not the answer to a /connect made in this browser: a link someone sent, or this
        # page opened again. Its code is never exchanged.
        say("refused a callback: its state is not this browser's")
        return answered("<p>This is not the answer to a connection you started here. "
                        "<a href='/'>Start again</a>.</p>", 400)
    if "error" in request.args:  # the business pressed Deny
        say(f"not connected: {request.args['error']}")
        reason = escape(request.args.get("error_description", ""))
        return answered(f"<p>Not connected: {reason}. <a href='/'>Back</a></p>")
    try:
        token = stripe.OAuth.token(grant_type="authorization_code",
                                   code=request.args.get("code", ""))
    except stripe.oauth_error.OAuthError as error:  # an expired code, say: Payground says why
        say(f"not connected: {error.code}")
        return answered(f"<p>Not connected: {escape(error.user_message)}</p>", 400)
    except stripe.APIConnectionError:
        return answered("<p>Payground is not answering: try again later.</p>", 502)
    # Keep the account id only: Acme's own key with Stripe-Account reaches the account, so
    # the access and refresh tokens in the answer are never written anywhere.
    save_accounts(connected_accounts() + [token.stripe_user_id])
    say(f"connected {token.stripe_user_id} ({token.scope})")
    return answered(f"<p>Connected <code>{token.stripe_user_id}</code> with {token.scope} "
                    "access. <a href='/'>Back</a></p>")


if __name__ == "__main__":
    # This machine only: the address businesses come back to (ACME_URL) is on it.
    app.run(host="127.0.0.1", port=urlsplit(ACME_URL).port or 80)
