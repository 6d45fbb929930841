"""The request log (filters, one page per request, where errors' request ids lead) and audit."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.dashboard.conftest import Dashboard, text, v1


def listed_ids(response) -> list[str]:
    assert response.status_code == 200, text(response)
    return re.findall(r'<tr data-href="/dashboard/requests/(req_\w+)">', response.get_data(
        as_text=True))


def test_requests_are_listed_newest_first_and_open(dash, signed_in, client):
    ok = v1(client, "/v1/customers", signed_in.secret_key)
    missing = v1(client, "/v1/charges/ch_nope", signed_in.secret_key)
    ids = listed_ids(dash.get("/dashboard/requests"))
    assert ids == [missing.headers["Request-Id"], ok.headers["Request-Id"]]
    page = text(dash.get(f"/dashboard/requests/{missing.headers['Request-Id']}"))
    assert "/v1/charges/ch_nope" in page
    assert "invalid_request_error: <code>resource_missing</code>" in page
    assert f"<code>sk_test_...{signed_in.secret_key[-4:]}</code>" in page
    assert "Test secret key" in page
    assert signed_in.secret_key not in page


def test_an_api_errors_request_id_lands_on_its_dashboard_page(dash, signed_in, client):
    error = v1(client, "/v1/charges/ch_nope", signed_in.secret_key).get_json()["error"]
    request_id = urlsplit(error["request_log_url"]).path.rsplit("/", 1)[1]
    r = dash.get(f"/dashboard/requests/{request_id}")
    assert r.status_code == 200
    assert request_id in text(r) and "404" in text(r)


def test_filters_by_key_status_and_mode(dash, signed_in, client):
    from tests.dashboard.conftest import shown_secrets
    from tests.dashboard.test_keys import create

    (restricted,) = shown_secrets(create(dash, type="restricted", perm_customer="read"))
    ok = v1(client, "/v1/customers", signed_in.secret_key)
    refused = v1(client, "/v1/customers", restricted, method="post")
    read = v1(client, "/v1/customers", restricted)
    rid = {r: r.headers["Request-Id"] for r in (ok, refused, read)}
    restricted_id = dash.key_id(restricted)
    assert listed_ids(dash.get(f"/dashboard/requests?key={restricted_id}")) == [
        rid[read], rid[refused]]
    assert listed_ids(dash.get("/dashboard/requests?status=4xx")) == [rid[refused]]
    assert listed_ids(dash.get("/dashboard/requests?status=403&mode=any")) == [rid[refused]]
    assert listed_ids(dash.get("/dashboard/requests?status=2xx")) == [rid[read], rid[ok]]
    assert listed_ids(dash.get("/dashboard/requests?mode=live")) == []
    page = text(dash.get("/dashboard/requests?mode=live"))
    assert "No requests match these filters." in page


def test_a_bad_filter_is_a_400_with_the_apis_message(dash, signed_in):
    r = dash.get("/dashboard/requests?status=abc")
    assert r.status_code == 400
    assert "Invalid status: use a status code (402) or a class (2xx, 4xx, 5xx)." in text(r)
    r = dash.get("/dashboard/requests?starting_after=req_nope")
    assert r.status_code == 400
    assert "No such request: 'req_nope'" in text(r)


def test_pages_of_the_log(dash, signed_in, client):
    sent = [v1(client, "/v1/customers", signed_in.secret_key).headers["Request-Id"]
            for _ in range(27)]
    first = dash.get("/dashboard/requests")
    assert listed_ids(first) == sent[::-1][:25]
    older = re.search(r'href="([^"]+)" rel="next"', first.get_data(as_text=True)).group(1)
    second = dash.get(older.replace("&amp;", "&"))
    assert listed_ids(second) == sent[::-1][25:]
    newer = re.search(r'href="([^"]+)" rel="prev"', second.get_data(as_text=True)).group(1)
    assert listed_ids(dash.get(newer.replace("&amp;", "&"))) == sent[::-1][:25]


def test_another_accounts_request_is_not_found(app, dash, signed_in, client):
    other = Dashboard(app.test_client())
    theirs = other.signup()
    request_id = v1(client, "/v1/customers", theirs.secret_key).headers["Request-Id"]
    assert other.get(f"/dashboard/requests/{request_id}").status_code == 200
    r = dash.get(f"/dashboard/requests/{request_id}")
    assert r.status_code == 404 and f"No such request: '{request_id}'" in text(r)
    assert request_id not in dash.get("/dashboard/requests?mode=any").get_data(as_text=True)


def test_the_audit_page(dash, signed_in, client):
    key_id = dash.key_id(signed_in.secret_key)
    dash.post(f"/dashboard/keys/{key_id}/revoke")
    refused = v1(client, "/v1/customers", signed_in.secret_key)
    page = text(dash.get("/dashboard/audit"))
    events = re.findall(r'<th scope="row"><code>([\w.]+)</code></th>', page)
    # Newest first, down to the sign-up's two keys.
    assert events == ["api_key.revoked_used", "api_key.revoked", "api_key.created",
                      "api_key.created"]
    assert f'/dashboard/requests/{refused.headers["Request-Id"]}' in page
    # The intro names every kind of event the page lists, Connect OAuth's included.
    lede = re.search(r'<p class="lede">(.*?)</p>', page, re.S).group(1)
    assert all(f"<code>{t}</code>" in lede for t in (
        "oauth.authorized", "oauth.scope_narrowed", "oauth.disconnected", "oauth.deauthorized",
        "oauth.code_reused", "connect_application.saved"))
    only = text(dash.get("/dashboard/audit?type=api_key.revoked"))
    assert re.findall(r'<th scope="row"><code>([\w.]+)</code></th>', only) == [
        "api_key.revoked"]
    r = dash.get("/dashboard/audit?type=nope")
    assert r.status_code == 400
    assert "Invalid type: must be one of api_key.created" in text(r)


def audit_rows(page: str) -> list[tuple[str, str, str]]:
    """``(event, request id, address)`` of each row of the audit page, newest first."""
    found = []
    for kind, row in re.findall(r'<tr>\s*<th scope="row"><code>([\w.]+)</code></th>(.*?)</tr>',
                                page, re.S):
        cells = [re.sub(r"<[^>]+>", "", cell).strip()
                 for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        found.append((kind, cells[3], cells[4]))  # after the time, the key and the mode
    return found


def test_the_audit_page_shows_where_dashboard_changes_came_from(app, dash, signed_in, client):
    app.config["TRUSTED_PROXIES"] = "10.0.0.2"
    key_id = dash.key_id(signed_in.secret_key)
    revoked = dash.post(f"/dashboard/keys/{key_id}/revoke",
                        environ_base={"REMOTE_ADDR": "10.0.0.2"},
                        headers={"X-Forwarded-For": "203.0.113.7"})
    assert revoked.status_code == 303
    refused = v1(client, "/v1/customers", signed_in.secret_key)
    page = dash.get("/dashboard/audit").get_data(as_text=True)
    signup_rows = audit_rows(page)[2:]
    assert audit_rows(page)[:2] == [
        ("api_key.revoked_used", refused.headers["Request-Id"], "127.0.0.1"),
        ("api_key.revoked", revoked.headers["Request-Id"], "203.0.113.7")]
    assert [(kind, address) for kind, request_id, address in signup_rows] == [
        ("api_key.created", "127.0.0.1"), ("api_key.created", "127.0.0.1")]
    assert signup_rows[0][1] == signup_rows[1][1] and signup_rows[0][1].startswith("req_")
    # Only a /v1 request has a page in the request log to link to.
    assert f'/dashboard/requests/{refused.headers["Request-Id"]}"' in page
    assert "/dashboard/requests/" + revoked.headers["Request-Id"] not in page


def test_every_change_made_in_the_dashboard_names_its_request_and_address(app, dash, client):
    """Sign-up, create, roll, a signing secret rolled, a leak drill, live mode: each view hands
    its request to the service, which records it (one left out would show nothing)."""
    from tests.dashboard.conftest import PASSWORD, new_email, shown_secrets

    app.config["TRUSTED_PROXIES"] = "10.0.0.2"

    def post(path, data, forwarded):
        return dash.post(path, data, environ_base={"REMOTE_ADDR": "10.0.0.2"},
                         headers={"X-Forwarded-For": forwarded})

    password = {"password": PASSWORD, "password_confirm": PASSWORD}
    signup = post("/dashboard/signup", {"email": new_email(), **password}, "203.0.113.1")
    secret = shown_secrets(signup)[0]
    created = post("/dashboard/keys", {"type": "secret", "name": "ci"}, "203.0.113.2")
    (new,) = shown_secrets(created)
    rolled = post(f"/dashboard/keys/{dash.key_id(new)}/roll", {"expires_in": "3600"},
                  "203.0.113.3")
    endpoint = v1(client, "/v1/webhook_endpoints", secret, method="post", data={
        "url": "http://127.0.0.1:9/hook", "enabled_events[]": "payout.paid"}).get_json()
    secret_rolled = post(f"/dashboard/webhooks/{endpoint['id']}/roll", {"expires_in": "0"},
                         "203.0.113.4")
    drill = post("/dashboard/drills", {"key": dash.key_id(secret)}, "203.0.113.5")
    activated = post("/dashboard/activate", {}, "203.0.113.6")
    answers = (signup, created, rolled, secret_rolled, drill, activated)
    assert [r.status_code for r in answers] == [200, 200, 200, 200, 303, 200]

    page = dash.get("/dashboard/audit").get_data(as_text=True)
    assert audit_rows(page) == [(kind, r.headers["Request-Id"], address) for kind, r, address in (
        ("api_key.created", activated, "203.0.113.6"),
        ("api_key.created", activated, "203.0.113.6"),
        ("leak_drill.started", drill, "203.0.113.5"),
        ("webhook_endpoint.secret_rolled", secret_rolled, "203.0.113.4"),
        ("api_key.rolled", rolled, "203.0.113.3"),
        ("api_key.created", created, "203.0.113.2"),
        ("api_key.created", signup, "203.0.113.1"),
        ("api_key.created", signup, "203.0.113.1"))]
    assert "/dashboard/requests/" not in page  # none of them is a /v1 request


def test_audit_details_show_moments_as_times(dash, signed_in, wall):
    """``clock.advanced``'s ``from`` and ``to`` are moments: shown as times, not Unix seconds."""
    from payground.dashboard.filters import time_tag

    wall[0] = 1_700_000_000
    assert dash.post("/dashboard/clock", {"advance": "3600"}).status_code == 303
    page = dash.get("/dashboard/audit?type=clock.advanced").get_data(as_text=True)
    details = re.findall(r'<span class="kv">(.*?)</span>', page)
    assert details == ["seconds: 3600", f"from: {time_tag(1_700_000_000)}",
                       f"to: {time_tag(1_700_003_600)}"]
    assert "2023-11-14 22:13:20" in details[1] and "2023-11-14 23:13:20" in details[2]


def test_a_rolled_signing_secrets_expiry_is_shown_as_a_time(dash, signed_in, client, wall):
    from payground.dashboard.filters import time_tag

    wall[0] = 1_700_000_000
    endpoint = v1(client, "/v1/webhook_endpoints", signed_in.secret_key, method="post",
                  data={"url": "http://127.0.0.1:9/hook", "enabled_events[]": "payout.paid"}
                  ).get_json()
    r = dash.post(f"/dashboard/webhooks/{endpoint['id']}/roll", {"expires_in": "3600"})
    assert r.status_code == 200
    page = dash.get("/dashboard/audit?type=webhook_endpoint.secret_rolled").get_data(
        as_text=True)
    details = re.findall(r'<span class="kv">(.*?)</span>', page)
    assert details[-1] == f"previous_secret_expires_at: {time_tag(1_700_003_600)}"


def test_only_whole_seconds_under_a_moments_name_become_markup():
    """``pg_audit_detail`` marks nothing safe but the ``<time>`` it builds from an integer:
    any other value, under any name, is left for the template to escape."""
    from markupsafe import Markup, escape

    from payground.dashboard.filters import audit_detail, time_tag

    assert audit_detail(1_700_000_000, "to") == time_tag(1_700_000_000)
    for value, name in (("<b>1</b>", "from"), (True, "to"), (1.5, "to"),
                        (1_700_000_000, "seconds"), ({"a": "<i>"}, "from")):
        shown = audit_detail(value, name)
        assert shown == value and not isinstance(shown, Markup), (value, name)
    assert str(escape(audit_detail("<b>1</b>", "from"))) == "&lt;b&gt;1&lt;/b&gt;"
