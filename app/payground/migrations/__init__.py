"""Schema creation and upgrades, run by ``create_app`` so a fresh PAYGROUND_HOME just works.

Why not Alembic: importing it costs ~0.25 s on every start, and the schema is still young.
``SCHEMA_VERSION`` counts upgrades; each later change adds a function to ``UPGRADES`` that
brings version N-1 to N. Any table that does not exist yet is created (a new model needs no
upgrade function); the existing ones are found with one query, not one check per table.
A database that a newer Payground has upgraded is refused, not used: this version would write
rows without what the newer one keeps with them (the ledger's journals were such a thing). So is
one with tables but no schema version: another application's, which must not get ours added.
"""

from __future__ import annotations

import logging

from sqlalchemy import Column, Integer, MetaData, Table, inspect, select, text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

log = logging.getLogger("payground")

SCHEMA_VERSION = 27


class DatabaseTooNew(Exception):
    """The database's schema is newer than this code's: going on would corrupt it."""

    def __init__(self, version: int) -> None:
        super().__init__(
            f"the database has been upgraded by a newer Payground (schema version {version}; "
            f"this one knows up to {SCHEMA_VERSION}). Install the newer Payground again, or "
            "use another PAYGROUND_HOME or PAYGROUND_DATABASE_URL.")
        self.version = version


class NotPaygroundDatabase(Exception):
    """The database has tables but no Payground schema version: another application's."""

    def __init__(self, tables: set[str]) -> None:
        names = sorted(tables)
        shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
        super().__init__(
            f"the database is not Payground's: it has other tables ({shown}) and no Payground "
            "schema version. Nothing was changed. Give Payground an empty database (or, on "
            "PostgreSQL, a schema of its own) with PAYGROUND_DATABASE_URL, or another "
            "PAYGROUND_HOME.")
        self.tables = tables


class UpgradeFailed(Exception):
    """A step of the upgrade failed: its transaction was rolled back, the version is as it was."""

    def __init__(self, current: int, version: int, cause: Exception) -> None:
        reason = getattr(cause, "orig", None) or cause  # a driver's message, not the SQL
        super().__init__(
            f"upgrading the database from schema version {current} to {version} failed "
            f"({type(reason).__name__}: {reason}). Nothing was changed: it is still at version "
            f"{current}, and the next start tries again.")
        self.current, self.version = current, version


def _v2_payment_intents_and_ledger(conn) -> None:
    """Charges learn which PaymentIntent and PaymentMethod made them; the money that was
    charged and refunded before the ledger existed gets its journals (else balances miss it)."""
    from sqlalchemy import inspect

    from ..services.ledger_backfill import backfill

    columns = {c["name"] for c in inspect(conn).get_columns("charges")}
    for name in ("payment_intent_id", "payment_method_id"):
        if name not in columns:
            conn.execute(text(f"ALTER TABLE charges ADD COLUMN {name} VARCHAR(64)"))
    indexes = {i["name"] for i in inspect(conn).get_indexes("charges")}
    if "ix_charges_payment_intent_id" not in indexes:
        conn.execute(text("CREATE INDEX ix_charges_payment_intent_id "
                          "ON charges (payment_intent_id)"))
    backfill(conn)


def _v3_webhook_endpoint_count(conn) -> None:
    """Accounts count their webhook endpoints (the tables themselves are new: created above)."""
    columns = {c["name"] for c in inspect(conn).get_columns("accounts")}
    if "webhook_endpoint_count" not in columns:
        conn.execute(text("ALTER TABLE accounts ADD COLUMN webhook_endpoint_count "
                          "INTEGER NOT NULL DEFAULT 0"))


def _v4_webhook_secret_rolls(conn) -> None:
    """Webhook endpoints remember how often their secret was rolled, and the grace period."""
    columns = {c["name"] for c in inspect(conn).get_columns("webhook_endpoints")}
    if "secret_generation" not in columns:
        conn.execute(text("ALTER TABLE webhook_endpoints ADD COLUMN secret_generation "
                          "INTEGER NOT NULL DEFAULT 0"))
    if "previous_secret_expires_at" not in columns:
        conn.execute(text("ALTER TABLE webhook_endpoints ADD COLUMN "
                          "previous_secret_expires_at INTEGER"))


def _v5_open_drills(conn) -> None:
    """Accounts count their leak drills with bots still at work. The drills table came a
    commit earlier, at version 4: drills started then are counted here."""
    from ..core.drills import MAX_ATTEMPTS

    columns = {c["name"] for c in inspect(conn).get_columns("accounts")}
    if "open_drills" not in columns:
        conn.execute(text("ALTER TABLE accounts ADD COLUMN open_drills "
                          "INTEGER NOT NULL DEFAULT 0"))
    conn.execute(text("UPDATE accounts SET open_drills = (SELECT count(*) FROM leak_drills "
                      "WHERE leak_drills.account_id = accounts.id "
                      "AND leak_drills.attempts_done < :done)"), {"done": MAX_ATTEMPTS})


def _v6_intent_shipping(conn) -> None:
    """PaymentIntents keep shipping details, setup_future_usage and a descriptor suffix."""
    columns = {c["name"] for c in inspect(conn).get_columns("payment_intents")}
    for name, kind in (("statement_descriptor_suffix", "VARCHAR(22)"),
                       ("setup_future_usage", "VARCHAR(16)"), ("shipping", "JSON")):
        if name not in columns:
            conn.execute(text(f"ALTER TABLE payment_intents ADD COLUMN {name} {kind}"))


def _v7_withhold_saved_secrets(conn) -> None:
    """Version 3 saved a new webhook endpoint's signing secret with its answer, for
    Idempotency-Key replays; later versions save a marker and derive the secret again when
    replaying. Saved answers are never swept: without this, the secret stayed stored."""
    from ..services.webhooks import withhold_secret

    rows = conn.execute(text("SELECT account_id, livemode, key_digest, body "
                             "FROM idempotency_records WHERE body LIKE :secret"),
                        {"secret": "%whsec_%"}).all()
    for row in rows:
        body = withhold_secret(row.body)
        if body != row.body:
            conn.execute(text("UPDATE idempotency_records SET body = :body "
                              "WHERE account_id = :account AND livemode = :livemode "
                              "AND key_digest = :digest"),
                         {"body": body, "account": row.account_id, "livemode": row.livemode,
                          "digest": row.key_digest})


def _v8_intent_method_options(conn) -> None:
    """PaymentIntents keep the payment_method_options they were given."""
    columns = {c["name"] for c in inspect(conn).get_columns("payment_intents")}
    if "payment_method_options" not in columns:
        conn.execute(text("ALTER TABLE payment_intents ADD COLUMN payment_method_options JSON"))


def _v9_normalized_emails(conn) -> None:
    """Account emails in the form they are looked up in now (``core.emails``: NFKC and
    casefolded; version 8 only lower-cased them). Where two accounts' addresses fold to one
    (``ａｄａ@example.com`` and ``ada@example.com`` both signed up), the one already in that
    form, else the oldest, takes it; the others keep the address they signed up with, and log
    in with it as before (``services.accounts.accounts_for_email``). So does one whose normal
    form would not fit the column (NFKC can lengthen text: U+FDFA is eighteen letters), rather
    than stop the upgrade; that contrived address cannot log in, since log-in reads the normal
    form, and refuses one over 320 characters as sign-up does."""
    from ..core.emails import normalize_email

    longest = 320  # accounts.email is VARCHAR(320), and PostgreSQL refuses longer
    rows = conn.execute(text("SELECT id, email FROM accounts ORDER BY created, id")).all()
    taken = {row.email for row in rows if normalize_email(row.email) == row.email}
    for row in rows:
        normal = normalize_email(row.email)
        if normal == row.email:
            continue
        if normal in taken or len(normal) > longest:
            log.warning("account %s keeps its email address as it signed up: %s", row.id,
                        "another account has its normalised form" if normal in taken
                        else "its normalised form is too long")
            continue
        conn.execute(text("UPDATE accounts SET email = :email WHERE id = :id"),
                     {"email": normal, "id": row.id})
        taken.add(normal)


# Every column that holds money, by table (the ledger's were 64-bit from the start).
MONEY_COLUMNS = {
    "charges": ("amount", "amount_captured", "amount_refunded"),
    "refunds": ("amount",),
    "payouts": ("amount",),
    "balance_transactions": ("amount", "fee", "net"),
    "customers": ("balance",),
    "payment_intents": ("amount", "amount_capturable", "amount_received"),
}


def _v10_money_is_64_bit(conn) -> None:
    """Money columns become BIGINT, as Stripe's amounts are 64-bit: PostgreSQL's INTEGER
    stops at 2**31 - 1 ($21,474,836.47). SQLite's INTEGER already holds 64 bits, and its
    columns keep their declared type (nothing to do there)."""
    if conn.dialect.name != "postgresql":
        return
    for table, columns in MONEY_COLUMNS.items():
        changes = ", ".join(f"ALTER COLUMN {name} TYPE BIGINT" for name in columns)
        conn.execute(text(f"ALTER TABLE {table} {changes}"))


def _v11_uncaptured_charges_expire(conn) -> None:
    """Uncaptured charges expire seven days after they were made (``services.charge_expiry``):
    those made before get their row in the ledger's schedule, as new ones do."""
    from ..services.charge_expiry import AUTHORIZATION_SECONDS, EXPIRE

    conn.execute(text(
        "INSERT INTO ledger_schedule (account_id, livemode, due_at, kind, ref) "
        "SELECT account_id, livemode, created + :seconds, :kind, id FROM charges "
        "WHERE status = 'succeeded' AND captured = :no AND refunded = :no"),
        {"seconds": AUTHORIZATION_SECONDS, "kind": EXPIRE, "no": False})


def _v12_form_nonce_requests(conn) -> None:
    """Spent form nonces name the request that spent it (what it made, for a second sending).
    Nonces spent before name none: a second sending of theirs gets the page without a link."""
    columns = {c["name"] for c in inspect(conn).get_columns("used_form_nonces")}
    if "request_id" not in columns:
        conn.execute(text("ALTER TABLE used_form_nonces ADD COLUMN request_id VARCHAR(40)"))


def _v13_test_bank_accounts(conn) -> None:
    """Bank accounts say whether they are their mode's default (a test-mode account may now
    choose another of Stripe's test bank accounts, the old one kept for the payouts it got),
    their status, and the failure code of payouts to a failing test account. The unique index
    of one bank account per mode becomes one *default* per mode."""
    columns = {c["name"] for c in inspect(conn).get_columns("bank_accounts")}
    yes = "TRUE" if conn.dialect.name == "postgresql" else "1"
    for name, kind in (("default_for_currency", f"BOOLEAN NOT NULL DEFAULT {yes}"),
                       ("status", "VARCHAR(16) NOT NULL DEFAULT 'new'"),
                       ("payout_failure_code", "VARCHAR(64)")):
        if name not in columns:
            conn.execute(text(f"ALTER TABLE bank_accounts ADD COLUMN {name} {kind}"))
    indexes = {i["name"] for i in inspect(conn).get_indexes("bank_accounts")}
    if "ux_bank_accounts_mode" in indexes:
        conn.execute(text("DROP INDEX ux_bank_accounts_mode"))
    if "ux_bank_accounts_default" not in indexes:
        from ..models.bank_account import UNIQUE_DEFAULT

        conn.execute(text(UNIQUE_DEFAULT))


def _v14_idempotency_paths(conn) -> None:
    """Idempotency records keep their first request's path (Stripe's message for a key sent
    to another endpoint names both). Records saved before have none: a key of theirs sent
    elsewhere gets the message for other parameters, as it did."""
    columns = {c["name"] for c in inspect(conn).get_columns("idempotency_records")}
    if "path" not in columns:
        conn.execute(text("ALTER TABLE idempotency_records ADD COLUMN path VARCHAR(1024)"))


def _add_columns(conn, added_by_table: dict) -> None:
    """Add each column of ``added_by_table`` (table -> (name, type)) not yet there (a type
    may carry ``NOT NULL DEFAULT ...``): a second run, another worker's, changes nothing."""
    for table, added in added_by_table.items():
        columns = {c["name"] for c in inspect(conn).get_columns(table)}
        for name, kind in added:
            if name not in columns:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {name} {kind}"))


def _add_index(conn, table: str, column: str) -> None:
    """``ix_<table>_<column>``, as the model's ``index=True`` names it, unless it is there."""
    name = f"ix_{table}_{column}"
    if name not in {i["name"] for i in inspect(conn).get_indexes(table)}:
        conn.execute(text(f"CREATE INDEX {name} ON {table} ({column})"))


def _v15_oauth_access_tokens(conn) -> None:
    """API keys may be Connect OAuth access tokens, of a connection (``models.oauth``, whose
    tables are new: created above). Keys made before are no one's token."""
    _add_columns(conn, {"api_keys": (("connection_id", "VARCHAR(64)"),)})
    _add_index(conn, "api_keys", "connection_id")


# Columns version 16 adds (table -> (name, type)): Stripe's descriptive fields, kept and shown.
DESCRIPTIVE_COLUMNS = {
    "customers": (("address", "JSON"), ("shipping", "JSON"), ("preferred_locales", "JSON"),
                  ("tax_exempt", "VARCHAR(8)"), ("invoice_prefix", "VARCHAR(12)"),
                  ("next_invoice_sequence", "INTEGER"), ("invoice_settings", "JSON")),
    "tokens": (("billing_address", "JSON"),),
    "charges": (("billing_address", "JSON"),),
    "payment_methods": (("billing_address", "JSON"),),
}


def _v16_descriptive_fields(conn) -> None:
    """Customers keep Stripe's address, shipping, preferred_locales, tax_exempt and invoicing
    fields; tokens, charges and payment methods the card's billing address. Rows made before
    have none of them (NULL: shown as Stripe shows them unset)."""
    _add_columns(conn, DESCRIPTIVE_COLUMNS)


def _v17_connect_webhooks(conn) -> None:
    """Connect endpoints name the platform's application; accounts count the connections
    they have to platforms (backfilled from those not revoked); the request log names the
    platform that made a request through a connection (old rows: none known, null)."""
    _add_columns(conn, {"webhook_endpoints": (("application", "VARCHAR(64)"),),
                        "request_logs": (("platform_id", "VARCHAR(40)"),),
                        "accounts": (("platform_connections", "INTEGER NOT NULL DEFAULT 0"),)})
    _add_index(conn, "webhook_endpoints", "application")
    conn.execute(text("UPDATE accounts SET platform_connections = (SELECT count(*) FROM "
                      "oauth_connections WHERE oauth_connections.account_id = accounts.id "
                      "AND oauth_connections.revoked_at IS NULL)"))


# Columns version 18 adds, as version 16's: a charge's shipping, descriptor suffix and
# transfer group, and a customer's default payment method for invoices (a plain column, no
# foreign key: payment methods already point at their customer).
CHARGE_DESCRIPTIVE_COLUMNS = {
    "charges": (("shipping", "JSON"), ("statement_descriptor_suffix", "VARCHAR(22)"),
                ("transfer_group", "VARCHAR(5000)")),
    "customers": (("default_payment_method_id", "VARCHAR(64)"),),
}


def _v18_charge_descriptive_fields(conn) -> None:
    """Charges keep Stripe's shipping, statement_descriptor_suffix and transfer_group;
    customers ``invoice_settings[default_payment_method]``. Rows made before have none (NULL:
    shown as Stripe shows them unset), except that a PaymentIntent's charges get their
    intent's shipping and suffix, as new ones do (Stripe copies them): its values now, the
    only ones known (an intent's shipping may have changed since its charge)."""
    _add_columns(conn, CHARGE_DESCRIPTIVE_COLUMNS)
    conn.execute(text(
        "UPDATE charges SET shipping = (SELECT shipping FROM payment_intents p "
        "WHERE p.id = charges.payment_intent_id), statement_descriptor_suffix = "
        "(SELECT statement_descriptor_suffix FROM payment_intents p "
        "WHERE p.id = charges.payment_intent_id) "
        "WHERE payment_intent_id IS NOT NULL AND shipping IS NULL "
        "AND statement_descriptor_suffix IS NULL"))


# Columns version 19 adds, as version 16's: whether a payment method's card has been charged
# (its address checks answered), and a PaymentIntent's transfer group.
CARD_CHECK_COLUMNS = {
    "payment_methods": (("card_checked", "BOOLEAN NOT NULL DEFAULT FALSE"),),
    "payment_intents": (("transfer_group", "VARCHAR(5000)"),),
}


def _v19_card_checks(conn) -> None:
    """Payment methods learn whether their card has been charged, so that their address checks
    show the issuer's answer rather than ``unchecked``: those a charge used already are marked
    (charges name the payment method they were made with since version 2). PaymentIntents keep
    Stripe's ``transfer_group``; older ones have none (NULL)."""
    _add_columns(conn, CARD_CHECK_COLUMNS)
    # IN, not a correlated EXISTS: charges.payment_method_id has no index, and SQLite would
    # scan every charge again for each payment method; the list is built once.
    conn.execute(text(
        "UPDATE payment_methods SET card_checked = TRUE WHERE card_checked = FALSE AND id IN "
        "(SELECT payment_method_id FROM charges WHERE payment_method_id IS NOT NULL)"))


# Columns version 20 adds, as version 16's: who first used an idempotency key, and the
# connection a Connect endpoint's delivery was queued under.
CALLER_COLUMNS = {
    "idempotency_records": (("caller", "VARCHAR(120)"),),
    "webhook_deliveries": (("connection_id", "VARCHAR(64)"),),
}


def _v20_callers(conn) -> None:
    """Idempotency records name who first used their key (another caller's request is told
    so, not that its parameters differ); Connect deliveries name the connection they were
    queued under (not sent under a later one). Rows made before have none (NULL): their
    keys get the messages they did, their deliveries go while the account is connected."""
    _add_columns(conn, CALLER_COLUMNS)


# Columns version 21 adds, as version 16's: a PaymentIntent's 3-D Secure authentication, and
# whether a payment method was set up for future payments.
AUTHENTICATION_COLUMNS = {
    "payment_intents": (("authentication", "JSON"),),
    "payment_methods": (("set_up", "BOOLEAN NOT NULL DEFAULT FALSE"),),
}


def _v21_three_d_secure(conn) -> None:
    """PaymentIntents remember the 3-D Secure authentication they asked for; payment methods
    whether a PaymentIntent saved them for future payments. Older rows have neither (NULL,
    FALSE): no card of theirs could ask for authentication (Payground refused those numbers
    in test mode before), so none needs to know it was set up."""
    _add_columns(conn, AUTHENTICATION_COLUMNS)


# What a read-only OAuth access token gained at version 22 (``services.keys.PERMISSIONS``).
ACCOUNT_READ = "accounts_kyc_basic_read"


def _v22_read_only_tokens_read_the_account(conn) -> None:
    """A ``read_only`` OAuth access token holds every ``*_read`` permission as it is issued
    (``services.oauth``): those issued before ``accounts_kyc_basic_read`` came (with
    ``GET /v1/account``) and still working get it now, as a new one would have it. Only
    access tokens: a restricted key someone made keeps the permissions chosen for it. Nor a
    revoked token (its connection's end revoked it too): it can never use the permission, and
    the keys page lists what it held, which stays true."""
    _grant_read_only_tokens(conn, ACCOUNT_READ)


def _grant_read_only_tokens(conn, permission: str) -> None:
    """Add ``permission`` to every working ``read_only`` OAuth access token (a restricted key
    of a connection, not revoked) that lacks it: a second run changes nothing."""
    from sqlalchemy import JSON, bindparam

    rows = conn.execute(text(
        "SELECT id, permissions FROM api_keys WHERE connection_id IS NOT NULL AND "
        "type = 'restricted' AND revoked_at IS NULL").columns(permissions=JSON)).all()
    grant = text("UPDATE api_keys SET permissions = :permissions WHERE id = :id").bindparams(
        bindparam("permissions", type_=JSON))
    for row in rows:
        held = list(row.permissions or [])
        if permission not in held:
            conn.execute(grant, {"permissions": sorted([*held, permission]), "id": row.id})


# Columns version 23 adds, as version 16's: what 3-D Secure did for a charge.
CHARGE_AUTHENTICATION_COLUMNS = {"charges": (("three_d_secure", "JSON"),)}


def _v23_charge_authentication(conn) -> None:
    """Charges show Stripe's ``payment_method_details.card.three_d_secure``. Older charges
    have none (NULL, shown null): none recorded an authentication, and a completed one's
    charge cannot be told from its intent's other charges afterwards.

    An authentication still waiting learns whose its payment method was when it was asked
    for (``customer``, which ``services.three_d_secure`` now records): else a customer's
    method detached after the upgrade would still be held for the intent, and saved again by
    completing. Its method's customer now is that one: a method spent without a customer
    (``ask`` spends it) can be attached to none while it waits. One detached before the
    upgrade cannot be told from one that never had a customer: ``None``, as before."""
    from sqlalchemy import JSON, bindparam

    _add_columns(conn, CHARGE_AUTHENTICATION_COLUMNS)
    rows = conn.execute(text(
        "SELECT payment_intents.id, payment_intents.authentication, payment_methods.id AS "
        "method_id, payment_methods.customer_id FROM payment_intents JOIN payment_methods "
        "ON payment_methods.id = payment_intents.payment_method_id "
        "WHERE payment_intents.status = 'requires_action' "
        "AND payment_intents.authentication IS NOT NULL").columns(authentication=JSON)).all()
    learn = text("UPDATE payment_intents SET authentication = :authentication "
                 "WHERE id = :id").bindparams(bindparam("authentication", type_=JSON))
    for row in rows:
        found = row.authentication
        if found and found.get("outcome") is None and "customer" not in found \
                and found.get("payment_method") == row.method_id:
            conn.execute(learn, {"authentication": {**found, "customer": row.customer_id},
                                 "id": row.id})


# Columns version 24 adds, as version 16's: a payment method's allow_redisplay.
ALLOW_REDISPLAY_COLUMNS = {
    "payment_methods": (("allow_redisplay", "VARCHAR(16) NOT NULL DEFAULT 'unspecified'"),),
}


def _v24_payment_method_allow_redisplay(conn) -> None:
    """Payment methods keep Stripe's ``allow_redisplay``, which ``POST /v1/payment_methods/{id}``
    sets. Older rows get ``unspecified``: what they showed, and what Stripe gives one that no
    checkout saved."""
    _add_columns(conn, ALLOW_REDISPLAY_COLUMNS)


# What a read-only OAuth access token gained at version 25, with /v1/setup_intents.
SETUP_INTENT_READ = "setup_intent_read"


def _v25_setup_intents(conn) -> None:
    """SetupIntents (their table is new: created above). A ``read_only`` OAuth access token
    holds every ``*_read`` permission as it is issued: those issued before and still working
    get ``setup_intent_read``, as version 22 gave them ``accounts_kyc_basic_read`` (and for
    the same reasons, a restricted key someone made, or a revoked token, keeps what it has)."""
    _grant_read_only_tokens(conn, SETUP_INTENT_READ)


# Columns version 26 adds, as version 16's: a customer's default source (a saved card).
DEFAULT_SOURCE_COLUMNS = {"customers": (("default_source_id", "VARCHAR(64)"),)}


def _v26_saved_cards(conn) -> None:
    """Customers keep saved cards, Stripe's legacy sources (their table, ``card_sources``, is
    new: created above), and the one that is their default source. Customers made before
    have none (NULL: ``default_source`` null, as they showed)."""
    _add_columns(conn, DEFAULT_SOURCE_COLUMNS)


# Version 27: Stripe's "Decline after attaching" card (4000000000000341, the only test card
# with these last four) has an outcome class of its own (core.cards.DECLINED_WHEN_CHARGED);
# rows made before gave it 0002's. The tables that keep a card's class (core.cards.TEST_CARDS).
CARD_CLASS_TABLES = ("payment_methods", "tokens", "charges")
DECLINE_AFTER_ATTACHING = ("0341", "generic_decline", "charge_customer_fail")


def _v27_decline_after_attaching(conn) -> None:
    """Payment methods, tokens and charges of ``4000000000000341`` learn its own class: a
    SetupIntent sets it up (before, it was declined as 0002), and its charges are declined as
    before (``generic_decline``, the same outcome, so old charges show what they did). 0002's
    keep theirs. Run again (two workers), it finds nothing left to change."""
    last4, old, new = DECLINE_AFTER_ATTACHING
    for table in CARD_CLASS_TABLES:
        conn.execute(text(f"UPDATE {table} SET card_outcome = :new "
                          "WHERE card_outcome = :old AND last4 = :last4"),
                     {"new": new, "old": old, "last4": last4})


UPGRADES: dict[int, object] = {  # version -> function(connection)
    2: _v2_payment_intents_and_ledger,
    3: _v3_webhook_endpoint_count,
    4: _v4_webhook_secret_rolls,
    5: _v5_open_drills,
    6: _v6_intent_shipping,
    7: _v7_withhold_saved_secrets,
    8: _v8_intent_method_options,
    9: _v9_normalized_emails,
    10: _v10_money_is_64_bit,
    11: _v11_uncaptured_charges_expire,
    12: _v12_form_nonce_requests,
    13: _v13_test_bank_accounts,
    14: _v14_idempotency_paths,
    15: _v15_oauth_access_tokens,
    16: _v16_descriptive_fields,
    17: _v17_connect_webhooks,
    18: _v18_charge_descriptive_fields,
    19: _v19_card_checks,
    20: _v20_callers,
    21: _v21_three_d_secure,
    22: _v22_read_only_tokens_read_the_account,
    23: _v23_charge_authentication,
    24: _v24_payment_method_allow_redisplay,
    25: _v25_setup_intents,
    26: _v26_saved_cards,
    27: _v27_decline_after_attaching,
}

_meta = MetaData()
schema_table = Table("payground_schema", _meta, Column("version", Integer, primary_key=True))


def upgrade(engine) -> None:
    """Create missing tables and apply pending upgrades (safe to run from several workers)."""
    from .. import models  # noqa: F401  (every model must be registered before create_all)
    from ..extensions import db

    for attempt in range(3):
        try:
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    # Workers starting together take turns.
                    conn.execute(text("SELECT pg_advisory_xact_lock(4242)"))
                existing = set(inspect(conn).get_table_names())
                current = None
                if schema_table.name in existing:
                    current = conn.execute(select(schema_table.c.version)).scalar()
                    # Before anything is made: a newer version may have moved tables.
                    if current is not None and current > SCHEMA_VERSION:
                        raise DatabaseTooNew(current)
                if current is None and existing - {schema_table.name}:
                    raise NotPaygroundDatabase(existing - {schema_table.name})
                _create_missing_tables(conn, existing, (_meta, db.metadata))
                if current is None:
                    conn.execute(schema_table.insert().values(version=SCHEMA_VERSION))
                    return
                for version in range(current + 1, SCHEMA_VERSION + 1):
                    try:
                        UPGRADES[version](conn)
                    except Exception as exc:
                        # Not retried as a race below: the same step would fail again.
                        raise UpgradeFailed(current, version, exc) from exc
                    conn.execute(schema_table.update().values(version=version))
                if current < SCHEMA_VERSION:
                    log.info("database upgraded from schema version %d to %d", current,
                             SCHEMA_VERSION)
            return
        except (IntegrityError, OperationalError, ProgrammingError):
            if attempt == 2:
                raise
            log.info("schema being created by another process; trying again")


def _create_missing_tables(conn, existing: set[str], metadatas) -> None:
    """Create the tables of ``metadatas`` not in ``existing``, in dependency order.

    Start-up runs this every time: one query lists the existing tables (``create_all`` alone
    would ask about each table in turn), and an up-to-date database creates nothing.
    """
    for metadata in metadatas:
        missing = [t for t in metadata.sorted_tables if t.name not in existing]
        if missing:
            metadata.create_all(conn, tables=missing, checkfirst=False)
