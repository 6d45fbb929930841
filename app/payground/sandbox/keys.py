"""/sandbox/keys: list, create, roll and revoke the account's API keys."""

from __future__ import annotations

from typing import Any

from flask import g, request

from ..models.api_key import ApiKey
from ..services import keys as key_service
from ..http.context import audit_source, state
from . import bp
from .auth import session_required
from ..http.decorators import request_params
from .schemas import KeyCreate, KeyIdentify, KeyOut, KeyRoll

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


@bp.post("/keys")
@session_required
def create_key():
    """Create a secret or restricted key; the response holds its secret, shown this once."""
    params = KeyCreate().load(request_params())
    st = state()
    issued = key_service.create_key(g.account, params, pepper=st.pepper, clock=st.clock,
                                    source=audit_source())
    return key_object(issued.key, st.clock.for_account(g.account), issued.secret), 201


@bp.post("/keys/identify")
@session_required
def identify_keys():
    """Which of the given full keys are the account's, and their state (`payground scan`).

    A list in the order sent, ``null`` where a key is not the account's (or not a key at all:
    another account's key is as unknown as a made-up one). Never echoes a key.
    """
    params = KeyIdentify().load(request_params())
    st = state()
    now = st.clock.for_account(g.account)
    found = key_service.identify_keys(g.account, params["keys"], pepper=st.pepper)
    return {"object": "list", "url": request.path, "has_more": False,
            "data": [key_object(key, now) if key is not None else None for key in found]}


@bp.get("/keys/<key_id>")
@session_required
def retrieve_key(key_id):
    """Retrieve one key (secret redacted)."""
    key = key_service.get_key(g.account, key_id)
    return key_object(key, state().clock.for_account(g.account))


@bp.post("/keys/<key_id>/roll")
@session_required
def roll_key(key_id):
    """Roll a key: the new one (shown this once) works now, the old one until expires_in."""
    params = KeyRoll().load(request_params())
    st = state()
    issued = key_service.roll_key(g.account, key_id, params["expires_in"], pepper=st.pepper,
                                  clock=st.clock, source=audit_source())
    return key_object(issued.key, st.clock.for_account(g.account), issued.secret), 201


@bp.post("/keys/<key_id>/revoke")
@session_required
def revoke_key(key_id):
    """Revoke a key: the next request with it fails."""
    st = state()
    key = key_service.revoke_key(g.account, key_id, clock=st.clock, source=audit_source())
    return key_object(key, st.clock.for_account(g.account))
