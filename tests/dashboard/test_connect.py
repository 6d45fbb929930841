"""The Connect OAuth pages: Connected apps (disconnecting one ends its tokens at once) and
Connect settings (the platform's application, its authorize link, its connected accounts)."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from payground import messages
from tests.dashboard.conftest import v1
from tests.dashboard.conftest import text as page_text
from tests.oauth_flow import (CALLBACK, hidden_fields, platform,  # noqa: F401 (fixture)
                              query_of, register_application)



def text(response) -> str:
    """The page's text, each tag a space (table cells read apart), spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page_text(response)))


@pytest.fixture
def application(platform):
    return register_application(platform)


def connect(dash, platform, application, scope="read_write", key=None) -> dict:
    """The account signed in to ``dash`` approves ``application``; the platform's token
    response."""
    query = urlencode({"response_type": "code", "client_id": application["client_id"],
                       "scope": scope})
    consent = dash.get(dash.get(f"/oauth/authorize?{query}").headers["Location"])
    assert consent.status_code == 200, text(consent)
    r = dash.client.post("/dashboard/oauth/authorize",
                         data={**hidden_fields(consent.get_data(as_text=True)),
                               "decision": "approve"})
    assert r.status_code == 302, text(r)
    code = query_of(r.headers["Location"])["code"]
    r = platform.client.post("/oauth/token", headers=platform.auth(key), data={
        "grant_type": "authorization_code", "code": code})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def connection_id(dash) -> str:
    (found,) = re.findall(r'data-connection-id="(conn_\w+)"',
                          dash.get("/dashboard/connections").get_data(as_text=True))
    return found


def assert_no_secret(response, *secrets: str) -> None:
    body = response.get_data(as_text=True)
    for secret in secrets:
        assert secret[3:] not in body  # not even without its prefix


# --- Connected apps -------------------------------------------------------------------------


def test_no_connection_explains_oauth(dash, signed_in):
    r = dash.get("/dashboard/connections")
    assert r.status_code == 200
    body = text(r)
    assert "No application is connected to this account in test mode." in body
    assert "See “Connect OAuth (keys vs OAuth)” in Payground’s README" in body
    page = r.get_data(as_text=True)
    assert 'href="/dashboard/connect"' in page
    assert 'href="/dashboard/audit?type=oauth.disconnected"' in page
    assert '<a href="/dashboard/connections" aria-current="page">Connected apps</a>' in page


def test_a_connection_is_listed_without_its_tokens(dash, signed_in, platform, application):
    token = connect(dash, platform, application)
    r = dash.get("/dashboard/connections")
    assert r.status_code == 200
    row = text(r).split("Application (client ID)")[1]
    for shown in ("Acme Analytics", application["client_id"], platform.account_id,
                  "Read and write", "test", "active", "Disconnect Acme Analytics …"):
        assert shown in row, shown
    assert_no_secret(r, token["access_token"], token["refresh_token"])
    # Its access token is on the keys page, where it is disconnected, not rolled or revoked.
    keys = dash.get("/dashboard/keys").get_data(as_text=True)
    conn = connection_id(dash)
    assert f'href="/dashboard/connections/{conn}/disconnect"' in keys
    token_row = keys.split("OAuth: Acme Analytics")[1].split("</tr>")[0]
    assert "/roll" not in token_row and "/revoke" not in token_row


def test_disconnecting_refuses_the_token_at_once(dash, signed_in, platform, application,
                                                 client):
    token = connect(dash, platform, application, scope="read_only")
    assert v1(client, "/v1/customers", token["access_token"]).status_code == 200
    conn = connection_id(dash)

    confirm = dash.get(f"/dashboard/connections/{conn}/disconnect")
    assert confirm.status_code == 200
    assert "Disconnect Acme Analytics?" in text(confirm)
    assert_no_secret(confirm, token["access_token"], token["refresh_token"])
    r = dash.post(f"/dashboard/connections/{conn}/disconnect")

    assert (r.status_code, r.headers["Location"]) == (
        303, "/dashboard/connections?done=disconnected")
    refused = v1(client, "/v1/customers", token["access_token"])
    assert refused.status_code == 401
    assert refused.get_json()["error"]["message"].startswith("Expired API Key provided")
    page = text(dash.get("/dashboard/connections?done=disconnected"))
    assert "Disconnected: its access tokens are refused from the next request on." in page
    assert "revoked" in page and "Disconnect Acme Analytics" not in page
    audit = text(dash.get("/dashboard/audit?type=oauth.disconnected"))
    assert f"connection: {conn}" in audit
    # Done twice: refused, as revoking a key twice is.
    again = dash.post(f"/dashboard/connections/{conn}/disconnect")
    assert again.status_code == 400
    assert messages.CONNECTION_ALREADY_REVOKED.format(connection=conn) in text(again)


def test_disconnect_needs_the_csrf_token(dash, signed_in, platform, application, client):
    token = connect(dash, platform, application)
    conn = connection_id(dash)
    r = dash.post(f"/dashboard/connections/{conn}/disconnect", {"csrf_token": "0" * 64},
                  csrf=False)
    assert r.status_code == 400 and "Form refused" in text(r)
    assert v1(client, "/v1/customers", token["access_token"]).status_code == 200


def test_another_accounts_connection_is_not_found(app, dash, signed_in, platform,
                                                  application):
    from tests.dashboard.conftest import Dashboard

    other = Dashboard(app.test_client())
    other.signup()
    connect(other, platform, application)
    theirs = connection_id(other)
    for r in (dash.get(f"/dashboard/connections/{theirs}/disconnect"),
              dash.post(f"/dashboard/connections/{theirs}/disconnect")):
        assert r.status_code == 404
        assert messages.NO_SUCH.format(noun="connection", id=theirs) in text(r)
    assert "active" in text(other.get("/dashboard/connections"))


def test_a_live_connection_is_disconnected_in_live_mode_only(dash, signed_in, platform):
    platform.activate()
    r = platform.client.post("/sandbox/connect", headers=platform.session_auth, json={
        "name": "Acme Live", "redirect_uris": [CALLBACK], "livemode": True})
    assert r.status_code == 200, r.get_json()
    assert dash.post("/dashboard/activate", {}).status_code == 200
    token = connect(dash, platform, r.get_json(), key=platform.live_secret_key)
    assert token["access_token"].startswith("sk_live_")
    dash.post("/dashboard/mode", {"mode": "live"})
    conn = connection_id(dash)
    dash.post("/dashboard/mode", {"mode": "test"})
    assert "No application is connected" in text(dash.get("/dashboard/connections"))

    r = dash.post(f"/dashboard/connections/{conn}/disconnect")

    assert r.status_code == 400
    assert messages.CONNECTION_OTHER_MODE.format(connection=conn, other="live", mode="test",
                                                 action="disconnect") in text(r)
    dash.post("/dashboard/mode", {"mode": "live"})
    assert dash.post(f"/dashboard/connections/{conn}/disconnect").status_code == 303


# --- Connect settings ---------------------------------------------------------------------


def save(dash, **fields):
    page = dash.get("/dashboard/connect")
    form = {k: v for k, v in hidden_fields(page.get_data(as_text=True)).items()
            if k in ("csrf_token", "form_nonce", "page_mode")}
    return dash.client.post("/dashboard/connect", data={**form, **fields})


def test_creating_and_updating_the_application(app, dash, signed_in, client):
    first = dash.get("/dashboard/connect")
    assert first.status_code == 200
    assert "Create the application" in text(first) and "Client ID" not in text(first)
    assert ('<a href="/dashboard/connect" aria-current="page">Connect settings</a>'
            in first.get_data(as_text=True))

    r = save(dash, name="Acme Analytics", redirect_uris=f"{CALLBACK}\n https://acme.example/cb ")

    assert (r.status_code, r.headers["Location"]) == (303, "/dashboard/connect?done=saved")
    page = dash.get("/dashboard/connect?done=saved")
    (client_id,) = re.findall(r"<code>(ca_\w+)</code>", page.get_data(as_text=True))
    body = text(page)
    assert "Connect settings saved." in body
    for shown in ("Acme Analytics", CALLBACK, "https://acme.example/cb",
                  "No account has connected to Acme Analytics yet."):
        assert shown in body
    link = f"http://localhost/oauth/authorize?response_type=code&client_id={client_id}" \
           "&scope=read_write"
    assert f'<code id="authorize-link">{link.replace("&", "&amp;")}</code>' in \
        page.get_data(as_text=True)
    # The link works: it leads to the consent page.
    assert client.get(link).headers["Location"].startswith("/dashboard/oauth/authorize?")

    assert save(dash, name="Acme 2", redirect_uris=CALLBACK).status_code == 303
    body = text(dash.get("/dashboard/connect"))
    assert client_id in body and "Acme 2" in body and "acme.example" not in body
    audit = text(dash.get("/dashboard/audit?type=connect_application.saved"))
    assert audit.count(f"client_id: {client_id}") == 2

    app.config["PUBLIC_URL"] = "https://pay.example/"
    assert (f"https://pay.example/oauth/authorize?response_type=code&amp;client_id={client_id}"
            in dash.get("/dashboard/connect").get_data(as_text=True))


def sandbox_message(platform, body) -> str:
    r = platform.client.post("/sandbox/connect", headers=platform.session_auth, json=body)
    assert r.status_code == 400
    return r.get_json()["error"]["message"]


@pytest.mark.parametrize("fields, field, body", [
    ({"name": "Acme", "redirect_uris": "ftp://x.example/cb"}, "redirect_uris",
     {"name": "Acme", "redirect_uris": ["ftp://x.example/cb"]}),
    ({"name": "Acme", "redirect_uris": "http://x.example/cb#top"}, "redirect_uris",
     {"name": "Acme", "redirect_uris": ["http://x.example/cb#top"]}),
    ({"name": "Acme", "redirect_uris": " "}, "redirect_uris",
     {"name": "Acme", "redirect_uris": []}),
    ({"name": "Acme", "redirect_uris": "\n".join(f"{CALLBACK}/{i}" for i in range(11))},
     "redirect_uris", {"name": "Acme", "redirect_uris": [f"{CALLBACK}/{i}" for i in range(11)]}),
    ({"name": "", "redirect_uris": CALLBACK}, "name", {"redirect_uris": [CALLBACK]}),
    ({"name": "x" * 201, "redirect_uris": CALLBACK}, "name",
     {"name": "x" * 201, "redirect_uris": [CALLBACK]}),
])
def test_a_refused_form_says_why_next_to_the_field(dash, signed_in, platform, fields, field,
                                                   body):
    message = sandbox_message(platform, body)  # the same validation as the API's

    r = save(dash, **fields)

    assert r.status_code == 400
    page = r.get_data(as_text=True)
    found = re.search(rf'<p class="field-error" id="f-{field}-error">(.*?)</p>', page)
    assert found and page_text(r).count(message) == 1, page
    assert 'aria-invalid="true"' in page
    assert "Create the application" in text(r)  # nothing was saved
    # A refused form spends no nonce: corrected, it is saved.
    assert save(dash, name="Acme", redirect_uris=CALLBACK).status_code == 303


def test_the_form_acts_once_and_in_the_mode_it_showed(dash, signed_in):
    page = dash.get("/dashboard/connect").get_data(as_text=True)
    form = {**hidden_fields(page), "name": "Acme", "redirect_uris": CALLBACK}
    assert dash.client.post("/dashboard/connect", data=form).status_code == 303
    again = dash.client.post("/dashboard/connect", data=form)
    assert again.status_code == 409
    assert messages.DASHBOARD_FORM_ALREADY_SENT.format(
        done=messages.DASHBOARD_CONNECT_SAVED_BEFORE) in text(again)

    dash.post("/dashboard/activate", {})
    dash.post("/dashboard/mode", {"mode": "test"})
    page = dash.get("/dashboard/connect").get_data(as_text=True)  # test mode
    dash.post("/dashboard/mode", {"mode": "live"})
    r = dash.client.post("/dashboard/connect", data={**hidden_fields(page), "name": "Live",
                                                     "redirect_uris": CALLBACK})
    assert r.status_code == 400
    assert messages.DASHBOARD_FORM_OTHER_MODE.format(shown="test", mode="live",
                                                     done="saved") in text(r)
    assert "Create the application" in text(dash.get("/dashboard/connect"))  # live: none
    dash.post("/dashboard/mode", {"mode": "test"})
    assert "Update the application" in text(dash.get("/dashboard/connect"))


def test_the_form_needs_its_csrf_token(dash, signed_in):
    page = dash.get("/dashboard/connect").get_data(as_text=True)
    form = {**hidden_fields(page), "name": "Acme", "redirect_uris": CALLBACK}
    del form["csrf_token"]
    r = dash.client.post("/dashboard/connect", data=form)
    assert r.status_code == 400 and "Form refused" in text(r)
    assert "Create the application" in text(dash.get("/dashboard/connect"))


def test_live_mode_has_its_own_application_with_https_uris(dash, signed_in):
    dash.post("/dashboard/activate", {})
    dash.post("/dashboard/mode", {"mode": "live"})
    r = save(dash, name="Acme", redirect_uris="http://acme.example/cb")
    assert r.status_code == 400
    assert ("Invalid redirect URI: it must use https in live mode (http is allowed only for "
            "127.0.0.1, ::1 and localhost).") in text(r)
    assert save(dash, name="Acme Live", redirect_uris="https://acme.example/cb").status_code == 303
    live = text(dash.get("/dashboard/connect"))
    dash.post("/dashboard/mode", {"mode": "test"})
    assert "Acme Live" in live and "Create the application" in text(dash.get("/dashboard/connect"))


def test_the_platform_sees_the_accounts_connected_to_it(app, dash, signed_in):
    from tests.dashboard.conftest import Dashboard

    save(dash, name="Acme Analytics", redirect_uris=CALLBACK)
    (client_id,) = re.findall(r"<code>(ca_\w+)</code>",
                              dash.get("/dashboard/connect").get_data(as_text=True))
    business = Dashboard(app.test_client())
    business.signup()
    token = connect(business, _SignedIn(dash, signed_in), {"client_id": client_id},
                    scope="read_only")
    page = dash.get("/dashboard/connect")
    row = text(page).split("Account Access Since Status")[1]
    assert token["stripe_user_id"] in row and "Read only" in row and "active" in row
    assert_no_secret(page, token["access_token"], token["refresh_token"])

    business.post(f"/dashboard/connections/{connection_id(business)}/disconnect")
    row = text(dash.get("/dashboard/connect")).split("Account Access Since Status")[1]
    assert token["stripe_user_id"] in row and "revoked" in row and "active" not in row


class _SignedIn:
    """The dashboard's signed-in account as ``connect`` wants a platform: a client and keys."""

    def __init__(self, dash, signed_in):
        self.client = dash.client
        self.secret_key = signed_in.secret_key

    def auth(self, key=None):
        return {"Authorization": f"Bearer {key or self.secret_key}"}


def test_an_applications_name_and_redirect_uris_are_shown_as_text(app, dash, signed_in,
                                                                   platform):
    """A platform names its application (and its redirect URIs) as it likes: every page that
    shows them, the business's and the platform's, shows them as text, never as markup."""
    name = '<script>alert("n")</script>'
    uri = 'http://localhost:8000/cb?x="><script>alert("u")</script>'
    r = platform.client.post("/sandbox/connect", headers=platform.session_auth, json={
        "name": name, "redirect_uris": [uri]})
    assert r.status_code == 200, r.get_json()
    made = r.get_json()
    query = urlencode({"response_type": "code", "client_id": made["client_id"]})
    consent = dash.get(dash.get(f"/oauth/authorize?{query}").headers["Location"])
    assert dash.client.post("/dashboard/oauth/authorize", data={
        **hidden_fields(consent.get_data(as_text=True)), "decision": "approve"}
    ).status_code == 302
    conn = connection_id(dash)
    pages = [consent, dash.get("/dashboard/connections"), dash.get("/dashboard/keys"),
             dash.get(f"/dashboard/connections/{conn}/disconnect"),
             dash.get("/dashboard/audit?type=oauth.authorized")]
    from tests.dashboard.conftest import Dashboard

    owner = Dashboard(app.test_client())
    owner.client.post("/dashboard/login", data={
        "email": platform.email, "password": "correct horse battery",
        "csrf_token": hidden_fields(owner.client.get("/dashboard/login").get_data(
            as_text=True))["csrf_token"]})
    pages.append(owner.get("/dashboard/connect"))
    for page in pages:
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#34;n&#34;)&lt;/script&gt;" in pages[1].get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;u&#34;)" in pages[-1].get_data(as_text=True)
