"""Connect OAuth with the official ``stripe`` SDK against ``payground_server``: the authorize
URL it builds, a browser approving it, ``stripe.OAuth.token``/``deauthorize`` and their
errors, and ``stripe_account=`` on the API."""

from __future__ import annotations

import pytest
import requests
import stripe

from payground import messages
from tests.oauth_flow import hidden_fields, query_of

PASSWORD = "correct horse battery staple"  # payground_server.signup()'s
CALLBACK = "http://127.0.0.1:9/callback"  # never called: the test reads the redirect itself


@pytest.fixture
def sdk(payground_stripe, payground_server, monkeypatch):
    monkeypatch.setattr(stripe, "connect_api_base", payground_server.url)
    return payground_stripe


@pytest.fixture
def client_id(payground_account, payground_server, monkeypatch):
    r = requests.post(payground_server.url_for("/sandbox/connect"),
                      headers={"Authorization": f"Bearer {payground_account.session}"},
                      json={"name": "Acme Analytics", "redirect_uris": [CALLBACK]}, timeout=30)
    assert r.status_code == 200, r.text
    monkeypatch.setattr(stripe, "client_id", r.json()["client_id"])
    return r.json()["client_id"]


def connect(server, business, url: str, decision: str = "approve") -> str:
    """A browser opening ``url`` (not logged in), logging in, and answering; the redirect."""
    browser = requests.Session()
    r = browser.get(url, allow_redirects=True, timeout=30)
    assert r.url.startswith(server.url_for("/dashboard/login?next=")), r.url
    form = hidden_fields(r.text)
    r = browser.post(server.url_for("/dashboard/login"), timeout=30, data={
        **form, "email": business.email, "password": PASSWORD}, allow_redirects=True)
    assert "Connect Acme Analytics to your account" in r.text, r.text
    form = {**hidden_fields(r.text), "decision": decision}
    r = browser.post(server.url_for("/dashboard/oauth/authorize"), data=form,
                     allow_redirects=False, timeout=30)
    assert r.status_code == 302, r.text
    return r.headers["Location"]


def test_the_whole_flow_with_the_sdk(sdk, payground_server, client_id):
    business = payground_server.signup()
    url = sdk.OAuth.authorize_url(scope="read_write", state="csrf-123")
    assert url.startswith(payground_server.url + "/oauth/authorize?")
    back = connect(payground_server, business, url)
    sent = query_of(back)
    assert back.startswith(CALLBACK) and sent["state"] == "csrf-123"

    token = sdk.OAuth.token(grant_type="authorization_code", code=sent["code"])
    assert (token.stripe_user_id, token.scope, token.livemode) == (business.id, "read_write",
                                                                    False)
    assert token.stripe_publishable_key == business.publishable_key
    charge = sdk.Charge.create(amount=1500, currency="usd", source="tok_visa",
                               stripe_account=token.stripe_user_id)
    assert [c.id for c in sdk.Charge.list(stripe_account=token.stripe_user_id)] == [charge.id]
    assert sdk.Charge.list().data == []  # the platform's own account is untouched
    assert [c.id for c in sdk.Charge.list(api_key=token.access_token)] == [charge.id]

    with pytest.raises(stripe.oauth_error.InvalidGrantError) as reused:
        sdk.OAuth.token(grant_type="authorization_code", code=sent["code"])
    assert reused.value.code == "invalid_grant"
    assert reused.value.user_message == messages.OAUTH_CODE_USED
    with pytest.raises(stripe.AuthenticationError):  # the code's tokens were revoked
        sdk.Charge.list(api_key=token.access_token)


def test_deauthorize_and_its_errors(sdk, payground_server, client_id):
    business = payground_server.signup()
    code = query_of(connect(payground_server, business,
                            sdk.OAuth.authorize_url(scope="read_only")))["code"]
    token = sdk.OAuth.token(grant_type="authorization_code", code=code)
    assert token.access_token.startswith("rk_test_")
    with pytest.raises(stripe.PermissionError) as refused:
        sdk.Customer.create(email="jo@example.com", stripe_account=business.id)
    assert refused.value.user_message == messages.OAUTH_READ_ONLY.format(account=business.id)
    with pytest.raises(stripe.oauth_error.InvalidScopeError):
        sdk.OAuth.token(grant_type="refresh_token", refresh_token=token.refresh_token,
                        scope="read_write")

    done = sdk.OAuth.deauthorize(stripe_user_id=business.id)
    assert done.stripe_user_id == business.id
    with pytest.raises(stripe.oauth_error.InvalidClientError) as again:
        sdk.OAuth.deauthorize(stripe_user_id=business.id)
    assert again.value.user_message == messages.OAUTH_NOT_CONNECTED.format(account=business.id)
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        sdk.OAuth.token(grant_type="refresh_token", refresh_token=token.refresh_token)
    with pytest.raises(stripe.PermissionError):
        sdk.Charge.list(stripe_account=business.id)


def test_denying_sends_access_denied(sdk, payground_server, client_id):
    business = payground_server.signup()
    back = connect(payground_server, business, sdk.OAuth.authorize_url(state="s"), "deny")
    assert query_of(back) == {"error": "access_denied",
                              "error_description": "The user denied your request",
                              "state": "s"}
