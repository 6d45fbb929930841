"""Session authentication for ``/sandbox`` (``Authorization: Bearer sess_...``)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import g, request

from .. import messages
from ..core import keys as keyfmt
from ..errors import AuthenticationError
from ..http.auth import key_from_request
from ..http.context import state
from ..services import accounts, drills


def session_token() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value.startswith("sess_"):
        return value
    return None


def session_required(view: Callable) -> Callable:
    """Resolve the session to ``g.account`` before the view runs."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        token = session_token()
        if token is None:
            raw_key = key_from_request()  # Bearer, or Basic (`curl -u sk_test_...:`)
            api_key = raw_key is not None and keyfmt.KEY_LIKE.match(raw_key) is not None
            raise AuthenticationError(messages.API_KEY_ON_SANDBOX if api_key
                                      else messages.NO_SESSION)
        st = state()
        g.account = accounts.account_for_session(token, clock=st.clock)
        g.session_token = token
        if request.method == "GET":  # the bots of a leak drill act when someone looks
            drills.catch_up(g.account, clock=st.clock, pepper=st.pepper)
        return view(*args, **kwargs)

    return wrapper
