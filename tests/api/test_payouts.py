"""/v1/payouts: from available funds only, pending -> in_transit -> paid on the account's clock."""

import time

import pytest

from payground import messages
from payground.core import cards
from tests.helpers import assert_error

DAY = 86400
LIVE_CARD = "4012888888881881"  # Luhn-valid, not one of Stripe's test cards


def fund(account, amount=10000, key=None, source="tok_bypassPending"):
    """A charge whose net (amount - fee) is available at once (in test mode)."""
    r = account.post("/v1/charges", {"amount": amount, "currency": "usd", "source": source},
                     key=key)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def payout(account, amount, key=None, **extra):
    return account.post("/v1/payouts", {"amount": amount, "currency": "usd", **extra}, key=key)


def created(account, amount, **extra):
    r = payout(account, amount, **extra)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def available(account, key=None, bucket="available"):
    (entry,) = account.get("/v1/balance", key=key).get_json()[bucket]
    return entry["amount"]


def get(account, payout_id, key=None):
    r = account.get(f"/v1/payouts/{payout_id}", key=key)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def insufficient(response):
    assert_error(response, 400, code="balance_insufficient",
                 message=messages.BALANCE_INSUFFICIENT)


def test_create_takes_available_funds(account):
    fund(account)  # 9680 available
    body = created(account, 5000, description="Weekly", statement_descriptor="PAYGROUND",
                   **{"metadata[week]": "12"})
    assert body["id"].startswith("po_")
    assert {k: body[k] for k in ("object", "amount", "currency", "status", "description",
                                 "statement_descriptor", "metadata", "method", "type",
                                 "automatic", "livemode", "failure_balance_transaction",
                                 "source_type", "reconciliation_status")} == {
        "object": "payout", "amount": 5000, "currency": "usd", "status": "pending",
        "description": "Weekly", "statement_descriptor": "PAYGROUND", "metadata": {"week": "12"},
        "method": "standard", "type": "bank_account", "automatic": False, "livemode": False,
        "failure_balance_transaction": None, "source_type": "card",
        "reconciliation_status": "not_applicable"}
    assert body["arrival_date"] == body["created"] + 2 * DAY
    assert body["destination"].startswith("ba_")
    assert available(account) == 9680 - 5000
    txn = account.get(f"/v1/balance_transactions/{body['balance_transaction']}").get_json()
    assert (txn["amount"], txn["fee"], txn["net"], txn["type"], txn["reporting_category"],
            txn["source"], txn["status"]) == (-5000, 0, -5000, "payout", "payout", body["id"],
                                              "available")


def test_all_of_the_available_balance_can_be_paid_out(account):
    fund(account)
    created(account, 9680)
    assert available(account) == 0
    insufficient(payout(account, 1))


def test_amount_past_stripes_eight_digits_is_too_large(account):
    # More than 2**31 - 1 available (PostgreSQL's INTEGER), from 23 of the largest charges.
    for _ in range(23):
        fund(account, amount=99_999_999)
    before = available(account)
    assert before > 2**31
    for amount in (100_000_000, 2**31, before):
        assert_error(payout(account, amount), 400, code="amount_too_large", param="amount",
                     message="Amount must be no more than $999,999.99")
    r = account.post("/v1/payouts", {"amount": 100_000_000, "currency": "jpy"})
    assert_error(r, 400, code="amount_too_large", param="amount",
                 message="Amount must be no more than ¥99,999,999 jpy")
    assert account.get("/v1/payouts").get_json()["data"] == []
    assert available(account) == before
    created(account, 99_999_999)  # the largest one is fine
    assert available(account) == before - 99_999_999


def test_insufficient_funds(account):
    insufficient(payout(account, 100))  # nothing at all
    fund(account, source="tok_visa")  # pending, not available
    insufficient(payout(account, 100))
    fund(account)
    insufficient(payout(account, 9681))
    r = account.post("/v1/payouts", {"amount": 100, "currency": "eur"})
    insufficient(r)  # dollars are not euros
    assert account.get("/v1/payouts").get_json()["data"] == []


def test_lifecycle_on_the_account_clock(account, wall):
    fund(account)
    body = created(account, 4000)
    wall[0] += DAY - 1
    assert get(account, body["id"])["status"] == "pending"
    wall[0] += 1
    assert get(account, body["id"])["status"] == "in_transit"
    wall[0] += DAY - 1
    assert get(account, body["id"])["status"] == "in_transit"
    wall[0] += 1
    assert get(account, body["id"])["status"] == "paid"
    types = [e["type"] for e in account.get("/v1/events?type=payout.*").get_json()["data"]]
    assert types == ["payout.paid", "payout.updated", "payout.created"]
    assert available(account) == 9680 - 4000


def test_clock_advance_pays_out_and_the_bank_receives_it(account):
    fund(account)
    body = created(account, 4000)
    account.advance_clock(2 * DAY)
    banks = account.client.get("/sandbox/bank", headers=account.session_auth).get_json()["data"]
    assert [(b["livemode"], b["id"], b["received"], b["in_transit"]) for b in banks] == [
        (False, body["destination"], [{"currency": "usd", "amount": 4000}],
         [{"currency": "usd", "amount": 0}])]
    assert get(account, body["id"])["status"] == "paid"


def test_cancel_while_pending_puts_the_money_back(account):
    fund(account)
    body = created(account, 4000)
    r = account.post(f"/v1/payouts/{body['id']}/cancel",
                     {"expand[]": "failure_balance_transaction"})
    assert r.status_code == 200, r.get_json()
    canceled = r.get_json()
    assert canceled["status"] == "canceled"
    back = canceled["failure_balance_transaction"]
    assert (back["amount"], back["net"], back["type"], back["reporting_category"],
            back["source"]) == (4000, 4000, "payout_cancel", "payout_reversal", body["id"])
    assert available(account) == 9680
    assert [e["type"] for e in account.get("/v1/events?type=payout.*").get_json()["data"]] == [
        "payout.canceled", "payout.created"]


@pytest.mark.parametrize("days,status", [(1, "in_transit"), (2, "paid")])
def test_cannot_cancel_once_on_its_way(account, wall, days, status):
    fund(account)
    body = created(account, 4000)
    wall[0] += days * DAY
    r = account.post(f"/v1/payouts/{body['id']}/cancel")
    assert_error(r, 400, message="Payouts can only be canceled while they are pending.")
    assert get(account, body["id"])["status"] == status
    assert available(account) == 9680 - 4000


def test_cannot_cancel_twice(account, wall):
    fund(account)
    body = created(account, 4000)
    assert account.post(f"/v1/payouts/{body['id']}/cancel").status_code == 200
    assert_error(account.post(f"/v1/payouts/{body['id']}/cancel"), 400,
                 message=messages.PAYOUT_NOT_PENDING)
    wall[0] += 3 * DAY  # its schedule comes due, but a canceled payout stays canceled
    assert get(account, body["id"])["status"] == "canceled"
    assert available(account) == 9680


def test_list_filters_and_pagination(account, wall):
    fund(account)
    first = created(account, 100)
    wall[0] += DAY
    second = created(account, 200)
    third = created(account, 300)
    account.post(f"/v1/payouts/{third['id']}/cancel")
    page = account.get("/v1/payouts").get_json()
    assert [p["id"] for p in page["data"]] == [third["id"], second["id"], first["id"]]
    assert (page["url"], page["has_more"]) == ("/v1/payouts", False)
    by = {status: [p["id"] for p in account.get(f"/v1/payouts?status={status}").get_json()[
        "data"]] for status in ("pending", "in_transit", "canceled", "paid", "bogus")}
    assert by == {"pending": [second["id"]], "in_transit": [first["id"]],
                  "canceled": [third["id"]], "paid": [], "bogus": []}
    arriving = account.get("/v1/payouts", query_string={
        "arrival_date[lte]": first["arrival_date"]}).get_json()["data"]
    assert [p["id"] for p in arriving] == [first["id"]]
    bank = first["destination"]
    assert len(account.get(f"/v1/payouts?destination={bank}").get_json()["data"]) == 3
    assert account.get("/v1/payouts?destination=ba_elsewhere").get_json()["data"] == []
    page = account.get("/v1/payouts?limit=1&starting_after=" + third["id"]).get_json()
    assert ([p["id"] for p in page["data"]], page["has_more"]) == ([second["id"]], True)


def test_update_metadata(account):
    fund(account)
    body = created(account, 100, **{"metadata[a]": "1"})
    r = account.post(f"/v1/payouts/{body['id']}", {"metadata[b]": "2", "metadata[a]": ""})
    assert r.get_json()["metadata"] == {"b": "2"}


def test_expand_destination(account):
    fund(account)
    body = account.post("/v1/payouts", {"amount": 100, "currency": "usd",
                                        "expand[]": "destination"}).get_json()
    assert {k: body["destination"][k] for k in ("object", "bank_name", "last4",
                                                "routing_number")} == {
        "object": "bank_account", "bank_name": "STRIPE TEST BANK", "last4": "6789",
        "routing_number": "110000000"}


@pytest.mark.parametrize("path,method", [("/v1/payouts/po_nope", "get"),
                                         ("/v1/payouts/po_nope", "post"),
                                         ("/v1/payouts/po_nope/cancel", "post")])
def test_unknown_payout(account, path, method):
    r = getattr(account, method)(path)
    assert_error(r, 404, code="resource_missing", param="payout",
                 message="No such payout: 'po_nope'")


@pytest.mark.parametrize("params,code,param,message", [
    ({"currency": "usd"}, "parameter_missing", "amount", "Missing required param: amount."),
    ({"amount": 100}, "parameter_missing", "currency", "Missing required param: currency."),
    ({"amount": 0, "currency": "usd"}, "parameter_invalid_integer", "amount",
     "This value must be greater than or equal to 1."),
    ({"amount": -5, "currency": "usd"}, "parameter_invalid_integer", "amount",
     "This value must be greater than or equal to 1."),
    ({"amount": 100, "currency": "usd", "method": "instant"}, None, "method",
     "Invalid method: must be one of standard"),
    ({"amount": 100, "currency": "usd", "source_balance": "card"}, "parameter_unknown",
     "source_balance", "Received unknown parameter: source_balance"),
])
def test_bad_parameters(account, params, code, param, message):
    assert_error(account.post("/v1/payouts", params), 400, code=code, param=param,
                 message=message)


def test_publishable_key_cannot_pay_out(account):
    r = payout(account, 100, key=account.publishable_key)
    assert_error(r, 401, code="secret_key_required", message=messages.SECRET_KEY_REQUIRED)


def test_read_only_key_cannot_pay_out(account):
    fund(account)
    key = account.create_key(permissions=["payout_read"])
    assert account.get("/v1/payouts", key=key).status_code == 200
    r = payout(account, 100, key=key)
    assert r.status_code == 403 and available(account) == 9680


def test_live_mode_pays_out_to_the_activation_bank_account(account, wall):
    account.activate(bank_account={"routing_number": "021000021",
                                   "account_number": "000987654321"})
    year = time.gmtime(wall[0]).tm_year + 2
    tok = account.post("/v1/tokens", {"card[number]": LIVE_CARD, "card[exp_month]": "12",
                                      "card[exp_year]": str(year)},
                       key=account.live_publishable_key).get_json()["id"]
    amount = min(cards.issuer_limit(LIVE_CARD), 10000)
    fund(account, amount=amount, key=account.live_secret_key, source=tok)
    insufficient(payout(account, 100, key=account.live_secret_key))  # still pending
    wall[0] += 2 * DAY
    net = available(account, key=account.live_secret_key)
    body = payout(account, net, key=account.live_secret_key,
                  **{"expand[]": "destination"}).get_json()
    assert (body["livemode"], body["destination"]["last4"],
            body["destination"]["routing_number"]) == (True, "4321", "021000021")
    # Objects of one mode are invisible to the other.
    assert account.get("/v1/payouts").get_json()["data"] == []
    assert_error(account.get(f"/v1/payouts/{body['id']}"), 404, code="resource_missing",
                 param="payout", message=(
                     f"No such payout: '{body['id']}'; a similar object exists in live mode, "
                     "but a test mode key was used to make this request."))
    wall[0] += 2 * DAY
    banks = account.client.get("/sandbox/bank", headers=account.session_auth).get_json()["data"]
    assert [(b["livemode"], b["last4"], b["received"]) for b in banks] == [
        (False, "6789", [{"currency": "usd", "amount": 0}]),
        (True, "4321", [{"currency": "usd", "amount": net}])]
