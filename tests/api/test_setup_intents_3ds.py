"""3-D Secure on SetupIntents: the test cards that ask, next_action, the authentication page
completing or failing a setup, and what a card set up then pays off session."""

from __future__ import annotations

import re

import pytest

from payground import messages
from tests.api.test_setup_intents import act, customer_of, done, event_types, made
from tests.api.test_three_d_secure import ASKING, page_error, redirected
from tests.helpers import assert_error

LINK = re.compile(r"^http://localhost/3d_secure/(seti_\w+)\?token=([0-9a-f]{48})$")
SHOP = "https://shop.example/checkout/done"
FAILURE = {
    "type": "invalid_request_error", "code": "setup_intent_authentication_failure",
    "doc_url": "https://stripe.com/docs/error-codes/setup-intent-authentication-failure",
    "message": messages.SETUP_INTENT_AUTHENTICATION_FAILURE, "payment_method_type": "card"}


def waiting(account, payment_method="pm_card_authenticationRequired", **params) -> dict:
    seti = made(account, payment_method=payment_method, confirm="true", **params)
    assert seti["status"] == "requires_action", seti
    return seti


def link_of(seti) -> str:
    action = seti["next_action"]
    return (action["redirect_to_url"]["url"] if action["type"] == "redirect_to_url"
            else action["use_stripe_sdk"]["stripe_js"])


def press(account, seti, action="complete"):
    intent_id, token = LINK.match(link_of(seti)).groups()
    assert intent_id == seti["id"]
    return account.client.post(f"/3d_secure/{intent_id}", data={"token": token,
                                                                 "action": action})


def retrieve(account, intent_id) -> dict:
    return account.get(f"/v1/setup_intents/{intent_id}").get_json()


@pytest.mark.parametrize("payment_method,number", ASKING)
def test_each_card_that_asks_waits_for_the_customer(account, payment_method, number):
    seti = waiting(account, payment_method)
    assert seti["next_action"] == {"type": "use_stripe_sdk", "use_stripe_sdk": {
        "type": "three_d_secure_redirect", "stripe_js": link_of(seti)}}
    assert LINK.match(link_of(seti))
    assert event_types(account, seti["id"]) == ["setup_intent.created",
                                                "setup_intent.requires_action"]
    method = account.get(f"/v1/payment_methods/{seti['payment_method']}").get_json()
    assert method["card"]["last4"] == number[-4:]


def test_a_card_that_asks_only_when_requested_is_set_up_at_once(account):
    seti = made(account, payment_method="pm_card_threeDSecureOptional", confirm="true")
    assert (seti["status"], seti["next_action"]) == ("succeeded", None)


def test_completing_sets_the_card_up_and_returns_to_the_shop(account):
    customer = customer_of(account)
    seti = waiting(account, customer=customer, return_url=SHOP)
    assert seti["next_action"] == {"type": "redirect_to_url", "redirect_to_url": {
        "return_url": SHOP, "url": link_of(seti)}}
    page = account.client.get(link_of(seti)[len("http://localhost"):])
    body = page.get_data(as_text=True)
    assert page.status_code == 200, body
    assert "<dt>Setup</dt>" in body and "Amount" not in body
    assert redirected(press(account, seti)) == {
        "setup_intent": seti["id"], "setup_intent_client_secret": seti["client_secret"],
        "redirect_status": "succeeded"}
    now = retrieve(account, seti["id"])
    assert (now["status"], now["next_action"], now["last_setup_error"]) == (
        "succeeded", None, None)
    method = account.get(f"/v1/payment_methods/{now['payment_method']}").get_json()
    assert method["customer"] == customer
    assert event_types(account, seti["id"]) == [
        "setup_intent.created", "setup_intent.requires_action", "setup_intent.succeeded"]
    succeeded = account.get("/v1/events?type=setup_intent.succeeded").get_json()["data"][0]
    assert succeeded["request"] == {"id": None, "idempotency_key": None}  # the customer's act


def test_failing_returns_the_intent_to_requires_payment_method(account):
    seti = waiting(account, return_url=SHOP)
    assert redirected(press(account, seti, "fail"))["redirect_status"] == "failed"
    now = retrieve(account, seti["id"])
    assert (now["status"], now["payment_method"], now["next_action"]) == (
        "requires_payment_method", None, None)
    error = now["last_setup_error"]
    assert error["payment_method"]["id"] == seti["payment_method"]
    assert {k: v for k, v in error.items() if k != "payment_method"} == FAILURE
    assert event_types(account, seti["id"]) == [
        "setup_intent.created", "setup_intent.requires_action", "setup_intent.setup_failed"]


def test_failing_without_a_return_url_says_the_page_may_be_closed(account):
    seti = waiting(account)
    r = press(account, seti, "fail")
    body = r.get_data(as_text=True)
    assert r.status_code == 200, body
    assert f"The SetupIntent {seti['id']} is now <strong>requires_payment_method</strong>" \
        in body


def test_completing_can_still_be_declined(account):
    seti = waiting(account, "pm_card_threeDSecureRequiredChargeDeclined")
    assert press(account, seti).status_code == 200
    now = retrieve(account, seti["id"])
    assert now["status"] == "requires_payment_method"
    assert (now["last_setup_error"]["code"], now["last_setup_error"]["decline_code"]) == (
        "card_declined", "generic_decline")


def test_the_insufficient_funds_card_is_set_up_then_declined_when_charged(account):
    """Stripe's 3-D Secure ``4000008260003178``: "All payments are declined with an
    insufficient_funds failure code even after being successfully authenticated or previously
    set up": its setup (no payment) succeeds once authenticated; its payments do not."""
    customer = customer_of(account)
    seti = waiting(account, "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds",
                   customer=customer)
    assert press(account, seti).status_code == 200
    now = retrieve(account, seti["id"])
    assert (now["status"], now["last_setup_error"]) == ("succeeded", None)
    method = now["payment_method"]
    assert account.get(f"/v1/payment_methods/{method}").get_json()["customer"] == customer
    assert event_types(account, seti["id"]) == [
        "setup_intent.created", "setup_intent.requires_action", "setup_intent.succeeded"]
    payment = {"amount": 2000, "currency": "usd", "customer": customer,
               "payment_method": method, "confirm": "true"}
    r = account.post("/v1/payment_intents", {**payment, "off_session": "true"})
    error = assert_error(r, 402, type="card_error", code="card_declined",
                         decline_code="insufficient_funds",
                         message=messages.CARD_INSUFFICIENT_FUNDS)
    assert error["payment_intent"]["status"] == "requires_payment_method"
    # On session it asks, and is declined once authenticated.
    pi = account.post("/v1/payment_intents", payment).get_json()
    assert pi["status"] == "requires_action"
    path, token = pi["next_action"]["use_stripe_sdk"]["stripe_js"].split("?token=")
    account.client.post(path[path.index("/3d_secure/"):],
                        data={"token": token, "action": "complete"})
    paid = account.get(f"/v1/payment_intents/{pi['id']}").get_json()
    assert paid["status"] == "requires_payment_method"
    assert (paid["last_payment_error"]["code"], paid["last_payment_error"]["decline_code"]) == (
        "card_declined", "insufficient_funds")


def test_a_canceled_intent_no_longer_awaits_authentication(account):
    seti = waiting(account)
    assert done(account, seti["id"], "cancel")["next_action"] is None
    page_error(press(account, seti), 400, messages.AUTHENTICATION_NOT_AWAITED.format(
        noun="SetupIntent", status="canceled"))
    assert retrieve(account, seti["id"])["status"] == "canceled"


def test_an_answered_link_says_so_and_a_double_submit_gets_the_first_answer(account):
    seti = waiting(account, return_url=SHOP)
    first = redirected(press(account, seti))
    assert redirected(press(account, seti)) == first
    page_error(press(account, seti, "fail"), 400, messages.AUTHENTICATION_FINISHED.format(
        outcome="completed", noun="SetupIntent", status="succeeded"))
    intent_id, token = LINK.match(link_of(seti)).groups()
    page_error(account.client.get(f"/3d_secure/{intent_id}?token={token}"), 400,
               "This authentication has already been completed; the SetupIntent is now "
               "succeeded.")
    assert event_types(account, seti["id"])[-1] == "setup_intent.succeeded"


def test_confirming_again_makes_a_new_link(account):
    seti = waiting(account)
    again = done(account, seti["id"], "confirm")
    assert again["status"] == "requires_action" and link_of(again) != link_of(seti)
    page_error(press(account, seti), 404, messages.AUTHENTICATION_NOT_FOUND)
    assert press(account, again).status_code == 200
    assert retrieve(account, seti["id"])["status"] == "succeeded"


def test_a_card_that_always_asks_is_still_declined_off_session_once_set_up(account):
    customer = customer_of(account)
    seti = waiting(account, customer=customer)
    press(account, seti)
    r = account.post("/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "customer": customer,
        "payment_method": retrieve(account, seti["id"])["payment_method"],
        "confirm": "true", "off_session": "true"})
    assert_error(r, 402, type="card_error", code="authentication_required",
                 message=messages.CARD_AUTHENTICATION_REQUIRED,
                 decline_code="authentication_required")


def test_a_single_use_method_awaiting_authentication_is_held_for_its_setup(account):
    method = account.post("/v1/payment_methods", {"type": "card", "card[number]":
                                                  "4000002760003184", "card[exp_month]": "12",
                                                  "card[exp_year]": "2040"}).get_json()["id"]
    seti = waiting(account, method)
    r = account.post("/v1/payment_intents", {"amount": 2000, "currency": "usd",
                                              "payment_method": method, "confirm": "true"})
    assert_error(r, 400, param="payment_method", message=messages.PAYMENT_METHOD_SPENT)
    again = act(account, seti["id"], "confirm", payment_method=method)
    assert again.status_code == 200, again.get_json()


def test_a_method_detached_while_it_waits_is_not_attached_again(account):
    """As for a PaymentIntent: the customer authenticated the card the intent holds, so the
    setup completes, but the merchant's detach stands: not attached again, never usable."""
    customer = customer_of(account)
    method = account.post("/v1/payment_methods/pm_card_authenticationRequired/attach",
                          {"customer": customer}).get_json()["id"]
    seti = waiting(account, method, customer=customer)
    assert account.post(f"/v1/payment_methods/{method}/detach").status_code == 200
    assert press(account, seti).status_code == 200
    now = retrieve(account, seti["id"])
    assert (now["status"], now["payment_method"]) == ("succeeded", method)
    assert account.get(f"/v1/payment_methods/{method}").get_json()["customer"] is None
    r = account.post(f"/v1/payment_methods/{method}/attach", {"customer": customer})
    assert_error(r, 400, param="payment_method", message=messages.PAYMENT_METHOD_SPENT)
    assert event_types(account, seti["id"])[-1] == "setup_intent.succeeded"
    attached = account.get("/v1/events?type=payment_method.attached").get_json()["data"]
    assert len(attached) == 1  # the attach before the setup, not another


def test_a_link_of_another_intent_or_kind_is_unknown(account, make_account):
    seti = waiting(account)
    intent_id, token = LINK.match(link_of(seti)).groups()
    other = waiting(make_account())
    _, other_token = LINK.match(link_of(other)).groups()
    for path, data in ((f"/3d_secure/{intent_id}", {"token": other_token}),
                       (f"/3d_secure/{other['id']}", {"token": token}),
                       (f"/3d_secure/pi_{intent_id[5:]}", {"token": token})):
        page_error(account.client.post(path, data={**data, "action": "complete"}), 404,
                   messages.AUTHENTICATION_NOT_FOUND)
    assert retrieve(account, seti["id"])["status"] == "requires_action"


def test_the_page_asks_to_save_the_card_not_to_pay(account):
    seti = waiting(account)
    body = account.client.get(link_of(seti)[len("http://localhost"):]).get_data(as_text=True)
    assert "no real money moves" in body and "test payment" not in body
    done_page = press(account, seti).get_data(as_text=True)
    assert "how the payment went on" not in done_page
