"""/sandbox/requests and /sandbox/audit: every /v1 request logged, audit events, never a key."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update
from werkzeug.test import EnvironBuilder, run_wsgi_app

from payground import messages
from payground.core import keys
from tests.helpers import assert_error


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PUBLIC_URL": "https://payground.example/"}


def key_ids(account) -> dict[tuple[str, bool], str]:
    listed = account.client.get("/sandbox/keys", headers=account.session_auth).get_json()
    return {(k["type"], k["livemode"]): k["id"] for k in listed["data"]}


def sandbox(account, path, **kw):
    return account.client.get(path, headers=account.session_auth, **kw)


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [entry["id"] for entry in response.get_json()["data"]]


def log_row(app, request_id):
    from payground.extensions import db
    from payground.http import request_log
    from payground.models import RequestLog

    with app.app_context():
        request_log.flush()  # rows are written in batches (services/log_buffer.py)
        row = db.session.execute(select(RequestLog).where(RequestLog.id == request_id)).scalar_one()
        db.session.expunge(row)
        return row


def test_a_v1_request_is_logged_with_every_field(account, wall):
    r = account.post("/v1/customers", data={"email": "a@example.com"},
                     headers={"Idempotency-Key": "order-42"})
    assert r.status_code == 200
    request_id = r.headers["Request-Id"]
    entry = sandbox(account, f"/sandbox/requests/{request_id}").get_json()
    duration = entry.pop("duration_ms")
    assert isinstance(duration, float) and duration >= 0
    assert entry == {
        "id": request_id, "object": "request_log", "created": int(wall[0]), "livemode": False,
        "method": "POST", "path": "/v1/customers", "status": 200,
        "key_id": key_ids(account)[("secret", False)],
        "key_redacted": f"sk_test_...{account.secret_key[-4:]}", "client_ip": "127.0.0.1",
        "idempotency_key": "order-42", "error_type": None, "error_code": None,
        "platform": None}  # a request through a Connect connection names its platform


def test_request_ids_are_sortable_and_the_list_is_newest_first(account):
    made = [account.get("/v1/customers").headers["Request-Id"] for _ in range(3)]
    assert made == sorted(made) and all(len(i) == 18 for i in made)
    listed = sandbox(account, "/sandbox/requests")
    assert ids(listed) == made[::-1]
    assert listed.get_json()["object"] == "list"
    assert listed.get_json()["url"] == "/sandbox/requests"
    assert listed.get_json()["has_more"] is False


def test_an_error_carries_a_request_log_url_that_resolves_to_the_request(account):
    r = account.get("/v1/customers/cus_missing")
    error = assert_error(r, 404, code="resource_missing", param="id")
    url = urlsplit(error["request_log_url"])
    assert (url.scheme, url.netloc) == ("https", "payground.example")  # PUBLIC_URL, one slash
    assert url.path == f"/dashboard/requests/{r.headers['Request-Id']}"
    # The dashboard page a browser opens; the same entry as JSON, for scripts:
    entry = sandbox(account, url.path.replace("/dashboard/", "/sandbox/")).get_json()
    assert entry["id"] == r.headers["Request-Id"]
    assert (entry["status"], entry["error_type"], entry["error_code"]) == (
        404, "invalid_request_error", "resource_missing")
    assert (entry["method"], entry["path"]) == ("GET", "/v1/customers/cus_missing")


def test_request_log_url_defaults_to_the_host_and_only_on_v1(client, app, account):
    app.config["PUBLIC_URL"] = None
    r = account.get("/v1/customers/cus_missing")
    error = assert_error(r, 404, code="resource_missing", param="id")
    assert error["request_log_url"] == (
        f"http://localhost/dashboard/requests/{r.headers['Request-Id']}")
    signin = client.post("/sandbox/login", json={"email": "nobody@example.com",
                                                 "password": "wrong password"})
    assert signin.status_code >= 400
    assert "request_log_url" not in signin.get_json()["error"]


@pytest.mark.parametrize("host", ["xn--zz", "a.xn--.example:8080"])
def test_request_log_url_takes_a_host_it_cannot_decode_as_sent(app, account, host):
    # Werkzeug's request.host_url decodes IDNA, and raised on these: every /v1 error was
    # Werkzeug's HTML 500. (Not through the test client: it reads the URL the same way.)
    app.config["PUBLIC_URL"] = None
    body, status, headers = run_wsgi_app(
        app, EnvironBuilder("/v1/customers/cus_missing",
                            headers={**account.auth(), "Host": host}).get_environ(),
        buffered=True)
    r = app.response_class(b"".join(body), status=status, headers=headers)

    error = assert_error(r, 404, code="resource_missing", param="id")
    assert error["request_log_url"] == (
        f"http://{host}/dashboard/requests/{r.headers['Request-Id']}")


def test_a_host_werkzeug_cannot_route_is_refused_as_a_bad_host(app, account):
    # A label over 63 characters: Werkzeug's BadHost read as an unknown /v1 route (404),
    # and elsewhere as a body that could not be decoded.
    host = "a" * 64
    client = app.test_client(use_cookies=False)
    for r in (client.get("/v1/customers", headers={**account.auth(), "Host": host}),
              client.get("/sandbox/keys", headers={**account.session_auth, "Host": host})):
        assert_error(r, 400, message=messages.BAD_HOST)


def test_a_failed_authentication_is_logged_without_an_account(app, client, account):
    unknown = keys.generate("secret", False)
    r = client.get("/v1/customers", headers={"Authorization": f"Bearer {unknown}"})
    assert_error(r, 401)
    row = log_row(app, r.headers["Request-Id"])
    assert (row.account_id, row.livemode, row.key_id) == (None, None, None)
    assert row.key_redacted == f"sk_test_...{unknown[-4:]}"
    assert (row.status, row.error_type, row.error_code) == (401, "invalid_request_error", None)
    # Nobody sees it through the API.
    assert_error(sandbox(account, f"/sandbox/requests/{r.headers['Request-Id']}"), 404,
                 code="resource_missing", param="id",
                 message=f"No such request: '{r.headers['Request-Id']}'")

    garbage = client.get("/v1/customers", headers={"Authorization": "Bearer not-a-key"})
    row = log_row(app, garbage.headers["Request-Id"])
    assert (row.account_id, row.key_redacted, row.status) == (None, None, 401)
    no_key = client.get("/v1/customers")
    assert log_row(app, no_key.headers["Request-Id"]).key_redacted is None


def test_a_refused_key_links_to_its_log_entry_only_where_an_account_can_open_it(client,
                                                                                account):
    """Story 1: a first request without a key, or with a mistyped one, is logged in no
    account (above), so its error carries no link that would only ever lead to a 404 (nor
    do Stripe's). A revoked key's request is its owner's to open, and a publishable key's."""
    unknown = keys.generate("secret", False)
    for headers in ({}, {"Authorization": f"Bearer {unknown}"},
                    {"Authorization": "Bearer not-a-key"}):
        r = client.get("/v1/customers", headers=headers)
        error = assert_error(r, 401)
        assert "request_log_url" not in error, error

    publishable = client.get("/v1/customers", headers=account.auth(account.publishable_key))
    error = assert_error(publishable, 401, code="secret_key_required")
    assert error["request_log_url"].endswith(
        f"/dashboard/requests/{publishable.headers['Request-Id']}")
    account.revoke(account.secret_key)
    revoked = client.get("/v1/customers", headers=account.auth())
    error = assert_error(revoked, 401, code="api_key_expired")
    request_id = urlsplit(error["request_log_url"]).path.rsplit("/", 1)[1]
    assert request_id == revoked.headers["Request-Id"]
    assert sandbox(account, f"/sandbox/requests/{request_id}").get_json()["status"] == 401


def test_a_request_refused_before_authentication_links_only_with_a_key(app, client, account):
    """A NUL in the URL is refused before the key is looked at: without a key, or with one
    that names no account, the request is logged in no account, and a link would lead
    nowhere; with the account's key it is the account's entry."""
    keyless = client.get("/v1/customers?q=%00")
    error = assert_error(keyless, 400, message=messages.NUL_IN_URL)
    assert "request_log_url" not in error, error
    unknown = "sk_test_" + "0" * 24 + account.secret_key[-4:]  # key-shaped, not a key
    for key in (unknown, "not a key at all"):
        r = client.get("/v1/customers?q=%00", headers={"Authorization": f"Bearer {key}"})
        error = assert_error(r, 400, message=messages.NUL_IN_URL)
        assert "request_log_url" not in error, error
        assert log_row(app, r.headers["Request-Id"]).account_id is None
    keyed = account.get("/v1/customers?q=%00")
    error = assert_error(keyed, 400, message=messages.NUL_IN_URL)
    request_id = keyed.headers["Request-Id"]
    assert error["request_log_url"].endswith(f"/dashboard/requests/{request_id}")
    assert sandbox(account, f"/sandbox/requests/{request_id}").get_json()["status"] == 400


def test_requests_sharing_an_app_context_are_each_refused_as_their_own(app, client, account):
    """A test's ``with app.app_context():`` makes its requests share ``g``: a keyless request
    refused after a keyed one (same status, same code) is still nobody's, not the keyed one's
    account's, and carries no link."""
    with app.app_context():
        keyed = account.get("/v1/customers?q=%00")
        keyless = client.get("/v1/customers?q=%00")
    error = assert_error(keyed, 400, message=messages.NUL_IN_URL)
    assert error["request_log_url"].endswith(f"/dashboard/requests/{keyed.headers['Request-Id']}")
    error = assert_error(keyless, 400, message=messages.NUL_IN_URL)
    assert "request_log_url" not in error, error
    assert log_row(app, keyed.headers["Request-Id"]).account_id == account.account_id
    assert log_row(app, keyless.headers["Request-Id"]).account_id is None


def test_an_expired_key_is_logged_in_its_owners_account(app, account, wall):
    from payground.extensions import db
    from payground.models import ApiKey

    key_id = key_ids(account)[("secret", False)]
    with app.app_context():
        db.session.execute(update(ApiKey).where(ApiKey.id == key_id)
                           .values(expires_at=int(wall[0])))
        db.session.commit()
    r = account.get("/v1/customers")
    assert_error(r, 401, code="api_key_expired")
    entry = sandbox(account, f"/sandbox/requests/{r.headers['Request-Id']}").get_json()
    assert (entry["key_id"], entry["key_redacted"], entry["livemode"]) == (
        key_id, f"sk_test_...{account.secret_key[-4:]}", False)
    assert (entry["status"], entry["error_code"]) == (401, "api_key_expired")
    # Its owner can open it: the 401 links there, unlike an unknown key's.
    assert r.get_json()["error"]["request_log_url"].endswith(
        f"/dashboard/requests/{r.headers['Request-Id']}")


def test_errors_of_a_valid_key_link_to_the_entry_its_account_sees(account):
    """Only a missing or unknown key's 401 goes without a link: a 400, 402, 403, a key in the
    URL and a publishable key on a secret route each name an entry of the key's account."""
    restricted = account.create_key(permissions=["balance_read"])
    answers = {
        400: account.post("/v1/customers", {"nickname": "jo"}),
        402: account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                          "source": "tok_chargeDeclined"}),
        403: account.get("/v1/customers", key=restricted),
        "in_url": account.get(f"/v1/customers?key={account.secret_key}"),
        401: account.get("/v1/customers", key=account.publishable_key),
    }
    assert_error(answers[400], 400, code="parameter_unknown", param="nickname",
                 message="Received unknown parameter: nickname")
    assert_error(answers[402], 402, type="card_error", code="card_declined",
                 message="Your card was declined.", decline_code="generic_decline",
                 charge=answers[402].get_json()["error"]["charge"])
    assert_error(answers[403], 403, message=messages.MISSING_PERMISSION.format(
        masked=keys.mask(restricted), account=account.account_id, permission="customer_read"))
    assert_error(answers["in_url"], 400, code="api_key_in_url")
    assert_error(answers[401], 401, code="secret_key_required",
                 message=messages.SECRET_KEY_REQUIRED)
    for r in answers.values():
        request_id = r.headers["Request-Id"]
        assert r.get_json()["error"]["request_log_url"].endswith(
            f"/dashboard/requests/{request_id}"), r.get_json()
        assert sandbox(account, f"/sandbox/requests/{request_id}").get_json()["status"] == (
            r.status_code)


def test_query_strings_and_keys_are_never_stored(app, account):
    from tests.test_secrets import database_text

    r = account.get(f"/v1/customers?limit=3&key={account.secret_key}")
    assert_error(r, 400, code="api_key_in_url")
    in_path = account.get(f"/v1/customers/{account.secret_key}")
    ok = account.get("/v1/customers?limit=3&email=someone@example.com")
    assert ok.status_code == 200
    entries = {e["id"]: e for e in sandbox(account, "/sandbox/requests").get_json()["data"]}
    assert entries[r.headers["Request-Id"]]["path"] == "/v1/customers"
    assert entries[ok.headers["Request-Id"]]["path"] == "/v1/customers"
    assert entries[in_path.headers["Request-Id"]]["path"] == (
        f"/v1/customers/{keys.mask(account.secret_key)}")
    stored = database_text(app)
    assert account.secret_key not in stored and account.secret_key[8:-4] not in stored
    assert "someone@example.com" not in stored and "limit=3" not in stored


def test_a_scrubbed_idempotency_key_and_a_too_long_one(account):
    r = account.post("/v1/customers", headers={"Idempotency-Key": f"x-{account.secret_key}"})
    assert r.status_code == 200
    too_long = account.post("/v1/customers", headers={"Idempotency-Key": "k" * 300})
    assert too_long.status_code == 400
    entries = {e["id"]: e for e in sandbox(account, "/sandbox/requests").get_json()["data"]}
    assert entries[r.headers["Request-Id"]]["idempotency_key"] == (
        f"x-{keys.mask(account.secret_key)}")
    assert entries[too_long.headers["Request-Id"]]["idempotency_key"] == "k" * 255


@pytest.fixture
def busy(account):
    """An account with 6 logged requests: 3 x 200 (test), 404, 400 (test), 200 (live)."""
    made = {}
    made["ok"] = [account.post("/v1/customers").headers["Request-Id"] for _ in range(3)]
    made["404"] = account.get("/v1/customers/cus_nope").headers["Request-Id"]
    made["400"] = account.post("/v1/customers", data={"nope": "1"}).headers["Request-Id"]
    live = account.activate()
    made["live"] = account.get("/v1/customers", key=live).headers["Request-Id"]
    return made


def test_filters(account, busy):
    everything = busy["ok"] + [busy["404"], busy["400"], busy["live"]]
    assert ids(sandbox(account, "/sandbox/requests")) == everything[::-1]
    assert ids(sandbox(account, "/sandbox/requests?status=200")) == (
        busy["ok"] + [busy["live"]])[::-1]
    assert ids(sandbox(account, "/sandbox/requests?status=2xx")) == (
        busy["ok"] + [busy["live"]])[::-1]
    assert ids(sandbox(account, "/sandbox/requests?status=4xx")) == [busy["400"], busy["404"]]
    assert ids(sandbox(account, "/sandbox/requests?status=404")) == [busy["404"]]
    assert ids(sandbox(account, "/sandbox/requests?status=5xx")) == []
    assert ids(sandbox(account, "/sandbox/requests?mode=live")) == [busy["live"]]
    assert ids(sandbox(account, "/sandbox/requests?mode=test&status=2xx")) == busy["ok"][::-1]
    live_key = key_ids(account)[("secret", True)]
    assert ids(sandbox(account, f"/sandbox/requests?key={live_key}")) == [busy["live"]]
    assert ids(sandbox(account, "/sandbox/requests?key=key_unknown")) == []


def test_bad_filters_are_400s(account):
    assert_error(sandbox(account, "/sandbox/requests?colour=red"), 400,
                 code="parameter_unknown", param="colour")
    assert_error(sandbox(account, "/sandbox/requests?status=ok"), 400, param="status",
                 message="Invalid status: use a status code (402) or a class (2xx, 4xx, 5xx).")
    assert_error(sandbox(account, "/sandbox/requests?mode=prod"), 400, param="mode")
    assert_error(sandbox(account, "/sandbox/requests?limit=0"), 400, param="limit",
                 code="parameter_invalid_integer")
    assert_error(sandbox(account, "/sandbox/requests?starting_after=req_nope"), 404,
                 code="resource_missing", param="starting_after",
                 message="No such request: 'req_nope'")
    assert_error(sandbox(account, "/sandbox/audit?type=api_key.stolen"), 400, param="type")


def test_pagination(account, busy):
    everything = (busy["ok"] + [busy["404"], busy["400"], busy["live"]])[::-1]
    first = sandbox(account, "/sandbox/requests?limit=4").get_json()
    assert [e["id"] for e in first["data"]] == everything[:4] and first["has_more"] is True
    rest = sandbox(account, f"/sandbox/requests?limit=4&starting_after={everything[3]}")
    assert ids(rest) == everything[4:] and rest.get_json()["has_more"] is False
    back = sandbox(account, f"/sandbox/requests?limit=2&ending_before={everything[4]}")
    assert ids(back) == everything[2:4] and back.get_json()["has_more"] is True
    assert ids(sandbox(account, f"/sandbox/requests?ending_before={everything[0]}")) == []


def test_another_accounts_requests_are_invisible(account, make_account, busy):
    other = make_account()
    assert ids(sandbox(other, "/sandbox/requests")) == []
    assert_error(sandbox(other, f"/sandbox/requests/{busy['404']}"), 404,
                 code="resource_missing", param="id")
    assert_error(sandbox(other, f"/sandbox/requests?starting_after={busy['404']}"), 404,
                 code="resource_missing", param="starting_after")
    theirs = other.get("/v1/customers").headers["Request-Id"]
    assert ids(sandbox(other, "/sandbox/requests")) == [theirs]
    assert theirs not in ids(sandbox(account, "/sandbox/requests?limit=100"))


def test_sandbox_requests_need_a_session(client, account):
    assert_error(client.get("/sandbox/requests"), 401)
    assert_error(client.get("/sandbox/audit", headers=account.auth()), 401)
    # Sandbox calls themselves are not in the request log: only /v1 is.
    assert ids(sandbox(account, "/sandbox/requests")) == []


def test_a_key_seen_in_a_url_is_audited_in_its_account(app, client, account, wall):
    key_id = key_ids(account)[("secret", False)]
    r = account.get(f"/v1/customers?expand[]=x&key={account.secret_key}")
    assert_error(r, 400, code="api_key_in_url")
    events = sandbox(account, "/sandbox/audit?type=api_key.seen_in_url").get_json()
    assert events["object"] == "list" and events["url"] == "/sandbox/audit"
    [event] = events["data"]
    assert event.pop("id").startswith("aud_")
    assert event == {
        "object": "audit_event", "type": "api_key.seen_in_url", "created": int(wall[0]),
        "livemode": False, "key_id": key_id,
        "key_redacted": f"sk_test_...{account.secret_key[-4:]}",
        "request_id": r.headers["Request-Id"], "client_ip": "127.0.0.1",
        "data": {"method": "GET", "path": "/v1/customers"}}

    # No key in the header: the request is still logged in the URL key's account.
    bare = client.get(f"/v1/customers?k={account.secret_key}")
    assert_error(bare, 400, code="api_key_in_url")
    entry = sandbox(account, f"/sandbox/requests/{bare.headers['Request-Id']}").get_json()
    assert (entry["key_id"], entry["status"], entry["error_code"]) == (
        key_id, 400, "api_key_in_url")
    assert len(sandbox(account, "/sandbox/audit?type=api_key.seen_in_url").get_json()[
        "data"]) == 2


def test_a_key_in_the_path_is_audited_and_logged_scrubbed(account, wall):
    key_id = key_ids(account)[("secret", False)]
    r = account.get(f"/v1/customers/{account.secret_key}", key=account.secret_key)
    assert_error(r, 400, code="api_key_in_url", param=None, message=messages.API_KEY_IN_URL)
    shown = f"sk_test_...{account.secret_key[-4:]}"
    masked = keys.mask(account.secret_key)
    [event] = sandbox(account, "/sandbox/audit?type=api_key.seen_in_url").get_json()["data"]
    assert (event["key_id"], event["key_redacted"], event["request_id"], event["data"]) == (
        key_id, shown, r.headers["Request-Id"],
        {"method": "GET", "path": f"/v1/customers/{masked}"})
    entry = sandbox(account, f"/sandbox/requests/{r.headers['Request-Id']}").get_json()
    assert (entry["path"], entry["status"], entry["error_code"]) == (
        f"/v1/customers/{masked}", 400, "api_key_in_url")


def test_a_publishable_key_in_a_url_writes_nothing_in_its_accounts_trail(app, client, account,
                                                                        make_account):
    """Anyone can read an account's publishable key off its checkout page: put in URLs, it
    must not let strangers fill that account's audit trail. Still refused, as any key."""
    stranger = make_account()
    for r in (client.get(f"/v1/customers?key={account.publishable_key}"),
              stranger.get(f"/v1/customers/{account.publishable_key}")):
        assert_error(r, 400, code="api_key_in_url", message=messages.API_KEY_IN_URL)
    assert ids(sandbox(account, "/sandbox/audit?type=api_key.seen_in_url")) == []
    assert ids(sandbox(stranger, "/sandbox/audit?type=api_key.seen_in_url")) == []


def test_an_unknown_key_in_a_url_is_audited_for_the_operator_only(app, client, account):
    from payground.extensions import db
    from payground.models import AuditEvent

    unknown = keys.generate("secret", True)
    r = client.get(f"/v1/customers?key={unknown}")
    assert_error(r, 400, code="api_key_in_url")
    with app.app_context():
        [event] = db.session.execute(
            select(AuditEvent).where(AuditEvent.request_id == r.headers["Request-Id"])
        ).scalars().all()
        assert (event.account_id, event.key_id, event.type) == (
            None, None, "api_key.seen_in_url")
        assert event.data == {"method": "GET", "path": "/v1/customers",
                              "key_redacted": f"sk_live_...{unknown[-4:]}"}
    assert ids(sandbox(account, "/sandbox/audit?type=api_key.seen_in_url")) == []


def test_audit_list_filters_and_pagination(app, account, make_account):
    from payground.extensions import db
    from payground.models import ApiKey
    from payground.services.audit import record_event

    other = make_account()
    with app.app_context():
        mine = db.session.execute(select(ApiKey).where(
            ApiKey.account_id == account.account_id, ApiKey.type == "secret")).scalar_one()
        theirs = db.session.execute(select(ApiKey).where(
            ApiKey.account_id == other.account_id, ApiKey.type == "secret")).scalar_one()
        made = [record_event(t, now=1000 + i, key=mine).id for i, t in enumerate(
            ["api_key.created", "api_key.rolled", "api_key.revoked", "api_key.revoked_used"])]
        record_event("api_key.created", now=1000, key=theirs)
        record_event("api_key.created", now=1000, account_id=account.account_id,
                     livemode=False)
        db.session.commit()
        mine_id = mine.id
    # (created[lte]: the events recorded here, not sign-up's own api_key.created)
    listed = sandbox(account, "/sandbox/audit?type=api_key.created&created[lte]=1000"
                     ).get_json()["data"]
    assert [(e["type"], e["key_id"]) for e in listed] == [
        ("api_key.created", None), ("api_key.created", mine_id)]
    assert ids(sandbox(account, f"/sandbox/audit?key={mine_id}&created[lte]=1003")) == \
        made[::-1]
    page = sandbox(account, f"/sandbox/audit?key={mine_id}&created[lte]=1003&limit=2").get_json()
    assert [e["id"] for e in page["data"]] == made[:1:-1] and page["has_more"] is True
    assert ids(sandbox(account, f"/sandbox/audit?key={mine_id}&starting_after={made[2]}")) == (
        made[1::-1])
    assert len(ids(sandbox(other, "/sandbox/audit?created[lte]=1000"))) == 1
    assert_error(sandbox(other, f"/sandbox/audit?starting_after={made[0]}"), 404,
                 code="resource_missing", param="starting_after")


def test_a_failure_to_log_never_fails_the_request(app, account, monkeypatch, caplog):
    """Rows written one at a time (``REQUEST_LOG_FLUSH_MS=0``)."""
    from sqlalchemy.exc import OperationalError

    monkeypatch.setattr(app.extensions["payground"], "request_log", None)

    def broken(engine, rows, raw=None):
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr("payground.services.logs.write_request_logs", broken)
    r = account.post("/v1/customers", data={"name": "still works"})
    assert r.status_code == 200
    assert f"could not write the request log entry for {r.headers['Request-Id']}" in caplog.text
    monkeypatch.undo()
    assert account.get(f"/v1/customers/{r.get_json()['id']}").status_code == 200


def test_a_failed_batch_never_fails_a_request(account, caplog, monkeypatch):
    """Rows that ride along in a write transaction, or are written on their own, and are
    refused: the requests succeed, the rows are lost, a warning says so."""
    from payground.services import logs

    compiled = logs._compiled_insert
    monkeypatch.setattr(logs, "_compiled_insert", lambda dialect: (
        compiled(dialect)[0].replace("request_logs", "no_such_table", 1), compiled(dialect)[1]))
    first = account.post("/v1/customers", data={"name": "one"})
    # This write transaction takes the first request's row along (SQLite) and is refused.
    second = account.post("/v1/customers", data={"name": "two"})
    listed = sandbox(account, "/sandbox/requests")  # flushes what is left: refused too
    monkeypatch.undo()
    assert (first.status_code, second.status_code, listed.status_code) == (200, 200, 200)
    assert listed.get_json()["data"] == []
    # Two rows lost, in one batch or two (SQLite takes the first along with the second
    # request's transaction; the flusher thread may write one on its own meanwhile).
    lost = re.findall(r"could not write (\d+) request log rows", caplog.text)
    assert sum(map(int, lost)) == 2, caplog.text
    reads = [account.get(f"/v1/customers/{r.get_json()['id']}") for r in (first, second)]
    assert [r.status_code for r in reads] == [200, 200]
    # Logging works again: only the requests made since are in the log.
    assert ids(sandbox(account, "/sandbox/requests")) == [
        r.headers["Request-Id"] for r in reversed(reads)]


def test_pending_work_of_a_failed_request_is_not_committed_with_the_log(app, account,
                                                                        monkeypatch):
    from payground.errors import CardError
    from payground.extensions import db
    from payground.models import AuditEvent
    from payground.services.audit import record_event

    def half_done(account_, *args, **kwargs):
        record_event("api_key.created", now=1, account_id=account_.id)  # added, not committed
        db.session.flush()
        raise CardError("declined halfway")

    monkeypatch.setattr("payground.services.customers.create_customer", half_done)
    r = account.post("/v1/customers", data={"name": "ghost"})
    assert r.status_code == 402
    with app.app_context():
        assert db.session.execute(select(AuditEvent).where(
            AuditEvent.account_id == account.account_id,
            AuditEvent.key_id.is_(None))).first() is None  # sign-up's events name their keys
    assert sandbox(account, f"/sandbox/requests/{r.headers['Request-Id']}").get_json()[
        "status"] == 402


def test_sandbox_lists_take_the_created_filter_too(account, wall):
    account.get("/v1/customers")
    account.advance_clock(100)
    account.get("/v1/balance")
    later = int(wall[0]) + 100
    for path in ("/sandbox/requests", "/sandbox/audit", "/sandbox/webhook_deliveries",
                 "/sandbox/leak_drills"):
        everything = account.client.get(path, headers=account.session_auth).get_json()["data"]
        before = account.client.get(f"{path}?created[lt]={later}",
                                    headers=account.session_auth).get_json()["data"]
        assert [item["created"] for item in before] == [
            item["created"] for item in everything if item["created"] < later], path
    requests_now = account.client.get(f"/sandbox/requests?created={later}",
                                      headers=account.session_auth).get_json()["data"]
    assert [r["path"] for r in requests_now] == ["/v1/balance"]


def test_changes_made_with_a_session_name_their_request_and_address(app, client):
    """A stolen session's key changes show where they came from: the request and the address,
    resolved as for /v1 (the socket's peer; X-Forwarded-For only from a trusted proxy)."""
    from payground.extensions import db
    from payground.models import AuditEvent

    app.config["TRUSTED_PROXIES"] = "10.0.0.2"

    def call(path, json=None, *, session=None, peer="10.0.0.2", forwarded="203.0.113.7"):
        headers = {"X-Forwarded-For": forwarded}
        if session:
            headers["Authorization"] = f"Bearer {session}"
        return client.post(path, json=json or {}, headers=headers,
                           environ_base={"REMOTE_ADDR": peer})

    # Not through the proxy: the header is the client's own word, and ignored.
    signup = call("/sandbox/signup", {"email": "audit-from@example.com",
                                      "password": "correct horse battery"},
                  peer="198.51.100.4", forwarded="192.0.2.1")
    assert signup.status_code == 201
    session, secret = signup.get_json()["session"], signup.get_json()["keys"]["secret"]
    created = call("/sandbox/keys", {"type": "secret", "name": "ci"}, session=session)
    rolled = call(f"/sandbox/keys/{created.get_json()['id']}/roll", {"expires_in": 3600},
                  session=session)
    revoked = call(f"/sandbox/keys/{rolled.get_json()['id']}/revoke", session=session)
    endpoint = client.post("/v1/webhook_endpoints", headers={"Authorization": f"Bearer {secret}"},
                           data={"url": "http://127.0.0.1:9/hook",
                                 "enabled_events[]": "payout.paid"})
    assert endpoint.status_code == 200, endpoint.get_json()
    secret_rolled = call(f"/sandbox/webhook_endpoints/{endpoint.get_json()['id']}/roll",
                         session=session)
    drill = call("/sandbox/leak_drills", {"key": created.get_json()["id"]}, session=session)
    activated = call("/sandbox/account/activate", session=session, peer="10.0.0.2",
                     forwarded="192.0.2.9, 203.0.113.8")  # right-most untrusted hop
    answers = (created, rolled, revoked, secret_rolled, drill, activated)
    assert [r.status_code for r in answers] == [201, 201, 200, 200, 201, 201]

    listed = client.get("/sandbox/audit?limit=100",
                        headers={"Authorization": f"Bearer {session}"})
    events = [(e["type"], e["request_id"], e["client_ip"])
              for e in reversed(listed.get_json()["data"])]
    assert events == [
        ("api_key.created", signup.headers["Request-Id"], "198.51.100.4"),
        ("api_key.created", signup.headers["Request-Id"], "198.51.100.4"),
        ("api_key.created", created.headers["Request-Id"], "203.0.113.7"),
        ("api_key.rolled", rolled.headers["Request-Id"], "203.0.113.7"),
        ("api_key.revoked", revoked.headers["Request-Id"], "203.0.113.7"),
        ("webhook_endpoint.secret_rolled", secret_rolled.headers["Request-Id"], "203.0.113.7"),
        ("leak_drill.started", drill.headers["Request-Id"], "203.0.113.7"),
        ("api_key.created", activated.headers["Request-Id"], "203.0.113.8"),
        ("api_key.created", activated.headers["Request-Id"], "203.0.113.8")]
    # Never a key, a signing secret or the session token: not listed, not stored.
    shown = [secret, session, created.get_json()["secret"], rolled.get_json()["secret"],
             secret_rolled.get_json()["secret"], endpoint.get_json()["secret"],
             *activated.get_json()["keys"].values()]
    with app.app_context():
        rows = repr([tuple(row) for row in db.session.execute(
            select(AuditEvent.__table__)).all()])
    for full in shown:
        assert full not in listed.get_data(as_text=True) and full not in rows
        assert full[-12:] not in rows
