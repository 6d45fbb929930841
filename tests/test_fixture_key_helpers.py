"""The fixture's key and clock helpers, as a user's test would use them."""

import pytest
import requests

from payground import messages


def customers(account, key):
    return account.request("GET", "/v1/customers", key=key).status_code


def test_create_restricted_key(payground_account):
    key = payground_account.create_key(permissions=["customer_read"])
    assert key.startswith("rk_test_")
    assert customers(payground_account, key) == 200
    assert payground_account.request("POST", "/v1/customers", key=key).status_code == 403


def test_roll_with_grace_then_advance_the_clock(payground_account):
    old = payground_account.secret_key
    new = payground_account.roll(old, expires_in=3600)
    assert (customers(payground_account, old), customers(payground_account, new)) == (200, 200)
    payground_account.advance_clock(3600)
    assert (customers(payground_account, old), customers(payground_account, new)) == (401, 200)


def test_revoke_by_key_or_id(payground_account):
    key = payground_account.create_key("secret")
    payground_account.revoke(key)
    assert customers(payground_account, key) == 401
    with pytest.raises(requests.HTTPError, match="is already revoked"):
        payground_account.revoke(key)


def test_unknown_key(payground_account):
    with pytest.raises(LookupError, match="is not a key of account"):
        payground_account.revoke("sk_test_" + "0" * 38)


def test_helpers_take_key_ids_and_report_the_clock(payground_account):
    account = payground_account
    listed = account.request("GET", "/sandbox/keys", key=account.session).json()["data"]
    pk_id = next(k["id"] for k in listed if k["type"] == "publishable")
    new_pk = account.roll(pk_id)
    assert new_pk.startswith("pk_test_") and new_pk != account.publishable_key
    clock = account.request("GET", "/sandbox/clock", key=account.session).json()
    now = account.advance_clock(90)  # real time runs on the server: allow it a few seconds
    assert clock["now"] + 90 <= now <= clock["now"] + 95


def test_create_key_refused_raises_with_the_message(payground_account):
    with pytest.raises(requests.HTTPError, match=r"Invalid permissions\[0\]"):
        payground_account.create_key(permissions=["everything"])
    with pytest.raises(requests.HTTPError, match="Live mode is not activated"):
        payground_account.create_key("secret", livemode=True)


def test_a_leak_drill_from_a_test(payground_account):
    account = payground_account
    drill = account.start_leak_drill()
    assert (drill["status"], drill["bot_requests"]["total"]) == ("exposed", 0)
    account.advance_clock(300)
    new_key = account.roll(account.secret_key, expires_in=0)  # contain it: the old key stops
    account.secret_key = new_key
    drill = account.leak_drill(drill["id"])
    assert drill["status"] == "contained" and drill["beat_target"] is True
    assert 300 <= drill["exposure_seconds"] < 360  # the wall clock moves on during the test
    assert drill["bot_requests"]["let_in"] >= 9  # +120 ... +280 at least
    with pytest.raises(requests.HTTPError, match="no longer works"):
        account.start_leak_drill(drill["key"])


def test_an_empty_key_is_sent_as_given(payground_account):
    """Only an omitted key means the account's secret key: an empty one (an unset variable in
    the client under test) gets the 401 that client would get."""
    response = payground_account.request("GET", "/v1/customers", key="")

    assert response.status_code == 401
    assert response.request.headers["Authorization"] == "Bearer "
    error = response.json()["error"]
    assert (error["type"], error.get("code"), error["message"]) == (
        "invalid_request_error", None, messages.NO_API_KEY)


def test_a_refusal_names_the_parameter_its_message_does_not(payground_account):
    """``This value must be less than or equal to 604800.`` alone does not say which value:
    the helper's error adds the error's ``param``; a message that names it stays as it is."""
    account = payground_account
    key_id = account._key_id(account.secret_key)
    with pytest.raises(requests.HTTPError) as refused:
        account.roll(key_id, expires_in=8 * 86400)
    assert str(refused.value) == (
        f"POST {account.server.url}/sandbox/keys/{key_id}/roll -> 400: This value must be "
        "less than or equal to 604800. (param: expires_in)")
    assert refused.value.response.json()["error"]["param"] == "expires_in"

    with pytest.raises(requests.HTTPError) as refused:
        account.advance_clock(0)
    assert str(refused.value).endswith(
        "-> 400: Invalid seconds: must be between 1 and 31536000 (one year).")
