"""Events reach webhook endpoints signed as Stripe signs them, and are retried on the
account's clock until the endpoint answers 2xx (or the retries run out)."""

from __future__ import annotations

import base64
import os
import socket
import threading
import time

import pytest
import stripe

from payground import messages
from payground.services.events import API_VERSION
from payground.services.webhook_delivery import RETRY_DELAYS, USER_AGENT
from tests.helpers import assert_error
from tests.webhook_receiver import Receiver

TEST_DELAYS = RETRY_DELAYS[False]


@pytest.fixture
def hook():
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def sent(app):
    """``sent()``: wait until the app's webhook sender has attempted everything due."""
    def wait():
        assert app.extensions["payground"].webhooks.wait_idle(10), "deliveries still running"
    return wait


def endpoint(account, url, events=("*",), key=None):
    r = account.post("/v1/webhook_endpoints", {"url": url, "enabled_events[]": list(events)},
                     key=key)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def charge(account, source="tok_visa", key=None):
    r = account.post("/v1/charges", {"amount": 2000, "currency": "usd", "source": source},
                     key=key)
    assert r.status_code in (200, 402), r.get_json()
    return r.get_json()


def deliveries(account, **filters):
    r = account.client.get("/sandbox/webhook_deliveries", headers=account.session_auth,
                           query_string={"limit": 100, **filters})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["data"]


def event(account, event_id):
    r = account.get(f"/v1/events/{event_id}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_an_event_arrives_signed_and_the_sdk_verifies_it(account, hook, sent):
    secret = endpoint(account, hook.url)["secret"]
    paid = charge(account)
    sent()

    (delivery,) = hook.received
    assert delivery.path == "/hooks/stripe"
    assert delivery.headers["Content-Type"] == "application/json; charset=utf-8"
    assert delivery.headers["User-Agent"] == USER_AGENT
    verified = stripe.Webhook.construct_event(delivery.body.decode(),
                                              delivery.headers["Stripe-Signature"], secret)
    assert (verified.type, verified.data.object.id) == ("charge.succeeded", paid["id"])
    # What was sent is the event as the API shows it; it was pending while being sent.
    shown = event(account, verified.id)
    assert delivery.event == {**shown, "pending_webhooks": 1}
    assert shown["pending_webhooks"] == 0
    (row,) = deliveries(account)
    assert {k: row[k] for k in ("object", "endpoint", "event", "event_type", "status",
                                "attempts", "last_response_status", "next_attempt_at",
                                "last_error")} == {
        "object": "webhook_delivery", "endpoint": row["endpoint"], "event": verified.id,
        "event_type": "charge.succeeded", "status": "succeeded", "attempts": 1,
        "last_response_status": 200, "next_attempt_at": None, "last_error": None}


def test_a_wrong_secret_fails_verification(account, hook, sent):
    endpoint(account, hook.url)
    other_secret = endpoint(account, "https://example.com/other")["secret"]
    charge(account)
    sent()
    (delivery,) = [r for r in hook.received]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery.body.decode(),
                                       delivery.headers["Stripe-Signature"], other_secret)


def test_only_the_enabled_types_are_sent(account, hook, sent):
    endpoint(account, hook.url, events=["customer.created", "charge.failed"])
    charge(account)  # charge.succeeded: not wanted
    customer = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()
    declined = charge(account, source="tok_chargeDeclined")
    sent()
    # In any order: deliveries go out side by side (as Stripe's, order is not promised).
    assert sorted((e["type"], e["data"]["object"]["id"]) for e in hook.events) == [
        ("charge.failed", declined["error"]["charge"]), ("customer.created", customer["id"])]


def test_each_endpoint_gets_its_own_signature(account, sent):
    with Receiver() as first, Receiver() as second:
        secrets = [endpoint(account, r.url)["secret"] for r in (first, second)]
        charge(account)
        sent()
        for receiver, secret in zip((first, second), secrets):
            (delivery,) = receiver.received
            stripe.Webhook.construct_event(delivery.body.decode(),
                                           delivery.headers["Stripe-Signature"], secret)


def test_a_failed_attempt_is_retried_when_the_account_clock_reaches_it(account, sent, wall):
    # `wall`: a clock that stands still, so "one second early" stays one second early.
    with Receiver(answers=[500]) as hook:
        secret = endpoint(account, hook.url)["secret"]
        account.post("/v1/customers", {"email": "jo@example.com"})
        sent()
        (row,) = deliveries(account)
        assert (row["status"], row["attempts"], row["last_response_status"],
                row["last_error"]) == ("pending", 1, 500, "HTTP 500")
        assert row["next_attempt_at"] == row["last_attempt_at"] + TEST_DELAYS[0]
        assert event(account, row["event"])["pending_webhooks"] == 1

        account.advance_clock(TEST_DELAYS[0] - 1)  # not yet
        sent()
        assert len(hook.received) == 1
        account.advance_clock(1)
        sent()

        first, retry = hook.received
        assert first.event["id"] == retry.event["id"] == row["event"]
        stripe.Webhook.construct_event(retry.body.decode(), retry.headers["Stripe-Signature"],
                                       secret)
        (row,) = deliveries(account)
        assert (row["status"], row["attempts"], row["last_response_status"]) == (
            "succeeded", 2, 200)
        assert event(account, row["event"])["pending_webhooks"] == 0


def test_retries_run_out_in_test_mode(account, sent):
    attempts = len(TEST_DELAYS) + 1
    with Receiver(answers=[503] * (attempts + 1)) as hook:
        endpoint(account, hook.url)
        account.post("/v1/customers", {"email": "jo@example.com"})
        sent()
        for delay in TEST_DELAYS:
            account.advance_clock(delay)
            sent()
        (row,) = deliveries(account)
        assert (row["status"], row["attempts"], row["next_attempt_at"]) == (
            "failed", attempts, None)
        account.advance_clock(86400)
        sent()
        assert len(hook.received) == attempts
        assert deliveries(account, status="failed") == [row]
    # Never delivered: Stripe's pending_webhooks counts it still (not only while retrying).
    assert event(account, row["event"])["pending_webhooks"] == 1


def test_an_unreachable_endpoint_is_retried(account, sent):
    with Receiver() as gone:
        url = gone.url  # closed below: nothing listens there any more
    endpoint(account, url)
    account.post("/v1/customers", {"email": "jo@example.com"})
    sent()
    (row,) = deliveries(account)
    assert (row["status"], row["attempts"], row["last_response_status"]) == ("pending", 1, None)
    assert row["last_error"].startswith("ConnectionRefusedError")


def test_a_redirect_is_a_failure(account, sent):
    with Receiver(answers=[302]) as hook:
        endpoint(account, hook.url)
        account.post("/v1/customers", {"email": "jo@example.com"})
        sent()
    (row,) = deliveries(account)
    assert (row["status"], row["last_response_status"]) == ("pending", 302)


def test_disabled_and_deleted_endpoints_are_sent_nothing(account, hook, sent):
    disabled = endpoint(account, hook.url)
    account.post(f"/v1/webhook_endpoints/{disabled['id']}", {"disabled": "true"})
    deleted = endpoint(account, hook.url)
    account.delete(f"/v1/webhook_endpoints/{deleted['id']}")
    charge(account)
    sent()
    assert hook.received == []
    assert deliveries(account) == []


def test_deleting_an_endpoint_cancels_its_retries(account, sent):
    with Receiver(answers=[500, 500]) as hook:
        created = endpoint(account, hook.url)
        account.post("/v1/customers", {"email": "jo@example.com"})
        sent()
        account.delete(f"/v1/webhook_endpoints/{created['id']}")
        account.advance_clock(TEST_DELAYS[0])
        sent()
        assert len(hook.received) == 1
    (row,) = deliveries(account)
    assert (row["status"], row["last_error"], row["next_attempt_at"]) == (
        "failed", "endpoint deleted", None)


def test_a_retry_due_while_the_endpoint_is_disabled_fails_for_good(account, sent):
    with Receiver(answers=[500]) as hook:
        created = endpoint(account, hook.url)
        account.post("/v1/customers", {"email": "jo@example.com"})
        sent()
        account.post(f"/v1/webhook_endpoints/{created['id']}", {"disabled": "true"})
        (row,) = deliveries(account)
        assert (row["status"], row["attempts"]) == ("pending", 1)  # kept until its time
        account.advance_clock(TEST_DELAYS[0])
        sent()
        # Enabled again after the retry's time: the past is not resent (Stripe).
        account.post(f"/v1/webhook_endpoints/{created['id']}", {"disabled": "false"})
        account.advance_clock(TEST_DELAYS[1])
        sent()
        assert len(hook.received) == 1
    (row,) = deliveries(account)
    assert (row["status"], row["attempts"], row["last_error"], row["next_attempt_at"]) == (
        "failed", 1, "endpoint disabled", None)


def test_an_endpoint_enabled_again_before_the_retry_gets_it(account, sent):
    """Stripe: "if you disable and then re-enable a webhook endpoint before Stripe can
    retry, you can still expect to see future retry attempts"."""
    with Receiver(answers=[500]) as hook:
        created = endpoint(account, hook.url)
        account.post("/v1/customers", {"email": "jo@example.com"})
        sent()
        account.post(f"/v1/webhook_endpoints/{created['id']}", {"disabled": "true"})
        account.post(f"/v1/webhook_endpoints/{created['id']}", {"disabled": "false"})
        account.advance_clock(TEST_DELAYS[0])
        sent()
        assert len(hook.received) == 2
        assert hook.received[0].event["id"] == hook.received[1].event["id"]
    (row,) = deliveries(account)
    assert (row["status"], row["attempts"], row["last_response_status"]) == (
        "succeeded", 2, 200)


def test_modes_and_accounts_are_apart(make_account, hook, sent):
    owner, stranger = make_account(), make_account()
    live = owner.activate()
    endpoint(owner, hook.url)  # a test-mode endpoint
    owner.post("/v1/customers", {"email": "live@example.com"}, key=live)
    stranger.post("/v1/customers", {"email": "stranger@example.com"})
    mine = owner.post("/v1/customers", {"email": "test@example.com"}).get_json()
    sent()
    assert [(e["type"], e["livemode"], e["data"]["object"]["id"]) for e in hook.events] == [
        ("customer.created", False, mine["id"])]


@pytest.mark.parametrize("userinfo, credentials", [
    ("hooks:s3cret", b"hooks:s3cret"),
    # A password holding "/", "#" or "@" can only be written percent-encoded in a URL: the
    # receiver gets it as the user wrote it, as from a browser, curl or requests.
    ("shop%40example.com:p%2Fss%23w", b"shop@example.com:p/ss#w"),
])
def test_credentials_in_the_url_are_sent_as_basic_auth(account, hook, sent, userinfo,
                                                       credentials):
    endpoint(account, hook.url.replace("http://", f"http://{userinfo}@"))
    account.post("/v1/customers", {"email": "jo@example.com"})
    sent()
    (delivery,) = hook.received
    assert delivery.headers["Authorization"] == "Basic " + base64.b64encode(
        credentials).decode()


def test_events_list_shows_pending_webhooks(account, sent):
    with Receiver(answers=[500, 500]) as hook:
        endpoint(account, hook.url)
        endpoint(account, hook.url, events=["customer.created"])
        account.post("/v1/customers", {"email": "jo@example.com"})
        sent()
    (listed,) = account.get("/v1/events").get_json()["data"]
    assert listed["pending_webhooks"] == 2


def test_pending_webhooks_counts_every_delivery_that_never_succeeded(account, sent):
    """Stripe: "webhooks that haven't been successfully delivered". Retries that ran out
    count, and so does a delivery stopped by deleting its endpoint, even once the account
    has no endpoint left: the same events delivery_success=false lists."""
    with Receiver(answers=[503] * (len(TEST_DELAYS) + 2)) as broken, Receiver() as fine:
        failing = endpoint(account, broken.url, events=["customer.created"])
        working = endpoint(account, fine.url)
        waiting = endpoint(account, broken.url, events=["customer.updated"])
        cid = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()["id"]
        sent()
        for delay in TEST_DELAYS:
            account.advance_clock(delay)
            sent()
        account.delete(f"/v1/webhook_endpoints/{working['id']}")
        account.post(f"/v1/customers/{cid}", {"name": "Jo"})  # `waiting` answers 503 ...
        sent()
        for gone in (failing, waiting):  # ... and is deleted before a retry
            account.delete(f"/v1/webhook_endpoints/{gone['id']}")
        assert len(fine.received) == 1

    def shown(**filters):
        r = account.get("/v1/events", query_string=filters)
        assert r.status_code == 200, r.get_json()
        return [(e["type"], e["pending_webhooks"]) for e in r.get_json()["data"]]

    assert shown() == [("customer.updated", 1), ("customer.created", 1)]
    assert shown(delivery_success="false") == shown()
    assert shown(delivery_success="true") == []
    assert sorted((row["status"], row["last_error"]) for row in deliveries(account)) == [
        ("failed", "HTTP 503"), ("failed", "endpoint deleted"), ("succeeded", None)]


def test_an_endpoint_s_api_version_labels_the_events_sent_to_it(account, sent):
    """Stripe renders what it sends an endpoint in the endpoint's api_version; Payground has
    one shape per object, but the label says the version asked for (Stripe.net and
    stripe-go refuse an event labelled with another version than theirs)."""
    with Receiver() as pinned, Receiver() as plain:
        r = account.post("/v1/webhook_endpoints", {
            "url": pinned.url, "enabled_events[]": ["customer.created"],
            "api_version": "2024-06-20"})
        assert r.status_code == 200, r.get_json()
        created = r.get_json()
        assert created["api_version"] == "2024-06-20"
        endpoint(account, plain.url, events=["customer.created"])
        account.post("/v1/customers", {"email": "jo@example.com"})
        sent()
        (labelled,), (unlabelled,) = pinned.received, plain.received

    verified = stripe.Webhook.construct_event(labelled.body.decode(),
                                              labelled.headers["Stripe-Signature"],
                                              created["secret"])  # signed as sent
    assert verified.api_version == "2024-06-20"
    assert unlabelled.event["api_version"] == API_VERSION
    assert event(account, verified.id)["api_version"] == API_VERSION  # the API's own view

    def rest(delivery):  # pending_webhooks depends on which delivery was sent first
        return {k: v for k, v in delivery.event.items()
                if k not in ("api_version", "pending_webhooks")}

    assert rest(labelled) == rest(unlabelled)


def test_events_filtered_by_delivery_success(account, sent):
    """Stripe's delivery_success: false lists the events some endpoint is still waiting for
    or never got; true, the others (an event no endpoint wanted included)."""
    with Receiver() as fine, Receiver(answers=[500]) as broken:
        endpoint(account, fine.url, events=["customer.created"])
        failing = endpoint(account, broken.url, events=["customer.updated", "customer.deleted"])
        cid = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()["id"]
        account.post(f"/v1/customers/{cid}", {"name": "Jo"})
        sent()
        account.delete(f"/v1/webhook_endpoints/{failing['id']}")  # pending: failed now
        account.delete(f"/v1/customers/{cid}")  # queued for no endpoint any more
        charge(account)  # no endpoint wants it
        sent()

    def types(value):
        r = account.get("/v1/events", query_string={"delivery_success": value})
        assert r.status_code == 200, r.get_json()
        return [e["type"] for e in r.get_json()["data"]]

    assert types("false") == ["customer.updated"]
    assert types("true") == ["charge.succeeded", "customer.deleted", "customer.created"]
    assert_error(account.get("/v1/events", query_string={"delivery_success": "maybe"}), 400,
                 code="parameter_invalid_boolean", param="delivery_success",
                 message="Invalid boolean: maybe")


def test_a_second_worker_never_sends_the_same_attempt(app, app_config, account, hook, sent):
    """Two apps on one database (two worker processes): each due attempt is sent once."""
    from payground import create_app
    from payground.app import dispose_app

    other = create_app(app_config)
    try:
        endpoint(account, hook.url)
        for n in range(10):
            account.post("/v1/customers", {"email": f"jo{n}@example.com"})
        other.extensions["payground"].webhooks.wake()
        sent()
        assert other.extensions["payground"].webhooks.wait_idle(10)
    finally:
        dispose_app(other)
    ids = [e["id"] for e in hook.events]
    assert len(ids) == len(set(ids)) == 10
    assert {row["status"] for row in deliveries(account)} == {"succeeded"}


def test_an_attempt_is_claimed_by_one_worker_until_its_claim_lapses(app, account, sent):
    from payground.services.webhook_delivery import CLAIM_SECONDS, _claim

    with Receiver(answers=[500]) as hook:
        endpoint(account, hook.url)
        account.post("/v1/customers", {"email": "jo@example.com"})
        sent()
    (row,) = deliveries(account)
    assert row["attempts"] == 1
    wall = app.extensions["payground"].clock.now()
    with app.app_context():
        # A worker that found the row due before the first attempt failed: already made.
        assert _claim(row["id"], 0, wall) is None
        first = _claim(row["id"], 1, wall)
        assert first == wall + CLAIM_SECONDS
        assert _claim(row["id"], 1, wall) is None  # another worker: already being sent
        assert _claim(row["id"], 1, wall + CLAIM_SECONDS - 1) is None
        taken_over = _claim(row["id"], 1, wall + CLAIM_SECONDS + 1)  # its sender died
        assert taken_over is not None and taken_over != first


def test_a_result_is_written_only_under_its_own_claim(app, account, sent):
    """A worker whose claim was taken over (it seemed dead) does not overwrite the result,
    nor count its attempt twice."""
    from payground.models.webhook import WebhookDelivery
    from payground.services.webhook_delivery import CLAIM_SECONDS, _claim, _finish

    with Receiver(answers=[500]) as hook:
        endpoint(account, hook.url)
        account.post("/v1/customers", {"email": "jo@example.com"})
        sent()
    (row,) = deliveries(account)
    wall = app.extensions["payground"].clock.now()
    with app.app_context():
        from payground.extensions import db

        stale = _claim(row["id"], 1, wall)
        fresh = _claim(row["id"], 1, wall + CLAIM_SECONDS + 1)
        delivery = db.session.get(WebhookDelivery, row["id"])
        _finish(delivery, stale, wall, status="succeeded", response=200)
        _finish(delivery, fresh, wall, status="pending", response=503, error="HTTP 503",
                next_attempt_at=wall + 60)
    (row,) = deliveries(account)
    assert (row["status"], row["attempts"], row["last_response_status"]) == ("pending", 2, 503)


def test_a_slow_endpoint_does_not_hold_up_the_others(account, sent):
    """An endpoint that does not answer (a typo'd address that times out, say) keeps one
    sender busy; the other endpoints' deliveries go out meanwhile."""
    release = threading.Event()
    with Receiver(hold=release) as slow, Receiver() as fast:
        endpoint(account, slow.url)  # its delivery is due first
        endpoint(account, fast.url)
        account.post("/v1/customers", {"email": "jo@example.com"})
        assert slow.arrived.wait(10)
        assert fast.arrived.wait(10), "the fast endpoint waited for the slow one"
        release.set()
        sent()
    assert [row["status"] for row in deliveries(account)] == ["succeeded", "succeeded"]


def test_an_event_queued_while_a_slow_attempt_is_in_flight_goes_out_at_once(make_account,
                                                                              sent):
    """The sender looks for new deliveries when a commit queues them, not only when an
    attempt in flight ends (which may take TIMEOUT seconds and more)."""
    slow_account, other_account = make_account(), make_account()
    release = threading.Event()
    with Receiver(hold=release) as slow, Receiver() as fast:
        endpoint(slow_account, slow.url)
        endpoint(other_account, fast.url)
        slow_account.post("/v1/customers", {"email": "jo@example.com"})
        assert slow.arrived.wait(10)
        other_account.post("/v1/customers", {"email": "ann@example.com"})
        try:
            # Well before the slow attempt times out (TIMEOUT, 10 s).
            assert fast.arrived.wait(5), "a delivery queued later waited for the slow one"
        finally:
            release.set()
        sent()
    assert len(slow.received) == 1 and len(fast.received) == 1


def test_many_events_for_a_slow_endpoint_do_not_take_every_sender(make_account, sent):
    """On a shared server, one participant's endpoint that times out, sent more events than
    there are senders, must not hold up everyone else's deliveries until it answers."""
    from payground.services.webhook_delivery import SENDERS

    slow_account, other_account = make_account(), make_account()
    release = threading.Event()
    with Receiver(hold=release) as slow, Receiver() as fast:
        endpoint(slow_account, slow.url)
        for n in range(SENDERS + 1):
            slow_account.post("/v1/customers", {"email": f"jo{n}@example.com"})
        assert slow.arrived.wait(10)
        endpoint(other_account, fast.url)
        other_account.post("/v1/customers", {"email": "ann@example.com"})
        try:
            assert fast.arrived.wait(5), "another account's endpoint waited for the slow one"
        finally:
            release.set()
        sent()
    assert len(slow.received) == SENDERS + 1 and len(fast.received) == 1


def test_one_accounts_slow_endpoints_do_not_take_every_sender(make_account, sent):
    """Several endpoints of one account (up to 16) that all time out leave senders free for
    the other accounts."""
    from payground.services.webhook_delivery import PER_ENDPOINT, SENDERS

    slow_account, other_account = make_account(), make_account()
    release = threading.Event()
    with Receiver(hold=release) as slow, Receiver() as fast:
        for _ in range(SENDERS // PER_ENDPOINT):  # enough to fill every sender
            endpoint(slow_account, slow.url)
        for n in range(PER_ENDPOINT):
            slow_account.post("/v1/customers", {"email": f"jo{n}@example.com"})
        assert slow.arrived.wait(10)
        endpoint(other_account, fast.url)
        other_account.post("/v1/customers", {"email": "ann@example.com"})
        try:
            assert fast.arrived.wait(5), "another account's endpoint waited for the slow ones"
        finally:
            release.set()
        sent()
    assert len(slow.received) == SENDERS and len(fast.received) == 1


# -- rolling the signing secret -----------------------------------------------------------------


def roll(account, endpoint_id, **body):
    return account.client.post(f"/sandbox/webhook_endpoints/{endpoint_id}/roll", json=body,
                               headers=account.session_auth)


def verifies(delivery, secret) -> bool:
    try:
        stripe.Webhook.construct_event(delivery.body.decode(),
                                       delivery.headers["Stripe-Signature"], secret)
        return True
    except stripe.SignatureVerificationError:
        return False


def test_a_rolled_secret_signs_alongside_the_old_one_until_the_grace_period_ends(
        account, hook, sent):
    created = endpoint(account, hook.url)
    before = account_time(account)
    r = roll(account, created["id"], expires_in=3600)
    after = account_time(account)
    assert r.status_code == 200, r.get_json()
    rolled = r.get_json()
    new_secret, old_secret = rolled["secret"], created["secret"]
    assert new_secret != old_secret and new_secret.startswith("whsec_")
    assert before + 3600 <= rolled["previous_secret_expires_at"] <= after + 3600
    assert {k: v for k, v in rolled.items() if k not in ("secret",
                                                         "previous_secret_expires_at")} == {
        k: v for k, v in created.items() if k != "secret"}

    account.post("/v1/customers", {"email": "during@example.com"})
    sent()
    during = hook.received[-1]
    assert during.headers["Stripe-Signature"].count(",v1=") == 2
    assert verifies(during, new_secret) and verifies(during, old_secret)

    account.advance_clock(3600)
    account.post("/v1/customers", {"email": "after@example.com"})
    sent()
    after = hook.received[-1]
    assert after.headers["Stripe-Signature"].count(",v1=") == 1
    assert verifies(after, new_secret) and not verifies(after, old_secret)


def account_time(account) -> int:
    return account.client.get("/sandbox/clock", headers=account.session_auth).get_json()["now"]


def test_expires_in_0_stops_the_old_secret_at_once_and_rolling_again_keeps_one_old(
        account, hook, sent):
    created = endpoint(account, hook.url)
    first = roll(account, created["id"], expires_in=600).get_json()["secret"]
    second = roll(account, created["id"]).get_json()["secret"]  # expires_in defaults to 0
    account.post("/v1/customers", {"email": "jo@example.com"})
    sent()
    (delivery,) = hook.received
    assert [verifies(delivery, s) for s in (created["secret"], first, second)] == [
        False, False, True]


def test_the_roll_is_audited_without_the_secret(account):
    created = endpoint(account, "https://hooks:s3cret@example.com/hooks")
    secret = roll(account, created["id"], expires_in=60).get_json()["secret"]
    audit = account.client.get("/sandbox/audit", headers=account.session_auth,
                               query_string={"type": "webhook_endpoint.secret_rolled"})
    (event,) = audit.get_json()["data"]
    # The URL without its credentials: the audit trail keeps no password either.
    assert event["data"] == {"endpoint": created["id"], "url": "https://example.com/hooks",
                             "previous_secret_expires_at": event["created"] + 60}
    assert secret not in audit.get_data(as_text=True)
    assert created["secret"] not in audit.get_data(as_text=True)


@pytest.mark.parametrize("expires_in", [-1, 86401])
def test_roll_refuses_a_grace_period_over_a_day(account, expires_in):
    created = endpoint(account, "https://example.com/hooks")
    assert_error(roll(account, created["id"], expires_in=expires_in), 400,
                 code="parameter_invalid_integer", param="expires_in",
                 message=messages.WEBHOOK_ROLL_EXPIRES_IN.format(max=86400))


def test_roll_finds_only_the_accounts_own_live_endpoints(make_account):
    owner, stranger = make_account(), make_account()
    live = owner.activate()
    created = endpoint(owner, "https://example.com/hooks", key=live)
    assert roll(owner, created["id"]).status_code == 200  # the session spans both modes
    missing = messages.NO_SUCH.format(noun="webhook endpoint", id=created["id"])
    assert_error(roll(stranger, created["id"]), 404, code="resource_missing", param="id",
                 message=missing)
    owner.delete(f"/v1/webhook_endpoints/{created['id']}", key=live)
    assert_error(roll(owner, created["id"]), 404, code="resource_missing", param="id",
                 message=missing)
    r = owner.client.post(f"/sandbox/webhook_endpoints/{created['id']}/roll",
                          json={"expires_in": 60}, headers=owner.auth(live))
    assert r.status_code == 401  # API keys cannot manage secrets: a session can


def test_an_ipv6_endpoint_is_sent_to(account, sent):
    with Receiver(ipv6=True) as hook:
        endpoint(account, hook.url)  # http://[::1]:<port>/...
        account.post("/v1/customers", {"email": "jo@example.com"})
        sent()
        assert [e["type"] for e in hook.events] == ["customer.created"]


def test_an_attempt_is_cut_off_at_the_deadline(monkeypatch):
    """A receiver that never answers costs an attempt DEADLINE seconds, not more."""
    from payground.services import webhook_delivery

    monkeypatch.setattr(webhook_delivery, "DEADLINE", 0.5)
    release = threading.Event()
    with Receiver(hold=release) as stuck:
        status, error = webhook_delivery.post(stuck.url, b"{}", ["whsec_x"], 1)
        release.set()
    assert status is None and error.startswith(("RemoteDisconnected", "ConnectionResetError",
                                                 "BadStatusLine", "OSError"))


def test_retries_due_while_no_server_ran_are_sent_on_the_first_request(app_config, wall):
    """`payground serve` wakes each worker's sender on its first request: a retry that came
    due while the server was stopped goes out without waiting for new events."""
    from payground import create_app
    from payground.app import dispose_app
    from tests.conftest import AccountHandle

    with Receiver(answers=[500]) as hook:
        first = create_app(app_config)
        client = first.test_client()
        body = client.post("/sandbox/signup", json={"email": "restart@example.com",
                                                    "password": "correct horse battery"}
                           ).get_json()
        account = AccountHandle(client=client, email="restart@example.com",
                                session=body["session"], secret_key=body["keys"]["secret"],
                                publishable_key=body["keys"]["publishable"],
                                account_id=body["account"]["id"])
        endpoint(account, hook.url)
        account.post("/v1/customers", {"email": "jo@example.com"})
        assert first.extensions["payground"].webhooks.wait_idle(10)
        dispose_app(first)  # the server stops; time passes
        wall[0] += TEST_DELAYS[0]

        restarted = create_app(app_config)
        dispatcher = restarted.extensions["payground"].webhooks
        dispatcher.sweep_on_first_request = True  # as payground serve sets it
        account.client = restarted.test_client()
        assert account.get("/v1/balance").status_code == 200  # any request
        assert dispatcher.wait_idle(10)
        (row,) = deliveries(account)
        dispose_app(restarted)
    assert len(hook.received) == 2
    assert (row["status"], row["attempts"]) == ("succeeded", 2)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_forked_worker_starts_with_a_free_lock_and_no_sender(app):
    """A lock the parent's sender held at fork time would stay held in the child forever."""
    dispatcher = app.extensions["payground"].webhooks
    with dispatcher._lock:  # the parent's sender, busy at the moment of the fork
        pid = os.fork()
        if pid == 0:  # the child: only os._exit, nothing of pytest's
            fresh = (dispatcher._lock.acquire(timeout=2) and dispatcher._thread is None
                     and dispatcher._pid is None and dispatcher._idle.is_set())
            os._exit(0 if fresh else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_an_attempt_in_flight_does_not_revive_a_delivery_deleted_meanwhile(app, account):
    """Deleting fails the waiting deliveries; an attempt that was already on its way and
    then fails must not put one back to pending (it would be retried for a deleted
    endpoint)."""
    release = threading.Event()
    with Receiver(answers=[500], hold=release) as hook:
        created = endpoint(account, hook.url)
        account.post("/v1/customers", {"email": "jo@example.com"})
        assert hook.arrived.wait(10)  # the attempt is in flight, held by the receiver
        account.delete(f"/v1/webhook_endpoints/{created['id']}")
        release.set()  # ... and now it gets its 500
        assert app.extensions["payground"].webhooks.wait_idle(10)
        account.advance_clock(TEST_DELAYS[0])
        assert app.extensions["payground"].webhooks.wait_idle(10)
        assert len(hook.received) == 1
    (row,) = deliveries(account)
    assert (row["status"], row["last_error"]) == ("failed", "endpoint deleted")


def test_an_attempt_in_flight_when_its_endpoint_is_disabled_keeps_its_retry(app, account):
    """Disabling keeps the waiting retries: an attempt on its way that fails schedules the
    next one, which an endpoint enabled again by then gets."""
    release = threading.Event()
    with Receiver(answers=[500], hold=release) as hook:
        created = endpoint(account, hook.url)
        account.post("/v1/customers", {"email": "jo@example.com"})
        assert hook.arrived.wait(10)  # the attempt is in flight, held by the receiver
        account.post(f"/v1/webhook_endpoints/{created['id']}", {"disabled": "true"})
        release.set()  # ... and now it gets its 500
        assert app.extensions["payground"].webhooks.wait_idle(10)
        (row,) = deliveries(account)
        assert (row["status"], row["attempts"], row["last_response_status"]) == (
            "pending", 1, 500)
        account.post(f"/v1/webhook_endpoints/{created['id']}", {"disabled": "false"})
        account.advance_clock(TEST_DELAYS[0])
        assert app.extensions["payground"].webhooks.wait_idle(10)
        assert len(hook.received) == 2
    (row,) = deliveries(account)
    assert (row["status"], row["attempts"]) == ("succeeded", 2)


def test_the_deadline_counts_from_the_start_even_when_connecting_is_slow(monkeypatch):
    """If looking the name up and connecting took the whole deadline, the attempt ends
    there instead of waiting for a receiver that may trickle its answer."""
    from payground.services import webhook_delivery

    # The attempt's clock: started at 0, and connected (a slow name server, say) at 25 s.
    readings = iter([0.0, 25.0])
    monkeypatch.setattr(webhook_delivery, "_elapsed_clock", lambda: next(readings))
    hold = threading.Event()
    with Receiver(hold=hold) as stuck:
        status, error = webhook_delivery.post(stuck.url, b"{}", ["whsec_x"], 1)
        hold.set()
    assert (status, error) == (
        None, f"no answer within {webhook_delivery.DEADLINE} s (connecting took them all)")
    assert stuck.received == []  # nothing was sent


SLOW_NAME = "slow.example.test"


@pytest.fixture
def slow_resolver(monkeypatch):
    """A name server that never answers for SLOW_NAME and the names under it (others
    resolve as usual); the lookup gives up after 0.2 s instead of the usual LOOKUP_TIMEOUT.
    Yields the names it was asked for, in order."""
    from payground.services import webhook_delivery

    release = threading.Event()
    asked = []

    def getaddrinfo(host, port, *args, **kwargs):
        if not host.endswith(SLOW_NAME):
            return socket.getaddrinfo(host, port, *args, **kwargs)
        asked.append(host)
        release.wait(30)  # the lookup's thread is let go when the test ends
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(webhook_delivery, "_getaddrinfo", getaddrinfo)
    monkeypatch.setattr(webhook_delivery, "LOOKUP_TIMEOUT", 0.2)
    yield asked
    release.set()
    for thread in threading.enumerate():  # over before the next test looks anything up
        if thread.name == "payground-webhook-lookup":
            thread.join(5)


@pytest.mark.parametrize("allowed", [
    None,
    "10.0.0.0/8",  # a name outside the list: connected only to addresses in the range
    f"{SLOW_NAME},!10.0.0.5",  # a listed name, but never where "!" points
])
def test_a_name_lookup_that_never_answers_fails_the_attempt(slow_resolver, allowed):
    from payground.core.webhooks import AllowedHosts
    from payground.services import webhook_delivery

    status, error = webhook_delivery.post(
        f"http://{SLOW_NAME}/hook", b"{}", ["whsec_x"], 1,
        allowed=AllowedHosts(allowed) if allowed else None)

    assert (status, error) == (None, f"TimeoutError: looking up {SLOW_NAME} took more than "
                                     "0.2 s")
    assert slow_resolver == [SLOW_NAME]


def test_a_slow_name_server_holds_up_neither_the_sender_nor_other_endpoints(
        account, sent, slow_resolver):
    """The lookup had no timeout of its own: a resolver that hung held a sender (and
    wait_idle) for as long as it liked. Now the attempt fails and is retried later."""
    with Receiver() as hook:
        endpoint(account, f"http://{SLOW_NAME}/hook")
        fine = endpoint(account, hook.url.replace("127.0.0.1", "localhost"))  # a name too
        account.post("/v1/customers", {"email": "jo@example.com"})
        sent()
        assert [e["type"] for e in hook.events] == ["customer.created"]
    rows = {row["endpoint"]: row for row in deliveries(account)}
    slow = next(row for endpoint_id, row in rows.items() if endpoint_id != fine["id"])
    assert (slow["status"], slow["attempts"], slow["last_response_status"],
            slow["last_error"]) == ("pending", 1, None,
                                    f"TimeoutError: looking up {SLOW_NAME} took more than 0.2 s")
    assert slow["next_attempt_at"] == slow["last_attempt_at"] + TEST_DELAYS[0]
    assert rows[fine["id"]]["status"] == "succeeded"


def test_attempts_needing_a_name_still_being_looked_up_wait_for_that_lookup(slow_resolver):
    """One lookup (one thread) per name that does not answer, however many attempts need
    it: each attempt used to start its own and leave it running after its timeout, so an
    endpoint with a slow name and many events waiting held a thread per attempt."""
    from payground.services import webhook_delivery

    outcomes = [webhook_delivery.post(f"http://{SLOW_NAME}/hook", b"{}", ["whsec_x"], 1)
                for _ in range(4)]

    assert outcomes == [(None, f"TimeoutError: looking up {SLOW_NAME} took more than 0.2 s")
                        ] * 4
    assert slow_resolver == [SLOW_NAME]


def test_lookups_left_unanswered_are_capped(slow_resolver, monkeypatch):
    """A name server that never answers at all: past MAX_LOOKUPS unanswered lookups, an
    attempt fails at once rather than leave one more thread behind for good."""
    from payground.services import webhook_delivery

    monkeypatch.setattr(webhook_delivery, "MAX_LOOKUPS", 2)
    names = [f"{letter}.{SLOW_NAME}" for letter in "abc"]

    outcomes = [webhook_delivery.post(f"http://{name}/hook", b"{}", ["whsec_x"], 1)
                for name in names]

    assert outcomes == [
        (None, f"TimeoutError: looking up {names[0]} took more than 0.2 s"),
        (None, f"TimeoutError: looking up {names[1]} took more than 0.2 s"),
        (None, f"OSError: not looked up: {names[2]} waits behind 2 name lookups still "
               "unanswered (is the name server down?)")]
    assert slow_resolver == names[:2]


# -- wait_idle with watch_queued on (payground.testing.Server's): the deliveries this app
# queued that another process sharing the database took are waited for, within reason.


def _retry_due_and_claimed(app, account, wall, hook, count=1):
    """``count`` deliveries whose first attempt failed, their retry now due (the wall moved,
    which wakes no sender) and claimed by another process: their ids and claims."""
    from payground.services.webhook_delivery import _claim

    dispatcher = app.extensions["payground"].webhooks
    dispatcher.watch_queued = True
    endpoint(account, hook.url)
    for n in range(count):
        account.post("/v1/customers", {"email": f"jo{n}@example.com"})
    assert dispatcher.wait_idle(10)
    rows = deliveries(account)
    assert [(row["status"], row["attempts"]) for row in rows] == [("pending", 1)] * count
    wall[0] += TEST_DELAYS[0]
    with app.app_context():
        return {row["id"]: _claim(row["id"], 1, int(wall[0])) for row in rows}


def test_wait_idle_waits_for_an_attempt_another_process_is_making(app, account, wall):
    from payground.extensions import db
    from payground.models.webhook import WebhookDelivery
    from payground.services.webhook_delivery import _finish

    dispatcher = app.extensions["payground"].webhooks
    with Receiver(answers=[500]) as hook:
        ((delivery_id, claim),) = _retry_due_and_claimed(app, account, wall, hook).items()
        assert dispatcher.wait_idle(0.2) is False  # its attempt is in flight elsewhere
        with app.app_context():
            _finish(db.session.get(WebhookDelivery, delivery_id), claim, int(wall[0]),
                    status="succeeded", response=200)
        assert dispatcher.wait_idle(10) is True
    assert dispatcher._queued == set()  # done: forgotten


def test_wait_idle_does_not_wait_for_the_claim_of_a_process_that_died(app, account, wall):
    """Claimed longer ago than an attempt can take: its process died (the claim lapses only
    after CLAIM_SECONDS); waiting for it timed every wait_for_webhooks out meanwhile."""
    from payground.services.webhook_delivery import IN_FLIGHT_SECONDS

    dispatcher = app.extensions["payground"].webhooks
    with Receiver(answers=[500]) as hook:
        (delivery_id,) = _retry_due_and_claimed(app, account, wall, hook)
        wall[0] += IN_FLIGHT_SECONDS + 1
        started = time.monotonic()
        assert dispatcher.wait_idle(5) is True
        assert time.monotonic() - started < 2
        assert len(hook.received) == 1  # nobody sent the retry; its claim still holds
    (row,) = deliveries(account)
    assert (row["id"], row["status"], row["attempts"]) == (delivery_id, "pending", 1)
    assert dispatcher._queued == {delivery_id}  # still pending: waited for once retried


def test_wait_idle_has_this_sender_take_over_a_lapsed_claim(app, account, wall):
    """A dead process's claim that lapsed is due for anyone, but this sender slept until
    its next retry (minutes off): wait_idle wakes it instead of timing out."""
    from payground.services.webhook_delivery import CLAIM_SECONDS

    dispatcher = app.extensions["payground"].webhooks
    with Receiver(answers=[500, 200]) as hook:
        _retry_due_and_claimed(app, account, wall, hook)
        wall[0] += CLAIM_SECONDS + 1
        assert dispatcher.wait_idle(10) is True
        assert len(hook.received) == 2
    (row,) = deliveries(account)
    assert (row["status"], row["attempts"]) == ("succeeded", 2)
    assert dispatcher._queued == set()


def test_wait_idle_returns_when_this_senders_attempt_raised(app, account, sent, monkeypatch,
                                                             caplog):
    """An attempt that raised keeps its claim until it lapses: that is no other process's
    attempt in flight, and wait_idle returns at once, as with watch_queued off."""
    from payground.services import webhook_delivery

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(webhook_delivery, "_attempt", broken)
    dispatcher = app.extensions["payground"].webhooks
    dispatcher.watch_queued = True
    with Receiver() as hook:
        endpoint(account, hook.url)
        account.post("/v1/customers", {"email": "jo@example.com"})
        started = time.monotonic()
        assert dispatcher.wait_idle(5) is True
        assert time.monotonic() - started < 2
        assert hook.received == []
    (row,) = deliveries(account)
    assert (row["status"], row["attempts"]) == ("pending", 0)
    assert dispatcher._queued == set()
    assert "webhook attempt failed" in caplog.text


def test_wait_idle_looks_up_the_watched_deliveries_in_batches(app, account, wall,
                                                               monkeypatch):
    """PostgreSQL takes at most 65535 parameters in a query: a long session's watched ids
    are looked up a batch at a time, and an attempt in flight in any batch is waited for."""
    from payground.extensions import db
    from payground.models.webhook import WebhookDelivery
    from payground.services import webhook_delivery

    monkeypatch.setattr(webhook_delivery, "WATCH_BATCH", 2)
    dispatcher = app.extensions["payground"].webhooks
    with Receiver(answers=[500] * 5) as hook:
        claims = _retry_due_and_claimed(app, account, wall, hook, count=5)
        for delivery_id, claim in claims.items():
            assert dispatcher.wait_idle(0.1) is False
            with app.app_context():
                webhook_delivery._finish(db.session.get(WebhookDelivery, delivery_id), claim,
                                         int(wall[0]), status="succeeded", response=200)
        assert dispatcher.wait_idle(10) is True
    assert dispatcher._queued == set()
