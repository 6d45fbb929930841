"""Refunds and PaymentIntents: refund by intent, filter by intent, and intents that follow
their charge when it is captured or released through the Charges and Refunds APIs."""

from __future__ import annotations

import pytest

from payground import messages
from payground.core import keys
from tests.api.test_payment_intents import authorized, done, succeeded
from tests.helpers import assert_error


def test_refund_a_payment_intent_by_its_id(account):
    intent = succeeded(account)
    r = account.post("/v1/refunds", {"payment_intent": intent["id"], "amount": 500})
    assert r.status_code == 200, r.get_json()
    refund = r.get_json()
    assert (refund["charge"], refund["payment_intent"], refund["amount"]) == (
        intent["latest_charge"], intent["id"], 500)
    other = account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                         "source": "tok_visa"}).get_json()["id"]
    plain = account.post("/v1/refunds", {"charge": other}).get_json()
    assert plain["payment_intent"] is None
    listed = account.get(f"/v1/refunds?payment_intent={intent['id']}").get_json()["data"]
    assert [r["id"] for r in listed] == [refund["id"]]
    assert account.get(f"/v1/refunds/{refund['id']}").get_json()["payment_intent"] == intent["id"]
    charges = account.get(f"/v1/charges?payment_intent={intent['id']}").get_json()["data"]
    assert [c["id"] for c in charges] == [intent["latest_charge"]]


def test_refund_needs_exactly_one_of_charge_and_payment_intent(account):
    intent = succeeded(account)
    assert_error(account.post("/v1/refunds", {}), 400, code="parameter_missing", param="charge",
                 message="Missing required param: charge (or payment_intent).")
    assert_error(account.post("/v1/refunds", {"charge": intent["latest_charge"],
                                              "payment_intent": intent["id"]}), 400,
                 message="You may only specify one of these parameters: charge, payment_intent.")
    assert_error(account.post("/v1/refunds", {"payment_intent": "pi_nope"}), 404,
                 code="resource_missing", param="payment_intent",
                 message="No such payment_intent: 'pi_nope'")
    unconfirmed = account.post("/v1/payment_intents", {"amount": 2000,
                                                       "currency": "usd"}).get_json()
    assert_error(account.post("/v1/refunds", {"payment_intent": unconfirmed["id"]}), 400,
                 param="payment_intent",
                 message=messages.REFUND_NO_CHARGE.format(id=unconfirmed["id"]))


def test_releasing_an_intents_charge_cancels_the_intent(account):
    intent = authorized(account)
    r = account.post("/v1/refunds", {"charge": intent["latest_charge"]})
    assert r.status_code == 200, r.get_json()
    after = account.get(f"/v1/payment_intents/{intent['id']}").get_json()
    assert (after["status"], after["amount_capturable"]) == ("canceled", 0)
    assert after["canceled_at"] is not None
    types = [e["type"] for e in account.get("/v1/events?limit=100").get_json()["data"]]
    assert "payment_intent.canceled" in types
    assert_error(account.post(f"/v1/payment_intents/{intent['id']}/cancel"), 400,
                 code="payment_intent_unexpected_state", param=None,
                 message=messages.INTENT_CANCEL_STATE.format(status="canceled"),
                 payment_intent=account.get(f"/v1/payment_intents/{intent['id']}").get_json())


def test_capturing_an_intents_charge_directly_completes_the_intent(account):
    intent = authorized(account)
    r = account.post(f"/v1/charges/{intent['latest_charge']}/capture", {"amount": 1500})
    assert r.status_code == 200, r.get_json()
    after = account.get(f"/v1/payment_intents/{intent['id']}").get_json()
    assert (after["status"], after["amount_received"], after["amount_capturable"]) == (
        "succeeded", 1500, 0)
    # Cancelling it now would refund captured money: refused, as for any succeeded intent.
    assert account.post(f"/v1/payment_intents/{intent['id']}/cancel").status_code == 400
    assert account.get(f"/v1/charges/{intent['latest_charge']}").get_json()["amount_refunded"] \
        == 500  # only the released rest of the authorisation


def test_the_payment_intent_api_still_moves_its_own_charge(account):
    captured = done(account, authorized(account)["id"], "capture")
    assert (captured["status"], captured["amount_received"]) == ("succeeded", 2000)
    canceled = done(account, authorized(account)["id"], "cancel")
    assert canceled["status"] == "canceled"
    charge = account.get(f"/v1/charges/{canceled['latest_charge']}").get_json()
    assert (charge["refunded"], charge["captured"]) == (True, False)


# --- Stripe parameters for saved cards and confirmation, accepted as Stripe does ---------------


def test_saved_card_parameters_are_accepted(account):
    from tests.api.test_payment_intents import made

    intent = made(account, payment_method="pm_card_visa", confirm="true", off_session="true",
                  error_on_requires_action="true", setup_future_usage="off_session",
                  statement_descriptor_suffix="ORDER 12")
    assert (intent["status"], intent["setup_future_usage"],
            intent["statement_descriptor_suffix"]) == ("succeeded", "off_session", "ORDER 12")
    pending = made(account, payment_method="pm_card_visa")
    confirmed = done(account, pending["id"], "confirm", off_session="recurring",
                     capture_method="manual")
    assert (confirmed["status"], confirmed["capture_method"]) == ("requires_capture", "manual")
    assert_error(account.post("/v1/payment_intents", {"amount": 2000, "currency": "usd",
                                                      "off_session": "sometimes"}),
                 400, code="parameter_invalid_boolean", param="off_session",
                 message="Invalid boolean: sometimes")
    assert_error(account.post("/v1/payment_intents", {"amount": 2000, "currency": "usd",
                                                      "setup_future_usage": "forever"}),
                 400, param="setup_future_usage",
                 message="Invalid setup_future_usage: must be one of off_session, on_session")


def test_a_publishable_key_cannot_change_the_capture_method(account):
    from tests.api.test_payment_intents import act, made

    pending = made(account, payment_method="pm_card_visa", capture_method="manual")
    r = act(account, pending["id"], "confirm", key=account.publishable_key,
            client_secret=pending["client_secret"], capture_method="automatic")
    assert_error(r, 400, param="capture_method",
                 message=messages.SECRET_KEY_PARAM.format(param="capture_method"))
    after = account.get(f"/v1/payment_intents/{pending['id']}").get_json()
    assert (after["status"], after["capture_method"]) == ("requires_confirmation", "manual")


def test_a_charge_expands_its_payment_intent(account):
    from tests.api.test_restricted_keys import call, restricted

    intent = succeeded(account)
    path = f"/v1/charges/{intent['latest_charge']}?expand[]=payment_intent"
    charge = account.get(path).get_json()
    assert (charge["payment_intent"]["id"], charge["payment_intent"]["status"]) == (
        intent["id"], "succeeded")
    plain = account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                         "source": "tok_visa"}).get_json()["id"]
    assert account.get(f"/v1/charges/{plain}?expand[]=payment_intent").get_json()[
        "payment_intent"] is None
    narrow = restricted(account, ["charge_read"])
    assert_error(call(account, "GET", path, narrow), 403,
                 message=messages.MISSING_PERMISSION.format(
                     masked=keys.mask(narrow),
                     account=account.account_id, permission="payment_intent_read"))


def test_shipping_details_are_kept_in_stripes_shape(account):
    from tests.api.test_payment_intents import made

    intent = made(account, **{"shipping[name]": "Jo Doe", "shipping[address][line1]": "1 Main St",
                              "shipping[address][country]": "US", "shipping[carrier]": "UPS"})
    assert intent["shipping"] == {
        "address": {"city": None, "country": "US", "line1": "1 Main St", "line2": None,
                    "postal_code": None, "state": None},
        "carrier": "UPS", "name": "Jo Doe", "phone": None, "tracking_number": None}
    path = f"/v1/payment_intents/{intent['id']}"
    updated = account.post(path, {"shipping[name]": "Jo", "shipping[address][city]": "Oslo",
                                  "setup_future_usage": "on_session"}).get_json()
    assert (updated["shipping"]["name"], updated["shipping"]["address"]["city"],
            updated["shipping"]["address"]["line1"]) == ("Jo", "Oslo", None)  # replaced whole
    assert updated["setup_future_usage"] == "on_session"
    cleared = account.post(path, {"shipping": "", "setup_future_usage": ""}).get_json()
    assert (cleared["shipping"], cleared["setup_future_usage"]) == (None, None)
    confirmed = done(account, intent["id"], "confirm", payment_method="pm_card_visa",
                     **{"shipping[name]": "At confirm", "shipping[address][line1]": "2 Side St"})
    assert (confirmed["status"], confirmed["shipping"]["name"]) == ("succeeded", "At confirm")
    assert_error(account.post(path, {"shipping[address][line1]": "x"}), 400,
                 code="parameter_missing", param="shipping[name]",
                 message="Missing required param: shipping[name].")
    assert_error(account.post(path, {"shipping[name]": "x", "shipping[address][moon]": "x"}),
                 400, code="parameter_unknown", param="shipping[address][moon]",
                 message="Received unknown parameter: shipping[address][moon]")


@pytest.mark.parametrize("race", ["charge capture vs intent cancel",
                                  "intent capture vs refund"])
def test_the_two_apis_racing_on_one_intent_never_deadlock(app, account, race):
    """Both APIs lock the intent before its charge: taken in opposite orders, these pairs
    deadlocked on PostgreSQL (one side waited a second, then got 429 lock_timeout)."""
    import threading

    for _ in range(6):
        intent = authorized(account)
        first, second = {
            "charge capture vs intent cancel": (
                ("/v1/charges/{charge}/capture", {}), ("/v1/payment_intents/{pi}/cancel", {})),
            "intent capture vs refund": (
                ("/v1/payment_intents/{pi}/capture", {}), ("/v1/refunds", {"charge": "{charge}"})),
        }[race]
        barrier, statuses = threading.Barrier(2), []

        def call(path, data):
            names = {"pi": intent["id"], "charge": intent["latest_charge"]}
            client = app.test_client()
            barrier.wait()
            r = client.post(path.format(**names), headers=account.auth(),
                            data={k: v.format(**names) for k, v in data.items()})
            statuses.append(r.status_code)

        pool = [threading.Thread(target=call, args=first), threading.Thread(target=call,
                                                                           args=second)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        assert 429 not in statuses and 500 not in statuses, statuses
        after = account.get(f"/v1/payment_intents/{intent['id']}").get_json()["status"]
        assert after in ("succeeded", "canceled")
