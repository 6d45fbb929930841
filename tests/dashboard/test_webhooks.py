"""The webhooks page: endpoints of the mode shown, deliveries with their answers and retries."""

from __future__ import annotations

import re

from payground import messages
from tests.dashboard.conftest import text, v1
from tests.webhook_receiver import Receiver


def endpoint(client, key, url, events="*"):
    r = v1(client, "/v1/webhook_endpoints", key, method="post",
           data={"url": url, "enabled_events[]": events, "description": "orders service"})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def delivery_rows(page: str) -> list[tuple[str, ...]]:
    body = page.split("<caption class=\"sr-only\">Webhook deliveries</caption>", 1)[1]
    rows = re.findall(r"<tr>\s*<th scope=\"row\"><code>([\w.]+)</code>.*?<td><code>([^<]+)</code>"
                      r"</td>\s*<td><span class=\"badge badge-(\w+)\">.*?<td>(\d+)</td>", body, re.S)
    return rows


def test_endpoints_and_deliveries_are_shown_without_the_secret(app, dash, signed_in, client):
    with Receiver(answers=[500]) as failing, Receiver() as working:
        bad = endpoint(client, signed_in.secret_key, failing.url)
        good = endpoint(client, signed_in.secret_key, working.url, events="customer.created")
        v1(client, "/v1/customers", signed_in.secret_key, method="post",
           data={"email": "jo@example.com"})
        assert app.extensions["payground"].webhooks.wait_idle(10)

    r = dash.get("/dashboard/webhooks")
    page = text(r)
    assert r.status_code == 200
    for created in (bad, good):
        assert created["url"] in page and created["id"] in page
        assert created["secret"] not in page and created["secret"][-8:] not in page
    rows = delivery_rows(page)
    assert len(rows) == 2 and set(rows) == {
        ("customer.created", failing.url, "pending", "1"),
        ("customer.created", working.url, "succeeded", "1")}
    assert "HTTP 500" not in page and 'badge-fail">500</span>' in page

    only_failed = text(dash.get(f"/dashboard/webhooks?endpoint={bad['id']}&status=pending"))
    assert delivery_rows(only_failed) == [("customer.created", failing.url, "pending", "1")]


def test_live_mode_shows_its_own_endpoints(dash, signed_in, client):
    endpoint(client, signed_in.secret_key, "https://example.com/test-hook")
    page = text(dash.get("/dashboard/webhooks"))
    assert "https://example.com/test-hook" in page
    r = dash.post("/dashboard/activate", {"business_name": "", "country": ""})  # -> live
    assert r.status_code == 200
    page = text(dash.get("/dashboard/webhooks"))
    assert "https://example.com/test-hook" not in page
    assert "No webhook endpoints in live mode." in page


def test_a_bad_filter_is_a_400_with_the_apis_message(dash, signed_in):
    r = dash.get("/dashboard/webhooks?status=lost")
    assert r.status_code == 400
    assert "Invalid status: must be one of pending, succeeded, failed" in text(r)


def test_rolling_a_secret_shows_the_new_one_once_and_both_sign_for_a_while(
        app, dash, signed_in, client, wall):
    import stripe

    with Receiver() as hook:
        created = endpoint(client, signed_in.secret_key,
                           hook.url.replace("http://", "http://hooks:s3cret@"))
        form = text(dash.get(f"/dashboard/webhooks/{created['id']}/roll"))
        assert "Expire the old secret" in form and "s3cret" not in form
        r = dash.post(f"/dashboard/webhooks/{created['id']}/roll", {"expires_in": "3600"})
        assert r.status_code == 200
        page = r.get_data(as_text=True)
        (new_secret,) = re.findall(r'value="(whsec_[0-9A-Za-z]{32})"[^>]*data-secret', page)
        assert new_secret != created["secret"] and created["secret"] not in page
        assert "The old secret also signs deliveries for 1 h more" in text(r)
        assert "s3cret" not in page  # the URL is shown without its credentials

        # Time left is read rounded up, as on the keys page: 59 min 30 s left shows as 1 h.
        wall[0] += 30
        again = text(dash.get("/dashboard/webhooks"))
        assert new_secret not in again
        assert "old one signs too for 1 h<" in again
        v1(client, "/v1/customers", signed_in.secret_key, method="post",
           data={"email": "jo@example.com"})
        assert app.extensions["payground"].webhooks.wait_idle(10)
    (delivery,) = hook.received
    for secret in (created["secret"], new_secret):
        stripe.Webhook.construct_event(delivery.body.decode(),
                                       delivery.headers["Stripe-Signature"], secret)


def test_a_bad_roll_is_refused_with_the_apis_message(dash, signed_in, client):
    created = endpoint(client, signed_in.secret_key, "https://example.com/hooks")
    r = dash.post(f"/dashboard/webhooks/{created['id']}/roll", {"expires_in": "90000"})
    assert r.status_code == 400
    assert "Invalid expires_in: must be between 0" in text(r)
    r = dash.get("/dashboard/webhooks/we_missing/roll")
    assert r.status_code == 404


def test_add_an_endpoint_and_see_its_secret_once(app, dash, signed_in, client):
    import stripe

    page = dash.get("/dashboard/webhooks").get_data(as_text=True)
    assert 'href="/dashboard/webhooks/new">Add an endpoint</a>' in page
    form = dash.get("/dashboard/webhooks/new").get_data(as_text=True)
    assert '<input type="checkbox" name="enabled_events" value="*" checked> All events' in form
    with Receiver() as hook:
        r = dash.post("/dashboard/webhooks", {"url": hook.url, "description": "orders",
                                              "enabled_events": ["customer.created"]})
        assert r.status_code == 200
        page = r.get_data(as_text=True)
        (secret,) = re.findall(r'value="(whsec_[0-9A-Za-z]{32})"[^>]*data-secret', page)
        assert "Your endpoint’s signing secret" in page
        (listed,) = v1(client, "/v1/webhook_endpoints", signed_in.secret_key).get_json()["data"]
        assert (listed["url"], listed["enabled_events"], listed["description"]) == (
            hook.url, ["customer.created"], "orders")
        assert "secret" not in listed
        assert secret not in dash.get("/dashboard/webhooks").get_data(as_text=True)
        v1(client, "/v1/customers", signed_in.secret_key, method="post",
           data={"email": "jo@example.com"})
        assert app.extensions["payground"].webhooks.wait_idle(10)
    (delivery,) = hook.received
    stripe.Webhook.construct_event(delivery.body.decode(), delivery.headers["Stripe-Signature"],
                                   secret)


def test_a_refused_endpoint_shows_the_apis_message_and_keeps_the_form(dash, signed_in, client):
    r = dash.post("/dashboard/webhooks", {"url": "https://example.com/hook"})
    assert r.status_code == 400
    assert "Choose the events to send (or All events)." in text(r)
    assert 'value="https://example.com/hook"' in r.get_data(as_text=True)
    r = dash.post("/dashboard/webhooks", {"url": "ftp://example.com/x", "enabled_events": "*"})
    assert r.status_code == 400
    assert ('<p class="field-error" id="f-url-error">Invalid URL: ftp://example.com/x. A webhook '
            "endpoint's URL must be an absolute http:// or https:// URL.</p>") in text(r)
    assert v1(client, "/v1/webhook_endpoints", signed_in.secret_key).get_json()["data"] == []


def test_an_endpoint_form_from_a_page_of_the_other_mode_is_refused(dash, signed_in, client):
    # A tab still showing the test mode form; live mode activated (and shown) in another.
    stale = dash.get("/dashboard/webhooks/new").get_data(as_text=True)
    assert '<input type="hidden" name="page_mode" value="test">' in stale
    dash.post("/dashboard/activate", {})

    r = dash.post("/dashboard/webhooks", {"url": "https://example.com/hook",
                                          "enabled_events": "*", "page_mode": "test"})

    assert r.status_code == 400
    assert messages.DASHBOARD_FORM_OTHER_MODE.format(shown="test", mode="live",
                                                     done="added") in text(r)
    assert "whsec_" not in r.get_data(as_text=True)
    assert '<input type="hidden" name="page_mode" value="live">' in r.get_data(as_text=True)
    assert "No webhook endpoints in live mode." in text(dash.get("/dashboard/webhooks"))
    assert v1(client, "/v1/webhook_endpoints", signed_in.secret_key).get_json()["data"] == []
