"""The fixture's Connect OAuth helpers, as a user's test would use them: a platform's
application, another account connecting to it through the real flow, and disconnecting."""

import pytest
import requests

from payground import messages

CALLBACK = "http://localhost:8000/callback"


def customers(account, key, **headers):
    return account.request("GET", "/v1/customers", key=key, headers=headers).status_code


def test_connect_application_creates_then_updates_it(payground_account):
    platform = payground_account
    made = platform.connect_application([CALLBACK], name="Acme Analytics")
    assert made["client_id"].startswith("ca_")
    assert (made["name"], made["redirect_uris"], made["livemode"]) == (
        "Acme Analytics", [CALLBACK], False)

    renamed = platform.connect_application(name="Acme 2")  # the URIs it has are kept

    assert (renamed["client_id"], renamed["name"], renamed["redirect_uris"]) == (
        made["client_id"], "Acme 2", [CALLBACK])
    assert platform.connect_application()["name"] == "Acme 2"


def test_connect_application_defaults_and_refusals(payground_account, payground_server):
    made = payground_server.signup().connect_application()
    assert (made["name"], made["redirect_uris"]) == ("Payground test app",
                                                     ["http://localhost/callback"])
    with pytest.raises(requests.HTTPError, match=r"-> 400: Invalid redirect URI: it must be an "
                                                 r"absolute http or https URL\."):
        payground_account.connect_application(["ftp://acme.example/cb"])
    with pytest.raises(requests.HTTPError, match="Live mode is not activated"):
        payground_account.connect_application([CALLBACK], livemode=True)


def test_connect_goes_through_the_flow_and_the_token_works(payground_account,
                                                           payground_server):
    platform, business = payground_account, payground_server.signup()
    platform.connect_application([CALLBACK, "https://acme.example/cb"], name="Acme")

    token = business.connect(platform, redirect_uri="https://acme.example/cb", state="s1")

    assert token["access_token"].startswith("sk_test_")
    assert token["refresh_token"].startswith("rt_")
    assert (token["stripe_user_id"], token["scope"], token["livemode"], token["token_type"]) == (
        business.id, "read_write", False, "bearer")
    assert token["stripe_publishable_key"] == business.publishable_key
    made = platform.request("POST", "/v1/customers", data={"email": "jo@example.com"},
                            headers={"Stripe-Account": business.id})
    assert made.status_code == 200, made.text
    listed = business.request("GET", "/v1/customers", key=token["access_token"]).json()
    assert [c["id"] for c in listed["data"]] == [made.json()["id"]]
    # The consent was given in the dashboard, as the business's owner gives it.
    audit = business.request("GET", "/sandbox/audit", key=business.session,
                             params={"type": "oauth.authorized"}).json()["data"]
    assert [e["data"]["platform"] for e in audit] == [platform.id]


def test_connect_with_a_client_id_and_read_only(payground_account, payground_server):
    platform, business = payground_account, payground_server.signup()
    client_id = platform.connect_application([CALLBACK])["client_id"]

    token = business.connect(client_id, "read_only", platform_key=platform.secret_key)

    assert token["access_token"].startswith("rk_test_") and token["scope"] == "read_only"
    assert customers(business, token["access_token"]) == 200
    assert business.request("POST", "/v1/customers", key=token["access_token"]).status_code == 403
    with pytest.raises(ValueError, match="pass platform_key="):
        business.connect(client_id)


def test_disconnect_by_client_id_or_connection(payground_account, payground_server):
    platform, business = payground_account, payground_server.signup()
    client_id = platform.connect_application([CALLBACK])["client_id"]
    token = business.connect(platform)

    ended = business.disconnect(client_id)

    assert ended["revoked_at"] is not None and ended["application"]["client_id"] == client_id
    assert customers(business, token["access_token"]) == 401
    assert customers(platform, None, **{"Stripe-Account": business.id}) == 403
    with pytest.raises(LookupError, match=f"has no active connection to {client_id}"):
        business.disconnect(client_id)
    with pytest.raises(requests.HTTPError, match=messages.CONNECTION_ALREADY_REVOKED.format(
            connection=ended["id"])):
        business.disconnect(ended["id"])
    again = business.connect(platform)  # a new connection
    assert business.disconnect(client_id)["id"] != ended["id"]
    assert customers(business, again["access_token"]) == 401


def test_refusals_on_the_way_raise_with_the_message(payground_account, payground_server):
    platform = payground_account
    client_id = platform.connect_application([CALLBACK])["client_id"]
    with pytest.raises(requests.HTTPError, match=messages.OAUTH_OWN_APPLICATION):
        platform.connect(platform)
    business = payground_server.signup()
    with pytest.raises(requests.HTTPError, match=r"redirected with invalid_scope"):
        business.connect(platform, scope="everything")
    with pytest.raises(requests.HTTPError, match=r"GET http://127\.0\.0\.1:\d+/oauth/authorize"
                                                 r" -> 400: No application matches"):
        business.connect("ca_" + "x" * 32, platform_key=platform.secret_key)
    # Another account's key exchanges nothing; the code is masked in the message.
    with pytest.raises(requests.HTTPError, match=r"/oauth/token -> 400: invalid_grant: "
                                                 r"Authorization code does not exist: "
                                                 r"ac_\w{4}\.\.\.$"):
        business.connect(client_id, platform_key=business.secret_key)


def test_live_mode_needs_both_accounts_activated(payground_account, payground_server):
    platform, business = payground_account, payground_server.signup()
    # Named for the platform, before any request (the server's "this account" would read
    # as the business's).
    with pytest.raises(ValueError, match=f"needs the platform's live secret key: activate "
                                         f"{platform.id}'s live mode with activate_live"):
        business.connect(platform, livemode=True)
    with pytest.raises(ValueError, match=f"the platform {platform.id} has no live-mode "
                                         "application: activate its live mode"):
        business.authorize(platform, livemode=True)
    assert business.request("GET", "/sandbox/connections",
                            key=business.session).json()["data"] == []
    platform.activate_live()
    platform.connect_application([CALLBACK], name="Acme Live", livemode=True)
    with pytest.raises(requests.HTTPError, match="activate"):
        business.connect(platform, livemode=True)
    business.activate_live()

    token = business.connect(platform, livemode=True)

    assert token["access_token"].startswith("sk_live_") and token["livemode"] is True
    assert customers(platform, platform.live_secret_key,
                     **{"Stripe-Account": business.id}) == 200


def test_connect_needs_the_accounts_session(payground_account, payground_server):
    platform, business = payground_account, payground_server.signup()
    business.request("POST", "/sandbox/logout", key=business.session)
    with pytest.raises(requests.HTTPError, match=r"GET http://127\.0\.0\.1:\d+/dashboard/oauth/"
                                                 r"authorize -> 303: the account's session no "
                                                 r"longer works"):
        business.connect(platform)


def test_connect_leaves_the_platforms_application_as_it_is(payground_account,
                                                           payground_server):
    platform = payground_account
    made = platform.connect_application([CALLBACK], name="Acme")
    payground_server.signup().connect(platform)
    payground_server.signup().connect(platform)
    saved = platform.request("GET", "/sandbox/audit", key=platform.session,
                             params={"type": "connect_application.saved"}).json()["data"]
    assert [e["data"]["client_id"] for e in saved] == [made["client_id"]]


def test_connecting_again_read_only_ends_the_read_write_token(payground_account,
                                                              payground_server):
    platform, business = payground_account, payground_server.signup()
    wide = business.connect(platform)

    narrow = business.connect(platform, "read_only")

    assert customers(business, wide["access_token"]) == 401
    assert customers(business, narrow["access_token"]) == 200
    refreshed = platform.request("POST", "/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": wide["refresh_token"]})
    assert (refreshed.status_code, refreshed.json()["error"]) == (400, "invalid_grant")
    assert customers(platform, None, **{"Stripe-Account": business.id}) == 200


def test_authorize_stops_before_the_exchange_for_the_platforms_callback(payground_stripe,
                                                                        payground_account,
                                                                        payground_server):
    platform, business = payground_account, payground_server.signup()
    platform.connect_application([CALLBACK], name="Acme")

    sent = business.authorize(platform, "read_only", state="xyz")

    assert set(sent) == {"url", "code", "scope", "state"}
    assert sent["url"] == f"{CALLBACK}?code={sent['code']}&scope=read_only&state=xyz"
    assert (sent["code"][:3], sent["scope"], sent["state"]) == ("ac_", "read_only", "xyz")
    token = payground_stripe.OAuth.token(grant_type="authorization_code", code=sent["code"])
    assert (token.stripe_user_id, token.scope) == (business.id, "read_only")
    assert "state" not in business.authorize(platform)


def test_a_code_expires_after_five_minutes_of_the_platforms_clock(payground_stripe,
                                                                  payground_account,
                                                                  payground_server):
    import stripe

    platform, business = payground_account, payground_server.signup()
    first = business.authorize(platform)
    business.advance_clock(3600)  # the business's clock does not count
    assert payground_stripe.OAuth.token(grant_type="authorization_code",
                                        code=first["code"]).stripe_user_id == business.id
    second = business.authorize(platform)
    platform.advance_clock(301)
    with pytest.raises(stripe.oauth_error.InvalidGrantError, match="expired"):
        payground_stripe.OAuth.token(grant_type="authorization_code", code=second["code"])


def test_disconnect_a_platform_account_by_mode(payground_account, payground_server):
    platform, business = payground_account, payground_server.signup()
    platform.activate_live()
    business.activate_live()
    test_token = business.connect(platform)
    live_token = business.connect(platform, livemode=True)

    ended = business.disconnect(platform, livemode=True)

    assert (ended["platform"], ended["livemode"], ended["revoked_at"] is None) == (
        platform.id, True, False)
    assert customers(business, live_token["access_token"]) == 401
    assert customers(business, test_token["access_token"]) == 200
    assert business.disconnect(platform)["livemode"] is False
    assert customers(business, test_token["access_token"]) == 401
    with pytest.raises(LookupError, match=f"account {business.id} has no active connection to "
                                          f"{platform.id}'s test-mode application"):
        business.disconnect(platform)
