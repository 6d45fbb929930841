"""The API keys page: list, create, roll and revoke, with each new secret shown once."""

from __future__ import annotations

from urllib.parse import quote

from flask import g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from .. import messages
from ..errors import StripeError
from ..http.context import audit_source, public_base_url, state
from ..sandbox.schemas import KeyCreate, KeyRoll
from ..services import keys as key_service
from ..services.keys import IssuedKey
from . import bp
from .filters import duration
from .form_nonces import once
from .forms import RESOURCES, ROLL_CHOICES, error_text, permissions_from_form, split_list
from .session import refuse_form_of_other_mode

_DONE = {"revoked": "The key is revoked: the next request that uses it is refused."}


def env_name(key) -> str:
    """The variable ``payground init`` would write this key to (``STRIPE_SECRET_KEY`` ...)."""
    return f"STRIPE_{'LIVE_' if key.livemode else ''}{key.type.upper()}_KEY"


def env_file(issued: list[IssuedKey]) -> str:
    base = public_base_url()
    lines = [f"{env_name(i.key)}={i.secret}" for i in issued]
    return "\n".join(["# Payground API keys: keep this file out of version control.",
                      *lines, f"STRIPE_API_BASE={base}", ""])


def _row(key, now: int) -> dict:
    status = key.status_at(now)
    return {
        "key": key,
        "status": status,
        "time_left": key.expires_at - now if status == "expiring" else None,
        # Publishable keys are public (they go in web pages): shown in full, like Stripe does.
        "shown": (key_service.publishable_secret(key, state().pepper)
                  if key.type == "publishable" else key.redacted),
        # An OAuth access token ends with its connection (rolling or revoking it is refused):
        # its row links to disconnecting the application instead.
        "can_roll": status == "active" and key.connection_id is None,
        "can_revoke": (key.type != "publishable" and status != "revoked"
                       and key.connection_id is None),
        "can_disconnect": key.connection_id is not None and status != "revoked",
    }


def render_keys_page(*, issued: list[IssuedKey] | None = None, issued_title: str = "",
                     issued_intro: str = "", form: dict | None = None, error: str | None = None,
                     error_field: str | None = None, status: int = 200):
    """The keys page of the current mode; with ``issued``, the show-once dialog is open."""
    now = state().clock.for_account(g.account)
    rows = [_row(k, now) for k in key_service.list_keys(g.account)
            if k.livemode == g.livemode]
    issued = issued or []
    body = render_template(
        "dashboard/keys.html",
        standard=[r for r in rows if r["key"].type != "restricted"],
        restricted=[r for r in rows if r["key"].type == "restricted"],
        resources=RESOURCES, form=form or {}, error=error, error_field=error_field,
        notice=_DONE.get(request.args.get("done", "")),
        issued=issued, issued_title=issued_title, issued_intro=issued_intro,
        env_href=("data:text/plain;charset=utf-8," + quote(env_file(issued))) if issued else None)
    return body, status


def roll_link(request_id: str) -> tuple[str, str] | None:
    """The roll page of the key the request ``request_id`` made (for a form sent twice: its
    secret went with the first answer), while that key can be rolled here."""
    key = key_service.key_made_by_request(g.account, request_id)
    if (key is None or key.livemode != g.livemode
            or key.status_at(state().clock.for_account(g.account)) != "active"):
        return None
    return (url_for("dashboard.roll_key_form", key_id=key.id),
            f"Roll {key.name or 'the key'} ({key.redacted})…")


@bp.get("/keys")
def keys():
    """Standard and restricted keys of the current mode."""
    return render_keys_page()


@bp.post("/keys")
def create_key():
    """Create a secret or restricted key; its secret is shown once, in the dialog."""
    form = request.form
    raw = {"type": form.get("type", ""), "livemode": g.livemode, "name": form.get("name", ""),
           "note": form.get("note", ""), "ip_allowlist": split_list(form.get("ip_allowlist", ""))}
    try:
        refuse_form_of_other_mode("created")
        if raw["type"] == "restricted":
            raw["permissions"] = permissions_from_form(form)
        params = KeyCreate().load({k: v for k, v in raw.items() if v not in ("", [])})
        st = state()
        with once(messages.DASHBOARD_KEY_CREATED_BEFORE, "dashboard.keys", "Back to API keys",
                  made=roll_link):
            issued = key_service.create_key(g.account, params, pepper=st.pepper,
                                            clock=st.clock, source=audit_source())
    except (StripeError, ValidationError) as exc:
        message, field = error_text(exc)
        if field == "permissions" and not raw.get("permissions"):
            message = "A restricted key needs at least one permission: choose Read or Write."
        return render_keys_page(form=form, error=message, error_field=field, status=400)
    return render_keys_page(issued=[issued], issued_title="Your new API key",
                            issued_intro=f"“{issued.key.name or 'Unnamed key'}” is ready.")


def _key_or_404(key_id: str, action: str):
    """The key, if it is one of the mode shown: the keys page of this mode would not list it
    (a roll's new secret shown on the page of the other mode, a revoke it never confirms).

    :raises InvalidRequestError: a key of the other mode (a stale tab, an edited address).
    """
    key = key_service.get_key(g.account, key_id)
    key_service.require_mode(key, g.livemode, action)
    return key


@bp.get("/keys/<key_id>/roll")
def roll_key_form(key_id):
    """Ask when the old key should stop working."""
    key = _key_or_404(key_id, "roll")
    return render_template("dashboard/key_roll.html", key=key, choices=ROLL_CHOICES,
                           status=key.status_at(state().clock.for_account(g.account)))


@bp.post("/keys/<key_id>/roll")
def roll_key(key_id):
    """Roll: the new key (shown once) works now, the old one until the chosen expiry."""
    key = _key_or_404(key_id, "roll")
    try:
        params = KeyRoll().load({"expires_in": request.form.get("expires_in", "")})
        st = state()
        with once(messages.DASHBOARD_KEY_ROLLED_BEFORE, "dashboard.keys", "Back to API keys",
                  made=roll_link):
            issued = key_service.roll_key(g.account, key.id, params["expires_in"],
                                          pepper=st.pepper, clock=st.clock,
                                          source=audit_source())
    except (StripeError, ValidationError) as exc:
        message, _ = error_text(exc)
        body = render_template("dashboard/key_roll.html", key=key, choices=ROLL_CHOICES,
                               status=key.status_at(state().clock.for_account(g.account)),
                               error=message)
        return body, 400
    grace = params["expires_in"]
    when = "has stopped working" if grace == 0 else f"keeps working for {duration(grace)} more"
    return render_keys_page(issued=[issued], issued_title="Your rolled API key",
                            issued_intro=f"The old key {key.redacted} {when}.")


@bp.get("/keys/<key_id>/revoke")
def revoke_key_form(key_id):
    """Ask for confirmation before revoking."""
    return render_template("dashboard/key_revoke.html", key=_key_or_404(key_id, "revoke"))


@bp.post("/keys/<key_id>/revoke")
def revoke_key(key_id):
    """Revoke a key now."""
    key = _key_or_404(key_id, "revoke")
    try:
        key_service.revoke_key(g.account, key.id, clock=state().clock, source=audit_source())
    except StripeError as exc:
        return render_template("dashboard/key_revoke.html", key=key, error=exc.message), 400
    return redirect(url_for("dashboard.keys", done="revoked"), 303)
