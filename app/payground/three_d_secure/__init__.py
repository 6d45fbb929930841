"""The 3-D Secure page at ``/3d_secure``: Payground's stand-in for the card issuer's.

A PaymentIntent (or SetupIntent) waiting in ``requires_action`` links here from its ``next_action``
(``/3d_secure/<intent>?token=...``). As on Stripe's test page, whoever opens the link chooses
"Complete authentication" or "Fail authentication"; the intent moves on and the browser goes
to the confirmation's ``return_url`` (with Stripe's ``payment_intent``,
``payment_intent_client_secret`` and ``redirect_status``), or is told it may close the page.
No key or session is asked for: the link's token is the only credential (see
``services.three_d_secure``), and it is sent back in the form's body, not in a URL.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request
from werkzeug.exceptions import MethodNotAllowed

from .. import messages
from ..core import cards, money
from ..errors import StripeError
from ..http.context import state
from ..services import three_d_secure

PREFIX = "/3d_secure"
bp = Blueprint("three_d_secure", __name__, url_prefix=PREFIX, template_folder="templates")


@bp.get("/<intent_id>")
def page(intent_id):
    """The authentication page: Complete authentication or Fail authentication."""
    token = request.args.get("token")
    intent = three_d_secure.awaiting(intent_id, token)
    card = intent.payment_method
    # A SetupIntent has no amount: its page asks to save the card, not to pay.
    amount = money.format_amount(intent.amount, intent.currency) \
        if hasattr(intent, "amount") else None
    return render_template("three_d_secure/page.html", intent=intent, token=token,
                           amount=amount, noun=three_d_secure.noun(intent),
                           brand=cards.BRAND_NAMES.get(card.brand, card.brand), last4=card.last4)


@bp.post("/<intent_id>")
def answer(intent_id):
    """Complete or fail the authentication, then go back to the return_url."""
    intent, return_to = three_d_secure.answer(intent_id, request.form.get("token"),
                                              request.form.get("action"),
                                              clock=state().clock)
    if return_to:
        return redirect(return_to, 303)  # a GET there, as after Stripe's page
    return render_template("three_d_secure/done.html", intent=intent,
                           noun=three_d_secure.noun(intent))


@bp.errorhandler(StripeError)
def error_page(error: StripeError):
    """A refusal as a page (the visitor is a browser), with the API error's status."""
    return render_template("three_d_secure/error.html", message=error.message), error.status


def is_page_path(path: str) -> bool:
    return path.startswith(PREFIX + "/")


def method_not_allowed(error: MethodNotAllowed):
    """The page's address sent another method (``PUT``, ``DELETE`` ...): ``405`` with an
    ``Allow`` header, as a page like its other refusals, not the API's JSON 404.

    Called by the app's error handler: an error of routing reaches no blueprint's handler
    (nor its ``after_request``: ``protect_response`` is applied here).
    """
    page = render_template("three_d_secure/error.html",
                           message=messages.AUTHENTICATION_METHOD_NOT_ALLOWED.format(
                               method=request.method))
    response = current_app.make_response(
        (page, 405, {"Allow": ", ".join(sorted(error.valid_methods or ()))}))
    return protect_response(response)


@bp.after_request
def protect_response(response):
    """Never cached nor sniffed; the link's token never leaves in a ``Referer`` (the page may
    be framed, as Stripe.js frames its own)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    # No form-action: the answer redirects to the merchant's return_url, which browsers check
    # against it. img-src data: for the page's empty favicon (``data:,``), which stops the
    # browser asking for /favicon.ico.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'")
    return response
