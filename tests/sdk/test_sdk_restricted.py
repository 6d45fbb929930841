"""The official SDK meets restricted and revoked keys the way it meets Stripe's."""

from __future__ import annotations

import pytest
import requests
import stripe

from payground import messages
from payground.core import keys


def sandbox(account, method, path, **json):
    r = requests.request(method, account.server.url_for(path), json=json or None, timeout=10,
                         headers={"Authorization": f"Bearer {account.session}"})
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_missing_permission_raises_permission_error(payground_account, payground_stripe):
    key = sandbox(payground_account, "POST", "/sandbox/keys", type="restricted",
                  permissions=["customer_read"])["secret"]
    assert payground_stripe.Customer.list(api_key=key).data == []
    with pytest.raises(stripe.PermissionError) as raised:
        payground_stripe.Customer.create(email="x@example.com", api_key=key)
    assert raised.value.http_status == 403
    assert raised.value.user_message == messages.MISSING_PERMISSION.format(
        masked=keys.mask(key), account=payground_account.id, permission="customer_write")
    # As Stripe sends it: an invalid_request_error without a code; the SDK picks the class by
    # the 403 alone.
    assert raised.value.code is None
    assert raised.value.error.type == "invalid_request_error"
    # An expansion the key cannot read is the same error, naming the expanded object's
    # permission (and nothing of the object).
    customer = payground_stripe.Customer.create(email="y@example.com")
    charge = payground_stripe.Charge.create(amount=2000, currency="usd", source="tok_visa",
                                            customer=customer.id)
    reader = sandbox(payground_account, "POST", "/sandbox/keys", type="restricted",
                     permissions=["charge_read"])["secret"]
    assert payground_stripe.Charge.retrieve(charge.id, api_key=reader).customer == customer.id
    with pytest.raises(stripe.PermissionError) as raised:
        payground_stripe.Charge.retrieve(charge.id, expand=["customer"], api_key=reader)
    assert raised.value.user_message == messages.MISSING_PERMISSION.format(
        masked=keys.mask(reader), account=payground_account.id, permission="customer_read")
    assert "y@example.com" not in str(raised.value.http_body)


def test_revoked_key_raises_authentication_error(payground_account, payground_stripe):
    created = sandbox(payground_account, "POST", "/sandbox/keys", type="secret")
    assert payground_stripe.Customer.list(api_key=created["secret"]).data == []
    sandbox(payground_account, "POST", f"/sandbox/keys/{created['id']}/revoke")
    with pytest.raises(stripe.AuthenticationError) as raised:
        payground_stripe.Customer.list(api_key=created["secret"])
    assert raised.value.http_status == 401
    assert raised.value.user_message == (
        f"Expired API Key provided: {keys.mask(created['secret'])}")
