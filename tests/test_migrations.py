"""A database made by version 1 (no PaymentIntents, no ledger, no webhooks) upgrades in place.

Runs on its own database (a fresh SQLite file, or a fresh PostgreSQL schema when the suite
runs on PostgreSQL), because it takes the shared tables back to an older shape.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

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
    from payground.migrations import SCHEMA_VERSION
    from tests.helpers import assert_error

    app, client, body = signed_up(tmp_path, own_database, wall, "paths@example.com")
    auth = {"Authorization": f"Bearer {body['keys']['secret']}"}
    first = client.post("/v1/customers", headers={**auth, "Idempotency-Key": "old-key"},
                        data={"email": "jo@example.com"})
    assert first.status_code == 200, first.get_json()
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE idempotency_records DROP COLUMN path"))
            conn.execute(sa.text("UPDATE payground_schema SET version = 13"))
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
        db.engine.dispose()
    assert version == SCHEMA_VERSION
    assert (replay.status_code, replay.data) == (200, first.data)
    assert_error(old, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_MISMATCH.format(key="old-key"))
    assert_error(new, 400, type="idempotency_error",
                 message=messages.IDEMPOTENCY_OTHER_ENDPOINT.format(
                     path="/v1/charges", original="/v1/customers", key="new-key"))


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
