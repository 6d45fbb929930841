"""The webhooks page: endpoints of the mode shown, deliveries with their answers and retries."""

from __future__ import annotations

import re

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
