"""``Stripe-Context`` over HTTP: the same request as ``Stripe-Account`` (which Stripe has it
superseding) for every key type, in the idempotency keys, the request log and a browser's
preflight; what it echoes in an error is masked and cut as ``Stripe-Account``'s is. The SDK's
``stripe_context=`` is tested in ``tests/sdk/test_sdk_stripe_context.py``."""

from __future__ import annotations

import pytest

from payground import messages
from payground.core.keys import mask
from tests.api.test_oauth import (application, authorize_query, browser,  # noqa: F401
                                  exchange, tokens)
from tests.helpers import assert_error
from tests.oauth_flow import business, platform  # noqa: F401 (fixtures)


def customers_of(account) -> list[str]:
    r = account.get("/v1/customers")
    assert r.status_code == 200, r.get_json()
    return [c["id"] for c in r.get_json()["data"]]


def unreachable(response, key: str, shown: str) -> None:
    assert_error(response, 403, code="account_invalid", message=messages.ACCOUNT_NOT_ACCESSIBLE
                 .format(masked=mask(key), account=shown))


def differ(response, account: str, context: str) -> dict:
    return assert_error(response, 400, message=messages.CONTEXT_AND_ACCOUNT_DIFFER.format(
        account=account, context=context))


@pytest.mark.parametrize("value", ["{platform}", "  {platform} "])
def test_the_keys_own_account_changes_nothing(platform, business, tokens, value):
    made = platform.post("/v1/customers", {"email": "jo@example.com"}, headers={
        "Stripe-Context": value.format(platform=platform.account_id)})

    assert made.status_code == 200, made.get_json()
    assert (customers_of(platform), customers_of(business)) == ([made.get_json()["id"]], [])


@pytest.mark.parametrize("value", ["", "   ", "\t"])
def test_an_empty_header_is_refused_on_no_account(platform, business, tokens, value):
    # granian hands a value with a non-ASCII byte over as "": ignored, the platform's code
    # ran on its own account.
    r = platform.post("/v1/customers", {"email": "jo@example.com"},
                      headers={"Stripe-Context": value})

    unreachable(r, platform.secret_key, "")
    assert (customers_of(platform), customers_of(business)) == ([], [])


def test_a_connected_account_is_acted_on_its_id_trimmed(platform, business, tokens):
    made = platform.post("/v1/customers", {"email": "jo@example.com"},
                         headers={"Stripe-Context": f" {business.account_id}\t"})

    assert made.status_code == 200, made.get_json()
    assert (customers_of(platform), customers_of(business)) == ([], [made.get_json()["id"]])


@pytest.mark.parametrize("path", ["{business}/acct_1Recipient", "{platform}/{business}",
                                  "{business}/", "/{business}"])
def test_a_path_of_accounts_is_refused_and_nothing_runs(platform, business, tokens, path):
    # No organisations, no recipients: not even the key's own account heading the path.
    wanted = path.format(platform=platform.account_id, business=business.account_id)
    r = platform.post("/v1/customers", {"email": "jo@example.com"},
                      headers={"Stripe-Context": wanted})

    unreachable(r, platform.secret_key, wanted)
    assert customers_of(platform) == customers_of(business) == []


def test_the_same_account_twice_is_one_request_different_ones_a_400(platform, business, tokens):
    both = {"Stripe-Context": business.account_id, "Stripe-Account": f" {business.account_id}"}
    made = platform.post("/v1/customers", {"email": "jo@example.com"}, headers=both)
    assert made.status_code == 200, made.get_json()

    for account, context in ((platform.account_id, business.account_id),
                             (business.account_id, platform.account_id),
                             (business.account_id, "acct_1Elsewhere")):
        r = platform.post("/v1/customers", {"email": "again@example.com"},
                          headers={"Stripe-Account": account, "Stripe-Context": context})
        differ(r, account, context)
    assert (customers_of(platform), customers_of(business)) == ([], [made.get_json()["id"]])


def test_a_key_in_either_header_is_masked_in_every_refusal(platform, business, tokens):
    key = platform.secret_key
    shown = mask(key)
    alone = platform.get("/v1/customers", headers={"Stripe-Context": key})
    unreachable(alone, key, shown)
    differing = [platform.get("/v1/customers", headers=headers) for headers in (
        {"Stripe-Context": key, "Stripe-Account": business.account_id},
        {"Stripe-Context": business.account_id, "Stripe-Account": key})]
    differ(differing[0], business.account_id, shown)
    differ(differing[1], shown, business.account_id)
    for r in [alone, *differing]:
        assert key not in r.get_data(as_text=True)
        assert key[8:20] not in r.get_data(as_text=True)


def test_a_long_or_odd_value_is_echoed_cut_and_readable(platform, business, tokens):
    long = "acct_" + "x" * 5000
    unreachable(platform.get("/v1/customers", headers={"Stripe-Context": long}),
                platform.secret_key, long[:100])
    differ(platform.get("/v1/customers", headers={"Stripe-Context": long,
                                                  "Stripe-Account": business.account_id}),
           business.account_id, long[:100])
    # Werkzeug's server (the fixture's) passes a NUL on; the message shows it escaped.
    unreachable(platform.get("/v1/customers", headers={"Stripe-Context": "acct_\x00x\x01"}),
                platform.secret_key, "acct_%00x\x01")


@pytest.mark.parametrize("header", ["Stripe-Account", "Stripe-Context"])
@pytest.mark.parametrize("value, shown", [
    ("acct_" + "a" * 36, None), ("acct_", None), ("acct_1Conn-ected", None),
    ("ACCT_1Connected", None), ("acct_1Conn\u00e9cted", None), ("acct_1C\x00x", "acct_1C%00x")])
def test_a_value_that_is_no_account_id_is_not_looked_up(platform, business, tokens,
                                                          monkeypatch, header, value, shown):
    """Only ``acct_`` and 1-35 letters or digits (what an id can be: ``accounts.id`` holds 40)
    is looked for; anything else names no account, without a query (PostgreSQL refuses a NUL
    in text: that query was a 500). Refused as an unknown account, in the same words."""
    from payground.services import connections

    looked_for: list[str] = []
    reach = connections.reach

    def watched(platform_id, livemode, account_id):
        looked_for.append(account_id)
        return reach(platform_id, livemode, account_id)

    monkeypatch.setattr(connections, "reach", watched)
    r = platform.post("/v1/customers", {"email": "jo@example.com"}, headers={header: value})
    unreachable(r, platform.secret_key, shown or value)
    assert looked_for == []
    longest = "acct_" + "a" * 35  # shaped like an id: looked for, and not found
    unreachable(platform.get("/v1/customers", headers={header: longest}), platform.secret_key,
                longest)
    assert looked_for == [longest]
    assert (customers_of(platform), customers_of(business)) == ([], [])


def test_an_access_token_reaches_its_own_account_only(platform, business, tokens):
    token = tokens["access_token"]
    made = platform.post("/v1/customers", {"email": "jo@example.com"}, key=token,
                         headers={"Stripe-Context": business.account_id})
    assert made.status_code == 200, made.get_json()

    r = platform.get("/v1/customers", key=token, headers={"Stripe-Context": platform.account_id})
    unreachable(r, token, platform.account_id)
    assert "request_log_url" not in r.get_json()["error"]  # logged in the account's log
    assert (customers_of(platform), customers_of(business)) == ([], [made.get_json()["id"]])


def test_a_publishable_key_reaches_the_publishable_routes(platform, business, tokens):
    acting = {"Stripe-Context": business.account_id}
    card = {"card[number]": "4242424242424242", "card[exp_month]": "12",
            "card[exp_year]": "2040", "card[cvc]": "123"}
    token = platform.post("/v1/tokens", card, key=platform.publishable_key, headers=acting)
    assert token.status_code == 200, token.get_json()
    # The token is the connected account's: the platform's own secret key does not find it.
    tok = token.get_json()["id"]
    assert_error(platform.get(f"/v1/tokens/{tok}"), 404, code="resource_missing", param="id",
                 message=f"No such token: '{tok}'")
    assert business.get(f"/v1/tokens/{tok}").status_code == 200
    assert_error(platform.get("/v1/charges", key=platform.publishable_key, headers=acting), 401,
                 code="secret_key_required", message=messages.SECRET_KEY_REQUIRED)
    unreachable(platform.get("/v1/customers", key=platform.publishable_key,
                             headers={"Stripe-Context": "acct_1Elsewhere"}),
                platform.publishable_key, "acct_1Elsewhere")


def test_a_restricted_key_keeps_its_permissions(platform, business, tokens):
    reader = platform.create_key(permissions=["customer_read"])
    acting = {"Stripe-Context": business.account_id}
    theirs = business.post("/v1/customers", {"email": "jo@example.com"}).get_json()["id"]

    assert [c["id"] for c in platform.get("/v1/customers", key=reader, headers=acting)
            .get_json()["data"]] == [theirs]
    r = platform.post("/v1/customers", {"email": "x@example.com"}, key=reader, headers=acting)
    assert_error(r, 403, message=messages.MISSING_PERMISSION.format(
        masked=mask(reader), account=business.account_id, permission="customer_write"))
    unreachable(platform.get("/v1/customers", key=reader,
                             headers={"Stripe-Context": "acct_1Elsewhere"}),
                reader, "acct_1Elsewhere")


def test_a_read_only_connection_allows_only_reads(platform, business, application, browser):
    exchange(platform, browser.code(authorize_query(application, scope="read_only")))
    acting = {"Stripe-Context": business.account_id}

    assert platform.get("/v1/customers", headers=acting).status_code == 200
    r = platform.post("/v1/customers", {"email": "jo@example.com"}, headers=acting)
    assert_error(r, 403, message=messages.OAUTH_READ_ONLY.format(account=business.account_id))
    assert customers_of(business) == []


def test_either_header_is_the_same_caller_for_an_idempotency_key(platform, business, tokens):
    body = {"email": "jo@example.com"}
    first = platform.post("/v1/customers", body, headers={
        "Stripe-Account": business.account_id, "Idempotency-Key": "order-1"})
    again = platform.post("/v1/customers", body, headers={
        "Stripe-Context": business.account_id, "Idempotency-Key": "order-1"})

    assert first.status_code == again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == first.get_json()["id"]
    assert (again.headers["Idempotent-Replayed"], again.headers["Original-Request"]) == (
        "true", first.headers["Request-Id"])
    assert customers_of(business) == [first.get_json()["id"]]
    # The account's own use of a key is never replayed to the platform, whichever header.
    own = business.post("/v1/customers", body, headers={"Idempotency-Key": "order-2"})
    assert own.status_code == 200, own.get_json()
    r = platform.post("/v1/customers", body, headers={
        "Stripe-Context": business.account_id, "Idempotency-Key": "order-2"})
    assert_error(r, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_OTHER_CALLER.format(key="order-2"))


def test_logged_in_the_connected_accounts_log_naming_the_platform(platform, business, tokens,
                                                                   client):
    acted = platform.get("/v1/customers", headers={"Stripe-Context": business.account_id})
    refused = platform.get("/v1/customers", headers={"Stripe-Context": business.account_id,
                                                     "Stripe-Account": platform.account_id})

    seen = client.get(f"/sandbox/requests/{acted.headers['Request-Id']}",
                      headers=business.session_auth).get_json()
    assert (seen["status"], seen["platform"]) == (200, platform.account_id)
    # Refused before acting on anything: the platform's own log has it, and its error links
    # there.
    request_id = refused.headers["Request-Id"]
    error = differ(refused, platform.account_id, business.account_id)
    assert error["request_log_url"].endswith(
        f"/dashboard/requests/{request_id}")
    mine = client.get(f"/sandbox/requests/{request_id}", headers=platform.session_auth).get_json()
    assert (mine["status"], mine["error_type"], mine["platform"]) == (
        400, "invalid_request_error", None)


def test_a_browsers_preflight_is_allowed_to_send_it(client):
    r = client.options("/v1/tokens", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,stripe-context"})

    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Headers"] == (
        "authorization,content-type,stripe-context")
    assert r.headers["Access-Control-Allow-Origin"] == "*"
