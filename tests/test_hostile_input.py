"""Random hostile requests to every route: never a 500, always Stripe's error envelope.

Seeded, so a failure names a request that fails again. Each route gets bodies and query
strings mixing real ids and parameter names with empty, huge, nested, non-UTF-8, wrongly
typed and wrongly encoded values, under every kind of credential (secret, live, publishable,
session, broken), and the account's own keys pasted into values, which no answer may echo.
This is how the empty-value 500s (tests/api/test_empty_values.py) and the
unreadable-JSON 500s (tests/api/test_auth.py) were found.
"""

from __future__ import annotations

import random
import re

import pytest

REQUESTS_PER_METHOD = 12
ERROR_TYPES = {"api_error", "card_error", "idempotency_error", "invalid_request_error",
               "rate_limit_error"}
# marshmallow's own words: answered in Stripe's instead (tests/api/test_wrong_types.py).
MARSHMALLOW_WORDS = {"Invalid input type.", "Not a valid list.", "Not a valid mapping type.",
                     "Unknown field.", "Missing data for required field.",
                     "Field may not be null.", "Not a valid string.", "Invalid value."}

NAMES = ["amount", "currency", "source", "customer", "charge", "email", "description",
         "metadata[a]", "metadata", "metadata[]", "expand[]", "expand[0]", "limit",
         "starting_after", "ending_before", "capture", "reason", "payment_method", "confirm",
         "card[number]", "card[exp_month]", "card[cvc]", "amount[]", "a[b][c][d]",
         "created[gt]", "seconds", "expires_in", "permissions[]", "name", "note",
         "ip_allowlist[]", "type", "livemode", "password", "status", "key", "mode",
         "cancellation_reason", "capture_method", "payment_method_types[]", "", "[", "]]",
         "csrf_token", "business_name", "support_email", "url", "enabled_events[]",
         "enabled_events[0]", "disabled", "api_version", "connect", "endpoint", "event",
         # The test bank account choice and the balance transaction filters.
         "bank_account[account_number]", "bank_account[routing_number]", "bank_account",
         "payout", "bank_account[account_number][]"]
VALUES = ["", "0", "-1", "1", "99999999999999999999999", "9223372036854775807", "1.5", "true", "null", "abc", "\x00",
          "*", "charge.succeeded", "http://127.0.0.1:9/x", "https://[::1", "http://h:99999/",
          "é" * 3, "a" * 6000, "tok_visa", "pm_card_visa", "tok_chargeDeclined", "usd", "xyz",
          "[]", "{}", "4242424242424242", "1e3", " 5", "NaN", "2d", "<script>", "%ff",
          "000111111116", "110000000", "110-000-000", "2020-01-01; a_beta=v1"]
JSON_VALUES = [None, True, False, 0, -1, 1.5, "", "x", [], ["a", 1], {}, {"a": {"b": []}},
               "a" * 6000]
RAW_BODIES = [b"\xff\xfe\xfa", b"a=%ZZ&b=%", b"amount=1&amount=2", b"&&&==&", b"amount=%E9",
              b"metadata[a]=1&metadata=x", b'{"amount": 1}', b"[1,2", b'{"a": "\\ud800"}',
              b'{"a":' * 3000, b"null", b'"x"', b'{"amount": 1180591620717411303424}',
              b"a" + b"[b]" * 2000 + b"=1", b'{"a":' * 1000 + b"1" + b"}" * 1000, b"expand[]=customer.default_source.x.y.z"]
CONTENT_TYPES = ["application/x-www-form-urlencoded", "application/json", "text/plain",
                 "multipart/form-data", "application/json; charset=latin-1"]


@pytest.fixture
def world(account):
    """An account with one of everything, and every kind of credential."""
    live = account.activate()
    customer = account.post("/v1/customers", {"email": "w@example.com"}).get_json()["id"]
    charge = account.post("/v1/charges", {"amount": "1000", "currency": "usd",
                                          "source": "tok_visa", "customer": customer})
    charge = charge.get_json()["id"]
    refund = account.post("/v1/refunds", {"charge": charge, "amount": "10"}).get_json()["id"]
    intent = account.post("/v1/payment_intents", {"amount": "2000", "currency": "usd"})
    intent = intent.get_json()["id"]
    key_id = account.key_id(account.secret_key)
    # Every event is queued for this endpoint; nothing listens there (port 9: refused).
    endpoint = account.post("/v1/webhook_endpoints", {"url": "http://127.0.0.1:9/hook",
                                                      "enabled_events[]": "*"}).get_json()["id"]
    # A leak drill whose bots have work to write down when the sweep's GETs look.
    drill = account.client.post("/sandbox/leak_drills", json={"key": key_id},
                                headers=account.session_auth).get_json()["id"]
    account.advance_clock(400)
    account.client.set_cookie("payground_session", account.session)
    page = account.client.get("/dashboard/keys").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    return {
        "ids": [customer, charge, refund, intent, key_id, endpoint, drill, "x", "%00", "é", "a" * 3000,
                "ch_" + "z" * 40, "..", "%2F", "%ff"],
        "auth": [account.auth(), account.auth(live), account.auth(account.publishable_key),
                 account.session_auth, {},
                 {"Authorization": "Basic !!!"}, {"Authorization": "Bearer " + "sk_test_" + "A" * 99},
                 {"Authorization": "Bearer " + account.secret_key + "x"},
                 {**account.auth(), "Stripe-Account": "acct_elsewhere"},
                 {**account.auth(), "Origin": "https://page.example"}],
        "csrf": csrf.group(1) if csrf else "",
        "planted": [account.secret_key, live],
        "client": account.client,  # signed in to the dashboard too (the cookie)
    }


def random_request(rng: random.Random, rule: str, method: str, world: dict) -> dict:
    path = rule
    for placeholder in re.findall(r"<[^>]+>", rule):
        path = path.replace(placeholder, rng.choice(world["ids"]), 1)
    query = "&".join(f"{rng.choice(NAMES)}={rng.choice(VALUES)[:50]}"
                     for _ in range(rng.randint(0, 3)))
    headers = dict(rng.choice(world["auth"]))
    if rng.random() < 0.2:
        headers["Idempotency-Key"] = rng.choice(["k", "a" * 300, "é", ""])
    values = VALUES + world["planted"]  # keys pasted where they do not belong
    form = {rng.choice(NAMES): rng.choice(values) for _ in range(rng.randint(0, 5))}
    if rng.random() < 0.5:
        form["csrf_token"] = world["csrf"]
    kind = rng.randint(0, 2)
    request = {"method": method, "path": path + ("?" + query if query else ""),
               "headers": headers}
    if kind == 0:
        request["data"] = form
    elif kind == 1:
        request["json"] = {name: rng.choice(JSON_VALUES) for name in form}
    else:
        request["data"] = rng.choice(RAW_BODIES)
        request["headers"]["Content-Type"] = rng.choice(CONTENT_TYPES)
    return request


OAUTH_ERRORS = {"invalid_request", "invalid_client", "invalid_grant", "invalid_scope",
                "unsupported_grant_type"}


@pytest.mark.parametrize("seed", [1, 2])
def test_no_route_answers_500_to_random_hostile_requests(app, world, seed):
    rng = random.Random(seed)
    client = world["client"]
    routes = sorted((rule.rule, method) for rule in app.url_map.iter_rules()
                    for method in rule.methods - {"HEAD"})
    answered = 0
    for rule, method in routes:
        for _ in range(REQUESTS_PER_METHOD):
            request = random_request(rng, rule, method, world)
            response = client.open(request.pop("path"), **request)
            where = f"{method} {rule} (seed {seed}, request {answered})"
            assert response.status_code < 500, (where, response.get_data()[:300])
            echoed = response.get_data(as_text=True) + response.headers.get("Location", "")
            assert not any(key[8:-4] in echoed for key in world["planted"]), where
            if response.status_code >= 400 and response.is_json and rule.startswith("/oauth/"):
                body = response.get_json()  # OAuth's shape (RFC 6749 §5.2)
                assert set(body) == {"error", "error_description"}, (where, body)
                assert body["error"] in OAUTH_ERRORS and body["error_description"], (where, body)
            elif response.status_code >= 400 and response.is_json:
                error = response.get_json()["error"]
                assert error["type"] in ERROR_TYPES and error["message"], (where, error)
                assert error["message"] not in MARSHMALLOW_WORDS, (where, error)
            answered += 1
    assert answered == len(routes) * REQUESTS_PER_METHOD
