"""Sign up, log in, log out (the only pages a logged-out visitor can see)."""

from __future__ import annotations

from flask import abort, current_app, g, make_response, redirect, render_template, request, url_for
from marshmallow import ValidationError

from .. import messages
from ..errors import AuthenticationError, ParameterInvalid, RateLimitError, StripeError
from ..http import login_throttle
from ..http.context import audit_source, state
from ..sandbox.schemas import Credentials
from ..services import accounts
from . import bp, csrf, form_nonces
from .form_nonces import once
from .forms import error_text
from .keys import render_keys_page, roll_link
from .session import end_session, safe_next, set_mode, start_session


@bp.get("")
@bp.get("/")
def home():
    """The dashboard's front page is the keys page."""
    return redirect(url_for("dashboard.keys"))


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Create an account; its test keys are shown once, in a dialog on the keys page.

    The answer holds the keys, so it cannot redirect (Post/Redirect/Get): a page to redirect
    to would have to show them again. Sent again, the form (its one-time nonce) does
    nothing and says why: signed out (a double click), or signed in by its first answer
    (that answer reloaded).
    """
    if g.account is not None:
        if request.method == "POST":
            form_nonces.refuse_if_sent_before(
                request.cookies.get(csrf.PRESESSION_COOKIE), messages.DASHBOARD_SIGNED_UP_BEFORE,
                "dashboard.keys", "Go to API keys", made=roll_link)
        return redirect(url_for("dashboard.keys"))
    email = request.form.get("email", "")
    if request.method != "POST":  # GET, and HEAD (which Flask routes here too: no sign-up)
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
            with once(messages.DASHBOARD_SIGNED_UP_BEFORE, "dashboard.login", "Log in"):
                result = accounts.signup(params["email"], params["password"], pepper=st.pepper,
                                         clock=st.clock,
                                         password_cost=current_app.config["PASSWORD_COST"],
                                         source=audit_source())
    except (StripeError, ValidationError) as exc:
        message, field = error_text(exc)
        return render_template("dashboard/signup.html", email=email, error=message,
                               error_field=field), 400
    login_throttle.came_in(params["email"])  # guesses from elsewhere never lock it out here
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
    """Log in with email and password (throttled per address and per email after repeated
    failures)."""
    next_path = safe_next(request.values.get("next"))
    if g.account is not None:  # or a log-in sent again after it worked: nothing to do
        return redirect(next_path)
    email = request.form.get("email", "")
    page = {"email": email, "next_path": request.values.get("next", "")}
    if request.method != "POST":  # GET, and HEAD (no log-in attempt, no budget used)
        return render_template("dashboard/login.html", email="", next_path=page["next_path"],
                               logged_out=request.args.get("bye") == "1")
    refused = login_throttle.claim()
    if refused is not None:
        body = render_template("dashboard/login.html", **page, error=refused.message,
                               retry_after=refused.wait)
        return body, 429, {"Retry-After": str(refused.wait)}
    try:
        with login_throttle.checking():  # a wrong password counts against address and email
            params = Credentials().load({"email": email,
                                         "password": request.form.get("password", "")})
            login_throttle.claim_email(params["email"])
            result = accounts.login(params["email"], params["password"], clock=state().clock,
                                    password_cost=current_app.config["PASSWORD_COST"])
    except AuthenticationError as exc:
        return render_template("dashboard/login.html", **page, error=exc.message), 401
    except RateLimitError as exc:  # the email's budget: the same page as the address's
        wait = exc.headers["Retry-After"]
        body = render_template("dashboard/login.html", **page, error=exc.message,
                               retry_after=int(wait))
        return body, 429, {"Retry-After": wait}
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
    """End this session (the token stops working at once) and clear the cookies. With
    ``next`` (the consent page's, signed in as the wrong account), the log-in page goes back
    there."""
    accounts.logout(g.session_token)
    wanted = request.form.get("next")
    target = (url_for("dashboard.login", bye=1, next=wanted) if safe_next(wanted) == wanted
              else url_for("dashboard.login", bye=1))
    response = redirect(target, 303)
    end_session(response)
    return response


@bp.route("/<path:rest>", methods=["GET", "POST"])
def not_found(rest):
    """Any other dashboard address: the log-in page when logged out, else a 404 page."""
    abort(404)
