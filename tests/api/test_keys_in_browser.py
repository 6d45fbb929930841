"""A secret or restricted key sent by a web page is answered, as Stripe answers it, and
audited (``api_key.used_in_browser``): the key is in front-end code, where anyone can read it.
Browsers add ``Origin`` to every cross-origin call; server-side clients send none.
"""

from payground import messages
from payground.core.keys import mask
from tests.helpers import assert_error
from tests.sandbox.test_logs import key_ids, sandbox

PAGE = {"Origin": "https://shop.example"}
HOUR = 3600


def browser_events(account) -> list[dict]:
    return sandbox(account, "/sandbox/audit?type=api_key.used_in_browser").get_json()["data"]


def test_a_secret_key_from_a_page_works_and_is_audited_once(account, wall):
    made = account.post("/v1/customers", {"email": "page@example.com"}, headers=PAGE)

    assert made.status_code == 200
    [event] = browser_events(account)
    assert event.pop("id").startswith("aud_")
    assert event == {
        "object": "audit_event", "type": "api_key.used_in_browser", "created": int(wall[0]),
        "livemode": False, "key_id": key_ids(account)[("secret", False)],
        "key_redacted": f"sk_test_...{account.secret_key[-4:]}",
        "request_id": made.headers["Request-Id"], "client_ip": "127.0.0.1",
        "data": {"origin": "https://shop.example"}}


def test_one_event_an_hour_per_key_on_the_accounts_clock(account, wall):
    for _ in range(3):
        assert account.get("/v1/balance", headers=PAGE).status_code == 200
    assert len(browser_events(account)) == 1

    account.advance_clock(HOUR)
    assert account.get("/v1/balance", headers=PAGE).status_code == 200
    assert len(browser_events(account)) == 2


def test_each_key_and_mode_is_named(account):
    live = account.activate()
    account.get("/v1/balance", headers=PAGE)
    account.get("/v1/balance", key=live, headers={"Origin": "null"})  # a file:// page

    events = browser_events(account)
    assert [(e["key_redacted"], e["livemode"], e["data"]) for e in events] == [
        (f"sk_live_...{live[-4:]}", True, {"origin": "null"}),
        (f"sk_test_...{account.secret_key[-4:]}", False, {"origin": "https://shop.example"})]


def test_a_restricted_key_is_audited_even_when_the_call_is_refused(account):
    reader = account.create_key(permissions=["customer_read"])
    refused = account.post("/v1/charges", {"amount": "500", "currency": "usd",
                                           "source": "tok_visa"}, key=reader, headers=PAGE)

    assert refused.status_code == 403
    [event] = browser_events(account)
    assert (event["key_redacted"], event["request_id"]) == (
        f"rk_test_...{reader[-4:]}", refused.headers["Request-Id"])


def test_publishable_keys_server_calls_and_refused_keys_are_not(account):
    card = {"card[number]": "4242424242424242", "card[exp_month]": "12",
            "card[exp_year]": "2034", "card[cvc]": "123"}
    assert account.post("/v1/tokens", card, key=account.publishable_key,
                        headers=PAGE).status_code == 200  # what a page is meant to hold
    assert account.get("/v1/balance").status_code == 200  # no Origin: a server
    account.roll(account.secret_key)  # the old key is refused at once (expires_in=0)
    assert_error(account.get("/v1/balance", key=account.secret_key, headers=PAGE), 401,
                 code="api_key_expired",
                 message=messages.EXPIRED_API_KEY.format(masked=mask(account.secret_key)))

    assert browser_events(account) == []


def test_an_origin_that_holds_a_key_or_a_nul_is_stored_harmlessly(account):
    sent = f"https://{account.secret_key}.example/\x00"
    assert account.get("/v1/balance", headers={"Origin": sent}).status_code == 200

    [event] = browser_events(account)
    assert account.secret_key not in event["data"]["origin"]
    assert event["data"]["origin"].endswith(".example/%00")
