"""Schema upgrades: from every earlier version with its data, by several processes at once,
killed midway; and the databases refused (a newer version's, another application's).

Runs on its own database (a fresh SQLite file, or a fresh PostgreSQL schema when the suite
runs on PostgreSQL), because it takes the shared tables back to an older shape.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from payground.migrations import SCHEMA_VERSION as LAST
from tests.conftest import PG_URL, fresh_pg_schema

DAY = 86400


@pytest.fixture
def own_database(tmp_path):
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with fresh_pg_schema("pgmig") as url:
        yield url


def make_app(home, url, wall):
    from payground import create_app
    from payground.core.clock import Clock

    return create_app({"HOME": str(home), "DATABASE_URL": url, "TESTING": True,
                       "RATE_LIMITS": "off", "SECRET": "migration-pepper",
                       "PASSWORD_COST": 2**8, "CLOCK": Clock(wall=lambda: wall[0]),
                       # Each log row at once: nothing may be written after the downgrade.
                       "REQUEST_LOG_FLUSH_MS": 0})


def signed_up(tmp_path, url, wall, email: str):
    """An app on a fresh home, its test client, and the signup's response body."""
    app = make_app(tmp_path / "home", url, wall)
    client = app.test_client()
    body = client.post("/sandbox/signup", json={"email": email,
                                                "password": "an old password 1"}).get_json()
    return app, client, body


def downgrade_to_version_1(engine) -> None:
    """What version 1 left behind: no charge columns for intents, no journals."""
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_charges_payment_intent_id"))
        for column in ("payment_intent_id", "payment_method_id"):
            conn.execute(sa.text(f"ALTER TABLE charges DROP COLUMN {column}"))
        for table in ("ledger_entries", "ledger_journals", "ledger_balances", "ledger_schedule"):
            conn.execute(sa.text(f"DELETE FROM {table}"))
        # Version 2 had no webhooks: no count on accounts, no tables (dropped, recreated).
        conn.execute(sa.text("ALTER TABLE accounts DROP COLUMN webhook_endpoint_count"))
        # Nor leak drills (the table came with version 4, the count on accounts with 5).
        conn.execute(sa.text("ALTER TABLE accounts DROP COLUMN open_drills"))
        conn.execute(sa.text("DROP TABLE leak_drills"))
        # Nor spent form nonces (a table of its own, no upgrade step: made at start-up).
        conn.execute(sa.text("DROP TABLE used_form_nonces"))
        for table in ("webhook_deliveries", "webhook_endpoints"):
            conn.execute(sa.text(f"DROP TABLE {table}"))
        # ... and version 3's endpoints, recreated without version 4's secret-roll columns.
        conn.execute(sa.text("CREATE TABLE webhook_endpoints (id VARCHAR(64) PRIMARY KEY, "
                             "account_id VARCHAR(40) NOT NULL, livemode BOOLEAN NOT NULL, "
                             "created INTEGER NOT NULL, url VARCHAR(2048) NOT NULL, "
                             "description VARCHAR(5000), enabled_events JSON NOT NULL, "
                             "status VARCHAR(16) NOT NULL, api_version VARCHAR(32), "
                             "metadata JSON NOT NULL, deleted BOOLEAN NOT NULL)"))
        # ... and version 6's and 8's intent columns.
        for column in ("statement_descriptor_suffix", "setup_future_usage", "shipping",
                       "payment_method_options"):
            conn.execute(sa.text(f"ALTER TABLE payment_intents DROP COLUMN {column}"))
        conn.execute(sa.text("UPDATE payground_schema SET version = 1"))


def test_leak_drills_started_before_version_5_are_counted(tmp_path, own_database, wall):
    from payground.extensions import db

    app, client, body = signed_up(tmp_path, own_database, wall, "drill@example.com")
    session = {"Authorization": f"Bearer {body['session']}"}
    listed = client.get("/sandbox/keys", headers=session).get_json()["data"]
    key_id = next(k["id"] for k in listed if k["type"] == "secret")
    drill = client.post("/sandbox/leak_drills", json={"key": key_id}, headers=session)
    assert drill.status_code == 201, drill.get_json()
    with app.app_context():  # version 4 had the drills table, not the count
        with db.engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE accounts DROP COLUMN open_drills"))
            conn.execute(sa.text("UPDATE payground_schema SET version = 4"))
        db.engine.dispose()

    upgraded = make_app(tmp_path / "home", own_database, wall)
    client = upgraded.test_client()
    wall[0] += 300
    auth = {"Authorization": f"Bearer {body['keys']['secret']}"}
    assert len(client.get("/v1/charges", headers=auth).get_json()["data"]) == 5
    with upgraded.app_context():
        count = db.session.execute(sa.text("SELECT open_drills FROM accounts")).scalar()
        db.session.remove()
        db.engine.dispose()
    assert count == 1  # the bots are still at it


def test_version_1_database_upgrades_with_its_money(tmp_path, own_database, wall):
    from payground.extensions import db
    from payground.migrations import SCHEMA_VERSION

    app, client, body = signed_up(tmp_path, own_database, wall, "old@example.com")
    auth = {"Authorization": f"Bearer {body['keys']['secret']}"}
    paid = client.post("/v1/charges", headers=auth, data={
        "amount": 10000, "currency": "usd", "source": "tok_bypassPending"}).get_json()
    client.post("/v1/charges", headers=auth,
                data={"amount": 2000, "currency": "usd", "source": "tok_visa"})
    client.post("/v1/refunds", headers=auth, data={"charge": paid["id"], "amount": 1000})
    balance = client.get("/v1/balance", headers=auth).get_json()
    with app.app_context():
        downgrade_to_version_1(db.engine)
        db.engine.dispose()

    upgraded = make_app(tmp_path / "home", own_database, wall)
    client = upgraded.test_client()
    with upgraded.app_context():
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("charges")}
        account_columns = {c["name"] for c in sa.inspect(db.engine).get_columns("accounts")}
        tables = set(sa.inspect(db.engine).get_table_names())
        endpoint_columns = {c["name"] for c in
                            sa.inspect(db.engine).get_columns("webhook_endpoints")}
        intent_columns = {c["name"] for c in
                          sa.inspect(db.engine).get_columns("payment_intents")}
        version = db.session.execute(sa.text("SELECT version FROM payground_schema")).scalar()
    assert {"payment_intent_id", "payment_method_id"} <= columns
    assert {"webhook_endpoint_count", "open_drills"} <= account_columns
    assert {"webhook_endpoints", "webhook_deliveries", "leak_drills", "used_form_nonces"} <= tables
    assert {"secret_generation", "previous_secret_expires_at"} <= endpoint_columns
    assert {"statement_descriptor_suffix", "setup_future_usage", "shipping",
            "payment_method_options"} <= intent_columns
    assert version == SCHEMA_VERSION
    assert client.get("/v1/balance", headers=auth).get_json() == balance
    intent = client.post("/v1/payment_intents", headers=auth, data={
        "amount": 500, "currency": "usd", "payment_method": "pm_card_visa", "confirm": "true",
        "payment_method_options[card][request_three_d_secure]": "any"})
    assert intent.get_json()["status"] == "succeeded", intent.get_json()
    wall[0] += 2 * DAY
    report = client.get("/sandbox/ledger/verify",
                        headers={"Authorization": f"Bearer {body['session']}"}).get_json()
    assert (report["ok"], report["problems"]) == (True, [])
    available = client.get("/v1/balance", headers=auth).get_json()["available"][0]["amount"]
    # 9680 + 1912 net of fees, less the 1000 refund, plus the intent's 500 - 45 fee.
    assert available == 9680 + 1912 - 1000 + 455
    with upgraded.app_context():
        db.engine.dispose()


def test_signing_secrets_version_3_saved_for_replays_are_withheld(tmp_path, own_database,
                                                                  wall):
    from payground.core.webhooks import endpoint_secret
    from payground.extensions import db

    app, client, body = signed_up(tmp_path, own_database, wall, "hooks@example.com")
    auth = {"Authorization": f"Bearer {body['keys']['secret']}", "Idempotency-Key": "hook-1"}
    params = {"url": "https://example.com/hooks", "enabled_events[]": "charge.succeeded"}
    created = client.post("/v1/webhook_endpoints", headers=auth, data=params)
    assert created.status_code == 200, created.get_json()
    secret = created.get_json()["secret"]
    assert secret == endpoint_secret("migration-pepper", created.get_json()["id"])
    with app.app_context():  # version 3 saved the answer as sent, secret and all
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE idempotency_records SET body = :body"),
                         {"body": created.get_data(as_text=True)})
            conn.execute(sa.text("UPDATE payground_schema SET version = 6"))
        db.engine.dispose()

    upgraded = make_app(tmp_path / "home", own_database, wall)
    client = upgraded.test_client()
    with upgraded.app_context():
        saved = db.session.execute(sa.text("SELECT body FROM idempotency_records")).scalar()
        db.session.remove()
    replay = client.post("/v1/webhook_endpoints", headers=auth, data=params)
    with upgraded.app_context():
        db.engine.dispose()
    assert "whsec_" in saved and secret not in saved
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.data == created.data  # byte for byte, as first sent


def test_idempotency_keys_saved_before_version_14_still_refuse_another_endpoint(
        tmp_path, own_database, wall):
    """Version 14 keeps a key's first path, for Stripe's message naming both paths; a key
    saved before has none, and sent to another path gets the message for other parameters."""
    from payground import messages
    from payground.extensions import db
    from payground.migrations import SCHEMA_VERSION, UPGRADES
    from tests.helpers import assert_error
    from tests.schema_history import downgrade

    def paths_column(engine):
        column, = (c for c in sa.inspect(engine).get_columns("idempotency_records")
                   if c["name"] == "path")
        return column["type"].length, column["nullable"]

    app, client, body = signed_up(tmp_path, own_database, wall, "paths@example.com")
    auth = {"Authorization": f"Bearer {body['keys']['secret']}"}
    first = client.post("/v1/customers", headers={**auth, "Idempotency-Key": "old-key"},
                        data={"email": "jo@example.com"})
    assert first.status_code == 200, first.get_json()
    with app.app_context():
        # A database made at version 14 has the column, as the model declares it.
        fresh = paths_column(db.engine)
        downgrade(db.engine, 13, app.config["SECRET"])
        db.engine.dispose()

    upgraded = make_app(tmp_path / "home", own_database, wall)
    client = upgraded.test_client()
    old = client.post("/v1/charges", headers={**auth, "Idempotency-Key": "old-key"},
                      data={"email": "jo@example.com"})
    replay = client.post("/v1/customers", headers={**auth, "Idempotency-Key": "old-key"},
                         data={"email": "jo@example.com"})
    client.post("/v1/customers", headers={**auth, "Idempotency-Key": "new-key"},
                data={"email": "jo@example.com"})
    new = client.post("/v1/charges", headers={**auth, "Idempotency-Key": "new-key"},
                      data={"email": "jo@example.com"})
    with upgraded.app_context():
        version = db.session.execute(sa.text("SELECT version FROM payground_schema")).scalar()
        db.session.remove()
        upgraded_column = paths_column(db.engine)
        with db.engine.begin() as conn:
            UPGRADES[14](conn)  # a second run (two workers upgrading) changes nothing
        again = paths_column(db.engine)
        db.engine.dispose()
    assert version == SCHEMA_VERSION
    assert fresh == upgraded_column == again == (1024, True)
    assert (replay.status_code, replay.data) == (200, first.data)
    assert_error(old, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_MISMATCH.format(key="old-key"))
    assert_error(new, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_OTHER_ENDPOINT.format(
                     path="/v1/charges", original="/v1/customers", key="new-key"))


def test_keys_made_before_version_15_are_no_ones_oauth_token(tmp_path, own_database, wall):
    """Version 15 lets an API key be a Connect OAuth access token (``connection_id``); keys
    made before are no connection's: they work, roll and revoke as before, listed with
    ``"connection": null``. The OAuth tables are new ones, made at start-up."""
    from payground.extensions import db
    from payground.migrations import SCHEMA_VERSION, UPGRADES
    from tests.schema_history import downgrade

    app, client, body = signed_up(tmp_path, own_database, wall, "tokens@example.com")
    with app.app_context():
        downgrade(db.engine, 14, app.config["SECRET"])
        db.engine.dispose()

    upgraded = make_app(tmp_path / "home", own_database, wall)
    client = upgraded.test_client()
    session = {"Authorization": f"Bearer {body['session']}"}
    auth = {"Authorization": f"Bearer {body['keys']['secret']}"}
    listed = client.get("/sandbox/keys", headers=session).get_json()["data"]
    charges = client.get("/v1/charges", headers=auth)
    saved = client.post("/sandbox/connect", headers=session, json={
        "name": "Acme Analytics", "redirect_uris": ["https://example.com/callback"]})
    secret_id = next(k["id"] for k in listed if k["type"] == "secret")
    rolled = client.post(f"/sandbox/keys/{secret_id}/roll", headers=session,
                         json={"expires_in": 0})
    with upgraded.app_context():
        inspector = sa.inspect(db.engine)
        column, = (c for c in inspector.get_columns("api_keys") if c["name"] == "connection_id")
        indexes = {i["name"] for i in inspector.get_indexes("api_keys")}
        tables = set(inspector.get_table_names())
        version = db.session.execute(sa.text("SELECT version FROM payground_schema")).scalar()
        db.session.remove()
        with db.engine.begin() as conn:
            UPGRADES[15](conn)  # a second run (two workers upgrading) changes nothing
        db.engine.dispose()
    assert version == SCHEMA_VERSION
    assert (column["nullable"], column["type"].length) == (True, 64)
    assert "ix_api_keys_connection_id" in indexes
    assert {"connect_applications", "oauth_connections", "oauth_codes",
            "oauth_refresh_tokens"} <= tables
    assert [k["connection"] for k in listed] == [None, None]
    assert charges.status_code == 200
    assert saved.status_code == 200, saved.get_json()
    assert rolled.status_code == 201, rolled.get_json()


# (version taken back to, the upgrade step run twice, what its tokens gain, a read it opens)
TOKEN_GRANTS = [(21, 22, ("accounts_kyc_basic_read", "setup_intent_read"), "/v1/account"),
                (24, 25, ("setup_intent_read",), "/v1/setup_intents")]


@pytest.mark.parametrize("version,step,gained,path", TOKEN_GRANTS)
def test_read_only_tokens_issued_before_a_new_read_permission_get_it(
        tmp_path, own_database, wall, version, step, gained, path):
    """Version 22: ``GET /v1/account`` needs ``accounts_kyc_basic_read``; version 25:
    ``/v1/setup_intents`` need ``setup_intent_read``. A ``read_only`` OAuth access token holds
    every ``*_read`` from its issue on: one issued before and still working gets the new one;
    a revoked one (its account disconnected) keeps what it held, as the keys page lists it; a
    restricted key made by hand keeps the permissions chosen for it."""
    from urllib.parse import urlencode

    from payground.extensions import db
    from payground.migrations import SCHEMA_VERSION, UPGRADES
    from tests.oauth_flow import Browser
    from tests.schema_history import downgrade

    password = "an old password 1"
    app, client, platform = signed_up(tmp_path, own_database, wall, "platform@example.com")
    application = client.post("/sandbox/connect", json={
        "name": "Acme", "redirect_uris": ["http://localhost:8000/callback"]},
        headers={"Authorization": f"Bearer {platform['session']}"}).get_json()

    def connected(email: str) -> tuple[dict, str]:
        """``email`` signed up and connected read_only: its signup and the access token."""
        signup = client.post("/sandbox/signup", json={"email": email, "password": password})
        code = Browser(app, email, password).code(urlencode({
            "response_type": "code", "client_id": application["client_id"],
            "scope": "read_only"}))
        r = client.post("/oauth/token", data={"grant_type": "authorization_code", "code": code},
                        headers={"Authorization": f"Bearer {platform['keys']['secret']}"})
        assert r.status_code == 200, r.get_json()
        return signup.get_json(), r.get_json()["access_token"]

    business, token = connected("business@example.com")
    gone, gone_token = connected("gone@example.com")
    r = client.post("/oauth/deauthorize", data={
        "client_id": application["client_id"], "stripe_user_id": gone["account"]["id"]},
        headers={"Authorization": f"Bearer {platform['keys']['secret']}"})
    assert r.status_code == 200, r.get_json()
    reader = client.post("/sandbox/keys", json={"type": "restricted", "name": "reader",
                                                "permissions": ["charge_read"]},
                         headers={"Authorization": f"Bearer {business['session']}"})
    reader = reader.get_json()["secret"]

    def held() -> dict[str, list[str]]:
        """Each restricted key's permissions, by its owner (``reader`` for the hand-made)."""
        rows = db.session.execute(sa.text(
            "SELECT account_id, name, revoked_at, permissions FROM api_keys "
            "WHERE type = 'restricted'").columns(permissions=sa.JSON)).all()
        db.session.remove()
        owners = {business["account"]["id"]: "token", gone["account"]["id"]: "revoked"}
        found = {("reader" if row.name == "reader" else owners[row.account_id]): row
                 for row in rows}
        assert found["revoked"].revoked_at is not None and found["token"].revoked_at is None
        return {owner: row.permissions for owner, row in found.items()}

    with app.app_context():
        downgrade(db.engine, version, app.config["SECRET"])
        old = held()
        db.engine.dispose()

    upgraded = make_app(tmp_path / "home", own_database, wall)
    client = upgraded.test_client()
    read = client.get(path, headers={"Authorization": f"Bearer {token}"})
    refused = client.get(path, headers={"Authorization": f"Bearer {reader}"})
    revoked = client.get(path, headers={"Authorization": f"Bearer {gone_token}"})
    with upgraded.app_context():
        new = held()
        with db.engine.begin() as conn:
            UPGRADES[step](conn)  # a second run (two workers upgrading) changes nothing
        again = held()
        upgraded_to = db.session.execute(
            sa.text("SELECT version FROM payground_schema")).scalar()
        db.session.remove()
        db.engine.dispose()
    assert not set(gained) & set(old["token"]) and not set(gained) & set(old["revoked"])
    assert old["token"] == old["revoked"]  # that version's read_only tokens, alike
    assert new["token"] == sorted([*old["token"], *gained])
    assert new["revoked"] == old["revoked"]  # never to be used again: its record stays
    assert new["reader"] == old["reader"] == ["charge_read"]
    assert again == new and upgraded_to == SCHEMA_VERSION
    assert read.status_code == 200, read.get_json()
    if path == "/v1/account":
        assert read.get_json()["id"] == business["account"]["id"]
    assert refused.status_code == 403
    assert revoked.status_code == 401


def test_version_18_charges_and_customers_come_back_without_the_new_fields(
        tmp_path, own_database, wall):
    """Version 18: charges keep shipping, a descriptor suffix and a transfer group, customers
    a default payment method. Rows made before have none (shown as Stripe shows them unset);
    a second run of the step changes nothing, and new values are kept."""
    from payground.app import dispose_app
    from payground.extensions import db
    from payground.migrations import SCHEMA_VERSION, UPGRADES
    from tests.schema_history import downgrade, populate

    app = make_app(tmp_path / "home", own_database, wall)
    made = populate(app.test_client(), 18, wall)  # what version 18 can hold, set
    auth = {"Authorization": f"Bearer {made['old@example.com']['keys']['secret']}"}
    client = app.test_client()
    charged = [c for c in client.get("/v1/charges?limit=100", headers=auth).get_json()["data"]
               if c["transfer_group"]]
    customer = client.get("/v1/customers", headers=auth).get_json()["data"][0]
    assert [c["statement_descriptor_suffix"] for c in charged] == ["ORDER 1"]
    assert customer["invoice_settings"]["default_payment_method"].startswith("pm_")
    with app.app_context():
        downgrade(db.engine, 17, app.config["SECRET"])
    dispose_app(app)

    upgraded = make_app(tmp_path / "home", own_database, wall)
    client = upgraded.test_client()
    shown = client.get(f"/v1/charges/{charged[0]['id']}", headers=auth).get_json()
    default = client.get(f"/v1/customers/{customer['id']}", headers=auth).get_json()[
        "invoice_settings"]["default_payment_method"]
    with upgraded.app_context():
        version = db.session.execute(sa.text("SELECT version FROM payground_schema")).scalar()
        db.session.remove()
        with db.engine.begin() as conn:
            UPGRADES[18](conn)  # a second run (two workers upgrading) changes nothing
    updated = client.post(f"/v1/charges/{charged[0]['id']}", headers=auth,
                          data={"transfer_group": "order-1"}).get_json()
    dispose_app(upgraded)
    assert version == SCHEMA_VERSION
    assert (shown["shipping"], shown["statement_descriptor_suffix"], shown["transfer_group"],
            shown["calculated_statement_descriptor"], default) == (
        None, None, None, "PAYGROUND", None)
    assert updated["transfer_group"] == "order-1"


def test_version_19_payment_methods_charged_before_show_their_address_checks(
        tmp_path, own_database, wall):
    """Version 19: a payment method charged before the upgrade shows the issuer's answer to its
    address checks (the upgrade marks it), one never charged still ``unchecked``; intents made
    before have no transfer group, and one can be given after (a second run changes nothing)."""
    from payground.app import dispose_app
    from payground.extensions import db
    from payground.migrations import SCHEMA_VERSION, UPGRADES
    from tests.schema_history import downgrade, populate

    app = make_app(tmp_path / "home", own_database, wall)
    made = populate(app.test_client(), 19, wall)
    auth = {"Authorization": f"Bearer {made['old@example.com']['keys']['secret']}"}
    client = app.test_client()
    methods = [m for m in client.get("/v1/payment_methods?limit=100", headers=auth).get_json()[
        "data"] if m["billing_details"]["address"]["postal_code"]]
    grouped = [i for i in client.get("/v1/payment_intents?limit=100", headers=auth).get_json()[
        "data"] if i["transfer_group"]]
    assert [m["card"]["checks"]["address_postal_code_check"] for m in methods] == [
        "unchecked", "pass"]  # newest first: the one not charged, then the charged one
    assert [i["transfer_group"] for i in grouped] == ["order-19"]
    with app.app_context():
        downgrade(db.engine, 18, app.config["SECRET"])
    dispose_app(app)

    upgraded = make_app(tmp_path / "home", own_database, wall)
    client = upgraded.test_client()
    checks = [client.get(f"/v1/payment_methods/{m['id']}", headers=auth).get_json()["card"][
        "checks"]["address_postal_code_check"] for m in methods]
    intent = client.get(f"/v1/payment_intents/{grouped[0]['id']}", headers=auth).get_json()
    with upgraded.app_context():
        version = db.session.execute(sa.text("SELECT version FROM payground_schema")).scalar()
        db.session.remove()
        with db.engine.begin() as conn:
            UPGRADES[19](conn)  # a second run (two workers upgrading) changes nothing
    given = client.post(f"/v1/payment_intents/{intent['id']}", headers=auth,
                        data={"transfer_group": "later"}).get_json()
    again = client.get(f"/v1/payment_methods/{methods[1]['id']}", headers=auth).get_json()
    dispose_app(upgraded)
    assert version == SCHEMA_VERSION
    assert checks == ["unchecked", "pass"]
    assert (intent["transfer_group"], given["transfer_group"]) == (None, "later")
    assert again["card"]["checks"]["address_postal_code_check"] == "pass"


def test_version_20_intents_and_payment_methods_learn_3d_secure(tmp_path, own_database, wall):
    """Version 21: intents and payment methods of version 20 get no authentication and are not
    set up (none of their cards could ask); afterwards a card that asks waits for the page,
    and a second run (two workers upgrading) changes nothing."""
    from payground.app import dispose_app
    from payground.extensions import db
    from payground.migrations import SCHEMA_VERSION, UPGRADES
    from tests.schema_history import downgrade

    app, client, body = signed_up(tmp_path, own_database, wall, "3ds@example.com")
    auth = {"Authorization": f"Bearer {body['keys']['secret']}"}
    old = client.post("/v1/payment_intents", headers=auth, data={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
        "confirm": "true"}).get_json()
    with app.app_context():
        downgrade(db.engine, 20, app.config["SECRET"])
    dispose_app(app)

    upgraded = make_app(tmp_path / "home", own_database, wall)
    client = upgraded.test_client()
    with upgraded.app_context():
        columns = {table: {c["name"] for c in sa.inspect(db.engine).get_columns(table)}
                   for table in ("payment_intents", "payment_methods")}
        version = db.session.execute(sa.text("SELECT version FROM payground_schema")).scalar()
        set_up = db.session.execute(sa.text("SELECT set_up FROM payment_methods")).scalars().all()
        db.session.remove()
        with db.engine.begin() as conn:
            UPGRADES[21](conn)
    seen = client.get(f"/v1/payment_intents/{old['id']}", headers=auth).get_json()
    waiting = client.post("/v1/payment_intents", headers=auth, data={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_authenticationRequired",
        "confirm": "true"}).get_json()
    dispose_app(upgraded)
    assert version == SCHEMA_VERSION
    assert "authentication" in columns["payment_intents"] and "set_up" in columns[
        "payment_methods"]
    assert [bool(value) for value in set_up] == [False]
    assert (seen["status"], seen["next_action"]) == ("succeeded", None)
    assert (waiting["status"], waiting["next_action"]["type"]) == ("requires_action",
                                                                    "use_stripe_sdk")


def test_version_22_authentications_waiting_learn_whose_method_they_hold(tmp_path, own_database,
                                                                         wall):
    """Version 23: an authentication version 22 left waiting learns whose payment method it
    holds, so a customer's method detached after the upgrade is spent for good, as one
    detached while a new authentication waits (``services.three_d_secure``); a method that
    had no customer is saved by completing as before. A second run changes nothing."""
    from payground import messages
    from payground.app import dispose_app
    from payground.extensions import db
    from payground.migrations import UPGRADES
    from tests.helpers import assert_error
    from tests.schema_history import downgrade

    app, client, body = signed_up(tmp_path, own_database, wall, "held@example.com")
    auth = {"Authorization": f"Bearer {body['keys']['secret']}"}
    customer = client.post("/v1/customers", headers=auth).get_json()["id"]
    saved = client.post("/v1/payment_methods/pm_card_authenticationRequired/attach",
                        headers=auth, data={"customer": customer}).get_json()["id"]
    waiting = {}
    for name, method in (("saved", saved), ("single", "pm_card_authenticationRequired")):
        waiting[name] = client.post("/v1/payment_intents", headers=auth, data={
            "amount": 2000, "currency": "usd", "customer": customer, "payment_method": method,
            "confirm": "true", "setup_future_usage": "off_session"}).get_json()
        assert waiting[name]["status"] == "requires_action", waiting[name]
    single = waiting["single"]["payment_method"]
    with app.app_context():
        downgrade(db.engine, 22, app.config["SECRET"])
        with db.engine.begin() as conn:  # as version 22 recorded them: no "customer"
            rows = conn.execute(sa.text("SELECT id, authentication FROM payment_intents")
                                .columns(authentication=sa.JSON)).all()
            for row in rows:
                conn.execute(sa.text("UPDATE payment_intents SET authentication = :a "
                                     "WHERE id = :id").bindparams(
                    sa.bindparam("a", type_=sa.JSON)), {
                    "a": {k: v for k, v in row.authentication.items() if k != "customer"},
                    "id": row.id})
    dispose_app(app)

    upgraded = make_app(tmp_path / "home", own_database, wall)
    client = upgraded.test_client()
    with upgraded.app_context():
        learned = dict(db.session.execute(sa.text(
            "SELECT payment_method_id, authentication FROM payment_intents")
            .columns(authentication=sa.JSON)).all())
        db.session.remove()
        with db.engine.begin() as conn:
            UPGRADES[23](conn)  # a second run (two workers upgrading) changes nothing
        again = dict(db.session.execute(sa.text(
            "SELECT payment_method_id, authentication FROM payment_intents")
            .columns(authentication=sa.JSON)).all())
        db.session.remove()
    detached = client.post(f"/v1/payment_methods/{saved}/detach", headers=auth)
    refused = client.post(f"/v1/payment_intents/{waiting['saved']['id']}/confirm",
                          headers=auth)
    for pi in waiting.values():
        path, token = pi["next_action"]["use_stripe_sdk"]["stripe_js"].split("?token=")
        answered = client.post(path[path.index("/3d_secure/"):],
                               data={"token": token, "action": "complete"})
        assert answered.status_code == 200, answered.get_data(as_text=True)
    paid = {name: client.get(f"/v1/payment_intents/{pi['id']}", headers=auth).get_json()
            for name, pi in waiting.items()}
    methods = {name: client.get(f"/v1/payment_methods/{method}", headers=auth).get_json()
               for name, method in (("saved", saved), ("single", single))}
    dispose_app(upgraded)
    assert (learned[saved]["customer"], learned[single]["customer"]) == (customer, None)
    assert again == learned
    assert detached.status_code == 200
    assert_error(refused, 400, type="invalid_request_error", param="payment_method",
                 message=messages.PAYMENT_METHOD_SPENT)
    assert [paid[name]["status"] for name in ("saved", "single")] == ["succeeded"] * 2
    # The detached one stays detached; the one without a customer is saved to it, as ever.
    assert (methods["saved"]["customer"], methods["single"]["customer"]) == (None, customer)


def test_version_23_payment_methods_can_be_redisplayed_once_upgraded(tmp_path, own_database,
                                                                    wall):
    """Version 24: payment methods of version 23 show ``allow_redisplay: unspecified``, as they
    did, and can then be updated; a second run (two workers upgrading) changes nothing."""
    from payground.app import dispose_app
    from payground.extensions import db
    from payground.migrations import SCHEMA_VERSION, UPGRADES
    from tests.schema_history import downgrade

    app, client, body = signed_up(tmp_path, own_database, wall, "redisplay@example.com")
    auth = {"Authorization": f"Bearer {body['keys']['secret']}"}
    customer = client.post("/v1/customers", headers=auth).get_json()["id"]
    method = client.post("/v1/payment_methods/pm_card_visa/attach", headers=auth,
                         data={"customer": customer}).get_json()
    with app.app_context():
        downgrade(db.engine, 23, app.config["SECRET"])
    dispose_app(app)

    upgraded = make_app(tmp_path / "home", own_database, wall)
    client = upgraded.test_client()
    with upgraded.app_context():
        version = db.session.execute(sa.text("SELECT version FROM payground_schema")).scalar()
        db.session.remove()
        with db.engine.begin() as conn:
            UPGRADES[24](conn)
    seen = client.get(f"/v1/payment_methods/{method['id']}", headers=auth).get_json()
    changed = client.post(f"/v1/payment_methods/{method['id']}", headers=auth,
                          data={"allow_redisplay": "always"}).get_json()
    dispose_app(upgraded)
    assert version == SCHEMA_VERSION
    assert seen == method and seen["allow_redisplay"] == "unspecified"
    assert changed["allow_redisplay"] == "always"


def test_version_26_decline_after_attaching_cards_can_be_set_up_once_upgraded(
        tmp_path, own_database, wall):
    """Version 27: Stripe's ``4000000000000341`` ("Decline after attaching") is a class of its
    own, which a SetupIntent sets up and every charge declines; rows made before kept it as
    0002's (``generic_decline``), which a SetupIntent declines. Its payment methods, tokens and
    charges learn the new class, so an old one is set up as a new one is (and still declined
    when charged); 0002's stay as they were. A second run (two workers) changes nothing."""
    from payground.app import dispose_app
    from payground.extensions import db
    from payground.migrations import SCHEMA_VERSION, UPGRADES
    from tests.schema_history import downgrade

    app, client, body = signed_up(tmp_path, own_database, wall, "decline@example.com")
    auth = {"Authorization": f"Bearer {body['keys']['secret']}"}
    public = {"Authorization": f"Bearer {body['keys']['publishable']}"}
    customer = client.post("/v1/customers", headers=auth).get_json()["id"]
    attached = client.post("/v1/payment_methods/pm_card_chargeCustomerFail/attach",
                           headers=auth, data={"customer": customer}).get_json()["id"]
    declines = client.post("/v1/payment_methods", headers=auth, data={
        "type": "card", "card[number]": "4000000000000002", "card[exp_month]": "12",
        "card[exp_year]": "2040"}).get_json()["id"]
    token = client.post("/v1/tokens", headers=public, data={
        "card[number]": "4000000000000341", "card[exp_month]": "12",
        "card[exp_year]": "2040"}).get_json()["id"]
    charged = client.post("/v1/charges", headers=auth, data={
        "amount": 500, "currency": "usd", "source": "tok_chargeCustomerFail"}).get_json()
    with app.app_context():
        downgrade(db.engine, 26, app.config["SECRET"])
        old = db.session.execute(sa.text(
            "SELECT card_outcome FROM payment_methods WHERE id = :id"),
            {"id": attached}).scalar()
        db.session.remove()
    dispose_app(app)

    upgraded = make_app(tmp_path / "home", own_database, wall)
    client = upgraded.test_client()
    with upgraded.app_context():
        version = db.session.execute(sa.text("SELECT version FROM payground_schema")).scalar()
        db.session.remove()
        with db.engine.begin() as conn:
            UPGRADES[27](conn)
            classes = {table: conn.execute(sa.text(
                f"SELECT DISTINCT card_outcome FROM {table} WHERE last4 = '0341'")).scalars()
                .all() for table in ("payment_methods", "tokens", "charges")}
            still = conn.execute(sa.text("SELECT card_outcome FROM payment_methods "
                                         "WHERE id = :id"), {"id": declines}).scalar()
    set_up = client.post("/v1/setup_intents", headers=auth, data={
        "customer": customer, "payment_method": attached, "confirm": "true"})
    paid = client.post("/v1/payment_intents", headers=auth, data={
        "amount": 2000, "currency": "usd", "customer": customer, "payment_method": attached,
        "confirm": "true"})
    from_token = client.post("/v1/payment_methods", headers=auth, data={
        "type": "card", "card[token]": token}).get_json()["id"]
    token_set_up = client.post("/v1/setup_intents", headers=auth, data={
        "payment_method": from_token, "confirm": "true"})
    refused = client.post("/v1/setup_intents", headers=auth, data={
        "payment_method": declines, "confirm": "true"})
    seen = client.get(f"/v1/charges/{charged['error']['charge']}", headers=auth).get_json()
    dispose_app(upgraded)
    assert (old, version) == ("generic_decline", SCHEMA_VERSION)
    assert classes == {"payment_methods": ["charge_customer_fail"],
                       "tokens": ["charge_customer_fail"],
                       "charges": ["charge_customer_fail"]}
    assert still == "generic_decline"
    assert (set_up.status_code, set_up.get_json()["status"]) == (200, "succeeded")
    assert (paid.status_code, paid.get_json()["error"]["decline_code"]) == (
        402, "generic_decline")
    assert (token_set_up.status_code, token_set_up.get_json()["status"]) == (200, "succeeded")
    assert (refused.status_code, refused.get_json()["error"]["decline_code"]) == (
        402, "generic_decline")
    assert (seen["status"], seen["outcome"]["reason"]) == ("failed", "generic_decline")


@pytest.mark.skipif(bool(PG_URL), reason="counts SQLite's own steps")
def test_version_19_marks_charged_payment_methods_in_one_pass(tmp_path):
    """Version 19's backfill reads each table once: a subquery run again for every payment
    method (charges.payment_method_id has no index) would make the upgrade of a big database
    take hours, holding its write lock. Counted in SQLite's steps, which do not depend on the
    machine's speed."""
    from payground.migrations import UPGRADES

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'big.db'}")
    rows = 3000
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE payment_methods (id VARCHAR(64) PRIMARY KEY)"))
        conn.execute(sa.text("CREATE TABLE payment_intents (id VARCHAR(64) PRIMARY KEY)"))
        conn.execute(sa.text("CREATE TABLE charges (id VARCHAR(64) PRIMARY KEY, "
                             "payment_method_id VARCHAR(64))"))
        conn.execute(sa.text("INSERT INTO payment_methods (id) VALUES (:id)"),
                     [{"id": f"pm_{n}"} for n in range(rows)])
        # Every third charge has no method (a token's); the others charge every other method.
        conn.execute(sa.text("INSERT INTO charges (id, payment_method_id) VALUES (:id, :pm)"),
                     [{"id": f"ch_{n}", "pm": None if n % 3 == 0 else f"pm_{2 * n}"}
                      for n in range(rows)])
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0  # go on

    with engine.begin() as conn:
        driver = conn.connection.driver_connection
        driver.set_progress_handler(count, 1000)
        UPGRADES[19](conn)
        driver.set_progress_handler(None, 1000)
        marked = conn.execute(sa.text(
            "SELECT count(*) FROM payment_methods WHERE card_checked")).scalar()
    engine.dispose()
    assert marked == len({2 * n for n in range(rows) if n % 3 and 2 * n < rows})
    assert steps[0] * 1000 < 100 * 2 * rows  # linear: well under 100 steps a row


def test_version_17_counts_connections_and_names_no_platform_in_old_log_rows(
        tmp_path, own_database, wall):
    """Version 17: accounts count their connections to platforms (backfilled from those not
    revoked, so their events reach the platform's Connect endpoints at once), Connect webhook
    endpoints name their application, and the request log names the platform of a request
    made through a connection; rows logged before name none."""
    from payground.app import dispose_app
    from payground.extensions import db
    from payground.migrations import SCHEMA_VERSION, UPGRADES
    from tests.oauth_flow import Browser
    from tests.schema_history import downgrade

    app, client, platform = signed_up(tmp_path, own_database, wall, "platform@example.com")
    business = client.post("/sandbox/signup", json={
        "email": "business@example.com", "password": "an old password 1"}).get_json()
    gone = client.post("/sandbox/signup", json={
        "email": "gone@example.com", "password": "an old password 1"}).get_json()
    session = {"Authorization": f"Bearer {platform['session']}"}
    client_id = client.post("/sandbox/connect", headers=session, json={
        "name": "Acme", "redirect_uris": ["http://127.0.0.1:9/cb"]}).get_json()["client_id"]
    query = f"response_type=code&client_id={client_id}&scope=read_write"
    for email in ("business@example.com", "gone@example.com"):
        Browser(app, email, "an old password 1").code(query)
    gone_connection = client.get("/sandbox/connections", headers={
        "Authorization": f"Bearer {gone['session']}"}).get_json()["data"][0]["id"]
    assert client.post(f"/sandbox/connections/{gone_connection}/revoke", headers={
        "Authorization": f"Bearer {gone['session']}"}).status_code == 200
    platform_key = {"Authorization": f"Bearer {platform['keys']['secret']}"}
    old_request = client.get("/v1/customers", headers={
        **platform_key, "Stripe-Account": business["account"]["id"]}).headers["Request-Id"]
    with app.app_context():
        downgrade(db.engine, 16, app.config["SECRET"])
    dispose_app(app)

    upgraded = make_app(tmp_path / "home", own_database, wall)
    client = upgraded.test_client()
    made = client.post("/v1/webhook_endpoints", headers=platform_key, data={
        "url": "http://127.0.0.1:9/connect", "enabled_events[]": "customer.created",
        "connect": "true"}).get_json()
    customer = client.post("/v1/customers", headers={
        "Authorization": f"Bearer {business['keys']['secret']}"}, data={}).get_json()
    new_request = client.get("/v1/customers", headers={
        **platform_key, "Stripe-Account": business["account"]["id"]}).headers["Request-Id"]
    business_session = {"Authorization": f"Bearer {business['session']}"}
    logged = {r: client.get(f"/sandbox/requests/{r}", headers=business_session).get_json()
              for r in (old_request, new_request)}
    # The attempt (nobody listens on port 9) writes its result: done before the reads below.
    assert upgraded.extensions["payground"].webhooks.wait_idle(10)
    queued = client.get("/sandbox/webhook_deliveries", headers=session).get_json()["data"]
    with upgraded.app_context():
        indexes = {i["name"] for i in sa.inspect(db.engine).get_indexes("webhook_endpoints")}
        counts = dict(db.session.execute(sa.text(
            "SELECT email, platform_connections FROM accounts")).all())
        version = db.session.execute(sa.text("SELECT version FROM payground_schema")).scalar()
        db.session.remove()
        with db.engine.begin() as conn:
            UPGRADES[17](conn)  # a second run (two workers upgrading) changes nothing
        again = dict(db.session.execute(sa.text(
            "SELECT email, platform_connections FROM accounts")).all())
        db.session.remove()
    dispose_app(upgraded)
    assert version == SCHEMA_VERSION
    assert counts == again == {"platform@example.com": 0, "business@example.com": 1,
                               "gone@example.com": 0}
    assert "ix_webhook_endpoints_application" in indexes
    assert made["application"] == client_id
    assert [(d["event"], d["event_type"], d["endpoint"]) for d in queued] == [
        (queued[0]["event"], "customer.created", made["id"])]
    assert queued[0]["event"].startswith("evt_") and customer["id"].startswith("cus_")
    assert (logged[old_request]["platform"], logged[new_request]["platform"]) == (
        None, platform["account"]["id"])


def test_version_8_money_becomes_64_bit_and_its_authorisations_expire(tmp_path, own_database,
                                                                        wall):
    from payground.extensions import db
    from payground.migrations import MONEY_COLUMNS, SCHEMA_VERSION

    app, client, body = signed_up(tmp_path, own_database, wall, "wide@example.com")
    auth = {"Authorization": f"Bearer {body['keys']['secret']}"}
    held = client.post("/v1/charges", headers=auth, data={
        "amount": 2000, "currency": "usd", "source": "tok_visa", "capture": "false"}).get_json()
    customer = client.post("/v1/customers", headers=auth, data={}).get_json()["id"]
    with app.app_context():
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # version 8's money was 32-bit there
                for table, names in MONEY_COLUMNS.items():
                    conn.execute(sa.text(f"ALTER TABLE {table} " + ", ".join(
                        f"ALTER COLUMN {name} TYPE INTEGER" for name in names)))
            # ... and it scheduled no expiry for an uncaptured charge.
            conn.execute(sa.text("DELETE FROM ledger_schedule"))
            conn.execute(sa.text("UPDATE payground_schema SET version = 8"))
        db.engine.dispose()

    upgraded = make_app(tmp_path / "home", own_database, wall)
    client = upgraded.test_client()
    with upgraded.app_context():
        inspector = sa.inspect(db.engine)
        narrow = [f"{table}.{c['name']}" for table, names in MONEY_COLUMNS.items()
                  for c in inspector.get_columns(table) if c["name"] in names
                  and not isinstance(c["type"], sa.BigInteger)]
        version = db.session.execute(sa.text("SELECT version FROM payground_schema")).scalar()
        db.session.remove()
        with db.engine.begin() as conn:  # past 2**31: PostgreSQL's INTEGER refused it
            conn.execute(sa.text("UPDATE customers SET balance = :big"), {"big": 2**40})
    assert version == SCHEMA_VERSION
    if PG_URL:  # SQLite keeps each column's declared type, and its INTEGER is 64-bit anyway
        assert narrow == []
    assert client.get(f"/v1/customers/{customer}", headers=auth).get_json()["balance"] == 2**40
    session = {"Authorization": f"Bearer {body['session']}"}
    assert client.post("/sandbox/clock/advance", json={"seconds": 7 * DAY},
                       headers=session).status_code == 200
    # The advance expired it (its schedule row was made by the upgrade), before any read.
    expired = client.get("/v1/events?type=charge.expired", headers=auth).get_json()["data"]
    assert [e["data"]["object"]["id"] for e in expired] == [held["id"]]
    after = client.get(f"/v1/charges/{held['id']}", headers=auth).get_json()
    assert (after["refunded"], after["amount_refunded"], after["captured"]) == (True, 2000, False)
    report = client.get("/sandbox/ledger/verify", headers=session).get_json()
    assert (report["ok"], report["problems"]) == (True, [])
    with upgraded.app_context():
        db.engine.dispose()


def test_form_nonces_spent_before_version_12_still_act_once(tmp_path, own_database, wall):
    """Version 12 keeps the request that spent a nonce; one spent before names none: sent
    again, its form still does nothing (the page then links to no key)."""
    from payground.extensions import db
    from payground.migrations import SCHEMA_VERSION

    app, client, body = signed_up(tmp_path, own_database, wall, "nonces@example.com")
    with app.app_context():
        with db.engine.begin() as conn:  # version 11's table: no request_id
            conn.execute(sa.text("DROP TABLE used_form_nonces"))
            conn.execute(sa.text("CREATE TABLE used_form_nonces (id VARCHAR(64) PRIMARY KEY, "
                                 "created INTEGER NOT NULL)"))
            conn.execute(sa.text("INSERT INTO used_form_nonces (id, created) VALUES "
                                 "(:id, :now)"), {"id": "a" * 32, "now": int(wall[0])})
            conn.execute(sa.text("UPDATE payground_schema SET version = 11"))
        db.engine.dispose()

    upgraded = make_app(tmp_path / "home", own_database, wall)
    from payground.services import form_nonces

    with upgraded.app_context():
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("used_form_nonces")}
        version = db.session.execute(sa.text("SELECT version FROM payground_schema")).scalar()
        with pytest.raises(form_nonces.NonceSpent):
            form_nonces.spend("a" * 32, now=int(wall[0]), request_id="req_again")
        old = form_nonces.spent("a" * 32)
        form_nonces.spend("b" * 32, now=int(wall[0]), request_id="req_new")
        db.session.commit()
        new = form_nonces.spent("b" * 32)
        found = (old.request_id, new.request_id)
        db.session.remove()
        db.engine.dispose()
    assert "request_id" in columns and version == SCHEMA_VERSION
    assert found == (None, "req_new")


def test_version_12_bank_accounts_learn_their_default_and_test_payouts_can_fail(
        tmp_path, own_database, wall):
    """Version 13: a test-mode account may choose another of Stripe's test bank accounts; a
    version 12 bank account (one per mode, by a unique index) becomes its mode's default."""
    from payground.extensions import db
    from payground.migrations import SCHEMA_VERSION

    app, client, body = signed_up(tmp_path, own_database, wall, "banks@example.com")
    auth = {"Authorization": f"Bearer {body['keys']['secret']}"}
    session = {"Authorization": f"Bearer {body['session']}"}
    client.post("/v1/charges", headers=auth, data={"amount": 10000, "currency": "usd",
                                                   "source": "tok_bypassPending"})
    old_payout = client.post("/v1/payouts", headers=auth,
                             data={"amount": 1000, "currency": "usd"}).get_json()
    with app.app_context():
        with db.engine.begin() as conn:  # version 12's bank accounts
            conn.execute(sa.text("DROP INDEX ux_bank_accounts_default"))
            for column in ("default_for_currency", "status", "payout_failure_code"):
                conn.execute(sa.text(f"ALTER TABLE bank_accounts DROP COLUMN {column}"))
            conn.execute(sa.text("CREATE UNIQUE INDEX ux_bank_accounts_mode ON bank_accounts "
                                 "(account_id, livemode)"))
            conn.execute(sa.text("UPDATE payground_schema SET version = 12"))
        db.engine.dispose()

    upgraded = make_app(tmp_path / "home", own_database, wall)
    client = upgraded.test_client()
    with upgraded.app_context():
        inspector = sa.inspect(db.engine)
        columns = {c["name"] for c in inspector.get_columns("bank_accounts")}
        indexes = {i["name"] for i in inspector.get_indexes("bank_accounts")}
        version = db.session.execute(sa.text("SELECT version FROM payground_schema")).scalar()
        db.session.remove()
    assert version == SCHEMA_VERSION
    assert {"default_for_currency", "status", "payout_failure_code"} <= columns
    assert "ux_bank_accounts_default" in indexes and "ux_bank_accounts_mode" not in indexes
    (bank,) = client.get("/sandbox/bank", headers=session).get_json()["data"]
    assert (bank["id"], bank["last4"], bank["status"]) == (
        old_payout["destination"], "6789", "new")  # still the default
    chosen = client.post("/sandbox/bank", headers=session,
                         json={"bank_account": {"account_number": "000111111116"}})
    assert chosen.status_code == 201, chosen.get_json()
    doomed = client.post("/v1/payouts", headers=auth,
                         data={"amount": 2000, "currency": "usd"}).get_json()
    wall[0] += 2 * DAY
    statuses = [client.get(f"/v1/payouts/{p['id']}", headers=auth).get_json()["status"]
                for p in (old_payout, doomed)]
    assert statuses == ["paid", "failed"]
    report = client.get("/sandbox/ledger/verify", headers=session).get_json()
    assert (report["ok"], report["problems"]) == (True, [])
    with upgraded.app_context():
        db.engine.dispose()


def test_a_database_a_newer_version_upgraded_is_refused_untouched(tmp_path, own_database, wall):
    """Run on it, this version would write rows without what the newer one keeps with them
    (as version 1 code, run on an upgraded home, made charges without journals)."""
    from payground.extensions import db
    from payground.migrations import SCHEMA_VERSION, DatabaseTooNew

    app, client, body = signed_up(tmp_path, own_database, wall, "newer@example.com")
    with app.app_context():
        with db.engine.begin() as conn:  # the newer version renamed a table, say
            conn.execute(sa.text("ALTER TABLE leak_drills RENAME TO drills"))
            conn.execute(sa.text("UPDATE payground_schema SET version = :v"),
                         {"v": SCHEMA_VERSION + 1})
        db.engine.dispose()

    with pytest.raises(DatabaseTooNew) as refused:
        make_app(tmp_path / "home", own_database, wall)

    assert str(refused.value) == (
        f"the database has been upgraded by a newer Payground (schema version "
        f"{SCHEMA_VERSION + 1}; this one knows up to {SCHEMA_VERSION}). Install the newer "
        "Payground again, or use another PAYGROUND_HOME or PAYGROUND_DATABASE_URL.")
    engine = sa.create_engine(own_database)
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("SELECT version FROM payground_schema")).scalar()
            tables = set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert version == SCHEMA_VERSION + 1
    assert "drills" in tables and "leak_drills" not in tables  # nothing made, nothing changed


def test_serve_says_in_its_log_that_it_upgraded_the_database(tmp_path, own_database, wall):
    """A host restarting a shared server on a newer Payground sees the upgrade happen: the
    line was logged before the app set up its log, so Python dropped it (an INFO record on
    a logger with no level and no handler yet)."""
    from payground.app import dispose_app
    from payground.extensions import db
    from payground.migrations import SCHEMA_VERSION
    from tests.schema_history import downgrade
    from tests.test_cli import DOMAIN, ServeProcess

    app, _, _ = signed_up(tmp_path, own_database, wall, "host@example.com")
    with app.app_context():
        downgrade(db.engine, SCHEMA_VERSION - 1, "migration-pepper")
    dispose_app(app)

    process = ServeProcess(tmp_path / "home", env={
        "PAYGROUND_DATABASE_URL": own_database, "PAYGROUND_SECRET": "migration-pepper",
        "PAYGROUND_RATE_LIMITS": "off"})
    try:
        process.signup(f"after-upgrade@{DOMAIN}")
    finally:
        out, err = process.stop()

    assert _version_of(own_database) == SCHEMA_VERSION
    upgraded = [line for line in err.splitlines() if "database upgraded" in line]
    assert [line.split(" payground ", 1)[1] for line in upgraded] == [
        f"database upgraded from schema version {SCHEMA_VERSION - 1} to {SCHEMA_VERSION}"]
    assert "database upgraded" not in out  # stdout: the "listening" line only


def _version_of(url) -> int | None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT version FROM payground_schema")).scalar()
    finally:
        engine.dispose()


def _filled_at(tmp_path, url, wall, version):
    """A database filled as ``version`` could be, taken back to it: its credentials, every
    row before the downgrade and after it, and what the API answered before."""
    from payground.app import dispose_app
    from payground.extensions import db
    from tests.schema_history import (downgrade, forget_not_kept, populate, seen_by_api,
                                      snapshot)

    app = make_app(tmp_path / "home", url, wall)
    made = populate(app.test_client(), version, wall)
    dispose_app(app)  # webhook deliveries still being tried would change rows below
    app = make_app(tmp_path / "home", url, wall)
    seen = seen_by_api(app.test_client(), made)
    with app.app_context():
        before = snapshot(db.engine)
        downgrade(db.engine, version, "migration-pepper")
        old = snapshot(db.engine)
    dispose_app(app)
    for rows in (before, old):
        rows.pop("payground_schema")
    forget_not_kept(before, version)
    return made, seen, before, old


# Every version on SQLite; on PostgreSQL (slower to set up) the oldest, which runs every step,
# the last before 64-bit money, and the last.
@pytest.mark.parametrize("version", (1, 9, LAST - 1) if PG_URL else range(1, LAST))
def test_every_earlier_version_upgrades_keeping_every_row(tmp_path, own_database, wall,
                                                          version):
    """Accounts, keys (a rolled one, a restricted one), sessions, customers, charges and
    refunds, intents, payouts and the bank account, webhook endpoints and deliveries, events,
    the request log, the audit trail, idempotent answers, the ledger and its schedule, drills:
    what each version could hold is all there after the upgrade, and served as before."""
    from payground.app import dispose_app
    from payground.extensions import db
    from payground.migrations import SCHEMA_VERSION
    from tests.schema_history import lost_or_changed, seen_by_api, snapshot

    made, seen, before, old = _filled_at(tmp_path, own_database, wall, version)
    assert _version_of(own_database) == version

    app = make_app(tmp_path / "home", own_database, wall)
    with app.app_context():
        after = snapshot(db.engine)
    after.pop("payground_schema")
    client = app.test_client()
    served = seen_by_api(client, made)
    report = client.get("/sandbox/ledger/verify", headers={
        "Authorization": f"Bearer {made['old@example.com']['session']}"}).get_json()
    dispose_app(app)

    assert _version_of(own_database) == SCHEMA_VERSION
    assert lost_or_changed(before, after) == []  # nothing lost, changed, or made twice
    # Kept as that version had them (version 7 withholds webhook secrets saved by older ones).
    kept = lost_or_changed(old, after, exact=False)
    assert [p for p in kept if not (version < 7 and p.startswith("idempotency_records"))] == []
    assert served == seen
    assert [seen[k] for k in ("secret", "rolled", "restricted")] == [[200]] * 3
    assert (report["ok"], report["problems"]) == (True, [])


# A process that builds the app once told to: ``ready`` when imported, then waits for a line.
# With a step number, that upgrade step does its work and then the process is killed (SIGKILL:
# no rollback, no clean-up; the transaction is still open); with -1, the creation of a new
# database's tables, before its schema version is written.
STARTER = """
import os, signal, sys
from payground import create_app, migrations
step = int(sys.argv[3])
if step:
    done = migrations.UPGRADES[step] if step > 0 else migrations._create_missing_tables
    def killed(*args):
        done(*args)
        os.kill(os.getpid(), signal.SIGKILL)
    if step > 0:
        migrations.UPGRADES[step] = killed
    else:
        migrations._create_missing_tables = killed
print("ready", flush=True)
sys.stdin.readline()
create_app({"HOME": sys.argv[1], "DATABASE_URL": sys.argv[2], "SECRET": "migration-pepper",
            "RATE_LIMITS": "off", "PASSWORD_COST": 256})
print("started", flush=True)
"""


# What the app logs (on stderr, merged into a starter's output): "2024-05-01 12:00:00,000 INFO
# payground database upgraded ...".
LOGGED = re.compile(r"^\S+ \S+ [A-Z]+ payground (.*)$")
RETRY = "schema being created by another process; trying again"


def _start_together(tmp_path, url, count: int, kill_in_step: int = 0):
    """``count`` processes building the app at the same moment; their exit codes, output
    (the log's lines left out) and every message logged, in the order of the processes."""
    import subprocess
    import sys

    children = [subprocess.Popen(
        [sys.executable, "-c", STARTER, str(tmp_path / "home"), url, str(kill_in_step)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(count)]
    for child in children:  # all imported: the upgrade is what they do together
        assert child.stdout.readline() == "ready\n"
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs, logged = [], []
    for child in children:
        lines = child.communicate(timeout=120)[0].splitlines(keepends=True)
        logged += [LOGGED.match(line).group(1) for line in lines if LOGGED.match(line)]
        outputs.append("".join(line for line in lines if not LOGGED.match(line)))
    return [child.returncode for child in children], outputs, logged


def test_processes_starting_together_on_an_old_database_upgrade_it_once(tmp_path, own_database,
                                                                        wall):
    """Workers or machines restarted together: one upgrades, the others wait for it and find
    the new schema; no one fails, nothing is done twice (journals backfilled, authorisations
    scheduled to expire, drills counted)."""
    from payground.migrations import SCHEMA_VERSION
    from tests.schema_history import lost_or_changed, snapshot

    made, seen, before, old = _filled_at(tmp_path, own_database, wall, 1)

    codes, outputs, logged = _start_together(tmp_path, own_database, 3)

    engine = sa.create_engine(own_database)
    after = snapshot(engine)
    engine.dispose()
    after.pop("payground_schema")
    assert (codes, outputs) == ([0] * 3, ["started\n"] * 3)
    assert [message for message in logged if message != RETRY] == [
        f"database upgraded from schema version 1 to {SCHEMA_VERSION}"]  # once, by one
    assert _version_of(own_database) == SCHEMA_VERSION
    assert lost_or_changed(before, after) == []


def test_an_upgrade_killed_midway_leaves_the_old_version_and_the_next_start_finishes(
        tmp_path, own_database, wall):
    """Every step runs in one transaction (PostgreSQL's DDL is transactional, and SQLite's
    inside the BEGIN IMMEDIATE that ``configure_sqlite`` issues): killed in the last step,
    after steps 11 and 12 wrote rows and added a column, the database is as version 10 left it."""
    from payground.migrations import SCHEMA_VERSION
    from tests.schema_history import lost_or_changed, snapshot

    made, seen, before, old = _filled_at(tmp_path, own_database, wall, 10)

    codes, outputs, logged = _start_together(tmp_path, own_database, 1, kill_in_step=SCHEMA_VERSION)

    engine = sa.create_engine(own_database)
    try:
        crashed = snapshot(engine)
        nonce_columns = {c["name"] for c in sa.inspect(engine).get_columns("used_form_nonces")}
    finally:
        engine.dispose()
    crashed.pop("payground_schema")
    assert (codes, outputs, logged) == ([-9], [""], [])
    assert _version_of(own_database) == 10
    assert "request_id" not in nonce_columns  # step 12's column went with the transaction
    assert lost_or_changed(old, crashed) == []  # ... and step 11's schedule rows

    codes, outputs, logged = _start_together(tmp_path, own_database, 1)
    engine = sa.create_engine(own_database)
    after = snapshot(engine)
    engine.dispose()
    after.pop("payground_schema")
    assert (codes, outputs) == ([0], ["started\n"])
    assert logged == [f"database upgraded from schema version 10 to {SCHEMA_VERSION}"]
    assert _version_of(own_database) == SCHEMA_VERSION
    assert lost_or_changed(before, after) == []


def test_a_failed_step_is_reported_not_retried_and_changes_nothing(tmp_path, own_database,
                                                                    wall, monkeypatch):
    from payground import migrations
    from payground.app import dispose_app
    from tests.schema_history import lost_or_changed, snapshot

    made, seen, before, old = _filled_at(tmp_path, own_database, wall, 10)
    calls = []
    expiring = migrations.UPGRADES[11]

    def failing(conn):  # a disk that filled up, say: the driver's error, as SQLAlchemy raises it
        calls.append(11)
        expiring(conn)
        raise sa.exc.OperationalError("INSERT ...", {}, OSError("disk full"))

    monkeypatch.setitem(migrations.UPGRADES, 11, failing)
    with pytest.raises(migrations.UpgradeFailed) as failed:
        make_app(tmp_path / "home", own_database, wall)

    assert str(failed.value) == (
        "upgrading the database from schema version 10 to 11 failed (OSError: disk full). "
        "Nothing was changed: it is still at version 10, and the next start tries again.")
    assert calls == [11]  # not taken for another process's work and tried three times
    engine = sa.create_engine(own_database)
    now = snapshot(engine)
    engine.dispose()
    now.pop("payground_schema")
    assert _version_of(own_database) == 10
    assert lost_or_changed(old, now) == []

    monkeypatch.setitem(migrations.UPGRADES, 11, expiring)
    dispose_app(make_app(tmp_path / "home", own_database, wall))
    engine = sa.create_engine(own_database)
    after = snapshot(engine)
    engine.dispose()
    after.pop("payground_schema")
    assert _version_of(own_database) == migrations.SCHEMA_VERSION
    assert lost_or_changed(before, after) == []


def test_another_applications_database_is_refused_untouched(tmp_path, own_database, wall):
    """Pointed at a database with other tables and no schema version, Payground adds none of
    its own (nor trusts a table that happens to share a name with one of them)."""
    from payground.migrations import NotPaygroundDatabase

    engine = sa.create_engine(own_database)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT)"))
        conn.execute(sa.text("CREATE TABLE orders (id INTEGER PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO accounts VALUES (1, 'theirs')"))
    engine.dispose()
    path = None if PG_URL else Path(own_database.removeprefix("sqlite:///"))
    image = path.read_bytes() if path else None

    with pytest.raises(NotPaygroundDatabase) as refused:
        make_app(tmp_path / "home", own_database, wall)

    assert str(refused.value) == (
        "the database is not Payground's: it has other tables (accounts, orders) and no "
        "Payground schema version. Nothing was changed. Give Payground an empty database (or, "
        "on PostgreSQL, a schema of its own) with PAYGROUND_DATABASE_URL, or another "
        "PAYGROUND_HOME.")
    engine = sa.create_engine(own_database)
    try:
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
            rows = conn.execute(sa.text("SELECT id, owner FROM accounts")).all()
    finally:
        engine.dispose()
    assert (tables, rows) == ({"accounts", "orders"}, [(1, "theirs")])
    if path:  # byte for byte: not even switched to WAL mode
        assert path.read_bytes() == image


def _tables_and_version(url) -> tuple[set[str], int | None]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
        return tables, (_version_of(url) if "payground_schema" in tables else None)
    finally:
        engine.dispose()


def test_processes_starting_together_on_a_new_database_create_it_once(tmp_path, own_database):
    """Workers started together on an empty database (an empty SQLite file, an empty
    PostgreSQL schema): the first creates the tables and writes the version in one
    transaction, so the others never see tables without a version (they would refuse the
    database as another application's)."""
    from payground.migrations import SCHEMA_VERSION

    if not PG_URL:
        Path(own_database.removeprefix("sqlite:///")).write_bytes(b"")  # 0 bytes: new
    codes, outputs, logged = _start_together(tmp_path, own_database, 4)

    assert (codes, outputs) == ([0] * 4, ["started\n"] * 4)
    assert set(logged) <= {RETRY}  # a new database: created, not upgraded
    tables, version = _tables_and_version(own_database)
    assert ("accounts" in tables, version) == (True, SCHEMA_VERSION)


def test_a_start_killed_while_creating_a_new_database_leaves_it_new(tmp_path, own_database):
    """Killed after creating every table but before writing the schema version: the
    transaction goes with the process, no table is left, and the next start is not refused
    as another application's database: it creates them."""
    from payground.migrations import SCHEMA_VERSION

    codes, outputs, logged = _start_together(tmp_path, own_database, 1, kill_in_step=-1)
    assert (codes, outputs, logged) == ([-9], [""], [])
    assert _tables_and_version(own_database) == (set(), None)

    codes, outputs, logged = _start_together(tmp_path, own_database, 1)
    assert (codes, outputs, logged) == ([0], ["started\n"], [])
    tables, version = _tables_and_version(own_database)
    assert ("accounts" in tables, version) == (True, SCHEMA_VERSION)


@pytest.mark.skipif(bool(PG_URL), reason="SQLite's own tables")
@pytest.mark.parametrize("leftover", ["sqlite_sequence", "sqlite_stat1"])
def test_a_sqlite_file_with_only_sqlites_own_tables_is_new(tmp_path, own_database, wall,
                                                           leftover):
    """sqlite_sequence (left by a dropped AUTOINCREMENT table) and sqlite_stat1 (by ANALYZE)
    are SQLite's, not another application's: Payground makes its tables there, in WAL mode
    from the first start."""
    import sqlite3

    from payground.app import dispose_app
    from payground.migrations import SCHEMA_VERSION

    path = own_database.removeprefix("sqlite:///")
    made = sqlite3.connect(path)
    if leftover == "sqlite_sequence":
        made.execute("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT)")
        made.execute("INSERT INTO t DEFAULT VALUES")
    else:
        made.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)")
        made.execute("CREATE INDEX ix_t ON t (n)")
        made.execute("INSERT INTO t VALUES (1, 1)")
        made.execute("ANALYZE")
    made.execute("DROP TABLE t")
    made.commit()
    kept = {r[0] for r in made.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    made.close()
    assert kept == {leftover}

    dispose_app(make_app(tmp_path / "home", own_database, wall))

    check = sqlite3.connect(path)
    mode = check.execute("PRAGMA journal_mode").fetchone()[0]
    check.close()
    tables, version = _tables_and_version(own_database)
    assert (mode, "accounts" in tables, version) == ("wal", True, SCHEMA_VERSION)
