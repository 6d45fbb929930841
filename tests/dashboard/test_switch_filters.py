"""The Test/Live switch on the request log, audit and webhooks pages: it comes back with the
filters that mean something in the other mode (a status, an event type, "Both modes"), and
without the cursors and the key or endpoint of the mode left (they would list nothing there).
Nothing secret-shaped is ever carried into the address."""

from __future__ import annotations

import re
from unittest.mock import ANY

import pytest

from payground import messages
from tests.dashboard.conftest import Dashboard, shown_secrets, text, v1
from tests.dashboard.test_guards import FORM_REFUSED
from tests.dashboard.test_logs import listed_ids
from tests.dashboard.test_search import box
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


# --- a second reading: what a hand-made or odd ``next`` does ---------------------------------


@pytest.mark.parametrize("path, field", [("/dashboard/requests", "key"),
                                         ("/dashboard/webhooks", "endpoint"),
                                         ("/dashboard/requests", "status"),
                                         ("/dashboard/audit", "key"),
                                         ("/dashboard/customers", "query")])
@pytest.mark.parametrize("mode", ["test", "live"])
def test_a_nul_in_a_filter_is_not_carried(dash, signed_in, live_key, path, field, mode):
    """No page takes an address holding a NUL (the page said "Request refused"); a key or an
    endpoint looked up with one was a 500 on PostgreSQL."""
    for value in ("%00", "key_%00x", "%00%00"):
        r = dash.post("/dashboard/mode", {"mode": mode, "next": f"{path}?{field}={value}"})
        assert r.status_code == 303 and r.headers["Location"] == path
    # Beside another filter, that one is kept.
    r = dash.post("/dashboard/mode", {"mode": mode, "next": f"{path}?{field}=%00&mode=any"})
    assert r.status_code == 303
    assert r.headers["Location"] == path + ("?mode=any" if path.endswith("requests") else "")


def test_a_blank_mode_lists_both_modes_and_is_kept_as_such(dash, signed_in, client, live_key):
    """``mode=`` is not a first visit: the log lists both modes and shows "Both modes"; the
    switch kept neither (the log came back with one mode) nor the key (of the mode left)."""
    test_key_id = dash.key_id(signed_in.secret_key)
    test_ok = v1(client, "/v1/customers", signed_in.secret_key).headers["Request-Id"]
    live_ok = v1(client, "/v1/customers", live_key).headers["Request-Id"]
    page = dash.get("/dashboard/requests?status=2xx&mode=")
    assert listed_ids(page) == [live_ok, test_ok] and selected(page, "mode") == "any"
    assert mode_form(page)["next"] == "/dashboard/requests?status=2xx&mode=any"
    r = switch(dash, page, "live")
    assert r.headers["Location"] == "/dashboard/requests?status=2xx&mode=any"
    live = dash.get(r.headers["Location"])
    assert listed_ids(live) == [live_ok, test_ok] and selected(live, "mode") == "any"
    # By hand, blank or only spaces (the page strips them), the key comes along as with "any".
    for blank in ("", "+", "%20%20"):
        r = dash.post("/dashboard/mode", {"mode": "live", "next": (
            f"/dashboard/requests?mode={blank}&key={test_key_id}")})
        assert r.headers["Location"] == f"/dashboard/requests?mode=any&key={test_key_id}"
        assert listed_ids(dash.get(r.headers["Location"])) == [test_ok]
    # A blank filter elsewhere is no filter: left out.
    r = dash.post("/dashboard/mode", {"mode": "live", "next": "/dashboard/audit?type=&key="})
    assert r.headers["Location"] == "/dashboard/audit"


def test_another_accounts_key_or_endpoint_is_left_behind(app, dash, signed_in, client,
                                                         live_key):
    """Unknown to this account (as the page would say): not carried into a single mode's log,
    nor onto the webhooks page. Malformed ids alike: never a 500."""
    other = Dashboard(app.test_client())
    theirs = other.signup()
    their_key = other.key_id(theirs.secret_key)
    their_hook = endpoint(client, theirs.secret_key, "https://example.com/their-hook")["id"]
    for mode in ("test", "live"):
        for next_path in (f"/dashboard/requests?key={their_key}&status=2xx",
                          f"/dashboard/webhooks?endpoint={their_hook}&status=failed",
                          "/dashboard/requests?key=" + "k" * 5000 + "&status=2xx",
                          "/dashboard/requests?key=%C3%A9%F0%9F%92%B3&status=2xx",
                          "/dashboard/webhooks?endpoint=%ff%fe&status=failed"):
            r = dash.post("/dashboard/mode", {"mode": mode, "next": next_path})
            assert r.status_code == 303, next_path
            path = next_path.partition("?")[0]
            status = "2xx" if path.endswith("requests") else "failed"
            assert r.headers["Location"] == f"{path}?status={status}", next_path


@pytest.mark.parametrize("next_path", [
    "//evil.example/dashboard/requests?status=4xx",
    "https://evil.example/dashboard/requests?status=4xx",
    "/\\evil.example/dashboard/requests?status=4xx",
    "/dashboard/..%2f..%2fevil?status=4xx",
    "/dashboard/%2e%2e/v1/customers?status=4xx",
    "/dashboard/requests\r\nSet-Cookie: x=y?status=4xx",
    "/dashboard/logout?status=4xx",
    "?/dashboard/requests",
    "",
])
def test_an_unsafe_path_goes_to_the_keys_page_without_filters(dash, signed_in, next_path):
    r = dash.post("/dashboard/mode", {"mode": "test", "next": next_path})
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard/keys"


@pytest.mark.parametrize("query, location", [
    # Line breaks in the query stay in it, encoded: no header of their own.
    ("status=4xx\r\nSet-Cookie:+x=y", "/dashboard/requests?status=4xx%0D%0ASet-Cookie%3A+x%3Dy"),
    ("status=%0d%0aSet-Cookie:x", "/dashboard/requests?status=Set-Cookie%3Ax"),
    # A second ``?``: part of the value before it (the page would read it so too).
    ("status=4xx?mode=any", "/dashboard/requests?status=4xx%3Fmode%3Dany"),
    ("?status=4xx", "/dashboard/requests"),
    ("status=4xx#top", "/dashboard/requests?status=4xx%23top"),
    # What the page reads: the first of a name, blank or not.
    ("status=&status=4xx", "/dashboard/requests"),
    ("status=4xx&status=5xx&starting_after=req_x&limit=3", "/dashboard/requests?status=4xx"),
])
def test_the_query_is_read_as_the_page_reads_it(dash, signed_in, query, location):
    r = dash.post("/dashboard/mode", {"mode": "test", "next": "/dashboard/requests?" + query})
    assert r.status_code == 303 and r.headers["Location"] == location
    assert "\r" not in r.headers["Location"] and "\n" not in r.headers["Location"]


def test_a_search_query_with_unicode_comes_back_whole(dash, signed_in, live_key):
    query = 'name:"Zoë Ünal"'
    page = dash.get("/dashboard/customers", query_string={"query": query})
    assert page.status_code == 200
    assert mode_form(page)["next"] == "/dashboard/customers?query=name%3A%22Zo%C3%AB+%C3%9Cnal%22"
    r = switch(dash, page, "live")
    assert r.headers["Location"] == "/dashboard/customers?query=name%3A%22Zo%C3%AB+%C3%9Cnal%22"
    back = dash.get(r.headers["Location"])
    assert back.status_code == 200 and box(back) == query


def test_the_switch_still_needs_its_form_token(dash, signed_in, live_key):
    """A cross-site form pressing the switch, filters and all: refused, the mode unchanged."""
    for form in ({}, {"csrf_token": ""}, {"csrf_token": "0" * 64}):
        r = dash.post("/dashboard/mode", {**form, "mode": "live",
                                          "next": "/dashboard/requests?status=4xx"}, csrf=False)
        assert r.status_code == 400 and FORM_REFUSED in text(r)
        assert "Location" not in r.headers
        assert "payground_mode" not in " ".join(r.headers.getlist("Set-Cookie"))
    page = dash.get("/dashboard/requests?status=4xx")
    assert selected(page, "mode") == "test"


def test_a_key_shaped_path_is_never_carried(dash, signed_in, live_key):
    """A key in the path, plain or percent-encoded: the keys page, no filter, no key."""
    for path in (f"/dashboard/requests/{live_key}", "/dashboard/" + live_key.replace("_", "%5F"),
                 "/dashboard/%73" + live_key[1:]):
        r = dash.post("/dashboard/mode", {"mode": "live", "next": f"{path}?status=4xx"})
        assert r.status_code == 303 and r.headers["Location"] == "/dashboard/keys", path
    # Such an address is refused before any page (nor its switch) is shown.
    page = dash.get(f"/dashboard/requests/{live_key}", query_string={"status": "4xx"})
    assert page.status_code == 400 and messages.API_KEY_IN_URL in text(page)
    assert 'class="mode-switch"' not in text(page) and live_key not in text(page)


@pytest.mark.parametrize("page, back_to", [("/dashboard/keys/{key}/roll", "/dashboard/keys"),
                                           ("/dashboard/keys/{key}/revoke", "/dashboard/keys"),
                                           ("/dashboard/webhooks/{hook}/roll",
                                            "/dashboard/webhooks")])
def test_a_page_about_one_object_switches_to_its_list(dash, signed_in, client, live_key, page,
                                                      back_to):
    """A key or an endpoint is of one mode: in the other, its page would only say it is not
    there. The switch leads to that mode's list; pressing the mode shown stays on the page."""
    hook = endpoint(client, signed_in.secret_key, "https://example.com/test-hook")
    path = page.format(key=dash.key_id(signed_in.secret_key), hook=hook["id"])
    shown = dash.get(path)
    assert shown.status_code == 200
    assert mode_form(shown)["next"] == path
    assert switch(dash, shown, "test").headers["Location"] == path  # the mode shown
    r = switch(dash, shown, "live")
    assert (r.status_code, r.headers["Location"]) == (303, back_to)
    assert dash.get(back_to).status_code == 200
