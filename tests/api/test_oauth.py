"""Connect OAuth, in process: the platform's settings, the authorize link, the token and
deauthorize calls with every error they answer, and what an access token reaches."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from payground import messages
from tests.helpers import assert_error
from tests.oauth_flow import (CALLBACK, Browser, business, platform,  # noqa: F401 (fixtures)
                              query_of, register_application)



def oauth_error(response, status: int, error: str, description: str) -> None:
    """Assert OAuth's error shape exactly, with its Request-Id and no caching."""
    assert response.status_code == status, response.get_json()
    assert response.get_json() == {"error": error, "error_description": description}
    assert response.headers["Request-Id"].startswith("req_")
    assert "no-store" in response.headers["Cache-Control"]


@pytest.fixture
def application(platform):
    return register_application(platform, CALLBACK, "https://acme.example/cb")


def authorize_query(application, **extra) -> str:
    params = {"response_type": "code", "client_id": application["client_id"],
              "scope": "read_write", **extra}
    return urlencode({k: v for k, v in params.items() if v is not None})


@pytest.fixture
def browser(app, business):
    return Browser(app, business.email)


def exchange(platform, code, key=None, **extra):
    return platform.client.post("/oauth/token", headers=platform.auth(key), data={
        "grant_type": "authorization_code", "code": code, **extra})


@pytest.fixture
def tokens(platform, application, browser):
    """A read_write connection of ``business`` to the platform's test application."""
    r = exchange(platform, browser.code(authorize_query(application)))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


# --- platform settings ------------------------------------------------------------------------


def test_the_application_is_created_then_updated_keeping_its_client_id(platform, client):
    assert client.get("/sandbox/connect", headers=platform.session_auth).get_json()["data"] == []
    first = client.post("/sandbox/connect", headers=platform.session_auth, json={
        "name": "Acme", "redirect_uris": [CALLBACK]}).get_json()
    second = client.post("/sandbox/connect", headers=platform.session_auth, json={
        "name": "Acme Analytics", "redirect_uris": ["https://acme.example/cb", CALLBACK]})
    listed = client.get("/sandbox/connect", headers=platform.session_auth).get_json()
    assert first["client_id"].startswith("ca_") and len(first["client_id"]) == 35
    assert second.get_json() == {**first, "name": "Acme Analytics",
                                 "redirect_uris": ["https://acme.example/cb", CALLBACK]}
    assert listed["data"] == [second.get_json()]
    assert (first["object"], first["livemode"]) == ("connect_application", False)


@pytest.mark.parametrize(("uris", "param", "message", "code"), [
    ([], "redirect_uris", "Invalid redirect_uris: give 1 to 10 redirect URIs.",
     "parameter_invalid"),
    (["ftp://example.com/cb"], "redirect_uris[0]",
     "Invalid redirect URI: it must be an absolute http or https URL.", "url_invalid"),
    ([CALLBACK, "https://example.com/cb#top"], "redirect_uris[1]",
     "Invalid redirect URI: it must not contain a fragment (#...).", "url_invalid"),
    (["/callback"], "redirect_uris[0]",
     "Invalid redirect URI: it must be an absolute http or https URL.", "url_invalid"),
])
def test_redirect_uris_must_be_absolute_http_urls(platform, client, uris, param, message,
                                                  code):
    r = client.post("/sandbox/connect", headers=platform.session_auth,
                    json={"name": "Acme", "redirect_uris": uris})
    assert_error(r, 400, code=code, param=param, message=message)


def test_an_application_needs_a_name_and_a_session(platform, client):
    r = client.post("/sandbox/connect", headers=platform.session_auth,
                    json={"redirect_uris": [CALLBACK]})
    assert_error(r, 400, code="parameter_missing", param="name",
                 message="Missing required param: name.")
    r = client.post("/sandbox/connect", headers=platform.auth(),
                    json={"name": "Acme", "redirect_uris": [CALLBACK]})
    assert_error(r, 401, message=messages.API_KEY_ON_SANDBOX)


def test_a_live_application_needs_live_mode_and_https_but_for_loopback(platform, client):
    live = {"name": "Acme", "livemode": True, "redirect_uris": ["https://acme.example/cb"]}
    r = client.post("/sandbox/connect", headers=platform.session_auth, json=live)
    assert_error(r, 400, code="account_not_activated", param="livemode",
                 message=messages.LIVE_MODE_NOT_ACTIVATED)
    platform.activate()
    r = client.post("/sandbox/connect", headers=platform.session_auth,
                    json={**live, "redirect_uris": ["http://acme.example/cb"]})
    assert_error(r, 400, code="url_invalid", param="redirect_uris[0]", message=(
        "Invalid redirect URI: it must use https in live mode (http is allowed only for "
        "127.0.0.1, ::1 and localhost)."))
    r = client.post("/sandbox/connect", headers=platform.session_auth, json={
        **live, "redirect_uris": ["http://127.0.0.1:5000/cb", "http://[::1]/cb", CALLBACK]})
    assert r.status_code == 200, r.get_json()
    test = client.post("/sandbox/connect", headers=platform.session_auth, json={
        "name": "Acme", "redirect_uris": [CALLBACK]}).get_json()
    listed = client.get("/sandbox/connect", headers=platform.session_auth).get_json()["data"]
    assert [a["livemode"] for a in listed] == [False, True]
    assert test["client_id"] != r.get_json()["client_id"]


# --- GET /oauth/authorize ---------------------------------------------------------------------


@pytest.mark.parametrize("client_id", [None, "ca_nope", "ca_" + "x" * 32, "acct_123"])
def test_an_unknown_client_gets_an_error_page_never_a_redirect(client, application, client_id):
    query = urlencode({k: v for k, v in {"response_type": "code", "client_id": client_id,
                                         "redirect_uri": CALLBACK}.items() if v})
    r = client.get(f"/oauth/authorize?{query}")
    assert (r.status_code, r.headers.get("Location")) == (400, None)
    assert messages.OAUTH_NO_CLIENT in r.get_data(as_text=True)


def test_an_unregistered_redirect_uri_gets_an_error_page(client, application):
    r = client.get("/oauth/authorize?" + authorize_query(
        application, redirect_uri="https://attacker.example/steal", state="s1"))
    assert (r.status_code, r.headers.get("Location")) == (400, None)
    page = r.get_data(as_text=True).replace("&#39;", "'")
    assert messages.OAUTH_BAD_REDIRECT_URI.format(uri="https://attacker.example/steal") in page
    assert r.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(("extra", "error", "description"), [
    ({"response_type": "token"}, "unsupported_response_type",
     "Only the response_type 'code' is supported, not 'token'."),
    ({"response_type": None}, "invalid_request", messages.OAUTH_NO_RESPONSE_TYPE),
    ({"scope": "admin"}, "invalid_scope", "Invalid scope 'admin': use read_only or read_write."),
])
def test_other_bad_requests_go_back_to_the_platform_with_the_state(client, application, extra,
                                                                   error, description):
    r = client.get("/oauth/authorize?" + authorize_query(application, state="xyz", **extra))
    assert r.status_code == 302
    assert r.headers["Location"].startswith(CALLBACK + "?")
    assert query_of(r.headers["Location"]) == {"error": error, "error_description": description,
                                               "state": "xyz"}


def test_a_good_link_goes_to_the_consent_page_with_its_query(client, application):
    query = authorize_query(application, state="xyz", stripe_landing="login",
                            always_prompt="true", **{"stripe_user[email]": "jo@example.com"})
    r = client.get(f"/oauth/authorize?{query}")
    assert (r.status_code, r.headers["Location"]) == (302, f"/dashboard/oauth/authorize?{query}")


def test_approving_redirects_with_a_code_and_denying_with_access_denied(browser, application):
    approved = browser.decide(authorize_query(application, state="s 1"))
    assert approved.status_code == 302
    sent = query_of(approved.headers["Location"])
    assert approved.headers["Location"].startswith(CALLBACK + "?code=ac_")
    assert set(sent) == {"code", "scope", "state"}
    assert (len(sent["code"]), sent["scope"], sent["state"]) == (35, "read_write", "s 1")
    denied = browser.decide(authorize_query(application), decision="deny")
    assert query_of(denied.headers["Location"]) == {
        "error": "access_denied", "error_description": "The user denied your request"}
    no_state = browser.decide(authorize_query(application, scope=None,
                                              redirect_uri="https://acme.example/cb"))
    assert no_state.headers["Location"].startswith("https://acme.example/cb?code=ac_")
    assert query_of(no_state.headers["Location"])["scope"] == "read_only"


def test_a_platform_cannot_connect_to_its_own_application(app, platform, application):
    page = Browser(app, platform.email).consent_page(authorize_query(application))
    assert page.status_code == 400
    assert messages.OAUTH_OWN_APPLICATION in page.get_data(as_text=True)
    assert 'name="decision"' not in page.get_data(as_text=True)


def test_a_live_application_needs_the_connecting_account_activated(app, platform, business,
                                                                   client):
    platform.activate()
    live = client.post("/sandbox/connect", headers=platform.session_auth, json={
        "name": "Acme", "livemode": True, "redirect_uris": [CALLBACK]}).get_json()
    page = Browser(app, business.email).consent_page(authorize_query(live))
    text = page.get_data(as_text=True)
    assert page.status_code == 400
    assert messages.OAUTH_LIVE_NOT_ACTIVATED.format(name="Acme") in text
    assert 'href="/dashboard/activate"' in text


# --- POST /oauth/token ------------------------------------------------------------------------


def test_the_code_is_exchanged_for_tokens_of_the_connected_account(platform, business, tokens,
                                                                   client):
    assert set(tokens) == {"access_token", "livemode", "refresh_token", "token_type",
                           "stripe_publishable_key", "stripe_user_id", "scope"}
    assert tokens["access_token"].startswith("sk_test_")
    assert tokens["refresh_token"].startswith("rt_") and len(tokens["refresh_token"]) == 43
    assert (tokens["livemode"], tokens["token_type"], tokens["scope"]) == (False, "bearer",
                                                                           "read_write")
    assert tokens["stripe_user_id"] == business.account_id
    assert tokens["stripe_publishable_key"] == business.publishable_key
    made = client.post("/v1/customers", headers=platform.auth(tokens["access_token"]),
                       data={"email": "jo@example.com"}).get_json()
    mine = client.get("/v1/customers", headers=business.auth()).get_json()["data"]
    assert [c["id"] for c in mine] == [made["id"]]


def test_read_only_gives_a_restricted_key_that_only_reads(platform, application, browser,
                                                          client):
    r = exchange(platform, browser.code(authorize_query(application, scope="read_only")))
    token = r.get_json()["access_token"]
    assert token.startswith("rk_test_") and r.get_json()["scope"] == "read_only"
    assert client.get("/v1/charges", headers=platform.auth(token)).status_code == 200
    refused = client.post("/v1/customers", headers=platform.auth(token), data={})
    assert_error(refused, 403, message=messages.MISSING_PERMISSION.format(
        masked=token[:8] + "*" * 34 + token[-4:], account=r.get_json()["stripe_user_id"],
        permission="customer_write"))


def test_a_body_of_digit_named_fields_is_no_500(client):
    # It was decoded as a list, which the token call read as a hash (a 500).
    for body in (b"&&&==&", b"0=authorization_code"):
        oauth_error(client.post("/oauth/token", data=body,
                                content_type="application/x-www-form-urlencoded"), 401,
                    "invalid_client", messages.OAUTH_NO_AUTHENTICATION)


def test_the_token_call_needs_the_platforms_secret_key(platform, business, client, tokens):
    masked = "sk_test_" + "*" * 34
    oauth_error(client.post("/oauth/token", data={"grant_type": "authorization_code"}), 401,
                "invalid_client", messages.OAUTH_NO_AUTHENTICATION)
    bad = "sk_test_" + "a" * 38
    oauth_error(client.post("/oauth/token", headers={"Authorization": f"Bearer {bad}"},
                            data={"grant_type": "authorization_code"}), 401, "invalid_client",
                f"Invalid API Key provided: {bad[:8]}{'*' * 34}{bad[-4:]}")
    r = client.post("/oauth/token", data={"grant_type": "authorization_code",
                                          "client_secret": bad})
    oauth_error(r, 401, "invalid_client", f"Invalid API Key provided: {masked}aaaa")
    pk = platform.publishable_key
    oauth_error(client.post("/oauth/token", headers=platform.auth(pk),
                            data={"grant_type": "authorization_code"}), 401, "invalid_client",
                messages.OAUTH_SECRET_KEY_REQUIRED.format(
                    masked=pk[:8] + "*" * 34 + pk[-4:], kind="publishable"))
    rk = platform.create_key(permissions=["charge_read"])
    oauth_error(client.post("/oauth/token", headers=platform.auth(rk),
                            data={"grant_type": "authorization_code"}), 401, "invalid_client",
                messages.OAUTH_SECRET_KEY_REQUIRED.format(
                    masked=rk[:8] + "*" * 34 + rk[-4:], kind="restricted"))
    token = tokens["access_token"]
    oauth_error(client.post("/oauth/token", headers=platform.auth(token),
                            data={"grant_type": "authorization_code"}), 401, "invalid_client",
                messages.OAUTH_TOKEN_AS_CLIENT.format(masked=token[:8] + "*" * 34 + token[-4:]))
    old = platform.secret_key
    platform.revoke(old)
    oauth_error(client.post("/oauth/token", headers=platform.auth(old),
                            data={"grant_type": "authorization_code"}), 401, "invalid_client",
                messages.EXPIRED_API_KEY.format(masked=old[:8] + "*" * 34 + old[-4:]))
    audit = client.get("/sandbox/audit", headers=platform.session_auth,
                       query_string={"type": "api_key.revoked_used"}).get_json()["data"]
    assert len(audit) == 1


@pytest.mark.parametrize(("data", "status", "error", "description"), [
    ({}, 400, "invalid_request", "No grant type specified"),
    ({"grant_type": "password"}, 400, "unsupported_grant_type", "Unsupported grant type: password"),
    ({"grant_type": "authorization_code"}, 400, "invalid_request",
     "No authorization code provided"),
    ({"grant_type": "authorization_code", "code": "ac_" + "x" * 32}, 400, "invalid_grant",
     "Authorization code does not exist: ac_xxxx..."),
    ({"grant_type": "refresh_token"}, 400, "invalid_request", "No refresh token provided"),
    ({"grant_type": "refresh_token", "refresh_token": "rt_" + "y" * 40}, 400, "invalid_grant",
     "Refresh token does not exist: rt_yyyy..."),
])
def test_token_request_errors(platform, data, status, error, description):
    oauth_error(platform.client.post("/oauth/token", headers=platform.auth(), data=data),
                status, error, description)


def test_a_json_body_works_too(platform, application, browser):
    code = browser.code(authorize_query(application))
    r = platform.client.post("/oauth/token", headers=platform.auth(),
                             json={"grant_type": "authorization_code", "code": code})
    assert r.status_code == 200, r.get_json()


def test_another_platforms_code_does_not_exist_for_it(make_account, application, browser):
    code = browser.code(authorize_query(application))
    other = make_account()
    oauth_error(exchange(other, code), 400, "invalid_grant",
                f"Authorization code does not exist: {code[:7]}...")


def test_a_code_expires_after_five_minutes_on_the_platforms_clock(platform, application,
                                                                  browser):
    code = browser.code(authorize_query(application))
    platform.advance_clock(300)
    oauth_error(exchange(platform, code), 400, "invalid_grant",
                f"Authorization code expired: {code[:7]}...")


def test_a_redirect_uri_given_must_be_the_one_used(platform, application, browser):
    code = browser.code(authorize_query(application))
    oauth_error(exchange(platform, code, redirect_uri="https://acme.example/cb"), 400,
                "invalid_grant", messages.OAUTH_REDIRECT_MISMATCH)
    assert exchange(platform, code, redirect_uri=CALLBACK).status_code == 200


def test_a_code_used_twice_revokes_what_it_gave(platform, business, application, browser,
                                                client):
    code = browser.code(authorize_query(application))
    first = exchange(platform, code).get_json()
    token = first["access_token"]
    assert client.get("/v1/charges", headers=platform.auth(token)).status_code == 200
    refreshed = client.post("/oauth/token", headers=platform.auth(), data={
        "grant_type": "refresh_token", "refresh_token": first["refresh_token"]}).get_json()
    oauth_error(exchange(platform, code), 400, "invalid_grant", messages.OAUTH_CODE_USED)
    for revoked in (token, refreshed["access_token"]):
        assert_error(client.get("/v1/charges", headers=platform.auth(revoked)), 401,
                     code="api_key_expired",
                     message=messages.EXPIRED_API_KEY.format(
                         masked=revoked[:8] + "*" * 34 + revoked[-4:]))
    oauth_error(client.post("/oauth/token", headers=platform.auth(), data={
        "grant_type": "refresh_token", "refresh_token": first["refresh_token"]}), 400,
        "invalid_grant", f"Refresh token does not exist: {first['refresh_token'][:7]}...")
    events = client.get("/sandbox/audit", headers=business.session_auth,
                        query_string={"type": "oauth.code_reused"}).get_json()["data"]
    assert [e["data"]["revoked_keys"] for e in events] == [2]


def test_codes_and_keys_of_the_other_mode_do_not_mix(platform, application, browser, client):
    code = browser.code(authorize_query(application))
    live_key = platform.activate()
    oauth_error(exchange(platform, code, key=live_key), 400, "invalid_grant",
                "Authorization code provided was created in test mode and can not be used "
                "with a live mode key")
    tokens = exchange(platform, code).get_json()
    oauth_error(client.post("/oauth/token", headers=platform.auth(live_key), data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}), 400,
        "invalid_grant", "Refresh token provided was created in test mode and can not be "
                         "used with a live mode key")
    oauth_error(client.post("/oauth/deauthorize", headers=platform.auth(live_key), data={
        "client_id": application["client_id"], "stripe_user_id": tokens["stripe_user_id"]}),
        401, "invalid_client", f"No such application: {application['client_id']}")
    # The test-mode connection is no live one: Stripe-Account with the live key is refused.
    r = client.get("/v1/charges", headers={**platform.auth(live_key),
                                           "Stripe-Account": tokens["stripe_user_id"]})
    assert_error(r, 403, code="account_invalid", message=messages.ACCOUNT_NOT_ACCESSIBLE.format(
        masked=live_key[:8] + "*" * 34 + live_key[-4:], account=tokens["stripe_user_id"]))


def test_a_live_connection_gives_live_tokens(app, platform, business, client):
    platform.activate()
    business.activate()
    live = client.post("/sandbox/connect", headers=platform.session_auth, json={
        "name": "Acme", "livemode": True, "redirect_uris": [CALLBACK]}).get_json()
    code = Browser(app, business.email).code(authorize_query(live))
    tokens = exchange(platform, code, key=platform.live_secret_key).get_json()
    assert tokens["access_token"].startswith("sk_live_") and tokens["livemode"] is True
    assert tokens["stripe_publishable_key"] == business.live_publishable_key
    oauth_error(exchange(platform, code), 400, "invalid_grant",
                "Authorization code provided was created in live mode and can not be used "
                "with a test mode key")


def test_refresh_gives_new_tokens_never_a_wider_scope(platform, application, browser, client):
    code = browser.code(authorize_query(application, scope="read_only"))
    first = exchange(platform, code).get_json()
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    again = client.post("/oauth/token", headers=platform.auth(), data=refresh).get_json()
    assert again["refresh_token"] == first["refresh_token"]
    assert again["access_token"] != first["access_token"]
    assert again["access_token"].startswith("rk_test_")
    for token in (first["access_token"], again["access_token"]):  # earlier ones stay valid
        assert client.get("/v1/charges", headers=platform.auth(token)).status_code == 200
    oauth_error(client.post("/oauth/token", headers=platform.auth(),
                            data={**refresh, "scope": "read_write"}), 400, "invalid_scope",
                "Cannot upgrade the scope of a refresh token from read_only to read_write")
    oauth_error(client.post("/oauth/token", headers=platform.auth(),
                            data={**refresh, "scope": "everything"}), 400, "invalid_scope",
                "Invalid scope 'everything': use read_only or read_write.")


def test_a_narrower_scope_is_fine_and_connecting_again_changes_the_scope(
        platform, application, browser, client, tokens):
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    narrow = client.post("/oauth/token", headers=platform.auth(),
                         data={**refresh, "scope": "read_only"}).get_json()
    assert (narrow["scope"], narrow["access_token"][:8]) == ("read_only", "rk_test_")
    browser.code(authorize_query(application, scope="read_only"))  # the same connection
    connections = client.get("/sandbox/connections",
                             headers={"Authorization": f"Bearer {_session(browser)}"})
    assert [c["scope"] for c in connections.get_json()["data"]] == ["read_only"]
    # Read-only tokens issued before stay valid; the read-write one ended with the narrowing
    # (test_approving_a_narrower_scope_ends_the_wider_tokens).
    assert client.get("/v1/charges", headers=platform.auth(narrow["access_token"])).status_code \
        == 200
    assert client.get("/v1/charges", headers=platform.auth(tokens["access_token"])).status_code \
        == 401


def _refused_token(client, platform, token):
    assert_error(client.get("/v1/charges", headers=platform.auth(token)), 401,
                 code="api_key_expired", message=messages.EXPIRED_API_KEY.format(
                     masked=token[:8] + "*" * 34 + token[-4:]))


def test_approving_a_narrower_scope_ends_the_wider_tokens(platform, business, application,
                                                           browser, client, tokens):
    """The consent page said "Read only": read_write access tokens (sk_) issued before stop at
    once, and so do the refresh tokens and the read_write codes not exchanged yet, which
    could mint more; read-only tokens (rk_) issued before keep working."""
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    wide = client.post("/oauth/token", headers=platform.auth(), data=refresh).get_json()
    narrow = client.post("/oauth/token", headers=platform.auth(),
                         data={**refresh, "scope": "read_only"}).get_json()
    pending = browser.code(authorize_query(application))  # read_write, not exchanged yet

    code = browser.code(authorize_query(application, scope="read_only"))

    for token in (tokens["access_token"], wide["access_token"]):
        _refused_token(client, platform, token)
    assert client.get("/v1/charges", headers=platform.auth(narrow["access_token"])).status_code \
        == 200
    oauth_error(client.post("/oauth/token", headers=platform.auth(), data=refresh), 400,
                "invalid_grant",
                f"Refresh token does not exist: {tokens['refresh_token'][:7]}...")
    oauth_error(exchange(platform, pending), 400, "invalid_grant",
                messages.OAUTH_CODE_NARROWED.format(code=pending[:7] + "...",
                                                    wanted="read_write", granted="read_only"))
    # The read_only code works, and its refresh token mints read-only tokens.
    now = exchange(platform, code).get_json()
    assert (now["scope"], now["access_token"][:8]) == ("read_only", "rk_test_")
    again = client.post("/oauth/token", headers=platform.auth(), data={
        "grant_type": "refresh_token", "refresh_token": now["refresh_token"]}).get_json()
    assert again["access_token"][:8] == "rk_test_"
    events = client.get("/sandbox/audit", headers=business.session_auth,
                        query_string={"type": "oauth.scope_narrowed"}).get_json()["data"]
    connection = client.get("/sandbox/connections",
                            headers=business.session_auth).get_json()["data"][0]["id"]
    assert [e["data"] for e in events] == [{
        "client_id": application["client_id"], "connection": connection,
        "from": "read_write", "scope": "read_only", "revoked_keys": 2,
        "revoked_refresh_tokens": 1}]

    # The same scope again, or a wider one, ends nothing.
    browser.code(authorize_query(application, scope="read_only"))
    wider = exchange(platform, browser.code(authorize_query(application))).get_json()
    for token in (narrow["access_token"], now["access_token"], wider["access_token"]):
        assert client.get("/v1/charges", headers=platform.auth(token)).status_code == 200
    assert len(client.get("/sandbox/audit", headers=business.session_auth, query_string={
        "type": "oauth.scope_narrowed"}).get_json()["data"]) == 1


def _session(browser) -> str:
    cookie = browser.client.get_cookie("payground_session", path="/dashboard")
    return cookie.value


# --- POST /oauth/deauthorize ------------------------------------------------------------------


@pytest.mark.parametrize(("data", "description"), [
    ({}, "No client_id provided"),
    ({"client_id": "ca_x"}, "No stripe_user_id provided"),
])
def test_deauthorize_needs_both_parameters(platform, data, description):
    oauth_error(platform.client.post("/oauth/deauthorize", headers=platform.auth(), data=data),
                400, "invalid_request", description)


def test_deauthorize_errors(make_account, platform, business, application, tokens):
    other = make_account()
    data = {"client_id": application["client_id"], "stripe_user_id": business.account_id}
    oauth_error(other.client.post("/oauth/deauthorize", headers=other.auth(), data=data), 401,
                "invalid_client", f"No such application: {application['client_id']}")
    oauth_error(platform.client.post("/oauth/deauthorize", headers=platform.auth(),
                                     data={**data, "client_id": "ca_unknown"}), 401,
                "invalid_client", "No such application: ca_unknown")
    oauth_error(platform.client.post("/oauth/deauthorize", headers=platform.auth(),
                                     data={**data, "stripe_user_id": other.account_id}), 401,
                "invalid_client", messages.OAUTH_NOT_CONNECTED.format(account=other.account_id))
    oauth_error(platform.client.post("/oauth/deauthorize", data=data), 401, "invalid_client",
                messages.OAUTH_NO_AUTHENTICATION)


def test_deauthorize_ends_the_tokens_at_once(platform, business, application, tokens, client):
    data = {"client_id": application["client_id"], "stripe_user_id": business.account_id}
    r = client.post("/oauth/deauthorize", headers=platform.auth(), data=data)
    assert (r.status_code, r.get_json()) == (200, {"stripe_user_id": business.account_id})
    token = tokens["access_token"]
    assert_error(client.get("/v1/charges", headers=platform.auth(token)), 401,
                 code="api_key_expired", message=messages.EXPIRED_API_KEY.format(
                     masked=token[:8] + "*" * 34 + token[-4:]))
    oauth_error(client.post("/oauth/token", headers=platform.auth(), data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}), 400,
        "invalid_grant", f"Refresh token does not exist: {tokens['refresh_token'][:7]}...")
    oauth_error(client.post("/oauth/deauthorize", headers=platform.auth(), data=data), 401,
                "invalid_client", messages.OAUTH_NOT_CONNECTED.format(account=business.account_id))
    events = client.get("/sandbox/audit", headers=business.session_auth,
                        query_string={"type": "oauth.deauthorized"}).get_json()["data"]
    assert [(e["data"]["client_id"], e["data"]["platform"]) for e in events] == [
        (application["client_id"], platform.account_id)]
    listed = client.get("/sandbox/connections", headers=business.session_auth).get_json()
    assert listed["data"][0]["revoked_at"] is not None


# --- Stripe-Account ---------------------------------------------------------------------------


def test_the_platform_key_acts_on_the_connected_account(platform, business, tokens, client):
    acting = {**platform.auth(), "Stripe-Account": business.account_id}
    made = client.post("/v1/charges", headers={**acting, "Idempotency-Key": "k1"}, data={
        "amount": 1000, "currency": "usd", "source": "tok_visa"})
    assert made.status_code == 200, made.get_json()
    theirs = client.get("/v1/charges", headers=business.auth()).get_json()["data"]
    mine = client.get("/v1/charges", headers=platform.auth()).get_json()["data"]
    assert ([c["id"] for c in theirs], mine) == ([made.get_json()["id"]], [])
    assert client.get(f"/v1/charges/{made.get_json()['id']}", headers=acting).status_code == 200
    log = client.get("/sandbox/requests", headers=business.session_auth).get_json()["data"]
    assert any(row["path"] == "/v1/charges" and row["method"] == "POST" for row in log)
    # Its idempotency keys are the connected account's: the platform's own are apart.
    replay = client.post("/v1/charges", headers={**acting, "Idempotency-Key": "k1"}, data={
        "amount": 1000, "currency": "usd", "source": "tok_visa"})
    assert replay.headers["Idempotent-Replayed"] == "true"


def test_a_read_only_connection_allows_only_reads(platform, business, application, browser,
                                                  client):
    exchange(platform, browser.code(authorize_query(application, scope="read_only")))
    acting = {**platform.auth(), "Stripe-Account": business.account_id}
    assert client.get("/v1/customers", headers=acting).status_code == 200
    r = client.post("/v1/customers", headers=acting, data={"email": "jo@example.com"})
    assert_error(r, 403, message=messages.OAUTH_READ_ONLY.format(account=business.account_id))
    assert client.get("/v1/customers", headers=business.auth()).get_json()["data"] == []


def test_without_a_connection_stripe_account_is_refused_as_before(platform, business,
                                                                   application, client):
    r = client.get("/v1/charges", headers={**platform.auth(),
                                           "Stripe-Account": business.account_id})
    key = platform.secret_key
    assert_error(r, 403, code="account_invalid", message=messages.ACCOUNT_NOT_ACCESSIBLE.format(
        masked=key[:8] + "*" * 34 + key[-4:], account=business.account_id))


def test_a_token_cannot_reach_further_with_stripe_account(make_account, platform, tokens,
                                                          client):
    third = make_account()
    token = tokens["access_token"]
    r = client.get("/v1/charges", headers={**platform.auth(token),
                                           "Stripe-Account": third.account_id})
    assert_error(r, 403, code="account_invalid", message=messages.ACCOUNT_NOT_ACCESSIBLE.format(
        masked=token[:8] + "*" * 34 + token[-4:], account=third.account_id))


def test_a_publishable_key_reaches_only_publishable_routes(platform, business, tokens, client):
    acting = {**platform.auth(platform.publishable_key), "Stripe-Account": business.account_id}
    made = client.post("/v1/tokens", headers=acting, data={"card[number]": "4242424242424242",
                                                          "card[exp_month]": "12",
                                                          "card[exp_year]": "2040",
                                                          "card[cvc]": "123"})
    assert made.status_code == 200, made.get_json()
    assert_error(client.get("/v1/charges", headers=acting), 401, code="secret_key_required",
                 message=messages.SECRET_KEY_REQUIRED)


# --- the connected account's side -------------------------------------------------------------


def test_connections_are_listed_and_revoked_by_the_connected_account(
        platform, business, application, tokens, client):
    listed = client.get("/sandbox/connections", headers=business.session_auth).get_json()
    (connection,) = listed["data"]
    assert connection == {
        "object": "connection", "id": connection["id"], "platform": platform.account_id,
        "application": {"client_id": application["client_id"], "name": "Acme Analytics"},
        "scope": "read_write", "livemode": False, "created": connection["created"],
        "revoked_at": None}
    assert connection["id"].startswith("conn_")
    assert client.get("/sandbox/connections", headers=platform.session_auth,
                      ).get_json()["data"] == []
    assert client.get("/sandbox/connections?livemode=true", headers=business.session_auth,
                      ).get_json()["data"] == []
    path = f"/sandbox/connections/{connection['id']}/revoke"
    assert_error(client.post(path, headers=platform.session_auth), 404,
                 code="resource_missing", param="id",
                 message=f"No such connection: '{connection['id']}'")
    revoked = client.post(path, headers=business.session_auth)
    assert revoked.status_code == 200 and revoked.get_json()["revoked_at"] is not None
    token = tokens["access_token"]
    assert_error(client.get("/v1/charges", headers=platform.auth(token)), 401,
                 code="api_key_expired", message=messages.EXPIRED_API_KEY.format(
                     masked=token[:8] + "*" * 34 + token[-4:]))
    r = client.get("/v1/charges", headers={**platform.auth(),
                                           "Stripe-Account": business.account_id})
    assert r.status_code == 403
    assert_error(client.post(path, headers=business.session_auth), 400,
                 code="connection_revoked", param="id",
                 message=f"Connection {connection['id']} is already revoked.")
    events = client.get("/sandbox/audit", headers=business.session_auth,
                        query_string={"type": "oauth.disconnected"}).get_json()["data"]
    assert len(events) == 1


def test_tokens_are_listed_with_their_connection_and_managed_only_through_it(
        business, tokens, client):
    keys = client.get("/sandbox/keys", headers=business.session_auth).get_json()["data"]
    token = tokens["access_token"]
    (listed,) = [k for k in keys if k["redacted"] == f"{token[:8]}...{token[-4:]}"]
    connection = client.get("/sandbox/connections",
                            headers=business.session_auth).get_json()["data"][0]["id"]
    assert (listed["connection"], listed["name"]) == (connection, "OAuth: Acme Analytics")
    assert [k["connection"] for k in keys if k["id"] != listed["id"]] == [None, None]
    message = messages.OAUTH_TOKEN_NOT_MANAGED_HERE.format(key=listed["redacted"],
                                                           connection=connection)
    for action, body in (("roll", {"expires_in": 0}), ("revoke", None)):
        r = client.post(f"/sandbox/keys/{listed['id']}/{action}", headers=business.session_auth,
                        json=body)
        assert_error(r, 400, code="api_key_oauth_token", param="id", message=message)
    assert client.get("/v1/charges", headers=business.auth(token)).status_code == 200


def test_the_authorization_is_audited_in_the_connected_account(business, platform,
                                                               application, tokens, client):
    events = client.get("/sandbox/audit", headers=business.session_auth,
                        query_string={"type": "oauth.authorized"}).get_json()["data"]
    assert [(e["data"]["client_id"], e["data"]["scope"], e["livemode"]) for e in events] == [
        (application["client_id"], "read_write", False)]
    saved = client.get("/sandbox/audit", headers=platform.session_auth, query_string={
        "type": "connect_application.saved"}).get_json()["data"]
    assert [e["data"]["client_id"] for e in saved] == [application["client_id"]]


def test_widening_again_after_narrowing_revives_nothing_the_narrowing_ended(
        platform, business, application, browser, client, tokens):
    """read_write, read_only, then read_write again: the new code's sk_ token works, and what
    the narrowing ended (the first sk_ token, its refresh token, a read_write code issued
    before it and not exchanged) stays ended."""
    pending = browser.code(authorize_query(application))  # read_write, not exchanged yet
    browser.code(authorize_query(application, scope="read_only"))
    wider = exchange(platform, browser.code(authorize_query(application))).get_json()

    assert (wider["scope"], wider["access_token"][:8]) == ("read_write", "sk_test_")
    assert client.get("/v1/charges", headers=platform.auth(wider["access_token"])).status_code \
        == 200
    _refused_token(client, platform, tokens["access_token"])
    oauth_error(client.post("/oauth/token", headers=platform.auth(), data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}), 400,
        "invalid_grant", f"Refresh token does not exist: {tokens['refresh_token'][:7]}...")
    oauth_error(exchange(platform, pending), 400, "invalid_grant",
                messages.OAUTH_CODE_NARROWED.format(code=pending[:7] + "...",
                                                    wanted="read_write", granted="read_only"))


def test_a_refresh_token_never_gives_more_than_its_code_did(platform, application, browser,
                                                           client):
    """A refresh token has its code's scope (Stripe: "equal or lesser scope as the refresh
    token"): approving read_write later widens the connection, not the read-only grant."""
    first = exchange(platform, browser.code(authorize_query(application, scope="read_only")))
    first = first.get_json()
    wider = exchange(platform, browser.code(authorize_query(application))).get_json()
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}

    again = client.post("/oauth/token", headers=platform.auth(), data=refresh)

    assert again.status_code == 200, again.get_json()
    assert (again.get_json()["scope"], again.get_json()["access_token"][:8]) == (
        "read_only", "rk_test_")
    oauth_error(client.post("/oauth/token", headers=platform.auth(),
                            data={**refresh, "scope": "read_write"}), 400, "invalid_scope",
                "Cannot upgrade the scope of a refresh token from read_only to read_write")
    wide = client.post("/oauth/token", headers=platform.auth(), data={
        "grant_type": "refresh_token", "refresh_token": wider["refresh_token"]}).get_json()
    assert (wide["scope"], wide["access_token"][:8]) == ("read_write", "sk_test_")


def test_a_platform_key_s_ip_allowlist_holds_at_the_token_endpoint(platform, client):
    """A secret key that works only from some addresses works only from them at /oauth too."""
    key = platform.create_key("secret", ip_allowlist=["203.0.113.9"])
    body = {"grant_type": "authorization_code", "code": "ac_" + "x" * 32}

    def from_(address):
        return client.post("/oauth/token", headers=platform.auth(key), data=body,
                           environ_base={"REMOTE_ADDR": address})

    oauth_error(from_("198.51.100.1"), 403, "invalid_client",
                messages.IP_NOT_ALLOWED.format(address="198.51.100.1"))
    # From the allowed address the key is let in: the made-up code is what is refused.
    oauth_error(from_("203.0.113.9"), 400, "invalid_grant",
                messages.OAUTH_CODE_UNKNOWN.format(code="ac_xxxx..."))
