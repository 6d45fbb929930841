"""Dashboard pages under odd requests: never a 500 for what a browser can send."""

from __future__ import annotations

import re

import pytest

from payground import messages
from tests.dashboard.conftest import PASSWORD, Dashboard, text


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}


def test_pager_links_keep_a_filter_named_like_url_fors_own_arguments(dash, signed_in, client):
    dash.post("/dashboard/webhooks", {"url": "http://127.0.0.1:9/h", "enabled_events": "*"})
    endpoint = re.search(r"(we_\w+)", dash.get("/dashboard/webhooks").get_data(as_text=True))[1]
    for i in range(27):  # an event each, and a delivery each: more than one page
        client.post("/v1/customers", data={"email": f"c{i}@example.com"},
                    headers={"Authorization": f"Bearer {signed_in.secret_key}"})
    page = dash.get(f"/dashboard/webhooks?endpoint={endpoint}&_external=1")
    assert page.status_code == 200
    links = re.findall(r'href="(/dashboard/webhooks\?[^"]*starting_after[^"]*)"',
                       page.get_data(as_text=True))
    assert links and all(f"endpoint={endpoint}" in link for link in links)
    assert dash.get(links[0].replace("&amp;", "&")).status_code == 200


@pytest.mark.parametrize("make_next", [
    lambda account: "/dashboard/keys\r\nSet-Cookie: x=1",  # no CR/LF in a Location header
    lambda account: "/dashboard/keys\nx",
    lambda account: "/dashboard/keys\tx",
    lambda account: f"/dashboard/{account.secret_key}",  # never echoed in the address bar
], ids=["crlf", "lf", "tab", "key"])
def test_an_unsafe_next_goes_to_the_keys_page(dash, app, make_next):
    account = dash.signup()
    next_path = make_next(account)
    browser = Dashboard(app.test_client())
    r = browser.post("/dashboard/login", {"email": account.email, "password": PASSWORD,
                                          "next": next_path})
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard/keys"
    r = browser.client.get("/dashboard/login", query_string={"next": next_path})
    if "sk_test_" in next_path:  # in the query string: refused before anything reads it
        assert r.status_code == 400 and messages.API_KEY_IN_URL in text(r)
    else:
        assert r.status_code == 302 and r.headers["Location"] == "/dashboard/keys"
    r = browser.post("/dashboard/mode", {"mode": "test", "next": next_path})
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard/keys"


def test_a_failed_transaction_still_gets_the_error_page(dash, signed_in, monkeypatch):
    from payground.models.api_key import ApiKey
    from payground.models.base import db
    from payground.services import keys as key_service

    def broken(*args, **kwargs):
        db.session.add(ApiKey())  # required columns missing: the flush fails
        db.session.flush()

    monkeypatch.setattr(key_service, "create_key", broken)
    r = dash.post("/dashboard/keys", {"type": "secret", "name": "x"})
    assert r.status_code == 500
    assert "Something went wrong" in text(r)
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Cache-Control"] == "no-store"
    assert dash.get("/dashboard/keys").status_code == 200  # and the next page is fine


@pytest.mark.parametrize("method, path, sent, status, message", [
    ("GET", "/dashboard/keys", {}, 400, messages.BAD_HOST),
    ("PUT", "/dashboard/keys", {}, 400, messages.BAD_HOST),  # a method no view takes
    ("GET", "/dashboard/no/such/page", {}, 400, messages.BAD_HOST),
    # Refused before the host is looked at: still no page to draw.
    ("POST", "/dashboard/login", {"data": "x" * 300_000}, 413, messages.REQUEST_TOO_LARGE),
])
def test_a_host_werkzeug_cannot_route_is_refused_at_dashboard_addresses_too(
        app, method, path, sent, status, message):
    """No page can be drawn for it (a page's links need the host that routing refused), so
    the answer is the API's, as at every other address: never a 500."""
    from tests.helpers import assert_error

    client = app.test_client(use_cookies=False)
    r = client.open(path, method=method, headers={"Host": "a" * 64}, **sent)
    assert_error(r, status, message=message)
