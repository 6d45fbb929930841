"""OAuth's secrets never leak: authorization codes (``ac_``), refresh tokens (``rt_``) and
access tokens are in no response but the one that gives them, no log, audit event, request
log row or database row, however a client sends them back."""

from __future__ import annotations

import logging

import pytest

from payground.core import keys as keyfmt
from payground.core import oauth as oauthfmt
from tests.api.test_oauth import CALLBACK, authorize_query, exchange
from tests.oauth_flow import Browser, query_of
from tests.test_secrets import database_text, exercise, sandbox_logs


@pytest.mark.parametrize("value", [oauthfmt.new_code(), oauthfmt.new_refresh_token()])
def test_codes_and_refresh_tokens_are_scrubbed_as_keys_are(value):
    shown = value[:7] + "..."
    assert keyfmt.scrub(f"GET /cb?code={value}&state=1") == f"GET /cb?code={shown}&state=1"
    encoded = value[:2] + "%5F" + value[3:]  # percent-encoded, as a URL may carry it
    assert value not in keyfmt.unveiled(keyfmt.scrub(f"/v1/customers/{encoded}"))
    assert keyfmt.scrub(shown) == shown  # what it shows is left as it is
    assert oauthfmt.shown(value) == shown
    assert keyfmt.scrub("acct_1234567890abcdefghij") == "acct_1234567890abcdefghij"


def test_codes_and_tokens_never_reach_logs_or_the_database(app, client, make_account,
                                                           caplog):
    caplog.set_level(logging.DEBUG)
    platform, business = make_account(), make_account()
    application = client.post("/sandbox/connect", headers=platform.session_auth, json={
        "name": "Acme", "redirect_uris": [CALLBACK]}).get_json()
    browser = Browser(app, business.email)
    used = browser.code(authorize_query(application))
    given = exchange(platform, used).get_json()
    unused = browser.code(authorize_query(application, state="second"))
    planted = [used, unused, given["refresh_token"], given["access_token"]]

    outputs = []
    for value in planted:
        for response in exercise(client, value) + [
                exchange(platform, value),
                client.post("/oauth/token", headers=platform.auth(), data={
                    "grant_type": "refresh_token", "refresh_token": value, "scope": value}),
                client.post("/oauth/token", headers=platform.auth(),
                            data={"grant_type": value}),
                client.post("/oauth/token", data={"grant_type": "refresh_token",
                                                  "client_secret": value}),
                client.post("/oauth/deauthorize", headers=platform.auth(), data={
                    "client_id": value, "stripe_user_id": value}),
                client.get(f"/v1/customers/{value}", headers=platform.auth()),
                client.get("/v1/charges", headers={**platform.auth(), "Stripe-Account": value}),
                client.get("/oauth/authorize?" + authorize_query(
                    application, redirect_uri=value)),
                client.get("/oauth/authorize?" + authorize_query(application, scope=value))]:
            assert response.status_code < 500, response.get_data(as_text=True)
            # The authorize link's own refusals go back to the platform: not searched.
            if response.status_code != 302:
                outputs.append(response.get_data(as_text=True))
    logged = sandbox_logs(client, platform) + sandbox_logs(client, business)
    assert any("/v1/customers/ac_" in page for page in logged)  # the requests are logged
    everything = "\n".join(outputs + logged + [caplog.text, database_text(app)])
    for value in planted:
        assert value not in everything
        assert value[7:-4] not in everything


def test_the_redirect_holds_the_code_and_nothing_else_keeps_it(app, client, make_account,
                                                               caplog):
    """The code goes to the platform through the redirect that makes it (OAuth's way); the
    approval's audit event, the logs and the database hold it nowhere."""
    caplog.set_level(logging.DEBUG)
    platform, business = make_account(), make_account()
    application = client.post("/sandbox/connect", headers=platform.session_auth, json={
        "name": "Acme", "redirect_uris": [CALLBACK]}).get_json()
    r = Browser(app, business.email).decide(authorize_query(application))
    code = query_of(r.headers["Location"])["code"]
    everything = "\n".join(sandbox_logs(client, business) + [caplog.text, database_text(app)])
    assert code not in everything and code[7:] not in everything
