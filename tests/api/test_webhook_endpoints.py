"""/v1/webhook_endpoints: Stripe's object, the signing secret shown once, every refusal."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from payground import messages
from payground.services.webhooks import EVENT_TYPES, MAX_ENDPOINTS
from tests.helpers import assert_error

URL = "https://example.com/hooks/stripe"


def create(account, key=None, **params):
    body = {"url": URL, "enabled_events[]": ["charge.succeeded", "charge.failed"], **params}
    r = account.post("/v1/webhook_endpoints", body, key=key)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_create_returns_stripes_object_and_the_secret_once(account):
    endpoint = create(account, description="orders service", **{"metadata[team]": "orders"})
    assert re.fullmatch(r"we_[0-9A-Za-z]+", endpoint["id"])
    assert re.fullmatch(r"whsec_[0-9A-Za-z]{32}", endpoint["secret"])
    assert {k: v for k, v in endpoint.items() if k not in ("id", "created", "secret")} == {
        "object": "webhook_endpoint", "api_version": None, "application": None,
        "description": "orders service", "enabled_events": ["charge.succeeded", "charge.failed"],
        "livemode": False, "metadata": {"team": "orders"}, "status": "enabled", "url": URL}

    retrieved = account.get(f"/v1/webhook_endpoints/{endpoint['id']}").get_json()
    listed = account.get("/v1/webhook_endpoints").get_json()
    assert retrieved == {k: v for k, v in endpoint.items() if k != "secret"}
    assert listed["data"] == [retrieved]
    assert (listed["object"], listed["url"], listed["has_more"]) == (
        "list", "/v1/webhook_endpoints", False)


def test_the_secret_is_stored_nowhere(app, account):
    from payground.extensions import db

    secret = create(account)["secret"]
    # Saved for Idempotency-Key replays, a create response keeps no secret either.
    r = account.post("/v1/webhook_endpoints", {"url": URL, "enabled_events[]": "*"},
                     headers={"Idempotency-Key": "create-hook-1"})
    replayed_secret = r.get_json()["secret"]
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)).all():
                assert secret not in repr(tuple(row)), table.name
                assert replayed_secret not in repr(tuple(row)), table.name
    # Request-log rows may still wait in this process's buffer; listing them writes them first.
    assert secret not in account.client.get(
        "/sandbox/requests", headers=account.session_auth).get_data(as_text=True)


def test_an_idempotent_replay_shows_the_same_secret(account):
    params = {"url": URL, "enabled_events[]": "*"}
    first = account.post("/v1/webhook_endpoints", params, headers={"Idempotency-Key": "hook-1"})
    again = account.post("/v1/webhook_endpoints", params, headers={"Idempotency-Key": "hook-1"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.get_json()["secret"].startswith("whsec_")
    assert len(account.get("/v1/webhook_endpoints").get_json()["data"]) == 1


def test_star_enables_every_event_and_duplicates_collapse(account):
    endpoint = create(account, **{"enabled_events[]": ["*"]})
    assert endpoint["enabled_events"] == ["*"]
    endpoint = create(account, **{"enabled_events[0]": "customer.created",
                                  "enabled_events[1]": "customer.created"})
    assert endpoint["enabled_events"] == ["customer.created"]


def test_json_body_and_api_version(account):
    r = account.client.post("/v1/webhook_endpoints", headers=account.auth(), json={
        "url": URL, "enabled_events": ["refund.created"], "api_version": "2026-10-28.endive"})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["enabled_events"], r.get_json()["api_version"]) == (
        ["refund.created"], "2026-10-28.endive")


def test_update_changes_url_events_description_metadata_and_status(account):
    endpoint = create(account, description="old", **{"metadata[a]": "1", "metadata[b]": "2"})
    r = account.post(f"/v1/webhook_endpoints/{endpoint['id']}", {
        "url": "https://example.com/v2", "enabled_events[]": "*", "description": "",
        "disabled": "true", "metadata[a]": "", "metadata[c]": "3"})
    assert r.status_code == 200, r.get_json()
    updated = r.get_json()
    assert (updated["url"], updated["enabled_events"], updated["description"],
            updated["status"], updated["metadata"]) == (
        "https://example.com/v2", ["*"], None, "disabled", {"b": "2", "c": "3"})
    assert "secret" not in updated
    r = account.post(f"/v1/webhook_endpoints/{endpoint['id']}", {"disabled": "false"})
    assert r.get_json()["status"] == "enabled"


def test_delete_then_it_is_gone(account):
    endpoint = create(account)
    r = account.delete(f"/v1/webhook_endpoints/{endpoint['id']}")
    assert (r.status_code, r.get_json()) == (
        200, {"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True})
    missing = messages.NO_SUCH.format(noun="webhook endpoint", id=endpoint["id"])
    for response in (account.get(f"/v1/webhook_endpoints/{endpoint['id']}"),
                     account.post(f"/v1/webhook_endpoints/{endpoint['id']}", {"url": URL}),
                     account.delete(f"/v1/webhook_endpoints/{endpoint['id']}")):
        assert_error(response, 404, code="resource_missing", param="id", message=missing)
    assert account.get("/v1/webhook_endpoints").get_json()["data"] == []


def test_list_pages_newest_first(account):
    ids = [create(account)["id"] for _ in range(3)]
    page = account.get("/v1/webhook_endpoints", query_string={"limit": 2}).get_json()
    assert ([e["id"] for e in page["data"]], page["has_more"]) == (ids[:0:-1], True)
    rest = account.get("/v1/webhook_endpoints", query_string={
        "limit": 2, "starting_after": ids[1]}).get_json()
    assert ([e["id"] for e in rest["data"]], rest["has_more"]) == ([ids[0]], False)


def test_modes_are_apart(account):
    account.activate()
    endpoint = create(account)
    r = account.get(f"/v1/webhook_endpoints/{endpoint['id']}", key=account.live_secret_key)
    assert_error(r, 404, code="resource_missing", param="id",
                 message=messages.NO_SUCH_OTHER_MODE.format(
                     noun="webhook endpoint", id=endpoint["id"], other="test", mode="live"))
    assert account.get("/v1/webhook_endpoints",
                       key=account.live_secret_key).get_json()["data"] == []


# -- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("params,code,param,message", [
    ({"enabled_events[]": "*"}, "parameter_missing", "url",
     messages.PARAMETER_MISSING.format(param="url")),
    ({"url": URL}, "parameter_missing", "enabled_events",
     messages.PARAMETER_MISSING.format(param="enabled_events")),
    ({"url": URL, "enabled_events[]": ["charge.succeeded", "charge.suceeded"]}, None,
     "enabled_events[1]", messages.WEBHOOK_EVENT_UNKNOWN.format(
         param="enabled_events[1]", types=", ".join(EVENT_TYPES))),
    # A Connect endpoint needs the account's Connect application of the mode (test_connect_webhooks).
    ({"url": URL, "enabled_events[]": "*", "connect": "true"}, None, "connect",
     messages.WEBHOOK_CONNECT.format(mode="test", livemode="false")),
    ({"url": URL, "enabled_events[]": "*", "api_version": "latest"}, None, "api_version",
     "Invalid api_version: must be an API version such as 2026-10-28.endive."),
    ({"url": URL, "enabled_events[]": "*", "secret": "whsec_mine"}, "parameter_unknown",
     "secret", messages.PARAMETER_UNKNOWN.format(param="secret")),
    ({"url": URL, "enabled_events": ""}, "parameter_invalid_empty", "enabled_events",
     messages.INVALID_EMPTY.format(param="enabled_events")),
])
def test_bad_create_is_refused_and_creates_nothing(account, params, code, param, message):
    r = account.post("/v1/webhook_endpoints", params)
    assert_error(r, 400, code=code, param=param, message=message)
    assert account.get("/v1/webhook_endpoints").get_json()["data"] == []


@pytest.mark.parametrize("url", [
    "ftp://example.com/x", "example.com/hooks", "http://example.com:port/",
    "http://example.com/wébhook", f"http://{'a' * 64}.example.com/", "http://ex..ample.com/",
    "http://127.0.0.1:0/hook", "http://127.0.0.1/a b", "http://127.0.0.1/a\x7fb",
    "http://exa mple.com/",
])
def test_a_url_no_delivery_could_reach_is_refused(account, url):
    r = account.post("/v1/webhook_endpoints", {"url": url, "enabled_events[]": "*"})
    shown = url if len(url) <= 60 else url[:57] + "..."
    assert_error(r, 400, code="url_invalid", param="url",
                 message=messages.WEBHOOK_URL_INVALID.format(url=shown))
    assert account.get("/v1/webhook_endpoints").get_json()["data"] == []


def test_a_refused_url_saves_nothing_for_its_idempotency_key(account):
    """Refused while its parameters are read (as Stripe does), so the corrected retry may
    reuse the key."""
    key = {"Idempotency-Key": "hook-typo"}
    r = account.post("/v1/webhook_endpoints", {"url": "htps://example.com/hooks",
                                               "enabled_events[]": "*"}, headers=key)
    assert r.get_json()["error"]["code"] == "url_invalid"
    r = account.post("/v1/webhook_endpoints", {"url": URL, "enabled_events[]": "*"},
                     headers=key)
    assert r.status_code == 200 and "Idempotent-Replayed" not in r.headers


def test_empty_event_list_is_refused(account):
    r = account.client.post("/v1/webhook_endpoints", headers=account.auth(),
                            json={"url": URL, "enabled_events": []})
    assert_error(r, 400, param="enabled_events",
                 message=messages.WEBHOOK_EVENTS_INVALID.format(param="enabled_events"))


def test_live_mode_needs_https_except_on_this_machine(account):
    live = account.activate()
    r = account.post("/v1/webhook_endpoints", {"url": "http://example.com/hooks",
                                               "enabled_events[]": "*"}, key=live)
    assert_error(r, 400, code="url_invalid", param="url", message=messages.WEBHOOK_URL_LIVE_HTTPS)
    for url in ("https://example.com/hooks", "http://localhost:4000/hooks",
                "http://127.0.0.1:4000/hooks", "http://[::1]:4000/hooks"):
        endpoint = create(account, key=live, url=url)
        assert (endpoint["url"], endpoint["livemode"]) == (url, True)


def test_update_refuses_bad_values_and_changes_nothing(account):
    endpoint = create(account)
    path = f"/v1/webhook_endpoints/{endpoint['id']}"
    assert_error(account.post(path, {"url": "nope"}), 400, code="url_invalid", param="url",
                 message=messages.WEBHOOK_URL_INVALID.format(url="nope"))
    assert_error(account.post(path, {"disabled": "maybe"}), 400,
                 code="parameter_invalid_boolean", param="disabled",
                 message="Invalid boolean: maybe")
    assert_error(account.post(path, {"enabled_events[]": "charge.nope"}), 400,
                 param="enabled_events[0]", message=messages.WEBHOOK_EVENT_UNKNOWN.format(
                     param="enabled_events[0]", types=", ".join(EVENT_TYPES)))
    # An index sent with gaps is named as sent.
    assert_error(account.post(path, {"enabled_events[5]": "charge.nope"}), 400,
                 param="enabled_events[5]", message=messages.WEBHOOK_EVENT_UNKNOWN.format(
                     param="enabled_events[5]", types=", ".join(EVENT_TYPES)))
    assert_error(account.post(path, {"enabled_events": ""}), 400,
                 code="parameter_invalid_empty", param="enabled_events",
                 message=messages.INVALID_EMPTY.format(param="enabled_events"))
    assert account.get(path).get_json() == {k: v for k, v in endpoint.items() if k != "secret"}


def test_at_most_sixteen_per_mode(account):
    for _ in range(MAX_ENDPOINTS):
        create(account)
    r = account.post("/v1/webhook_endpoints", {"url": URL, "enabled_events[]": "*"})
    assert_error(r, 400, message=messages.WEBHOOK_ENDPOINTS_LIMIT.format(
        max=MAX_ENDPOINTS, mode="test"))
    # A deleted one frees its place; live mode has its own sixteen.
    first = account.get("/v1/webhook_endpoints", query_string={"limit": 1}).get_json()["data"][0]
    account.delete(f"/v1/webhook_endpoints/{first['id']}")
    create(account)
    create(account, key=account.activate())


def test_publishable_key_cannot_manage_endpoints(account):
    r = account.get("/v1/webhook_endpoints", key=account.publishable_key)
    assert_error(r, 401, code="secret_key_required", message=messages.SECRET_KEY_REQUIRED)


def test_event_types_are_exactly_what_the_services_emit():
    """EVENT_TYPES (what an endpoint may ask for) lists every type an ``events.emit`` sends."""
    import ast
    from pathlib import Path

    import payground.services as services

    emitted = set()
    for path in Path(services.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        # `for event_type in ("a.b", "c.d"): events.emit(..., event_type, ...)`
        loops = {node.target.id: [getattr(c, "value", None) for c in node.iter.elts]
                 for node in ast.walk(tree) if isinstance(node, ast.For)
                 and isinstance(node.target, ast.Name) and isinstance(node.iter, ast.Tuple)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("emit", "emit_changes")
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "events"):
                type_arg = node.args[3]
                if isinstance(type_arg, ast.Name) and type_arg.id in loops:
                    emitted.update(loops[type_arg.id])
                    continue
                assert isinstance(type_arg, ast.Constant), (path.name, ast.unparse(node))
                emitted.add(type_arg.value)
    assert emitted == set(EVENT_TYPES)


def test_a_replay_never_puts_a_real_secret_where_the_first_answer_had_none(account):
    """Only a create answer's own ``secret`` is withheld and derived again: a value that
    merely looks like one (in metadata, on an update, on a customer) replays unchanged."""
    endpoint = create(account)
    for path in (f"/v1/webhook_endpoints/{endpoint['id']}", "/v1/customers"):
        params = {"metadata[secret]": "whsec_x", "metadata[note]": '"secret":"whsec_abc"'}
        first = account.post(path, params, headers={"Idempotency-Key": f"meta-{path}"})
        again = account.post(path, params, headers={"Idempotency-Key": f"meta-{path}"})
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.get_json() == first.get_json()
        assert again.get_json()["metadata"] == {"secret": "whsec_x",
                                                "note": '"secret":"whsec_abc"'}


def test_a_host_in_another_script_is_accepted(account):
    # Sent as its IDNA form (xn--...); shown as given.
    assert create(account, url="https://bücher.example/hooks")["url"] == \
        "https://bücher.example/hooks"



def test_parallel_deletes_count_the_endpoint_once(account):
    """Only the delete that removes the endpoint lowers the account's count: the count
    decides whether events look for endpoints at all."""
    from concurrent.futures import ThreadPoolExecutor

    from payground.testing import Server

    with Server({"DATABASE_URL": account.client.application.config["DATABASE_URL"]}) as server:
        signed = server.signup()
        auth = (signed.secret_key, "")
        import requests

        made = [requests.post(server.url_for("/v1/webhook_endpoints"), auth=auth, timeout=30,
                              data={"url": URL, "enabled_events[]": "*"}).json()["id"]
                for _ in range(2)]
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(
                lambda _: requests.delete(server.url_for(f"/v1/webhook_endpoints/{made[0]}"),
                                          auth=auth, timeout=30).status_code, range(8)))
        assert sorted(statuses) == [200] + [404] * 7
        with server.app.app_context():
            from payground.extensions import db
            from payground.models.account import Account

            assert db.session.get(Account, signed.id).webhook_endpoint_count == 1


@pytest.mark.parametrize("field,param", [("description", "description"),
                                         ("metadata[where]", "metadata"),
                                         ("metadata[{secret}]", "metadata")])
def test_a_pasted_signing_secret_is_refused_not_stored(account, field, param):
    secret = create(account)["secret"]
    if "{secret}" in field:  # pasted as a metadata key
        r = account.post("/v1/customers", {field.format(secret=secret): "x"})
    else:
        r = account.post("/v1/customers", {field: f"hook secret: {secret}"})
    assert_error(r, 400, code="parameter_invalid_string", param=param,
                 message=messages.WEBHOOK_SECRET_IN_VALUE.format(param=param))
    assert secret not in r.get_data(as_text=True)
    assert account.get("/v1/customers").get_json()["data"] == []
