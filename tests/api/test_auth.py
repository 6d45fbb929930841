"""Authentication on /v1 (SPEC §3), the error envelope, Request-Id, and hostile input."""

import base64

import pytest
from sqlalchemy import update

from payground import messages
from payground.core import keys
from tests.helpers import assert_error


def test_bearer_and_basic_auth_both_work(account, client):
    assert account.get("/v1/customers").status_code == 200
    basic = base64.b64encode(f"{account.secret_key}:".encode()).decode()
    r = client.get("/v1/customers", headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 200


def test_no_key(client):
    r = client.get("/v1/customers")
    assert_error(r, 401, message=messages.NO_API_KEY)


@pytest.mark.parametrize("header", ["Token abc", "Bearer", "Bearer   ", "Basic !!!notbase64"])
def test_unreadable_authorization_header_counts_as_no_key(client, header):
    r = client.get("/v1/customers", headers={"Authorization": header})
    assert_error(r, 401, message=messages.NO_API_KEY)


@pytest.mark.parametrize("header", ["Basic é", "Basic ü:x", "Basic \u00ff"])
def test_a_basic_header_outside_ascii_names_no_key_anywhere(client, header):
    """A header can carry Latin-1 (``curl -H``, a proxy): b64decode raised ValueError for it,
    which ``key_from_request`` did not catch - a 500 on /v1, /sandbox, /oauth and the
    dashboard (which reads it to tell an API key from a browser)."""
    auth = {"Authorization": header}
    assert_error(client.get("/v1/customers", headers=auth), 401, message=messages.NO_API_KEY)
    assert_error(client.get("/sandbox/account", headers=auth), 401, message=messages.NO_SESSION)
    r = client.post("/oauth/token", data={"grant_type": "authorization_code", "code": "x"},
                    headers=auth)
    assert r.status_code == 401
    assert r.get_json() == {"error": "invalid_client",
                            "error_description": messages.OAUTH_NO_AUTHENTICATION}
    r = client.get("/dashboard/keys", headers=auth)  # no key: the log-in page, as for no header
    assert (r.status_code, r.headers["Location"]) == (303, "/dashboard/login?next=/dashboard/keys")


def test_malformed_key(client):
    r = client.get("/v1/customers", headers={"Authorization": "Bearer sk_test_123456789"})
    assert_error(r, 401, message="Invalid API Key provided: sk_test_*****6789")


def test_well_formed_unknown_key_is_masked(client):
    key = keys.generate("secret", False)
    r = client.get("/v1/customers", headers={"Authorization": f"Bearer {key}"})
    assert_error(r, 401, message=f"Invalid API Key provided: {keys.mask(key)}")
    assert key not in r.get_data(as_text=True)


def test_bad_checksum_is_rejected_before_any_database_read(app, client, account):
    from sqlalchemy import event

    from payground.extensions import db

    tampered = account.secret_key[:-1] + ("A" if account.secret_key[-1] != "A" else "B")
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        r = client.get("/v1/customers", headers={"Authorization": f"Bearer {tampered}"})
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert_error(r, 401, message=f"Invalid API Key provided: {keys.mask(tampered)}")
    assert statements == []


def test_key_from_another_pepper_is_unknown(account, app_config, tmp_path, database_url):
    from payground import create_app
    from payground.app import dispose_app

    other = create_app({**app_config, "SECRET": "another pepper",
                        "HOME": str(tmp_path / "other")})
    r = other.test_client().get("/v1/customers", headers=account.auth())
    dispose_app(other)
    assert_error(r, 401, message=f"Invalid API Key provided: {keys.mask(account.secret_key)}")


@pytest.mark.parametrize("column", ["revoked_at", "expires_at"])
def test_expired_or_revoked_key(app, account, column):
    from payground.extensions import db
    from payground.models import ApiKey

    with app.app_context():
        db.session.execute(update(ApiKey).where(ApiKey.account_id == account.account_id,
                                                ApiKey.type == "secret").values({column: 1}))
        db.session.commit()
    r = account.get("/v1/customers")
    assert_error(r, 401, code="api_key_expired",
                 message=f"Expired API Key provided: {keys.mask(account.secret_key)}")


def test_publishable_key_on_a_secret_endpoint(account):
    r = account.get("/v1/customers", key=account.publishable_key)
    assert_error(r, 401, code="secret_key_required", message=messages.SECRET_KEY_REQUIRED)


@pytest.mark.parametrize("query", ["?key={k}", "?limit=1&api_key={k}", "?x=sk_test_partial"])
def test_key_in_query_string_is_refused(account, query):
    r = account.get("/v1/customers" + query.format(k=account.secret_key))
    assert_error(r, 400, code="api_key_in_url", message=messages.API_KEY_IN_URL)
    assert account.secret_key not in r.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/v1/customers/{k}", "/v1/charges/%73k_test_{r}",
                                  "/v1/{k}"])
def test_key_in_the_path_is_refused_like_one_in_the_query_string(account, path):
    # stripe.Customer.retrieve(os.environ["STRIPE_SECRET_KEY"]): the key is in the URL too.
    r = account.get(path.format(k=account.secret_key, r=account.secret_key[8:]))
    assert_error(r, 400, code="api_key_in_url", message=messages.API_KEY_IN_URL)
    assert account.secret_key[8:] not in r.get_data(as_text=True)


def test_unknown_route_is_stripe_style_404(account):
    r = account.get("/v1/nothing_here")
    assert_error(r, 404, message=messages.UNRECOGNIZED_URL.format(method="GET",
                                                                  path="/v1/nothing_here"))


def test_wrong_method_is_404_like_stripe(account):
    r = account.client.put("/v1/customers", headers=account.auth())
    assert_error(r, 404, message=messages.UNRECOGNIZED_URL.format(method="PUT",
                                                                  path="/v1/customers"))


def test_unknown_route_outside_v1(client):
    r = client.get("/nope")
    assert_error(r, 404, message=messages.UNRECOGNIZED_URL.format(method="GET", path="/nope"))
    assert r.headers["Request-Id"].startswith("req_")


def test_every_response_has_a_request_id(account, client):
    ids = {account.get("/v1/customers").headers["Request-Id"],
           client.get("/v1/customers").headers["Request-Id"],
           account.post("/v1/customers", {"nope": "1"}).headers["Request-Id"]}
    assert len(ids) == 3 and all(i.startswith("req_") for i in ids)


def test_unexpected_exception_is_api_error_without_traceback(app_config):
    from payground import create_app

    app = create_app(app_config)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals sk_test_" + "x" * 38)

    from payground.app import dispose_app

    r = app.test_client().get("/boom")
    dispose_app(app)
    assert_error(r, 500, type="api_error", message=messages.API_ERROR)
    text = r.get_data(as_text=True)
    assert "Traceback" not in text and "RuntimeError" not in text and "internals" not in text


def test_huge_body_is_refused(account, app):
    body = "description=" + "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    r = account.post("/v1/customers", body,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 413, message=messages.REQUEST_TOO_LARGE)
    assert account.get("/v1/customers").get_json()["data"] == []


def test_broken_encoding_is_refused_and_changes_nothing(account):
    r = account.post("/v1/customers", b"email=\xff\xfe",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 400, message=messages.MALFORMED_BODY)
    assert account.get("/v1/customers").get_json()["data"] == []


def test_a_multipart_body_is_refused_with_what_to_send_instead(account, client):
    # curl -F instead of curl -d: the fields would otherwise be "missing" and the boundary an
    # "unknown parameter".
    made = account.post("/v1/customers", {"email": "f@example.com"},
                        content_type="multipart/form-data")
    login = client.post("/sandbox/login", data={"email": account.email, "password": "x"},
                        content_type="multipart/form-data")

    assert_error(made, 400, message=messages.MULTIPART_BODY)
    assert_error(login, 400, message=messages.MULTIPART_BODY)
    assert account.get("/v1/customers").get_json()["data"] == []


def test_broken_encoding_in_a_query_string_is_refused(account):
    assert_error(account.get("/v1/customers?email=%ff"), 400, message=messages.MALFORMED_QUERY)
    # Raw, not percent-escaped (Werkzeug's server passes such octets on): the same.
    raw = account.get("/v1/customers", environ_overrides={"QUERY_STRING": "email=\xff"})
    assert_error(raw, 400, message=messages.MALFORMED_QUERY)


def test_raw_utf8_in_a_query_string_reads_as_utf8(account):
    made = account.post("/v1/customers", {"email": "josé@example.com"}).get_json()
    # Octets as a server puts them in QUERY_STRING (PEP 3333: latin-1), unescaped.
    sent = "email=josé@example.com".encode().decode("latin-1")

    found = account.get("/v1/customers", environ_overrides={"QUERY_STRING": sent})

    assert found.status_code == 200, found.get_json()
    assert [c["id"] for c in found.get_json()["data"]] == [made["id"]]


def test_invalid_json_body(account):
    r = account.post("/v1/customers", "{oops", headers={"Content-Type": "application/json"})
    assert_error(r, 400, message=messages.MALFORMED_BODY)


@pytest.mark.parametrize("body", [
    b'{"email": "\\ud800@example.com"}',  # a lone surrogate: no response could echo it
    b'{"description": NaN}',
    b'{"metadata": ' + b'{"a": ' * 5000 + b'1' + b'}' * 5001,  # deeper than any parser's stack
    b'["email", "jo@example.com"]',
])
def test_json_that_cannot_be_read_as_parameters_is_malformed(account, body):
    r = account.post("/v1/customers", body, headers={"Content-Type": "application/json"})
    assert_error(r, 400, message=messages.MALFORMED_BODY)
    assert account.get("/v1/customers").get_json()["data"] == []


@pytest.mark.parametrize("body", [b'{"email": "\\ud800@example.com", "password": "x" }',
                                  b'{"email": ' * 3000 + b'1' + b'}' * 3000])
def test_the_sandbox_refuses_unreadable_json_the_same_way(client, body):
    r = client.post("/sandbox/signup", data=body, headers={"Content-Type": "application/json"})
    assert_error(r, 400, message=messages.MALFORMED_BODY)


def test_parameters_nested_past_sixteen_levels_are_refused_not_a_500(account):
    # 1,000 levels used to reach Python's recursion limit while fingerprinting the body for
    # its Idempotency-Key (a 500); forms hit it while decoding.
    body = '{"metadata": ' + '{"a": ' * 1000 + '"x"' + "}" * 1001
    r = account.post("/v1/customers", body, headers={"Content-Type": "application/json",
                                                     "Idempotency-Key": "deep"})
    message = "Invalid metadata: parameters can be nested at most 16 levels deep."
    assert_error(r, 400, param="metadata", message=message)
    r = account.post("/v1/customers", "metadata" + "[a]" * 3000 + "=x",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 400, param="metadata", message=message)
    assert account.get("/v1/customers").get_json()["data"] == []
