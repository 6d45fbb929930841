"""/v1/events: each change leaves an event holding the object as it was, plus list filters."""

from __future__ import annotations

import json

from payground import messages
from payground.core import keys
from tests.helpers import assert_error


def events(account, key=None, **params):
    """The account's events (newest first), as ``(type, event)`` pairs."""
    r = account.get("/v1/events", key=key, query_string={"limit": 100, **params})
    assert r.status_code == 200, r.get_json()
    return [(e["type"], e) for e in r.get_json()["data"]]


def only(account, event_type, **params):
    """The single event of ``event_type``."""
    found = [e for t, e in events(account, type=event_type, **params)]
    assert len(found) == 1, found
    return found[0]


def charge(account, **params):
    r = account.post("/v1/charges", {"amount": 2000, "currency": "usd", "source": "tok_visa",
                                     **params})
    assert r.status_code in (200, 402), r.get_json()
    return r


# -- what is emitted --------------------------------------------------------------------------


def test_customer_created_updated_deleted_keep_their_snapshots(account):
    r = account.post("/v1/customers", {"email": "old@example.com", "metadata[tier]": "gold"},
                     headers={"Idempotency-Key": "signup-42"})
    created_body, request_id = r.get_json(), r.headers["Request-Id"]
    cid = created_body["id"]
    r = account.post(f"/v1/customers/{cid}", {"email": "new@example.com", "metadata[tier]": "",
                                              "metadata[seats]": "3"})
    updated_body = r.get_json()
    account.delete(f"/v1/customers/{cid}")

    assert [t for t, _ in events(account)] == [
        "customer.deleted", "customer.updated", "customer.created"]
    created = only(account, "customer.created")
    assert created["id"].startswith("evt_") and created["object"] == "event"
    # Updated since, but the event still shows the customer as it was created.
    assert created["data"] == {"object": created_body}
    assert created["data"]["object"]["email"] == "old@example.com"
    assert created["request"] == {"id": request_id, "idempotency_key": "signup-42"}
    assert (created["livemode"], created["pending_webhooks"]) == (False, 0)
    assert created["created"] == created_body["created"]
    assert created["api_version"]

    updated = only(account, "customer.updated")
    assert updated["data"]["object"] == updated_body
    assert updated["data"]["previous_attributes"] == {
        "email": "old@example.com", "metadata": {"tier": "gold", "seats": None}}
    assert updated["request"]["idempotency_key"] is None

    deleted = only(account, "customer.deleted")
    assert deleted["data"]["object"]["id"] == cid
    assert deleted["data"]["object"]["email"] == "new@example.com"


def test_an_update_that_changes_nothing_emits_nothing(account):
    cid = account.post("/v1/customers", {"name": "Jo"}).get_json()["id"]
    assert account.post(f"/v1/customers/{cid}", {"name": "Jo"}).status_code == 200
    assert [t for t, _ in events(account)] == ["customer.created"]


def test_charge_succeeded_and_updated(account):
    body = charge(account, description="first").get_json()
    succeeded = only(account, "charge.succeeded")
    assert succeeded["data"] == {"object": body}
    assert body["balance_transaction"].startswith("txn_")

    r = account.post(f"/v1/charges/{body['id']}", {"description": "second"})
    updated = only(account, "charge.updated")
    assert updated["data"]["object"] == r.get_json()
    assert updated["data"]["previous_attributes"] == {"description": "first"}
    assert only(account, "charge.succeeded")["data"]["object"]["description"] == "first"


def test_declined_charge_emits_charge_failed(account):
    r = charge(account, source="tok_chargeDeclined")
    error = assert_error(r, 402, type="card_error", code="card_declined",
                         decline_code="generic_decline")
    failed = only(account, "charge.failed")
    snapshot = failed["data"]["object"]
    assert (snapshot["id"], snapshot["status"], snapshot["failure_code"], snapshot["paid"]) == (
        error["charge"], "failed", "card_declined", False)
    assert failed["request"]["id"] == r.headers["Request-Id"]
    assert [t for t, _ in events(account)] == ["charge.failed"]


def test_authorise_then_capture(account):
    authorised = charge(account, capture="false").get_json()
    captured = account.post(f"/v1/charges/{authorised['id']}/capture",
                            {"amount": 1500}).get_json()
    assert [t for t, _ in events(account)] == ["charge.captured", "charge.succeeded"]
    assert only(account, "charge.succeeded")["data"]["object"] == authorised
    event = only(account, "charge.captured")
    assert event["data"]["object"] == captured
    previous = event["data"]["previous_attributes"]
    assert (previous["captured"], previous["amount_captured"], previous["amount_refunded"],
            previous["balance_transaction"]) == (False, 0, 0, None)


def test_every_refund_emits_charge_refunded_and_refund_created(account):
    cid = charge(account).get_json()["id"]
    first = account.post("/v1/refunds", {"charge": cid, "amount": 500}).get_json()
    rest = account.post("/v1/refunds", {"charge": cid}).get_json()

    assert [t for t, _ in events(account)] == [
        "refund.created", "charge.refunded", "refund.created", "charge.refunded",
        "charge.succeeded"]
    partial, full = reversed([e for _, e in events(account, type="charge.refunded")])
    assert (partial["data"]["object"]["amount_refunded"],
            partial["data"]["object"]["refunded"]) == (500, False)
    assert partial["data"]["previous_attributes"] == {"amount_refunded": 0}
    assert (full["data"]["object"]["amount_refunded"], full["data"]["object"]["refunded"]) == (
        2000, True)
    assert full["data"]["previous_attributes"] == {"amount_refunded": 500, "refunded": False}
    refunds = [e["data"]["object"] for _, e in events(account, type="refund.created")]
    assert refunds == [rest, first]


def test_releasing_an_authorisation_is_a_refund_too(account):
    cid = charge(account, capture="false").get_json()["id"]
    refund = account.post("/v1/refunds", {"charge": cid}).get_json()
    assert [t for t, _ in events(account)] == [
        "refund.created", "charge.refunded", "charge.succeeded"]
    refunded = only(account, "charge.refunded")
    assert (refunded["data"]["object"]["refunded"], refunded["data"]["object"]["captured"]) == (
        True, False)
    assert only(account, "refund.created")["data"]["object"] == refund
    assert refund["balance_transaction"] is None


def test_refund_update_emits_charge_refund_updated(account):
    cid = charge(account).get_json()["id"]
    rid = account.post("/v1/refunds", {"charge": cid}).get_json()["id"]
    body = account.post(f"/v1/refunds/{rid}", {"metadata[ticket]": "T-9"}).get_json()
    for event_type in ("charge.refund.updated", "refund.updated"):
        event = only(account, event_type)
        assert event["data"] == {"object": body, "previous_attributes": {
            "metadata": {"ticket": None}}}


def test_detaching_a_payment_method_emits_payment_method_detached(account):
    cus = account.post("/v1/customers", {"name": "Jo"}).get_json()["id"]
    method = account.post("/v1/payment_methods/pm_card_visa/attach", {"customer": cus})
    assert method.status_code == 200, method.get_json()
    detached = account.post(f"/v1/payment_methods/{method.get_json()['id']}/detach")
    assert detached.status_code == 200, detached.get_json()

    event = only(account, "payment_method.detached")
    assert event["data"] == {"object": detached.get_json(),
                             "previous_attributes": {"customer": cus}}
    assert event["request"]["id"] == detached.headers["Request-Id"]


def test_changing_a_payouts_metadata_emits_payout_updated_with_its_status_of_now(account,
                                                                                 wall):
    charge(account)
    wall[0] += 2 * 86400  # funds available
    payout = account.post("/v1/payouts", {"amount": 500, "currency": "usd"}).get_json()
    wall[0] += 86400  # the payout is in transit now, though nobody has looked yet
    updated = account.post(f"/v1/payouts/{payout['id']}", {"metadata[order]": "42"})
    assert updated.status_code == 200, updated.get_json()
    assert updated.get_json()["status"] == "in_transit"

    by_request, by_clock = [e for t, e in events(account, type="payout.updated")]
    assert by_clock["data"]["previous_attributes"] == {"status": "pending"}
    assert by_request["data"] == {"object": updated.get_json(),
                                  "previous_attributes": {"metadata": {"order": None}}}
    assert by_request["request"]["id"] == updated.headers["Request-Id"]
    account.post(f"/v1/payouts/{payout['id']}", {"metadata[order]": "42"})  # no change
    assert len(events(account, type="payout.updated")) == 2


def test_events_are_per_mode_and_per_account(account, make_account):
    account.activate()
    account.post("/v1/customers", {"name": "live one"}, key=account.live_secret_key)
    account.post("/v1/customers", {"name": "test one"})
    make_account().post("/v1/customers", {"name": "someone else"})
    (live,) = [e for _, e in events(account, key=account.live_secret_key)]
    (test,) = [e for _, e in events(account)]
    assert (live["livemode"], live["data"]["object"]["name"]) == (True, "live one")
    assert (test["livemode"], test["data"]["object"]["name"]) == (False, "test one")


def test_emit_outside_a_request_has_no_request(app, account):
    from payground.models import Account, Customer, db
    from payground.services import events as event_service

    cid = account.post("/v1/customers", {"name": "Jo"}).get_json()["id"]
    with app.app_context():
        owner = db.session.get(Account, account.account_id)
        customer = db.session.get(Customer, cid)
        event_service.emit(owner, False, 1_700_000_000, "customer.updated", customer,
                           previous_attributes={"name": None})
        db.session.commit()
    event = only(account, "customer.updated")
    assert event["request"] == {"id": None, "idempotency_key": None}
    assert (event["created"], event["data"]["previous_attributes"]) == (1_700_000_000,
                                                                       {"name": None})


def test_what_the_clock_does_names_no_request(account, wall):
    """Funds becoming available and a payout moving on happen because time passed: their
    events have Stripe's null request, not the request (and Idempotency-Key) that noticed."""
    charge(account)
    wall[0] += 2 * 86400  # the charge's funds are available now, on the account's clock
    paid_out = account.post("/v1/payouts", {"amount": 500, "currency": "usd"},
                            headers={"Idempotency-Key": "payout-for-march"})
    assert paid_out.status_code == 200, paid_out.get_json()
    wall[0] += 2 * 86400  # in transit, then paid
    assert account.get("/v1/balance").status_code == 200

    created = only(account, "payout.created")
    assert created["request"] == {"id": paid_out.headers["Request-Id"],
                                  "idempotency_key": "payout-for-march"}
    for event_type in ("balance.available", "payout.updated", "payout.paid"):
        assert only(account, event_type)["request"] == {"id": None, "idempotency_key": None}


def test_no_full_key_in_an_event(account):
    leaked = account.secret_key
    # A real key in a description is refused (tests/api/test_stored_secrets.py); one whose
    # checksum fails is stored, and an event still shows it masked.
    mistyped = leaked[:-1] + ("A" if leaked[-1] != "A" else "B")
    account.post("/v1/customers", {"description": f"key is {mistyped}"},
                 headers={"Idempotency-Key": leaked})
    event = only(account, "customer.created")
    assert event["request"]["idempotency_key"] == keys.mask(leaked)
    assert event["data"]["object"]["description"] == f"key is {keys.mask(mistyped)}"
    assert leaked[8:-4] not in json.dumps(event)


# -- retrieve -----------------------------------------------------------------------------------


def test_retrieve(account):
    account.post("/v1/customers", {"name": "Jo"})
    (_, listed), = events(account)
    r = account.get(f"/v1/events/{listed['id']}")
    assert r.status_code == 200 and r.get_json() == listed


def test_retrieve_unknown_event(account):
    assert_error(account.get("/v1/events/evt_nope"), 404, code="resource_missing", param="id",
                 message="No such event: 'evt_nope'")


def test_retrieve_from_the_other_mode(account):
    account.activate()
    account.post("/v1/customers", {"name": "live"}, key=account.live_secret_key)
    (_, event), = events(account, key=account.live_secret_key)
    assert_error(account.get(f"/v1/events/{event['id']}"), 404, code="resource_missing",
                 param="id", message=f"No such event: '{event['id']}'; a similar object exists "
                 "in live mode, but a test mode key was used to make this request.")


def test_another_accounts_event_does_not_exist(account, make_account):
    account.post("/v1/customers", {"name": "Jo"})
    (_, event), = events(account)
    assert_error(make_account().get(f"/v1/events/{event['id']}"), 404,
                 code="resource_missing", param="id",
                 message=f"No such event: '{event['id']}'")


# -- list filters and pagination ----------------------------------------------------------------


def make_mixed_history(account):
    """customer.created, charge.succeeded, refund events: one of each family."""
    account.post("/v1/customers", {"name": "Jo"})
    cid = charge(account).get_json()["id"]
    account.post("/v1/refunds", {"charge": cid, "amount": 100})
    rid = account.get("/v1/refunds").get_json()["data"][0]["id"]
    account.post(f"/v1/refunds/{rid}", {"metadata[a]": "b"})


def types_of(account, **params):
    return [t for t, _ in events(account, **params)]


def test_filter_by_exact_type_and_wildcard(account):
    make_mixed_history(account)
    assert types_of(account, type="charge.succeeded") == ["charge.succeeded"]
    assert types_of(account, type="charge.*") == [
        "charge.refund.updated", "charge.refunded", "charge.succeeded"]
    # The wildcard is Stripe's only special character: "_" and "%" mean themselves.
    assert types_of(account, type="charge.refund.*") == ["charge.refund.updated"]
    assert types_of(account, type="charge.refund_*") == []
    assert types_of(account, type="%") == []
    assert types_of(account, type="*.created") == ["refund.created", "customer.created"]
    assert types_of(account, type="invoice.paid") == []


def test_filter_by_types(account):
    make_mixed_history(account)
    assert types_of(account, **{"types[]": ["customer.created", "refund.updated"]}) == [
        "refund.updated", "customer.created"]
    assert types_of(account, **{"types[0]": "refund.created"}) == ["refund.created"]


def test_filter_by_created(account, wall):
    # ``wall`` holds the clock: on a slow machine the second customer was made a second after
    # ``later``, which ``created[lte]=later`` then left out.
    account.post("/v1/customers", {"name": "first"})
    first = only(account, "customer.created")["created"]
    later = account.advance_clock(3600)
    account.post("/v1/customers", {"name": "second"})

    def names(**params):
        return [e["data"]["object"]["name"] for _, e in events(account, **params)]

    assert later >= first + 3600
    assert names(created=first) == ["first"]
    assert names(**{"created[gte]": later}) == ["second"]
    assert names(**{"created[gt]": first}) == ["second"]
    assert names(**{"created[lt]": later}) == ["first"]
    assert names(**{"created[lte]": later}) == ["second", "first"]
    assert names(**{"created[gt]": first, "created[lt]": later}) == []


def test_pagination_newest_first(account):
    for n in range(5):
        account.post("/v1/customers", {"name": f"c{n}"})
    everything = [e["id"] for _, e in events(account)]
    assert len(everything) == 5
    page = account.get("/v1/events", query_string={"limit": 2}).get_json()
    assert [e["id"] for e in page["data"]] == everything[:2]
    assert (page["has_more"], page["url"], page["object"]) == (True, "/v1/events", "list")
    page = account.get("/v1/events", query_string={"limit": 2, "starting_after": everything[1]})
    assert [e["id"] for e in page.get_json()["data"]] == everything[2:4]
    page = account.get("/v1/events", query_string={"limit": 10, "ending_before": everything[2]})
    body = page.get_json()
    assert ([e["id"] for e in body["data"]], body["has_more"]) == (everything[:2], False)
    names = [e["data"]["object"]["name"] for _, e in events(account)]
    assert names == ["c4", "c3", "c2", "c1", "c0"]


# -- bad requests and permissions ---------------------------------------------------------------


def test_bad_created_values(account):
    assert_error(account.get("/v1/events?created[gte]=soon"), 400,
                 code="parameter_invalid_integer", param="created[gte]",
                 message="Invalid integer: soon")
    assert_error(account.get("/v1/events?created=soon"), 400, code="parameter_invalid_integer",
                 param="created", message="Invalid integer: soon")
    assert_error(account.get("/v1/events?created[after]=1"), 400, code="parameter_unknown",
                 param="created[after]", message="Received unknown parameter: created[after]")


def test_unknown_parameter(account):
    assert_error(account.get("/v1/events?kind=charge"), 400, code="parameter_unknown",
                 param="kind", message="Received unknown parameter: kind")


def test_type_and_types_together(account):
    assert_error(account.get("/v1/events?type=a.b&types[]=c.d"), 400, param="types",
                 message=messages.EVENT_TYPE_AND_TYPES)


def test_too_many_types(account):
    query = "&".join(f"types[]=t{n}.x" for n in range(21))
    assert_error(account.get(f"/v1/events?{query}"), 400, param="types",
                 message=messages.EVENT_TYPES_TOO_MANY.format(max=20))


def test_bad_limit(account):
    assert_error(account.get("/v1/events?limit=0"), 400, code="parameter_invalid_integer",
                 param="limit", message="This value must be greater than or equal to 1.")


def test_restricted_key_needs_event_read(account):
    account.post("/v1/customers", {"name": "Jo"})
    (_, event), = events(account)
    without = account.create_key(permissions=["customer_write"])
    for path in ("/v1/events", f"/v1/events/{event['id']}"):
        error = assert_error(account.get(path, key=without), 403,
                             message=messages.MISSING_PERMISSION.format(
                                 masked=keys.mask(without), account=account.account_id,
                                 permission="event_read"))
        assert "'rak_event_read' permission" in error["message"]
    with_it = account.create_key(permissions=["event_read"])
    assert [e["id"] for _, e in events(account, key=with_it)] == [event["id"]]
    assert account.get(f"/v1/events/{event['id']}", key=with_it).status_code == 200
