"""POST /sandbox/keys/identify: which keys found in files (by `payground scan`) are yours."""

from __future__ import annotations

from payground.core import keys
from tests.helpers import assert_error


def identify(account, *found, session=None):
    return account.client.post("/sandbox/keys/identify", json={"keys": list(found)},
                               headers=session or account.session_auth)


def test_names_each_of_your_keys_in_order_and_nulls_the_rest(account, make_account):
    restricted = account.create_key(permissions=["charge_read"], name="analytics")
    rolled_away = account.create_key(type="secret", name="old")
    account.roll(rolled_away, expires_in=0)
    other = make_account()
    made_up = keys.generate("secret", False)
    r = identify(account, restricted, "sk_test_123", other.secret_key, rolled_away,
                 account.secret_key, made_up)
    assert r.status_code == 200
    body = r.get_json()
    assert (body["object"], body["has_more"]) == ("list", False)
    data = body["data"]
    assert [d and (d["name"], d["type"], d["status"]) for d in data] == [
        ("analytics", "restricted", "active"), None, None, ("old", "secret", "expired"),
        ("Test secret key", "secret", "active"), None]
    assert data[0]["redacted"] == f"rk_test_...{restricted[-4:]}"
    assert data[4]["id"] == account.key_id(account.secret_key)
    text = r.get_data(as_text=True)
    for planted in (restricted, rolled_away, account.secret_key, other.secret_key, made_up):
        assert planted not in text


def test_a_revoked_key_is_named_as_revoked(account):
    key = account.create_key(type="secret")
    account.revoke(key)
    assert identify(account, key).get_json()["data"][0]["status"] == "revoked"


def test_needs_a_session_not_an_api_key(account):
    r = identify(account, account.secret_key, session=account.auth())
    assert r.status_code == 401
    assert account.secret_key not in r.get_data(as_text=True)


def test_bad_input_is_refused_without_echoing_a_key(account):
    message = "Invalid keys[1]: expected a key, a string of 1 to 255 characters."
    for bad in (5, "", "x" * 256, ["sk"], {"a": "b"}):
        r = identify(account, account.secret_key, bad)
        assert_error(r, 400, code="parameter_invalid_string", param="keys[1]", message=message)
        assert account.secret_key not in r.get_data(as_text=True)
    assert_error(account.client.post("/sandbox/keys/identify", json={},
                                     headers=account.session_auth),
                 400, code="parameter_missing", param="keys",
                 message="Missing required param: keys.")
    assert_error(account.client.post("/sandbox/keys/identify", json={"keys": []},
                                     headers=account.session_auth),
                 400, code="parameter_invalid", param="keys",
                 message="Invalid keys: send 1 to 100 keys at a time.")
    assert_error(identify(account, *[account.secret_key] * 101), 400, code="parameter_invalid",
                 param="keys", message="Invalid keys: send 1 to 100 keys at a time.")
    r = account.client.post("/sandbox/keys/identify", headers=account.session_auth,
                            data={"keys[]": account.secret_key, "key": account.secret_key})
    assert_error(r, 400, code="parameter_unknown", param="key",
                 message="Received unknown parameter: key")
    assert account.secret_key not in r.get_data(as_text=True)


def test_form_encoded_like_the_rest_of_the_sandbox(account):
    r = account.client.post("/sandbox/keys/identify", headers=account.session_auth,
                            data={"keys[0]": account.secret_key, "keys[1]": "nope"})
    assert r.status_code == 200
    assert [d and d["type"] for d in r.get_json()["data"]] == ["secret", None]
