"""``stripe.Account.retrieve()``, the health check many apps run at start-up, with the official
SDK against ``payground_server``: the key's account, by id, through Connect, and refused; a
platform's list of its connected accounts (``stripe.Account.list()``)."""

from __future__ import annotations

import pytest
import stripe

from payground import messages
from payground.core import keys


def test_the_health_check_reads_the_keys_account(payground_account, payground_stripe):
    account = payground_stripe.Account.retrieve()

    assert isinstance(account, stripe.Account)
    assert (account.id, account.object, account.email) == (
        payground_account.id, "account", payground_account.email)
    assert (account.charges_enabled, account.payouts_enabled) == (True, True)
    assert (account.country, account.default_currency) == ("US", "usd")
    assert account.settings.dashboard.timezone == "Etc/UTC"
    assert payground_stripe.Account.retrieve(payground_account.id).to_dict() == account.to_dict()


def test_the_client_object_reads_it_too(payground_account, payground_stripe_client):
    account = payground_stripe_client.v1.accounts.retrieve_current()

    assert (account.id, account.email) == (payground_account.id, payground_account.email)
    assert payground_stripe_client.v1.accounts.retrieve(payground_account.id).id == account.id


def test_live_mode_shows_the_activated_business(payground_account, payground_stripe):
    live_key = payground_account.activate_live(business_name="Ada's Bikes")

    account = payground_stripe.Account.retrieve(api_key=live_key)

    assert (account.id, account.charges_enabled, account.details_submitted) == (
        payground_account.id, True, True)
    assert account.business_profile.name == account.settings.dashboard.display_name == \
        "Ada's Bikes"
    assert live_key not in str(account) and payground_account.secret_key not in str(account)


def test_a_restricted_key_without_the_permission_raises_permission_error(payground_account,
                                                                         payground_stripe):
    key = payground_account.create_key(permissions=["charge_read"])
    reader = payground_account.create_key(permissions=["accounts_kyc_basic_read"])

    with pytest.raises(stripe.PermissionError) as raised:
        payground_stripe.Account.retrieve(api_key=key)
    assert raised.value.http_status == 403
    assert raised.value.user_message == messages.MISSING_PERMISSION.format(
        masked=keys.mask(key), account=payground_account.id,
        permission="accounts_kyc_basic_read")
    assert payground_stripe.Account.retrieve(api_key=reader).id == payground_account.id


def test_a_publishable_key_raises_authentication_error(payground_account, payground_stripe):
    with pytest.raises(stripe.AuthenticationError) as raised:
        payground_stripe.Account.retrieve(api_key=payground_account.publishable_key)
    # The SDK keeps the code of a 401 or 403 in the error object only.
    assert (raised.value.http_status, raised.value.error.code) == (401, "secret_key_required")
    assert raised.value.user_message == messages.SECRET_KEY_REQUIRED


def test_another_account_raises_permission_error(payground_server, payground_account,
                                                 payground_stripe):
    other = payground_server.signup()

    with pytest.raises(stripe.PermissionError) as raised:
        payground_stripe.Account.retrieve(other.id)
    assert (raised.value.http_status, raised.value.error.code) == (403, "account_invalid")
    assert raised.value.user_message == messages.ACCOUNT_NOT_ACCESSIBLE.format(
        masked=keys.mask(payground_account.secret_key), account=other.id)
    assert other.email not in str(raised.value.http_body)


def test_a_platform_reads_its_connected_account(payground_server, payground_account,
                                                payground_stripe):
    business = payground_server.signup()
    token = business.connect(payground_account)

    acting = payground_stripe.Account.retrieve(stripe_account=business.id)
    by_id = payground_stripe.Account.retrieve(business.id)
    with_token = payground_stripe.Account.retrieve(api_key=token["access_token"])

    assert acting.id == by_id.id == with_token.id == business.id
    assert acting.email == business.email


def test_a_platform_lists_its_connected_accounts_page_by_page(payground_server,
                                                              payground_account,
                                                              payground_stripe):
    businesses = [payground_server.signup() for _ in range(5)]
    for business in businesses:
        business.connect(payground_account)

    page = payground_stripe.Account.list(limit=2)
    assert isinstance(page, stripe.ListObject) and page.url == "/v1/accounts"
    assert (len(page.data), page.has_more) == (2, True)
    assert all(isinstance(account, stripe.Account) for account in page.data)
    seen = [account.id for account in page.auto_paging_iter()]
    assert sorted(seen) == sorted(business.id for business in businesses)  # each once
    # ...in the order of one big page: newest account first (by id, random, within one
    # second).
    whole = payground_stripe.Account.list(limit=100).data
    assert seen == [account.id for account in whole]
    assert [account.created for account in whole] == sorted(
        (account.created for account in whole), reverse=True)
    assert payground_stripe.Account.list(limit=1, starting_after=seen[2]).data[0].id == seen[3]
    assert whole[0].to_dict() == payground_stripe.Account.retrieve(seen[0]).to_dict()


def test_a_business_lists_nothing_and_its_platform_cannot_list_for_it(payground_server,
                                                                      payground_account,
                                                                      payground_stripe):
    business = payground_server.signup()
    token = business.connect(payground_account)

    assert payground_stripe.Account.list(api_key=business.secret_key).data == []
    for options in ({"api_key": token["access_token"]}, {"stripe_account": business.id}):
        with pytest.raises(stripe.PermissionError) as raised:
            payground_stripe.Account.list(**options)
        assert raised.value.http_status == 403
        assert raised.value.user_message == messages.CONNECTED_ACCOUNTS_OF_CONNECTED


def test_a_cursor_of_another_platform_raises_invalid_request_error(payground_server,
                                                                   payground_account,
                                                                   payground_stripe):
    other = payground_server.signup()
    theirs, stranger = payground_server.signup(), payground_server.signup()
    theirs.connect(other)

    for wanted in (theirs.id, stranger.id):
        with pytest.raises(stripe.InvalidRequestError) as raised:
            payground_stripe.Account.list(starting_after=wanted)
        assert (raised.value.http_status, raised.value.code, raised.value.param) == (
            404, "resource_missing", "starting_after")
        assert raised.value.user_message == messages.NO_SUCH.format(noun="account", id=wanted)
