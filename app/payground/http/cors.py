"""Cross-origin access to ``/v1``, answered as api.stripe.com answers it.

A checkout page on the shop's own origin calls ``POST /v1/tokens`` with the publishable key
(Stripe.js does exactly this), so the browser must be allowed to make the call and read the
answer. Stripe sends the same ``Access-Control-*`` headers on every API response, whoever
asks, and answers a preflight ``OPTIONS`` without a key (a preflight never carries one). The
key still decides what a call may do: a page holding the publishable key gets tokens and
nothing else (``http.auth``), and credentials are never read from cookies, so allowing any
origin opens nothing a server-side caller could not already do.

The dashboard and ``/sandbox`` send none of these headers: they stay same-origin only.
"""

from __future__ import annotations

import re

from flask import Response, request

#: What Stripe's API answers (recorded responses of api.stripe.com), plus the response
#: headers Payground adds that a page may need to read: the replay marker, the rate-limit
#: headers with their reason, and the retry advice.
HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Credentials": "true",
    "Access-Control-Allow-Methods": "GET, POST, HEAD, OPTIONS, DELETE",
    "Access-Control-Expose-Headers": (
        "Request-Id, Stripe-Manage-Version, X-Stripe-External-Auth-Required, "
        "X-Stripe-Privileged-Session-Required, Idempotent-Replayed, Original-Request, "
        "Retry-After, RateLimit-Policy, RateLimit, Stripe-Rate-Limited-Reason, "
        "Stripe-Should-Retry"),
    "Access-Control-Max-Age": "300",
}

# Header names as RFC 9110 spells a token, comma-separated: anything else in the preflight's
# list is not echoed back (it could carry a line break or a stray value into our response).
_HEADER_LIST = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*")


def is_preflight() -> bool:
    """Whether this ``/v1`` request is a browser's ``OPTIONS`` question rather than a call."""
    return request.method == "OPTIONS"


def preflight_response() -> Response:
    """``200`` with an empty body: the headers are added by :func:`add_headers`.

    The headers the page asked to send (``Authorization``, ``Idempotency-Key``,
    ``Stripe-Version`` ...) are allowed by name, as the browser needs them listed: a ``*``
    never covers ``Authorization``.
    """
    response = Response(status=200)
    asked = request.headers.get("Access-Control-Request-Headers", "").strip()
    if asked and _HEADER_LIST.fullmatch(asked):
        response.headers["Access-Control-Allow-Headers"] = asked
    return response


def add_headers(response: Response) -> None:
    """Put Stripe's ``Access-Control-*`` headers on a ``/v1`` response (errors included)."""
    # Added, not set: nothing else writes these (a preflight's Allow-Headers is not one, and
    # an idempotent replay keeps only the body), so no response has them yet, and `update`
    # scanned all its headers for each of them (0.4 % of a create-charge's instructions).
    response.headers.extend(HEADERS)
