"""/sandbox/connect (a platform's Connect OAuth application) and /sandbox/connections (the
applications an account is connected to, and disconnecting them)."""

from __future__ import annotations

from flask import g, request
from marshmallow import Schema, fields, validate

from ..core.oauth import MAX_REDIRECT_URI_LENGTH, MAX_REDIRECT_URIS
from ..http.context import audit_source, state
from ..http.decorators import request_params
from ..http.schemas import Bool, Str, StripeSchema
from ..http.validation import coded
from ..models.base import db
from ..models.oauth import ConnectApplication
from ..services import connections
from . import bp
from .auth import session_required


class ApplicationSave(StripeSchema):
    livemode = Bool(load_default=False)
    name = Str(required=True, max_length=200)
    redirect_uris = fields.List(
        Str(max_length=MAX_REDIRECT_URI_LENGTH), required=True, validate=validate.Length(
            min=1, max=MAX_REDIRECT_URIS,
            # Length formats its message with the bounds: "{{param}}" comes out as "{param}".
            error=coded("parameter_invalid", f"Invalid {{{{param}}}}: give 1 to "
                                             f"{MAX_REDIRECT_URIS} redirect URIs.")))


class ConnectionsQuery(StripeSchema):
    livemode = Bool()


class ApplicationOut(Schema):
    object = fields.Constant("connect_application")
    client_id = fields.String(attribute="id")
    name = fields.String()
    redirect_uris = fields.List(fields.String())
    livemode = fields.Boolean()
    created = fields.Integer()


class ConnectionOut(Schema):
    object = fields.Constant("connection")
    id = fields.String()
    application = fields.Method("_application")
    platform = fields.String(attribute="platform_id")
    scope = fields.String()
    livemode = fields.Boolean()
    created = fields.Integer()
    revoked_at = fields.Integer()

    def _application(self, connection):
        application = db.session.get(ConnectApplication, connection.application_id)
        return {"client_id": application.id, "name": application.name}


@bp.get("/connect")
@session_required
def list_applications():
    """List the account's Connect OAuth applications (platform settings, one per mode)."""
    data = ApplicationOut(many=True).dump(connections.list_applications(g.account))
    return {"object": "list", "url": request.path, "has_more": False, "data": data}


@bp.post("/connect")
@session_required
def save_application():
    """Create or update the Connect OAuth application of a mode (its client_id stays)."""
    params = ApplicationSave().load(request_params())
    application = connections.save_application(g.account, params, clock=state().clock,
                                               source=audit_source())
    return ApplicationOut().dump(application)


@bp.get("/connections")
@session_required
def list_connections():
    """List the applications connected to the account (revoked ones too), newest first."""
    params = ConnectionsQuery().load(request_params())
    found = connections.list_connections(g.account, params.get("livemode"))
    return {"object": "list", "url": request.path, "has_more": False,
            "data": ConnectionOut(many=True).dump(found)}


@bp.post("/connections/<connection_id>/revoke")
@session_required
def revoke_connection(connection_id):
    """Disconnect an application: its access tokens stop working at once."""
    connection = connections.revoke_connection(g.account, connection_id, clock=state().clock,
                                               source=audit_source())
    return ConnectionOut().dump(connection)
