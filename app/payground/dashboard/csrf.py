"""CSRF protection: every dashboard form carries a token that only this session can produce.

The token is an HMAC, under the app's secret, of the session token (or, before log-in, of a
random value kept in its own HttpOnly cookie). Another site can make a browser send our
cookies, but it cannot read them or compute the HMAC, so it cannot fill in the hidden field.
Nothing is stored server-side.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import g, request
from werkzeug.exceptions import BadRequest

from ..http.context import state

FIELD = "csrf_token"
PRESESSION_COOKIE = "payground_csrf"
_PURPOSE = b"payground-dashboard-csrf\x00"


class CsrfRefused(BadRequest):
    """A POST whose CSRF token is missing or wrong (400)."""

    description = ("This form was not sent from a Payground page that is still open in this "
                   "browser (its security token is missing or out of date). Reload the page "
                   "and try again.")


def _token_for(seed: str) -> str:
    return hmac.new(state().pepper.encode(), _PURPOSE + seed.encode(), hashlib.sha256).hexdigest()


def presession_seed() -> str:
    """The pre-login cookie's value, made now (and set on the answer) if there is none."""
    seed = g.get("new_presession") or request.cookies.get(PRESESSION_COOKIE)
    if not seed or len(seed) > 100:
        seed = g.new_presession = secrets.token_urlsafe(32)
    return seed


def page_seed() -> str:
    """What this page's forms are tied to: the session, or before log-in the pre-login
    cookie (the form nonces use it too)."""
    return g.get("session_token") or presession_seed()


def request_seed() -> str | None:
    """What the form of this request must have been tied to (``page_seed`` of its page)."""
    return g.get("session_token") or request.cookies.get(PRESESSION_COOKIE)


def csrf_token() -> str:
    """The token for forms on this page (a Jinja global: ``{{ csrf_token() }}``)."""
    return _token_for(page_seed())


def require_valid_token() -> None:
    """Refuse this POST unless its form holds the token of the session that sent it.

    :raises CsrfRefused: the token is missing, or belongs to another session (or to none).
    """
    seed = request_seed()
    sent = request.form.get(FIELD, "")
    if not seed or not sent or not hmac.compare_digest(sent.encode(), _token_for(seed).encode()):
        raise CsrfRefused()


def save_presession_cookie(response, *, secure: bool, path: str) -> None:
    """Set the pre-login cookie if this request made one (it lives as long as the browser)."""
    seed = g.get("new_presession")
    if seed:
        response.set_cookie(PRESESSION_COOKIE, seed, httponly=True, samesite="Lax",
                            secure=secure, path=path)
