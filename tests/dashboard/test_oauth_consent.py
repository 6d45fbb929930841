"""The Connect OAuth consent page: logging in keeps the authorize request, the page says who
asks for what, and its form is a dashboard form (CSRF token, one-time nonce)."""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest

from payground import messages
from tests.dashboard.conftest import PASSWORD, text
from tests.oauth_flow import form_fields, hidden_fields, query_of

CALLBACK = "http://localhost:8000/callback"


@pytest.fixture
def application(make_account, client):
    platform = make_account()
    r = client.post("/sandbox/connect", headers=platform.session_auth, json={
        "name": "Acme Analytics", "redirect_uris": [CALLBACK]})
    assert r.status_code == 200, r.get_json()
    return {**r.get_json(), "platform": platform.account_id}


def query(application, **extra) -> str:
    return urlencode({"response_type": "code", "client_id": application["client_id"],
                      "redirect_uri": CALLBACK, **extra})


def test_logging_in_comes_back_to_the_consent_page_with_its_query(dash, application):
    email = dash.signup().email
    dash.post("/dashboard/logout")
    wanted = "/dashboard/oauth/authorize?" + query(application, scope="read_write", state="a b")
    r = dash.get(wanted)
    assert (r.status_code, r.headers["Location"]) == (
        303, "/dashboard/login?next=" + quote(wanted, safe="/?"))
    login = dash.get(r.headers["Location"])
    assert hidden_fields(login.get_data(as_text=True))["next"] == wanted
    r = dash.post("/dashboard/login", {"email": email, "password": PASSWORD, "next": wanted})
    assert (r.status_code, r.headers["Location"]) == (303, wanted)
    page = dash.get(wanted)
    assert page.status_code == 200
    body = text(page)
    for shown in ("Acme Analytics", application["client_id"], application["platform"],
                  "Read and write", "Test mode", "http://localhost:8000"):
        assert shown in body
    csp = page.headers["Content-Security-Policy"]
    assert "form-action 'self' http://localhost:8000;" in csp


@pytest.mark.parametrize("scope, access", [
    ("read_only", "Read only: read your data (charges, customers, balance, events ...) and "
                  "your account's details (e-mail address, business name, country ...), "
                  "change nothing"),
    ("read_write", "Read and write: read your data and your account's details (e-mail "
                   "address, business name, country ...), and create charges"),
])
def test_the_page_says_the_account_details_are_shared(dash, signed_in, application, scope,
                                                      access):
    # Any access token reads GET /v1/account (accounts_kyc_basic_read): the business is told.
    page = dash.get("/dashboard/oauth/authorize?" + query(application, scope=scope))
    assert page.status_code == 200
    shown = re.sub(r"<[^>]+>", "", text(page))
    assert access in shown


@pytest.mark.parametrize("next_path, location", [
    ("/oauth/authorize?client_id=ca_x&redirect_uri=https://x.example/cb",
     "/oauth/authorize?client_id=ca_x&redirect_uri=https://x.example/cb"),
    ("/oauth/authorizeX?a=1", "/dashboard/keys"),
    ("/oauth/authorize?state=sk_test_" + "a" * 38, "/dashboard/keys"),
    ("https://evil.example/oauth/authorize?a=1", "/dashboard/keys"),
])
def test_after_log_in_only_the_authorize_pages_keep_a_query(dash, next_path, location):
    email = dash.signup().email
    dash.post("/dashboard/logout")
    r = dash.post("/dashboard/login", {"email": email, "password": PASSWORD, "next": next_path})
    assert (r.status_code, r.headers["Location"]) == (303, location)


def test_the_consent_form_needs_its_csrf_token(dash, signed_in, application):
    page = dash.get("/dashboard/oauth/authorize?" + query(application))
    form = hidden_fields(page.get_data(as_text=True))
    del form["csrf_token"]
    r = dash.post("/dashboard/oauth/authorize", {**form, "decision": "approve"}, csrf=False)
    assert r.status_code == 400 and "Form refused" in text(r)
    assert "Location" not in r.headers


def test_the_consent_form_acts_once(dash, signed_in, application):
    page = dash.get("/dashboard/oauth/authorize?" + query(application, scope="read_only"))
    form = {**hidden_fields(page.get_data(as_text=True)), "decision": "approve"}
    first = dash.client.post("/dashboard/oauth/authorize", data=form)
    again = dash.client.post("/dashboard/oauth/authorize", data=form)
    assert first.status_code == 302 and query_of(first.headers["Location"])["scope"] == "read_only"
    assert again.status_code == 409
    assert messages.DASHBOARD_FORM_ALREADY_SENT.format(
        done=messages.DASHBOARD_CONNECTED_BEFORE) in text(again)


def test_a_form_with_a_tampered_redirect_uri_sends_nothing_there(dash, signed_in, application):
    page = dash.get("/dashboard/oauth/authorize?" + query(application))
    form = {**hidden_fields(page.get_data(as_text=True)), "decision": "approve",
            "redirect_uri": "https://attacker.example/cb"}
    r = dash.client.post("/dashboard/oauth/authorize", data=form)
    assert (r.status_code, r.headers.get("Location")) == (400, None)
    assert messages.OAUTH_BAD_REDIRECT_URI.format(uri="https://attacker.example/cb") in text(r)


def test_signed_in_as_the_platform_the_page_logs_out_and_comes_back(dash, make_account, client):
    """The platform's own account cannot connect: the page offers to log out, and logging in
    as another account comes back to the same consent page, its query intact."""
    platform = make_account()
    r = client.post("/sandbox/connect", headers=platform.session_auth, json={
        "name": "Acme Analytics", "redirect_uris": [CALLBACK]})
    application = r.get_json()
    r = dash.post("/dashboard/login", {"email": platform.email, "password": PASSWORD})
    assert r.status_code == 303
    wanted = "/dashboard/oauth/authorize?" + query(application, state="s t")
    page = dash.get(wanted)
    body = page.get_data(as_text=True)
    assert page.status_code == 400 and messages.OAUTH_OWN_APPLICATION in body
    assert 'value="approve"' not in body
    form = form_fields(body, "/dashboard/logout", "switch-account")
    assert form["next"] == wanted
    assert "Log out, then log in as the account to connect" in body
    r = dash.client.post("/dashboard/logout", data=form)
    assert (r.status_code, r.headers["Location"]) == (
        303, "/dashboard/login?bye=1&next=" + quote(wanted, safe="/?"))
    login = dash.get(r.headers["Location"])
    assert "You are logged out." in text(login)
    assert hidden_fields(login.get_data(as_text=True))["next"] == wanted
    other = make_account()
    r = dash.post("/dashboard/login", {"email": other.email, "password": PASSWORD,
                                       "next": wanted})
    assert (r.status_code, r.headers["Location"]) == (303, wanted)
    page = dash.get(wanted)
    assert page.status_code == 200 and 'value="approve"' in page.get_data(as_text=True)
    assert other.email in text(page)


def test_logging_out_never_sends_the_browser_elsewhere(dash, signed_in):
    r = dash.post("/dashboard/logout", {"next": "https://evil.example/oauth/authorize?a=1"})
    assert (r.status_code, r.headers["Location"]) == (303, "/dashboard/login?bye=1")


def test_logging_out_after_the_session_ended_still_comes_back_to_the_consent_page(
        dash, signed_in, application):
    """The switch-account button pressed once the session has expired (or ended in another
    tab): no session to end, so straight to the log-in page, the consent page as its next;
    not a log-in whose next is /dashboard/logout (a POST-only address: a 405 after log-in)."""
    wanted = "/dashboard/oauth/authorize?" + query(application, state="s")
    page = dash.get(wanted)
    form = {**hidden_fields(page.get_data(as_text=True)), "next": wanted}
    r = dash.post("/dashboard/logout", form)
    assert r.status_code == 303  # the session ends (as in another tab)
    r = dash.client.post("/dashboard/logout", data=form)
    assert (r.status_code, r.headers["Location"]) == (
        303, "/dashboard/login?next=" + quote(wanted, safe="/?"))
    r = dash.client.post("/dashboard/logout", data={"next": "https://evil.example/x"})
    assert (r.status_code, r.headers["Location"]) == (303, "/dashboard/login")


def test_the_log_out_address_is_never_where_log_in_goes(dash, signed_in):
    """/dashboard/logout opened (a GET) while logged out, or given as ``next``: log-in must not
    send the browser there afterwards (POST only: a "no page here" 404 once signed in)."""
    dash.post("/dashboard/logout")
    r = dash.get("/dashboard/logout")
    assert r.status_code == 303
    r = dash.post("/dashboard/login", {"email": signed_in.email, "password": PASSWORD,
                                       "next": "/dashboard/logout"})
    assert (r.status_code, r.headers["Location"]) == (303, "/dashboard/keys")
    r = dash.post("/dashboard/logout", {"next": "/dashboard/logout"})
    assert (r.status_code, r.headers["Location"]) == (303, "/dashboard/login?bye=1")
    r = dash.client.post("/dashboard/logout", data={"next": "/dashboard/logout"})
    assert (r.status_code, r.headers["Location"]) == (303, "/dashboard/login")


def test_asking_for_less_than_the_connection_has_says_what_ends(dash, signed_in, application):
    """Connected with read and write access, a read-only request ends the wider tokens when
    approved (services.oauth.approve): the page says so before Connect is pressed."""
    def page_for(scope):
        return text(dash.get("/dashboard/oauth/authorize?" + query(application, scope=scope)))

    notice = messages.OAUTH_CONSENT_NARROWS.format(name="Acme Analytics")
    assert notice not in page_for("read_only")  # not connected yet
    first = dash.get("/dashboard/oauth/authorize?" + query(application, scope="read_write"))
    r = dash.client.post("/dashboard/oauth/authorize", data={
        **hidden_fields(first.get_data(as_text=True)), "decision": "approve"})
    assert r.status_code == 302

    assert notice in page_for("read_only")
    assert notice not in page_for("read_write")


def test_the_consent_page_shows_the_applications_mode_and_offers_no_mode_switch(
        dash, signed_in, make_account, client, application):
    """The application's mode is the consent's: the dashboard's Test/Live switch (which
    came back to the page without its query: "No application matches ...") is not offered
    there, and the page is shown in the application's mode whatever the dashboard's is."""
    page = dash.get("/dashboard/oauth/authorize?" + query(application))
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="approve"' in body
    assert 'action="/dashboard/mode"' not in body
    assert "Test mode: nothing here moves real money." in body
    # A live application, the dashboard in test mode: the page is a live-mode page.
    assert dash.post("/dashboard/activate", {
        "business_name": "Bloom", "country": "US", "routing_number": "021000021",
        "account_number": "000123456789"}).status_code == 200
    platform = make_account()
    platform.activate()
    live = client.post("/sandbox/connect", headers=platform.session_auth, json={
        "name": "Acme Live", "livemode": True, "redirect_uris": [CALLBACK]}).get_json()
    dash.post("/dashboard/mode", {"mode": "test", "next": "/dashboard/keys"})
    page = dash.get("/dashboard/oauth/authorize?" + query(live))
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="approve"' in body, text(page)
    assert 'action="/dashboard/mode"' not in body
    assert "Test mode: nothing here moves real money." not in body
    assert '<body class="mode-live">' in body


def test_a_consent_form_sent_twice_links_to_the_connected_apps(dash, signed_in, application):
    page = dash.get("/dashboard/oauth/authorize?" + query(application))
    form = {**hidden_fields(page.get_data(as_text=True)), "decision": "approve"}
    assert dash.client.post("/dashboard/oauth/authorize", data=form).status_code == 302
    again = dash.client.post("/dashboard/oauth/authorize", data=form)
    body = again.get_data(as_text=True)
    assert again.status_code == 409
    assert '<a href="/dashboard/connections"' in body and "Go to Connected apps" in body
    assert "Go to API keys" not in body
    assert 'action="/dashboard/mode"' not in body  # it would come back without the query
