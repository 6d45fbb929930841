"""Customers through the official ``stripe`` SDK, against ``payground_server``."""

from __future__ import annotations

import pytest
import stripe

from payground import messages


def masked(key: str) -> str:
    """SPEC §2's masked form: the first 8 characters, a ``*`` per hidden one, the last 4."""
    return key[:8] + "*" * (len(key) - 12) + key[-4:]


def test_create_and_retrieve(payground_stripe, payground_account):
    customer = payground_stripe.Customer.create(email="jo@example.com", name="Jo",
                                                metadata={"plan": "pro"})
    assert customer.id.startswith("cus_")
    assert customer.object == "customer"
    assert customer.livemode is False
    assert (customer.email, customer.name) == ("jo@example.com", "Jo")
    assert customer.metadata.to_dict() == {"plan": "pro"}
    assert customer.last_response.headers["Request-Id"].startswith("req_")

    again = payground_stripe.Customer.retrieve(customer.id)
    assert again.id == customer.id
    assert again.email == "jo@example.com"
    assert again.metadata["plan"] == "pro"


def test_modify(payground_stripe):
    customer = payground_stripe.Customer.create(email="a@example.com",
                                                metadata={"a": "1", "b": "2"})
    updated = payground_stripe.Customer.modify(customer.id, name="New", metadata={"a": ""})
    assert updated.name == "New"
    assert updated.metadata.to_dict() == {"b": "2"}
    assert payground_stripe.Customer.retrieve(customer.id).name == "New"


def test_delete(payground_stripe):
    customer = payground_stripe.Customer.create(email="gone@example.com")
    deleted = payground_stripe.Customer.delete(customer.id)
    assert deleted.id == customer.id
    assert deleted.deleted is True
    retrieved = payground_stripe.Customer.retrieve(customer.id)
    assert retrieved.deleted is True


def test_delete_detaches_the_payment_methods(payground_stripe):
    customer = payground_stripe.Customer.create(email="gone@example.com")
    method = payground_stripe.PaymentMethod.attach("pm_card_visa", customer=customer.id)
    assert method.customer == customer.id
    payground_stripe.Customer.delete(customer.id)
    assert payground_stripe.PaymentMethod.retrieve(method.id).customer is None
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.PaymentIntent.create(amount=2000, currency="usd",
                                              payment_method=method.id, confirm=True)
    assert (raised.value.http_status, raised.value.param) == (400, "payment_method")
    assert raised.value.user_message == messages.PAYMENT_METHOD_SPENT


def test_list_auto_paging_over_several_pages(payground_stripe):
    created = [payground_stripe.Customer.create(email=f"c{i}@example.com").id for i in range(5)]
    page = payground_stripe.Customer.list(limit=2)
    assert len(page.data) == 2
    assert page.has_more is True
    seen = [customer.id for customer in page.auto_paging_iter()]
    assert len(seen) == 5 and set(seen) == set(created)  # every customer exactly once
    # ...in the same order as one big page (newest first; customers created within the same
    # second are ordered by id).
    assert seen == [customer.id for customer in payground_stripe.Customer.list(limit=10).data]


def test_list_sees_only_this_accounts_customers(payground_stripe, payground_server):
    mine = payground_stripe.Customer.create(email="mine@example.com")
    other = payground_server.signup()
    theirs = payground_stripe.Customer.create(email="theirs@example.com",
                                              api_key=other.secret_key)
    assert [c.id for c in payground_stripe.Customer.list()] == [mine.id]
    assert [c.id for c in payground_stripe.Customer.list(api_key=other.secret_key)] == \
        [theirs.id]


def test_stripe_client(payground_stripe_client, payground_account):
    client = payground_stripe_client
    customer = client.v1.customers.create({"email": "client@example.com"})
    assert client.v1.customers.retrieve(customer.id).email == "client@example.com"
    listed = client.v1.customers.list({"limit": 1})
    assert [c.id for c in listed.data] == [customer.id]


# -- authentication --------------------------------------------------------------------------


def test_wrong_key(payground_stripe, payground_server):
    # A well-formed key with a valid checksum that was issued to nobody.
    from payground.core.keys import generate

    wrong = generate("secret", livemode=False)
    with pytest.raises(stripe.AuthenticationError) as raised:
        payground_stripe.Customer.list(api_key=wrong)
    error = raised.value
    assert error.http_status == 401
    assert error.json_body["error"].get("code") is None
    assert error.user_message == f"Invalid API Key provided: {masked(wrong)}"
    assert error.json_body["error"]["type"] == "invalid_request_error"
    assert wrong not in error.http_body


def test_wrong_key_set_globally(payground_stripe, monkeypatch):
    from payground.core.keys import generate

    wrong = generate("secret", livemode=False)
    monkeypatch.setattr(payground_stripe, "api_key", wrong)
    with pytest.raises(stripe.AuthenticationError) as raised:
        payground_stripe.Customer.create(email="x@example.com")
    assert raised.value.http_status == 401
    assert raised.value.user_message == f"Invalid API Key provided: {masked(wrong)}"


def test_malformed_key(payground_stripe):
    # 49 characters; key-shaped on purpose, so `payground scan` is told to let it be
    malformed = "sk_test_thisIsNotARealKeyAtAllItIsMuchTooLong0000"  # payground-scan:allow
    with pytest.raises(stripe.AuthenticationError) as raised:
        payground_stripe.Customer.list(api_key=malformed)
    error = raised.value
    assert error.http_status == 401
    assert error.json_body["error"].get("code") is None
    assert error.user_message == "Invalid API Key provided: sk_test_" + "*" * 37 + "0000"
    assert error.user_message == f"Invalid API Key provided: {masked(malformed)}"


def test_short_malformed_key(payground_stripe):
    with pytest.raises(stripe.AuthenticationError) as raised:
        payground_stripe.Customer.list(api_key="sk_test_abc")
    assert raised.value.http_status == 401
    assert raised.value.user_message == "Invalid API Key provided: sk*********"


def test_checksum_mismatch_is_malformed(payground_stripe, payground_account):
    # One changed character in a real key breaks its checksum: rejected as invalid.
    key = payground_account.secret_key
    tampered = key[:10] + ("A" if key[10] != "A" else "B") + key[11:]
    with pytest.raises(stripe.AuthenticationError) as raised:
        payground_stripe.Customer.list(api_key=tampered)
    assert raised.value.http_status == 401
    assert raised.value.user_message == f"Invalid API Key provided: {masked(tampered)}"


def test_no_key_sent(payground_stripe):
    # The SDK itself refuses `None`; an empty key is sent as a bare "Bearer" header.
    with pytest.raises(stripe.AuthenticationError) as raised:
        payground_stripe.Customer.list(api_key="")
    error = raised.value
    assert error.http_status == 401
    assert error.json_body["error"].get("code") is None
    assert error.user_message == messages.NO_API_KEY
    assert error.user_message == (
        "You did not provide an API key. You need to provide your API key in the "
        "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
        "YOUR_SECRET_KEY').")


def test_no_key_configured_is_refused_by_the_sdk(payground_stripe, monkeypatch):
    monkeypatch.setattr(payground_stripe, "api_key", None)
    with pytest.raises(stripe.AuthenticationError) as raised:
        payground_stripe.Customer.list()
    assert raised.value.http_status is None  # never sent
    assert raised.value.user_message.startswith("No API key provided.")


def test_publishable_key_on_secret_endpoint(payground_stripe, payground_account):
    with pytest.raises(stripe.AuthenticationError) as raised:
        payground_stripe.Customer.list(api_key=payground_account.publishable_key)
    error = raised.value
    assert error.http_status == 401
    # The SDK leaves `code` unset on AuthenticationError; it is in the body.
    assert error.json_body["error"]["code"] == "secret_key_required"
    assert error.user_message == (
        "This API call cannot be made with a publishable API key. Please use a secret API key.")


# -- invalid requests ------------------------------------------------------------------------


def test_unknown_parameter(payground_stripe):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.Customer.create(emale="x@example.com")
    error = raised.value
    assert error.http_status == 400
    assert error.code == "parameter_unknown"
    assert error.param == "emale"
    assert error.user_message == "Received unknown parameter: emale"
    assert error.json_body["error"]["type"] == "invalid_request_error"


def test_unknown_nested_parameter(payground_stripe):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.Customer.create(address={"line1": "1 Main St"})
    assert raised.value.http_status == 400
    assert raised.value.code == "parameter_unknown"
    assert raised.value.param == "address"


def test_missing_customer(payground_stripe):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.Customer.retrieve("cus_doesNotExist")
    error = raised.value
    assert error.http_status == 404
    assert error.code == "resource_missing"
    assert error.user_message == "No such customer: 'cus_doesNotExist'"
    assert error.json_body["error"]["type"] == "invalid_request_error"


def test_test_mode_customer_invisible_to_live_key(payground_stripe, payground_account):
    customer = payground_stripe.Customer.create(email="test@example.com")
    live_key = payground_account.activate_live()
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.Customer.retrieve(customer.id, api_key=live_key)
    error = raised.value
    assert error.http_status == 404
    assert error.code == "resource_missing"
    assert error.user_message == (
        f"No such customer: '{customer.id}'; a similar object exists in test mode, but a "
        "live mode key was used to make this request.")
    live = payground_stripe.Customer.create(email="live@example.com", api_key=live_key)
    assert live.livemode is True
    assert [c.id for c in payground_stripe.Customer.list()] == [customer.id]


def test_missing_customer_names_the_id_param(payground_stripe):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        payground_stripe.Customer.retrieve("cus_doesNotExist")
    assert raised.value.param == "id"
