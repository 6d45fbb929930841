"""3-D Secure on PaymentIntents: Stripe's test cards, next_action, the authentication page,
off-session refusals, events, and every way the page refuses (``services.three_d_secure``)."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from payground import messages
from tests.api.test_payment_intents import create, event_types, made
from tests.helpers import assert_error

LINK = re.compile(r"^http://localhost/3d_secure/(pi_\w+)\?token=([0-9a-f]{48})$")
SHOP = "https://shop.example/checkout/done"
# Cards that ask on session (magic payment method, its number).
ASKING = [
    ("pm_card_authenticationRequiredOnSetup", "4000002500003155"),
    ("pm_card_authenticationRequired", "4000002760003184"),
    ("pm_card_authenticationRequiredSetupForOffSession", "4000003800000446"),
    ("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds", "4000008260003178"),
    ("pm_card_threeDSecure2Required", "4000000000003220"),
    ("pm_card_threeDSecureRequired", "4000000000003063"),
    ("pm_card_threeDSecureRequiredChargeDeclined", "4000008400001629"),
]
FAILURE = {
    "type": "invalid_request_error", "code": "payment_intent_authentication_failure",
    "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
    "message": messages.INTENT_AUTHENTICATION_FAILURE, "payment_method_type": "card"}


def waiting(account, payment_method="pm_card_authenticationRequired", **params) -> dict:
    """An intent confirmed with a card that asks: requires_action."""
    pi = made(account, payment_method=payment_method, confirm="true", **params)
    assert pi["status"] == "requires_action", pi
    return pi


def link_of(pi) -> str:
    action = pi["next_action"]
    return (action["redirect_to_url"]["url"] if action["type"] == "redirect_to_url"
            else action["use_stripe_sdk"]["stripe_js"])


def page_path(pi) -> tuple[str, str]:
    """The page's path and the link's token."""
    intent_id, token = LINK.match(link_of(pi)).groups()
    assert intent_id == pi["id"]
    return f"/3d_secure/{intent_id}", token


def press(account, pi, action="complete", token=None):
    path, link_token = page_path(pi)
    return account.client.post(path, data={"token": token or link_token, "action": action})


def retrieve(account, intent_id) -> dict:
    return account.get(f"/v1/payment_intents/{intent_id}").get_json()


def charges_of(account, intent_id) -> list[dict]:
    return account.get(f"/v1/charges?payment_intent={intent_id}").get_json()["data"]


def page_error(response, status, message) -> str:
    """A refusal as the page shows it: the status, and the message in the page."""
    body = response.get_data(as_text=True)
    assert response.status_code == status, body
    assert response.mimetype == "text/html"
    assert f'<p class="alert" role="alert">{message}</p>' in body, body
    return body


def redirected(response) -> dict:
    """The 303 to the return_url: Stripe's parameters after the shop's own."""
    assert response.status_code == 303, response.get_data(as_text=True)
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "shop.example",
                                                                 "/checkout/done")
    return {name: values[0] for name, values in parse_qs(location.query).items()}


# --- which cards ask, and what next_action says ------------------------------------------------


@pytest.mark.parametrize("payment_method,number", ASKING)
def test_each_card_that_asks_waits_for_the_customer(account, payment_method, number):
    pi = waiting(account, payment_method)
    assert LINK.match(pi["next_action"]["use_stripe_sdk"]["stripe_js"])
    assert pi["next_action"] == {"type": "use_stripe_sdk", "use_stripe_sdk": {
        "type": "three_d_secure_redirect", "stripe_js": link_of(pi)}}
    assert (pi["amount_received"], pi["amount_capturable"], pi["latest_charge"],
            pi["last_payment_error"]) == (0, 0, None, None)
    assert charges_of(account, pi["id"]) == []  # nothing is charged before the answer
    method = account.get(f"/v1/payment_methods/{pi['payment_method']}").get_json()
    assert method["card"]["last4"] == number[-4:]
    assert event_types(account, pi["id"]) == ["payment_intent.created",
                                              "payment_intent.requires_action"]


@pytest.mark.parametrize("payment_method,number", ASKING)
def test_the_card_numbers_ask_too(account, payment_method, number):
    method = account.post("/v1/payment_methods", {
        "type": "card", "card[number]": number, "card[exp_month]": "12",
        "card[exp_year]": "2040", "card[cvc]": "123"}, key=account.publishable_key).get_json()
    pi = waiting(account, method["id"], return_url=SHOP)
    assert pi["payment_method"] == method["id"]


@pytest.mark.parametrize("payment_method", ["pm_card_visa", "pm_card_threeDSecureOptional",
                                            "pm_card_amex_threeDSecureNotSupported"])
def test_cards_that_do_not_ask_succeed_at_once(account, payment_method):
    pi = made(account, payment_method=payment_method, confirm="true", return_url=SHOP)
    assert (pi["status"], pi["next_action"]) == ("succeeded", None)


def test_request_three_d_secure_makes_a_card_that_supports_it_ask(account):
    options = {"payment_method_options[card][request_three_d_secure]": "challenge"}
    pi = waiting(account, "pm_card_threeDSecureOptional", **options)
    assert pi["payment_method_options"]["card"]["request_three_d_secure"] == "challenge"
    # 4242's issuer is not enrolled, Amex's card does not support it: no authentication.
    for payment_method in ("pm_card_visa", "pm_card_amex_threeDSecureNotSupported"):
        paid = made(account, payment_method=payment_method, confirm="true",
                    **{"payment_method_options[card][request_three_d_secure]": "any"})
        assert paid["status"] == "succeeded"
    # Off session nobody can answer: it goes ahead without.
    off = made(account, payment_method="pm_card_threeDSecureOptional", confirm="true",
               off_session="true", **options)
    assert off["status"] == "succeeded"


def test_a_return_url_makes_next_action_a_redirect(account):
    pi = waiting(account, return_url=SHOP + "?order=7")
    assert pi["next_action"] == {"type": "redirect_to_url", "redirect_to_url": {
        "return_url": SHOP + "?order=7", "url": link_of(pi)}}
    assert LINK.match(link_of(pi))
    later = made(account, payment_method="pm_card_threeDSecure2Required")
    r = account.post(f"/v1/payment_intents/{later['id']}/confirm", {"return_url": SHOP})
    assert r.get_json()["next_action"]["redirect_to_url"]["return_url"] == SHOP


def test_the_publishable_key_sees_next_action(account):
    pi = made(account, payment_method="pm_card_authenticationRequired")
    r = account.post(f"/v1/payment_intents/{pi['id']}/confirm", {
        "client_secret": pi["client_secret"], "return_url": SHOP}, key=account.publishable_key)
    assert r.status_code == 200, r.get_json()
    shown = r.get_json()
    assert (shown["status"], shown["next_action"]["type"], "metadata" in shown) == (
        "requires_action", "redirect_to_url", False)


# --- the page: complete ------------------------------------------------------------------------


def test_completing_charges_the_card_and_returns_to_the_shop(account):
    pi = waiting(account, return_url=SHOP + "?order=7")
    path, token = page_path(pi)
    page = account.client.get(f"{path}?token={token}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert ">Complete authentication</button>" in body and ">Fail authentication</button>" in body
    assert "$20.00 USD" in body and "Visa ending in 3184" in body
    assert (page.headers["Cache-Control"], page.headers["Referrer-Policy"]) == ("no-store",
                                                                                "no-referrer")
    for secret in (account.secret_key, account.publishable_key, pi["client_secret"]):
        assert secret not in body

    r = press(account, pi)

    location = r.headers["Location"]
    assert location.startswith(SHOP + "?order=7&payment_intent=")  # the shop's query first
    assert redirected(r) == {"order": "7", "payment_intent": pi["id"],
                             "payment_intent_client_secret": pi["client_secret"],
                             "redirect_status": "succeeded"}
    paid = retrieve(account, pi["id"])
    assert (paid["status"], paid["amount_received"], paid["next_action"]) == (
        "succeeded", 2000, None)
    (charge,) = charges_of(account, pi["id"])
    assert (charge["id"], charge["status"], charge["captured"]) == (
        paid["latest_charge"], "succeeded", True)
    assert event_types(account, pi["id"]) == ["payment_intent.created",
                                              "payment_intent.requires_action",
                                              "payment_intent.succeeded"]
    events = account.get("/v1/events?limit=10").get_json()["data"]
    by_type = {e["type"]: e for e in events}
    assert by_type["payment_intent.requires_action"]["request"]["id"].startswith("req_")
    # The customer acted on the page, not an API request: as on Stripe, no request.
    for name in ("payment_intent.succeeded", "charge.succeeded"):
        assert by_type[name]["request"] == {"id": None, "idempotency_key": None}


def test_completing_a_manual_capture_authorises_it(account):
    pi = waiting(account, "pm_card_threeDSecure2Required", capture_method="manual",
                 return_url=SHOP)
    assert redirected(press(account, pi))["redirect_status"] == "succeeded"
    held = retrieve(account, pi["id"])
    assert (held["status"], held["amount_capturable"]) == ("requires_capture", 2000)
    assert event_types(account, pi["id"])[-1] == "payment_intent.amount_capturable_updated"
    captured = account.post(f"/v1/payment_intents/{pi['id']}/capture").get_json()
    assert (captured["status"], captured["amount_received"]) == ("succeeded", 2000)


@pytest.mark.parametrize("payment_method,decline_code,message", [
    ("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds", "insufficient_funds",
     messages.CARD_INSUFFICIENT_FUNDS),
    ("pm_card_threeDSecureRequiredChargeDeclined", "generic_decline", messages.CARD_DECLINED),
])
def test_completing_can_still_be_declined(account, payment_method, decline_code, message):
    pi = waiting(account, payment_method, return_url=SHOP)
    assert redirected(press(account, pi))["redirect_status"] == "failed"
    failed = retrieve(account, pi["id"])
    error = failed["last_payment_error"]
    assert (failed["status"], failed["payment_method"], failed["next_action"]) == (
        "requires_payment_method", None, None)
    assert (error["type"], error["code"], error["decline_code"], error["message"]) == (
        "card_error", "card_declined", decline_code, message)
    (charge,) = charges_of(account, pi["id"])
    assert (charge["status"], charge["id"], error["charge"]) == ("failed", failed["latest_charge"],
                                                                 charge["id"])
    assert event_types(account, pi["id"])[-1] == "payment_intent.payment_failed"


UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def authenticated(charge) -> None:
    """Stripe's ``payment_method_details.card.three_d_secure`` after a passed challenge."""
    shown = dict(charge["payment_method_details"]["card"]["three_d_secure"])
    assert UUID.match(shown.pop("transaction_id")), charge
    assert shown == {"authentication_flow": "challenge", "electronic_commerce_indicator": "05",
                     "exemption_indicator": None, "exemption_indicator_applied": False,
                     "result": "authenticated", "result_reason": None, "version": "2.2.0"}


@pytest.mark.parametrize("payment_method,status", [
    ("pm_card_authenticationRequired", "succeeded"),
    ("pm_card_authenticationRequiredChargeDeclinedInsufficientFunds", "failed"),
    ("pm_card_threeDSecureRequiredChargeDeclined", "failed"),
])
def test_the_charge_says_it_was_authenticated(account, payment_method, status):
    # Declined after all or not, the customer did authenticate: Stripe shows it either way.
    pi = waiting(account, payment_method)
    press(account, pi)
    (charge,) = charges_of(account, pi["id"])
    assert charge["status"] == status
    authenticated(charge)
    authenticated(account.get(f"/v1/charges/{charge['id']}").get_json())
    events = account.get("/v1/events?type=charge.*").get_json()["data"]
    assert [e["data"]["object"]["id"] for e in events] == [charge["id"]]
    authenticated(events[0]["data"]["object"])  # the event's snapshot too


def test_charges_without_authentication_show_none(account):
    paid = made(account, payment_method="pm_card_visa", confirm="true")
    direct = account.post("/v1/charges", {"amount": 500, "currency": "usd",
                                          "source": "tok_visa"}).get_json()
    failed = waiting(account, return_url=SHOP)
    press(account, failed, "fail")
    # A later payment of the same intent, with no authentication, shows none either.
    again = account.post(f"/v1/payment_intents/{failed['id']}/confirm",
                         {"payment_method": "pm_card_visa"}).get_json()
    assert again["status"] == "succeeded"
    shown = [charges_of(account, paid["id"])[0], direct, *charges_of(account, failed["id"])]
    assert [c["payment_method_details"]["card"]["three_d_secure"] for c in shown] == [None] * 3


def test_only_the_authenticated_charge_of_an_intent_says_so(account):
    # Declined after authenticating, then paid off session without asking (the ...3178 card
    # needs it on session only): the second charge was not authenticated.
    customer = account.post("/v1/customers").get_json()["id"]
    method = card_method(account, "4000008260003178")
    account.post(f"/v1/payment_methods/{method}/attach", {"customer": customer})
    pi = waiting(account, method, customer=customer)
    press(account, pi)
    r = account.post(f"/v1/payment_intents/{pi['id']}/confirm",
                     {"payment_method": method, "off_session": "true"})
    assert_error(r, 402, type="card_error", code="card_declined",
                 message=messages.CARD_INSUFFICIENT_FUNDS)
    later, first = charges_of(account, pi["id"])
    authenticated(first)
    assert later["payment_method_details"]["card"]["three_d_secure"] is None


def test_without_a_return_url_the_page_says_it_may_be_closed(account):
    pi = waiting(account)
    r = press(account, pi)
    body = r.get_data(as_text=True)
    assert (r.status_code, "Location" in r.headers) == (200, False)
    assert "<h1>Authentication completed</h1>" in body
    assert "is now <strong>succeeded</strong>" in body


# --- the page: fail ----------------------------------------------------------------------------


def test_failing_returns_the_intent_to_requires_payment_method(account):
    pi = waiting(account, return_url=SHOP)
    method = pi["payment_method"]

    r = press(account, pi, "fail")

    assert redirected(r) == {"payment_intent": pi["id"],
                             "payment_intent_client_secret": pi["client_secret"],
                             "redirect_status": "failed"}
    failed = retrieve(account, pi["id"])
    error = failed.pop("last_payment_error")
    assert error.pop("payment_method")["id"] == method
    assert error == FAILURE
    assert (failed["status"], failed["payment_method"], failed["latest_charge"],
            failed["next_action"]) == ("requires_payment_method", None, None, None)
    assert charges_of(account, pi["id"]) == []
    assert event_types(account, pi["id"]) == ["payment_intent.created",
                                              "payment_intent.requires_action",
                                              "payment_intent.payment_failed"]
    # Another card, confirmed again: the error is gone.
    retried = account.post(f"/v1/payment_intents/{pi['id']}/confirm",
                           {"payment_method": "pm_card_visa"}).get_json()
    assert (retried["status"], retried["last_payment_error"]) == ("succeeded", None)


def test_failing_without_a_return_url(account):
    pi = waiting(account, "pm_card_threeDSecure2Required")
    r = press(account, pi, "fail")
    assert (r.status_code, "<h1>Authentication failed</h1>" in r.get_data(as_text=True)) == (
        200, True)
    assert retrieve(account, pi["id"])["last_payment_error"]["code"] == \
        "payment_intent_authentication_failure"


def test_webhook_endpoints_are_sent_the_new_events(account):
    r = account.post("/v1/webhook_endpoints", {
        "url": "http://127.0.0.1:9/hook",
        "enabled_events[]": ["payment_intent.requires_action", "payment_intent.payment_failed"]})
    assert r.status_code == 200, r.get_json()
    pi = waiting(account)
    press(account, pi, "fail")
    listed = account.client.get("/sandbox/webhook_deliveries", headers=account.session_auth,
                                query_string={"limit": 100}).get_json()["data"]
    assert [d["event_type"] for d in reversed(listed)] == ["payment_intent.requires_action",
                                                           "payment_intent.payment_failed"]
    sent = account.get(f"/v1/events/{listed[-1]['event']}").get_json()["data"]["object"]
    assert (sent["id"], sent["status"], sent["next_action"]["type"]) == (
        pi["id"], "requires_action", "use_stripe_sdk")


# --- off session, error_on_requires_action, the Charges API ------------------------------------


@pytest.mark.parametrize("payment_method", ["pm_card_authenticationRequired",
                                            "pm_card_authenticationRequiredOnSetup",
                                            "pm_card_threeDSecure2Required"])
def test_off_session_a_card_that_asks_is_declined(account, payment_method):
    r = create(account, payment_method=payment_method, confirm="true", off_session="true")

    error = assert_error(r, 402, type="card_error", code="authentication_required",
                         decline_code="authentication_required",
                         message=messages.CARD_AUTHENTICATION_REQUIRED)
    intent = error["payment_intent"]
    assert (intent["status"], intent["payment_method"], intent["next_action"]) == (
        "requires_payment_method", None, None)
    last = intent["last_payment_error"]
    assert (last["code"], last["decline_code"], last["charge"]) == (
        "authentication_required", "authentication_required", error["charge"])
    charge = account.get(f"/v1/charges/{error['charge']}").get_json()
    assert (charge["status"], charge["failure_code"], charge["outcome"]["reason"]) == (
        "failed", "authentication_required", "authentication_required")
    assert event_types(account, intent["id"]) == ["payment_intent.created",
                                                  "payment_intent.payment_failed"]


def test_off_session_the_cards_that_need_it_on_session_only(account):
    ok = made(account, payment_method="pm_card_authenticationRequiredSetupForOffSession",
              confirm="true", off_session="recurring")
    assert ok["status"] == "succeeded"
    r = create(account, confirm="true", off_session="true",
               payment_method="pm_card_authenticationRequiredChargeDeclinedInsufficientFunds")
    assert_error(r, 402, type="card_error", code="card_declined",
                 decline_code="insufficient_funds", message=messages.CARD_INSUFFICIENT_FUNDS)


def test_a_card_set_up_on_session_pays_off_session_later(account):
    customer = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()["id"]
    first = waiting(account, "pm_card_authenticationRequiredOnSetup", customer=customer,
                    setup_future_usage="off_session")
    press(account, first)
    saved = retrieve(account, first["id"])["payment_method"]
    assert account.get(f"/v1/payment_methods/{saved}").get_json()["customer"] == customer

    later = made(account, customer=customer, payment_method=saved, confirm="true",
                 off_session="true")
    assert (later["status"], later["next_action"]) == ("succeeded", None)
    # On session it still asks, set up or not (Stripe's rule for this card).
    waiting(account, saved, customer=customer)


# A PaymentIntent's saving (its setup_future_usage, or the card's own option, which wins) ->
# whether the card is then set up for off-session payments. Only off_session sets it up, as a
# SetupIntent's usage does: on_session saves it for payments the customer is there for.
SAVINGS = [
    ({"setup_future_usage": "off_session"}, True),
    ({"setup_future_usage": "on_session"}, False),
    ({"setup_future_usage": "on_session",
      "payment_method_options[card][setup_future_usage]": "off_session"}, True),
    ({"setup_future_usage": "off_session",
      "payment_method_options[card][setup_future_usage]": "on_session"}, False),
]


@pytest.mark.parametrize("saving,set_up", SAVINGS)
def test_only_an_off_session_saving_sets_the_card_up_for_off_session_payments(account, saving,
                                                                              set_up):
    customer = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()["id"]
    first = waiting(account, "pm_card_authenticationRequiredOnSetup", customer=customer,
                    **saving)
    press(account, first)
    assert retrieve(account, first["id"])["status"] == "succeeded"
    saved = retrieve(account, first["id"])["payment_method"]
    # Saved to the customer either way.
    assert account.get(f"/v1/payment_methods/{saved}").get_json()["customer"] == customer
    r = create(account, customer=customer, payment_method=saved, confirm="true",
               off_session="true")
    if set_up:
        assert (r.status_code, r.get_json()["status"]) == (200, "succeeded")
        return
    error = assert_error(r, 402, type="card_error", code="authentication_required",
                         decline_code="authentication_required",
                         message=messages.CARD_AUTHENTICATION_REQUIRED)
    assert error["payment_intent"]["status"] == "requires_payment_method"
    # An off_session saving afterwards (the customer there again, authenticating) does.
    again = waiting(account, saved, customer=customer, setup_future_usage="off_session")
    press(account, again)
    later = made(account, customer=customer, payment_method=saved, confirm="true",
                 off_session="true")
    assert later["status"] == "succeeded"


def test_a_card_option_of_none_sets_an_attached_card_up_for_nothing(account):
    # The card's option wins over the intent's off_session: "none" saves, and sets up, nothing.
    customer = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()["id"]
    method = card_method(account, "4000002500003155")
    account.post(f"/v1/payment_methods/{method}/attach", {"customer": customer})
    first = waiting(account, method, customer=customer, setup_future_usage="off_session",
                    **{"payment_method_options[card][setup_future_usage]": "none"})
    press(account, first)
    assert retrieve(account, first["id"])["status"] == "succeeded"
    r = create(account, customer=customer, payment_method=method, confirm="true",
               off_session="true")
    assert_error(r, 402, type="card_error", code="authentication_required",
                 decline_code="authentication_required",
                 message=messages.CARD_AUTHENTICATION_REQUIRED)


def test_a_card_set_up_off_session_without_a_customer_keeps_it_once_attached(account):
    """Authenticated and saved (``off_session``) without a customer: that was its one use, so
    nothing takes it until it is attached; attached, it pays off session without asking."""
    method = card_method(account, "4000002500003155")
    first = waiting(account, method, setup_future_usage="off_session")
    press(account, first)
    assert retrieve(account, first["id"])["status"] == "succeeded"
    spent(create(account, payment_method=method, confirm="true", off_session="true"))
    customer = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()["id"]
    attached = account.post(f"/v1/payment_methods/{method}/attach", {"customer": customer})
    assert (attached.status_code, attached.get_json()["customer"]) == (200, customer)
    later = made(account, customer=customer, payment_method=method, confirm="true",
                 off_session="true")
    assert (later["status"], later["next_action"]) == ("succeeded", None)


def test_an_always_authenticate_card_is_declined_off_session_even_when_set_up(account):
    customer = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()["id"]
    first = waiting(account, customer=customer, setup_future_usage="off_session")
    press(account, first)
    saved = retrieve(account, first["id"])["payment_method"]
    r = create(account, customer=customer, payment_method=saved, confirm="true",
               off_session="true")
    assert_error(r, 402, type="card_error", code="authentication_required",
                 decline_code="authentication_required",
                 message=messages.CARD_AUTHENTICATION_REQUIRED)


def test_error_on_requires_action_declines_rather_than_wait(account):
    r = create(account, payment_method="pm_card_threeDSecure2Required", confirm="true",
               error_on_requires_action="true")
    error = assert_error(r, 402, type="card_error", code="authentication_required",
                         decline_code="authentication_required",
                         message=messages.CARD_AUTHENTICATION_REQUIRED)
    assert error["payment_intent"]["status"] == "requires_payment_method"
    assert "payment_intent.requires_action" not in event_types(account,
                                                              error["payment_intent"]["id"])


@pytest.mark.parametrize("number", ["4000002760003184", "4000000000003220"])
def test_an_expired_card_is_declined_before_it_is_asked_to_authenticate(account, number):
    # Stripe declines expired_card at confirmation: no requires_action, no page to answer.
    today = datetime.fromtimestamp(account.advance_clock(1), timezone.utc)
    method = account.post("/v1/payment_methods", {
        "type": "card", "card[number]": number, "card[exp_month]": str(today.month),
        "card[exp_year]": str(today.year), "card[cvc]": "123"},
        key=account.publishable_key).get_json()["id"]
    account.advance_clock(40 * 86400)  # its expiry month is over on the account's clock
    r = create(account, payment_method=method, confirm="true", return_url=SHOP)

    error = assert_error(r, 402, type="card_error", code="expired_card", param="exp_month",
                         message=messages.CARD_EXPIRED)
    intent = error["payment_intent"]
    assert (intent["status"], intent["next_action"], intent["last_payment_error"]["code"]) == (
        "requires_payment_method", None, "expired_card")
    charge = account.get(f"/v1/charges/{error['charge']}").get_json()
    assert (charge["status"], charge["failure_code"]) == ("failed", "expired_card")
    assert event_types(account, intent["id"]) == ["payment_intent.created",
                                                  "payment_intent.payment_failed"]


@pytest.mark.parametrize("source,status", [("tok_authenticationRequired", 402),
                                           ("tok_threeDSecure2Required", 402),
                                           ("tok_authenticationRequiredSetupForOffSession", 200),
                                           ("tok_threeDSecureOptional", 200)])
def test_the_charges_api_cannot_authenticate(account, source, status):
    r = account.post("/v1/charges", {"amount": 2000, "currency": "usd", "source": source})
    if status == 200:
        assert (r.status_code, r.get_json()["status"]) == (200, "succeeded")
        return
    error = assert_error(r, 402, type="card_error", code="authentication_required",
                         decline_code="authentication_required",
                         message=messages.CARD_AUTHENTICATION_REQUIRED)
    assert account.get(f"/v1/charges/{error['charge']}").get_json()["status"] == "failed"


def test_live_mode_has_no_three_d_secure(account):
    live = account.activate()
    r = account.post("/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_authenticationRequired",
        "confirm": "true"}, key=live)
    error = assert_error(r, 402, type="card_error", code="card_declined",
                         decline_code="live_mode_test_card",
                         message=messages.LIVE_MODE_TEST_CARD)
    assert error["payment_intent"]["next_action"] is None
    token = account.post("/v1/tokens", {
        "card[number]": "4012888888881881", "card[exp_month]": "12", "card[exp_year]": "2040"},
        key=account.live_publishable_key).get_json()["id"]
    method = account.post("/v1/payment_methods", {"type": "card", "card[token]": token},
                          key=live).get_json()["id"]
    paid = account.post("/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "payment_method": method, "confirm": "true",
        "payment_method_options[card][request_three_d_secure]": "challenge"}, key=live)
    assert (paid.status_code, paid.get_json()["status"]) == (200, "succeeded")


# --- confirming again, idempotency, updates, cancel --------------------------------------------


def test_a_repeated_confirm_with_its_idempotency_key_is_the_same_answer(account):
    pi = made(account, payment_method="pm_card_authenticationRequired")
    headers = {"Idempotency-Key": "confirm-3ds-1"}
    first = account.post(f"/v1/payment_intents/{pi['id']}/confirm", {"return_url": SHOP},
                         headers=headers)
    again = account.post(f"/v1/payment_intents/{pi['id']}/confirm", {"return_url": SHOP},
                         headers=headers)
    assert (first.status_code, again.status_code, again.data) == (200, 200, first.data)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert event_types(account, pi["id"]).count("payment_intent.requires_action") == 1


def test_confirming_again_makes_a_new_link_and_the_old_one_a_404(account):
    old = waiting(account)
    new = account.post(f"/v1/payment_intents/{old['id']}/confirm").get_json()
    assert new["status"] == "requires_action" and link_of(new) != link_of(old)
    page_error(press(account, old), 404, messages.AUTHENTICATION_NOT_FOUND)
    assert retrieve(account, old["id"])["status"] == "requires_action"
    press(account, new)
    assert retrieve(account, old["id"])["status"] == "succeeded"
    assert event_types(account, old["id"]).count("payment_intent.requires_action") == 2


def card_method(account, number="4000002760003184") -> str:
    """A payment method of a card number, attached to nobody: single-use."""
    return account.post("/v1/payment_methods", {
        "type": "card", "card[number]": number, "card[exp_month]": "12",
        "card[exp_year]": "2040", "card[cvc]": "123"}).get_json()["id"]


def spent(response) -> None:
    assert_error(response, 400, type="invalid_request_error", param="payment_method",
                 message=messages.PAYMENT_METHOD_SPENT)


def test_a_single_use_method_awaiting_authentication_pays_no_other_intent(account):
    # Else the customer could authenticate, and pay, two intents with one single-use card.
    method = card_method(account)
    first = waiting(account, method)
    spent(create(account, payment_method=method, confirm="true"))
    other = made(account, payment_method="pm_card_visa")
    spent(account.post(f"/v1/payment_intents/{other['id']}", {"payment_method": method}))
    spent(account.post(f"/v1/payment_intents/{other['id']}/confirm",
                       {"payment_method": method}))
    spent(account.post(f"/v1/payment_methods/{method}/attach", {
        "customer": account.post("/v1/customers").get_json()["id"]}))
    # The intent holding it may still use it: updated, confirmed again (a new link), paid.
    r = account.post(f"/v1/payment_intents/{first['id']}",
                     {"amount": 2500, "payment_method": method})
    assert (r.status_code, r.get_json()["status"]) == (200, "requires_confirmation")
    again = account.post(f"/v1/payment_intents/{first['id']}/confirm",
                         {"payment_method": method})
    assert (again.status_code, again.get_json()["status"]) == (200, "requires_action")
    press(account, again.get_json())
    assert [c["amount"] for c in charges_of(account, first["id"])] == [2500]
    assert account.get("/v1/charges").get_json()["data"][0]["payment_intent"] == first["id"]
    assert len(account.get("/v1/charges").get_json()["data"]) == 1
    spent(create(account, payment_method=method, confirm="true"))


@pytest.mark.parametrize("end", ["fail", "cancel"])
def test_a_single_use_method_is_spent_once_its_authentication_ends(account, end):
    method = card_method(account)
    pi = waiting(account, method)
    if end == "fail":
        press(account, pi, "fail")
    else:
        account.post(f"/v1/payment_intents/{pi['id']}/cancel")
    spent(create(account, payment_method=method, confirm="true"))
    if end == "fail":  # the intent itself has let it go: another card now
        spent(account.post(f"/v1/payment_intents/{pi['id']}/confirm",
                           {"payment_method": method}))


def test_a_method_the_intent_no_longer_holds_is_checked_again(account):
    held, other = card_method(account), card_method(account, "4242424242424242")
    pi = waiting(account, held)
    account.post(f"/v1/payment_intents/{pi['id']}", {"payment_method": other})
    made(account, payment_method=other, confirm="true")  # another intent spends it
    spent(account.post(f"/v1/payment_intents/{pi['id']}/confirm"))
    spent(account.post(f"/v1/payment_intents/{pi['id']}/confirm", {"payment_method": held}))
    assert charges_of(account, pi["id"]) == []


def test_a_customers_method_awaiting_authentication_stays_reusable(account):
    customer = account.post("/v1/customers").get_json()["id"]
    method = card_method(account, "4000002500003155")
    account.post(f"/v1/payment_methods/{method}/attach", {"customer": customer})
    first = waiting(account, method, customer=customer)
    second = waiting(account, method, customer=customer)
    for pi in (first, second):
        press(account, pi)
        assert retrieve(account, pi["id"])["status"] == "succeeded"


def test_a_saved_card_is_free_again_once_authenticated(account):
    customer = account.post("/v1/customers").get_json()["id"]
    method = card_method(account, "4000002500003155")
    pi = waiting(account, method, customer=customer, setup_future_usage="off_session")
    press(account, pi)
    later = made(account, customer=customer, payment_method=method, confirm="true",
                 off_session="true")
    assert later["status"] == "succeeded"


@pytest.mark.parametrize("save", [False, True])
def test_a_method_detached_while_waiting_still_pays_for_what_was_authenticated(account, save):
    # Stripe is silent; Payground's rule (README): the customer authenticated the card the
    # intent holds, so completing charges it; but it is spent for good: it pays nothing else,
    # and saving it does not attach it again.
    customer = account.post("/v1/customers").get_json()["id"]
    method = card_method(account, "4000002500003155")
    account.post(f"/v1/payment_methods/{method}/attach", {"customer": customer})
    extra = {"setup_future_usage": "off_session"} if save else {}
    pi = waiting(account, method, customer=customer, return_url=SHOP, **extra)
    detached = account.post(f"/v1/payment_methods/{method}/detach")
    assert (detached.status_code, detached.get_json()["customer"]) == (200, None)

    assert redirected(press(account, pi))["redirect_status"] == "succeeded"

    paid = retrieve(account, pi["id"])
    (charge,) = charges_of(account, pi["id"])
    assert (paid["status"], paid["payment_method"], charge["payment_method"]) == (
        "succeeded", method, method)
    authenticated(charge)
    shown = account.get(f"/v1/payment_methods/{method}").get_json()
    assert shown["customer"] is None
    types = [e["type"] for e in account.get("/v1/events?limit=20").get_json()["data"]]
    assert types.count("payment_method.attached") == 1  # the first attach only
    spent(create(account, payment_method=method, customer=customer, confirm="true"))


def test_a_method_detached_while_waiting_cannot_be_confirmed_again(account):
    customer = account.post("/v1/customers").get_json()["id"]
    method = card_method(account)
    account.post(f"/v1/payment_methods/{method}/attach", {"customer": customer})
    pi = waiting(account, method, customer=customer)
    account.post(f"/v1/payment_methods/{method}/detach")
    spent(account.post(f"/v1/payment_intents/{pi['id']}/confirm"))
    spent(account.post(f"/v1/payment_intents/{pi['id']}", {"payment_method": method}))
    # Refused, nothing changed: the link still answers, and completing it pays.
    assert retrieve(account, pi["id"])["status"] == "requires_action"
    press(account, pi)
    assert retrieve(account, pi["id"])["status"] == "succeeded"


@pytest.mark.parametrize("end", ["fail", "cancel"])
def test_a_method_detached_while_waiting_is_spent_however_it_ends(account, end):
    # Failed or canceled, nothing charged it: it stays detached and spent, as any detached one.
    customer = account.post("/v1/customers").get_json()["id"]
    method = card_method(account)
    account.post(f"/v1/payment_methods/{method}/attach", {"customer": customer})
    pi = waiting(account, method, customer=customer, setup_future_usage="off_session")
    account.post(f"/v1/payment_methods/{method}/detach")
    if end == "fail":
        assert press(account, pi, "fail").status_code == 200
        failed = retrieve(account, pi["id"])
        assert (failed["status"], failed["last_payment_error"]["code"]) == (
            "requires_payment_method", "payment_intent_authentication_failure")
    else:
        canceled = account.post(f"/v1/payment_intents/{pi['id']}/cancel").get_json()
        assert canceled["status"] == "canceled"
        page_error(press(account, pi), 400, messages.AUTHENTICATION_NOT_AWAITED.format(
            noun="PaymentIntent", status="canceled"))
    assert charges_of(account, pi["id"]) == []
    assert account.get(f"/v1/payment_methods/{method}").get_json()["customer"] is None
    spent(create(account, payment_method=method, customer=customer, confirm="true"))
    if end == "fail":
        spent(account.post(f"/v1/payment_intents/{pi['id']}/confirm",
                           {"payment_method": method}))


def test_a_method_whose_customer_is_deleted_while_waiting_is_spent_for_good(account):
    # Deleting the customer detaches its methods: the same rule as a detach.
    customer = account.post("/v1/customers").get_json()["id"]
    method = card_method(account)
    account.post(f"/v1/payment_methods/{method}/attach", {"customer": customer})
    pi = waiting(account, method, customer=customer, setup_future_usage="off_session")
    assert account.delete(f"/v1/customers/{customer}").get_json()["deleted"] is True
    spent(account.post(f"/v1/payment_intents/{pi['id']}/confirm"))
    press(account, pi)
    assert retrieve(account, pi["id"])["status"] == "succeeded"
    authenticated(charges_of(account, pi["id"])[0])
    assert account.get(f"/v1/payment_methods/{method}").get_json()["customer"] is None
    spent(create(account, payment_method=method, confirm="true"))


def test_updates_while_waiting(account):
    pi = waiting(account, return_url=SHOP)
    kept = account.post(f"/v1/payment_intents/{pi['id']}",
                        {"metadata[order]": "7", "description": "Order 7"}).get_json()
    assert (kept["status"], kept["next_action"]) == ("requires_action", pi["next_action"])
    changed = account.post(f"/v1/payment_intents/{pi['id']}", {"amount": 2500}).get_json()
    assert (changed["status"], changed["next_action"]) == ("requires_confirmation", None)
    page_error(press(account, pi), 400, messages.AUTHENTICATION_NOT_AWAITED.format(
        noun="PaymentIntent", status="requires_confirmation"))
    assert charges_of(account, pi["id"]) == []


@pytest.mark.parametrize("first,then", [("on_session", "off_session"), ("off_session", ""),
                                        ("off_session", "on_session")])
def test_changing_the_saving_while_waiting_asks_for_a_new_confirmation(account, first, then):
    """The saving is part of what the customer authenticates (an off_session one sets the card
    up for payments without them): changed while the intent waits, it must be confirmed
    again, as when its card's option (``payment_method_options``) changes; the old link no
    longer moves it on, so a card authenticated for an on-session saving is not set up for
    off-session payments by a later update."""
    customer = account.post("/v1/customers", {"email": "jo@example.com"}).get_json()["id"]
    pi = waiting(account, "pm_card_authenticationRequiredOnSetup", customer=customer,
                 setup_future_usage=first)
    same = account.post(f"/v1/payment_intents/{pi['id']}", {"setup_future_usage": first})
    assert (same.status_code, same.get_json()["status"]) == (200, "requires_action")
    changed = account.post(f"/v1/payment_intents/{pi['id']}",
                           {"setup_future_usage": then}).get_json()
    assert (changed["status"], changed["next_action"], changed["setup_future_usage"]) == (
        "requires_confirmation", None, then or None)
    page_error(press(account, pi), 400, messages.AUTHENTICATION_NOT_AWAITED.format(
        noun="PaymentIntent", status="requires_confirmation"))
    assert charges_of(account, pi["id"]) == []
    # Confirmed again, the customer authenticates the saving it has now.
    again = account.post(f"/v1/payment_intents/{pi['id']}/confirm").get_json()
    assert again["status"] == "requires_action"
    press(account, again)
    assert retrieve(account, pi["id"])["status"] == "succeeded"
    method = account.get(f"/v1/payment_methods/{pi['payment_method']}").get_json()
    assert method["customer"] == (customer if then else None)
    r = create(account, customer=customer, payment_method=method["id"], confirm="true",
               off_session="true")
    if then == "off_session":
        assert (r.status_code, r.get_json()["status"]) == (200, "succeeded")
    elif then == "on_session":
        assert_error(r, 402, type="card_error", code="authentication_required",
                     decline_code="authentication_required",
                     message=messages.CARD_AUTHENTICATION_REQUIRED)
    else:  # nothing saved: used once without a customer
        assert_error(r, 400, type="invalid_request_error", code=None, param="payment_method",
                     message=messages.PAYMENT_METHOD_SPENT)


def test_a_saving_the_card_option_overrides_changes_nothing_while_waiting(account):
    # The card's own option wins (none: nothing saved): the intent's is not what is
    # authenticated, and changing it leaves the intent waiting.
    pi = waiting(account, setup_future_usage="on_session",
                 **{"payment_method_options[card][setup_future_usage]": "none"})
    kept = account.post(f"/v1/payment_intents/{pi['id']}",
                        {"setup_future_usage": "off_session"}).get_json()
    assert (kept["status"], kept["next_action"]) == ("requires_action", pi["next_action"])

def test_a_canceled_intent_no_longer_awaits_authentication(account):
    pi = waiting(account)
    canceled = account.post(f"/v1/payment_intents/{pi['id']}/cancel").get_json()
    assert (canceled["status"], canceled["next_action"]) == ("canceled", None)
    path, token = page_path(pi)
    message = messages.AUTHENTICATION_NOT_AWAITED.format(noun="PaymentIntent", status="canceled")
    page_error(account.client.get(f"{path}?token={token}"), 400, message)
    page_error(press(account, pi), 400, message)
    assert retrieve(account, pi["id"])["status"] == "canceled"


# --- the page refuses: clear errors, nothing changed -------------------------------------------


def test_an_answered_link_says_so(account):
    done, failed = waiting(account), waiting(account)
    press(account, done)
    press(account, failed, "fail")
    for pi, outcome, status, other in ((done, "completed", "succeeded", "fail"),
                                       (failed, "failed", "requires_payment_method",
                                        "complete")):
        message = messages.AUTHENTICATION_FINISHED.format(outcome=outcome, status=status,
                                                           noun="PaymentIntent")
        path, token = page_path(pi)
        page_error(account.client.get(f"{path}?token={token}"), 400, message)
        page_error(press(account, pi, other), 400, message)
        assert retrieve(account, pi["id"])["status"] == status
    assert len(charges_of(account, done["id"])) == 1
    assert charges_of(account, failed["id"]) == []


@pytest.mark.parametrize("action,status,redirect_status", [
    ("complete", "succeeded", "succeeded"), ("fail", "requires_payment_method", "failed")])
def test_a_double_submit_gets_the_first_answer_again(account, action, status, redirect_status):
    # A double click sends the form twice, and the browser shows the second response: an
    # error page there would strand the customer short of the shop's return_url.
    pi = waiting(account, return_url=SHOP)
    first = press(account, pi, action)
    again = press(account, pi, action)
    assert again.headers["Location"] == first.headers["Location"]
    assert redirected(again)["redirect_status"] == redirect_status
    assert retrieve(account, pi["id"])["status"] == status
    assert len(charges_of(account, pi["id"])) == (1 if action == "complete" else 0)
    assert event_types(account, pi["id"]) == ["payment_intent.created",
                                              "payment_intent.requires_action",
                                              f"payment_intent.{status}" if action == "complete"
                                              else "payment_intent.payment_failed"]
    # Without a return_url, the page saying it is done, again.
    quiet = waiting(account)
    bodies = [press(account, quiet, action) for _ in range(2)]
    assert [(r.status_code, r.get_data(as_text=True)) for r in bodies] == [
        (200, bodies[0].get_data(as_text=True))] * 2
    assert len(charges_of(account, quiet["id"])) == (1 if action == "complete" else 0)


def test_parallel_answers_move_the_intent_once(app, account):
    pi, threads = waiting(account, return_url=SHOP), 8
    path, token = page_path(pi)
    barrier = threading.Barrier(threads)
    results: list = []

    def worker(n):
        action = ("complete", "fail")[n % 2]
        client = app.test_client()
        barrier.wait()
        r = client.post(path, data={"token": token, "action": action})
        results.append((action, r.status_code, r.headers.get("Location"),
                        r.get_data(as_text=True)))

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    final = retrieve(account, pi["id"])
    won = "complete" if final["status"] == "succeeded" else "fail"
    assert final["status"] in ("succeeded", "requires_payment_method")
    # Whoever answered as the winner did is sent on, to the same place; the others are told.
    locations = {location for action, status, location, _ in results if action == won}
    assert len(locations) == 1 and None not in locations
    message = messages.AUTHENTICATION_FINISHED.format(
        outcome="completed" if won == "complete" else "failed", status=final["status"],
        noun="PaymentIntent")
    for action, status, _, body in results:
        if action != won:
            assert status == 400 and f'role="alert">{message}</p>' in body
    assert len(charges_of(account, pi["id"])) == (1 if won == "complete" else 0)
    assert event_types(account, pi["id"])[1:] == [
        "payment_intent.requires_action",
        "payment_intent.succeeded" if won == "complete" else "payment_intent.payment_failed"]
    verdict = account.client.get("/sandbox/ledger/verify", headers=account.session_auth)
    assert (verdict.status_code, verdict.get_json()["ok"]) == (200, True)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_a_405_page(account, method):
    pi = waiting(account)
    path, token = page_path(pi)
    r = account.client.open(f"{path}?token={token}", method=method, data={
        "token": token, "action": "complete"})
    page_error(r, 405, messages.AUTHENTICATION_METHOD_NOT_ALLOWED.format(method=method))
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert (r.headers["Cache-Control"], r.headers["Referrer-Policy"]) == ("no-store",
                                                                          "no-referrer")
    assert r.headers["Content-Security-Policy"] == CSP
    assert retrieve(account, pi["id"])["status"] == "requires_action"  # nothing moved


CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


def test_the_pages_policy_allows_its_own_favicon_only(account):
    pi = waiting(account)
    path, token = page_path(pi)
    r = account.client.get(f"{path}?token={token}")
    assert '<link rel="icon" href="data:,">' in r.get_data(as_text=True)
    assert r.headers["Content-Security-Policy"] == CSP  # data: images, nothing fetched


def test_unknown_links_are_404s_that_tell_nothing(make_account):
    a, b = make_account(), make_account()
    mine, theirs = waiting(a), waiting(b)
    path, token = page_path(mine)
    their_path, their_token = page_path(theirs)
    tries = [
        a.client.get("/3d_secure/pi_nope?token=" + token),  # no such intent
        a.client.get(path),  # no token
        a.client.get(f"{path}?token="),
        a.client.get(f"{path}?token={'0' * 48}"),  # a wrong one
        a.client.get(f"{path}?token={their_token}"),  # another intent's
        a.client.get(f"{their_path}?token={token}"),
        a.client.post(path, data={"action": "complete"}),
        a.client.post(path, data={"token": their_token, "action": "complete"}),
        a.client.post("/3d_secure/pi_nope", data={"token": token, "action": "complete"}),
        a.client.post(path, json={"token": token, "action": "complete"}),  # a form, not JSON
    ]
    bodies = {page_error(r, 404, messages.AUTHENTICATION_NOT_FOUND) for r in tries}
    assert len(bodies) == 1  # one answer, whichever intent exists
    for handle, pi in ((a, mine), (b, theirs)):
        assert retrieve(handle, pi["id"])["status"] == "requires_action"


def test_a_wrong_link_locks_nothing(account, monkeypatch):
    # Locked before the token was checked, another's intent waited on (and held up) whoever
    # was using it: on PostgreSQL a 429 lock_timeout, an answer a made-up id never gets.
    from payground.services import three_d_secure

    locked = []
    real = three_d_secure.locking
    monkeypatch.setattr(three_d_secure, "locking",
                        lambda query: locked.append(query) or real(query))
    pi = waiting(account)
    path, _ = page_path(pi)
    page_error(account.client.post(path, data={"token": "0" * 48, "action": "complete"}), 404,
               messages.AUTHENTICATION_NOT_FOUND)
    assert locked == []
    press(account, pi)
    assert len(locked) == 1 and retrieve(account, pi["id"])["status"] == "succeeded"


def test_another_modes_intent_is_unknown_to_a_test_link(account):
    live = account.activate()
    token = account.post("/v1/tokens", {
        "card[number]": "4012888888881881", "card[exp_month]": "12", "card[exp_year]": "2040"},
        key=account.live_publishable_key).get_json()["id"]
    method = account.post("/v1/payment_methods", {"type": "card", "card[token]": token},
                          key=live).get_json()["id"]
    live_pi = account.post("/v1/payment_intents", {"amount": 2000, "currency": "usd",
                                                   "payment_method": method},
                           key=live).get_json()
    test_pi = waiting(account)
    _, test_token = page_path(test_pi)
    r = account.client.post(f"/3d_secure/{live_pi['id']}",
                            data={"token": test_token, "action": "complete"})
    page_error(r, 404, messages.AUTHENTICATION_NOT_FOUND)
    assert account.get(f"/v1/payment_intents/{live_pi['id']}",
                       key=live).get_json()["status"] == "requires_confirmation"


@pytest.mark.parametrize("action", [None, "", "approve", "COMPLETE"])
def test_a_bad_action_changes_nothing(account, action):
    pi = waiting(account)
    path, token = page_path(pi)
    data = {"token": token} if action is None else {"token": token, "action": action}
    page_error(account.client.post(path, data=data), 400,
               messages.AUTHENTICATION_ACTION_INVALID)
    assert retrieve(account, pi["id"])["status"] == "requires_action"
    assert event_types(account, pi["id"]) == ["payment_intent.created",
                                              "payment_intent.requires_action"]
    assert press(account, pi).status_code == 200  # the link still works


# --- return_url --------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/checkout/done", "javascript:alert(1)", "shop.example/done",
                                 "data:text/html,hi", "https://", "https://shop.example/a b",
                                 "http://[::1",
                                 # What the page's redirect could not send (a 500 there,
                                 # after the payment moved): hosts IDNA refuses, bad ports.
                                 "https://shop..example/done", f"https://{'a' * 64}.example/",
                                 "https://shop.example:99999/done",
                                 "https://shop.example:port/done"])
def test_a_return_url_that_is_not_one_is_refused(account, url):
    from payground.http.validation import shown

    message = messages.RETURN_URL_INVALID.format(url=shown(url))
    pi = made(account, payment_method="pm_card_authenticationRequired")
    r = account.post(f"/v1/payment_intents/{pi['id']}/confirm", {"return_url": url})
    assert_error(r, 400, code="url_invalid", param="return_url", message=message)
    assert retrieve(account, pi["id"])["status"] == "requires_confirmation"
    assert event_types(account, pi["id"]) == ["payment_intent.created"]
    r = create(account, payment_method="pm_card_authenticationRequired", confirm="true",
               return_url=url)
    assert_error(r, 400, code="url_invalid", param="return_url", message=message)


def test_an_international_domain_is_sent_as_punycode(account):
    pi = waiting(account, return_url="https://bücher.example/fertig?bestellung=7")
    r = press(account, pi)
    assert (r.status_code, r.headers["Location"]) == (
        303, f"https://xn--bcher-kva.example/fertig?bestellung=7&payment_intent={pi['id']}"
             f"&payment_intent_client_secret={pi['client_secret']}&redirect_status=succeeded")


def test_an_apps_own_scheme_is_a_return_url(account):
    pi = waiting(account, return_url="myapp://checkout/done")
    r = press(account, pi)
    assert (r.status_code, r.headers["Location"].startswith(
        f"myapp://checkout/done?payment_intent={pi['id']}&")) == (303, True)


def test_a_key_in_the_return_url_is_refused_not_stored(app, account):
    from tests.test_secrets import database_text

    pi = made(account, payment_method="pm_card_authenticationRequired")
    url = f"https://shop.example/done?k={account.secret_key}"
    r = account.post(f"/v1/payment_intents/{pi['id']}/confirm", {"return_url": url})
    assert_error(r, 400, code="parameter_invalid_string", param="return_url",
                 message=messages.SECRET_IN_VALUE.replace("{param}", "return_url"))
    assert account.secret_key[8:-4] not in database_text(app)
    assert retrieve(account, pi["id"])["status"] == "requires_confirmation"
