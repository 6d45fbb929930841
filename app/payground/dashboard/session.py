"""Who is signed in (session cookie), which mode they look at, and what every page shares.

The hooks here run before every dashboard view: answer ``OPTIONS``, resolve the ``sess_...``
cookie to the account, send a logged-out visitor to the log-in page, check the CSRF token of
every POST.
After every view they add the headers that keep pages out of caches and frames.
"""

from __future__ import annotations

import logging
from urllib.parse import unquote

from flask import current_app, g, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import BadHost, HTTPException, MethodNotAllowed

from .. import messages
from ..core.keys import KEY_LIKE, scrub
from ..errors import AuthenticationError, InvalidRequestError, StripeError, lock_timeout_for
from ..http.context import state
from ..http.forms import refuse_nul
from ..models.base import db
from ..services import accounts, drills
from . import bp, csrf, filters, form_nonces
from .forms import error_text

log = logging.getLogger("payground")

SESSION_COOKIE = "payground_session"
MODE_COOKIE = "payground_mode"
PAGE_MODE_FIELD = "page_mode"  # the mode a form's page showed (the ``page_mode()`` macro)
COOKIE_PATH = "/dashboard"
# Everything else needs a session.
PUBLIC_ENDPOINTS = frozenset({"dashboard.login", "dashboard.signup", "dashboard.static"})
# A year (what HSTS preload lists ask as a minimum); not includeSubDomains: the operator's
# other hosts under the same domain are not ours to pin to HTTPS.
HSTS = "max-age=31536000"
_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def is_https() -> bool:
    """Served over HTTPS: this request was (directly, or through a trusted proxy that says
    so), or the configured public URL says so."""
    public = current_app.config.get("PUBLIC_URL") or ""
    return came_over_https() or str(public).lower().startswith("https://")


def came_over_https() -> bool:
    """This request itself came over HTTPS: directly, or through a proxy listed in
    ``TRUSTED_PROXIES`` that says so (``X-Forwarded-Proto: https``), as the ``.env``
    download decides. Not ``PUBLIC_URL``: it says how the server is meant to be reached, not
    how this answer travels."""
    from ..http.auth import forwarded_https

    return request.is_secure or forwarded_https()


def _hsts_applies() -> bool:
    """Whether this answer may carry ``Strict-Transport-Security``: over HTTPS only (over
    plain HTTP the header is meaningless, and a browser must ignore it), and never for a
    ``localhost`` name: a browser would then refuse plain ``http://localhost`` for every
    other port and project on the machine for as long as the header says."""
    host = request.host.lower()
    name = host if host.startswith("[") else host.partition(":")[0]  # [::1]:443 stays whole
    name = name.rstrip(".")
    return came_over_https() and name != "localhost" and not name.endswith(".localhost")


# Pages whose query string ``next`` keeps (any other next is a path alone): the Connect
# OAuth consent page, and Stripe's address of it that sends the browser there.
_NEXT_WITH_QUERY = ("/dashboard/oauth/authorize", "/oauth/authorize")


def safe_next(value: str | None) -> str:
    """Where to go after log-in: a dashboard path only (never another site), or the OAuth
    consent page with its query; and not one holding a key, a signing secret or a session
    token (it would be echoed in the URL)."""
    if (value and value.partition("?")[0] in _NEXT_WITH_QUERY and value.isprintable()
            and "\\" not in value and scrub(value) == value):
        return value  # a path of this server whatever the query holds (``//`` in a URI)
    if (value and value.startswith(COOKIE_PATH + "/") and "//" not in value
            and "\\" not in value and value.isprintable()  # no CR/LF for the Location header
            and not _has_dot_segment(value) and scrub(value) == value
            and not _is_logout(value)):
        return value
    return url_for("dashboard.keys")


def _is_logout(value: str) -> bool:
    """Whether ``value`` is the log-out address: a POST-only action, never a page to go back
    to (log-in would end on a "no page here" 404; a logged-out GET of it asks for log-in)."""
    path = unquote(value.partition("?")[0].partition("#")[0]).rstrip("/")
    return path == url_for("dashboard.logout")


def _has_dot_segment(value: str) -> bool:
    """Whether the path has a ``.`` or ``..`` segment: the browser resolves
    ``/dashboard/../v1/customers`` (``%2e%2e`` alike) to an address outside the dashboard."""
    path = value.partition("?")[0].partition("#")[0]
    return any(part in (".", "..") for part in unquote(path).split("/"))


def start_session(response, token: str) -> None:
    """Put the session token in an HttpOnly, SameSite=Lax cookie (Secure over HTTPS)."""
    g.drop_session = False  # a stale cookie sent with this log-in: replaced, not cleared after
    response.set_cookie(SESSION_COOKIE, token, max_age=accounts.SESSION_SECONDS, httponly=True,
                        samesite="Lax", secure=is_https(), path=COOKIE_PATH)


def end_session(response) -> None:
    for name in (SESSION_COOKIE, MODE_COOKIE):
        response.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="Lax",
                               secure=is_https())


def set_mode(response, live: bool) -> None:
    response.set_cookie(MODE_COOKIE, "live" if live else "test", httponly=True,
                        samesite="Lax", secure=is_https(), path=COOKIE_PATH)


def mode_name() -> str:
    """The mode the dashboard shows now: ``"live"`` or ``"test"``."""
    return "live" if g.get("livemode") else "test"


def refuse_form_of_other_mode(done: str) -> None:
    """Refuse a form whose page showed the other mode: a tab left open while the mode was
    switched in another would otherwise create a live key (or endpoint) from a page that
    said test mode. The page's mode comes in the form's ``page_mode`` field; a form without
    it (a script) acts in the current mode.

    :param done: what the form would have done, for the message (``"created"``).
    :raises InvalidRequestError: the page showed the other mode (param ``page_mode``).
    """
    shown, mode = request.form.get(PAGE_MODE_FIELD), mode_name()
    if shown in ("test", "live") and shown != mode:
        raise InvalidRequestError(messages.DASHBOARD_FORM_OTHER_MODE.format(
            shown=shown, mode=mode, done=done), param=PAGE_MODE_FIELD)


@bp.before_request
def answer_options():
    """``OPTIONS``: the methods this address takes, signed in or not (its ``Allow`` is no
    secret: a ``405`` says it too). Flask's own answer counted the catch-all ``not_found``'s
    ``GET`` and ``POST``: every page seemed to take both."""
    if request.method != "OPTIONS":
        return None
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = methods_taken(adapter, adapter.allowed_methods())
    if not allowed - {"OPTIONS"}:  # only the catch-all matches: no page here
        return error_page(404, "Not found", "There is no dashboard page at this address.")
    return current_app.response_class(headers={"Allow": ", ".join(sorted(allowed))})


@bp.before_request
def load_session():
    """Resolve the session; redirect a logged-out visitor; refuse a POST without its token."""
    g.account = g.session_token = None
    if request.endpoint == "dashboard.static":
        return None  # CSS and JS: public, and no database read for them
    token = request.cookies.get(SESSION_COOKIE, "")
    if token.startswith("sess_"):
        try:
            g.account = accounts.account_for_session(token, clock=state().clock)
            g.session_token = token
        except AuthenticationError:
            g.drop_session = True  # expired or logged out elsewhere: clear the stale cookie
    if g.account is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if _sent_an_api_key():
            # `curl -u rk_test_...:` gets a reason, not a log-in page: a key (a restricted
            # one above all) must never open the pages that manage keys.
            return error_page(401, "API keys cannot sign in", messages.API_KEY_ON_DASHBOARD)
        # Only the path: a query string could carry anything, even a pasted key; and not a
        # path holding one either (it would be echoed in the redirect's URL). The consent page
        # keeps its query: it is the authorize request, needed whole after log-in.
        wanted = request.path
        if request.endpoint == "dashboard.logout":
            # No session left to end (it expired, or ended in another tab): on to the log-in
            # page, with where the log-out was to lead (not back here: a POST-only address).
            wanted = request.form.get("next")
            return redirect(url_for("dashboard.login",
                                    next=wanted if safe_next(wanted) == wanted else None), 303)
        if request.endpoint == "dashboard.oauth_consent" and request.query_string:
            wanted += "?" + request.query_string.decode("latin-1")
        next_path = wanted if scrub(wanted) == wanted else None
        return redirect(url_for("dashboard.login", next=next_path), 303)
    g.livemode = bool(g.account is not None and g.account.live_enabled
                      and request.cookies.get(MODE_COOKIE) == "live")
    if g.account is not None and request.method == "GET":
        st = state()  # the bots of a leak drill act when someone looks
        drills.catch_up(g.account, clock=st.clock, pepper=st.pepper)
    if request.method == "POST":
        # Sign-up and log-in sent again by a browser signed in since (the answer reloaded,
        # Back and "send again"): their token is of the pre-login cookie, not of the session.
        # Their views do nothing then but say so, or redirect, so it is not asked for.
        if g.account is None or request.endpoint not in PUBLIC_ENDPOINTS:
            csrf.require_valid_token()
        for name, value in request.form.items(multi=True):
            refuse_nul(name, value)  # as the API does
    return None


def _sent_an_api_key() -> bool:
    """Whether the request carries an API key (Bearer or Basic, as ``/v1`` reads them)."""
    from ..http.auth import key_from_request

    raw = key_from_request()
    return raw is not None and KEY_LIKE.match(raw) is not None


@bp.after_request
def protect_response(response):
    """No caching (a page may hold a secret), no framing, no sniffing, HTTPS kept once used;
    cookie upkeep."""
    if request.endpoint != "dashboard.static" or response.status_code >= 400:
        response.headers["Cache-Control"] = "no-store"
    csp = _CSP
    if g.get("form_action"):  # the consent page: Connect's answer redirects to the platform
        csp = csp.replace("form-action 'self'", f"form-action 'self' {g.form_action}")
    response.headers["Content-Security-Policy"] = csp
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if _hsts_applies():
        response.headers["Strict-Transport-Security"] = HSTS
    if g.get("drop_session") and not g.get("session_token"):
        end_session(response)
    csrf.save_presession_cookie(response, secure=is_https(), path=COOKIE_PATH)
    return response


@bp.app_template_global()
def csrf_field_name() -> str:
    return csrf.FIELD


# A global, not context: macros imported by templates see globals only.
bp.add_app_template_global(csrf.csrf_token, "csrf_token")
bp.add_app_template_global(form_nonces.form_nonce, "form_nonce")


@bp.context_processor
def page_context():
    account = g.get("account")
    try:
        now = state().clock.for_account(account) if account is not None else None
    except SQLAlchemyError:  # the error page of a failed transaction: show it without the time
        now = None
    # The consent pages (dashboard.oauth) are in their application's mode: the Test/Live
    # switch would change nothing there, and came back to the page without its query.
    return {"account": account, "livemode": g.get("livemode", False), "account_now": now,
            "mode_switch": not g.get("mode_fixed", False)}


filters.register(bp)


# --- errors: pages, not the API's JSON envelope ----------------------------------------------

def error_page(status: int, title: str, message: str, **back):
    """The error page; ``back`` and ``back_label`` name the page to go back to, ``action``
    and ``action_label`` a page that puts things right (rolling a key whose secret was
    missed)."""
    return render_template("dashboard/error.html", status=status, title=title,
                           message=message, **back), status


@bp.errorhandler(csrf.CsrfRefused)
def csrf_refused(error):
    return error_page(400, "Form refused", error.description)


@bp.errorhandler(form_nonces.FormAlreadySent)
def form_already_sent(error):
    action, action_label = error.action or (None, None)
    return error_page(409, "Form already sent", error.description, back=error.back,
                      back_label=error.back_label, action=action, action_label=action_label)


@bp.errorhandler(StripeError)
def stripe_error(error: StripeError):
    title = "Not found" if error.status == 404 else "Request refused"
    return error_page(error.status, title, error.message)


@bp.errorhandler(ValidationError)
def validation_error(error: ValidationError):
    message, _ = error_text(error)
    return error_page(400, "Request refused", message)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    if error.code == 404:
        return error_page(404, "Not found", "There is no dashboard page at this address.")
    if error.code == 405:
        return error_page(405, "Not allowed", "This page does not accept that kind of request.")
    return error_page(error.code or 500, error.name, error.description or "")


def is_dashboard_path(path: str) -> bool:
    return path == COOKIE_PATH or path.startswith(COOKIE_PATH + "/")


def answered_with_pages() -> bool:
    """Whether this request's error gets the dashboard's page: at a dashboard address, and
    with a host that routing could read (a page's links are built from it: for werkzeug's
    ``BadHost`` there is nothing to build them with, and the answer is the API's)."""
    return (is_dashboard_path(request.path)
            and not isinstance(request.routing_exception, BadHost))


def opens_the_root_in_a_browser() -> bool:
    """A browser opening the server's own address (``GET /``, asking for HTML by name): it
    is sent to the dashboard, where a learner who typed the address meant to go. Whoever
    asks for anything (``*/*``: curl, the SDKs) or JSON there gets the API's 404, as
    Stripe's root answers."""
    return (request.path == "/" and request.method in ("GET", "HEAD")
            and any(value.lower() == "text/html" and quality > 0
                    for value, quality in request.accept_mimetypes))


def method_not_allowed(error: MethodNotAllowed):
    """A dashboard address sent a method none of its views takes (``PUT``, ``DELETE`` ...):
    ``405`` with an ``Allow`` header, as a page like the other errors, not the API's JSON.

    Called by the app's error handler: an error of routing reaches no blueprint's handler
    (nor its ``after_request``, hence ``protect_response`` here). ``not_found`` takes ``GET``
    and ``POST`` at any dashboard address so that it can answer with a page; those are not
    methods an address allows, and an address only it matches gets the 404 page.
    """
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = methods_taken(adapter, error.valid_methods or ())
    if not allowed - {"OPTIONS"}:
        return _unrouted(error_page(404, "Not found",
                                    "There is no dashboard page at this address."))
    body, status = error_page(405, "Not allowed", "This page does not accept that kind of request.")
    return _unrouted((body, status, {"Allow": ", ".join(sorted(allowed))}))


def methods_taken(adapter, methods) -> set[str]:
    """Those of ``methods`` that a view of this address takes, ``not_found`` aside (it takes
    ``GET`` and ``POST`` anywhere only to answer with a page): its ``Allow``."""
    taken = set()
    for method in methods:
        try:
            endpoint, _ = adapter.match(method=method)
        except HTTPException:  # a redirect (a missing slash) or no match: not this address's
            continue
        if endpoint != "dashboard.not_found":
            taken.add(method)
    return taken


def unrouted_error_page(error: StripeError):
    """The page for an error raised before routing found a view (the app's handler asks)."""
    body, status = stripe_error(error)
    return _unrouted((body, status, error.headers))


def _unrouted(page):
    return protect_response(current_app.make_response(page))


@bp.errorhandler(Exception)
def unexpected_error(error: Exception):
    from flask import got_request_exception

    refused = lock_timeout_for(error)  # another request held the lock: try again
    if refused is not None:
        return stripe_error(refused)

    # The failed transaction goes first: the page reads the account (its clock) again.
    db.session.rollback()
    # As the app's own handler does: listeners (the test server's error capture) hear of it.
    got_request_exception.send(current_app._get_current_object(),
                               _async_wrapper=current_app.ensure_sync, exception=error)
    log.exception("unexpected error while handling %s %s", request.method, request.path)
    return error_page(500, "Something went wrong",
                      "Payground could not show this page. The error has been logged.")
