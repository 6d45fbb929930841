"""The account's settings: the test/live toggle, live-mode activation and the clock."""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import g, make_response, redirect, render_template, request, url_for
from marshmallow import ValidationError

from .. import messages
from ..core.clock import parse_duration
from ..errors import ParameterInvalid, StripeError
from ..http.context import audit_source, state
from ..sandbox.schemas import Activation
from ..services import accounts
from ..services import clock as clock_service
from . import bp
from .form_nonces import once
from .forms import error_text
from .keys import render_keys_page
from .session import safe_next, set_mode
from .switch import carried

ACTIVATION_FIELDS = ("business_name", "country", "routing_number", "account_number")
# The clock page's buttons; anything else is typed as a duration (90m, 2d, 1w).
ADVANCE_CHOICES = (("3600", "Advance 1 hour"), ("86400", "Advance 1 day"))


@bp.post("/mode")
def switch_mode():
    """Show test or live data; live only once live mode is activated."""
    live = request.form.get("mode") == "live"
    if live and not g.account.live_enabled:
        return redirect(url_for("dashboard.activate"), 303)
    # Back to the page it was on, with those of its filters that mean something in the
    # other mode (``switch.carried``); its cursors never: that mode's first page.
    path, _, query = request.form.get("next", "").partition("?")
    target = carried(safe_next(path), parse_qsl(query, keep_blank_values=True), live)
    response = redirect(target, 303)
    set_mode(response, live)
    return response


def sample_details() -> dict[str, str]:
    """Made-up business and bank details (Faker), to fill the activation form."""
    from faker import Faker  # slow to import: only when asked for

    fake = Faker("en_US")
    return {"business_name": fake.company(), "country": "US", "routing_number": fake.aba(),
            "account_number": fake.numerify("#" * 12)}


@bp.get("/activate")
def activate():
    """The activation form ("Fill with sample data" refills it from Faker)."""
    form = sample_details() if request.args.get("sample") == "1" else {}
    return render_template("dashboard/activate.html", form=form)


@bp.post("/activate")
def activate_submit():
    """Turn on live mode; the live keys are shown once, on the live keys page."""
    form = {n: request.form.get(n, "").strip() for n in ACTIVATION_FIELDS}
    details = {n: form[n] for n in ("business_name", "country") if form[n]}
    bank = {n: form[n] for n in ("routing_number", "account_number") if form[n]}
    if bank:
        details["bank_account"] = bank
    try:
        params = Activation().load(details)
        st = state()
        issued = accounts.activate(g.account, params, pepper=st.pepper, clock=st.clock,
                                   source=audit_source())
    except (StripeError, ValidationError) as exc:
        message, field = error_text(exc)
        if getattr(exc, "code", None) == "account_already_activated":
            # The API's message names API calls; here the keys page is one click away.
            message = messages.DASHBOARD_LIVE_ALREADY_ACTIVATED
        return render_template("dashboard/activate.html", form=form, error=message,
                               error_field=field), 400
    g.livemode = True
    response = make_response(render_keys_page(
        issued=list(issued), issued_title="Live mode is on: your live API keys",
        issued_intro="Live mode is activated. Live keys move (simulated) real money: keep "
                     "them on your servers only."))
    set_mode(response, True)
    return response


@bp.get("/clock")
def clock_page():
    """The account's time, and buttons to move it forward."""
    return render_template("dashboard/clock.html", choices=ADVANCE_CHOICES,
                           advanced=request.args.get("done") == "advanced",
                           wall=state().clock.now())


@bp.post("/clock")
def advance_clock():
    """Move this account's clock forward by 1 hour, 1 day or a typed duration."""
    choice = request.form.get("advance", "")
    custom = request.form.get("custom", "").strip()
    try:
        try:
            seconds = parse_duration(custom if choice == "custom" else choice)
        except ValueError:
            raise ParameterInvalid("Type a duration such as 90s, 15m, 2h, 3d or 1w.",
                                   param="custom", code="parameter_invalid") from None
        with once(messages.DASHBOARD_CLOCK_ADVANCED_BEFORE, "dashboard.clock_page",
                "Back to the clock"):
            clock_service.advance_clock(g.account, seconds, clock=state().clock,
                                        source=audit_source())
    except StripeError as exc:
        message, _ = error_text(exc)
        return render_template("dashboard/clock.html", choices=ADVANCE_CHOICES, error=message,
                               custom=custom, wall=state().clock.now()), 400
    return redirect(url_for("dashboard.clock_page", done="advanced"), 303)
