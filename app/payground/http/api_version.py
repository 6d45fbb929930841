"""The ``Stripe-Version`` header: refused when it cannot be a version, echoed on every answer.

Stripe answers every API request with the version it was answered at: the request's
``Stripe-Version`` (every official SDK sends the one it was built for: stripe-node 23 sends
``2026-11-18.endive``, stripe-python 16 ``2026-10-28.endive``) or, without one, the
account's default. The SDKs read it back (stripe-node's ``lastResponse.apiVersion``). A
value that is no version at all (``2019-2-19``, two headers joined as ``2019-12-03,
2019-12-03``) is Stripe's ``400 Invalid Stripe API version: ...``, before anything runs.

Payground renders objects in one version (``services.events.API_VERSION``) whatever is asked
(README, "Where Payground differs"): a well-formed version is echoed, not checked against
Stripe's list of versions, which Payground does not have.
"""

from __future__ import annotations

import datetime
import re

from flask import Response, request

from .. import messages
from ..core.keys import scrub, scrub_start
from ..errors import InvalidRequestError
from ..services.events import API_VERSION
from .context import once_per_request

HEADER = "Stripe-Version"
_ENVIRON_KEY = "HTTP_STRIPE_VERSION"  # HEADER as WSGI names it
# ``2026-10-28.endive``, ``2019-02-19``, and a beta's ``2025-04-30.basil; name_beta=v1``.
_VERSION = re.compile(r"(\d{4}-\d{2}-\d{2})(\.[a-z]+)?(;\s*[a-z0-9_]+=v[0-9]+)*")
_SHOWN = 60  # at most this much of a bad value is echoed in the error


def check() -> None:
    """Refuse a ``Stripe-Version`` that is not a version (after authentication, like every
    refusal of a request's parameters)."""
    asked = _asked()
    if asked and _requested() is None:
        shown = scrub_start(asked, _SHOWN + 1)
        if len(shown) > _SHOWN:
            shown = shown[:_SHOWN - 3] + "..."
        raise InvalidRequestError(messages.INVALID_API_VERSION.format(version=shown))


def add_header(response: Response) -> None:
    """Put the version this ``/v1`` answer was given at on it (errors included, a 401 too)."""
    response.headers[HEADER] = _requested() or API_VERSION


def is_api_version(value: str) -> bool:
    """Whether ``value`` can be an API version (a webhook endpoint's ``api_version`` too)."""
    return _valid(value) is not None


def _asked() -> str:
    # The environ's one entry: a repeated header reaches it joined into one value by the WSGI
    # server (``2019-12-03, 2019-12-03``), and it is all `headers.getlist` would find too, but
    # that walks every header of the environ to find it (check and echo both read it).
    return request.environ.get(_ENVIRON_KEY, "").strip()


def _requested() -> str | None:
    """This request's ``Stripe-Version`` if it is a version, else ``None``: matched once a
    request, though both ``check`` and ``add_header`` ask (a 401 or a preflight skips
    ``check``, so neither can count on the other having matched it)."""
    return once_per_request("stripe_version", lambda: _valid(_asked()))


def _valid(asked: str) -> str | None:
    match = _VERSION.fullmatch(asked) if asked else None
    # A beta's name is any lower-case word: ``sk_live_...=v1`` would be one, and the answer's
    # header would echo it whole. Key- and secret-shaped names are no beta's: refused (their
    # message shows them masked).
    if match is None or scrub(asked) != asked:
        return None
    try:
        datetime.date.fromisoformat(match.group(1))
    except ValueError:
        return None
    return asked
