"""/sandbox/clock: each account's own time."""

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
