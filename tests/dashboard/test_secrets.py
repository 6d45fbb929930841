"""No dashboard page renders a full secret, except the show-once dialog right after issuing.

Keys of every kind are planted (sign-up, created, restricted, rolled, live) and used, so
they appear in the request log and audit trail, webhook signing secrets (created in both
modes, one rolled), and Connect OAuth's codes, access tokens and refresh tokens (the account
connected to two platforms, one disconnected, and a platform itself); then every dashboard
page (every GET route, with real ids, both modes, with filters) is fetched and scanned.
"""

from __future__ import annotations

import re
import secrets

from payground.core import keys
from tests.dashboard.conftest import Dashboard, shown_secrets, v1
from tests.dashboard.test_keys import create
from tests.oauth_flow import hidden_fields, query_of


def _platform(dash) -> dict:
    """Another account with a Connect application: its ``client_id`` and secret key."""
    platform = dash.client.post("/sandbox/signup", json={
        "email": f"platform-{secrets.token_hex(4)}@example.com",
        "password": "correct horse battery"}).get_json()
    made = dash.client.post("/sandbox/connect", json={
        "name": "Acme", "redirect_uris": ["http://localhost:8000/cb"]},
        headers={"Authorization": f"Bearer {platform['session']}"})
    assert made.status_code == 200, made.get_json()
    return {"client_id": made.get_json()["client_id"], "key": platform["keys"]["secret"]}


def _application(dash) -> str:
    """The client_id of another account's Connect application (for the consent page)."""
    return _platform(dash)["client_id"]


def _connect(browser, client_id: str, platform_key: str, scope: str) -> list[str]:
    """The account signed in to ``browser`` connects to the application: the code it gave
    and the tokens the platform got for it."""
    consent = browser.get(browser.get(f"/oauth/authorize?response_type=code&client_id="
                                      f"{client_id}&scope={scope}").headers["Location"])
    answer = browser.client.post("/dashboard/oauth/authorize", data={
        **hidden_fields(consent.get_data(as_text=True)), "decision": "approve"})
    code = query_of(answer.headers["Location"])["code"]
    token = browser.client.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code},
        headers={"Authorization": f"Bearer {platform_key}"}).get_json()
    return [code, token["access_token"], token["refresh_token"]]


def every_page(app, dash, endpoint_ids=(), connection_ids=()) -> list[str]:
    """Every GET page of the dashboard, with the account's real key and request ids (and
    the webhook endpoint and connection ids given: those of the mode shown)."""
    key_ids = list(dash.key_ids().values())
    request_ids = re.findall(r'data-href="/dashboard/requests/(req_\w+)"',
                             dash.get("/dashboard/requests?mode=any").get_data(as_text=True))
    assert key_ids and request_ids
    pages = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("dashboard.") or "GET" not in rule.methods:
            continue
        if rule.endpoint in ("dashboard.static", "dashboard.not_found"):
            continue
        if "key_id" in rule.arguments:
            pages += [rule.rule.replace("<key_id>", k) for k in key_ids]
        elif "request_id" in rule.arguments:
            pages += [rule.rule.replace("<request_id>", r) for r in request_ids]
        elif "endpoint_id" in rule.arguments:
            pages += [rule.rule.replace("<endpoint_id>", e) for e in endpoint_ids]
        elif "connection_id" in rule.arguments:
            pages += [rule.rule.replace("<connection_id>", c) for c in connection_ids]
        elif rule.endpoint == "dashboard.oauth_consent":  # it needs an authorize request
            pages.append(f"{rule.rule}?response_type=code&client_id={_application(dash)}")
        else:
            pages.append(rule.rule)
    pages += [f"/dashboard/requests?key={k}&mode=any" for k in key_ids]
    pages += [f"/dashboard/audit?key={k}" for k in key_ids]
    return pages


def test_no_page_renders_a_planted_secret(app, dash, signed_in, client):
    planted = [signed_in.secret_key]
    (restricted,) = shown_secrets(create(dash, type="restricted", name="reader",
                                         perm_charge="read"))
    (created,) = shown_secrets(create(dash, type="secret", name="backend"))
    rolled_from = dash.key_id(created)
    r = dash.post(f"/dashboard/keys/{rolled_from}/roll", {"expires_in": "86400"})
    (rolled,) = shown_secrets(r)
    r = dash.post("/dashboard/activate", {})
    live_secret, _live_publishable = shown_secrets(r)
    planted += [restricted, created, rolled, live_secret]
    assert all(keys.parse(k) for k in planted)
    for key in planted:  # used: in the request log, some refused
        v1(client, "/v1/customers", key)
        v1(client, "/v1/customers", key, method="post")
    # Webhook endpoints in both modes, one secret rolled: signing secrets are planted too.
    endpoints = {}
    for mode, key in (("test", signed_in.secret_key), ("live", live_secret)):
        made = v1(client, "/v1/webhook_endpoints", key, method="post",
                  data={"url": "https://example.com/hooks", "enabled_events[]": "*"}).get_json()
        endpoints[mode] = [made["id"]]
        planted.append(made["secret"])
    dash.post("/dashboard/mode", {"mode": "test"})
    r = dash.post(f"/dashboard/webhooks/{endpoints['test'][0]}/roll", {"expires_in": "3600"})
    planted += re.findall(r'value="(whsec_\w+)"[^>]*data-secret', r.get_data(as_text=True))
    assert len(planted) == 8
    dash.post(f"/dashboard/keys/{rolled_from}/revoke")
    v1(client, "/v1/customers", created)  # refused: audited as api_key.revoked_used
    # Connect OAuth, both sides: connected to two applications (tokens used, one connection
    # ended), and a platform another account connected to. Codes and tokens are planted.
    for scope in ("read_write", "read_only"):
        platform = _platform(dash)
        planted += _connect(dash, platform["client_id"], platform["key"], scope)
        v1(client, "/v1/customers", planted[-2])
    connections = {"test": re.findall(r'data-connection-id="(conn_\w+)"',
                                      dash.get("/dashboard/connections").get_data(as_text=True)),
                   "live": []}
    assert len(connections["test"]) == 2
    dash.post(f"/dashboard/connections/{connections['test'][0]}/disconnect")
    v1(client, "/v1/customers", planted[-2])  # refused: revoked
    dash.post("/dashboard/connect", {"name": "Mine", "redirect_uris": "http://localhost/cb"})
    mine = re.search(r"<code>(ca_\w+)</code>", dash.get("/dashboard/connect").get_data(
        as_text=True)).group(1)
    business = Dashboard(app.test_client())
    business.signup()
    planted += _connect(business, mine, signed_in.secret_key, "read_write")
    assert len(planted) == 17 and all(p.startswith(("ac_", "rt_", "sk_", "rk_", "pk_",
                                                    "whsec_")) for p in planted)

    scanned = 0
    for mode in ("test", "live"):
        dash.post("/dashboard/mode", {"mode": mode})
        for path in every_page(app, dash, endpoints[mode], connections[mode]):
            r = dash.get(path, follow_redirects=True)
            assert r.status_code == 200, path
            body = r.get_data(as_text=True)
            for key in planted:
                assert key not in body, (path, key[:8])
                assert key[8:] not in body, (path, key[:8])  # not even without its prefix
            scanned += 1
    assert scanned > 45


def test_a_session_token_pasted_into_a_dashboard_url_is_not_echoed_on_the_way_to_log_in(
        client, account):
    # Logged out: the dashboard sends the visitor to log in, and back afterwards - but not
    # back to a path holding a session token, which would put it in the redirect's URL. (A
    # key there is refused outright: test_keys_in_urls.py.)
    r = client.get(f"/dashboard/{account.session}", follow_redirects=True)

    assert r.status_code == 200
    assert [h.headers["Location"] for h in r.history] == ["/dashboard/login"]
    assert account.session[5:] not in r.get_data(as_text=True)
    ordinary = client.get("/dashboard/charges")
    assert ordinary.headers["Location"] == "/dashboard/login?next=/dashboard/charges"


def test_a_key_pasted_into_a_list_address_is_not_put_back_into_its_page_links(
        dash, signed_in, client, monkeypatch):
    # The pager's links keep the page's filters, and whatever else the address carried:
    # a key there came back whole in the page, and in the next page's address once followed.
    # (A key there is refused outright, as /v1 refuses it; a signing secret is not a key.)
    monkeypatch.setattr("payground.dashboard.logs.PAGE_SIZE", 1)  # two customers: two pages
    for _ in range(2):
        v1(client, "/v1/customers", signed_in.secret_key, method="post")
    secret = "whsec_" + "A1b2C3d4" * 4

    r = dash.get(f"/dashboard/customers?limit=1&note={secret}")

    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert 'rel="next"' in body  # the pager is there: its link was built
    assert secret[6:] not in body
    assert f"note={keys.scrub(secret).replace('*', '%2A')}" in body  # masked, not dropped
