"""Connect OAuth pages: the applications connected to this account (and disconnecting them),
and the platform's own Connect settings with the accounts connected to its application."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from .. import messages
from ..errors import StripeError
from ..http.context import audit_source, public_base_url, state
from ..sandbox.connect import ApplicationSave
from ..services import connections
from . import bp
from .form_nonces import once
from .forms import error_text
from .session import refuse_form_of_other_mode

SCOPE_WORDS = {"read_write": "Read and write", "read_only": "Read only"}
_DONE = {"disconnected": "Disconnected: its access tokens are refused from the next request on.",
         "saved": "Connect settings saved."}
# The audit events of connections, linked from the Connected apps page.
AUDIT_TYPES = ("oauth.authorized", "oauth.disconnected", "oauth.deauthorized",
               "oauth.code_reused", "oauth.scope_narrowed")


@bp.get("/connections")
def connections_page():
    """The applications connected to this account in the mode shown (revoked ones too)."""
    rows = connections.connected_applications(g.account, g.livemode)
    return render_template("dashboard/connections.html", rows=rows, scopes=SCOPE_WORDS,
                           audit_types=AUDIT_TYPES,
                           notice=_DONE.get(request.args.get("done", "")))


def _connection(connection_id: str):
    """The account's connection, if it is of the mode shown.

    :raises ResourceMissing: not one of this account's connections.
    :raises InvalidRequestError: one of the other mode.
    """
    connection = connections.get_connection(g.account, connection_id)
    connections.require_mode(connection, g.livemode, "disconnect")
    return connection


@bp.get("/connections/<connection_id>/disconnect")
def disconnect_form(connection_id):
    """Ask for confirmation before disconnecting."""
    return _render_disconnect(_connection(connection_id))


@bp.post("/connections/<connection_id>/disconnect")
def disconnect(connection_id):
    """Disconnect the application now (done twice, the second is refused: no nonce)."""
    connection = _connection(connection_id)
    try:
        connections.revoke_connection(g.account, connection.id, clock=state().clock,
                                      source=audit_source())
    except StripeError as exc:
        return _render_disconnect(connection, error=exc.message), 400
    return redirect(url_for("dashboard.connections_page", done="disconnected"), 303)


def _render_disconnect(connection, **error):
    application = connections.application_by_client_id(connection.application_id)
    return render_template("dashboard/connection_disconnect.html", connection=connection,
                           application=application, **error)


@bp.get("/connect")
def connect_page():
    """The platform's application of the mode shown, and the accounts connected to it."""
    application = connections.application_of_mode(g.account, g.livemode)
    form = ({"name": application.name, "redirect_uris": "\n".join(application.redirect_uris)}
            if application else {})
    return _render_connect(application, form)


@bp.post("/connect")
def save_connect():
    """Create or update the application of the mode shown (its client_id stays)."""
    form = {"name": request.form.get("name", "").strip(),
            "redirect_uris": request.form.get("redirect_uris", "")}
    try:
        refuse_form_of_other_mode("saved")
        # One URI a line; not split at commas as allow-lists are: a URL may hold them.
        params = ApplicationSave().load({"livemode": g.livemode,
                                         "redirect_uris": form["redirect_uris"].split(),
                                         **({"name": form["name"]} if form["name"] else {})})
        with once(messages.DASHBOARD_CONNECT_SAVED_BEFORE, "dashboard.connect_page",
                  "Back to Connect settings"):
            connections.save_application(g.account, params, clock=state().clock,
                                         source=audit_source())
    except (StripeError, ValidationError) as exc:
        message, field = error_text(exc)
        return _render_connect(connections.application_of_mode(g.account, g.livemode), form,
                               error=message, error_field=field, status=400)
    return redirect(url_for("dashboard.connect_page", done="saved"), 303)


def _render_connect(application, form: dict, *, error: str | None = None,
                    error_field: str | None = None, status: int = 200):
    link = None
    if application is not None:
        # Absolute, as the platform sends it to businesses: PUBLIC_URL or this request's host.
        link = (f"{public_base_url()}/oauth/authorize?" + urlencode(
            {"response_type": "code", "client_id": application.id, "scope": "read_write"}))
    return render_template(
        "dashboard/connect.html", application=application, form=form, error=error,
        error_field=error_field, authorize_link=link, scopes=SCOPE_WORDS,
        connected=connections.connections_to(application) if application else [],
        notice=_DONE.get(request.args.get("done", ""))), status
