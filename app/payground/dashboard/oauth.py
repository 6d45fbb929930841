"""The Connect OAuth consent page: an account approves or denies a platform's application
(``/oauth/authorize`` sends the browser here, where the session cookie is sent)."""

from __future__ import annotations

import re

from flask import g, redirect, render_template, request

from .. import messages
from ..core import oauth as oauthfmt
from ..http.context import audit_source, state
from ..services import oauth
from . import bp
from .form_nonces import once

# The authorize request's own parameters, carried by the consent form (the rest is ignored).
FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state")
# An origin that can go into the page's Content-Security-Policy as it is.
_PLAIN_ORIGIN = re.compile(r"^https?://(?:[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?$")


@bp.get("/oauth/authorize")
def oauth_consent():
    """Ask the signed-in account whether to connect the application."""
    g.mode_fixed = True
    found = _read(request.args)
    if not isinstance(found, oauth.AuthorizeRequest):
        return found
    # The application's mode is the consent's: the page is shown in it, whatever the
    # dashboard's mode (and offers no switch, see page_context).
    g.livemode = found.application.livemode
    refusal = activate = switch_account = narrows = None
    status = 200
    try:
        oauth.refuse_connecting(g.account, found)
        narrows = oauth.narrows(g.account, found)
    except oauth.AuthorizePageError as refused:
        refusal, activate, status = refused.message, refused.activate, refused.status
        switch_account = refused.switch_account
    origin = oauthfmt.origin(found.redirect_uri)
    if _PLAIN_ORIGIN.match(origin):
        # The answer to Connect redirects there: a form's redirect is held to form-action.
        g.form_action = origin
    fields = [(name, request.args[name]) for name in FIELDS if request.args.get(name)]
    if not request.args.get("redirect_uri"):
        # The one shown (the first registered now): the answer must not go to another, were
        # the platform to reorder its URIs before the account decides.
        fields.append(("redirect_uri", found.redirect_uri))
    return render_template("dashboard/oauth_consent.html", application=found.application,
                           platform=found.platform, request_=found, redirect_origin=origin,
                           refusal=refusal, activate=activate, switch_account=switch_account,
                           this_page=request.full_path, fields=fields,
                           narrows=messages.OAUTH_CONSENT_NARROWS.format(
                               name=found.application.name) if narrows else None), status


@bp.post("/oauth/authorize")
def oauth_decide():
    """Connect the application (or deny it) and send the browser back to it."""
    g.mode_fixed = True
    found = _read(request.form)
    if not isinstance(found, oauth.AuthorizeRequest):
        return found
    if request.form.get("decision") != "approve":
        return redirect(oauth.deny(found), 302)
    st = state()
    try:
        with once(messages.DASHBOARD_CONNECTED_BEFORE, "dashboard.connections_page",
                  "Go to Connected apps"):
            target = oauth.approve(g.account, found, pepper=st.pepper, clock=st.clock,
                                   source=audit_source())
    except oauth.AuthorizePageError as refused:
        return _error_page(refused)
    return redirect(target, 302)


def _read(args):
    try:
        return oauth.read_authorize_request(args)
    except oauth.AuthorizePageError as refused:
        return _error_page(refused)
    except oauth.AuthorizeRedirect as refused:
        return redirect(refused.url, 302)


def _error_page(refused: oauth.AuthorizePageError):
    from .session import error_page

    return error_page(refused.status, "This link cannot connect an application",
                      refused.message)
