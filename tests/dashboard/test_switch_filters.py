"""The Test/Live switch on the request log, audit and webhooks pages: it comes back with the
filters that mean something in the other mode (a status, an event type, "Both modes"), and
without the cursors and the key or endpoint of the mode left (they would list nothing there).
Nothing secret-shaped is ever carried into the address."""

from __future__ import annotations

import re
from unittest.mock import ANY

import pytest

from tests.dashboard.conftest import shown_secrets, text, v1
from tests.dashboard.test_logs import listed_ids
from tests.dashboard.test_search_links import mode_form, switch
from tests.dashboard.test_webhooks import endpoint

SECRET_SHAPED = "rt_abcdefghijklmnopqrstuvwxyz"  # an OAuth refresh token's shape


@pytest.fixture
def live_key(dash, signed_in) -> str:
    """Live mode activated, then the dashboard back in test mode; the live secret key."""
    r = dash.post("/dashboard/activate", {})
    assert r.status_code == 200
    assert dash.post("/dashboard/mode", {"mode": "test"}).status_code == 303
    return next(k for k in shown_secrets(r) if k.startswith("sk_live_"))


def selected(response, field: str) -> str:
    """The option the filter ``field`` shows selected ("" for its first, "All ...")."""
    select = re.search(rf'<select id="f-{field}" name="{field}">(.*?)</select>',
                       response.get_data(as_text=True), re.S).group(1)
    found = re.search(r'<option value="([^"]*)" selected>', select)
    return found.group(1) if found else ""


def test_the_request_logs_status_follows_into_the_other_mode(dash, signed_in, client,
                                                             live_key):
    v1(client, "/v1/customers", signed_in.secret_key)
    test_404 = v1(client, "/v1/charges/ch_nope", signed_in.secret_key).headers["Request-Id"]
    v1(client, "/v1/customers", live_key)
    live_404 = v1(client, "/v1/charges/ch_nope", live_key).headers["Request-Id"]

    page = dash.get("/dashboard/requests?status=4xx")
    assert listed_ids(page) == [test_404]
    assert mode_form(page) == {"csrf_token": ANY, "next": "/dashboard/requests?status=4xx"}
    r = switch(dash, page, "live")
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard/requests?status=4xx"
    live = dash.get(r.headers["Location"])
    assert listed_ids(live) == [live_404]
    assert (selected(live, "status"), selected(live, "mode")) == ("4xx", "live")
    # And back.
    r = switch(dash, live, "test")
    assert r.headers["Location"] == "/dashboard/requests?status=4xx"
    assert listed_ids(dash.get(r.headers["Location"])) == [test_404]


def test_a_single_mode_and_that_modes_key_are_left_behind(dash, signed_in, client, live_key):
    """The switch names the mode: the log shows it, as on a first visit; the key of the mode
    left had no request there."""
    test_key_id = dash.key_id(signed_in.secret_key)
    live_ok = v1(client, "/v1/customers", live_key).headers["Request-Id"]
    page = dash.get(f"/dashboard/requests?key={test_key_id}&status=2xx&mode=test")
    assert page.status_code == 200
    assert mode_form(page)["next"] == (f"/dashboard/requests?key={test_key_id}&status=2xx"
                                       "&mode=test")
    r = switch(dash, page, "live")
    assert r.headers["Location"] == "/dashboard/requests?status=2xx"
    live = dash.get(r.headers["Location"])
    assert listed_ids(live) == [live_ok]
    assert (selected(live, "key"), selected(live, "mode")) == ("", "live")


def test_a_key_of_the_mode_switched_to_is_kept(dash, signed_in, client, live_key):
    """Looking at a live key's requests (mode filter "Live") from test mode, then pressing
    Live: the same key's requests."""
    assert dash.post("/dashboard/mode", {"mode": "live"}).status_code == 303
    live_key_id = dash.key_id(live_key)  # the keys page lists the mode's keys
    assert dash.post("/dashboard/mode", {"mode": "test"}).status_code == 303
    live_ok = v1(client, "/v1/customers", live_key).headers["Request-Id"]
    page = dash.get(f"/dashboard/requests?mode=live&key={live_key_id}")
    assert listed_ids(page) == [live_ok]
    r = switch(dash, page, "live")
    assert r.headers["Location"] == f"/dashboard/requests?key={live_key_id}"
    assert listed_ids(dash.get(r.headers["Location"])) == [live_ok]
    # Pressing Test instead: test mode's log, without the live key.
    r = switch(dash, page, "test")
    assert r.headers["Location"] == "/dashboard/requests"


def test_both_modes_keeps_its_key(dash, signed_in, client, live_key):
    """"Both modes" lists the same rows whatever the switch shows: kept, and the key with it."""
    test_key_id = dash.key_id(signed_in.secret_key)
    test_ok = v1(client, "/v1/customers", signed_in.secret_key).headers["Request-Id"]
    v1(client, "/v1/customers", live_key)
    page = dash.get(f"/dashboard/requests?mode=any&key={test_key_id}")
    assert listed_ids(page) == [test_ok]
    r = switch(dash, page, "live")
    assert r.headers["Location"] == f"/dashboard/requests?mode=any&key={test_key_id}"
    live = dash.get(r.headers["Location"])
    assert listed_ids(live) == [test_ok]
    assert (selected(live, "key"), selected(live, "mode")) == (test_key_id, "any")


def test_the_request_logs_cursor_is_left_behind(dash, signed_in, client, live_key):
    sent = [v1(client, "/v1/customers", signed_in.secret_key).headers["Request-Id"]
            for _ in range(26)]
    older = dash.get("/dashboard/requests", query_string={"status": "2xx",
                                                          "starting_after": sent[1]})
    assert listed_ids(older) == [sent[0]]
    assert mode_form(older)["next"] == "/dashboard/requests?status=2xx"
    r = switch(dash, older, "live")
    assert r.headers["Location"] == "/dashboard/requests?status=2xx"


def test_the_audit_trail_keeps_its_filters(dash, signed_in, client, live_key):
    """The audit trail lists both modes whatever the switch shows: its event type and its key
    (of either mode) mean the same there."""
    test_key_id = dash.key_id(signed_in.secret_key)
    page = dash.get(f"/dashboard/audit?type=api_key.created&key={test_key_id}&starting_after=x")
    assert mode_form(page)["next"] == (f"/dashboard/audit?type=api_key.created"
                                       f"&key={test_key_id}")
    r = switch(dash, page, "live")
    assert r.headers["Location"] == f"/dashboard/audit?type=api_key.created&key={test_key_id}"
    live = dash.get(r.headers["Location"])
    assert live.status_code == 200
    assert (selected(live, "type"), selected(live, "key")) == ("api_key.created", test_key_id)
    assert re.findall(r'<th scope="row"><code>([\w.]+)</code></th>', text(live)) == [
        "api_key.created"]


def test_the_webhooks_page_keeps_the_status_not_the_endpoint(dash, signed_in, client,
                                                             live_key):
    """The page shows one mode's endpoints and their deliveries: a test endpoint means
    nothing in live mode. Pressing the mode already shown keeps it."""
    hook = endpoint(client, signed_in.secret_key, "https://example.com/test-hook")
    page = dash.get(f"/dashboard/webhooks?endpoint={hook['id']}&status=failed")
    assert page.status_code == 200
    assert mode_form(page)["next"] == f"/dashboard/webhooks?endpoint={hook['id']}&status=failed"
    r = switch(dash, page, "live")
    assert r.headers["Location"] == "/dashboard/webhooks?status=failed"
    live = dash.get(r.headers["Location"])
    assert live.status_code == 200
    assert (selected(live, "endpoint"), selected(live, "status")) == ("", "failed")
    r = switch(dash, live, "test")
    assert r.headers["Location"] == "/dashboard/webhooks?status=failed"
    # The same mode: the endpoint is this mode's, kept.
    r = switch(dash, page, "test")
    assert r.headers["Location"] == (f"/dashboard/webhooks?endpoint={hook['id']}"
                                     "&status=failed")


@pytest.mark.parametrize("path, field", [("/dashboard/requests", "status"),
                                         ("/dashboard/audit", "type"),
                                         ("/dashboard/webhooks", "status")])
def test_a_secret_shaped_filter_is_not_carried(dash, signed_in, live_key, path, field):
    """Refused on its page all the same (not a status or an event type): the switch's
    address would hold it. Nor one sent by hand, a full key included."""
    page = dash.get(path, query_string={field: SECRET_SHAPED})
    assert page.status_code == 400
    assert SECRET_SHAPED not in page.get_data(as_text=True)
    assert mode_form(page) == {"csrf_token": ANY, "next": path}
    for value in (SECRET_SHAPED, live_key):
        r = dash.post("/dashboard/mode", {"mode": "live",
                                          "next": f"{path}?{field}={value}&{field}=x"})
        assert r.status_code == 303 and r.headers["Location"] == path


def test_an_unknown_key_or_endpoint_is_left_behind(dash, signed_in, live_key):
    for path in ("/dashboard/requests?key=key_nope", "/dashboard/webhooks?endpoint=we_nope"):
        r = dash.post("/dashboard/mode", {"mode": "live", "next": path})
        assert r.status_code == 303 and r.headers["Location"] == path.partition("?")[0]
