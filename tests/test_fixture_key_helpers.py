"""The fixture's key and clock helpers, as a user's test would use them."""

import pytest
import requests


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
