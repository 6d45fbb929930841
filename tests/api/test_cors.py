"""Cross-origin calls to /v1, as api.stripe.com answers them (a checkout page on the shop's
origin tokenises with the publishable key). A real browser makes them in
tests/test_tutorials_page.py; here, the headers exactly.
"""

import re

import pytest

from payground import messages
from payground.http.cors import HEADERS
from tests.helpers import assert_error

PAGE = "https://shop.example"
CARD = {"card[number]": "4242424242424242", "card[exp_month]": "12", "card[exp_year]": "2034",
        "card[cvc]": "123"}


def cors_headers(response) -> dict:
    return {name: response.headers.get(name) for name in HEADERS}


def preflight(client, path, method="POST", asked="authorization,content-type"):
    headers = {"Origin": PAGE, "Access-Control-Request-Method": method}
    if asked is not None:
        headers["Access-Control-Request-Headers"] = asked
    return client.options(path, headers=headers)


@pytest.mark.parametrize("path", ["/v1/tokens", "/v1/charges/ch_missing", "/v1/no_such_thing",
                                  "/v1"])
def test_a_preflight_is_allowed_without_a_key_and_names_the_headers_asked_for(client, path):
    r = preflight(client, path)

    assert r.status_code == 200
    assert r.data == b""
    assert cors_headers(r) == HEADERS
    assert r.headers["Access-Control-Allow-Headers"] == "authorization,content-type"
    assert r.headers["Request-Id"].startswith("req_")


def test_a_preflight_echoes_only_a_list_of_header_names(client):
    assert "Access-Control-Allow-Headers" not in preflight(client, "/v1/tokens", asked=None).headers
    r = preflight(client, "/v1/tokens", asked="authorization, x-evil: 1")
    assert r.status_code == 200
    assert "Access-Control-Allow-Headers" not in r.headers


def test_a_preflight_is_not_a_call_it_is_neither_logged_nor_counted(app_config):
    from payground import create_app
    from payground.app import dispose_app

    app = create_app({**app_config, "RATE_LIMITS": "test=2,live=100"})
    client = app.test_client()
    signup = client.post("/sandbox/signup", json={"email": "cors@example.com",
                                                  "password": "correct horse"}).get_json()
    for _ in range(5):  # more than the budget of 2 a second
        assert preflight(client, "/v1/tokens").status_code == 200
    made = client.post("/v1/tokens", data=CARD, headers={
        "Origin": PAGE, "Authorization": f"Bearer {signup['keys']['publishable']}"})
    logged = client.get("/sandbox/requests",
                        headers={"Authorization": f"Bearer {signup['session']}"}).get_json()
    dispose_app(app)

    assert made.status_code == 200
    assert cors_headers(made) == HEADERS
    assert re.fullmatch(r'"account";r=1;t=\d+', made.headers["RateLimit"])  # 1 of 2 left
    assert [(row["method"], row["path"]) for row in logged["data"]] == [("POST", "/v1/tokens")]


def test_errors_carry_the_headers_so_the_page_can_read_them(account, client):
    # A page that copied the publishable key and tries more than tokens: the browser lets it
    # read the refusal (and the Request-Id), which is the lesson.
    refused = account.get("/v1/charges", key=account.publishable_key, headers={"Origin": PAGE})
    assert_error(refused, 401, code="secret_key_required", message=messages.SECRET_KEY_REQUIRED)
    assert cors_headers(refused) == HEADERS

    no_key = client.get("/v1/charges", headers={"Origin": PAGE})
    assert_error(no_key, 401, message=messages.NO_API_KEY)
    assert cors_headers(no_key) == HEADERS
    missing = account.get("/v1/no_such_thing", headers={"Origin": PAGE})
    assert missing.status_code == 404
    assert cors_headers(missing) == HEADERS


def test_the_headers_are_on_every_v1_answer_but_never_on_the_dashboard_or_sandbox(account,
                                                                                client):
    assert cors_headers(account.get("/v1/balance")) == HEADERS  # no Origin: Stripe sends them too
    for outside in (client.get("/sandbox/keys", headers=account.session_auth),
                    client.options("/sandbox/keys", headers={"Origin": PAGE,
                                                             "Access-Control-Request-Method":
                                                             "GET"}),
                    client.get("/")):
        assert set(HEADERS) & set(outside.headers.keys()) == set()
