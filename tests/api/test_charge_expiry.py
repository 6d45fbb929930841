"""Uncaptured charges expire after seven days on the account's clock, as on Stripe: released
(refunded, with a refund of reason ``expired_uncaptured_charge``), no longer capturable
(``charge_expired_for_capture``), and their PaymentIntent canceled (``automatic``)."""

from __future__ import annotations

from collections import Counter

import pytest

from payground import messages
from tests.api.test_ledger_concurrency import race
from tests.api.test_modes import LIVE_CARD, tokenize
from tests.api.test_payment_intents import act, authorized, unexpected_state
from tests.helpers import assert_error

DAY = 86400
WEEK = 7 * DAY


def uncaptured(account, amount=2000) -> dict:
    r = account.post("/v1/charges", {"amount": amount, "currency": "usd", "source": "tok_visa",
                                     "capture": "false"})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def get(account, path) -> dict:
    r = account.get(path)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def expired_capture(response, charge_id) -> None:
    assert_error(response, 400, code="charge_expired_for_capture",
                 message=messages.CHARGE_EXPIRED_FOR_CAPTURE.format(id=charge_id))


def test_an_uncaptured_charge_expires_when_the_clock_passes_seven_days(account, wall):
    c = uncaptured(account)
    account.advance_clock(WEEK - 1)
    assert get(account, f"/v1/charges/{c['id']}")["refunded"] is False
    account.advance_clock(1)
    after = get(account, f"/v1/charges/{c['id']}")
    assert (after["status"], after["captured"], after["refunded"], after["amount_refunded"],
            after["amount_captured"], after["balance_transaction"]) == (
        "succeeded", False, True, 2000, 0, None)
    (refund,) = get(account, f"/v1/charges/{c['id']}/refunds")["data"]
    assert (refund["charge"], refund["amount"], refund["reason"], refund["status"],
            refund["balance_transaction"], refund["created"]) == (
        c["id"], 2000, "expired_uncaptured_charge", "succeeded", None, c["created"] + WEEK)
    # The clock did it: no request made these events.
    events = get(account, "/v1/events?limit=3")["data"]
    assert [(e["type"], e["data"]["object"]["id"], e["request"]) for e in events] == [
        ("refund.created", refund["id"], {"id": None, "idempotency_key": None}),
        ("charge.expired", c["id"], {"id": None, "idempotency_key": None}),
        ("charge.succeeded", c["id"], events[2]["request"])]
    assert events[1]["data"]["object"]["refunded"] is True
    expired_capture(account.post(f"/v1/charges/{c['id']}/capture"), c["id"])
    assert_error(account.post("/v1/refunds", {"charge": c["id"]}), 400,
                 code="charge_already_refunded",
                 message=messages.CHARGE_ALREADY_REFUNDED.format(id=c["id"]))
    # An authorisation never moved money: nothing in the balance, and the ledger holds.
    assert get(account, "/v1/balance")["available"][0]["amount"] == 0
    report = account.client.get("/sandbox/ledger/verify", headers=account.session_auth)
    assert (report.get_json()["ok"], report.get_json()["problems"]) == (True, [])


def test_the_wall_clock_expires_it_too_when_the_charge_is_read(account, wall):
    c = uncaptured(account)
    other = uncaptured(account)
    wall[0] += WEEK
    listed = get(account, "/v1/charges")["data"]
    assert [(x["id"], x["refunded"], x["amount_refunded"]) for x in listed] == [
        (other["id"], True, 2000), (c["id"], True, 2000)]
    assert get(account, f"/v1/charges/{c['id']}")["refunded"] is True
    types = [e["type"] for e in get(account, "/v1/events?type=charge.expired")["data"]]
    assert types == ["charge.expired", "charge.expired"]  # once each, not once per read
    get(account, f"/v1/charges/{c['id']}")
    assert len(get(account, "/v1/refunds")["data"]) == 2


def test_capturing_past_seven_days_expires_it_first(account, wall):
    c = uncaptured(account)
    wall[0] += WEEK
    expired_capture(account.post(f"/v1/charges/{c['id']}/capture"), c["id"])
    after = get(account, f"/v1/charges/{c['id']}")
    assert (after["refunded"], after["captured"], after["amount_refunded"]) == (True, False, 2000)
    expired_capture(account.post(f"/v1/charges/{c['id']}/capture", {"amount": 1000}), c["id"])
    assert len(get(account, f"/v1/charges/{c['id']}/refunds")["data"]) == 1


def test_refunding_past_seven_days_finds_it_released(account, wall):
    c = uncaptured(account)
    wall[0] += WEEK
    assert_error(account.post("/v1/refunds", {"charge": c["id"]}), 400,
                 code="charge_already_refunded",
                 message=messages.CHARGE_ALREADY_REFUNDED.format(id=c["id"]))
    (refund,) = get(account, "/v1/refunds")["data"]
    assert (refund["charge"], refund["reason"]) == (c["id"], "expired_uncaptured_charge")


def test_captured_or_released_in_time_it_does_not_expire(account):
    captured = uncaptured(account)
    released = uncaptured(account)
    assert account.post(f"/v1/charges/{captured['id']}/capture").status_code == 200
    assert account.post("/v1/refunds", {"charge": released["id"]}).status_code == 200
    account.advance_clock(WEEK + DAY)
    after = get(account, f"/v1/charges/{captured['id']}")
    assert (after["captured"], after["refunded"], after["amount_refunded"]) == (True, False, 0)
    reasons = [r["reason"] for r in get(account, "/v1/refunds")["data"]]
    assert reasons == [None]
    assert get(account, "/v1/events?type=charge.expired")["data"] == []
    # Released by a refund, not by the clock: Stripe's usual answer.
    assert_error(account.post(f"/v1/charges/{released['id']}/capture"), 400,
                 code="charge_already_refunded",
                 message=messages.CHARGE_ALREADY_REFUNDED.format(id=released["id"]))


def test_a_manual_payment_intent_is_canceled_when_its_charge_expires(account, wall):
    intent = authorized(account)
    account.advance_clock(WEEK)
    after = get(account, f"/v1/payment_intents/{intent['id']}")
    charge = get(account, f"/v1/charges/{intent['latest_charge']}")
    assert (after["status"], after["cancellation_reason"], after["amount_capturable"],
            after["amount_received"], after["canceled_at"]) == (
        "canceled", "automatic", 0, 0, charge["created"] + WEEK)
    assert (charge["refunded"], charge["captured"], charge["amount_refunded"]) == (
        True, False, 2000)
    unexpected_state(act(account, intent["id"], "capture"),
                     messages.INTENT_CAPTURE_STATE.format(status="canceled"), status="canceled")
    unexpected_state(act(account, intent["id"], "cancel"),
                     messages.INTENT_CANCEL_STATE.format(status="canceled"), status="canceled")
    expired_capture(account.post(f"/v1/charges/{intent['latest_charge']}/capture"),
                    intent["latest_charge"])
    types = [e["type"] for e in get(account, "/v1/events?limit=4")["data"]]
    assert types == ["refund.created", "charge.expired", "payment_intent.canceled",
                     "payment_intent.amount_capturable_updated"]


@pytest.mark.parametrize("action", ["capture", "cancel"])
def test_acting_on_an_intent_past_seven_days_cancels_it_first(account, wall, action):
    intent = authorized(account)
    wall[0] += WEEK
    unexpected_state(act(account, intent["id"], action),
                     getattr(messages, f"INTENT_{action.upper()}_STATE").format(status="canceled"),
                     status="canceled")
    after = get(account, f"/v1/payment_intents/{intent['id']}")
    assert (after["status"], after["cancellation_reason"]) == ("canceled", "automatic")
    assert get(account, f"/v1/charges/{intent['latest_charge']}")["refunded"] is True


def test_intents_are_canceled_when_read_past_seven_days(account, wall):
    intent = authorized(account)
    wall[0] += WEEK - 1
    assert get(account, f"/v1/payment_intents/{intent['id']}")["status"] == "requires_capture"
    wall[0] += 1
    listed = get(account, "/v1/payment_intents")["data"]
    assert [(i["id"], i["status"], i["cancellation_reason"]) for i in listed] == [
        (intent["id"], "canceled", "automatic")]


def test_live_mode_charges_expire_on_the_same_clock(account):
    live = account.activate()
    card = tokenize(account, LIVE_CARD, account.live_publishable_key).get_json()["id"]
    r = account.post("/v1/charges", {"amount": 2000, "currency": "usd", "capture": "false",
                                     "source": card}, key=live)
    assert r.status_code == 200, r.get_json()
    account.advance_clock(WEEK)
    after = account.get(f"/v1/charges/{r.get_json()['id']}", key=live).get_json()
    assert (after["livemode"], after["refunded"], after["amount_refunded"]) == (True, True, 2000)
    assert [e["type"] for e in account.get("/v1/events?limit=2", key=live).get_json()["data"]] \
        == ["refund.created", "charge.expired"]


@pytest.fixture
def second_ticks_at(monkeypatch, wall):
    """``second_ticks_at(module, name)``: the account's clock moves on one second just as
    ``module.name`` is called (the seven days end in the middle of a request)."""

    def tick_at(module, name):
        real = getattr(module, name)

        def ticking(*args, **kwargs):
            wall[0] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, ticking)

    return tick_at


def test_an_intent_captured_as_its_seven_days_end_is_captured_whole(account, wall,
                                                                    second_ticks_at):
    """The intent was checked one second before the end, its charge one second after: the
    intent said ``succeeded`` (amount_received 2000) over a charge that had expired."""
    from payground.services import charges

    intent = authorized(account)
    wall[0] += WEEK - 1
    second_ticks_at(charges, "capture_charge")

    r = act(account, intent["id"], "capture")

    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["status"], r.get_json()["amount_received"]) == ("succeeded", 2000)
    charge = get(account, f"/v1/charges/{intent['latest_charge']}")
    assert (charge["captured"], charge["refunded"], charge["amount_refunded"]) == (
        True, False, 0)
    assert get(account, "/v1/events?type=charge.expired")["data"] == []


def test_an_intent_canceled_as_its_seven_days_end_is_canceled_once(account, wall,
                                                                   second_ticks_at):
    """The cancel canceled the intent, then found its charge expired in the meantime: it
    answered 400 charge_already_refunded for a cancel that had happened."""
    from payground.services import refunds

    intent = authorized(account)
    wall[0] += WEEK - 1
    second_ticks_at(refunds, "create_refund")

    r = act(account, intent["id"], "cancel", cancellation_reason="abandoned")

    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["status"], r.get_json()["cancellation_reason"]) == (
        "canceled", "abandoned")
    (refund,) = get(account, f"/v1/charges/{intent['latest_charge']}/refunds")["data"]
    assert refund["reason"] is None
    assert get(account, "/v1/events?type=charge.expired")["data"] == []


def test_updating_or_confirming_an_intent_past_seven_days_shows_it_canceled(account, wall):
    """An update answered ``requires_capture`` (and a confirm's error named that status)
    while the next read said ``canceled``: every answer shows the authorisation is over."""
    intent = authorized(account)
    wall[0] += WEEK
    r = account.post(f"/v1/payment_intents/{intent['id']}", {"metadata[order]": "42"})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["status"], r.get_json()["cancellation_reason"],
            r.get_json()["metadata"]) == ("canceled", "automatic", {"order": "42"})
    other = authorized(account)
    wall[0] += WEEK
    unexpected_state(act(account, other["id"], "confirm"),
                     messages.INTENT_CONFIRM_STATE.format(status="canceled"), status="canceled")
    types = [e["type"] for e in get(account, "/v1/events?type=charge.expired")["data"]]
    assert types == ["charge.expired", "charge.expired"]


def test_everything_at_once_on_expired_authorisations_expires_each_once(app, account, wall):
    """Reads, captures, refunds and cancels of the same expired charges and intents, a
    balance read and a clock advance (both catch up), all at once: each charge expires
    once (one refund, one charge.expired), nobody gets a 500, and the ledger holds."""
    intents = [authorized(account) for _ in range(2)]
    plain = uncaptured(account)
    wall[0] += WEEK
    auth = account.auth()
    jobs = [("GET", "/v1/charges", None, auth), ("GET", "/v1/payment_intents", None, auth),
            ("GET", "/v1/balance", None, auth),
            ("POST", "/sandbox/clock/advance", {"seconds": 60}, account.session_auth)]
    for charge_id in [intent["latest_charge"] for intent in intents] + [plain["id"]]:
        jobs += [("GET", f"/v1/charges/{charge_id}", None, auth),
                 ("POST", f"/v1/charges/{charge_id}/capture", {}, auth),
                 ("POST", "/v1/refunds", {"charge": charge_id}, auth)]
    for intent in intents:
        jobs += [("GET", f"/v1/payment_intents/{intent['id']}", None, auth),
                 ("POST", f"/v1/payment_intents/{intent['id']}/capture", {}, auth),
                 ("POST", f"/v1/payment_intents/{intent['id']}/cancel", {}, auth)]

    results = race(app, jobs)

    assert not [(job, body) for job, status, body in results if status >= 500]
    refunds = get(account, "/v1/refunds?limit=100")["data"]
    assert Counter(r["reason"] for r in refunds) == {"expired_uncaptured_charge": 3}
    types = Counter(e["type"] for e in get(account, "/v1/events?limit=100")["data"])
    assert (types["charge.expired"], types["refund.created"],
            types["payment_intent.canceled"]) == (3, 3, 2)
    for intent in intents:
        after = get(account, f"/v1/payment_intents/{intent['id']}")
        assert (after["status"], after["cancellation_reason"]) == ("canceled", "automatic")
    report = account.client.get("/sandbox/ledger/verify", headers=account.session_auth)
    assert (report.get_json()["ok"], report.get_json()["problems"]) == (True, [])


def test_an_authorisation_says_when_it_expires(account):
    """Stripe's ``payment_method_details.card.capture_before``: "the charge will be
    automatically refunded if uncaptured" then. It was missing (stripe-python raised
    AttributeError for it), so a client could not schedule its capture from the charge."""
    held = uncaptured(account)
    intent = authorized(account)
    paid = account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                        "source": "tok_visa"}).get_json()

    def capture_before(charge_id):
        return get(account, f"/v1/charges/{charge_id}")["payment_method_details"]["card"][
            "capture_before"]

    assert held["payment_method_details"]["card"]["capture_before"] == held["created"] + WEEK
    intents_charge = get(account, f"/v1/charges/{intent['latest_charge']}")
    assert capture_before(intents_charge["id"]) == intents_charge["created"] + WEEK
    assert capture_before(paid["id"]) is None
    account.post(f"/v1/charges/{held['id']}/capture")
    assert capture_before(held["id"]) is None  # captured: nothing left to expire


def test_listing_refunds_alone_notices_an_expiry(account, wall):
    """``GET /v1/refunds`` is the first read after the seven days: it lists the refund the
    expiry made (no charge or balance read has to notice it first)."""
    c = uncaptured(account)
    wall[0] += WEEK - 1
    assert get(account, "/v1/refunds")["data"] == []
    wall[0] += 1
    (refund,) = get(account, "/v1/refunds")["data"]
    assert (refund["charge"], refund["amount"], refund["reason"], refund["status"],
            refund["balance_transaction"], refund["created"]) == (
        c["id"], 2000, "expired_uncaptured_charge", "succeeded", None, c["created"] + WEEK)
    assert [r["id"] for r in get(account, f"/v1/refunds?charge={c['id']}")["data"]] == [
        refund["id"]]
    types = [e["type"] for e in get(account, "/v1/events?limit=3")["data"]]
    assert types == ["refund.created", "charge.expired", "charge.succeeded"]  # once
    after = get(account, f"/v1/charges/{c['id']}")
    assert (after["refunded"], after["amount_refunded"], after["captured"]) == (
        True, 2000, False)


def test_listing_events_alone_notices_an_expiry(account, wall):
    intent = authorized(account)
    wall[0] += WEEK
    events = get(account, "/v1/events?limit=4")["data"]
    clock = {"id": None, "idempotency_key": None}
    assert [(e["type"], e["data"]["object"]["id"], e["created"], e["request"])
            for e in events[:3]] == [
        ("refund.created", events[0]["data"]["object"]["id"], intent["created"] + WEEK, clock),
        ("charge.expired", intent["latest_charge"], intent["created"] + WEEK, clock),
        ("payment_intent.canceled", intent["id"], intent["created"] + WEEK, clock)]
    assert events[0]["data"]["object"]["reason"] == "expired_uncaptured_charge"
    assert (events[2]["data"]["object"]["status"],
            events[2]["data"]["object"]["cancellation_reason"]) == ("canceled", "automatic")
    # The expiry is done, once: the refund is listed and nothing is sent twice.
    assert [r["charge"] for r in get(account, "/v1/refunds")["data"]] == [
        intent["latest_charge"]]
    assert len(get(account, "/v1/events?type=charge.expired")["data"]) == 1


def test_listing_events_in_one_mode_leaves_the_other_alone(account, wall):
    live = account.activate()
    tok = tokenize(account, LIVE_CARD, account.live_publishable_key).get_json()["id"]
    r = account.post("/v1/charges", {"amount": 2000, "currency": "usd", "source": tok,
                                     "capture": "false"}, key=live)
    assert r.status_code == 200, r.get_json()
    wall[0] += WEEK
    assert get(account, "/v1/events?type=charge.expired")["data"] == []  # test mode's
    live_events = account.get("/v1/events?type=charge.expired", key=live).get_json()["data"]
    assert [e["data"]["object"]["id"] for e in live_events] == [r.get_json()["id"]]


def test_list_reads_with_nothing_due_cost_one_indexed_read(app, account):
    """The catch-up before ``GET /v1/refunds`` and ``GET /v1/events``, when nothing is due:
    one SELECT on ``ledger_schedule`` (through its due-date index), nothing written."""
    from sqlalchemy import event as sa_event

    from payground.extensions import db

    uncaptured(account)  # scheduled, but seven days away
    with app.app_context():
        engine = db.engine
    seen = []

    def capture(_conn, _cursor, sql, params, _context, _many):
        if "ledger_schedule" in sql:
            seen.append(sql.split()[0].upper())

    sa_event.listen(engine, "before_cursor_execute", capture)
    try:
        assert get(account, "/v1/refunds")["data"] == []
        assert [e["type"] for e in get(account, "/v1/events")["data"]] == ["charge.succeeded"]
    finally:
        sa_event.remove(engine, "before_cursor_execute", capture)
    assert seen == ["SELECT", "SELECT"]
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id FROM ledger_schedule WHERE account_id = ? "
                "AND livemode = 0 AND due_at <= ? LIMIT 1", (account.account_id, 0)))
        assert "ix_ledger_schedule_due" in plan, plan


def test_list_reads_racing_on_expired_authorisations_expire_each_once(app, account, wall):
    """Many refund and event lists (and a balance read) at once, all catching up on the same
    expired authorisations: each expires once, nobody gets an error."""
    intents = [authorized(account) for _ in range(2)]
    plain = uncaptured(account)
    wall[0] += WEEK
    auth = account.auth()
    jobs = ([("GET", "/v1/refunds", None, auth)] * 6 + [("GET", "/v1/events", None, auth)] * 6
            + [("GET", "/v1/balance", None, auth)])
    results = race(app, jobs)
    assert {status for _, status, _ in results} == {200}
    # Whoever expired them, every refund list already showed all three.
    assert {len(body["data"]) for job, _, body in results if job[1] == "/v1/refunds"} == {3}
    refunds = get(account, "/v1/refunds?limit=100")["data"]
    assert sorted(r["charge"] for r in refunds) == sorted(
        [i["latest_charge"] for i in intents] + [plain["id"]])
    types = Counter(e["type"] for e in get(account, "/v1/events?limit=100")["data"])
    assert (types["charge.expired"], types["refund.created"],
            types["payment_intent.canceled"]) == (3, 3, 2)
    report = account.client.get("/sandbox/ledger/verify", headers=account.session_auth)
    assert (report.get_json()["ok"], report.get_json()["problems"]) == (True, [])
