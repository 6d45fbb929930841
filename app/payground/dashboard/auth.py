"""Sign up, log in, log out (the only pages a logged-out visitor can see)."""

from __future__ import annotations

from flask import abort, current_app, g, make_response, redirect, render_template, request, url_for
from marshmallow import ValidationError

from ..errors import AuthenticationError, ParameterInvalid, StripeError
from ..http import login_throttle
from ..http.context import audit_source, state
from ..sandbox.schemas import Credentials
from ..services import accounts
from . import bp
from .forms import error_text
from .keys import render_keys_page
from .session import end_session, safe_next, set_mode, start_session


@bp.get("")
@bp.get("/")
def home():
    """The dashboard's front page is the keys page."""
    return redirect(url_for("dashboard.keys"))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Create an account; its test keys are shown once, in a dialog on the keys page."""
    if g.account is not None:
        return redirect(url_for("dashboard.keys"))
    email = request.form.get("email", "")
    if request.method == "GET":
        return render_template("dashboard/signup.html", email="")
    password = request.form.get("password", "")
    refused = login_throttle.signup_refusal()  # a taken email counts as a failed log-in
    if refused is not None:
        body = render_template("dashboard/signup.html", email=email, error=refused.message)
        return body, 429, {"Retry-After": str(refused.wait)}
    try:
        with login_throttle.counting_taken_emails():
            if password != request.form.get("password_confirm", ""):
                raise ParameterInvalid("The two passwords do not match.",
                                       param="password_confirm", code="password_mismatch")
            params = Credentials().load({"email": email, "password": password})
            st = state()
            result = accounts.signup(params["email"], params["password"], pepper=st.pepper,
                                     clock=st.clock,
                                     password_cost=current_app.config["PASSWORD_COST"],
                                     source=audit_source())
    except (StripeError, ValidationError) as exc:
        message, field = error_text(exc)
        return render_template("dashboard/signup.html", email=email, error=message,
                               error_field=field), 400
    g.account, g.session_token, g.livemode = result.account, result.session_token, False
    response = make_response(render_keys_page(
        issued=list(result.keys),
        issued_title="Welcome to Payground: your test API keys",
        issued_intro="Your account is ready. Here are your test-mode keys."))
    start_session(response, result.session_token)
    set_mode(response, False)
    return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with email and password (throttled per address after repeated failures)."""
    next_path = safe_next(request.values.get("next"))
    if g.account is not None:
        return redirect(next_path)
    email = request.form.get("email", "")
    page = {"email": email, "next_path": request.values.get("next", "")}
    if request.method == "GET":
        return render_template("dashboard/login.html", email="", next_path=page["next_path"],
                               logged_out=request.args.get("bye") == "1")
    refused = login_throttle.claim()
    if refused is not None:
        body = render_template("dashboard/login.html", **page, error=refused.message,
                               retry_after=refused.wait)
        return body, 429, {"Retry-After": str(refused.wait)}
    try:
        with login_throttle.checking():  # a wrong password counts against the address
            params = Credentials().load({"email": email,
                                         "password": request.form.get("password", "")})
            result = accounts.login(params["email"], params["password"], clock=state().clock,
                                    password_cost=current_app.config["PASSWORD_COST"])
    except AuthenticationError as exc:
        return render_template("dashboard/login.html", **page, error=exc.message), 401
    except (StripeError, ValidationError) as exc:
        message, field = error_text(exc)
        return render_template("dashboard/login.html", **page, error=message,
                               error_field=field), 400
    response = redirect(next_path, 303)
    start_session(response, result.session_token)
    set_mode(response, False)
    return response


@bp.post("/logout")
def logout():
    """End this session (the token stops working at once) and clear the cookies."""
    accounts.logout(g.session_token)
    response = redirect(url_for("dashboard.login", bye=1), 303)
    end_session(response)
    return response


@bp.route("/<path:rest>", methods=["GET", "POST"])
def not_found(rest):
    """Any other dashboard address: the log-in page when logged out, else a 404 page."""
    abort(404)
