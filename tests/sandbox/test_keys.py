"""/sandbox/keys: create, roll (with a grace period on the account clock), revoke."""

from __future__ import annotations

from sqlalchemy import select

from payground import messages
from payground.core import keys
from tests.helpers import assert_error


def create(account, **body):
    return account.client.post("/sandbox/keys", json=body, headers=account.session_auth)


def roll(account, key_id, **body):
    return account.client.post(f"/sandbox/keys/{key_id}/roll", json=body,
                               headers=account.session_auth)


def revoke(account, key_id):
    return account.client.post(f"/sandbox/keys/{key_id}/revoke", headers=account.session_auth)


def key_id_of(account, secret):
    listed = account.client.get("/sandbox/keys", headers=account.session_auth).get_json()["data"]
    return next(k["id"] for k in listed if k["redacted"] == f"{secret[:8]}...{secret[-4:]}")


def advance(account, seconds):
    r = account.client.post("/sandbox/clock/advance", json={"seconds": seconds},
                            headers=account.session_auth)
    assert r.status_code == 200


def test_create_restricted_key_shows_the_secret_once(account):
    r = create(account, type="restricted", name="analytics", note="read-only for the data team",
               permissions=["charge_read", "customer_read"])
    assert r.status_code == 201
    body = r.get_json()
    assert keys.parse(body["secret"]) == keys.ParsedKey("restricted", False)
    assert (body["type"], body["name"], body["status"]) == ("restricted", "analytics", "active")
    assert body["permissions"] == ["charge_read", "customer_read"]
    got = account.client.get(f"/sandbox/keys/{body['id']}", headers=account.session_auth)
    assert "secret" not in got.get_json() and body["secret"] not in got.get_data(as_text=True)
    assert got.get_json()["redacted"] == f"rk_test_...{body['secret'][-4:]}"


def test_create_validation(account):
    assert_error(create(account, type="restricted"), 400, code="parameter_missing",
                 param="permissions", message="Missing required param: permissions.")
    assert_error(create(account, type="restricted", permissions=["charge_read", "everything"]),
                 400, param="permissions[1]",
                 message="Invalid permissions[1]: must be one of " + ", ".join(
                     __import__("payground.services.keys", fromlist=["x"]).PERMISSIONS))
    assert_error(create(account, type="publishable"), 400, param="type",
                 message="Invalid type: must be one of secret, restricted")
    assert_error(create(account, type="secret", permissions=["charge_read"]), 400,
                 param="permissions",
                 message="Only restricted keys have permissions; a secret key can do everything.")
    assert_error(create(account, type="secret", ip_allowlist=["10.0.0.0/8", "not-an-ip"]), 400,
                 code="parameter_invalid", param="ip_allowlist[1]",
                 message="Invalid IP address or range: not-an-ip")
    assert_error(create(account, type="secret", livemode=True), 400,
                 code="account_not_activated", param="livemode",
                 message="Live mode is not activated for this account: activate it first "
                         "(POST /sandbox/account/activate).")


def test_roll_with_a_grace_period_on_the_account_clock(account):
    old_id = key_id_of(account, account.secret_key)
    r = roll(account, old_id, expires_in=3600)
    assert r.status_code == 201
    new = r.get_json()
    assert new["rolled_from"] == old_id and new["name"] == "Test secret key"
    # Both keys work during the grace period.
    assert account.get("/v1/customers").status_code == 200
    assert account.get("/v1/customers", key=new["secret"]).status_code == 200
    old = account.client.get(f"/sandbox/keys/{old_id}", headers=account.session_auth).get_json()
    assert old["status"] == "expiring"
    advance(account, 3599)
    assert account.get("/v1/customers").status_code == 200
    advance(account, 1)
    assert_error(account.get("/v1/customers"), 401, code="api_key_expired",
                 message=f"Expired API Key provided: {keys.mask(account.secret_key)}")
    assert account.get("/v1/customers", key=new["secret"]).status_code == 200


def test_roll_now_and_only_active_keys_roll(account):
    old_id = key_id_of(account, account.secret_key)
    assert roll(account, old_id).status_code == 201  # expires_in defaults to 0: now
    assert account.get("/v1/customers").status_code == 401
    r = roll(account, old_id, expires_in=60)
    assert_error(r, 400, code="api_key_not_active", param="id",
                 message=f"Only an active key can be rolled; sk_test_...{account.secret_key[-4:]}"
                         " is expired.")
    assert_error(roll(account, old_id, expires_in=7 * 86400 + 1), 400,
                 code="parameter_invalid_integer", param="expires_in",
                 message="This value must be less than or equal to 604800.")


def test_revoke_fails_the_very_next_request(account):
    key_id = key_id_of(account, account.secret_key)
    r = revoke(account, key_id)
    assert r.status_code == 200 and r.get_json()["status"] == "revoked"
    assert_error(account.get("/v1/customers"), 401, code="api_key_expired",
                 message=f"Expired API Key provided: {keys.mask(account.secret_key)}")
    assert_error(revoke(account, key_id), 400, code="api_key_not_active", param="id",
                 message=f"sk_test_...{account.secret_key[-4:]} is already revoked.")


def test_publishable_keys_roll_but_do_not_revoke(account):
    pk_id = key_id_of(account, account.publishable_key)
    assert_error(revoke(account, pk_id), 400, code="api_key_not_revocable", param="id",
                 message="Publishable keys cannot be revoked; roll them instead.")
    r = roll(account, pk_id)
    assert r.status_code == 201
    assert keys.parse(r.get_json()["secret"]) == keys.ParsedKey("publishable", False)


def test_other_accounts_keys_are_missing(account, make_account):
    other = make_account()
    key_id = key_id_of(other, other.secret_key)
    for r in (account.client.get(f"/sandbox/keys/{key_id}", headers=account.session_auth),
              revoke(account, key_id), roll(account, key_id)):
        assert_error(r, 404, code="resource_missing", param="id",
                     message=f"No such api_key: '{key_id}'")
    assert other.get("/v1/customers").status_code == 200


def test_lifecycle_is_audited_without_keys(app, account):
    from payground.extensions import db
    from payground.models import AuditEvent

    key_id = key_id_of(account, account.secret_key)
    new = roll(account, key_id, expires_in=60).get_json()
    revoke(account, new["id"])
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(
            AuditEvent.account_id == account.account_id).order_by(AuditEvent.id)).scalars().all()
        assert [(e.type, e.key_id) for e in events] == [("api_key.rolled", key_id),
                                                       ("api_key.revoked", new["id"])]
        assert all(account.secret_key not in repr(e.data) for e in events)


def test_ip_allowlist(account, client):
    secret = create(account, type="secret", ip_allowlist=["10.1.0.0/16", "::1"]).get_json()["secret"]
    ok = client.get("/v1/customers", headers={"Authorization": f"Bearer {secret}"},
                    environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert ok.status_code == 200
    refused = client.get("/v1/customers", headers={"Authorization": f"Bearer {secret}"},
                         environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert_error(refused, 403, code="api_key_ip_not_allowed",
                 message=messages.IP_NOT_ALLOWED.format(address="192.0.2.7"))
    assert secret not in refused.get_data(as_text=True)


def test_last_used_is_recorded_at_most_once_a_minute(account, wall):
    def last_used():
        return account.client.get(f"/sandbox/keys/{key_id}",
                                  headers=account.session_auth).get_json()["last_used"]

    key_id = key_id_of(account, account.secret_key)
    assert last_used() is None
    start = int(wall[0])
    account.get("/v1/customers")
    assert last_used() == start
    wall[0] += 59
    account.get("/v1/customers")
    assert last_used() == start
    wall[0] += 1
    account.get("/v1/customers")
    assert last_used() == start + 60
