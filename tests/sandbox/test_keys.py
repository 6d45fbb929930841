"""/sandbox/keys: create, roll (with a grace period on the account clock), revoke."""

from __future__ import annotations

import time

from sqlalchemy import select

from payground import messages
from payground.core import keys
from tests.helpers import assert_error


def utc(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


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
                 400, code="parameter_invalid", param="permissions[1]",
                 message="Invalid permissions[1]: must be one of " + ", ".join(
                     __import__("payground.services.keys", fromlist=["x"]).PERMISSIONS))
    assert_error(create(account, type="publishable"), 400, param="type",
                 message="Invalid type: must be one of secret, restricted")
    assert_error(create(account, type="secret", permissions=["charge_read"]), 400,
                 code="parameter_invalid", param="permissions",
                 message="Only restricted keys have permissions; a secret key can do everything.")
    assert_error(create(account, type="secret", ip_allowlist=["10.0.0.0/8", "not-an-ip"]), 400,
                 code="parameter_invalid", param="ip_allowlist[1]",
                 message="Invalid IP address or range: not-an-ip")
    assert_error(create(account, type="secret", livemode=True), 400,
                 code="account_not_activated", param="livemode",
                 message="Live mode is not activated for this account: activate it first "
                         "(POST /sandbox/account/activate, `payground activate`, or Activate "
                         "live mode in the dashboard).")


def test_roll_with_a_grace_period_on_the_account_clock(account, wall):
    # `wall` freezes real time: only the account clock moves, so the hour is exact.
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
            AuditEvent.account_id == account.account_id,
            AuditEvent.type != "api_key.created")  # sign-up's keys have theirs
            .order_by(AuditEvent.id)).scalars().all()
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


def test_create_secret_key_with_expiry_on_the_account_clock(account, wall):
    now = int(wall[0])
    r = create(account, type="secret", name="ci", note="for the CI job", expires_at=now + 600)
    assert r.status_code == 201
    body = r.get_json()
    assert keys.parse(body["secret"]) == keys.ParsedKey("secret", False)
    assert "permissions" not in body
    assert (body["name"], body["note"], body["expires_at"], body["status"], body["livemode"],
            body["rolled_from"], body["revoked_at"]) == (
        "ci", "for the CI job", now + 600, "expiring", False, None, None)
    assert account.get("/v1/customers", key=body["secret"]).status_code == 200
    account.advance_clock(600)
    assert_error(account.get("/v1/customers", key=body["secret"]), 401, code="api_key_expired",
                 message=f"Expired API Key provided: {keys.mask(body['secret'])}")
    # The account clock, not the wall clock, decides what "the future" is.
    assert_error(create(account, type="secret", expires_at=now + 600), 400,
                 code="parameter_invalid", param="expires_at",
                 message="Invalid expires_at: must be in the future (account time "
                         f"{now + 600}, {utc(now + 600)}).")


def test_create_refuses_unknown_parameters_and_takes_form_bodies(account):
    r = account.client.post("/sandbox/keys", json={"type": "secret", "scope": "all"},
                            headers=account.session_auth)
    assert_error(r, 400, code="parameter_unknown", param="scope")
    r = account.client.post("/sandbox/keys", headers=account.session_auth,
                            data={"type": "restricted", "permissions[0]": "refund_write",
                                  "ip_allowlist[]": "2001:db8::/32"})
    assert r.status_code == 201, r.get_json()
    assert (r.get_json()["permissions"], r.get_json()["ip_allowlist"]) == (
        ["refund_write"], ["2001:db8::/32"])


def test_live_keys_once_activated(account):
    account.activate()
    body = create(account, type="restricted", livemode=True,
                  permissions=["balance_read"]).get_json()
    assert body["livemode"] is True and body["secret"].startswith("rk_live_")
    assert account.get("/v1/balance", key=body["secret"]).get_json()["livemode"] is True


def test_retrieve_shows_only_publishable_secrets(account):
    pk_id = key_id_of(account, account.publishable_key)
    got = account.client.get(f"/sandbox/keys/{pk_id}", headers=account.session_auth).get_json()
    assert got["secret"] == account.publishable_key and got["type"] == "publishable"
    sk_id = key_id_of(account, account.secret_key)
    got = account.client.get(f"/sandbox/keys/{sk_id}", headers=account.session_auth)
    assert "secret" not in got.get_json()
    assert account.secret_key not in got.get_data(as_text=True)
    assert_error(account.client.get("/sandbox/keys/key_nope", headers=account.session_auth),
                 404, code="resource_missing", param="id",
                 message="No such api_key: 'key_nope'")


def test_roll_inherits_everything_and_the_new_publishable_key_works(account):
    secret = account.create_key(permissions=["customer_read", "charge_write"], name="ops",
                                note="rotated monthly", ip_allowlist=["127.0.0.1"])
    old_id = account.key_id(secret)
    new = roll(account, old_id, expires_in=604800).get_json()
    assert new["secret"].startswith("rk_test_") and new["secret"] != secret
    assert {k: new[k] for k in ("type", "livemode", "name", "note", "permissions",
                                "ip_allowlist", "rolled_from", "status", "expires_at")} == {
        "type": "restricted", "livemode": False, "name": "ops", "note": "rotated monthly",
        "permissions": ["charge_write", "customer_read"], "ip_allowlist": ["127.0.0.1"],
        "rolled_from": old_id, "status": "active", "expires_at": None}
    pk = account.roll(account.publishable_key)
    assert pk != account.publishable_key
    token = account.post("/v1/tokens", {"card[number]": "4242424242424242",
                                        "card[exp_month]": "12", "card[exp_year]": "2040",
                                        "card[cvc]": "123"}, key=pk)
    assert token.status_code == 200, token.get_json()
    assert_error(account.post("/v1/tokens", {}, key=account.publishable_key), 401,
                 code="api_key_expired",
                 message=f"Expired API Key provided: {keys.mask(account.publishable_key)}")


def test_roll_refuses_revoked_keys_and_bad_expires_in(account):
    secret = account.create_key("secret")
    account.revoke(secret)
    assert_error(roll(account, account.key_id(secret)), 400, code="api_key_not_active",
                 param="id", message=f"Only an active key can be rolled; "
                                     f"sk_test_...{secret[-4:]} is revoked.")
    key_id = key_id_of(account, account.secret_key)
    assert_error(roll(account, key_id, expires_in=-1), 400, code="parameter_invalid_integer",
                 param="expires_in", message="This value must be greater than or equal to 0.")
    assert_error(roll(account, key_id, expires_in=60, extra=1), 400, code="parameter_unknown",
                 param="extra")


def test_roll_an_expiring_key_is_refused(account):
    key_id = key_id_of(account, account.secret_key)
    assert roll(account, key_id, expires_in=60).status_code == 201
    assert_error(roll(account, key_id, expires_in=60), 400, code="api_key_not_active",
                 param="id", message=f"Only an active key can be rolled; "
                                     f"sk_test_...{account.secret_key[-4:]} is expiring.")


def test_a_key_created_with_an_expiry_can_be_rolled(account, wall):
    now = int(wall[0])
    body = create(account, type="secret", name="ci", expires_at=now + 600).get_json()
    # A grace period longer than the key had left does not extend it.
    r = roll(account, body["id"], expires_in=3600)
    assert r.status_code == 201, r.get_json()
    old = account.client.get(f"/sandbox/keys/{body['id']}",
                             headers=account.session_auth).get_json()
    assert (old["status"], old["expires_at"]) == ("expiring", now + 600)
    assert account.get("/v1/customers", key=r.get_json()["secret"]).status_code == 200
    # Rolled once, it has a successor: rolling it again is refused.
    assert_error(roll(account, body["id"], expires_in=60), 400, code="api_key_not_active",
                 param="id", message=f"Only an active key can be rolled; "
                                     f"sk_test_...{body['secret'][-4:]} is expiring.")


def test_expires_at_beyond_2038_is_refused(account):
    assert_error(create(account, type="secret", expires_at=2**31), 400,
                 code="parameter_invalid_integer", param="expires_at",
                 message="This value must be less than or equal to 2147483647.")


def test_revoked_object_and_sessions_only(account, wall):
    secret = account.create_key("secret")
    body = account.revoke(secret)
    assert (body["status"], body["revoked_at"]) == ("revoked", int(wall[0]))
    # API keys cannot manage keys: that takes the account's session.
    r = account.client.post(f"/sandbox/keys/{body['id']}/revoke", headers=account.auth())
    assert r.status_code == 401


def test_every_lifecycle_step_and_refused_use_is_audited(app, account):
    from payground.extensions import db
    from payground.models import AuditEvent

    created = create(account, type="restricted", permissions=["customer_read"])
    secret, key_id = created.get_json()["secret"], created.get_json()["id"]
    rolled = roll(account, key_id, expires_in=0)
    new, new_id = rolled.get_json()["secret"], rolled.get_json()["id"]
    expired = account.get("/v1/customers", key=secret)
    revoked_now = revoke(account, new_id)
    revoked = account.get("/v1/customers", key=new)
    assert expired.status_code == revoked.status_code == 401
    with app.app_context():
        events = db.session.execute(select(AuditEvent).where(
            AuditEvent.account_id == account.account_id,
            AuditEvent.key_id.in_([key_id, new_id])).order_by(AuditEvent.id)).scalars().all()
        # Changes made with the session name their request too (its answer's Request-Id).
        assert [(e.type, e.key_id, e.request_id) for e in events] == [
            ("api_key.created", key_id, created.headers["Request-Id"]),
            ("api_key.rolled", key_id, rolled.headers["Request-Id"]),
            ("api_key.expired_used", key_id, expired.headers["Request-Id"]),
            ("api_key.revoked", new_id, revoked_now.headers["Request-Id"]),
            ("api_key.revoked_used", new_id, revoked.headers["Request-Id"])]
        assert {e.client_ip for e in events} == {"127.0.0.1"}
        assert events[2].key_redacted == f"rk_test_...{secret[-4:]}"
        text = repr([(e.data, e.key_redacted) for e in events])
        assert secret not in text and new not in text
