"""/v1/balance_transactions: one per charge, refund and payout, with filters and expand."""

import pytest

from payground import messages
from tests.helpers import assert_error

DAY = 86400


def charge(account, amount=2000, source="tok_visa", **extra):
    r = account.post("/v1/charges", {"amount": amount, "currency": "usd", "source": source,
                                     **extra})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def txn(account, txn_id, **query):
    r = account.get(f"/v1/balance_transactions/{txn_id}", query_string=query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def listed(account, **query):
    r = account.get("/v1/balance_transactions", query_string=query)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def ids(page):
    return [item["id"] for item in page["data"]]


def test_a_charge_transaction(account, wall):
    c = charge(account, amount=10000, description="Tea")
    body = txn(account, c["balance_transaction"])
    assert body == {
        "id": c["balance_transaction"], "object": "balance_transaction", "amount": 10000,
        "available_on": c["created"] + 2 * DAY, "balance_type": "payments",
        "created": c["created"], "currency": "usd",
        "description": "Tea", "exchange_rate": None, "fee": 320,
        "fee_details": [{"amount": 320, "application": None, "currency": "usd",
                         "description": "Stripe processing fees", "type": "stripe_fee"}],
        "net": 9680, "reporting_category": "charge", "source": c["id"], "status": "pending",
        "type": "charge"}
    wall[0] += 2 * DAY
    assert txn(account, c["balance_transaction"])["status"] == "available"


def test_a_refund_transaction_keeps_the_fee(account):
    c = charge(account, amount=10000, source="tok_bypassPending", description="Tea")
    r = account.post("/v1/refunds", {"charge": c["id"], "amount": 2500}).get_json()
    body = txn(account, r["balance_transaction"])
    assert (body["amount"], body["fee"], body["fee_details"], body["net"], body["type"],
            body["reporting_category"], body["source"], body["status"], body["description"]) == (
        -2500, 0, [], -2500, "refund", "refund", r["id"], "available", "REFUND FOR CHARGE (Tea)")


def test_list_newest_first_with_filters(account):
    first = charge(account, source="tok_bypassPending")
    second = charge(account, amount=5000, source="tok_bypassPending")
    refund = account.post("/v1/refunds", {"charge": first["id"], "amount": 100}).get_json()
    payout = account.post("/v1/payouts", {"amount": 300, "currency": "usd"}).get_json()
    everything = listed(account)
    assert ids(everything) == [payout["balance_transaction"], refund["balance_transaction"],
                               second["balance_transaction"], first["balance_transaction"]]
    assert (everything["object"], everything["url"], everything["has_more"]) == (
        "list", "/v1/balance_transactions", False)
    assert ids(listed(account, type="charge")) == [second["balance_transaction"],
                                                   first["balance_transaction"]]
    assert ids(listed(account, source=refund["id"])) == [refund["balance_transaction"]]
    assert ids(listed(account, payout=payout["id"])) == [payout["balance_transaction"]]
    assert ids(listed(account, currency="USD")) == ids(everything)
    # A type or currency that matches nothing is an empty page, not an error.
    assert ids(listed(account, currency="eur")) == []
    assert ids(listed(account, type="adjustment")) == []


@pytest.mark.parametrize("param, value, message", [
    ("payout", "po_unknown", "No such payout: 'po_unknown'"),
    ("source", "ch_unknown", "No such charge: 'ch_unknown'"),
    ("source", "re_unknown", "No such refund: 're_unknown'"),
    ("source", "po_unknown", "No such payout: 'po_unknown'"),
    ("source", "tr_unknown", "No such source: 'tr_unknown'"),
    ("payout", "ch_unknown", "No such payout: 'ch_unknown'"),
])
def test_filters_naming_objects_that_do_not_exist_are_404(account, param, value, message):
    """As the charge and refund lists' ``customer``, ``charge`` ... filters are: an unknown
    id is a mistake to report, not an empty page."""
    charge(account)
    assert_error(account.get("/v1/balance_transactions", query_string={param: value}), 404,
                 code="resource_missing", param=param, message=message)


def test_filters_naming_another_modes_or_accounts_objects(account, make_account):
    paid = charge(account, source="tok_bypassPending")
    payout = account.post("/v1/payouts", {"amount": 300, "currency": "usd"}).get_json()
    live = account.activate()
    for param, value, noun in (("source", paid["id"], "charge"),
                               ("payout", payout["id"], "payout")):
        r = account.get("/v1/balance_transactions", query_string={param: value}, key=live)
        assert_error(r, 404, code="resource_missing", param=param,
                     message=messages.NO_SUCH_OTHER_MODE.format(
                         noun=noun, id=value, other="test", mode="live"))
        # Another account's is as unknown as a made-up id.
        r = make_account().get("/v1/balance_transactions", query_string={param: value})
        assert_error(r, 404, code="resource_missing", param=param,
                     message=f"No such {noun}: '{value}'")


def test_created_filters(account, wall):
    old = charge(account)
    wall[0] += 100
    new = charge(account)
    assert ids(listed(account, created=old["created"])) == [old["balance_transaction"]]
    assert ids(listed(account, **{"created[gt]": old["created"]})) == [new["balance_transaction"]]
    assert ids(listed(account, **{"created[gte]": old["created"],
                                  "created[lt]": new["created"]})) == [old["balance_transaction"]]
    assert ids(listed(account, **{"created[lte]": new["created"] - 1})) == [
        old["balance_transaction"]]


def test_pagination(account):
    made = [charge(account)["balance_transaction"] for _ in range(3)][::-1]
    page = listed(account, limit=2)
    assert (ids(page), page["has_more"]) == (made[:2], True)
    page = listed(account, limit=2, starting_after=made[1])
    assert (ids(page), page["has_more"]) == (made[2:], False)
    page = listed(account, limit=1, ending_before=made[2])
    assert (ids(page), page["has_more"]) == ([made[1]], True)


@pytest.mark.parametrize("kind", ["charge", "refund", "payout"])
def test_expand_source(account, kind):
    c = charge(account, source="tok_bypassPending")
    objects = {"charge": c}
    objects["refund"] = account.post("/v1/refunds", {"charge": c["id"], "amount": 100}).get_json()
    objects["payout"] = account.post("/v1/payouts", {"amount": 100, "currency": "usd"}).get_json()
    source = objects[kind]
    body = txn(account, source["balance_transaction"], **{"expand[]": "source"})
    assert body["source"]["object"] == kind
    assert body["source"]["id"] == source["id"]
    page = listed(account, **{"expand[]": "data.source", "type": kind})
    assert page["data"][0]["source"]["id"] == source["id"]


def test_unknown_transaction(account):
    assert_error(account.get("/v1/balance_transactions/txn_nope"), 404, code="resource_missing",
                 param="id", message="No such balance transaction: 'txn_nope'")


def test_the_other_mode_cannot_see_it(account):
    c = charge(account)
    live = account.activate()
    r = account.get(f"/v1/balance_transactions/{c['balance_transaction']}", key=live)
    assert_error(r, 404, code="resource_missing", param="id", message=(
        f"No such balance transaction: '{c['balance_transaction']}'; a similar object exists in "
        "test mode, but a live mode key was used to make this request."))
    assert ids(listed(account)) == [c["balance_transaction"]]
    assert account.get("/v1/balance_transactions", key=live).get_json()["data"] == []


def test_bad_parameters(account):
    assert_error(account.get("/v1/balance_transactions?created[gte]=soon"), 400,
                 code="parameter_invalid_integer", param="created[gte]",
                 message="Invalid integer: soon")
    assert_error(account.get("/v1/balance_transactions?created[after]=1"), 400,
                 code="parameter_unknown", param="created[after]",
                 message="Received unknown parameter: created[after]")
    assert_error(account.get("/v1/balance_transactions?limit=101"), 400,
                 code="parameter_invalid_integer", param="limit",
                 message="This value must be less than or equal to 100.")
    assert_error(account.get("/v1/balance_transactions?expand[]=customer"), 400, param="expand",
                 message="This property cannot be expanded (customer).")


def test_publishable_key_cannot_list(account):
    r = account.get("/v1/balance_transactions", key=account.publishable_key)
    assert_error(r, 401, code="secret_key_required", message=messages.SECRET_KEY_REQUIRED)


def test_restricted_key_with_balance_read(account):
    c = charge(account)
    key = account.create_key(permissions=["balance_read"])
    assert account.get(f"/v1/balance_transactions/{c['balance_transaction']}",
                       key=key).status_code == 200
    assert account.get("/v1/charges", key=key).status_code == 403
