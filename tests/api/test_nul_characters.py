"""NUL characters are refused wherever they come from, the same on SQLite and PostgreSQL.

PostgreSQL cannot store NUL in text: an id, value or path holding one answered 500 there
(found by tests/test_hostile_input.py on PostgreSQL), while SQLite stored it.
"""

import json

import pytest

from payground import messages
from tests.helpers import assert_error
from tests.sandbox.test_logs import sandbox


def nul_in_value(response, param):
    assert_error(response, 400, code="parameter_invalid_string", param=param,
                 message=messages.NUL_IN_VALUE.format(param=param))


def customers(account):
    return account.get("/v1/customers").get_json()["data"]


@pytest.mark.parametrize("path", ["/v1/customers/cus_%00", "/v1/customers?email=a%00b",
                                  "/v1/customers?email=a\x00b",
                                  "/v1/charges/%00/refunds"])
def test_a_nul_in_the_url_is_refused_and_logged_as_sent(account, path):
    r = account.get(path)

    assert_error(r, 400, message=messages.NUL_IN_URL)
    logged = sandbox(account, f"/sandbox/requests/{r.headers['Request-Id']}").get_json()
    assert (logged["path"], logged["status"]) == (path.split("?")[0], 400)


def test_a_nul_in_a_form_value_is_refused_and_nothing_is_made(account):
    nul_in_value(account.post("/v1/customers", {"description": "a\x00b"}), "description")
    nul_in_value(account.post("/v1/customers", {"metadata[k]": "\x00"}), "metadata[k]")
    assert customers(account) == []


def test_a_nul_in_a_form_name_is_refused(account):
    r = account.post("/v1/customers", {"metadata[a\x00]": "x"})
    assert_error(r, 400, message=messages.NUL_IN_NAME)
    assert customers(account) == []


@pytest.mark.parametrize("body, param", [
    ({"description": "a\u0000b"}, "description"),
    ({"metadata": {"order": "\u0000"}}, "metadata[order]"),
    ({"expand": ["customer", "\u0000"]}, "expand[1]"),
])
def test_a_nul_anywhere_in_a_json_body_is_refused(account, body, param):
    r = account.post("/v1/customers", json.dumps(body),
                     headers={"Content-Type": "application/json"})
    nul_in_value(r, param)
    assert customers(account) == []


def test_the_sandbox_refuses_a_nul_in_a_key_id_and_in_a_json_name(account):
    assert_error(account.client.post("/sandbox/keys/key_%00/revoke",
                                     headers=account.session_auth),
                 400, message=messages.NUL_IN_URL)
    r = account.client.post("/sandbox/keys", json={"type": "secret", "na\u0000me": "x"},
                            headers=account.session_auth)
    assert_error(r, 400, message=messages.NUL_IN_NAME)


def test_the_dashboard_refuses_a_nul_in_a_form(client, account):
    client.set_cookie("payground_session", account.session)
    page = client.get("/dashboard/keys").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    r = client.post("/dashboard/keys", data={"csrf_token": token, "type": "secret",
                                             "name": "ops\x00"})

    assert r.status_code == 400  # the dashboard's own error page, not the API's JSON
    assert messages.NUL_IN_VALUE.format(param="name") in r.get_data(as_text=True)
    listed = client.get("/sandbox/keys", headers=account.session_auth).get_json()["data"]
    assert [k["name"] for k in listed if k["type"] == "secret"] == ["Test secret key"]


@pytest.mark.parametrize("method, path", [("POST", "/v1/customers"),
                                          ("DELETE", "/v1/customers/{id}")])
def test_a_nul_in_the_idempotency_key_is_refused_changes_nothing_and_is_logged(account, method,
                                                                               path):
    # Werkzeug's server (the test fixture's) and waitress pass such a header on: events and
    # the request log store the key, and PostgreSQL answered 500 and lost the log's batch.
    kept = account.post("/v1/customers", {"email": "kept@example.com"}).get_json()["id"]
    r = account.client.open(path.format(id=kept), method=method,
                            data={"email": "new@example.com"} if method == "POST" else None,
                            headers={**account.auth(), "Idempotency-Key": "k\x00"})

    assert_error(r, 400, message=messages.NUL_IN_IDEMPOTENCY_KEY)
    assert [c["id"] for c in customers(account)] == [kept]
    logged = sandbox(account, f"/sandbox/requests/{r.headers['Request-Id']}").get_json()
    assert (logged["idempotency_key"], logged["status"]) == ("k%00", 400)


def test_a_nul_in_the_method_is_logged_as_sent_and_the_log_keeps_its_other_rows(account):
    before = account.get("/v1/customers")
    r = account.client.open("/v1/customers", method="G\x00T", headers=account.auth())

    assert r.status_code == 404
    logged = sandbox(account, "/sandbox/requests").get_json()["data"]
    assert [(e["id"], e["method"]) for e in logged[:2]] == [
        (r.headers["Request-Id"], "G%00T"), (before.headers["Request-Id"], "GET")]
