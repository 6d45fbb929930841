"""Connect OAuth at ``/oauth`` (Stripe's ``connect.stripe.com``; the SDK's
``stripe.connect_api_base``): the authorize link, and the platform server's token and
deauthorize calls, which answer in OAuth's error shape (``errors.OAuthError``; the app's
error handler renders every error at ``/oauth`` so, the API's kind too)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request

from .. import messages
from ..core import keys as keyfmt
from ..errors import AuthenticationError, InvalidClient, OAuthInvalidRequest
from ..http.auth import check_allowlist, key_from_request, known_key
from ..http.context import audit_source, state
from ..http.decorators import request_params
from ..http.ratelimit import count_auth_failures, refuse_throttled_address
from ..services import oauth

bp = Blueprint("oauth", __name__, url_prefix="/oauth")

CONSENT_PATH = "/dashboard/oauth/authorize"


@bp.get("/authorize")
def authorize():
    """Send the browser to the consent page: the dashboard's, where its session cookie goes."""
    try:
        oauth.read_authorize_request(request.args)
    except oauth.AuthorizePageError as refused:
        return authorize_error_page(refused)
    except oauth.AuthorizeRedirect as refused:
        return redirect(refused.url, 302)
    query = request.query_string.decode("latin-1")
    return redirect(f"{request.script_root}{CONSENT_PATH}?{query}", 302)


def authorize_error_page(refused: oauth.AuthorizePageError):
    """The page for a link that must not redirect anywhere (unknown client, redirect URI)."""
    body = render_template("dashboard/error.html", status=refused.status,
                           title="This link cannot connect an application",
                           message=refused.message, account=None, livemode=False)
    return body, refused.status


@bp.post("/token")
def token():
    """Exchange an authorization code or a refresh token for an access token."""
    params = _strings(request_params())
    key, platform = _platform_key(params)
    st = state()
    return oauth.token(platform, key, params, pepper=st.pepper, clock=st.clock,
                       source=audit_source())


@bp.post("/deauthorize")
def deauthorize():
    """Disconnect an account from the platform's application."""
    params = _strings(request_params())
    key, platform = _platform_key(params)
    return oauth.deauthorize(platform, key, params, clock=state().clock,
                             source=audit_source())


def _strings(params: dict[str, Any]) -> dict[str, str]:
    """OAuth's parameters are strings (a JSON body may send ``true`` or ``1``: as text)."""
    values = {}
    for name, value in params.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, int | float):
            value = str(value)
        elif not isinstance(value, str):
            if name in ("code", "refresh_token", "grant_type", "client_id", "stripe_user_id",
                        "redirect_uri", "scope", "client_secret"):
                raise OAuthInvalidRequest(f"Invalid {keyfmt.scrub_start(name, 100)}: "
                                          "expected a string.")
            continue  # stripe_user[...] and such: not read
        values[name] = value
    return values


def _platform_key(params: dict[str, str]):
    """The platform's secret key and account: in ``Authorization`` (Bearer or Basic, as
    ``/v1``) or the ``client_secret`` parameter. Failures count against the caller's address,
    as ``/v1``'s do.

    :raises InvalidClient: no key, an unknown, revoked or expired one, a publishable or
        restricted key, an OAuth access token.
    :raises OAuthInvalidRequest: two different keys, in the header and the parameter.
    """
    refuse_throttled_address()  # before any database read, as /v1
    header, body = key_from_request(), params.get("client_secret")
    if header and body and header != body:
        # One way to authenticate (RFC 6749 §2.3): which of two keys acts is never guessed.
        raise OAuthInvalidRequest(messages.OAUTH_TWO_CLIENT_SECRETS)
    try:
        key, account = _authenticate(params)
    except AuthenticationError as refused:
        raise InvalidClient(refused.message) from None
    masked = keyfmt.mask(g.oauth_raw_key)
    if key.connection_id is not None:  # a token acting as a platform would reach past its grant
        raise InvalidClient(messages.OAUTH_TOKEN_AS_CLIENT.format(masked=masked))
    if key.type != "secret":
        raise InvalidClient(messages.OAUTH_SECRET_KEY_REQUIRED.format(masked=masked,
                                                                      kind=key.type))
    if key.ip_allowlist:
        check_allowlist(key.ip_allowlist)
    return key, account


@count_auth_failures
def _authenticate(params: dict[str, str]):
    raw = key_from_request() or params.get("client_secret")
    if not raw:
        raise AuthenticationError(messages.OAUTH_NO_AUTHENTICATION)
    g.oauth_raw_key = raw
    key, account, _now = known_key(raw)  # as /v1: a revoked key's use is audited
    return key, account


@bp.after_request
def protect_response(response):
    """A token answer holds secrets, the authorize page is a page: neither is cached nor
    framed."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Pragma", "no-cache")
    return response
