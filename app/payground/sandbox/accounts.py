"""/sandbox/signup, /sandbox/login, /sandbox/logout, /sandbox/account and its activation."""

from __future__ import annotations

from flask import current_app, g

from ..errors import RateLimitError
from ..http import login_throttle
from ..http.context import audit_source, state
from ..http.decorators import request_params
from ..services import accounts
from . import bp
from .auth import session_required
from .keys import key_object
from .schemas import AccountOut, Activation, Credentials

_account_out = AccountOut()


def _signed_in(result, status):
    now = state().clock.for_account(result.account)
    body = {"object": "session", "session": result.session_token,
            "account": _account_out.dump(result.account)}
    if result.keys:
        body["keys"] = {k.key.type: k.secret for k in result.keys}
        body["api_keys"] = [key_object(k.key, now, k.secret) for k in result.keys]
    return body, status


@bp.post("/signup")
def signup():
    """Create an account; the response holds its test keys, shown this once."""
    refused = login_throttle.signup_refusal()  # a taken email counts as a failed log-in
    if refused is not None:
        raise RateLimitError(refused.message, headers={"Retry-After": str(refused.wait)})
    with login_throttle.counting_taken_emails():
        params = Credentials().load(request_params())
        st = state()
        result = accounts.signup(params["email"], params["password"], pepper=st.pepper,
                                 clock=st.clock,
                                 password_cost=current_app.config["PASSWORD_COST"],
                                 source=audit_source())
    login_throttle.came_in(params["email"])  # guesses from elsewhere never lock it out here
    return _signed_in(result, 201)


@bp.post("/login")
def login():
    """Log in; returns a new session token (throttled per address and per email on failures)."""
    refused = login_throttle.claim()
    if refused is not None:
        raise RateLimitError(refused.message, headers={"Retry-After": str(refused.wait)})
    with login_throttle.checking():  # a wrong password counts against address and email
        params = Credentials().load(request_params())
        login_throttle.claim_email(params["email"])
        result = accounts.login(params["email"], params["password"], clock=state().clock,
                                password_cost=current_app.config["PASSWORD_COST"])
    return _signed_in(result, 200)


@bp.post("/logout")
@session_required
def logout():
    """End this session."""
    accounts.logout(g.session_token)
    return {"object": "session", "deleted": True}


@bp.get("/account")
@session_required
def get_account():
    """The signed-in account."""
    return _account_out.dump(g.account)


@bp.post("/account/activate")
@session_required
def activate():
    """Activate live mode; the response holds the live keys, shown this once."""
    params = Activation().load(request_params())
    st = state()
    keys = accounts.activate(g.account, params, pepper=st.pepper, clock=st.clock,
                             source=audit_source())
    now = st.clock.for_account(g.account)
    return {"account": _account_out.dump(g.account),
            "keys": {k.key.type: k.secret for k in keys},
            "api_keys": [key_object(k.key, now, k.secret) for k in keys]}, 201
