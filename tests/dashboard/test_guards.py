"""Every dashboard URL: logged-out visitors go to the log-in page; every form needs its token."""

from __future__ import annotations

import pytest

from tests.dashboard.conftest import PASSWORD, Dashboard, new_email, text

PUBLIC = {"dashboard.login", "dashboard.signup", "dashboard.static"}
FORM_REFUSED = ("This form was not sent from a Payground page that is still open in this "
                "browser (its security token is missing or out of date). Reload the page and "
                "try again.")


def dashboard_rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("dashboard.")]


def sample_url(rule) -> str:
    """The rule's path with made-up values for its parameters."""
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<{name}>", f"{name}_x").replace(f"<path:{name}>", "some/where")
    return path


def test_every_dashboard_page_sends_a_logged_out_visitor_to_log_in(app, client):
    checked = 0
    for rule in dashboard_rules(app):
        if rule.endpoint in PUBLIC:
            continue
        url = sample_url(rule)
        for method in sorted(rule.methods & {"GET", "POST"}):
            r = client.open(url, method=method)
            assert r.status_code == 303, (method, url)
            # Log-out has no session to end: on to log in, never back to itself (POST only).
            wanted = ("/dashboard/login" if rule.endpoint == "dashboard.logout"
                      else f"/dashboard/login?next={url}")
            assert r.headers["Location"] == wanted, (method, url)
            checked += 1
    assert checked >= 25
    # And an address no view knows, inside the dashboard: the path only, never its query
    # (a key there would be refused before: test_keys_in_urls.py).
    r = client.get("/dashboard/no/such/page?x=whsec_abcdefgh")
    assert r.headers["Location"] == "/dashboard/login?next=/dashboard/no/such/page"


def test_a_stale_session_cookie_is_cleared(app, client):
    client.set_cookie("payground_session", "sess_not-a-real-session", path="/dashboard")
    r = client.get("/dashboard/keys")
    assert r.status_code == 303
    cleared = [h for h in r.headers.getlist("Set-Cookie") if h.startswith("payground_session=")]
    assert cleared and "payground_session=;" in cleared[0]


def test_a_log_in_sent_with_a_stale_session_cookie_signs_in(app, dash, signed_in):
    # The log-in page opened, then the session in the browser's cookie ended (expired, the
    # server's database reset): the log-in's new cookie must not be cleared right after.
    browser = Dashboard(app.test_client())
    token = browser.token()
    browser.client.set_cookie("payground_session", "sess_not-a-real-session", path="/dashboard")
    r = browser.client.post("/dashboard/login", data={  # no page read first: it would clear
        "email": signed_in.email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard/keys"
    session_cookies = [h for h in r.headers.getlist("Set-Cookie")
                       if h.startswith("payground_session=")]
    assert len(session_cookies) == 1 and session_cookies[0].startswith("payground_session=sess_")
    assert browser.get("/dashboard/keys").status_code == 200


# Sign-up and log-in sent by a browser that is signed in (their answer reloaded) do nothing:
# test_auth.py checks them; signed out, they need their token (below).
SIGNED_OUT_FORMS = {"dashboard.signup", "dashboard.login"}


def post_routes(app):
    for rule in dashboard_rules(app):
        if ("POST" in rule.methods and rule.endpoint != "dashboard.not_found"
                and rule.endpoint not in SIGNED_OUT_FORMS):
            yield rule


def test_every_form_without_a_token_is_refused(app, dash, signed_in):
    key_id = dash.key_id(signed_in.secret_key)
    routes = list(post_routes(app))
    assert len(routes) >= 10
    for rule in routes:
        url = sample_url(rule).replace("key_id_x", key_id)
        for form in ({}, {"csrf_token": ""}, {"csrf_token": "0" * 64}):
            r = dash.post(url, form, csrf=False)
            assert r.status_code == 400, url
            assert FORM_REFUSED in text(r), url
    # Nothing happened: the key is still active, the account still signed in.
    keys_page = dash.get("/dashboard/keys")
    assert keys_page.status_code == 200
    assert "revoked" not in text(keys_page).split("<tbody>")[1].split("</tbody>")[0]


def test_the_logged_out_forms_need_their_token_too(client):
    for url, form in (("/dashboard/signup", {"email": new_email(), "password": PASSWORD,
                                             "password_confirm": PASSWORD}),
                      ("/dashboard/login", {"email": new_email(), "password": PASSWORD})):
        r = client.post(url, data=form)
        assert r.status_code == 400 and FORM_REFUSED in text(r), url


def test_another_sessions_token_is_refused(app, dash, signed_in):
    other = Dashboard(app.test_client())
    other.signup()
    r = dash.post("/dashboard/clock", {"advance": "3600", "csrf_token": other.token()})
    assert r.status_code == 400 and FORM_REFUSED in text(r)
    # A token made before log-in stops working once the session exists.
    browser = Dashboard(app.test_client())
    before = browser.token()
    browser.signup()
    r = browser.post("/dashboard/clock", {"advance": "3600", "csrf_token": before})
    assert r.status_code == 400


@pytest.mark.parametrize("path", ["/dashboard/requests/req_nope", "/dashboard/keys/key_nope/roll",
                                  "/dashboard/keys/key_nope/revoke", "/dashboard/nothing-here"])
def test_missing_things_are_404_pages(dash, signed_in, path):
    r = dash.get(path)
    assert r.status_code == 404
    assert r.mimetype == "text/html"
    assert "<h1 id=\"error-title\">Not found</h1>" in r.get_data(as_text=True)
