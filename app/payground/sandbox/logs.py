"""/sandbox/requests, /sandbox/audit, /sandbox/webhook_deliveries: what the account's keys
and webhook endpoints did."""

from __future__ import annotations

from flask import g, request
from marshmallow import Schema, ValidationError, fields

from ..http import request_log
from ..http.decorators import request_params
from ..http.schemas import ListParams, OneOf, Str, list_schema
from ..http.validation import coded
from ..services import logs
from ..services.audit import EVENT_TYPES
from . import bp
from .auth import session_required


class StatusFilter(Str):
    """An exact status (``402``) or a class (``2xx``, ``4xx``, ``5xx``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs).lower()
        exact = value.isascii() and value.isdigit() and len(value) == 3
        if value in logs.STATUS_CLASSES or (exact and value[0] in "12345"):
            return value
        raise ValidationError(coded(
            None, "Invalid status: use a status code (402) or a class (2xx, 4xx, 5xx)."))


class RequestListParams(ListParams):
    key = Str(max_length=40)
    status = StatusFilter(max_length=3)
    mode = OneOf(("test", "live"))


class AuditListParams(ListParams):
    type = OneOf(EVENT_TYPES)
    key = Str(max_length=40)


class RequestLogOut(Schema):
    id = fields.String()
    object = fields.Constant("request_log")
    created = fields.Integer()
    livemode = fields.Boolean()
    method = fields.String()
    path = fields.String()
    status = fields.Integer()
    duration_ms = fields.Float()
    key_id = fields.String()
    key_redacted = fields.String()
    client_ip = fields.String()
    idempotency_key = fields.String()
    error_type = fields.String()
    error_code = fields.String()
    # Made through a Connect connection: the platform's account (else null).
    platform = fields.String(attribute="platform_id")


class AuditEventOut(Schema):
    id = fields.String()
    object = fields.Constant("audit_event")
    type = fields.String()
    created = fields.Integer()
    livemode = fields.Boolean()
    key_id = fields.String()
    key_redacted = fields.String()
    request_id = fields.String()
    client_ip = fields.String()
    data = fields.Dict()


class DeliveryListParams(ListParams):
    endpoint = Str(max_length=64)
    event = Str(max_length=64)
    status = OneOf(("pending", "succeeded", "failed"))
    mode = OneOf(("test", "live"))


class WebhookDeliveryOut(Schema):
    id = fields.String()
    object = fields.Constant("webhook_delivery")
    created = fields.Integer()
    livemode = fields.Boolean()
    endpoint = fields.String(attribute="endpoint_id")
    event = fields.String(attribute="event_id")
    event_type = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.Integer()
    last_attempt_at = fields.Integer()
    last_response_status = fields.Integer()
    last_error = fields.String()


_request_list = RequestListParams()
_audit_list = AuditListParams()
_request_out = RequestLogOut()
_requests_out = list_schema(RequestLogOut)()
_audit_out = list_schema(AuditEventOut)()
_delivery_list = DeliveryListParams()
_deliveries_out = list_schema(WebhookDeliveryOut)()


@bp.get("/requests")
@session_required
def list_requests():
    """List the account's /v1 requests, newest first."""
    params = _request_list.load(request_params())
    request_log.flush()  # this process's own latest rows first
    return _requests_out.dump(logs.list_requests(g.account, params, request.path))


@bp.get("/requests/<request_id>")
@session_required
def get_request(request_id):
    """Retrieve one request of the account's log."""
    request_log.flush()
    return _request_out.dump(logs.get_request(g.account, request_id))


@bp.get("/audit")
@session_required
def list_audit_events():
    """List the account's audit events (keys, webhook secrets, Connect OAuth ...), newest first."""
    params = _audit_list.load(request_params())
    return _audit_out.dump(logs.list_audit_events(g.account, params, request.path))


@bp.get("/webhook_deliveries")
@session_required
def list_webhook_deliveries():
    """List the account's webhook deliveries (attempts, answers, next retry), newest first."""
    params = _delivery_list.load(request_params())
    return _deliveries_out.dump(logs.list_webhook_deliveries(g.account, params, request.path))
