"""``Stripe-Account`` (Connect: acting as a connected account) is refused as Stripe refuses an
account the key cannot reach, rather than ignored: Payground has no connected accounts, and
a platform's code that sent the header would otherwise act on its own account unawares."""

import pytest
import stripe

from payground import messages
from payground.core.keys import mask
from tests.helpers import assert_error


def refused(response, key, other):
    assert_error(response, 403, code="account_invalid",
                 message=messages.ACCOUNT_NOT_ACCESSIBLE.format(masked=mask(key), account=other))


@pytest.mark.parametrize("path", ["/v1/customers", "/v1/balance", "/v1/no_such_route"])
def test_another_account_is_refused_before_anything_runs(account, path):
    r = account.get(path, headers={"Stripe-Account": "acct_1Connected"})

    refused(r, account.secret_key, "acct_1Connected")
    assert r.headers["Request-Id"].startswith("req_")


def test_nothing_is_made_for_a_refused_post(account, make_account):
    other = make_account()  # a real account, still not one this key can reach
    r = account.post("/v1/customers", {"email": "x@example.com"},
                     headers={"Stripe-Account": other.account_id})

    refused(r, account.secret_key, other.account_id)
    assert account.get("/v1/customers").get_json()["data"] == []
    assert other.get("/v1/customers").get_json()["data"] == []


def test_the_keys_own_account_changes_nothing(account):
    own = account.post("/v1/customers", {"email": "me@example.com"},
                       headers={"Stripe-Account": account.account_id})
    listed = account.get("/v1/customers", headers={"Stripe-Account": account.account_id})

    assert own.status_code == 200
    assert [c["id"] for c in listed.get_json()["data"]] == [own.get_json()["id"]]


@pytest.mark.parametrize("header", ["Stripe-Account", "Stripe-Context"])
@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_header_is_refused_and_nothing_is_made(account, header, value):
    # As Stripe refuses it. granian hands a value with a non-ASCII byte (an id followed by a
    # copy-pasted no-break space) over as "": ignored, it ran the platform's code on its own
    # account.
    r = account.post("/v1/customers", {"email": "me@example.com"}, headers={header: value})

    refused(r, account.secret_key, "")
    assert account.get("/v1/customers").get_json()["data"] == []


def test_an_empty_header_beside_a_real_one_is_refused(account):
    r = account.get("/v1/customers", headers={"Stripe-Account": account.account_id,
                                              "Stripe-Context": ""})

    refused(r, account.secret_key, "")


def test_publishable_and_restricted_keys_too(account):
    reader = account.create_key(permissions=["customer_read"])
    for key in (account.publishable_key, reader):
        r = account.get("/v1/customers", key=key, headers={"Stripe-Account": "acct_other"})
        refused(r, key, "acct_other")


def test_a_key_in_the_header_is_not_echoed(account):
    r = account.get("/v1/customers", headers={"Stripe-Account": account.secret_key})

    assert r.status_code == 403
    assert account.secret_key not in r.get_data(as_text=True)


def test_the_sdk_raises_permission_error(payground_stripe):
    with pytest.raises(stripe.PermissionError) as raised:
        payground_stripe.Customer.list(stripe_account="acct_1Connected")

    assert raised.value.http_status == 403
    assert raised.value.error.code == "account_invalid"
