"""Connect OAuth under a hostile second reading: answers at /oauth that no view made, two
keys at once, a consent answered after the platform changed its settings, a code exchanged
by eight requests at once, a platform replaying the connected account's idempotency key."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from payground import messages
from tests.api.test_oauth import (CALLBACK, application, authorize_query,  # noqa: F401
                                  browser, business, exchange, oauth_error, platform, tokens)
from tests.helpers import assert_error
from tests.oauth_flow import hidden_fields, query_of


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/oauth/token"), ("PUT", "/oauth/deauthorize"), ("POST", "/oauth/nope"),
    ("GET", "/oauth")])
def test_an_unrouted_oauth_request_answers_in_oauths_shape(platform, method, path):
    r = platform.client.open(path, method=method, headers=platform.auth())
    oauth_error(r, 404, "invalid_request", messages.UNRECOGNIZED_URL.format(method=method,
                                                                            path=path))


def test_an_unexpected_error_at_oauth_answers_in_oauths_shape(platform, monkeypatch):
    from payground.services import oauth

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(oauth, "token", broken)
    r = platform.client.post("/oauth/token", headers=platform.auth(),
                             data={"grant_type": "authorization_code"})
    oauth_error(r, 500, "invalid_request", messages.API_ERROR)


def test_two_different_keys_are_refused_not_one_picked(make_account, platform):
    other = make_account()
    data = {"grant_type": "authorization_code", "client_secret": other.secret_key}
    oauth_error(platform.client.post("/oauth/token", headers=platform.auth(), data=data), 400,
                "invalid_request", messages.OAUTH_TWO_CLIENT_SECRETS)
    oauth_error(platform.client.post("/oauth/deauthorize", headers=platform.auth(), data={
        "client_id": "ca_x", "stripe_user_id": "acct_x", "client_secret": other.secret_key}),
        400, "invalid_request", messages.OAUTH_TWO_CLIENT_SECRETS)
    same = {**data, "client_secret": platform.secret_key}  # the same key twice: no doubt
    oauth_error(platform.client.post("/oauth/token", headers=platform.auth(), data=same), 400,
                "invalid_request", messages.OAUTH_NO_CODE)


def test_the_answer_goes_to_the_redirect_uri_the_page_showed(platform, application, browser):
    page = browser.consent_page(authorize_query(application))  # no redirect_uri: the first
    assert "form-action 'self' http://localhost:8000;" in page.headers[
        "Content-Security-Policy"]
    r = platform.client.post("/sandbox/connect", headers=platform.session_auth, json={
        "name": "Acme Analytics", "redirect_uris": ["https://acme.example/cb", CALLBACK]})
    assert r.status_code == 200, r.get_json()
    form = {**hidden_fields(page.get_data(as_text=True)), "decision": "approve"}
    approved = browser.client.post("/dashboard/oauth/authorize", data=form)
    assert approved.status_code == 302
    assert approved.headers["Location"].startswith(CALLBACK + "?code=ac_")
    code = query_of(approved.headers["Location"])["code"]
    assert exchange(platform, code, redirect_uri=CALLBACK).status_code == 200


def test_eight_exchanges_of_one_code_at_once_give_one_token(app, platform, business,
                                                            application, browser):
    """Exactly one exchange wins; the others are replays, which revoke what it gave (on
    SQLite writers queue, on PostgreSQL the code's row is locked)."""
    code = browser.code(authorize_query(application))
    barrier = threading.Barrier(8)
    results: list = []

    def worker():
        client = app.test_client()
        barrier.wait()
        r = client.post("/oauth/token", headers=platform.auth(),
                        data={"grant_type": "authorization_code", "code": code})
        results.append((r.status_code, r.get_json()))

    pool = [threading.Thread(target=worker) for _ in range(8)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    outcome = Counter((status, body.get("error")) for status, body in results)
    assert outcome[(200, None)] == 1, results
    # A loser is a replay, or (a lock waited for too long) told to retry; never a 500.
    assert outcome[(400, "invalid_grant")] + outcome[(429, "invalid_request")] == 7, results
    (token,) = [body["access_token"] for status, body in results if status == 200]
    keys = business.client.get("/sandbox/keys", headers=business.session_auth).get_json()
    tokens = [k for k in keys["data"] if k["connection"] is not None]
    assert [k["redacted"] for k in tokens] == [f"{token[:8]}...{token[-4:]}"]
    if outcome[(400, "invalid_grant")]:  # a replay revoked it
        assert tokens[0]["status"] == "revoked"


def test_a_platform_never_replays_the_connected_accounts_own_request(platform, business,
                                                                     tokens, client):
    """The account's Idempotency-Key, sent by the platform acting on it, is not a replay of
    the account's request: that one holds its new webhook endpoint's signing secret."""
    body = {"url": "https://business.example/hook", "enabled_events[]": "charge.succeeded"}
    own = client.post("/v1/webhook_endpoints", data=body,
                      headers={**business.auth(), "Idempotency-Key": "wh1"})
    assert own.status_code == 200 and own.get_json()["secret"].startswith("whsec_")
    acting = {**platform.auth(), "Stripe-Account": business.account_id}
    for headers in (acting, platform.auth(tokens["access_token"])):
        r = client.post("/v1/webhook_endpoints", data=body,
                        headers={**headers, "Idempotency-Key": "wh1"})
        # Told the truth: the key is another caller's, not "used with other parameters"
        # (they are the same).
        assert_error(r, 400, type="idempotency_error",
                     message=messages.IDEMPOTENCY_OTHER_CALLER.format(key="wh1"))
        assert own.get_json()["secret"] not in r.get_data(as_text=True)
    # The platform's own retries still replay its own request.
    made = client.post("/v1/customers", data={"email": "jo@example.com"},
                       headers={**acting, "Idempotency-Key": "c1"})
    again = client.post("/v1/customers", data={"email": "jo@example.com"},
                        headers={**acting, "Idempotency-Key": "c1"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == made.get_json()
    # Its access token for the account is the same caller, the platform: a replay too.
    token = client.post("/v1/customers", data={"email": "jo@example.com"},
                        headers={**platform.auth(tokens["access_token"]),
                                 "Idempotency-Key": "c1"})
    assert token.headers["Idempotent-Replayed"] == "true"
    assert token.get_json() == made.get_json()
    # The other way round, the account is told the same; a caller's own key with other
    # parameters still gets Stripe's message for those.
    r = client.post("/v1/customers", data={"email": "jo@example.com"},
                    headers={**business.auth(), "Idempotency-Key": "c1"})
    assert_error(r, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_OTHER_CALLER.format(key="c1"))
    r = client.post("/v1/customers", data={"email": "other@example.com"},
                    headers={**acting, "Idempotency-Key": "c1"})
    assert_error(r, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_MISMATCH.format(key="c1"))
    # Another endpoint too: who sent it is the first thing that differs.
    r = client.post("/v1/charges", data={"amount": 500, "currency": "usd",
                                         "source": "tok_visa"},
                    headers={**business.auth(), "Idempotency-Key": "c1"})
    assert_error(r, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_OTHER_CALLER.format(key="c1"))
    assert len(client.get("/v1/customers", headers=business.auth()).get_json()["data"]) == 1
