"""A secret or restricted key pasted into data Payground would store is refused, not kept.

A description, a name, a note, metadata: the classic leak (a key pasted into a support note
or an order's description). Payground stores no key anywhere, so the request is refused,
with a message that says what to do, and the key is not echoed back or written down.
Publishable keys are public and pass; a key-shaped string whose checksum fails is no key.
A Stripe-shaped secret key Payground did not issue (``sk_live_51...``) is refused too.
"""

import pytest

from payground import messages
from payground.core import keys
from tests.api.test_charges import charge
from tests.helpers import assert_error
from tests.test_secrets import database_text


def refused_for_a_secret(response, param):
    assert_error(response, 400, code="parameter_invalid_string", param=param,
                 message=messages.SECRET_IN_VALUE.replace("{param}", param))


@pytest.mark.parametrize("field, param", [
    ("description", "description"), ("name", "name"), ("metadata[note]", "metadata")])
def test_a_secret_key_in_customer_data_is_refused_and_not_stored(app, account, field, param):
    secret = account.secret_key
    r = account.post("/v1/customers", {field: f"prod key: {secret} (do not share)"})

    refused_for_a_secret(r, param)
    assert secret[8:-4] not in r.get_data(as_text=True)
    assert account.get("/v1/customers").get_json()["data"] == []
    assert secret[8:-4] not in database_text(app)


def test_a_restricted_live_key_in_a_charge_description_is_refused(account):
    account.activate()
    restricted = account.create_key(permissions=["charge_read"], livemode=True)

    refused_for_a_secret(charge(account, description=restricted), "description")
    assert account.get("/v1/charges").get_json()["data"] == []


def test_publishable_keys_and_mistyped_keys_are_ordinary_text(account):
    mistyped = account.secret_key[:-1] + ("A" if account.secret_key[-1] != "A" else "B")
    for text in (account.publishable_key, mistyped):
        r = account.post("/v1/customers", {"description": text})
        assert r.status_code == 200, r.get_json()


def test_a_key_named_after_a_secret_is_refused_by_the_sandbox(account):
    r = account.client.post("/sandbox/keys", headers=account.session_auth,
                            json={"type": "secret", "name": account.secret_key})
    refused_for_a_secret(r, "name")


def test_the_dashboard_refuses_it_without_showing_it_again(client, account):
    client.set_cookie("payground_session", account.session)
    page = client.get("/dashboard/keys").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    r = client.post("/dashboard/keys", data={"csrf_token": token, "type": "secret",
                                             "name": "backend", "note": account.secret_key})

    assert r.status_code == 400
    shown = r.get_data(as_text=True)
    assert messages.SECRET_IN_VALUE.replace("{param}", "note") in shown
    assert account.secret_key[8:-4] not in shown  # the form comes back with the key masked
    assert keys.mask(account.secret_key) in shown


def stripe_shaped(prefix: str = "sk_live_51H") -> str:
    """A secret key as Stripe's look (99 characters after the mode), not issued by Payground."""
    import secrets as random

    return prefix + "".join(random.choice(keys.BASE62) for _ in range(96))


@pytest.mark.parametrize("field, param, value", [
    ("description", "description", "prod: {key}"), ("email", "email", "{key}@example.com"),
    ("metadata[stripe]", "metadata", "{key}"), ("metadata[{key}]", "metadata", "v")])
def test_a_stripe_key_payground_did_not_issue_is_refused_and_not_stored(app, account, field,
                                                                        param, value):
    # Payground's logs mask it and `payground scan` reports it as the worst find of all: a
    # real Stripe key, maybe. Stored, it came back in every read, the dashboard and webhooks.
    stripe_key = stripe_shaped()
    r = account.post("/v1/customers", {field.format(key=stripe_key): value.format(key=stripe_key)})

    refused_for_a_secret(r, param)
    assert stripe_key[8:-4] not in r.get_data(as_text=True)
    assert account.get("/v1/customers").get_json()["data"] == []
    assert stripe_key[8:-4] not in database_text(app)


def test_a_stripe_restricted_key_as_a_webhook_password_is_refused(account):
    restricted = stripe_shaped("rk_test_51H")
    r = account.post("/v1/webhook_endpoints", {"url": f"https://u:{restricted}@example.com/h",
                                               "enabled_events[]": "*"})

    refused_for_a_secret(r, "url")
    assert account.get("/v1/webhook_endpoints").get_json()["data"] == []


def test_placeholders_and_stripe_documentation_keys_are_ordinary_text(account):
    for text in ("sk_test_" + "X" * 24, "sk_live_" + "abcd" * 8,
                 "sk_test_4eC39HqLyjWDarjtT1zdp7dc", "pk_live_51H" + "a1B2c3D4e5" * 9,
                 "task_live_51Habcdefghijklmnopqrstu"):
        r = account.post("/v1/customers", {"description": text})
        assert r.status_code == 200, (text, r.get_json())
