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
        payground_stripe.Customer.create(address={"line1": "1 Main St", "line3": "Flat 2"})
    assert raised.value.http_status == 400
    assert raised.value.code == "parameter_unknown"
    assert raised.value.param == "address[line3]"


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


def test_descriptive_fields_as_stripe_code_sends_them(payground_stripe):
    # What integrations written for Stripe commonly pass: kept and shown back, never refused.
    customer = payground_stripe.Customer.create(
        name="Jo", address={"line1": "1 Main St", "city": "San Francisco", "country": "US"},
        shipping={"name": "Jo", "address": {"line1": "2 Side St"}, "phone": "555-0100"},
        preferred_locales=["en", "fr-FR"], tax_exempt="none", invoice_prefix="JO1",
        invoice_settings={"footer": "Thanks", "custom_fields": [{"name": "PO", "value": "7"}]})
    assert customer.address.city == "San Francisco"
    assert customer.shipping.address.line1 == "2 Side St"
    assert customer.preferred_locales == ["en", "fr-FR"]
    assert (customer.invoice_prefix, customer.next_invoice_sequence) == ("JO1", 1)
    assert customer.invoice_settings.custom_fields[0].name == "PO"
    updated = payground_stripe.Customer.modify(customer.id, tax_exempt="exempt",
                                               invoice_settings={"footer": ""})
    assert (updated.tax_exempt, updated.invoice_settings.footer) == ("exempt", None)
    assert updated.invoice_settings.custom_fields[0].value == "7"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        payground_stripe.Customer.create(tax_exempt="sometimes")
    assert (caught.value.http_status, caught.value.param, caught.value.user_message) == (
        400, "tax_exempt", "Invalid tax_exempt: must be one of exempt, none, reverse")


def test_a_card_token_with_an_address(payground_stripe):
    token = payground_stripe.Token.create(card={
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123",
        "name": "Jo", "address_line1": "1 Main St", "address_zip": "94107",
        "address_country": "US", "currency": "usd"})
    assert (token.card.address_line1, token.card.address_zip_check) == ("1 Main St",
                                                                        "unchecked")
    charge = payground_stripe.Charge.create(amount=1000, currency="usd", source=token.id)
    assert charge.billing_details.address.postal_code == "94107"
    assert charge.source.address_line1_check == "pass"
