"""/v1/refunds: partial and full refunds, Stripe's errors, and no over-refund under concurrency."""

import threading

import pytest

from payground import messages
from tests.helpers import assert_error


def charge(account, amount=2000, **extra):
    r = account.post("/v1/charges", {"amount": amount, "currency": "usd", "source": "tok_visa",
                                     **extra})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["id"]


def refund(account, charge_id, **params):
    return account.post("/v1/refunds", {"charge": charge_id, **params})


def test_partial_then_full_refund(account):
    cid = charge(account)
    r = refund(account, cid, amount=500, reason="requested_by_customer",
               **{"metadata[ticket]": "T-1"})
    assert r.status_code == 200
    first = r.get_json()
    assert first["id"].startswith("re_") and first["object"] == "refund"
    assert (first["amount"], first["charge"], first["currency"], first["status"],
            first["reason"], first["metadata"]) == (500, cid, "usd", "succeeded",
                                                    "requested_by_customer", {"ticket": "T-1"})
    assert first["balance_transaction"].startswith("txn_")
    c = account.get(f"/v1/charges/{cid}").get_json()
    assert (c["amount_refunded"], c["refunded"]) == (500, False)

    rest = refund(account, cid).get_json()
    assert rest["amount"] == 1500
    c = account.get(f"/v1/charges/{cid}").get_json()
    assert (c["amount_refunded"], c["refunded"]) == (2000, True)


def test_refund_balance_transaction(account):
    cid = charge(account)
    r = refund(account, cid, amount=700, **{"expand[]": ["balance_transaction", "charge"]})
    body = r.get_json()
    txn = body["balance_transaction"]
    assert (txn["type"], txn["amount"], txn["fee"], txn["net"], txn["fee_details"]) == (
        "refund", -700, 0, -700, [])
    assert body["charge"]["id"] == cid and body["charge"]["amount_refunded"] == 700


def test_more_than_remaining(account):
    cid = charge(account)
    refund(account, cid, amount=1500)
    assert_error(refund(account, cid, amount=600), 400, param="amount",
                 message="Refund amount ($6.00) is greater than unrefunded amount on charge "
                         "($5.00)")


def test_more_than_the_charge(account):
    # Stripe's wording before anything is refunded names the charge amount (as quoted from
    # live test-mode answers: "Refund amount ($1.50) is greater than charge amount ($1.00)").
    cid = charge(account)
    assert_error(refund(account, cid, amount=2001), 400, param="amount",
                 message="Refund amount ($20.01) is greater than charge amount ($20.00)")
    assert account.get(f"/v1/refunds?charge={cid}").get_json()["data"] == []


def test_list_filters_name_objects_that_exist(account):
    # Stripe: "If you provide a non-existent charge ID, this call raises an error."
    assert_error(account.get("/v1/refunds?charge=ch_nope"), 404, code="resource_missing",
                 param="charge", message="No such charge: 'ch_nope'")
    assert_error(account.get("/v1/refunds?payment_intent=pi_nope"), 404,
                 code="resource_missing", param="payment_intent",
                 message="No such payment_intent: 'pi_nope'")
    live = account.activate()
    intent = account.post("/v1/payment_intents", {"amount": 2000, "currency": "usd"},
                          key=live).get_json()["id"]
    assert_error(account.get(f"/v1/refunds?payment_intent={intent}"), 404,
                 code="resource_missing", param="payment_intent",
                 message=messages.NO_SUCH_OTHER_MODE.format(
                     noun="payment_intent", id=intent, other="live", mode="test"))


def test_already_refunded(account):
    cid = charge(account)
    refund(account, cid)
    assert_error(refund(account, cid), 400, code="charge_already_refunded",
                 message=f"Charge {cid} has already been refunded.")


def test_refunding_an_uncaptured_charge_releases_it(account):
    cid = charge(account, capture="false")
    assert_error(refund(account, cid, amount=500), 400, param="amount",
                 message=messages.REFUND_UNCAPTURED_PARTIAL)
    body = refund(account, cid).get_json()
    assert (body["amount"], body["status"], body["balance_transaction"]) == (
        2000, "succeeded", None)
    c = account.get(f"/v1/charges/{cid}").get_json()
    assert (c["captured"], c["refunded"], c["amount_refunded"]) == (False, True, 2000)
    assert_error(account.post(f"/v1/charges/{cid}/capture"), 400,
                 code="charge_already_refunded",
                 message=f"Charge {cid} has already been refunded.")


def test_after_partial_capture_only_the_captured_part_is_refundable(account):
    cid = charge(account, capture="false")
    account.post(f"/v1/charges/{cid}/capture", {"amount": 1200})
    assert_error(refund(account, cid, amount=1300), 400, param="amount",
                 message="Refund amount ($13.00) is greater than unrefunded amount on charge "
                         "($12.00)")
    assert refund(account, cid).get_json()["amount"] == 1200
    c = account.get(f"/v1/charges/{cid}").get_json()
    assert (c["amount_refunded"], c["refunded"]) == (2000, True)


def test_failed_charge_cannot_be_refunded(account):
    failed = account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                          "source": "tok_chargeDeclined"}).get_json()
    cid = failed["error"]["charge"]
    assert_error(refund(account, cid), 400, param="charge",
                 message=messages.CHARGE_FAILED_CANNOT.format(id=cid, action="refunded"))


def test_validation(account):
    cid = charge(account)
    assert_error(account.post("/v1/refunds", {}), 400, code="parameter_missing",
                 param="charge", message="Missing required param: charge (or payment_intent).")
    assert_error(refund(account, "ch_nope"), 404, code="resource_missing", param="charge",
                 message="No such charge: 'ch_nope'")
    assert_error(refund(account, cid, reason="bored"), 400, param="reason",
                 message="Invalid reason: must be one of duplicate, fraudulent, "
                         "requested_by_customer")
    assert_error(refund(account, cid, amount=0), 400, code="parameter_invalid_integer",
                 param="amount", message="This value must be greater than or equal to 1.")


def test_retrieve_update_list(account):
    first, second = charge(account), charge(account)
    ids = [refund(account, first, amount=100).get_json()["id"],
           refund(account, first, amount=200).get_json()["id"],
           refund(account, second).get_json()["id"]]
    got = account.get(f"/v1/refunds/{ids[0]}").get_json()
    assert (got["id"], got["amount"]) == (ids[0], 100)
    updated = account.post(f"/v1/refunds/{ids[0]}", {"metadata[k]": "v"}).get_json()
    assert updated["metadata"] == {"k": "v"}
    page = account.get("/v1/refunds?limit=2").get_json()
    assert (page["url"], page["has_more"], len(page["data"])) == ("/v1/refunds", True, 2)
    mine = account.get(f"/v1/refunds?charge={first}").get_json()
    assert sorted(r["id"] for r in mine["data"]) == sorted(ids[:2])
    assert_error(account.get("/v1/refunds/re_nope"), 404, code="resource_missing", param="id",
                 message="No such refund: 're_nope'")


def test_publishable_key_cannot_refund(account):
    cid = charge(account)
    r = account.post("/v1/refunds", {"charge": cid}, key=account.publishable_key)
    assert_error(r, 401, code="secret_key_required", message=messages.SECRET_KEY_REQUIRED)


@pytest.mark.parametrize("threads", [16])
def test_concurrent_refunds_never_exceed_the_charge(app, account, threads):
    cid = charge(account, amount=5000)
    barrier = threading.Barrier(threads)
    results: list = []

    def worker():
        client = app.test_client()
        barrier.wait()
        r = client.post("/v1/refunds", data={"charge": cid, "amount": 700},
                        headers=account.auth())
        results.append((r.status_code, r.get_json()))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()

    won = [body for status, body in results if status == 200]
    lost = [body for status, body in results if status != 200]
    assert len(won) == 7  # 7 x 700 = 4900 <= 5000 < 8 x 700
    assert len(lost) == threads - 7
    for body in lost:
        assert body["error"].pop("request_log_url").startswith(
            "http://localhost/dashboard/requests/req_")
        assert body["error"] == {
            "type": "invalid_request_error", "param": "amount",
            "message": "Refund amount ($7.00) is greater than unrefunded amount on charge "
                       "($1.00)"}
    c = account.get(f"/v1/charges/{cid}").get_json()
    assert c["amount_refunded"] == 4900 == sum(body["amount"] for body in won)
    listed = account.get(f"/v1/refunds?charge={cid}&limit=100").get_json()["data"]
    assert len(listed) == 7
