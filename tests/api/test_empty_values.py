"""An empty string for a parameter that cannot be unset: Stripe's 400, never a 500, no change.

Every kind of field (integer, boolean, string, currency, choice), in a body and in a
query string. (These answered 500 until the "empty" message stopped going through
marshmallow's own formatting, which knew nothing of ``{param}``.) And one that can be unset:
``null`` afterwards, as on Stripe.
"""

import pytest

from payground import messages
from tests.helpers import assert_error

CHARGE = {"amount": "2000", "currency": "usd", "source": "tok_visa"}


def empty_value_error(response, param):
    return assert_error(response, 400, code="parameter_invalid_empty", param=param,
                        message=messages.INVALID_EMPTY.replace("{param}", param))


def count(account, path):
    listed = account.get(f"{path}?limit=100")
    assert listed.status_code == 200, listed.get_json()
    return len(listed.get_json()["data"])


@pytest.mark.parametrize("param", ["amount", "currency", "capture", "source", "card"])
def test_a_charge_with_an_empty_value_is_refused_and_not_made(account, param):
    r = account.post("/v1/charges", {**CHARGE, param: ""})

    empty_value_error(r, param)
    assert count(account, "/v1/charges") == 0


def test_a_customer_with_an_empty_balance_is_refused_and_not_made(account):
    empty_value_error(account.post("/v1/customers", {"balance": ""}), "balance")
    assert count(account, "/v1/customers") == 0


def test_an_empty_limit_in_a_query_string_is_refused(account):
    empty_value_error(account.get("/v1/refunds?limit="), "limit")


def test_an_empty_choice_is_refused_and_changes_nothing(account):
    made = account.post("/v1/payment_intents", {"amount": "2000", "currency": "usd"})
    assert made.status_code == 200, made.get_json()
    intent = made.get_json()

    r = account.post(f"/v1/payment_intents/{intent['id']}/cancel",
                     {"cancellation_reason": ""})

    empty_value_error(r, "cancellation_reason")
    after = account.get(f"/v1/payment_intents/{intent['id']}").get_json()
    assert (after["status"], after["cancellation_reason"]) == (intent["status"], None)


def null_value_error(response, param):
    return assert_error(response, 400, code="parameter_invalid_empty", param=param,
                        message=messages.INVALID_NULL.replace("{param}", param))


def test_a_json_null_is_refused_like_an_empty_string(account):
    """A JSON body's ``null`` (a client's unset variable): the empty value's code, a message
    that says null, the parameter named; nothing made."""
    session = account.session_auth
    null_value_error(account.client.post("/sandbox/leak_drills", json={"key": None},
                                         headers=session), "key")
    assert account.client.get("/sandbox/leak_drills", headers=session).get_json()["data"] == []

    keys_before = len(account.client.get("/sandbox/keys", headers=session).get_json()["data"])
    null_value_error(account.client.post("/sandbox/keys", json={"type": "secret", "name": None},
                                         headers=session), "name")
    null_value_error(account.client.post("/sandbox/keys", json={
        "type": "restricted", "permissions": ["charge_read", None]}, headers=session),
        "permissions[1]")
    assert len(account.client.get("/sandbox/keys", headers=session).get_json()["data"]) == \
        keys_before

    null_value_error(account.client.post("/v1/customers", json={"email": None},
                                         headers=account.auth()), "email")
    assert count(account, "/v1/customers") == 0


# Nullable strings are unset by an empty one (Stripe's changelog, 2013-08-12: a customer's and
# a charge's description, a customer's email). stripe-node sends a JavaScript ``null`` so:
# ``stripe.customers.update(id, {email: null})`` posts ``email=`` (captured, REVIEW.md).


def test_an_empty_email_and_description_unset_a_customers(account):
    made = account.post("/v1/customers", {"email": "jo@example.com", "description": "VIP"})
    assert made.status_code == 200, made.get_json()
    path = f"/v1/customers/{made.get_json()['id']}"

    r = account.post(path, {"email": "", "description": ""})

    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["email"], r.get_json()["description"]) == (None, None)
    assert account.get(path).get_json()["email"] is None
    updated = account.get("/v1/events?type=customer.updated").get_json()["data"][0]
    assert updated["data"]["previous_attributes"] == {"email": "jo@example.com",
                                                      "description": "VIP"}


def test_a_customer_made_with_an_empty_email_has_none(account):
    r = account.post("/v1/customers", {"email": "", "name": "Jo"})

    assert r.status_code == 200, r.get_json()
    assert r.get_json()["email"] is None


@pytest.mark.parametrize("path", ["/v1/charges", "/v1/payment_intents"])
def test_an_empty_description_is_null_not_an_empty_string(account, path):
    params = {**CHARGE, "description": "first"}
    if path == "/v1/payment_intents":
        del params["source"]
    made = account.post(path, params)
    assert made.status_code == 200, made.get_json()

    r = account.post(f"{path}/{made.get_json()['id']}", {"description": ""})

    assert r.status_code == 200, r.get_json()
    assert r.get_json()["description"] is None
    assert account.post(path, {**params, "description": ""}).get_json()["description"] is None


def test_a_payout_made_with_an_empty_description_has_none(account):
    account.post("/v1/charges", {**CHARGE, "source": "tok_bypassPending"})

    r = account.post("/v1/payouts", {"amount": "100", "currency": "usd", "description": ""})

    assert r.status_code == 200, r.get_json()
    assert r.get_json()["description"] is None
