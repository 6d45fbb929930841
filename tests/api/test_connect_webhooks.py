"""Connect webhooks: a platform's endpoint created with ``connect=true`` is sent
``account.application.authorized`` / ``.deauthorized`` and the events of the accounts connected
to its application, with ``account`` naming the connected account; and requests made through a
connection are logged in the connected account naming their platform."""

from __future__ import annotations

import pytest
import stripe

from payground import messages
from tests.helpers import assert_error
from tests.oauth_flow import (CALLBACK, Browser, business, platform,  # noqa: F401 (fixtures)
                              register_application)
from tests.webhook_receiver import Receiver



@pytest.fixture
def sent(app):
    def wait():
        assert app.extensions["payground"].webhooks.wait_idle(10), "deliveries still running"
    return wait


@pytest.fixture
def application(platform):
    return register_application(platform)


@pytest.fixture
def receivers():
    """Three loopback endpoints: the platform's Connect one, the platform's own, the
    business's own."""
    with Receiver() as connect, Receiver() as own, Receiver() as business_own:
        yield connect, own, business_own


def endpoint(account, url, events=("*",), key=None, **extra):
    r = account.post("/v1/webhook_endpoints", {"url": url, "enabled_events[]": list(events),
                                               **extra}, key=key)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def connect(app, platform, business, application, scope="read_write") -> dict:
    """``business`` approves the platform's application; the platform exchanges the code."""
    query = f"response_type=code&client_id={application['client_id']}&scope={scope}"
    code = Browser(app, business.email).code(query)
    r = platform.client.post("/oauth/token", headers=platform.auth(),
                             data={"grant_type": "authorization_code", "code": code})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def verified(delivery, secret: str):
    """The delivery as the stripe SDK reads it, once its signature is verified."""
    return stripe.Webhook.construct_event(delivery.body.decode(),
                                          delivery.headers["Stripe-Signature"], secret)


def deliveries(account):
    r = account.client.get("/sandbox/webhook_deliveries", headers=account.session_auth,
                           query_string={"limit": 100})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["data"]


def connection_id(business) -> str:
    listed = business.client.get("/sandbox/connections", headers=business.session_auth)
    return listed.get_json()["data"][0]["id"]


# --- connect=true -------------------------------------------------------------------------------


def test_a_connect_endpoint_needs_the_application_of_its_mode(platform, application):
    plain = endpoint(platform, "http://127.0.0.1:9/own")
    made = endpoint(platform, "http://127.0.0.1:9/connect", connect="true")
    live = platform.post("/v1/webhook_endpoints", {
        "url": "https://example.com/connect", "enabled_events[]": "*", "connect": "true"},
        key=platform.activate())
    # Stripe's field: a Connect endpoint names the application it serves; others null.
    assert (plain["application"], made["application"]) == (None, application["client_id"])
    assert platform.get(f"/v1/webhook_endpoints/{made['id']}").get_json()["application"] == \
        application["client_id"]
    assert_error(live, 400, param="connect", message=messages.WEBHOOK_CONNECT.format(
        mode="live", livemode="true"))
    listed = platform.get("/v1/webhook_endpoints", key=platform.live_secret_key)
    assert listed.get_json()["data"] == []


# --- account.application.authorized / deauthorized ----------------------------------------------


def test_connecting_and_disconnecting_are_sent_to_the_platforms_connect_endpoint(
        app, platform, business, application, receivers, sent, client, make_account):
    connect_hook, own_hook, business_hook = receivers
    secret = endpoint(platform, connect_hook.url, connect="true")["secret"]
    # The application events go to the related application only: not to the platform's own
    # endpoint, nor to the business's, nor to another platform's Connect endpoint.
    endpoint(platform, own_hook.url)
    endpoint(business, business_hook.url)
    with Receiver() as stranger_hook:
        _other_platform(make_account(), stranger_hook.url)
        connect(app, platform, business, application)
        sent()
        assert stranger_hook.received == []
    application_object = {"id": application["client_id"], "object": "application",
                          "name": "Acme Analytics"}

    (authorized,) = connect_hook.received
    event = verified(authorized, secret)
    assert (event.type, event.account, event.livemode) == (
        "account.application.authorized", business.account_id, False)
    assert authorized.event["data"] == {"object": application_object}
    # The event is the connected account's: read through the connection, it is the same.
    shown = platform.get(f"/v1/events/{event.id}",
                         headers={"Stripe-Account": business.account_id}).get_json()
    assert authorized.event == {**shown, "pending_webhooks": 1}
    assert (shown["account"], shown["pending_webhooks"]) == (business.account_id, 0)
    # The business's own read shows its event without ``account`` (Stripe: Connect only).
    own_read = business.get(f"/v1/events/{event.id}").get_json()
    assert "account" not in own_read and own_read["type"] == "account.application.authorized"

    # The business disconnects: account.application.deauthorized, to the same endpoint.
    r = client.post(f"/sandbox/connections/{connection_id(business)}/revoke",
                    headers=business.session_auth)
    assert r.status_code == 200, r.get_json()
    sent()
    deauthorized = verified(connect_hook.received[1], secret)
    assert (deauthorized.type, deauthorized.account) == (
        "account.application.deauthorized", business.account_id)
    assert connect_hook.received[1].event["data"] == {"object": application_object}

    # Connected again, then the platform deauthorizes it: sent too.
    connect(app, platform, business, application, scope="read_only")
    r = client.post("/oauth/deauthorize", headers=platform.auth(), data={
        "client_id": application["client_id"], "stripe_user_id": business.account_id})
    assert r.status_code == 200, r.get_json()
    sent()
    assert [verified(d, secret).type for d in connect_hook.received] == [
        "account.application.authorized", "account.application.deauthorized",
        "account.application.authorized", "account.application.deauthorized"]
    assert {d.event["account"] for d in connect_hook.received} == {business.account_id}
    assert own_hook.received == [] and business_hook.received == []
    # The deliveries are the platform's (its deliveries page), not the business's.
    assert [d["event_type"] for d in deliveries(platform)] == [
        "account.application.deauthorized", "account.application.authorized",
        "account.application.deauthorized", "account.application.authorized"]
    assert deliveries(business) == []


def _other_platform(other, url):
    """``other`` made a platform with a Connect endpoint, to which no one is connected."""
    r = other.client.post("/sandbox/connect", headers=other.session_auth, json={
        "name": "Other", "redirect_uris": [CALLBACK]})
    assert r.status_code == 200, r.get_json()
    endpoint(other, url, connect="true")


# --- the connected account's own events ---------------------------------------------------------


def test_a_connected_accounts_events_reach_the_platform_while_it_is_connected(
        app, platform, business, application, receivers, sent, client):
    connect_hook, own_hook, business_hook = receivers
    secret = endpoint(platform, connect_hook.url, ("customer.created", "charge.succeeded"),
                      connect="true")["secret"]
    endpoint(platform, own_hook.url, ("customer.created",))
    endpoint(business, business_hook.url, ("customer.created",))
    tokens = connect(app, platform, business, application)
    acting = {"Stripe-Account": business.account_id}

    mine = business.post("/v1/customers", {"email": "own@example.com"}).get_json()
    through = platform.post("/v1/customers", {"email": "via@example.com"},
                            headers=acting).get_json()
    charged = platform.post("/v1/charges", {"amount": 500, "currency": "usd",
                                            "source": "tok_visa"},
                            key=tokens["access_token"]).get_json()
    platform.post("/v1/customers", {"email": "platform@example.com"})  # the platform's own
    sent()

    got = [verified(d, secret) for d in connect_hook.received]
    # Made by the business itself, through Stripe-Account, with the access token: all of
    # them (the endpoint did not ask for account.application.authorized).
    assert sorted((e.type, e.account, e.data.object.id) for e in got) == sorted([
        ("customer.created", business.account_id, mine["id"]),
        ("customer.created", business.account_id, through["id"]),
        ("charge.succeeded", business.account_id, charged["id"])])
    # The business's own endpoint has its events as ever, without ``account``.
    assert sorted(d.event["data"]["object"]["id"] for d in business_hook.received) == sorted(
        [mine["id"], through["id"]])
    assert all("account" not in d.event for d in business_hook.received)
    assert [d.event["data"]["object"]["email"] for d in own_hook.received] == [
        "platform@example.com"]

    # Disconnected: its later events are the business's alone.
    client.post(f"/sandbox/connections/{connection_id(business)}/revoke",
                headers=business.session_auth)
    business.post("/v1/customers", {"email": "after@example.com"})
    sent()
    assert len(connect_hook.received) == 3
    assert len(business_hook.received) == 3


def test_only_the_connections_mode_is_sent(app, platform, business, application, sent):
    with Receiver() as hook:
        secret = endpoint(platform, hook.url, ("customer.created",), connect="true")["secret"]
        connect(app, platform, business, application)  # a test-mode connection
        live = business.activate()
        business.post("/v1/customers", {"email": "live@example.com"}, key=live)
        made = business.post("/v1/customers", {"email": "test@example.com"}).get_json()
        sent()
        assert [(verified(d, secret).data.object.id, d.event["livemode"])
                for d in hook.received] == [(made["id"], False)]


def test_a_connect_delivery_is_retried_on_the_platforms_clock(
        app, platform, business, application, sent):
    with Receiver(answers=[500]) as hook:
        endpoint(platform, hook.url, ("customer.created",), connect="true")
        connect(app, platform, business, application)
        business_now = business.advance_clock(86400)  # the business a day ahead
        business.post("/v1/customers", {"email": "late@example.com"})
        sent()
        (row,) = deliveries(platform)
        # Times of the platform's clock (a day behind the business's), as its retries are.
        assert row["created"] < business_now - 86000
        assert (row["status"], row["attempts"], row["last_response_status"]) == (
            "pending", 1, 500)
        assert row["next_attempt_at"] == row["last_attempt_at"] + 300
        platform.advance_clock(300)
        app.extensions["payground"].webhooks.wake()
        sent()
        assert len(hook.received) == 2
        assert deliveries(platform)[0]["status"] == "succeeded"


def test_a_retry_due_after_the_account_disconnected_is_not_sent(
        app, platform, business, application, sent, client):
    """An event queued while connected, whose retry comes due after the account
    disconnected: the account's data is not sent to a platform whose access has ended (it
    fails, unsent); the deauthorization itself is sent."""
    with Receiver(answers=[500]) as hook:
        endpoint(platform, hook.url, ("customer.created", "account.application.deauthorized"),
                 connect="true")
        connect(app, platform, business, application)
        business.post("/v1/customers", {"email": "jo@example.com"})
        sent()
        assert [d.event["type"] for d in hook.received] == ["customer.created"]  # a 500
        r = client.post(f"/sandbox/connections/{connection_id(business)}/revoke",
                        headers=business.session_auth)
        assert r.status_code == 200, r.get_json()
        sent()
        platform.advance_clock(300)  # the retry comes due
        app.extensions["payground"].webhooks.wake()
        sent()

        assert [d.event["type"] for d in hook.received] == [
            "customer.created", "account.application.deauthorized"]
        retried = next(d for d in deliveries(platform) if d["event_type"] == "customer.created")
        assert (retried["status"], retried["attempts"], retried["last_error"]) == (
            "failed", 1, "account disconnected")


def test_a_retry_of_an_old_connection_is_not_sent_after_the_account_connects_again(
        app, platform, business, application, sent, client):
    """Disconnected, then connected again before the retry is due: the retry belongs to the
    connection that ended (a new approval grants access from then on), so it fails unsent,
    as it would had it come due in between; the new connection's events are sent."""
    with Receiver(answers=[500, 200, 200, 200, 200]) as hook:
        endpoint(platform, hook.url, ("customer.created",), connect="true")
        connect(app, platform, business, application)
        business.post("/v1/customers", {"email": "old@example.com"})
        sent()
        assert len(hook.received) == 1  # answered 500: a retry in 5 minutes
        r = client.post(f"/sandbox/connections/{connection_id(business)}/revoke",
                        headers=business.session_auth)
        assert r.status_code == 200, r.get_json()
        connect(app, platform, business, application)  # approved again
        made = business.post("/v1/customers", {"email": "new@example.com"}).get_json()
        sent()
        platform.advance_clock(300)  # the old event's retry comes due
        app.extensions["payground"].webhooks.wake()
        sent()

        assert [d.event["data"]["object"]["email"] for d in hook.received] == [
            "old@example.com", "new@example.com"]
        assert hook.received[1].event["data"]["object"]["id"] == made["id"]
        rows = sorted((d["status"], d["attempts"], d["last_error"])
                      for d in deliveries(platform))
        assert rows == [("failed", 1, "account disconnected"), ("succeeded", 1, None)]


def test_a_retry_queued_before_deliveries_named_their_connection_goes_while_connected(
        app, platform, business, application, sent, client):
    """A delivery queued before schema version 20 names no connection: its retry is sent if
    the account is connected to the application when it comes due, as it was before."""
    from sqlalchemy import update

    from payground.extensions import db
    from payground.models.webhook import WebhookDelivery

    with Receiver(answers=[500, 200]) as hook:
        endpoint(platform, hook.url, ("customer.created",), connect="true")
        connect(app, platform, business, application)
        business.post("/v1/customers", {"email": "old@example.com"})
        sent()
        with app.app_context():
            db.session.execute(update(WebhookDelivery).where(
                WebhookDelivery.account_id == platform.account_id).values(connection_id=None))
            db.session.commit()
        r = client.post(f"/sandbox/connections/{connection_id(business)}/revoke",
                        headers=business.session_auth)
        assert r.status_code == 200, r.get_json()
        connect(app, platform, business, application)  # approved again
        platform.advance_clock(300)  # the retry comes due
        app.extensions["payground"].webhooks.wake()
        sent()

        assert [d.event["data"]["object"]["email"] for d in hook.received] == [
            "old@example.com", "old@example.com"]
        assert [(d["status"], d["attempts"], d["last_error"])
                for d in deliveries(platform)] == [("succeeded", 2, None)]


# --- the request log -----------------------------------------------------------------------------


def test_requests_through_a_connection_are_logged_naming_the_platform(
        app, platform, business, application, client):
    tokens = connect(app, platform, business, application, scope="read_only")
    acting = {"Stripe-Account": business.account_id}
    through = platform.get("/v1/customers", headers=acting).headers["Request-Id"]
    refused = platform.post("/v1/customers", {"email": "x@example.com"}, headers=acting)
    assert refused.status_code == 403
    with_token = platform.get("/v1/charges", key=tokens["access_token"]).headers["Request-Id"]
    own = business.get("/v1/customers").headers["Request-Id"]
    platform_own = platform.get("/v1/customers").headers["Request-Id"]

    def logged(account, request_id):
        r = client.get(f"/sandbox/requests/{request_id}", headers=account.session_auth)
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    rows = {request_id: logged(business, request_id)
            for request_id in (through, refused.headers["Request-Id"], with_token, own)}
    assert {k: v["platform"] for k, v in rows.items()} == {
        through: platform.account_id, refused.headers["Request-Id"]: platform.account_id,
        with_token: platform.account_id, own: None}
    assert rows[refused.headers["Request-Id"]]["status"] == 403
    assert logged(platform, platform_own)["platform"] is None
    listed = client.get("/sandbox/requests", headers=business.session_auth).get_json()["data"]
    assert {e["id"]: e["platform"] for e in listed} == {k: v["platform"]
                                                        for k, v in rows.items()}
    page = Browser(app, business.email).client.get(f"/dashboard/requests/{through}")
    assert page.status_code == 200
    assert f"<code>{platform.account_id}</code>" in page.get_data(as_text=True)


def test_an_access_token_refused_after_the_disconnection_is_logged_naming_its_platform(
        app, platform, business, application, client):
    """The platform still calling with the token of an ended connection: the account sees
    who it is in its request log, as it did while the token worked."""
    tokens = connect(app, platform, business, application)
    client.post(f"/sandbox/connections/{connection_id(business)}/revoke",
                headers=business.session_auth)

    refused = platform.get("/v1/customers", key=tokens["access_token"])

    assert refused.status_code == 401
    logged = client.get(f"/sandbox/requests/{refused.headers['Request-Id']}",
                        headers=business.session_auth)
    assert logged.status_code == 200, logged.get_json()
    assert (logged.get_json()["status"], logged.get_json()["platform"]) == (
        401, platform.account_id)
