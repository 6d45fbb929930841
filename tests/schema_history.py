"""Old schema versions, remade from today's, and a database full of what each one could hold.

``downgrade(engine, version)`` takes a database made by this version back to ``version``
(the reverse of ``migrations.UPGRADES``, step by step); ``populate(client, version)`` fills one
through the API with every kind of row that version knew; ``snapshot(engine)`` reads every
row of every table, to compare before and after an upgrade. Used by ``test_migrations`` and
``bench/migration_check.py``.
"""

from __future__ import annotations

import sqlalchemy as sa

DAY = 86400
# Made again by the upgrades with ids of their own: compared by content, not by id.
REMADE = {"ledger_schedule": ("id",), "ledger_entries": ("id", "journal_id"),
          "ledger_journals": ("id",)}


def _drop_columns(conn, table: str, *columns: str) -> None:
    for column in columns:
        conn.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN {column}"))


def _to_15(conn) -> None:
    from payground.migrations import DESCRIPTIVE_COLUMNS

    for table, added in DESCRIPTIVE_COLUMNS.items():
        _drop_columns(conn, table, *(name for name, _ in added))


def _to_26(conn) -> None:
    from payground.migrations import CARD_CLASS_TABLES, DECLINE_AFTER_ATTACHING

    last4, old, new = DECLINE_AFTER_ATTACHING  # before version 27, 0341 had 0002's class
    for table in CARD_CLASS_TABLES:
        conn.execute(sa.text(f"UPDATE {table} SET card_outcome = :old "
                             "WHERE card_outcome = :new AND last4 = :last4"),
                     {"new": new, "old": old, "last4": last4})


def _to_25(conn) -> None:
    from payground.migrations import DEFAULT_SOURCE_COLUMNS

    conn.execute(sa.text("DROP TABLE card_sources"))
    for table, added in DEFAULT_SOURCE_COLUMNS.items():
        _drop_columns(conn, table, *(name for name, _ in added))


def _to_24(conn) -> None:
    from payground.migrations import SETUP_INTENT_READ

    conn.execute(sa.text("DROP TABLE setup_intents"))
    _forget_permission(conn, SETUP_INTENT_READ)  # version 24 knew no such permission


def _to_23(conn) -> None:
    from payground.migrations import ALLOW_REDISPLAY_COLUMNS

    for table, added in ALLOW_REDISPLAY_COLUMNS.items():
        _drop_columns(conn, table, *(name for name, _ in added))


def _forget_permission(conn, permission: str) -> None:
    rows = conn.execute(sa.text("SELECT id, permissions FROM api_keys WHERE permissions IS NOT "
                                "NULL").columns(permissions=sa.JSON)).all()
    took = sa.text("UPDATE api_keys SET permissions = :permissions WHERE id = :id").bindparams(
        sa.bindparam("permissions", type_=sa.JSON))
    for row in rows:
        if permission in (row.permissions or []):
            conn.execute(took, {"permissions": [p for p in row.permissions if p != permission],
                                "id": row.id})


def _to_22(conn) -> None:
    from payground.migrations import CHARGE_AUTHENTICATION_COLUMNS

    for table, added in CHARGE_AUTHENTICATION_COLUMNS.items():
        _drop_columns(conn, table, *(name for name, _ in added))


def _to_21(conn) -> None:
    from payground.migrations import ACCOUNT_READ

    _forget_permission(conn, ACCOUNT_READ)  # version 21 knew no such permission


def _to_20(conn) -> None:
    from payground.migrations import AUTHENTICATION_COLUMNS

    for table, added in AUTHENTICATION_COLUMNS.items():
        _drop_columns(conn, table, *(name for name, _ in added))


def _to_19(conn) -> None:
    from payground.migrations import CALLER_COLUMNS

    for table, added in CALLER_COLUMNS.items():
        _drop_columns(conn, table, *(name for name, _ in added))


def _to_18(conn) -> None:
    from payground.migrations import CARD_CHECK_COLUMNS

    for table, added in CARD_CHECK_COLUMNS.items():
        _drop_columns(conn, table, *(name for name, _ in added))


def _to_17(conn) -> None:
    from payground.migrations import CHARGE_DESCRIPTIVE_COLUMNS

    for table, added in CHARGE_DESCRIPTIVE_COLUMNS.items():
        _drop_columns(conn, table, *(name for name, _ in added))


def _to_16(conn) -> None:
    conn.execute(sa.text("DROP INDEX ix_webhook_endpoints_application"))
    _drop_columns(conn, "webhook_endpoints", "application")
    _drop_columns(conn, "request_logs", "platform_id")
    _drop_columns(conn, "accounts", "platform_connections")


def _to_14(conn) -> None:
    for table in ("oauth_refresh_tokens", "oauth_codes", "oauth_connections",
                  "connect_applications"):
        conn.execute(sa.text(f"DROP TABLE {table}"))
    conn.execute(sa.text("DROP INDEX ix_api_keys_connection_id"))
    _drop_columns(conn, "api_keys", "connection_id")


def _to_13(conn) -> None:
    _drop_columns(conn, "idempotency_records", "path")


def _to_12(conn) -> None:
    conn.execute(sa.text("DROP INDEX ux_bank_accounts_default"))
    _drop_columns(conn, "bank_accounts", "default_for_currency", "status", "payout_failure_code")
    conn.execute(sa.text("CREATE UNIQUE INDEX ux_bank_accounts_mode ON bank_accounts "
                         "(account_id, livemode)"))


def _to_11(conn) -> None:
    _drop_columns(conn, "used_form_nonces", "request_id")


def _to_10(conn) -> None:
    conn.execute(sa.text("DELETE FROM ledger_schedule WHERE kind = 'charge_expire'"))


def _to_9(conn) -> None:
    from payground.migrations import MONEY_COLUMNS

    if conn.dialect.name == "postgresql":
        for table, names in MONEY_COLUMNS.items():
            conn.execute(sa.text(f"ALTER TABLE {table} " + ", ".join(
                f"ALTER COLUMN {name} TYPE INTEGER" for name in names)))


def _to_8(conn) -> None:
    pass  # emails were lower-cased only: the ones made here are the same either way


def _to_7(conn) -> None:
    _drop_columns(conn, "payment_intents", "payment_method_options")


def _to_6(conn, pepper: str) -> None:
    from payground.services.webhooks import restore_secret

    rows = conn.execute(sa.text("SELECT account_id, livemode, key_digest, body "
                                "FROM idempotency_records")).all()
    for row in rows:  # version 3 to 6 saved a new endpoint's answer with its secret
        if row.body is not None:
            conn.execute(sa.text("UPDATE idempotency_records SET body = :body WHERE "
                                 "account_id = :a AND livemode = :l AND key_digest = :d"),
                         {"body": restore_secret(row.body, pepper), "a": row.account_id,
                          "l": row.livemode, "d": row.key_digest})


def _to_5(conn) -> None:
    _drop_columns(conn, "payment_intents", "statement_descriptor_suffix", "setup_future_usage",
                  "shipping")


def _to_4(conn) -> None:
    _drop_columns(conn, "accounts", "open_drills")


def _to_3(conn) -> None:
    conn.execute(sa.text("DROP TABLE leak_drills"))
    _drop_columns(conn, "webhook_endpoints", "secret_generation", "previous_secret_expires_at")


def _to_2(conn) -> None:
    for table in ("webhook_deliveries", "webhook_endpoints"):
        conn.execute(sa.text(f"DROP TABLE {table}"))
    _drop_columns(conn, "accounts", "webhook_endpoint_count")


def _to_1(conn) -> None:
    conn.execute(sa.text("DROP INDEX ix_charges_payment_intent_id"))
    _drop_columns(conn, "charges", "payment_intent_id", "payment_method_id")
    for table in ("ledger_entries", "ledger_journals", "ledger_balances", "ledger_schedule"):
        conn.execute(sa.text(f"DELETE FROM {table}"))
    conn.execute(sa.text("DROP TABLE used_form_nonces"))


# Columns an upgrade adds that old rows cannot have known: left NULL for them, so a row made
# today and taken back past the upgrade comes back without the value (version -> columns).
NOT_KEPT = {14: {"idempotency_records": ("path",)},
            20: {"idempotency_records": ("caller",), "webhook_deliveries": ("connection_id",)},
            23: {"charges": ("three_d_secure",)}}


def forget_not_kept(rows: dict[str, dict], version: int) -> None:
    """Drop from ``snapshot`` ``rows`` the values the upgrades after ``version`` cannot give
    back (``NOT_KEPT``): what is compared after the upgrade is what it can keep."""
    for upgrade, tables in NOT_KEPT.items():
        if version < upgrade:
            for table, columns in tables.items():
                for row in rows[table].values():
                    for column in columns:
                        row.pop(column)


STEPS = {27: _to_26, 26: _to_25, 25: _to_24, 24: _to_23, 23: _to_22, 22: _to_21, 21: _to_20,
         20: _to_19, 19: _to_18, 18: _to_17, 17: _to_16, 16: _to_15, 15: _to_14, 14: _to_13,
         13: _to_12, 12: _to_11, 11: _to_10, 10: _to_9, 9: _to_8, 8: _to_7, 7: _to_6, 6: _to_5,
         5: _to_4, 4: _to_3, 3: _to_2, 2: _to_1}  # version -> its step down


def downgrade(engine, version: int, pepper: str) -> None:
    """Take ``engine``'s database, made by this version, back to schema ``version``."""
    from payground.migrations import SCHEMA_VERSION

    with engine.begin() as conn:
        for start in range(SCHEMA_VERSION, version, -1):
            step = STEPS[start]
            step(conn, pepper) if step is _to_6 else step(conn)
        conn.execute(sa.text("UPDATE payground_schema SET version = :v"), {"v": version})


def populate(client, version: int, wall) -> dict:
    """Two accounts' worth of what schema ``version`` could hold; returns their credentials."""
    made = {}
    for email in ("old@example.com", "other@example.com"):
        body = _ok(client.post("/sandbox/signup", json={"email": email,
                                                        "password": "an old password 1"}))
        made[email] = body
    body = made["old@example.com"]
    session = {"Authorization": f"Bearer {body['session']}"}
    auth = {"Authorization": f"Bearer {body['keys']['secret']}"}
    restricted = _ok(client.post("/sandbox/keys", headers=session, json={
        "type": "restricted", "name": "reader", "permissions": ["charge_read"]}))
    body["restricted"] = restricted["secret"]
    customer = {"email": "c@example.com", "balance": -500, "metadata[tier]": "gold"}
    if version >= 16:
        customer.update({"address[line1]": "1 Main St", "preferred_locales[]": "fr",
                         "tax_exempt": "exempt", "invoice_settings[footer]": "Thanks"})
    made_customer = _ok(client.post("/v1/customers", headers=auth, data=customer))
    if version >= 18:  # a default payment method for its invoices
        method = _ok(client.post("/v1/payment_methods/pm_card_visa/attach", headers=auth,
                                 data={"customer": made_customer["id"]}))
        _ok(client.post(f"/v1/customers/{made_customer['id']}", headers=auth, data={
            "invoice_settings[default_payment_method]": method["id"]}))
    paid = _ok(client.post("/v1/charges", headers={**auth, "Idempotency-Key": "paid-1"}, data={
        "amount": 10000, "currency": "usd", "source": "tok_bypassPending",
        "metadata[order]": "1"}))
    source = "tok_visa"
    if version >= 16:  # a token with a billing address, charged
        source = _ok(client.post("/v1/tokens", headers=auth, data={
            "card[number]": "4242424242424242", "card[exp_month]": "12",
            "card[exp_year]": "2040", "card[address_zip]": "94107"}))["id"]
    pending = {"amount": 2000, "currency": "usd", "source": source}
    if version >= 18:  # a charge's shipping, descriptor suffix and transfer group
        pending.update({"shipping[name]": "Ada", "shipping[address][line1]": "1 Main St",
                        "statement_descriptor_suffix": "ORDER 1", "transfer_group": "order-1"})
    pending = _ok(client.post("/v1/charges", headers=auth, data=pending))
    _ok(client.post("/v1/charges", headers=auth, data={
        "amount": 3000, "currency": "usd", "source": "tok_visa", "capture": "false"}))
    _ok(client.post("/v1/refunds", headers=auth, data={"charge": paid["id"], "amount": 1000}))
    _ok(client.post("/v1/refunds", headers=auth, data={"charge": pending["id"]}))
    client.post("/v1/charges", headers=auth, data={  # a decline: an error in the log
        "amount": 500, "currency": "usd", "source": "tok_chargeDeclined"})
    other = made["other@example.com"]
    _ok(client.post("/v1/charges", headers={
        "Authorization": f"Bearer {other['keys']['secret']}"}, data={
        "amount": 700, "currency": "eur", "source": "tok_bypassPending"}))
    if version >= 2:  # PaymentIntents, payouts (and their bank account)
        intent = {"amount": 1500, "currency": "usd", "payment_method": "pm_card_visa",
                  "confirm": "true"}
        if version >= 6:
            intent.update({"shipping[name]": "Ada", "shipping[address][line1]": "1 Main St",
                           "statement_descriptor_suffix": "OLD"})
        if version >= 8:
            intent["payment_method_options[card][request_three_d_secure]"] = "any"
        _ok(client.post("/v1/payment_intents", headers=auth, data=intent))
        _ok(client.post("/v1/payment_intents", headers=auth, data={
            "amount": 2500, "currency": "usd", "payment_method": "pm_card_visa",
            "confirm": "true", "capture_method": "manual"}))
        _ok(client.post("/v1/payouts", headers=auth, data={"amount": 1000, "currency": "usd"}))
    if version >= 19:  # a transfer group on an intent; payment methods with an address, one
        # charged (its address checks answered), one not
        for charged in (True, False):
            method = _ok(client.post("/v1/payment_methods", headers=auth, data={
                "type": "card", "card[token]": "tok_visa",
                "billing_details[address][postal_code]": "94107"}))
            if charged:
                _ok(client.post("/v1/payment_intents", headers=auth, data={
                    "amount": 1800, "currency": "usd", "payment_method": method["id"],
                    "confirm": "true", "transfer_group": "order-19"}))
    if version >= 21:  # an intent waiting for 3-D Secure; a card saved, set up, for later
        _ok(client.post("/v1/payment_intents", headers=auth, data={
            "amount": 2100, "currency": "usd", "payment_method": "pm_card_authenticationRequired",
            "confirm": "true", "return_url": "https://shop.example/done"}))
        _ok(client.post("/v1/payment_intents", headers=auth, data={
            "amount": 2200, "currency": "usd", "customer": made_customer["id"],
            "payment_method": "pm_card_visa", "confirm": "true",
            "setup_future_usage": "off_session"}))
    if version >= 23:  # a charge made after 3-D Secure, which says so
        asked = _ok(client.post("/v1/payment_intents", headers=auth, data={
            "amount": 2300, "currency": "usd", "payment_method": "pm_card_threeDSecure2Required",
            "confirm": "true"}))
        link = asked["next_action"]["use_stripe_sdk"]["stripe_js"]
        path, token = link.split("?token=")
        answered = client.post(path[path.index("/3d_secure/"):],
                               data={"token": token, "action": "complete"})
        assert answered.status_code == 200, answered.get_data(as_text=True)
    if version >= 25:  # SetupIntents: a card set up for the customer, one awaiting 3-D Secure
        _ok(client.post("/v1/setup_intents", headers=auth, data={
            "customer": made_customer["id"], "payment_method": "pm_card_visa",
            "confirm": "true", "metadata[plan]": "monthly"}))
        _ok(client.post("/v1/setup_intents", headers=auth, data={
            "payment_method": "pm_card_authenticationRequiredOnSetup", "confirm": "true",
            "return_url": "https://shop.example/saved"}))
    if version >= 26:  # saved cards: a customer's default source, another card, a charge of it
        saver = _ok(client.post("/v1/customers", headers=auth, data={
            "email": "saver@example.com", "source": "tok_visa"}))
        _ok(client.post(f"/v1/customers/{saver['id']}/sources", headers=auth, data={
            "source": "tok_mastercard", "metadata[label]": "work"}))
        _ok(client.post("/v1/charges", headers=auth, data={
            "amount": 2600, "currency": "usd", "customer": saver["id"]}))
    if version >= 3:  # webhooks: an endpoint made with an Idempotency-Key, its deliveries
        endpoint = _ok(client.post("/v1/webhook_endpoints",
                                   headers={**auth, "Idempotency-Key": "hook-1"}, data={
                                       "url": "http://127.0.0.1:9/hooks",
                                       "enabled_events[]": "charge.succeeded"}))
        _ok(client.post("/v1/charges", headers=auth, data={
            "amount": 1200, "currency": "usd", "source": "tok_visa"}))
        if version >= 4:
            _ok(client.post(f"/sandbox/webhook_endpoints/{endpoint['id']}/roll",
                            headers=session, json={"expires_in": 3600}))
    if version >= 4:  # a leak drill, its bots still at work
        keys = _ok(client.get("/sandbox/keys", headers=session))["data"]
        key_id = next(k["id"] for k in keys if k["type"] == "secret")
        _ok(client.post("/sandbox/leak_drills", json={"key": key_id}, headers=session))
    if version >= 15:  # a Connect OAuth application (what connects to it: tests/api/test_oauth)
        _ok(client.post("/sandbox/connect", headers=session, json={
            "name": "Old platform", "redirect_uris": ["http://127.0.0.1:9/callback"]}))
        if version >= 17:  # a Connect webhook endpoint of that application
            _ok(client.post("/v1/webhook_endpoints", headers=auth, data={
                "url": "http://127.0.0.1:9/connect", "enabled_events[]": "*",
                "connect": "true"}))
    # Rolled last: the old secret key keeps working for an hour (its expiry is stored).
    keys = _ok(client.get("/sandbox/keys", headers=session))["data"]
    key_id = next(k["id"] for k in keys if k["type"] == "secret")
    body["rolled"] = _ok(client.post(f"/sandbox/keys/{key_id}/roll", headers=session,
                                     json={"expires_in": 3600}))["secret"]
    wall[0] += 60
    return made


def seen_by_api(client, made) -> dict:
    """What the API answers with each old credential (GETs only: nothing is written)."""
    body = made["old@example.com"]
    seen = {}
    for name, key in (("secret", body["keys"]["secret"]), ("rolled", body["rolled"]),
                      ("restricted", body["restricted"])):
        auth = {"Authorization": f"Bearer {key}"}
        seen[name] = [client.get("/v1/charges?limit=100", headers=auth).status_code]
    auth = {"Authorization": f"Bearer {body['rolled']}"}
    for path in ("/v1/balance", "/v1/charges?limit=100", "/v1/customers", "/v1/refunds",
                 "/v1/payment_intents", "/v1/setup_intents", "/v1/payouts",
                 "/v1/events?limit=100",
                 "/v1/webhook_endpoints"):
        seen[path] = client.get(path, headers=auth).get_json()
    session = {"Authorization": f"Bearer {body['session']}"}
    for path in ("/sandbox/keys", "/sandbox/account", "/sandbox/bank", "/sandbox/audit",
                 "/sandbox/webhook_deliveries"):
        seen[path] = client.get(path, headers=session).get_json()
    other = made["other@example.com"]
    seen["other"] = client.get("/v1/balance", headers={
        "Authorization": f"Bearer {other['keys']['secret']}"}).get_json()
    other_session = {"Authorization": f"Bearer {other['session']}"}
    for path in ("/sandbox/connect", "/sandbox/connections"):  # version 15: Connect OAuth
        seen[path] = client.get(path, headers=session).get_json()
        seen[f"other {path}"] = client.get(path, headers=other_session).get_json()
    return seen


def _ok(response):
    assert response.status_code in (200, 201), (response.status_code, response.get_json())
    return response.get_json()


def snapshot(engine) -> dict[str, dict]:
    """Every table's rows: by primary key, or (tables in ``REMADE``) as a sorted list."""
    tables = {}
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        for name in inspector.get_table_names():
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            rows = [dict(r._mapping) for r in conn.execute(sa.select(table))]
            key = [c.name for c in table.primary_key.columns]
            if name in REMADE:
                drop = REMADE[name]
                tables[name] = sorted(repr(sorted((k, v) for k, v in r.items() if k not in drop))
                                      for r in rows)
            else:
                tables[name] = {tuple(r[k] for k in key): r for r in rows}
    return tables


def lost_or_changed(before: dict, after: dict, *, exact: bool = True) -> list[str]:
    """What of ``before``'s rows and values is not in ``after`` (new columns and tables of
    ``after`` are not compared), and with ``exact`` the rows ``after`` has more."""
    from collections import Counter

    problems = []
    for name, rows in before.items():
        if name not in after:
            problems.append(f"{name}: table gone")
            continue
        if name in REMADE:
            lost = Counter(rows) - Counter(after[name])
            added = Counter(after[name]) - Counter(rows)
            problems += [f"{name}: lost {row}" for row in lost.elements()]
            problems += [f"{name}: added {row}" for row in added.elements() if exact]
            continue
        for key, row in rows.items():
            new = after[name].get(key)
            if new is None:
                problems.append(f"{name} {key}: row lost")
                continue
            changed = {c: (v, new.get(c)) for c, v in row.items() if new.get(c) != v}
            if changed:
                problems.append(f"{name} {key}: {changed}")
        extra = set(after[name]) - set(rows)
        if extra and exact:
            problems.append(f"{name}: {len(extra)} rows added")
    return problems
