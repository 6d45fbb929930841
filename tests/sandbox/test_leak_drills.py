"""/sandbox/leak_drills: a key treated as leaked, bots using it, and the exposure measured."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from payground import messages
from payground.core import drills
from tests.conftest import assert_error

BOT_ADDRESSES = set(drills.BOT_ADDRESSES)


def start(account, key_id, **extra):
    return account.client.post("/sandbox/leak_drills", json={"key": key_id, **extra},
                               headers=account.session_auth)


def drill(account, drill_id):
    r = account.client.get(f"/sandbox/leak_drills/{drill_id}", headers=account.session_auth)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def bot_requests(account):
    r = account.client.get("/sandbox/requests", query_string={"limit": 100},
                           headers=account.session_auth)
    rows = [row for row in r.get_json()["data"] if row["client_ip"] in BOT_ADDRESSES]
    return [(row["method"], row["path"], row["status"], row["error_code"], row["client_ip"])
            for row in reversed(rows)]


@pytest.fixture
def leaked(account, wall):
    """A test account with a customer, whose secret key leaked at ``wall[0]``."""
    wall[0] = 1_700_000_000
    account.post("/v1/customers", {"email": "jo@example.com", "name": "Jo"})
    r = start(account, account.key_id(account.secret_key))
    assert r.status_code == 201, r.get_json()
    return r.get_json()


def test_a_drill_starts_exposed_and_the_bots_come_two_minutes_later(account, leaked, wall):
    key_id = account.key_id(account.secret_key)
    assert leaked == {
        "id": leaked["id"], "object": "leak_drill", "livemode": False, "key": key_id,
        "key_redacted": f"sk_test_...{account.secret_key[-4:]}", "leaked_at": 1_700_000_000,
        "bots_arrive_at": 1_700_000_120, "bots_give_up_at": 1_700_003_600,
        "status": "exposed", "key_stopped_at": None, "exposure_seconds": 0,
        "target_seconds": 720, "beat_target": None,
        "bot_requests": {"total": 0, "let_in": 0, "refused": 0},
        "bots_got": {"balance_reads": 0, "customers_exposed": 0, "charges_succeeded": 0,
                     "charges_declined": 0, "amount_charged": 0, "currency": "usd"}}
    assert leaked["id"].startswith("drill_")
    wall[0] += 120  # the first bot's second: written once it is over
    assert drill(account, leaked["id"])["bot_requests"]["total"] == 0
    assert bot_requests(account) == []
    wall[0] += 1
    assert bot_requests(account) == [("GET", "/v1/balance", 200, None, "203.0.113.51")]
    audit = account.client.get("/sandbox/audit", query_string={"type": "leak_drill.started"},
                               headers=account.session_auth).get_json()["data"]
    assert [(e["key_id"], e["data"]["drill"]) for e in audit] == [(key_id, leaked["id"])]


def test_revoking_contains_the_leak_and_the_bots_give_up(account, leaked, wall):
    account.advance_clock(300)  # the bots have had the key for three minutes
    state = drill(account, leaked["id"])
    assert state["bot_requests"] == {"total": 9, "let_in": 9, "refused": 0}
    # Test cards, by turns: 4242... works, the others are declined.
    assert state["bots_got"] == {"balance_reads": 2, "customers_exposed": 1,
                                 "charges_succeeded": 1, "charges_declined": 4,
                                 "amount_charged": 100, "currency": "usd"}
    assert (state["status"], state["exposure_seconds"], state["beat_target"]) == (
        "exposed", 300, None)
    last_used = account.client.get(f"/sandbox/keys/{leaked['key']}",
                                   headers=account.session_auth).get_json()["last_used"]
    assert last_used == 1_700_000_280  # the key page shows the bots' use

    account.revoke(account.secret_key)
    account.advance_clock(3600)
    state = drill(account, leaked["id"])
    assert (state["status"], state["key_stopped_at"], state["exposure_seconds"],
            state["beat_target"]) == ("contained", 1_700_000_300, 300, True)
    # Attempts 9, 10, 11 (+300, +320, +340) were refused, and the bots moved on.
    assert state["bot_requests"] == {"total": 12, "let_in": 9, "refused": 3}
    assert bot_requests(account)[-4:] == [
        ("GET", "/v1/balance", 200, None, "192.0.2.140"),
        ("GET", "/v1/customers", 401, "api_key_expired", "203.0.113.51"),
        ("POST", "/v1/charges", 401, "api_key_expired", "198.51.100.77"),
        ("POST", "/v1/charges", 401, "api_key_expired", "192.0.2.140")]
    audit = account.client.get("/sandbox/audit", query_string={"type": "api_key.revoked_used"},
                               headers=account.session_auth).get_json()["data"]
    assert [(e["client_ip"], e["created"]) for e in audit] == [
        ("192.0.2.140", 1_700_000_340), ("198.51.100.77", 1_700_000_320),
        ("203.0.113.51", 1_700_000_300)]
    replacement = account.create_key("secret")
    charges = account.get("/v1/charges", key=replacement,
                          query_string={"limit": 100}).get_json()["data"]
    assert sorted((c["status"], c["amount"]) for c in charges) == [
        ("failed", 100)] * 4 + [("succeeded", 100)]


def test_a_leak_left_open_misses_the_target_and_the_bots_stop_after_an_hour(account, leaked):
    account.advance_clock(721)
    state = drill(account, leaked["id"])
    assert (state["status"], state["beat_target"]) == ("exposed", False)
    account.advance_clock(86400)
    state = drill(account, leaked["id"])
    assert state["bot_requests"]["total"] == drills.MAX_ATTEMPTS == 175
    assert state["exposure_seconds"] == 721 + 86400  # the key still works: still exposed


def test_rolling_with_a_grace_period_leaves_the_key_out_until_it_ends(account, leaked):
    account.advance_clock(200)
    account.roll(account.secret_key, expires_in=3600)
    account.advance_clock(1800)
    state = drill(account, leaked["id"])
    # Still out, and out for longer than the target already.
    assert (state["status"], state["exposure_seconds"], state["beat_target"]) == (
        "exposed", 2000, False)
    assert state["bot_requests"]["refused"] == 0
    account.advance_clock(1800)
    state = drill(account, leaked["id"])
    assert (state["status"], state["key_stopped_at"], state["exposure_seconds"],
            state["beat_target"]) == ("contained", 1_700_003_800, 3800, False)


def test_a_grace_period_cut_short_by_a_revoke_still_beats_the_target(account, leaked):
    account.advance_clock(200)
    account.roll(account.secret_key, expires_in=3600)  # a mistake for a leaked key...
    account.advance_clock(50)
    assert drill(account, leaked["id"])["beat_target"] is None  # ... not a final one
    account.revoke(leaked["key"])
    account.advance_clock(600)
    state = drill(account, leaked["id"])
    assert (state["status"], state["exposure_seconds"], state["beat_target"]) == (
        "contained", 250, True)


def test_rolling_with_no_grace_stops_the_bots_at_once(account, leaked):
    account.advance_clock(130)
    account.roll(account.secret_key, expires_in=0)
    account.advance_clock(600)
    state = drill(account, leaked["id"])
    assert (state["status"], state["exposure_seconds"], state["beat_target"]) == (
        "contained", 130, True)
    assert state["bot_requests"] == {"total": 4, "let_in": 1, "refused": 3}


def test_a_restricted_key_limits_what_the_bots_get(account, wall):
    wall[0] = 1_700_000_000
    account.post("/v1/customers", {"email": "jo@example.com"})
    secret = account.create_key(permissions=["customer_read"], name="marketing")
    r = start(account, account.key_id(secret))
    assert r.status_code == 201
    account.advance_clock(120 + 7 * 20 + 1)  # one round of the script: 8 attempts
    state = drill(account, r.get_json()["id"])
    assert state["bot_requests"] == {"total": 8, "let_in": 2, "refused": 6}
    assert state["bots_got"]["customers_exposed"] == 1
    assert state["bots_got"]["charges_succeeded"] == state["bots_got"]["balance_reads"] == 0
    assert {(m, p, s, c) for m, p, s, c, _ in bot_requests(account)} == {
        ("GET", "/v1/balance", 403, None), ("GET", "/v1/customers", 200, None),
        ("POST", "/v1/charges", 403, None)}
    assert account.get("/v1/charges").get_json()["data"] == []


def test_an_allow_listed_key_is_useless_to_the_bots(account, wall):
    wall[0] = 1_700_000_000
    secret = account.create_key("secret", ip_allowlist=["127.0.0.1"])
    r = start(account, account.key_id(secret))
    account.advance_clock(601)
    state = drill(account, r.get_json()["id"])
    assert state["bot_requests"] == {"total": 25, "let_in": 0, "refused": 25}
    assert {row[3] for row in bot_requests(account)} == {"api_key_ip_not_allowed"}
    assert state["status"] == "exposed"  # the key works (from 127.0.0.1): roll it all the same


def test_a_live_key_leak_costs_real_money(account, wall):
    wall[0] = 1_700_000_000
    live = account.activate()
    r = start(account, account.key_id(live))
    assert r.status_code == 201 and r.get_json()["livemode"] is True
    account.advance_clock(120 + 7 * 20 + 1)
    state = drill(account, r.get_json()["id"])
    # Stolen real-looking cards: $1 is under every simulated issuer's limit.
    assert state["bots_got"]["charges_succeeded"] == 5
    assert state["bots_got"]["amount_charged"] == 500
    charges = account.get("/v1/charges", key=live).get_json()["data"]
    assert len(charges) == 5 and {c["livemode"] for c in charges} == {True}
    assert account.get("/v1/charges").get_json()["data"] == []  # nothing in test mode
    verify = account.client.get("/sandbox/ledger/verify", headers=account.session_auth)
    assert verify.get_json()["balanced"] is True


def test_bad_starts_are_refused_with_stripe_style_errors(account, make_account):
    assert_error(account.client.post("/sandbox/leak_drills", json={},
                                     headers=account.session_auth),
                 400, code="parameter_missing", param="key",
                 message="Missing required param: key.")
    assert_error(start(account, "key_nope"), 404, code="resource_missing", param="key",
                 message="No such api_key: 'key_nope'")
    assert_error(start(account, account.key_id(account.secret_key), where="github"), 400,
                 code="parameter_unknown", param="where",
                 message="Received unknown parameter: where")
    assert_error(start(account, account.key_id(account.publishable_key)), 400, param="key",
                 message=messages.DRILL_PUBLISHABLE)
    other = make_account()
    assert_error(start(other, account.key_id(account.secret_key)), 404,
                 code="resource_missing", param="key",
                 message=f"No such api_key: '{account.key_id(account.secret_key)}'")
    key_id = account.key_id(account.secret_key)
    first = start(account, key_id).get_json()
    redacted = f"sk_test_...{account.secret_key[-4:]}"
    assert_error(start(account, key_id), 400, param="key",
                 message=messages.DRILL_RUNNING.format(key=redacted, id=first["id"]))
    assert_error(other.client.get(f"/sandbox/leak_drills/{first['id']}",
                                  headers=other.session_auth),
                 404, code="resource_missing", param="id",
                 message=f"No such leak drill: '{first['id']}'")
    account.revoke(account.secret_key)
    assert_error(start(account, key_id), 400, param="key",
                 message=messages.DRILL_KEY_DEAD.format(key=redacted))
    assert_error(account.client.get("/sandbox/leak_drills"), 401)


def test_the_list_is_newest_first_and_never_holds_a_key(account, leaked):
    restricted = account.create_key(permissions=["charge_read"])
    second = start(account, account.key_id(restricted)).get_json()
    account.advance_clock(400)
    r = account.client.get("/sandbox/leak_drills", headers=account.session_auth)
    body = r.get_json()
    assert (body["object"], body["url"], body["has_more"]) == (
        "list", "/sandbox/leak_drills", False)
    assert [d["id"] for d in body["data"]] == [second["id"], leaked["id"]]
    text = r.get_data(as_text=True)
    assert account.secret_key not in text and restricted not in text


def test_each_bot_request_needs_what_its_route_declares(app):
    from payground.http.auth import PERMISSION_ATTR

    routes = app.url_map.bind("localhost")
    for action in (drills.READ_BALANCE, drills.LIST_CUSTOMERS, drills.CARD_TEST):
        endpoint, _ = routes.match(action.path, method=action.method)
        assert getattr(app.view_functions[endpoint], PERMISSION_ATTR) == action.permission


def test_many_readers_at_once_write_each_bot_request_once(app, account, leaked):
    from sqlalchemy import func, select

    from payground.models import Account, Charge, RequestLog, db

    account.advance_clock(2 * 3600)  # every attempt of the hour is due, none written yet
    readers = 6
    ready = threading.Barrier(readers)

    def look(_):
        client = app.test_client()
        ready.wait()
        return client.get(f"/sandbox/leak_drills/{leaked['id']}",
                          headers=account.session_auth).status_code

    with ThreadPoolExecutor(readers) as pool:
        assert list(pool.map(look, range(readers))) == [200] * readers
    state = drill(account, leaked["id"])
    card_tests = sum(drills.SCRIPT[n % len(drills.SCRIPT)] is drills.CARD_TEST
                     for n in range(drills.MAX_ATTEMPTS))
    assert state["bot_requests"]["total"] == drills.MAX_ATTEMPTS
    assert (state["bots_got"]["charges_succeeded"] + state["bots_got"]["charges_declined"]
            == card_tests)
    with app.app_context():
        logged = db.session.execute(select(func.count()).select_from(RequestLog).where(
            RequestLog.account_id == account.account_id,
            RequestLog.client_ip.in_(drills.BOT_ADDRESSES))).scalar_one()
        charged = db.session.execute(select(func.count()).select_from(Charge).where(
            Charge.account_id == account.account_id)).scalar_one()
        still_open = db.session.get(Account, account.account_id).open_drills
    assert (logged, charged, still_open) == (drills.MAX_ATTEMPTS, card_tests, 0)


def test_the_dashboard_shows_the_bots_requests(account, leaked):
    account.advance_clock(141)  # the first two bots' requests
    account.client.set_cookie("payground_session", account.session)
    page = account.client.get("/dashboard/requests").get_data(as_text=True)
    assert "<td><code>203.0.113.51</code></td>" in page  # who sent it: not one of yours
    assert "<td><code>198.51.100.77</code></td>" in page


def test_starting_twice_at_once_makes_one_drill(app, account):
    key_id = account.key_id(account.secret_key)
    starters = 6
    ready = threading.Barrier(starters)

    def start_one(_):
        client = app.test_client()
        ready.wait()
        return client.post("/sandbox/leak_drills", json={"key": key_id},
                           headers=account.session_auth).status_code

    with ThreadPoolExecutor(starters) as pool:
        statuses = sorted(pool.map(start_one, range(starters)))
    assert statuses == [201] + [400] * (starters - 1)
    listed = account.client.get("/sandbox/leak_drills", headers=account.session_auth)
    assert len(listed.get_json()["data"]) == 1


def test_the_bots_charges_name_the_bots_requests(account, leaked):
    account.advance_clock(121 + 4 * 20)  # attempts 0-4: n=4 charges 4242..., which works
    account.client.get("/sandbox/account", headers={**account.session_auth,
                                                    "Idempotency-Key": "my-look"})
    events = account.get("/v1/events", query_string={"type": "charge.succeeded"})
    (event,) = events.get_json()["data"]
    logged = account.client.get("/sandbox/requests", query_string={"status": "2xx"},
                                headers=account.session_auth).get_json()["data"]
    charge_request = next(row for row in logged if row["path"] == "/v1/charges")
    assert event["request"] == {"id": charge_request["id"], "idempotency_key": None}
    assert charge_request["client_ip"] == "198.51.100.77" and event["created"] == 1_700_000_200


def test_refused_at_the_allow_list_still_marks_the_key_used(account, wall):
    wall[0] = 1_700_000_000
    secret = account.create_key("secret", ip_allowlist=["127.0.0.1"])
    key_id = account.key_id(secret)
    start(account, key_id)
    account.advance_clock(200)
    got = account.client.get(f"/sandbox/keys/{key_id}", headers=account.session_auth)
    assert got.get_json()["last_used"] == 1_700_000_180  # as the API would: the key was found


def test_the_list_pages_and_filters_by_mode(account, leaked):
    live = account.activate()
    live_drill = start(account, account.key_id(live)).get_json()
    restricted = account.create_key(permissions=["charge_read"])
    newest = start(account, account.key_id(restricted)).get_json()
    listed = account.client.get("/sandbox/leak_drills", query_string={"limit": 2},
                                headers=account.session_auth).get_json()
    assert ([d["id"] for d in listed["data"]], listed["has_more"]) == (
        [newest["id"], live_drill["id"]], True)
    rest = account.client.get("/sandbox/leak_drills", headers=account.session_auth,
                              query_string={"limit": 2, "starting_after": live_drill["id"]})
    assert [d["id"] for d in rest.get_json()["data"]] == [leaked["id"]]
    only_live = account.client.get("/sandbox/leak_drills", query_string={"mode": "live"},
                                   headers=account.session_auth).get_json()["data"]
    assert [d["id"] for d in only_live] == [live_drill["id"]]
    assert_error(account.client.get("/sandbox/leak_drills", query_string={"sort": "x"},
                                    headers=account.session_auth),
                 400, code="parameter_unknown", param="sort",
                 message="Received unknown parameter: sort")


def test_an_api_read_shows_what_the_bots_did_without_looking_elsewhere(account, leaked):
    account.advance_clock(121 + 4 * 20)  # a POST: nothing is written down yet
    charges = account.get("/v1/charges").get_json()["data"]  # the app's own read, as any
    assert len(charges) == 3 and {c["amount"] for c in charges} == {100}
    account.revoke(account.secret_key)
    account.advance_clock(3600)
    assert drill(account, leaked["id"])["bot_requests"] == {"total": 8, "let_in": 5,
                                                            "refused": 3}
    # The drill is over: reads no longer look for bots (the account's count is back to 0).
    from payground.models import Account, db

    with account.client.application.app_context():
        assert db.session.get(Account, account.account_id).open_drills == 0


def test_a_customer_deleted_after_the_bots_listed_it_still_counts(account, leaked):
    (customer,) = account.get("/v1/customers").get_json()["data"]
    account.advance_clock(200)  # the bots listed the customers at +140; nobody has looked
    assert account.delete(f"/v1/customers/{customer['id']}").status_code == 200
    state = drill(account, leaked["id"])
    assert state["bot_requests"]["total"] == 4
    assert state["bots_got"]["customers_exposed"] == 1  # the bots have it, deleted or not


def test_a_customer_deleted_before_the_bots_listed_it_is_not_exposed(account, leaked):
    (customer,) = account.get("/v1/customers").get_json()["data"]
    account.advance_clock(130)
    assert account.delete(f"/v1/customers/{customer['id']}").status_code == 200
    account.advance_clock(70)
    state = drill(account, leaked["id"])
    assert state["bot_requests"]["total"] == 4
    assert state["bots_got"]["customers_exposed"] == 0


def test_a_count_of_open_drills_that_went_wrong_never_goes_below_zero(app, account, leaked):
    from sqlalchemy import update

    from payground.models import Account, db

    restricted = account.create_key(permissions=["customer_read"])
    assert start(account, account.key_id(restricted)).status_code == 201
    with app.app_context():  # two drills run, but the count says one (an old bug, say)
        db.session.execute(update(Account).where(Account.id == account.account_id)
                           .values(open_drills=1))
        db.session.commit()
    account.advance_clock(2 * 3600)
    listed = account.client.get("/sandbox/leak_drills", headers=account.session_auth)
    assert [d["bot_requests"]["total"] for d in listed.get_json()["data"]] == [
        drills.MAX_ATTEMPTS] * 2  # both written down, and both ended
    with app.app_context():
        assert db.session.get(Account, account.account_id).open_drills == 0  # not -1
