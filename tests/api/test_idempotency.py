"""Idempotency-Key on /v1 POST requests: replays, mismatches, scope, expiry and races."""

from __future__ import annotations

import json
import threading

import requests
from sqlalchemy import select, update
from werkzeug.serving import make_server

from payground import messages
from payground.core.keys import mask
from payground.models import IdempotencyRecord
from payground.models.base import db
from tests.helpers import assert_error


def post(account, data, key, path="/v1/customers", api_key=None):
    return account.post(path, data, key=api_key, headers={"Idempotency-Key": key})


def customers(account, api_key=None):
    return account.get("/v1/customers?limit=100", key=api_key).get_json()["data"]


def change_records(app, account, **values):
    """Rewrite this account's idempotency records, as if time or a crash had intervened."""
    with app.app_context():
        db.session.execute(update(IdempotencyRecord)
                           .where(IdempotencyRecord.account_id == account.account_id)
                           .values(**values))
        db.session.commit()


def test_replay_returns_saved_response_and_creates_one_object(account):
    first = post(account, {"email": "jo@example.com"}, "k1")
    again = post(account, {"email": "jo@example.com"}, "k1")
    assert first.status_code == again.status_code == 200
    assert again.data == first.data
    assert "Idempotent-Replayed" not in first.headers
    # Stripe names the request that ran in Original-Request, on its own answer too.
    assert first.headers["Original-Request"] == first.headers["Request-Id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Original-Request"] == first.headers["Request-Id"]
    assert again.headers["Request-Id"].startswith("req_")
    assert again.headers["Request-Id"] != first.headers["Request-Id"]
    assert [c["id"] for c in customers(account)] == [first.get_json()["id"]]


def test_every_answer_sends_the_key_back(account):
    # Stripe echoes the request's Idempotency-Key in its answer (stripe-mock copies it "like
    # the Stripe API does"); stripe-python's last_response.idempotency_key reads it.
    first = post(account, {"email": "jo@example.com"}, "order-9")
    again = post(account, {"email": "jo@example.com"}, "order-9")
    mismatch = post(account, {"email": "other@example.com"}, "order-9")
    refused = post(account, {"email": "jo@example.com", "colour": "red"}, "order-10")
    assert_error(mismatch, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_MISMATCH.format(key="order-9"))
    assert_error(refused, 400, code="parameter_unknown", param="colour",
                 message="Received unknown parameter: colour")
    assert [r.headers.get("Idempotency-Key") for r in (first, again, mismatch, refused)] == [
        "order-9", "order-9", "order-9", "order-10"]
    assert len(customers(account)) == 1
    assert "Idempotency-Key" not in account.post("/v1/customers", {}).headers


def test_a_key_used_as_idempotency_key_comes_back_masked(account):
    r = post(account, {"email": "jo@example.com"}, account.secret_key)
    assert r.status_code == 200, r.get_json()
    assert r.headers["Idempotency-Key"] == mask(account.secret_key)


def test_other_parameters_are_an_idempotency_error(account):
    cid = post(account, {"email": "jo@example.com"}, "k1").get_json()["id"]
    r = post(account, {"email": "other@example.com"}, "k1")
    assert_error(r, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_MISMATCH.format(key="k1"))
    # Same parameters on another path is another request too: Stripe's message names both.
    r = post(account, {"email": "jo@example.com"}, "k1", path=f"/v1/customers/{cid}")
    assert_error(r, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_OTHER_ENDPOINT.format(
                     path=f"/v1/customers/{cid}", original="/v1/customers", key="k1"))
    r = post(account, {"amount": 2000, "currency": "usd", "source": "tok_visa"}, "k1",
             path="/v1/charges")
    assert_error(r, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_OTHER_ENDPOINT.format(
                     path="/v1/charges", original="/v1/customers", key="k1"))
    assert "Original-Request" not in r.headers  # it ran nothing
    assert len(customers(account)) == 1
    assert account.get("/v1/charges").get_json()["data"] == []


def test_key_that_looks_like_an_api_key_is_masked_and_not_stored(app, account):
    post(account, {"email": "jo@example.com"}, account.secret_key)
    r = post(account, {"email": "other@example.com"}, account.secret_key)
    assert_error(r, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_MISMATCH.format(key=mask(account.secret_key)))
    with app.app_context():
        record = db.session.execute(select(IdempotencyRecord).where(
            IdempotencyRecord.account_id == account.account_id)).scalar_one()
        stored = [str(getattr(record, c.key)) for c in IdempotencyRecord.__table__.columns]
    assert not any(account.secret_key in value for value in stored)


def test_key_longer_than_255_characters(account):
    r = post(account, {"email": "jo@example.com"}, "k" * 256)
    assert_error(r, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_KEY_LENGTH.format(length=256))
    assert customers(account) == []
    assert post(account, {"email": "jo@example.com"}, "k" * 255).status_code == 200


def test_a_non_ascii_keys_length_is_its_bytes(account):
    # HTTP servers hand header values over byte for byte (WSGI: as latin-1 text): "é" sent
    # as UTF-8 is two of them, so 128 of them are 256, too long; 127 and a letter are 255.
    e = "é".encode().decode("latin-1")
    r = post(account, {"email": "jo@example.com"}, e * 128)
    assert_error(r, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_KEY_LENGTH.format(length=256))
    assert customers(account) == []
    key = e * 127 + "k"
    first = post(account, {"email": "jo@example.com"}, key)
    again = post(account, {"email": "jo@example.com"}, key)
    assert (first.status_code, again.data) == (200, first.data)
    assert again.headers["Idempotent-Replayed"] == "true"
    # Echoed as sent: the same bytes back.
    assert again.headers["Idempotency-Key"].encode("latin-1") == ("é" * 127 + "k").encode()
    assert len(customers(account)) == 1


def test_an_empty_key_is_refused(account):
    # Stripe: "Idempotent key length is 0 characters long ..." (a header sent with no value,
    # say an unset variable), rather than running the request as if no key had been sent.
    r = post(account, {"email": "jo@example.com"}, "")
    assert_error(r, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_KEY_LENGTH.format(length=0))
    assert customers(account) == []
    # Ignored on GET and DELETE, as on Stripe: they are idempotent already.
    assert account.get("/v1/customers", headers={"Idempotency-Key": ""}).status_code == 200


def test_key_is_scoped_to_the_account(account, make_account):
    mine = post(account, {"email": "jo@example.com"}, "shared").get_json()
    other = make_account()
    theirs = post(other, {"email": "jo@example.com"}, "shared")
    assert theirs.status_code == 200
    assert "Idempotent-Replayed" not in theirs.headers
    assert theirs.get_json()["id"] != mine["id"]
    assert len(customers(account)) == len(customers(other)) == 1


def test_key_is_scoped_to_the_mode(account):
    test_customer = post(account, {"email": "jo@example.com"}, "shared").get_json()
    live = account.activate()
    r = post(account, {"email": "jo@example.com"}, "shared", api_key=live)
    assert r.status_code == 200
    assert "Idempotent-Replayed" not in r.headers
    assert r.get_json()["livemode"] is True
    assert r.get_json()["id"] != test_customer["id"]
    assert len(customers(account, api_key=live)) == len(customers(account)) == 1


def test_a_replay_shows_a_restricted_key_no_expansion_it_may_not_read(account):
    # The first request (the secret key's) expanded the customer; a key that may charge but
    # not read customers gets the 403 its own request would get, not the saved customer.
    customer = account.post("/v1/customers", {"email": "private@example.com"}).get_json()["id"]
    body = {"amount": 2000, "currency": "usd", "source": "tok_visa", "customer": customer,
            "expand[]": "customer"}
    first = post(account, body, "charge-1", path="/v1/charges")
    assert first.get_json()["customer"]["email"] == "private@example.com"
    writer = account.create_key(permissions=["charge_write"])
    r = post(account, body, "charge-1", path="/v1/charges", api_key=writer)
    assert_error(r, 403, message=messages.MISSING_PERMISSION.format(
        masked=mask(writer), account=account.account_id, permission="customer_read"))
    assert "private@example.com" not in r.get_data(as_text=True)
    assert "Idempotent-Replayed" not in r.headers
    # One that may read customers too gets the replay; nothing was charged twice.
    reader = account.create_key(permissions=["charge_write", "customer_read"])
    again = post(account, body, "charge-1", path="/v1/charges", api_key=reader)
    assert again.headers["Idempotent-Replayed"] == "true" and again.data == first.data
    assert len(account.get("/v1/charges").get_json()["data"]) == 1


def test_a_publishable_key_never_replays_another_keys_answer(account):
    # A secret key's confirm shows the whole intent; the browser's key sees the public fields
    # only, and must not get the rest by sending the same request with the same key.
    intent = account.post("/v1/payment_intents", {
        "amount": 2000, "currency": "usd", "description": "internal note",
        "metadata[order]": "6735"}).get_json()
    path = f"/v1/payment_intents/{intent['id']}/confirm"
    body = {"payment_method": "pm_card_visa", "client_secret": intent["client_secret"]}
    assert post(account, body, "confirm-1", path=path).get_json()["metadata"] == {
        "order": "6735"}
    r = post(account, body, "confirm-1", path=path, api_key=account.publishable_key)
    assert_error(r, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_OTHER_CALLER.format(key="confirm-1"))
    assert "6735" not in r.get_data(as_text=True)
    # Nor the other way round; and a publishable key's own retry is replayed as before.
    other = account.post("/v1/payment_intents", {"amount": 2000, "currency": "usd"}).get_json()
    path = f"/v1/payment_intents/{other['id']}/confirm"
    body = {"payment_method": "pm_card_visa", "client_secret": other["client_secret"]}
    mine = post(account, body, "confirm-2", path=path, api_key=account.publishable_key)
    assert mine.status_code == 200 and "metadata" not in mine.get_json()
    retry = post(account, body, "confirm-2", path=path, api_key=account.publishable_key)
    assert retry.headers["Idempotent-Replayed"] == "true" and retry.data == mine.data
    assert_error(post(account, body, "confirm-2", path=path), 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_OTHER_CALLER.format(key="confirm-2"))


def test_a_record_older_than_its_caller_gets_the_message_it_did(account, app):
    """Records saved before they named their caller (schema version 20): a key of theirs
    sent by another caller gets the message for other parameters, as it did then."""
    body = {"type": "card", "card[token]": "tok_visa"}
    first = post(account, body, "before-20", path="/v1/payment_methods")
    assert first.status_code == 200, first.get_json()
    change_records(app, account, caller=None)
    r = post(account, body, "before-20", path="/v1/payment_methods",
             api_key=account.publishable_key)
    assert_error(r, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_MISMATCH.format(key="before-20"))
    replay = post(account, body, "before-20", path="/v1/payment_methods")
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.data == first.data


def test_requests_refused_by_validation_are_not_saved(account):
    # Stripe saves a result only once the endpoint has started executing: a typo in the
    # parameters does not burn the key, and the corrected retry goes through.
    first = post(account, {"emale": "jo@example.com"}, "typo")
    assert_error(first, 400, code="parameter_unknown", param="emale",
                 message="Received unknown parameter: emale")
    fixed = post(account, {"email": "jo@example.com"}, "typo")
    assert fixed.status_code == 200
    assert "Idempotent-Replayed" not in fixed.headers
    replay = post(account, {"email": "jo@example.com"}, "typo")
    assert (replay.status_code, replay.data) == (200, fixed.data)
    assert replay.headers["Idempotent-Replayed"] == "true"


def test_errors_raised_by_the_endpoint_are_replayed(account):
    first = post(account, {"name": "x"}, "missing")  # valid parameters...
    assert first.status_code == 200
    r = account.post("/v1/customers/cus_missing", {"name": "x"},
                     headers={"Idempotency-Key": "gone"})
    assert_error(r, 404, code="resource_missing", param="id",
                 message="No such customer: 'cus_missing'")
    again = account.post("/v1/customers/cus_missing", {"name": "x"},
                         headers={"Idempotency-Key": "gone"})
    assert (again.status_code, again.data) == (404, r.data)
    assert again.headers["Idempotent-Replayed"] == "true"


def test_server_errors_release_the_key(account, monkeypatch):
    from payground.services import customers as service

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    with monkeypatch.context() as patched:
        patched.setattr(service, "create_customer", broken)
        assert_error(post(account, {"email": "jo@example.com"}, "k1"), 500, type="api_error",
                     message=messages.API_ERROR)
    r = post(account, {"email": "jo@example.com"}, "k1")
    assert r.status_code == 200
    assert "Idempotent-Replayed" not in r.headers
    assert len(customers(account)) == 1


def test_duplicate_of_a_request_in_progress_is_409(app, account):
    post(account, {"email": "jo@example.com"}, "busy")
    # As if the first request were still running: its claim has no response yet.
    change_records(app, account, status=None, body=None)
    r = post(account, {"email": "jo@example.com"}, "busy")
    assert_error(r, 409, code="idempotency_key_in_use",
                 message=messages.IDEMPOTENCY_KEY_IN_USE.format(key="busy"))
    assert len(customers(account)) == 1


def test_claim_abandoned_by_a_dead_worker_is_taken_over(app, account):
    post(account, {"email": "jo@example.com"}, "orphan")
    with app.app_context():
        created = db.session.execute(select(IdempotencyRecord.created).where(
            IdempotencyRecord.account_id == account.account_id)).scalar_one()
    change_records(app, account, status=None, body=None, created=created - 61)
    r = post(account, {"email": "jo@example.com"}, "orphan")
    assert r.status_code == 200
    assert "Idempotent-Replayed" not in r.headers
    assert len(customers(account)) == 2


def test_keys_expire_after_24_hours_on_the_account_clock(account, make_account, wall):
    first = post(account, {"email": "jo@example.com"}, "daily").get_json()
    assert post(account, {"email": "new@example.com"}, "daily").status_code == 400
    bystander = make_account()
    post(bystander, {"email": "jo@example.com"}, "daily")
    account.advance_clock(24 * 3600 - 1)  # through the sandbox API, as `payground clock` does
    assert post(account, {"email": "jo@example.com"}, "daily").headers[
        "Idempotent-Replayed"] == "true"
    account.advance_clock(1)

    reused = post(account, {"email": "new@example.com"}, "daily")
    assert reused.status_code == 200
    assert "Idempotent-Replayed" not in reused.headers
    assert reused.get_json()["id"] != first["id"]
    assert post(account, {"email": "new@example.com"}, "daily").headers[
        "Idempotent-Replayed"] == "true"
    # Only that account's clock moved: the other account's key is still in force.
    r = post(bystander, {"email": "new@example.com"}, "daily")
    assert_error(r, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_MISMATCH.format(key="daily"))


def test_key_on_a_get_request_is_ignored(account):
    post(account, {"email": "jo@example.com"}, "k1")
    r = account.get("/v1/customers", headers={"Idempotency-Key": "k1" * 200})
    assert r.status_code == 200
    assert "Idempotent-Replayed" not in r.headers


def test_parallel_identical_requests_create_one_object(app, account):
    """Eight identical requests at once through a real threaded server (SQLite or PostgreSQL)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    url = f"http://127.0.0.1:{server.server_port}/v1/customers"
    start = threading.Barrier(8)
    responses: list = []
    errors: list = []

    def send():
        try:
            start.wait(timeout=30)
            responses.append(requests.post(
                url, data={"email": "race@example.com"}, timeout=60,
                headers={**account.auth(), "Idempotency-Key": "race"}))
        except Exception as error:  # re-raised below, in the test's thread
            errors.append(error)

    senders = [threading.Thread(target=send) for _ in range(8)]
    try:
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join(timeout=120)
    finally:
        server.shutdown()
        serving.join()
        server.server_close()

    assert errors == [] and len(responses) == 8
    created = [r for r in responses if r.status_code == 200]
    assert {r.status_code for r in responses} <= {200, 409}, [r.text for r in responses]
    assert len({r.json()["id"] for r in created}) == 1
    assert [r.headers.get("Idempotent-Replayed") for r in created].count(None) == 1
    for r in responses:
        if r.status_code == 409:
            assert r.json()["error"]["code"] == "idempotency_key_in_use"
    assert [c["id"] for c in customers(account)] == [created[0].json()["id"]]


def every_post_route(account) -> list[tuple[str, str, dict]]:
    """(route rule, path, parameters) for one request on each POST /v1 route, on objects
    made here: each changes something (or is refused by the endpoint itself)."""
    def made(path, data):
        r = account.post(path, data)
        assert r.status_code == 200, r.get_json()
        return r.get_json()["id"]

    charge = {"amount": 5000, "currency": "usd", "source": "tok_bypassPending"}
    customer = made("/v1/customers", {"email": "jo@example.com"})
    paid = made("/v1/charges", charge)
    held = made("/v1/charges", {**charge, "capture": "false"})
    refund = made("/v1/refunds", {"charge": paid, "amount": 100})
    intent, held_intent, doomed_intent = (made("/v1/payment_intents", data) for data in (
        {"amount": 2000, "currency": "usd"},
        {"amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
         "capture_method": "manual", "confirm": "true"},
        {"amount": 2000, "currency": "usd"}))
    method, attached = (made("/v1/payment_methods", {"type": "card", "card[token]": "tok_visa"})
                        for _ in range(2))
    assert account.post(f"/v1/payment_methods/{attached}/attach",
                        {"customer": customer}).status_code == 200
    payout, doomed_payout = (made("/v1/payouts", {"amount": 100, "currency": "usd"})
                             for _ in range(2))
    setup, doomed_setup = (made("/v1/setup_intents", {}) for _ in range(2))
    endpoint = made("/v1/webhook_endpoints", {"url": "https://example.com/hook",
                                              "enabled_events[]": "*"})
    card = made(f"/v1/customers/{customer}/sources", {"source": "tok_visa"})
    return [
        ("/v1/customers/<customer_id>/sources", f"/v1/customers/{customer}/sources",
         {"source": "tok_mastercard"}),
        ("/v1/customers/<customer_id>/sources/<source_id>",
         f"/v1/customers/{customer}/sources/{card}", {"name": "Jo Doe"}),
        ("/v1/customers", "/v1/customers", {"email": "new@example.com"}),
        ("/v1/customers/<customer_id>", f"/v1/customers/{customer}", {"name": "Jo"}),
        ("/v1/tokens", "/v1/tokens", {"card[number]": "4242424242424242",
                                      "card[exp_month]": "12", "card[exp_year]": "2040",
                                      "card[cvc]": "123"}),
        ("/v1/charges", "/v1/charges", {"amount": 2000, "currency": "usd",
                                        "source": "tok_visa"}),
        ("/v1/charges/<charge_id>", f"/v1/charges/{paid}", {"description": "order 9"}),
        ("/v1/charges/<charge_id>/capture", f"/v1/charges/{held}/capture", {}),
        ("/v1/refunds", "/v1/refunds", {"charge": paid, "amount": 200}),
        ("/v1/refunds/<refund_id>", f"/v1/refunds/{refund}", {"metadata[why]": "late"}),
        ("/v1/payment_intents", "/v1/payment_intents", {"amount": 2000, "currency": "usd"}),
        ("/v1/payment_intents/<intent_id>", f"/v1/payment_intents/{intent}",
         {"description": "order 9"}),
        ("/v1/payment_intents/<intent_id>/confirm", f"/v1/payment_intents/{intent}/confirm",
         {"payment_method": "pm_card_visa"}),
        ("/v1/payment_intents/<intent_id>/capture",
         f"/v1/payment_intents/{held_intent}/capture", {}),
        ("/v1/payment_intents/<intent_id>/cancel",
         f"/v1/payment_intents/{doomed_intent}/cancel", {}),
        ("/v1/payment_methods", "/v1/payment_methods", {"type": "card",
                                                        "card[token]": "tok_visa"}),
        ("/v1/payment_methods/<method_id>", f"/v1/payment_methods/{attached}",
         {"billing_details[name]": "Jo Doe", "metadata[order]": "9"}),
        ("/v1/payment_methods/<method_id>/attach", f"/v1/payment_methods/{method}/attach",
         {"customer": customer}),
        ("/v1/payment_methods/<method_id>/detach", f"/v1/payment_methods/{attached}/detach",
         {}),
        ("/v1/setup_intents", "/v1/setup_intents", {"usage": "on_session"}),
        ("/v1/setup_intents/<setup_intent_id>", f"/v1/setup_intents/{setup}",
         {"description": "card for order 9"}),
        ("/v1/setup_intents/<setup_intent_id>/confirm", f"/v1/setup_intents/{setup}/confirm",
         {"payment_method": "pm_card_visa"}),
        ("/v1/setup_intents/<setup_intent_id>/cancel",
         f"/v1/setup_intents/{doomed_setup}/cancel", {}),
        ("/v1/payouts", "/v1/payouts", {"amount": 100, "currency": "usd"}),
        ("/v1/payouts/<payout_id>", f"/v1/payouts/{payout}", {"metadata[batch]": "7"}),
        ("/v1/payouts/<payout_id>/cancel", f"/v1/payouts/{doomed_payout}/cancel", {}),
        ("/v1/webhook_endpoints", "/v1/webhook_endpoints", {"url": "https://example.com/new",
                                                            "enabled_events[]": "*",
                                                            "description": "café ☕"}),
        ("/v1/webhook_endpoints/<endpoint_id>", f"/v1/webhook_endpoints/{endpoint}",
         {"description": "café ☕"}),
    ]


def test_every_post_route_replays_its_first_answer_byte_for_byte(app, account):
    routes = every_post_route(account)
    assert sorted(rule for rule, _, _ in routes) == sorted(
        rule.rule for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and rule.rule.startswith("/v1/"))
    for rule, path, data in routes:
        key = f"every-{rule}"
        first = post(account, data, key, path=path)
        again = post(account, data, key, path=path)
        assert first.status_code == 200, (rule, first.get_json())
        # The very bytes (a new webhook endpoint's secret, derived again, included).
        assert (again.status_code, again.data) == (200, first.data), rule
        assert again.headers["Idempotent-Replayed"] == "true", rule
        assert again.headers["Original-Request"] == first.headers["Request-Id"], rule
        other = post(account, {**data, "metadata[again]": "1"}, key, path=path)
        assert_error(other, 400, type="idempotency_error",
                     message=messages.IDEMPOTENCY_MISMATCH.format(key=key))
    # Each ran once: one refund of 200 beside the first one's 100, one payout made here.
    refunds = account.get("/v1/refunds").get_json()["data"]
    assert sorted(r["amount"] for r in refunds) == [100, 200]
    assert len(account.get("/v1/payouts").get_json()["data"]) == 3


def test_another_key_of_the_same_account_replays_the_answer(account, make_account):
    # Stripe scopes keys to the account and mode, not to the API key that sent them.
    first = post(account, {"email": "jo@example.com"}, "team-1")
    other_secret = account.create_key("secret")
    writer = account.create_key(permissions=["customer_write"])
    for key in (other_secret, writer):
        again = post(account, {"email": "jo@example.com"}, "team-1", api_key=key)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert (again.status_code, again.data) == (200, first.data)
    # A key that may not write customers is refused before the key is looked at.
    reader = account.create_key(permissions=["customer_read"])
    r = post(account, {"email": "jo@example.com"}, "team-1", api_key=reader)
    assert_error(r, 403, message=messages.MISSING_PERMISSION.format(
        masked=mask(reader), account=account.account_id, permission="customer_write"))
    assert "Idempotent-Replayed" not in r.headers
    assert len(customers(account)) == 1


def test_a_card_decline_is_saved_and_replayed(account):
    body = {"amount": 2000, "currency": "usd", "source": "tok_chargeDeclined"}
    first = post(account, body, "declined-1", path="/v1/charges")
    error = assert_error(first, 402, type="card_error", code="card_declined",
                         decline_code="generic_decline", message="Your card was declined.")
    again = post(account, body, "declined-1", path="/v1/charges")
    assert (again.status_code, again.data) == (402, first.data)
    assert again.headers["Idempotent-Replayed"] == "true"
    charges = account.get("/v1/charges").get_json()["data"]
    assert [c["id"] for c in charges] == [error["charge"]]  # one failed charge, not two


def test_a_key_used_as_idempotency_key_is_stored_nowhere(app, account):
    # Records keep an HMAC of the key; the request log and events keep it masked.
    for path, body in (("/v1/customers", {"email": "jo@example.com"}),
                       ("/v1/charges", {"amount": 2000, "currency": "usd",
                                        "source": "tok_chargeDeclined"})):
        post(account, body, account.secret_key, path=path)
        post(account, body, "order-" + account.secret_key, path=path)
    # Reading the log writes this process's waiting rows first.
    logged = account.client.get("/sandbox/requests?limit=100",
                                headers=account.session_auth).get_json()["data"]
    assert mask(account.secret_key) in [row["idempotency_key"] for row in logged]
    secret = account.secret_key[8:-4]  # the part no masked form shows
    with app.app_context():
        found = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).all():
                found += [table.name for value in row if secret in str(value)]
    assert found == []


MARKER = "whsec_(derived again when replayed)"  # services/webhooks.py's _WITHHELD


def test_a_webhook_endpoints_saved_answer_never_holds_its_secret(app, account):
    """The saved create answer swaps the secret field's text for a marker, and the replay
    swaps it back: whatever text the caller puts around it (the marker itself as a metadata
    entry, the field's JSON in a description, non-ASCII text), the saved body holds no
    secret and the replay is the first answer byte for byte, its secret where it was."""
    field = f'"secret":"{MARKER}"'
    cases = [
        {"metadata[secret]": MARKER},
        {"metadata[secret]": MARKER, "metadata[a]": MARKER, "description": field},
        {"description": f'{field}, "secret": "{MARKER}" café ☕ \\u00e9'},
        {"metadata[secret]": "whsec_", "metadata[x]": '"secret":"whsec_'},
    ]
    for n, extra in enumerate(cases):
        data = {"url": f"https://example.com/hook{n}", "enabled_events[]": "*", **extra}
        first = post(account, data, f"hook-{n}", path="/v1/webhook_endpoints")
        again = post(account, data, f"hook-{n}", path="/v1/webhook_endpoints")
        assert first.status_code == 200, first.get_json()
        assert (again.status_code, again.data) == (200, first.data), extra
        assert again.headers["Idempotent-Replayed"] == "true"
        secret = first.get_json()["secret"]
        assert secret.startswith("whsec_") and secret != MARKER
        with app.app_context():
            saved = db.session.execute(select(IdempotencyRecord.body).where(
                IdempotencyRecord.request_id == first.headers["Request-Id"])).scalar_one()
        assert secret not in saved
        assert json.loads(saved)["secret"] == MARKER
        assert json.loads(saved)["metadata"] == first.get_json()["metadata"]
        # Nor can the caller put a secret where the swap would find it: input refuses one.
        for sent, param in (("metadata[secret]", "metadata"), ("description", "description")):
            r = account.post("/v1/webhook_endpoints", {
                "url": "https://example.com/other", "enabled_events[]": "*", sent: secret})
            assert_error(r, 400, code="parameter_invalid_string", param=param,
                         message=messages.WEBHOOK_SECRET_IN_VALUE.format(param=param))
