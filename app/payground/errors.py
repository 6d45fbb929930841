"""Every way a request can fail, as Stripe-shaped exceptions, and the one handler that renders them.

The tree mirrors Stripe's error ``type``s; class attributes are the defaults::

    StripeError                     500 api_error
    ├── InvalidRequestError         400 invalid_request_error
    │   ├── ParameterUnknown            parameter_unknown
    │   ├── ParameterMissing            parameter_missing
    │   ├── ParameterInvalid            parameter_invalid_* (code given per case)
    │   ├── ApiKeyInUrl                 api_key_in_url
    │   ├── ResourceMissing         404 resource_missing
    │   ├── RouteNotFound           404
    │   ├── RequestTooLarge         413
    │   ├── IdempotencyKeyInUse     409 idempotency_key_in_use
    │   └── LockTimeout             429 lock_timeout
    ├── IdempotencyError            400 idempotency_error
    ├── AuthenticationError         401 invalid_request_error
    │   ├── InvalidApiKey
    │   ├── ApiKeyExpired               api_key_expired
    │   └── SecretKeyRequired           secret_key_required
    ├── PermissionDenied            403 invalid_request_error
    │   ├── IpNotAllowed                api_key_ip_not_allowed
    │   └── AccountInvalid              account_invalid
    ├── CardError                   402 card_error
    └── RateLimitError              429 invalid_request_error, rate_limit

Connect OAuth's endpoints (``/oauth/*``) answer in OAuth's shape instead (RFC 6749 §5.2,
as Stripe's do), from a tree of their own::

    OAuthError                      400 (``error`` is the code)
    ├── OAuthInvalidRequest             invalid_request
    ├── InvalidClient               401 invalid_client
    ├── InvalidGrant                    invalid_grant
    ├── InvalidScope                    invalid_scope
    └── UnsupportedGrantType            unsupported_grant_type

Code anywhere (services included) raises these; ``register_error_handlers`` renders them as
``{"error": {...}}`` (OAuth's as ``{"error": code, "error_description": text}``). No view
builds an error dict.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from . import messages
from .core.keys import scrub, scrub_start

__all__ = [
    "AccountInvalid",
    "ApiError",
    "ApiKeyExpired",
    "ApiKeyInUrl",
    "AuthenticationError",
    "CardError",
    "IdempotencyError",
    "IdempotencyKeyInUse",
    "InvalidApiKey",
    "InvalidRequestError",
    "InvalidClient",
    "InvalidGrant",
    "InvalidScope",
    "IpNotAllowed",
    "LockTimeout",
    "OAuthError",
    "OAuthInvalidRequest",
    "ParameterInvalid",
    "ParameterMissing",
    "ParameterUnknown",
    "PermissionDenied",
    "RateLimitError",
    "RequestTooLarge",
    "ResourceMissing",
    "RouteNotFound",
    "SecretKeyRequired",
    "StripeError",
    "UnsupportedGrantType",
    "is_oauth_path",
    "register_error_handlers",
]

log = logging.getLogger("payground")

# An id a message echoes can be as long as the URL that sent it (64 KiB on granian): past
# this, a message is cut, not scrubbed (tens of milliseconds) and sent whole.
MESSAGE_MAX = 5000
DOC_URL = "https://stripe.com/docs/error-codes/{code}"


class StripeError(Exception):
    """Base of every error Payground returns; renders as Stripe's error envelope.

    :param message: the human-readable ``error.message``.
    :param code: Stripe's ``error.code`` (``None`` for errors Stripe leaves without one).
    :param param: the offending parameter, in Stripe's ``a[b]`` notation.
    :param decline_code: for card errors, the issuer's reason.
    :param charge: for card errors, the id of the failed charge.
    :param headers: extra response headers (``Retry-After`` for rate limits).
    """

    status: int = 500
    type: str = "api_error"
    code: str | None = None
    message: str = messages.API_ERROR

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 param: str | None = None, decline_code: str | None = None,
                 charge: str | None = None, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        # Whatever a caller put in the message (an id, a value echoed back), a key never
        # leaves in an error: anything key-shaped is masked.
        text = message if message is not None else type(self).message
        self.message = (scrub(text) if len(text) <= MESSAGE_MAX
                        else scrub_start(text, MESSAGE_MAX - 3) + "...")
        if code is not None:
            self.code = code
        self.param = param
        self.decline_code = decline_code
        self.charge = charge
        self.headers = headers or {}
        self.extra = extra  # e.g. payment_intent for card errors raised by intents
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            body["code"] = self.code
            # Stripe's pages are named with hyphens: error-codes/resource-missing.
            body["doc_url"] = DOC_URL.format(code=self.code.replace("_", "-"))
        if self.param:
            body["param"] = scrub(self.param)  # a key sent as a parameter's name, say
        if self.decline_code:
            body["decline_code"] = self.decline_code
        if self.charge:
            body["charge"] = self.charge
        body.update(self.extra)
        return body


class ApiError(StripeError):
    """Something went wrong on Payground's side (500)."""


class InvalidRequestError(StripeError):
    status = 400
    type = "invalid_request_error"
    message = "Invalid request."


class ParameterUnknown(InvalidRequestError):
    code = "parameter_unknown"
    # No parameter's name is longer. A longer one (a whole body sent as a name) is cut, not
    # echoed twice over, and masked twice over (``scrub`` reads all of it).
    SHOWN_LENGTH = 500

    def __init__(self, param: str, **kw: Any) -> None:
        if len(param) > self.SHOWN_LENGTH:
            param = scrub_start(param, self.SHOWN_LENGTH - 3) + "..."
        super().__init__(messages.PARAMETER_UNKNOWN.format(param=param), param=param, **kw)


class ParameterMissing(InvalidRequestError):
    code = "parameter_missing"

    def __init__(self, param: str, **kw: Any) -> None:
        super().__init__(messages.PARAMETER_MISSING.format(param=param), param=param, **kw)


class ParameterInvalid(InvalidRequestError):
    """A parameter with a bad value; ``code`` names how (``parameter_invalid_integer`` ...)."""


class ApiKeyInUrl(InvalidRequestError):
    code = "api_key_in_url"
    message = messages.API_KEY_IN_URL


class ResourceMissing(InvalidRequestError):
    status = 404
    code = "resource_missing"


class RouteNotFound(InvalidRequestError):
    status = 404


class RequestTooLarge(InvalidRequestError):
    status = 413
    message = messages.REQUEST_TOO_LARGE


class IdempotencyKeyInUse(InvalidRequestError):
    status = 409
    code = "idempotency_key_in_use"
    message = messages.IDEMPOTENCY_KEY_IN_USE


class LockTimeout(InvalidRequestError):
    """Nothing was written, and the same request will likely pass a moment later: the SDKs
    retry it on their own (with ``max_network_retries``) when told so, as Stripe tells them."""

    status = 429
    code = "lock_timeout"
    message = messages.LOCK_TIMEOUT

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.headers.setdefault("Stripe-Should-Retry", "true")


class IdempotencyError(StripeError):
    status = 400
    type = "idempotency_error"
    message = messages.IDEMPOTENCY_MISMATCH


class AuthenticationError(StripeError):
    status = 401
    type = "invalid_request_error"
    message = messages.NO_API_KEY


class InvalidApiKey(AuthenticationError):
    def __init__(self, masked: str) -> None:
        super().__init__(messages.INVALID_API_KEY.format(masked=masked))


class ApiKeyExpired(AuthenticationError):
    code = "api_key_expired"

    def __init__(self, masked: str) -> None:
        super().__init__(messages.EXPIRED_API_KEY.format(masked=masked))


class SecretKeyRequired(AuthenticationError):
    code = "secret_key_required"
    message = messages.SECRET_KEY_REQUIRED


class PermissionDenied(StripeError):
    status = 403
    type = "invalid_request_error"
    message = "The provided key does not have the required permissions for this endpoint."


class IpNotAllowed(PermissionDenied):
    code = "api_key_ip_not_allowed"


class AccountInvalid(PermissionDenied):
    code = "account_invalid"


class CardError(StripeError):
    status = 402
    type = "card_error"
    code = "card_declined"
    message = messages.CARD_DECLINED


class RateLimitError(StripeError):
    status = 429
    type = "invalid_request_error"
    code = "rate_limit"
    message = messages.RATE_LIMITED


class OAuthError(Exception):
    """An ``/oauth/*`` error: ``{"error": error, "error_description": description}``.

    The description is scrubbed as Stripe errors' messages are: a code, refresh token or key
    never leaves whole in one.
    """

    status: int = 400
    error: str = "invalid_request"

    def __init__(self, description: str, *, headers: dict[str, str] | None = None) -> None:
        self.description = scrub_start(description, MESSAGE_MAX)
        self.headers = headers or {}
        super().__init__(self.description)

    def to_dict(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}

    @classmethod
    def from_stripe(cls, error: StripeError) -> OAuthError:
        """An API error (a body that cannot be read, a rate limit, a 404, a 500 ...) as
        ``/oauth`` answers it: its status and message, with one of OAuth's codes
        (RFC 6749 §5.2)."""
        refused = cls(error.message, headers=error.headers)
        refused.status = error.status
        refused.error = "invalid_client" if error.status in (401, 403) else "invalid_request"
        return refused


def is_oauth_path(path: str) -> bool:
    """Whether ``path`` is Connect OAuth's (``/oauth/...``): every answer there, an unrouted
    404 or an unexpected 500 too, is in OAuth's error shape (clients parse that one only)."""
    return path == "/oauth" or path.startswith("/oauth/")


class OAuthInvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    status = 401
    error = "invalid_client"


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


def oauth_response(error: OAuthError):
    """``error`` as ``/oauth/*`` answers it (the app's handler for ``OAuthError``)."""
    from flask import jsonify

    response = jsonify(error.to_dict())
    response.status_code = error.status
    response.headers.update(error.headers)
    return response


def error_line(error: Mapping[str, Any], status: int) -> str:
    """The one line a client of the API (the CLI, the test helpers) shows for an error
    envelope it received: the ``message``, followed by the ``param`` it is about when the
    message does not name it (``This value must be less than or equal to 604800.`` says
    nothing of ``expires_in``). Only for a parameter's value (``parameter_*`` codes, or none):
    ``No such api_key: 'key_...'`` names what was wrong already."""
    message = str(error.get("message") or f"HTTP {status}")
    param, code = error.get("param"), error.get("code")
    if not param or (code and not str(code).startswith("parameter_")):
        return message
    if not re.search(rf"(?<![\w\[]){re.escape(str(param))}(?![\w\[])", message):
        message = f"{message} (param: {param})"
    return message


def register_error_handlers(app) -> None:
    """Render every error (ours, werkzeug's, marshmallow's, unexpected ones) as Stripe's envelope
    (at a dashboard address that no view matched, as the dashboard's error page)."""
    from flask import g, jsonify, redirect, request
    from marshmallow import ValidationError
    from werkzeug.exceptions import HTTPException

    from .http.context import public_base_url
    from .http.request_log import is_unlogged_throttle, refused_caller
    from .http.validation import error_from_validation

    def render(error: StripeError):
        if is_oauth_path(request.path):
            return oauth_response(OAuthError.from_stripe(error))
        body = error.to_dict()
        request_id = g.get("request_id")
        # The failed-authentication throttle's 429 (no caller known) is never written to the
        # request log (http/request_log.py): no link to an entry that will never exist.
        throttled = isinstance(error, RateLimitError) and is_unlogged_throttle(error.status)
        # Nor where the request is logged in no account (a missing or unknown key), so no
        # one could open the page (Stripe's such 401s carry no link either): an expired or
        # revoked key's is logged in its owner's account, and links there, as does a request
        # refused before authentication (a 413, a NUL in the URL) with a real key in its
        # header or URL. The request log's own rule tells (looked up once, for both).
        # Nor where a platform acted on a connected account (``Stripe-Account``, an access
        # token, a revoked one): the entry is in that account's log, which the platform cannot
        # open (the account sees it there, naming the platform).
        if request_id and not throttled and (request.path == "/v1"
                                             or request.path.startswith("/v1/")) and (
                _logged_for_the_caller(error, refused_caller)):
            # Like Stripe's: the dashboard page of this request (the JSON form is
            # GET /sandbox/requests/<id>, with a session).
            base = scrub(public_base_url())
            body["request_log_url"] = f"{base}/dashboard/requests/{request_id}"
        response = jsonify(error=body)
        response.status_code = error.status
        response.headers.update(error.headers)
        return response

    @app.errorhandler(StripeError)
    def handle_stripe_error(error: StripeError):
        from .dashboard.session import answered_with_pages, unrouted_error_page

        if answered_with_pages():
            # Refused before routing (a key in the URL of a PUT the dashboard 405s): no view
            # was found, so the dashboard's own handler is not asked; the page still is.
            return unrouted_error_page(error)
        return render(error)

    app.register_error_handler(OAuthError, oauth_response)

    @app.errorhandler(ValidationError)
    def handle_validation_error(error: ValidationError):
        return render(error_from_validation(error))

    @app.errorhandler(HTTPException)
    def handle_http_exception(error: HTTPException):
        from .dashboard.session import (COOKIE_PATH, answered_with_pages, method_not_allowed,
                                        opens_the_root_in_a_browser)

        if error.code == 405 and answered_with_pages():
            return method_not_allowed(error)  # a browser's page: 405 and Allow, not JSON
        from . import three_d_secure as page

        if error.code == 405 and page.is_page_path(request.path):
            return page.method_not_allowed(error)  # the 3-D Secure page's too
        if error.code in (404, 405):
            if opens_the_root_in_a_browser():
                response = redirect(request.script_root + COOKIE_PATH)  # the dashboard
            else:
                response = render(RouteNotFound(messages.UNRECOGNIZED_URL.format(
                    method=request.method, path=request.path)))
            if request.path == "/":  # which of the two depends on Accept: caches must know
                response.vary.add("Accept")
            return response
        if error.code == 413:
            return render(RequestTooLarge())
        if error.code == 400:
            return render(InvalidRequestError(messages.MALFORMED_BODY))
        failure = StripeError()
        failure.status = error.code or 500
        return render(failure)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        refused = lock_timeout_for(error)
        if refused is not None:
            return render(refused)
        # Rendering here bypasses Flask's own signal; send it (first, so nothing below can
        # swallow it) for listeners such as the test server's error capture.
        from flask import got_request_exception

        got_request_exception.send(app, _async_wrapper=app.ensure_sync, exception=error)
        # The traceback goes to the log (scrubbed of keys); the client gets Stripe's
        # generic api_error only.
        log.exception("unexpected error while handling %s %s", request.method, request.path)
        return render(ApiError())


def _logged_for_the_caller(error: StripeError, refused_caller) -> bool:
    """Whether this ``/v1`` request's log entry is in an account and the caller can open it:
    the caller's own account, not the one a platform acted on."""
    from flask import g

    if g.get("account") is not None:
        return g.get("platform_id") is None
    account_id, *_, platform_id = refused_caller(error.status, error.code)
    return account_id is not None and platform_id is None


def lock_timeout_for(error: Exception) -> LockTimeout | None:
    """Stripe's 429 ``lock_timeout`` for an error that is a lock failure (after rolling the
    transaction back, so nothing was written), else ``None``. For every error handler."""
    if not is_lock_failure(error):
        return None
    from .extensions import db

    db.session.rollback()
    return LockTimeout()


def is_lock_failure(error: Exception) -> bool:
    """A lock wait that timed out or a deadlock, on PostgreSQL or SQLite."""
    from sqlalchemy.exc import OperationalError

    if not isinstance(error, OperationalError):
        return False
    state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return state in ("55P03", "40P01") or "database is locked" in str(error.orig)
