"""HTTP methods on dashboard addresses: a method no view takes is a 405 page with ``Allow``,
never the API's JSON; ``OPTIONS`` lists the same methods; ``HEAD`` reads a page like ``GET``
and never acts like ``POST``."""

from __future__ import annotations

import pytest

from payground import messages
from tests.dashboard.conftest import PASSWORD, Dashboard, new_email, text
from tests.helpers import assert_error

NOT_ALLOWED = "This page does not accept that kind of request."


def assert_page(response, status: int, title: str, message: str) -> None:
    """A dashboard error page (HTML, with the pages' protective headers), not JSON."""
    page = text(response)
    assert response.status_code == status, page
    assert response.mimetype == "text/html"
    assert f'<h1 id="error-title">{title}</h1>' in page
    assert f'<p class="alert alert-error" role="alert">{message}</p>' in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("method, path, allow", [
    ("PUT", "/dashboard/keys", "GET, HEAD, OPTIONS, POST"),
    ("DELETE", "/dashboard/keys/key_x/roll", "GET, HEAD, OPTIONS, POST"),
    ("PATCH", "/dashboard/webhooks", "GET, HEAD, OPTIONS, POST"),
    ("DELETE", "/dashboard/login", "GET, HEAD, OPTIONS, POST"),
    # Only POST: the catch-all that answers GET with a 404 page does not count as a GET.
    ("DELETE", "/dashboard/logout", "OPTIONS, POST"),
    ("PUT", "/dashboard/mode", "OPTIONS, POST"),
    ("PATCH", "/dashboard", "GET, HEAD, OPTIONS"),
    ("TRACE", "/dashboard/requests", "GET, HEAD, OPTIONS"),
    ("PUT", "/dashboard/static/dashboard/dashboard.js", "GET, HEAD, OPTIONS"),
])
@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_a_method_no_view_takes_is_a_405_page_with_allow(app, method, path, allow,
                                                         signed_in):
    browser = Dashboard(app.test_client())
    if signed_in:
        browser.signup()
    r = browser.client.open(path, method=method)
    assert_page(r, 405, "Not allowed", NOT_ALLOWED)
    assert r.headers["Allow"] == allow


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_an_unknown_dashboard_address_is_a_404_page_whatever_the_method(client, method):
    r = client.open("/dashboard/no/such/page", method=method)
    assert_page(r, 404, "Not found", "There is no dashboard page at this address.")
    assert "Allow" not in r.headers


def test_v1_and_sandbox_keep_stripes_unknown_route_answer(client, account):
    # /v1 as Stripe answers: 404 only to a caller with a valid key, 401 without one.
    unknown = messages.UNRECOGNIZED_URL.format(method="PUT", path="/v1/customers")
    assert_error(account.client.put("/v1/customers", headers=account.auth()), 404,
                 message=unknown)
    assert_error(client.put("/v1/customers"), 401, message=messages.NO_API_KEY)
    r = client.delete("/sandbox/keys", headers=account.session_auth)
    assert_error(r, 404, message=messages.UNRECOGNIZED_URL.format(method="DELETE",
                                                                   path="/sandbox/keys"))
    assert "Allow" not in r.headers


def test_a_key_in_the_url_of_a_method_no_view_takes_is_refused_with_a_page(client, account):
    r = client.put(f"/dashboard/keys?key={account.secret_key}")
    assert_page(r, 400, "Request refused", messages.API_KEY_IN_URL)
    assert account.secret_key[8:] not in r.get_data(as_text=True)


def test_head_reads_the_log_in_and_sign_up_pages_and_never_acts(app, client):
    """Flask routes HEAD to the GET view: the views took "not GET" for a POST, so a HEAD
    with a form body checked a password or signed up and got a session - with no CSRF
    token, which only POSTs are asked for."""
    from sqlalchemy import func, select

    from payground.extensions import db
    from payground.models import Account

    email = new_email()
    for path in ("/dashboard/login", "/dashboard/signup"):
        r = client.head(path, data={"email": email, "password": PASSWORD,
                                    "password_confirm": PASSWORD})
        assert r.status_code == 200 and r.mimetype == "text/html", path
        assert r.get_data() == b"" and "payground_session" not in str(r.headers)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Account).where(
            Account.email == email)).scalar_one() == 0


def _fill(template: str, values: dict[str, str]) -> str:
    """``template`` (a rule, ``/keys/<key_id>/roll``) with its variable parts filled."""
    import re

    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: values[m.group(1)], template)


def _allow_of_every_page(app) -> dict[str, set[str]]:
    """``{address: the methods its views take}`` for an address of every dashboard and
    /sandbox rule: the methods of every rule that matches it, each rule tried on its own
    (a GET page and its POST form share one; ``/sandbox/keys/identify`` is also a key id to
    GET), the catch-all ``not_found`` aside."""
    from werkzeug.routing import Map, Rule

    rules = [rule for rule in app.url_map.iter_rules()
             if rule.rule.startswith(("/dashboard", "/sandbox/"))
             and rule.endpoint != "dashboard.not_found"]
    alone = [(Map([Rule(rule.rule)]).bind("localhost"), rule.methods) for rule in rules]
    allow = {}
    for rule in rules:
        values = {name: "dashboard/dashboard.js" if name == "filename" else f"x_{name}"
                  for name in rule.arguments}
        path = _fill(rule.rule, values)
        allow[path] = {method for adapter, methods in alone if adapter.test(path)
                       for method in methods}
    return allow


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_options_lists_exactly_the_methods_each_page_takes(app, signed_in):
    """Flask's own answer counted the catch-all's GET and POST on every dashboard address:
    ``/dashboard/customers`` seemed to take POST, ``/dashboard/logout`` GET."""
    browser = Dashboard(app.test_client())
    if signed_in:
        browser.signup()
    pages = _allow_of_every_page(app)
    assert len(pages) > 40  # the walk found the routes (dashboard and sandbox)
    for path, methods in pages.items():
        r = browser.client.options(path)
        assert r.status_code == 200, (path, r.status_code)
        if path.startswith("/dashboard"):
            assert r.headers["Allow"] == ", ".join(sorted(methods)), path
        else:  # Flask's answer, in the order of a set
            assert set(r.headers["Allow"].split(", ")) == methods, path
    assert pages["/dashboard/customers"] == {"GET", "HEAD", "OPTIONS"}
    assert pages["/dashboard/logout"] == {"OPTIONS", "POST"}


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_options_at_an_unknown_dashboard_address_is_the_404_page(app, signed_in):
    browser = Dashboard(app.test_client())
    if signed_in:
        browser.signup()
    r = browser.client.options("/dashboard/no/such/page")
    assert_page(r, 404, "Not found", "There is no dashboard page at this address.")
    assert "Allow" not in r.headers
