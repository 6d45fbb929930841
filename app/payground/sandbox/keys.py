"""/sandbox/keys: the account's API keys (listing; creating, rolling, revoking come next)."""

from __future__ import annotations

from typing import Any

from flask import g, request

from ..models.api_key import ApiKey
from ..services import keys as key_service
from ..http.context import state
from . import bp
from .auth import session_required
from .schemas import KeyOut

_key_out = KeyOut()


def key_object(key: ApiKey, now: int, secret: str | None = None) -> dict[str, Any]:
    """A key as the sandbox shows it: never the secret, except ``secret`` given right after
    issuing, and publishable keys (public, recomputed from the pepper)."""
    data = _key_out.dump(key)
    data["status"] = key.status_at(now)
    if data["permissions"] is None and key.type != "restricted":
        data.pop("permissions")
    if secret is not None:
        data["secret"] = secret
    elif key.type == "publishable":
        data["secret"] = key_service.publishable_secret(key, state().pepper)
    return data


@bp.get("/keys")
@session_required
def list_keys():
    """List the account's API keys (secrets redacted)."""
    now = state().clock.for_account(g.account)
    data = [key_object(k, now) for k in key_service.list_keys(g.account)]
    return {"object": "list", "url": request.path, "has_more": False, "data": data}
