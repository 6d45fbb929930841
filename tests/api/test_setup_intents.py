"""/v1/setup_intents: creating, confirming (cards set up, declines), updating, canceling,
listing, the publishable key's client-secret flow, modes and unknown ids."""

from __future__ import annotations

import re
import threading

import pytest

from payground import messages
from tests.api.test_payment_intents import DECLINES
from tests.helpers import assert_error

STATE = "setup_intent_unexpected_state"
SECRET = re.compile(r"^(seti_[0-9A-Za-z]+)_secret_[0-9A-Za-z]{25}$")


def create(account, key=None, **params):
    return account.post("/v1/setup_intents", params, key=key)


def made(account, **params) -> dict:
    r = create(account, **params)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def act(account, intent_id, action, key=None, **params):
    return account.post(f"/v1/setup_intents/{intent_id}/{action}", params, key=key)


def done(account, intent_id, action, **params) -> dict:
    r = act(account, intent_id, action, **params)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def customer_of(account) -> str:
    return account.post("/v1/customers", {"email": "c@example.com"}).get_json()["id"]


def event_types(account, intent_id) -> list[str]:
    """The setup_intent.* events about one intent, oldest first."""
    events = account.get("/v1/events?type=setup_intent.*&limit=100").get_json()["data"]
    return [e["type"] for e in reversed(events) if e["data"]["object"]["id"] == intent_id]


def unexpected_state(response, message, param=None, status="") -> dict:
    error = assert_error(response, 400, code=STATE, param=param, message=message)
    assert error["setup_intent"]["object"] == "setup_intent"
    if status:
        assert error["setup_intent"]["status"] == status
    return error


def test_create_shows_stripes_setup_intent(account):
    seti = made(account, description="Save for later", **{"metadata[plan]": "pro"})
    assert SECRET.match(seti["client_secret"]).group(1) == seti["id"]
    assert seti == {
        "id": seti["id"], "object": "setup_intent", "application": None,
        "automatic_payment_methods": None, "cancellation_reason": None,
        "client_secret": seti["client_secret"], "created": seti["created"], "customer": None,
        "description": "Save for later", "flow_directions": None, "last_setup_error": None,
        "latest_attempt": None, "livemode": False, "mandate": None,
        "metadata": {"plan": "pro"}, "next_action": None, "on_behalf_of": None,
        "payment_method": None, "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"mandate_options": None, "network": None,
                                            "request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"], "single_use_mandate": None,
        "status": "requires_payment_method", "usage": "off_session"}
    assert event_types(account, seti["id"]) == ["setup_intent.created"]


def test_create_options(account):
    customer = customer_of(account)
    seti = made(account, customer=customer, usage="on_session",
                payment_method="pm_card_visa", **{"automatic_payment_methods[enabled]": "true"})
    assert (seti["customer"], seti["usage"], seti["status"]) == (
        customer, "on_session", "requires_confirmation")
    assert seti["automatic_payment_methods"] == {"allow_redirects": "always", "enabled": True}
    assert seti["payment_method"].startswith("pm_")


@pytest.mark.parametrize("params,param,message", [
    ({"usage": "sometimes"}, "usage",
     "Invalid usage: must be one of off_session, on_session"),
    ({"cancellation_reason": "x"}, "cancellation_reason",
     "Received unknown parameter: cancellation_reason"),
    ({"payment_method_types[]": "sepa_debit"}, "payment_method_types",
     messages.PAYMENT_METHOD_TYPE_INVALID.format(type="sepa_debit")),
    ({"return_url": "https://shop.example/done"}, "return_url",
     messages.SETUP_CONFIRM_ONLY_PARAM.format(param="return_url")),
    ({"payment_method_types[]": "card", "automatic_payment_methods[enabled]": "true"}, None,
     messages.ONE_OF_PARAMS.format(params="automatic_payment_methods, payment_method_types")),
])
def test_create_refuses_bad_parameters_and_makes_nothing(account, params, param, message):
    r = create(account, **params)
    error = assert_error(r, 400, param=param, code=r.get_json()["error"].get("code"))
    assert error["message"] == message
    assert account.get("/v1/setup_intents").get_json()["data"] == []


def test_confirm_without_a_payment_method(account):
    assert_error(create(account, confirm="true"), 400, code=STATE,
                 message=messages.SETUP_MISSING_PAYMENT_METHOD)
    seti = made(account)
    unexpected_state(act(account, seti["id"], "confirm"), messages.SETUP_MISSING_PAYMENT_METHOD,
                     status="requires_payment_method")


def test_a_card_set_up_for_a_customer_is_attached_and_pays_off_session(account):
    customer = customer_of(account)
    seti = made(account, customer=customer, payment_method="pm_card_authenticationRequiredOnSetup")
    assert seti["status"] == "requires_confirmation"
    asked = done(account, seti["id"], "confirm")
    assert asked["status"] == "requires_action"
    link = asked["next_action"]["use_stripe_sdk"]["stripe_js"]
    path, token = link.split("?token=")
    answered = account.client.post(path[path.index("/3d_secure/"):],
                                   data={"token": token, "action": "complete"})
    assert answered.status_code == 200
    seti = account.get(f"/v1/setup_intents/{seti['id']}").get_json()
    assert (seti["status"], seti["next_action"]) == ("succeeded", None)
    method = account.get(f"/v1/payment_methods/{seti['payment_method']}").get_json()
    assert method["customer"] == customer
    # Set up: an off-session payment with this card needs no authentication now.
    pi = account.post("/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "customer": customer,
        "payment_method": method["id"], "confirm": "true", "off_session": "true"}).get_json()
    assert pi["status"] == "succeeded", pi


def test_without_setting_up_that_card_is_declined_off_session(account):
    customer = customer_of(account)
    method = account.post("/v1/payment_methods/pm_card_authenticationRequiredOnSetup/attach",
                          {"customer": customer}).get_json()["id"]
    r = account.post("/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "customer": customer, "payment_method": method,
        "confirm": "true", "off_session": "true"})
    assert_error(r, 402, type="card_error", code="authentication_required",
                 message=messages.CARD_AUTHENTICATION_REQUIRED,
                 decline_code="authentication_required")


def test_confirm_succeeds_at_once_with_a_card_that_does_not_ask(account):
    customer = customer_of(account)
    seti = made(account, customer=customer, payment_method="pm_card_visa", confirm="true")
    assert (seti["status"], seti["last_setup_error"]) == ("succeeded", None)
    method = account.get(f"/v1/payment_methods/{seti['payment_method']}").get_json()
    assert method["customer"] == customer
    assert event_types(account, seti["id"]) == ["setup_intent.created",
                                                "setup_intent.succeeded"]
    attached = account.get("/v1/events?type=payment_method.attached").get_json()["data"]
    assert [e["data"]["object"]["id"] for e in attached] == [method["id"]]
    # No charge, no money: a setup only verifies the card.
    assert account.get("/v1/charges").get_json()["data"] == []


def test_a_card_set_up_without_a_customer_can_be_attached_later(account):
    seti = made(account, payment_method="pm_card_visa", confirm="true")
    assert seti["status"] == "succeeded"
    customer = customer_of(account)
    r = account.post(f"/v1/payment_methods/{seti['payment_method']}/attach",
                     {"customer": customer})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["customer"] == customer


def card_number_method(account, number="4242424242424242") -> str:
    """A payment method of a card number, attached to nobody."""
    return account.post("/v1/payment_methods", {
        "type": "card", "card[number]": number, "card[exp_month]": "12",
        "card[exp_year]": "2040"}).get_json()["id"]


def spent(response) -> None:
    assert_error(response, 400, type="invalid_request_error", code=None,
                 param="payment_method", message=messages.PAYMENT_METHOD_SPENT)


def test_a_card_set_up_without_a_customer_may_only_be_attached_then(account):
    """Stripe: a payment method attached to no customer has one use ("To use a PaymentMethod
    multiple times, you must attach it to a Customer first"). A setup without a customer is
    that use: the card may then be attached (what the setup saved it for), and nothing else
    takes it; once attached, it pays again and again."""
    method = card_number_method(account)
    assert made(account, payment_method=method, confirm="true")["status"] == "succeeded"
    payment = {"amount": 2000, "currency": "usd", "payment_method": method}
    spent(account.post("/v1/payment_intents", {**payment, "confirm": "true"}))
    spent(account.post("/v1/payment_intents", payment))
    other = account.post("/v1/payment_intents", {"amount": 2000, "currency": "usd"}).get_json()
    spent(account.post(f"/v1/payment_intents/{other['id']}", {"payment_method": method}))
    spent(account.post(f"/v1/payment_intents/{other['id']}/confirm",
                       {"payment_method": method}))
    spent(create(account, payment_method=method, confirm="true"))  # another setup
    seti = made(account)
    spent(act(account, seti["id"], "confirm", payment_method=method))
    spent(account.post(f"/v1/setup_intents/{seti['id']}", {"payment_method": method}))
    customer = customer_of(account)
    # With a customer too: it must be attached first.
    spent(account.post("/v1/payment_intents", {**payment, "customer": customer,
                                                "confirm": "true"}))
    spent(create(account, customer=customer, payment_method=method, confirm="true"))
    # Nothing was charged, nothing changed.
    assert account.get("/v1/charges").get_json()["data"] == []
    assert account.get(f"/v1/payment_methods/{method}").get_json()["customer"] is None
    attached = account.post(f"/v1/payment_methods/{method}/attach", {"customer": customer})
    assert (attached.status_code, attached.get_json()["customer"]) == (200, customer)
    for _ in range(2):
        pi = account.post("/v1/payment_intents", {**payment, "customer": customer,
                                                   "confirm": "true"}).get_json()
        assert pi["status"] == "succeeded", pi


def test_a_declined_setup_without_a_customer_spends_the_card(account):
    method = card_number_method(account, "4000000000000002")
    r = create(account, payment_method=method, confirm="true")
    assert_error(r, 402, type="card_error", code="card_declined", param=None,
                 decline_code="generic_decline", message=messages.CARD_DECLINED)
    spent(account.post(f"/v1/payment_methods/{method}/attach",
                       {"customer": customer_of(account)}))
    spent(account.post("/v1/payment_intents", {"amount": 2000, "currency": "usd",
                                                "payment_method": method, "confirm": "true"}))


@pytest.mark.parametrize("payment_method", ["pm_card_chargeCustomerFail",
                                            "pm_card_visa_chargeCustomerFail", "0341"])
def test_the_decline_after_attaching_card_is_set_up_then_declined_when_charged(
        account, payment_method):
    """Stripe's ``4000000000000341``: "Attaching this card to a Customer object succeeds, but
    attempts to charge the customer fail": its setup (a zero-amount check, no charge)
    succeeds; every payment is declined ``card_declined`` / ``generic_decline``, as 0002's."""
    if payment_method == "0341":
        payment_method = card_number_method(account, "4000000000000341")
    customer = customer_of(account)
    seti = made(account, customer=customer, payment_method=payment_method, confirm="true")
    assert (seti["status"], seti["last_setup_error"]) == ("succeeded", None)
    method = account.get(f"/v1/payment_methods/{seti['payment_method']}").get_json()
    assert (method["customer"], method["card"]["last4"]) == (customer, "0341")
    assert event_types(account, seti["id"]) == ["setup_intent.created",
                                                "setup_intent.succeeded"]
    for extra in ({}, {"off_session": "true"}):
        r = account.post("/v1/payment_intents", {
            "amount": 2000, "currency": "usd", "customer": customer,
            "payment_method": method["id"], "confirm": "true", **extra})
        error = assert_error(r, 402, type="card_error", code="card_declined", param=None,
                             decline_code="generic_decline", message=messages.CARD_DECLINED)
        intent = error["payment_intent"]
        assert (intent["status"], intent["last_payment_error"]["decline_code"]) == (
            "requires_payment_method", "generic_decline")
        charge = account.get(f"/v1/charges/{error['charge']}").get_json()
        assert (charge["status"], charge["failure_code"], charge["outcome"]["reason"],
                charge["outcome"]["type"]) == ("failed", "card_declined", "generic_decline",
                                               "issuer_declined")
    assert account.get("/v1/balance_transactions").get_json()["data"] == []


@pytest.mark.parametrize("payment_method,code,decline_code,param,message", DECLINES)
def test_a_declined_card_is_stripes_402_and_the_intent_says_so(account, payment_method, code,
                                                               decline_code, param, message):
    customer = customer_of(account)
    seti = made(account, customer=customer)
    r = act(account, seti["id"], "confirm", payment_method=payment_method)
    error = assert_error(r, 402, type="card_error", code=code, param=param, message=message,
                         decline_code=decline_code, payment_method_type="card")
    assert "charge" not in error
    assert (error["setup_intent"]["id"], error["setup_intent"]["status"]) == (
        seti["id"], "requires_payment_method")
    assert error["payment_method"]["customer"] is None  # not attached
    now = account.get(f"/v1/setup_intents/{seti['id']}").get_json()
    assert (now["status"], now["payment_method"]) == ("requires_payment_method", None)
    last = now["last_setup_error"]
    assert {k: last.get(k) for k in ("type", "code", "decline_code", "message", "param")} == {
        "type": "card_error", "code": code, "decline_code": decline_code,
        "message": message, "param": param}
    assert last["payment_method"]["id"] == error["payment_method"]["id"]
    assert event_types(account, seti["id"]) == ["setup_intent.created",
                                                "setup_intent.setup_failed"]
    # Another card may be tried; success clears the error.
    again = done(account, seti["id"], "confirm", payment_method="pm_card_visa")
    assert (again["status"], again["last_setup_error"]) == ("succeeded", None)


def test_a_declined_create_and_confirm_names_the_intent(account):
    r = create(account, payment_method="pm_card_chargeDeclined", confirm="true")
    error = assert_error(r, 402, type="card_error", code="card_declined",
                         message=messages.CARD_DECLINED, decline_code="generic_decline",
                         payment_method_type="card")
    listed = account.get("/v1/setup_intents").get_json()["data"]
    assert [s["id"] for s in listed] == [error["setup_intent"]["id"]]
    assert listed[0]["last_setup_error"]["code"] == "card_declined"


def test_confirming_again_after_success_or_cancel(account):
    seti = made(account, payment_method="pm_card_visa", confirm="true")
    unexpected_state(act(account, seti["id"], "confirm"), messages.SETUP_CONFIRM_SUCCEEDED,
                     status="succeeded")
    unexpected_state(act(account, seti["id"], "cancel"),
                     messages.SETUP_CANCEL_STATE.format(status="succeeded"), status="succeeded")
    other = done(account, made(account, payment_method="pm_card_visa")["id"], "cancel",
                 cancellation_reason="requested_by_customer")
    assert (other["status"], other["cancellation_reason"]) == ("canceled",
                                                               "requested_by_customer")
    unexpected_state(act(account, other["id"], "confirm", payment_method="pm_card_visa"),
                     messages.SETUP_CONFIRM_CANCELED, status="canceled")
    unexpected_state(act(account, other["id"], "confirm"), messages.SETUP_CONFIRM_CANCELED,
                     status="canceled")
    unexpected_state(act(account, other["id"], "cancel"), messages.SETUP_CANCEL_CANCELED,
                     status="canceled")
    assert event_types(account, other["id"]) == ["setup_intent.created",
                                                 "setup_intent.canceled"]
    # Without a payment method, Stripe says that first, whatever the status.
    bare = done(account, made(account)["id"], "cancel")
    unexpected_state(act(account, bare["id"], "confirm"), messages.SETUP_MISSING_PAYMENT_METHOD,
                     status="canceled")


def test_wrong_state_messages_are_stripes_words(account):
    """Stripe's own spellings for SetupIntents (they differ from the PaymentIntent ones)."""
    assert messages.SETUP_CONFIRM_SUCCEEDED == (
        "You cannot confirm this SetupIntent because it has already succeeded.")
    assert messages.SETUP_CONFIRM_CANCELED == (
        "You cannot confirm this SetupIntent because it has been canceled.")
    assert messages.SETUP_CANCEL_STATE.format(status="succeeded") == (
        "You cannot cancel this SetupIntent because it has a status of succeeded. Only a "
        "SetupIntent with one of the following statuses may be canceled: "
        "`requires_payment_method`, `requires_confirmation`, or `requires_action`.")
    assert messages.SETUP_CANCEL_CANCELED == (
        "You cannot cancel this SetupIntent because it is already canceled.")
    assert messages.SETUP_UPDATE_SUCCEEDED == (
        "You cannot update this SetupIntent because it has already succeeded.")
    assert messages.SETUP_MISSING_PAYMENT_METHOD == (
        "You cannot confirm this SetupIntent because it's missing a payment method. You can "
        "either update the SetupIntent with a payment method and then confirm it again, or "
        "confirm it again directly with a payment method or ConfirmationToken.")


def test_a_method_of_another_customer_or_of_a_customer_the_intent_lacks(account):
    """Stripe refuses both, in its SetupIntent words (nothing created, nothing changed)."""
    owner, other = customer_of(account), customer_of(account)
    method = account.post("/v1/payment_methods/pm_card_visa/attach",
                          {"customer": owner}).get_json()["id"]
    not_theirs = messages.SETUP_METHOD_OF_OTHER_CUSTOMER.format(id=method, customer=other)
    needs_owner = messages.SETUP_METHOD_NEEDS_ITS_CUSTOMER.format(id=method, customer=owner)
    assert_error(create(account, customer=other, payment_method=method), 400,
                 param="payment_method", message=not_theirs)
    assert_error(create(account, payment_method=method, confirm="true"), 400,
                 param="payment_method", message=needs_owner)
    assert account.get("/v1/setup_intents").get_json()["data"] == []
    theirs = made(account, customer=other)
    assert_error(act(account, theirs["id"], "confirm", payment_method=method), 400,
                 param="payment_method", message=not_theirs)
    nobodys = made(account)
    assert_error(account.post(f"/v1/setup_intents/{nobodys['id']}", {"payment_method": method}),
                 400, param="payment_method", message=needs_owner)
    for seti in (theirs, nobodys):
        now = account.get(f"/v1/setup_intents/{seti['id']}").get_json()
        assert (now["status"], now["payment_method"]) == ("requires_payment_method", None)
    assert account.get(f"/v1/payment_methods/{method}").get_json()["customer"] == owner
    # With the owner as its customer, the same method is set up.
    ok = made(account, customer=owner, payment_method=method, confirm="true")
    assert (ok["status"], ok["payment_method"]) == ("succeeded", method)


def test_cancellation_reason_is_stripes_enum(account):
    seti = made(account)
    assert_error(act(account, seti["id"], "cancel", cancellation_reason="fraudulent"), 400,
                 param="cancellation_reason", message="Invalid cancellation_reason: must be "
                 "one of abandoned, duplicate, requested_by_customer")
    assert account.get(f"/v1/setup_intents/{seti['id']}").get_json()["status"] == (
        "requires_payment_method")


def test_update(account):
    seti = made(account, **{"metadata[a]": "1", "metadata[b]": "2"})
    customer = customer_of(account)
    r = account.post(f"/v1/setup_intents/{seti['id']}", {
        "customer": customer, "payment_method": "pm_card_visa", "description": "new",
        "metadata[a]": ""})
    updated = r.get_json()
    assert r.status_code == 200, updated
    assert (updated["customer"], updated["status"], updated["description"],
            updated["metadata"]) == (customer, "requires_confirmation", "new", {"b": "2"})
    done(account, seti["id"], "confirm")
    r = account.post(f"/v1/setup_intents/{seti['id']}", {"payment_method": "pm_card_visa"})
    unexpected_state(r, messages.SETUP_UPDATE_SUCCEEDED, param="payment_method",
                     status="succeeded")
    canceled = done(account, made(account)["id"], "cancel")
    r = account.post(f"/v1/setup_intents/{canceled['id']}", {"customer": customer})
    unexpected_state(r, messages.SETUP_UPDATE_CANCELED, param="customer", status="canceled")
    r = account.post(f"/v1/setup_intents/{seti['id']}", {"metadata[c]": "3"})
    assert r.get_json()["metadata"] == {"b": "2", "c": "3"}


def test_list_filters_and_pages(account, wall):
    customer = customer_of(account)
    first = made(account, customer=customer)
    wall[0] += 10
    second = made(account, payment_method="pm_card_visa", confirm="true")
    wall[0] += 10
    third = made(account, customer=customer)
    listed = account.get("/v1/setup_intents").get_json()
    assert (listed["object"], listed["url"], listed["has_more"]) == (
        "list", "/v1/setup_intents", False)
    assert [s["id"] for s in listed["data"]] == [third["id"], second["id"], first["id"]]
    by_customer = account.get(f"/v1/setup_intents?customer={customer}").get_json()["data"]
    assert [s["id"] for s in by_customer] == [third["id"], first["id"]]
    by_method = account.get(
        f"/v1/setup_intents?payment_method={second['payment_method']}").get_json()["data"]
    assert [s["id"] for s in by_method] == [second["id"]]
    page = account.get("/v1/setup_intents?limit=1").get_json()
    assert ([s["id"] for s in page["data"]], page["has_more"]) == ([third["id"]], True)
    after = account.get(f"/v1/setup_intents?limit=2&starting_after={third['id']}").get_json()
    assert [s["id"] for s in after["data"]] == [second["id"], first["id"]]
    created = account.get(
        f"/v1/setup_intents?created[gte]={second['created']}").get_json()["data"]
    assert [s["id"] for s in created] == [third["id"], second["id"]]
    assert_error(account.get("/v1/setup_intents?customer=cus_nope"), 404,
                 code="resource_missing", param="customer",
                 message="No such customer: 'cus_nope'")
    assert_error(account.get("/v1/setup_intents?payment_method=pm_nope"), 404,
                 code="resource_missing", param="payment_method",
                 message="No such PaymentMethod: 'pm_nope'")


def test_unknown_and_other_modes_ids_are_stripes_404(account, make_account):
    assert_error(account.get("/v1/setup_intents/seti_nope"), 404, code="resource_missing",
                 param="id", message="No such setupintent: 'seti_nope'")
    assert_error(act(account, "seti_nope", "confirm"), 404, code="resource_missing",
                 param="id", message="No such setupintent: 'seti_nope'")
    seti = made(account)
    live_key = account.activate()
    assert_error(account.get(f"/v1/setup_intents/{seti['id']}", key=live_key), 404,
                 code="resource_missing", param="id",
                 message=messages.NO_SUCH_OTHER_MODE.format(
                     noun="setupintent", id=seti["id"], other="test", mode="live"))
    assert account.get("/v1/setup_intents", key=live_key).get_json()["data"] == []
    other = make_account()
    assert_error(other.get(f"/v1/setup_intents/{seti['id']}"), 404, code="resource_missing",
                 param="id", message=f"No such setupintent: '{seti['id']}'")


def test_the_publishable_key_needs_the_client_secret(account):
    seti = made(account, customer=customer_of(account), description="kept from the browser")
    pk = account.publishable_key
    assert_error(account.get(f"/v1/setup_intents/{seti['id']}", key=pk), 400,
                 code="parameter_missing", param="client_secret",
                 message="Missing required param: client_secret.")
    assert_error(account.get(f"/v1/setup_intents/{seti['id']}?client_secret=seti_x_secret_y",
                             key=pk), 400, param="client_secret",
                 message=messages.SETUP_CLIENT_SECRET_MISMATCH)
    shown = account.get(f"/v1/setup_intents/{seti['id']}?client_secret={seti['client_secret']}",
                        key=pk).get_json()
    assert "customer" not in shown and "metadata" not in shown
    assert (shown["id"], shown["status"], shown["usage"]) == (seti["id"],
                                                               "requires_payment_method",
                                                               "off_session")
    method = account.post("/v1/payment_methods", {"type": "card", "card[token]": "tok_visa"},
                          key=pk).get_json()["id"]
    assert_error(act(account, seti["id"], "confirm", key=pk, payment_method=method), 400,
                 code="parameter_missing", param="client_secret",
                 message="Missing required param: client_secret.")
    confirmed = done(account, seti["id"], "confirm", key=pk, payment_method=method,
                     client_secret=seti["client_secret"])
    assert confirmed["status"] == "succeeded" and "customer" not in confirmed
    assert_error(create(account, key=pk), 401, code="secret_key_required",
                 message=messages.SECRET_KEY_REQUIRED)


def test_live_mode_never_asks_for_3d_secure(account):
    live_key = account.activate()
    customer = account.post("/v1/customers", key=live_key).get_json()["id"]
    # A magic id in live mode is refused as its card would be (live_mode_test_card).
    r = create(account, key=live_key, customer=customer,
               payment_method="pm_card_authenticationRequired", confirm="true")
    error = assert_error(r, 402, type="card_error", code="card_declined",
                         message=messages.LIVE_MODE_TEST_CARD,
                         decline_code="live_mode_test_card", payment_method_type="card")
    assert error["setup_intent"]["next_action"] is None
    token = account.post("/v1/tokens", {
        "card[number]": "4012888888881881", "card[exp_month]": "12", "card[exp_year]": "2040"},
        key=account.live_publishable_key).get_json()
    method = account.post("/v1/payment_methods", {"type": "card", "card[token]": token["id"]},
                          key=live_key).get_json()["id"]
    seti = made(account, key=live_key, customer=customer, payment_method=method,
                confirm="true")
    assert (seti["status"], seti["livemode"], seti["next_action"]) == ("succeeded", True, None)


@pytest.mark.parametrize("payment_method", [
    "pm_card_chargeCustomerFail", "pm_card_visa_chargeCustomerFail",
    "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds"])
def test_live_mode_refuses_the_cards_set_up_in_test_mode_first(account, payment_method):
    """The cards a test-mode setup approves (declined only when charged) are test cards: live
    mode declines them ``live_mode_test_card`` before anything, setup or payment."""
    live_key = account.activate()
    customer = account.post("/v1/customers", key=live_key).get_json()["id"]
    r = create(account, key=live_key, customer=customer, payment_method=payment_method,
               confirm="true")
    error = assert_error(r, 402, type="card_error", code="card_declined", param=None,
                         message=messages.LIVE_MODE_TEST_CARD,
                         decline_code="live_mode_test_card", payment_method_type="card")
    assert (error["setup_intent"]["status"], error["setup_intent"]["next_action"]) == (
        "requires_payment_method", None)
    r = account.post("/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "customer": customer,
        "payment_method": payment_method, "confirm": "true"}, key=live_key)
    assert_error(r, 402, type="card_error", code="card_declined", param=None,
                 message=messages.LIVE_MODE_TEST_CARD, decline_code="live_mode_test_card")
    assert account.get(f"/v1/payment_methods?customer={customer}",
                       key=live_key).get_json()["data"] == []


def test_a_repeated_create_with_its_idempotency_key_is_the_same_answer(account):
    headers = {"Idempotency-Key": "seti-1"}
    first = account.post("/v1/setup_intents", {"payment_method": "pm_card_visa",
                                                "confirm": "true"}, headers=headers)
    again = account.post("/v1/setup_intents", {"payment_method": "pm_card_visa",
                                                "confirm": "true"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert len(account.get("/v1/setup_intents").get_json()["data"]) == 1


# Stripe's "retrievable with publishable key" attributes of a SetupIntent (its API reference;
# Stripe.js's SetupIntent type has the same): not automatic_payment_methods, unlike a
# PaymentIntent's.
PUBLIC = {"id", "object", "cancellation_reason", "client_secret", "created", "description",
          "last_setup_error", "livemode", "next_action", "payment_method",
          "payment_method_types", "status", "usage"}


def test_a_publishable_key_sees_only_stripes_public_fields(account):
    seti = made(account, customer=customer_of(account),
                **{"automatic_payment_methods[enabled]": "true", "metadata[k]": "v"})
    pk, secret = account.publishable_key, seti["client_secret"]
    shown = account.get(f"/v1/setup_intents/{seti['id']}?client_secret={secret}",
                        key=pk).get_json()
    assert set(shown) == PUBLIC
    confirmed = done(account, seti["id"], "confirm", key=pk, payment_method="pm_card_visa",
                     client_secret=secret)
    assert set(confirmed) == PUBLIC
    # An error naming the intent shows the publishable key no more.
    r = act(account, seti["id"], "confirm", key=pk, client_secret=secret)
    error = unexpected_state(r, messages.SETUP_CONFIRM_SUCCEEDED, status="succeeded")
    assert set(error["setup_intent"]) == PUBLIC


def test_an_on_session_setup_does_not_set_the_card_up_for_off_session_payments(account):
    """``usage=on_session``: the card is saved for payments the customer is there for (Stripe:
    "only reuse the payment method when the customer is in your checkout flow"), so an
    off-session payment with Stripe's ...3155 card still needs authentication."""
    customer = customer_of(account)
    seti = made(account, customer=customer, usage="on_session",
                payment_method="pm_card_authenticationRequiredOnSetup", confirm="true")
    link = seti["next_action"]["use_stripe_sdk"]["stripe_js"]
    path, token = link.split("?token=")
    assert account.client.post(path[path.index("/3d_secure/"):],
                               data={"token": token, "action": "complete"}).status_code == 200
    seti = account.get(f"/v1/setup_intents/{seti['id']}").get_json()
    assert (seti["status"], seti["usage"]) == ("succeeded", "on_session")
    method = account.get(f"/v1/payment_methods/{seti['payment_method']}").get_json()
    assert method["customer"] == customer  # saved, for on-session reuse
    r = account.post("/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "customer": customer, "payment_method": method["id"],
        "confirm": "true", "off_session": "true"})
    assert_error(r, 402, type="card_error", code="authentication_required",
                 message=messages.CARD_AUTHENTICATION_REQUIRED,
                 decline_code="authentication_required")
    # On session it pays (after authenticating, as this card always asks on session).
    pi = account.post("/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "customer": customer, "payment_method": method["id"],
        "confirm": "true"}).get_json()
    assert pi["status"] == "requires_action"
    # An off_session setup of the same card afterwards does set it up.
    again = made(account, customer=customer, payment_method=method["id"], confirm="true")
    link = again["next_action"]["use_stripe_sdk"]["stripe_js"]
    path, token = link.split("?token=")
    account.client.post(path[path.index("/3d_secure/"):],
                        data={"token": token, "action": "complete"})
    paid = account.post("/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "customer": customer, "payment_method": method["id"],
        "confirm": "true", "off_session": "true"}).get_json()
    assert paid["status"] == "succeeded", paid


def test_events_show_the_intent_as_it_was_at_each_step(account):
    customer = customer_of(account)
    seti = made(account, customer=customer, payment_method="pm_card_visa", confirm="true")
    listed = account.get("/v1/events?limit=100").get_json()["data"]
    about = [(e["type"], e["data"]["object"]) for e in reversed(listed)
             if e["type"].startswith(("setup_intent.", "payment_method."))]
    assert [(kind, obj.get("status"), obj["customer"]) for kind, obj in about] == [
        ("setup_intent.created", "requires_confirmation", customer),
        ("payment_method.attached", None, customer),
        ("setup_intent.succeeded", "succeeded", customer)]
    assert about[0][1]["payment_method"] == about[2][1]["payment_method"] == seti[
        "payment_method"]
    assert about[1][1]["id"] == seti["payment_method"]


def test_a_declined_create_and_confirm_replays_its_402(account):
    headers = {"Idempotency-Key": "seti-declined"}
    params = {"payment_method": "pm_card_chargeDeclined", "confirm": "true"}
    first = account.post("/v1/setup_intents", params, headers=headers)
    again = account.post("/v1/setup_intents", params, headers=headers)
    assert first.status_code == again.status_code == 402
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert len(account.get("/v1/setup_intents").get_json()["data"]) == 1
    assert event_types(account, first.get_json()["error"]["setup_intent"]["id"]) == [
        "setup_intent.created", "setup_intent.setup_failed"]


def test_a_restricted_key_needs_the_setup_intent_permissions(account):
    from payground.core import keys

    seti = made(account)
    payments = account.create_key(permissions=["payment_intent_write"])
    reader = account.create_key(permissions=["setup_intent_read"])
    writer = account.create_key(permissions=["setup_intent_write"])
    for key, method, path, needed in (
            (payments, "post", "/v1/setup_intents", "setup_intent_write"),
            (payments, "get", f"/v1/setup_intents/{seti['id']}", "setup_intent_read"),
            (reader, "post", f"/v1/setup_intents/{seti['id']}/cancel", "setup_intent_write")):
        r = account.post(path, {}, key=key) if method == "post" else account.get(path, key=key)
        assert_error(r, 403, message=messages.MISSING_PERMISSION.format(
            masked=keys.mask(key), account=account.account_id, permission=needed))
    assert account.get("/v1/setup_intents", key=reader).status_code == 200
    assert done(account, seti["id"], "cancel", key=writer)["status"] == "canceled"


@pytest.mark.parametrize("sharing", [False, True])
def test_parallel_confirms_set_a_card_up_once(app, account, sharing):
    """Eight confirmations at once of one intent (or, ``sharing``, of eight intents of eight
    customers with one customerless card): one sets the card up and attaches it, the others
    are refused, and the card is attached once."""
    threads = 8
    method = account.post("/v1/payment_methods", {"type": "card", "card[token]": "tok_visa"})
    method = method.get_json()["id"]
    intents = [made(account, customer=customer_of(account)) for _ in range(
        threads if sharing else 1)]
    barrier = threading.Barrier(threads)
    results: list = []

    def worker(index):
        client = app.test_client()
        seti = intents[index % len(intents)]
        barrier.wait()
        r = client.post(f"/v1/setup_intents/{seti['id']}/confirm",
                        data={"payment_method": method}, headers=account.auth())
        results.append((r.status_code, r.get_json()))

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert sorted(status for status, _ in results) == [200] + [400] * (threads - 1)
    (winner,) = [body for status, body in results if status == 200]
    owner = account.get(f"/v1/payment_methods/{method}").get_json()["customer"]
    assert owner == winner["customer"]
    refusals = sorted(body["error"]["message"] for status, body in results if status == 400)
    if sharing:  # each other intent's customer is told the card is another's now
        assert refusals == sorted(
            messages.SETUP_METHOD_OF_OTHER_CUSTOMER.format(id=method, customer=s["customer"])
            for s in intents if s["id"] != winner["id"])
    else:
        assert refusals == [messages.SETUP_CONFIRM_SUCCEEDED] * (threads - 1)
    attached = account.get("/v1/events?type=payment_method.attached").get_json()["data"]
    assert [e["data"]["object"]["id"] for e in attached] == [method]
    succeeded = account.get("/v1/events?type=setup_intent.succeeded").get_json()["data"]
    assert [e["data"]["object"]["id"] for e in succeeded] == [winner["id"]]
