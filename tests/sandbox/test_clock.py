"""/sandbox/clock: each account's own time."""

from payground import messages
from tests.helpers import assert_error


def test_clock_starts_at_wall_time(account, client, wall):
    body = client.get("/sandbox/clock", headers=account.session_auth).get_json()
    assert body == {"object": "clock", "now": int(wall[0]), "offset": 0, "wall": int(wall[0])}


def test_advance_moves_only_this_account(account, make_account, client, wall):
    r = client.post("/sandbox/clock/advance", json={"seconds": 7200},
                    headers=account.session_auth)
    assert r.status_code == 200
    assert r.get_json() == {"object": "clock", "now": int(wall[0]) + 7200, "offset": 7200,
                            "wall": int(wall[0])}
    client.post("/sandbox/clock/advance", data={"seconds": "60"}, headers=account.session_auth)
    assert client.get("/sandbox/clock", headers=account.session_auth).get_json()["offset"] == 7260
    other = make_account()
    assert client.get("/sandbox/clock", headers=other.session_auth).get_json()["offset"] == 0


def test_new_objects_are_created_on_the_account_clock(account, client, wall):
    client.post("/sandbox/clock/advance", json={"seconds": 86400}, headers=account.session_auth)
    created = account.post("/v1/customers", {}).get_json()["created"]
    assert created == int(wall[0]) + 86400


def test_advance_validation(account, client):
    for seconds, message in [(0, "Invalid seconds: must be between 1 and 31536000 (one year)."),
                             (-5, "Invalid seconds: must be between 1 and 31536000 (one year)."),
                             (365 * 86400 + 1,
                              "Invalid seconds: must be between 1 and 31536000 (one year).")]:
        r = client.post("/sandbox/clock/advance", json={"seconds": seconds},
                        headers=account.session_auth)
        assert_error(r, 400, code="parameter_invalid_integer", param="seconds", message=message)
    assert_error(client.post("/sandbox/clock/advance", json={}, headers=account.session_auth),
                 400, code="parameter_missing", param="seconds",
                 message="Missing required param: seconds.")
    assert_error(client.post("/sandbox/clock/advance", json={"seconds": "soon"},
                             headers=account.session_auth),
                 400, code="parameter_invalid_integer", param="seconds",
                 message="Invalid integer: soon")


def test_clock_needs_a_session(account, client):
    r = client.get("/sandbox/clock", headers=account.auth())
    assert r.status_code == 401


def test_the_clock_stops_where_timestamps_still_fit(account, client, wall):
    """Timestamps are 32-bit columns: an account's clock may go no further than what leaves
    room for the furthest date it sets (a 7-day grace period, a 30-day session). The wall
    clock stands still (``wall``): a second ticking between reading the time and advancing
    would move the account one second past the mark."""
    from payground.services.clock import LATEST_ACCOUNT_TIME

    def advance(seconds):
        return client.post("/sandbox/clock/advance", json={"seconds": seconds},
                           headers=account.session_auth)

    while (left := LATEST_ACCOUNT_TIME - client.get(
            "/sandbox/clock", headers=account.session_auth).get_json()["now"]) > 365 * 86400:
        assert advance(365 * 86400).status_code == 200
    assert advance(left).get_json()["now"] == LATEST_ACCOUNT_TIME
    assert_error(advance(1), 400, code="parameter_invalid_integer", param="seconds",
                 message="Invalid seconds: the account's clock would pass 2037-11-20, the "
                         "latest time Payground can keep (its timestamps are 32-bit).")
    assert client.get("/sandbox/clock", headers=account.session_auth).get_json()["now"] == \
        LATEST_ACCOUNT_TIME
    # Everything dated from the account's time still fits (on PostgreSQL too).
    assert account.post("/v1/customers", {"email": "late@example.com"}).status_code == 200
    assert account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                        "source": "tok_visa"}).status_code == 200
    key = account.create_key(type="secret")
    r = client.post(f"/sandbox/keys/{account.key_id(key)}/roll", json={"expires_in": 7 * 86400},
                    headers=account.session_auth)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["status"] == "active"


def test_advances_at_once_all_count(app, account, wall):
    from tests.sandbox.test_accounts import _at_once

    seconds = [86400, 1, 2, 3, 4, 5]
    pending = list(seconds)
    answers = _at_once(app, len(seconds), lambda c: c.post(
        "/sandbox/clock/advance", json={"seconds": pending.pop()},
        headers=account.session_auth))
    assert [r.status_code for r in answers] == [200] * len(seconds)
    final = account.client.get("/sandbox/clock", headers=account.session_auth).get_json()
    assert final["offset"] == sum(seconds)
    assert max(r.get_json()["offset"] for r in answers) == sum(seconds)


def test_an_advance_is_an_audit_event(account, client, wall):
    r = client.post("/sandbox/clock/advance", json={"seconds": 7200},
                    headers=account.session_auth, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert r.status_code == 200, r.get_json()
    listed = client.get("/sandbox/audit", query_string={"type": "clock.advanced"},
                        headers=account.session_auth).get_json()["data"]
    start = int(wall[0])
    assert [{k: e[k] for k in ("type", "created", "livemode", "key_id", "request_id",
                               "client_ip", "data")} for e in listed] == [
        {"type": "clock.advanced", "created": start + 7200, "livemode": None, "key_id": None,
         "request_id": r.headers["Request-Id"], "client_ip": "203.0.113.7",
         "data": {"seconds": 7200, "from": start, "to": start + 7200}}]


def test_a_refused_advance_is_no_audit_event(account, client):
    r = client.post("/sandbox/clock/advance", json={"seconds": 0}, headers=account.session_auth)
    assert r.status_code == 400
    assert client.get("/sandbox/audit", query_string={"type": "clock.advanced"},
                      headers=account.session_auth).get_json()["data"] == []


def test_an_advance_and_its_catch_up_commit_together(account, client, wall, monkeypatch):
    """A failure part-way through the catch-up leaves the clock where it was: before, the new
    time was committed first, and the funds it should have settled stayed pending."""
    from payground.services import payouts

    paid = account.post("/v1/charges", {"amount": 2000, "currency": "usd",
                                        "source": "tok_visa"}).get_json()
    txn = paid["balance_transaction"]

    def broken(*args, **kwargs):
        raise RuntimeError("the catch-up failed part-way")

    monkeypatch.setattr(payouts, "advance", broken)
    r = client.post("/sandbox/clock/advance", json={"seconds": 2 * 86400},
                    headers=account.session_auth)
    assert_error(r, 500, type="api_error", message=messages.API_ERROR)
    body = client.get("/sandbox/clock", headers=account.session_auth).get_json()
    assert (body["now"], body["offset"]) == (int(wall[0]), 0)
    assert client.get("/sandbox/audit", query_string={"type": "clock.advanced"},
                      headers=account.session_auth).get_json()["data"] == []
    assert account.get(f"/v1/balance_transactions/{txn}").get_json()["status"] == "pending"
    monkeypatch.undo()
    assert account.advance_clock(2 * 86400) == int(wall[0]) + 2 * 86400
    assert account.get("/v1/balance").get_json()["available"][0]["amount"] == 1912
    report = client.get("/sandbox/ledger/verify", headers=account.session_auth).get_json()
    assert (report["ok"], report["problems"]) == (True, [])
