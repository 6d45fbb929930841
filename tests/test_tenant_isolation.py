"""Tenant isolation on a shared server: nothing of another account, nor of the other mode, can
be read, used, changed or even learned about.

Two accounts, A (the one asking) and B, each with one of everything in test and in live mode.
For every route of the URL map (``/v1``, ``/sandbox``, ``/dashboard``), A names B's objects
wherever an id goes: in the path, and in every parameter that takes one (``customer=``,
``source=``, ``client_secret=``, cursors ...). Each answer must be exactly the one a made-up
id of the same shape gets (status, type, code, param, message): no existence oracle. On
``/v1``, A's own objects of the other mode get Stripe's "a similar object exists in live mode"
instead, and are not changed either. Nothing of B's changes, no row of A's comes to point at
one of B's, and no answer to A's reads (lists, every ``expand[]``) holds an id of B's.

The walk is driven by the URL map and, on ``/v1``, by each route's input schema: a route, a
path variable or a parameter that the tables below do not know fails it, so a new one has to
say what it takes (and so be walked) before it can ship.
"""

from __future__ import annotations

import json
import re
import secrets
import string
import tempfile
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from payground import messages
from payground.core import keys as keyfmt
from payground.http.decorators import INPUT_ATTR, OUTPUT_ATTR
from tests.conftest import AccountHandle

YEAR = time.gmtime().tm_year
LIVE_CARD = "4012888888881881"  # Luhn-valid, not one of Stripe's test cards
FROZEN = time.time()  # the walk's wall clock: nothing falls due while it runs

# What kind of object each path variable names; ``None``: not an id.
PATH_KINDS = {
    "customer_id": "customer", "token_id": "token", "charge_id": "charge",
    "refund_id": "refund", "intent_id": "payment_intent", "method_id": "payment_method",
    "setup_intent_id": "setup_intent", "source_id": "source",
    "payout_id": "payout", "txn_id": "balance_transaction", "event_id": "event",
    "endpoint_id": "webhook_endpoint", "key_id": "key", "drill_id": "drill",
    "request_id": "request", "rest": None, "filename": None, "account_id": "account",
    # Not walked yet (the world has no OAuth objects): tests/api/test_oauth.py and
    # tests/dashboard/test_connect.py check that another account's connection is a 404.
    "connection_id": None,
}
# Kinds of object that are no mode's: an account is both modes' (A's own is A's with either key).
MODELESS = {"account"}
# What a made-up id in the path gets where it is not a 404: an account the key cannot reach is
# Stripe's 403 account_invalid, whether it exists or not.
PATH_NOT_A_404 = {"account": 403}
# Where a path names an object under another, A's own one that is under it.
NESTED = {"/v1/charges/<charge_id>/refunds/<refund_id>": {"charge_id": "refunded_charge"},
          "/v1/charges/<charge_id>/refunds": {"charge_id": "refunded_charge"},
          "/v1/customers/<customer_id>/payment_methods/<method_id>": {
              "method_id": "saved_payment_method"}}
# Pages that show no object of the account's: a made-up address, static files.
NOT_PAGES = {"/dashboard/<path:rest>", "/dashboard/static/<path:filename>",
             "/static/<path:filename>"}
# Pages a signed-in visitor is sent on from (to the keys page).
REDIRECTS = {"/dashboard", "/dashboard/", "/dashboard/login", "/dashboard/signup"}
# Connect OAuth's authorize pages: without an authorize request, the page saying so (400).
OAUTH_LINKS = {"/oauth/authorize", "/dashboard/oauth/authorize"}
# Pages of an object the world has none of (PATH_KINDS: not walked yet): a made-up id's 404.
UNWALKED_PAGES = {"/dashboard/connections/<connection_id>/disconnect"}
# The 3-D Secure page: without its link's token, any intent (one's own too) is a 404, the
# answer a made-up id gets (tests/api/test_three_d_secure.py opens it with the token).
TOKEN_PAGES = {"/3d_secure/<intent_id>"}
# Search needs a query: one that every object of the kind matches (a cursor from B's search is
# refused as a made-up one: tests/api/test_search.py).
SEARCHES = {rule: {"query": "created>0", "limit": "100"} for rule in (
    "/v1/customers/search", "/v1/charges/search", "/v1/payment_intents/search")}
LISTED = "listed"  # a cursor: an object of the kind the route lists
# /v1 parameters that take an id (or a secret naming an object), and the kinds tried in each.
V1_ID_PARAMS = {
    "customer": ("customer",), "charge": ("charge",), "payment_intent": ("payment_intent",),
    "payment_method": ("payment_method",), "card[token]": ("token",), "payout": ("payout",),
    # A charge's source (a token) and a balance transaction's (what moved), route by route.
    "source": {"/v1/charges": ("token", "source"),
               "/v1/balance_transactions": ("charge", "refund", "payout"),
               # A customer's new saved card: a token.
               "/v1/customers": ("token",), "/v1/customers/<customer_id>": ("token",),
               "/v1/customers/<customer_id>/sources": ("token",)},
    "default_source": ("source",),  # one of the customer's own saved cards
    "card": {"/v1/charges": ("token",)},  # the charge's legacy name for source
    "client_secret": {"/v1/payment_intents/<intent_id>": ("client_secret",),
                      "/v1/payment_intents/<intent_id>/confirm": ("client_secret",),
                      "/v1/setup_intents/<setup_intent_id>": ("setup_client_secret",),
                      "/v1/setup_intents/<setup_intent_id>/confirm": ("setup_client_secret",)},
    "destination": ("bank_account",),
    "starting_after": LISTED, "ending_before": LISTED,
    # A customer's default: one of its own payment methods, else one 400 for any id.
    "invoice_settings[default_payment_method]": ("payment_method",),
}
# Every other /v1 parameter: none of them names an object. (``expand[]`` names fields of the
# caller's own objects; the reads below check that no expansion reaches one of B's.)
V1_NOT_IDS = {
    "amount", "amount_to_capture", "api_version", "arrival_date", "balance",
    "cancellation_reason", "capture", "capture_method", "card[cvc]", "card[exp_month]",
    "card[exp_year]", "card[name]", "card[number]", "confirm", "connect", "created",
    "currency", "delivery_success", "description", "disabled", "email", "enabled_events",
    "error_on_requires_action", "expand", "limit", "metadata", "method", "name",
    "off_session", "payment_method_types", "phone", "reason", "receipt_email", "return_url",
    "setup_future_usage", "statement_descriptor", "statement_descriptor_suffix", "status",
    "type", "types", "url", "usage", "card[address_city]", "card[address_country]",
    "card[address_line1]", "card[address_line2]", "card[address_state]", "card[address_zip]",
    "card[currency]", "preferred_locales", "tax_exempt", "invoice_prefix",
    "next_invoice_sequence", "transfer_group", "allow_redisplay",
    # Search: a query names no object; a page is a cursor signed for its account, mode,
    # resource and query (another account's is refused: tests/api/test_search.py).
    "query", "page",
    # A saved card's fields; what a customer's list of them holds; Stripe's `validate`.
    "exp_month", "exp_year", "address_city", "address_country", "address_line1",
    "address_line2", "address_state", "address_zip", "object", "validate",
}
V1_NOT_ID_GROUPS = ("shipping[", "payment_method_options[", "automatic_payment_methods[",
                    "billing_details[", "address[", "invoice_settings[custom_fields]",
                    "invoice_settings[footer]", "invoice_settings[rendering_options]")
# What a /v1 list holds, for its cursors.
V1_LISTS = {
    "/v1/customers": "customer", "/v1/charges": "charge", "/v1/refunds": "refund",
    "/v1/charges/<charge_id>/refunds": "refund", "/v1/balance_transactions":
    "balance_transaction", "/v1/events": "event", "/v1/payment_intents": "payment_intent",
    "/v1/payment_methods": "payment_method",
    "/v1/customers/<customer_id>/payment_methods": "payment_method",
    "/v1/payouts": "payout", "/v1/webhook_endpoints": "webhook_endpoint",
    "/v1/setup_intents": "setup_intent",
    "/v1/customers/<customer_id>/sources": "source",
    # A platform's connected accounts (A is connected to none: B's account, or A's own, as a
    # cursor is a made-up id's 404; tests/api/test_accounts.py walks a platform's own).
    "/v1/accounts": "account",
}


class Own(str):
    """In ``V1_BASE``: the id of A's own object of this kind (in the key's mode)."""


# The other parameters a /v1 request needs for its id to be looked up at all.
V1_BASE = {
    ("POST", "/v1/charges"): {"amount": "2000", "currency": "usd"},
    ("POST", "/v1/payment_intents"): {"amount": "2000", "currency": "usd"},
    ("POST", "/v1/payouts"): {"amount": "100", "currency": "usd"},
    ("POST", "/v1/payment_methods"): {"type": "card"},
    ("POST", "/v1/payment_methods/<method_id>/attach"): {"customer": Own("customer")},
    # A magic token: never used up, so every call gets as far as the ids in it.
    ("POST", "/v1/customers/<customer_id>/sources"): {"source": "tok_visa"},
    # What A's own page would send (a publishable key needs it); a secret key may send it too.
    ("POST", "/v1/payment_intents/<intent_id>/confirm"): {"client_secret": Own("client_secret")},
    ("POST", "/v1/setup_intents/<setup_intent_id>/confirm"): {
        "client_secret": Own("setup_client_secret")},
}
# Each intent kind's client secret (the name of its secret among an account's objects).
SECRETS = {"payment_intent": "client_secret", "setup_intent": "setup_client_secret"}

# The session's routes do not declare a schema: each lists the id parameters it takes (an
# empty mapping: none). A route missing here fails the walk.
SANDBOX_PARAMS = {
    ("POST", "/sandbox/signup"): {}, ("POST", "/sandbox/login"): {},
    ("POST", "/sandbox/logout"): {}, ("GET", "/sandbox/account"): {},
    ("GET", "/sandbox/version"): {},
    ("POST", "/sandbox/account/activate"): {}, ("GET", "/sandbox/bank"): {},
    ("POST", "/sandbox/bank"): {},  # a test account number, no id
    ("GET", "/sandbox/clock"): {}, ("POST", "/sandbox/clock/advance"): {},
    ("GET", "/sandbox/ledger/verify"): {}, ("GET", "/sandbox/keys"): {},
    ("POST", "/sandbox/keys"): {}, ("GET", "/sandbox/keys/<key_id>"): {},
    ("POST", "/sandbox/keys/<key_id>/revoke"): {}, ("POST", "/sandbox/keys/<key_id>/roll"): {},
    ("POST", "/sandbox/keys/identify"): {"keys": ("secret_key",)},
    ("POST", "/sandbox/leak_drills"): {"key": ("key",)},
    ("GET", "/sandbox/leak_drills"): {"starting_after": ("drill",),
                                      "ending_before": ("drill",)},
    ("GET", "/sandbox/leak_drills/<drill_id>"): {},
    ("GET", "/sandbox/requests"): {"key": ("key",), "starting_after": ("request",),
                                   "ending_before": ("request",)},
    ("GET", "/sandbox/requests/<request_id>"): {},
    ("GET", "/sandbox/audit"): {"key": ("key",), "starting_after": ("audit_event",),
                                "ending_before": ("audit_event",)},
    ("GET", "/sandbox/webhook_deliveries"): {
        "endpoint": ("webhook_endpoint",), "event": ("event",),
        "starting_after": ("webhook_delivery",), "ending_before": ("webhook_delivery",)},
    ("POST", "/sandbox/webhook_endpoints/<endpoint_id>/roll"): {},
    ("GET", "/sandbox/connect"): {}, ("POST", "/sandbox/connect"): {},
    ("GET", "/sandbox/connections"): {},
    ("POST", "/sandbox/connections/<connection_id>/revoke"): {},
}
_PAGE_CURSORS = {"starting_after": None, "ending_before": None}
DASHBOARD_PARAMS = {
    ("GET", "/dashboard"): {}, ("GET", "/dashboard/"): {},
    ("GET", "/dashboard/<path:rest>"): {}, ("POST", "/dashboard/<path:rest>"): {},
    ("GET", "/dashboard/static/<path:filename>"): {},
    ("GET", "/dashboard/login"): {}, ("POST", "/dashboard/login"): {},
    ("GET", "/dashboard/signup"): {}, ("POST", "/dashboard/signup"): {},
    ("POST", "/dashboard/logout"): {}, ("POST", "/dashboard/mode"): {},
    ("GET", "/dashboard/activate"): {}, ("POST", "/dashboard/activate"): {},
    ("GET", "/dashboard/clock"): {}, ("POST", "/dashboard/clock"): {},
    ("GET", "/dashboard/balance"): {},
    ("GET", "/dashboard/customers"): {n: ("customer",) for n in _PAGE_CURSORS},
    ("GET", "/dashboard/charges"): {n: ("charge",) for n in _PAGE_CURSORS},
    ("GET", "/dashboard/refunds"): {n: ("refund",) for n in _PAGE_CURSORS},
    ("GET", "/dashboard/payment_intents"): {n: ("payment_intent",) for n in _PAGE_CURSORS},
    ("GET", "/dashboard/setup_intents"): {n: ("setup_intent",) for n in _PAGE_CURSORS},
    ("GET", "/dashboard/payouts"): {n: ("payout",) for n in _PAGE_CURSORS},
    ("GET", "/dashboard/requests"): {"key": ("key",),
                                     **{n: ("request",) for n in _PAGE_CURSORS}},
    ("GET", "/dashboard/requests/<request_id>"): {},
    ("GET", "/dashboard/audit"): {"key": ("key",),
                                  **{n: ("audit_event",) for n in _PAGE_CURSORS}},
    ("GET", "/dashboard/keys"): {}, ("POST", "/dashboard/keys"): {},
    ("GET", "/dashboard/keys/<key_id>/roll"): {}, ("POST", "/dashboard/keys/<key_id>/roll"): {},
    ("GET", "/dashboard/keys/<key_id>/revoke"): {},
    ("POST", "/dashboard/keys/<key_id>/revoke"): {},
    ("GET", "/dashboard/drills"): {}, ("POST", "/dashboard/drills"): {"key": ("key",)},
    ("GET", "/dashboard/webhooks"): {"endpoint": ("webhook_endpoint",),
                                     **{n: ("webhook_delivery",) for n in _PAGE_CURSORS}},
    ("POST", "/dashboard/webhooks"): {}, ("GET", "/dashboard/webhooks/new"): {},
    ("GET", "/dashboard/webhooks/<endpoint_id>/roll"): {},
    ("POST", "/dashboard/webhooks/<endpoint_id>/roll"): {},
    # The OAuth consent page: its client_id is not walked yet (see OTHER_PARAMS).
    ("GET", "/dashboard/oauth/authorize"): {}, ("POST", "/dashboard/oauth/authorize"): {},
    # Connect OAuth's pages: connection ids not walked yet (PATH_KINDS); another account's
    # connection is a 404 there (tests/dashboard/test_connect.py).
    ("GET", "/dashboard/connect"): {}, ("POST", "/dashboard/connect"): {},
    ("GET", "/dashboard/connections"): {},
    ("GET", "/dashboard/connections/<connection_id>/disconnect"): {},
    ("POST", "/dashboard/connections/<connection_id>/disconnect"): {},
}
OTHER_PARAMS = {("GET", "/static/<path:filename>"): {},  # Flask's own
                # Connect OAuth: its client_id, code and account ids are not walked yet (the
                # world has no OAuth objects); tests/api/test_oauth.py tries other accounts'.
                ("GET", "/oauth/authorize"): {}, ("POST", "/oauth/token"): {},
                ("POST", "/oauth/deauthorize"): {},
                # The 3-D Secure page: its token names no object (it is checked against the
                # intent's own: another's is a 404, as a made-up one).
                ("GET", "/3d_secure/<intent_id>"): {}, ("POST", "/3d_secure/<intent_id>"): {}}

# What a made-up id gets where it is not a 404: filters that match nothing (as on Stripe),
# a client secret that does not match, a list of keys that are not the account's.
NOT_A_404 = {
    ("GET", "/v1/payouts", "destination"): 200,
    ("GET", "/sandbox/requests", "key"): 200, ("GET", "/sandbox/audit", "key"): 200,
    ("GET", "/sandbox/webhook_deliveries", "endpoint"): 200,
    ("GET", "/sandbox/webhook_deliveries", "event"): 200,
    ("POST", "/sandbox/keys/identify", "keys"): 200,
    ("GET", "/dashboard/requests", "key"): 200, ("GET", "/dashboard/audit", "key"): 200,
    ("GET", "/dashboard/webhooks", "endpoint"): 200,
    # Stripe's one answer to a default that is not the customer's, whatever the id names.
    ("POST", "/v1/customers", "invoice_settings[default_payment_method]"): 400,
    ("POST", "/v1/customers/<customer_id>", "invoice_settings[default_payment_method]"): 400,
    # The dashboard's lists answer an unknown cursor on the page itself.
    **{("GET", rule, cursor): 400 for (method, rule), params in DASHBOARD_PARAMS.items()
       for cursor in _PAGE_CURSORS if cursor in params},
    # Starting a drill shows the drills page again, with the 404's message.
    ("POST", "/dashboard/drills", "key"): 400,
}
CLIENT_SECRET_MISMATCH = 400

# An object's id (``ch_3Ab...``): a short prefix, then random base62 (not a snake_case word).
_ID = re.compile(r"\b[a-z]{2,5}_(?=[0-9a-z]*[0-9A-Z])[0-9A-Za-z]{12,}\b")
_CSRF = re.compile(r'(name="(?:csrf_token|form_nonce)" value=")[^"]*"')


# --- the routes, from the URL map -------------------------------------------------------------


def _url_map_routes() -> list[tuple[str, str]]:
    """Every (method, rule) of a freshly built app (SQLite in a temporary folder)."""
    from payground import create_app
    from payground.app import dispose_app

    with tempfile.TemporaryDirectory() as home:
        app = create_app({"HOME": home, "TESTING": True, "SECRET": "collect-" + "x" * 16,
                          "DATABASE_URL": f"sqlite:///{home}/routes.db",
                          "RATE_LIMITS": "off"})
        try:
            return sorted({(method, rule.rule) for rule in app.url_map.iter_rules()
                           for method in rule.methods - {"HEAD", "OPTIONS"}})
        finally:
            dispose_app(app)


ROUTES = _url_map_routes()


# --- the two accounts and their objects -------------------------------------------------------


class Side:
    """One account's handle and its objects in each mode (``objects[livemode][kind]``)."""

    def __init__(self, handle: AccountHandle):
        self.handle = handle
        self.objects: dict[bool, dict[str, str]] = {False: {}, True: {}}

    def secret(self, live: bool) -> str:
        return self.handle.live_secret_key if live else self.handle.secret_key

    def publishable(self, live: bool) -> str:
        return self.handle.live_publishable_key if live else self.handle.publishable_key


class World:
    def __init__(self, app, client, a: Side, b: Side, browser):
        self.app, self.client, self.a, self.b, self.browser = app, client, a, b, browser


def _signup(client) -> AccountHandle:
    email = f"iso-{secrets.token_hex(4)}@example.com"
    r = client.post("/sandbox/signup", json={"email": email, "password": "correct horse b"})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    handle = AccountHandle(client=client, email=email, session=body["session"],
                           secret_key=body["keys"]["secret"],
                           publishable_key=body["keys"]["publishable"],
                           account_id=body["account"]["id"])
    handle.activate()
    return handle


def _call(side: Side, method: str, path: str, data=None, *, key: str):
    r = side.handle.client.open(path, method=method, data=data,
                                headers=side.handle.auth(key))
    assert r.status_code == 200, (path, r.get_json())
    return r.get_json()


def _session(side: Side, method: str, path: str, **kw):
    r = side.handle.client.open(path, method=method, headers=side.handle.session_auth, **kw)
    assert r.status_code in (200, 201), (path, r.get_json())
    return r.get_json()


def _populate(side: Side, live: bool, events: list[str]) -> None:
    """One of every /v1 object of this mode, and the keys that go with them."""
    sk, pk, ids = side.secret(live), side.publishable(live), side.objects[live]
    number = LIVE_CARD if live else "4242424242424242"

    def token() -> str:
        return _call(side, "POST", "/v1/tokens", {
            "card[number]": number, "card[exp_month]": "12", "card[exp_year]": str(YEAR + 2)},
            key=pk)["id"]

    def method() -> str:
        return _call(side, "POST", "/v1/payment_methods",
                     {"type": "card", "card[token]": token()}, key=pk)["id"]

    ids["customer"] = _call(side, "POST", "/v1/customers",
                            {"email": "someone@example.com"}, key=sk)["id"]
    ids["token"] = token()  # made with the publishable key, as a page would
    ids["source"] = _call(side, "POST", f"/v1/customers/{ids['customer']}/sources",
                          {"source": token()}, key=sk)["id"]  # its default source
    ids["payment_method"] = method()
    saved = ids["saved_payment_method"] = method()
    _call(side, "POST", f"/v1/payment_methods/{saved}/attach",
          {"customer": ids["customer"]}, key=sk)
    # Uncaptured, and a PaymentIntent's: a capture or a refund would move (and lock) both.
    ids["charge"] = _call(side, "POST", "/v1/payment_intents", {
        "amount": "2000", "currency": "usd", "customer": ids["customer"],
        "payment_method": saved, "confirm": "true", "capture_method": "manual"},
        key=sk)["latest_charge"]
    paid = _call(side, "POST", "/v1/charges", {"amount": "5000", "currency": "usd",
                                                "source": token()}, key=sk)
    ids["balance_transaction"], ids["refunded_charge"] = paid["balance_transaction"], paid["id"]
    ids["refund"] = _call(side, "POST", "/v1/refunds", {"charge": paid["id"], "amount": "100"},
                          key=sk)["id"]
    intent = _call(side, "POST", "/v1/payment_intents", {
        "amount": "2000", "currency": "usd", "customer": ids["customer"],
        "payment_method": saved}, key=sk)
    ids["payment_intent"], ids["client_secret"] = intent["id"], intent["client_secret"]
    setup = _call(side, "POST", "/v1/setup_intents", {"customer": ids["customer"],
                                                      "payment_method": saved}, key=sk)
    ids["setup_intent"], ids["setup_client_secret"] = setup["id"], setup["client_secret"]
    ids["webhook_endpoint"] = _call(side, "POST", "/v1/webhook_endpoints", {
        "url": "http://127.0.0.1:9/hook", "enabled_events[]": events}, key=sk)["id"]
    ids["key"], ids["secret_key"] = side.handle.key_id(sk), sk
    ids["account"] = side.handle.account_id


def _after_the_clock(side: Side, live: bool) -> None:
    """What needs available funds (a payout), a leak drill, and what the logs hold."""
    sk, ids = side.secret(live), side.objects[live]
    payout = _call(side, "POST", "/v1/payouts", {"amount": "100", "currency": "usd"}, key=sk)
    ids["payout"], ids["bank_account"] = payout["id"], payout["destination"]
    # Something for the endpoint ("*" on B's side): a delivery to list.
    _call(side, "POST", f"/v1/customers/{ids['customer']}", {"description": "VIP"}, key=sk)
    leaked = side.handle.create_key(permissions=["customer_read"], livemode=live)
    ids["drill"] = _session(side, "POST", "/sandbox/leak_drills",
                            json={"key": side.handle.key_id(leaked)})["id"]
    ids["event"] = _call(side, "GET", "/v1/events?limit=1", key=sk)["data"][0]["id"]
    mode = "live" if live else "test"
    ids["request"] = _session(side, "GET", f"/sandbox/requests?mode={mode}&limit=1")[
        "data"][0]["id"]
    audit = _session(side, "GET", "/sandbox/audit?limit=100")["data"]
    ids["audit_event"] = next(e["id"] for e in audit if e["livemode"] is live)
    deliveries = _session(side, "GET", f"/sandbox/webhook_deliveries?mode={mode}")["data"]
    if deliveries:
        ids["webhook_delivery"] = deliveries[0]["id"]


@pytest.fixture(scope="module")
def world(tmp_path_factory, database_url):
    from payground import create_app
    from payground.app import dispose_app
    from payground.core.clock import Clock

    config = {"HOME": str(tmp_path_factory.mktemp("isolation")), "TESTING": True,
              "RATE_LIMITS": "off", "SECRET": "test-pepper-" + secrets.token_hex(8),
              "PASSWORD_COST": 2**8, "REQUEST_LOG_FLUSH_MS": 0,
              "CLOCK": Clock(wall=lambda: FROZEN)}
    if database_url:
        config["DATABASE_URL"] = database_url
    app = create_app(config)
    client = app.test_client()
    a, b = Side(_signup(client)), Side(_signup(client))
    for side, events in ((a, ["payout.canceled"]), (b, ["*"])):
        for live in (False, True):
            _populate(side, live, events)
        side.handle.advance_clock(3 * 86400)  # the charges' funds are available
        for live in (False, True):
            _after_the_clock(side, live)
    assert "webhook_delivery" in b.objects[False] and "webhook_delivery" in b.objects[True]
    assert app.extensions["payground"].webhooks.wait_idle(10)  # B's first attempts are made
    browser = app.test_client()  # A's, signed in to the dashboard
    browser.set_cookie("payground_session", a.handle.session)
    with held_rows(app, b.handle.account_id):
        yield World(app, client, a, b, browser)
    dispose_app(app)


@contextmanager
def held_rows(app, account_id: str):
    """On PostgreSQL, every row of the account locked (``FOR UPDATE``) from another
    connection while A walks: a request of A's that locks, or waits for, a row of B's then
    gets a 429 ``lock_timeout`` where a made-up id gets its 404 - the wait itself would tell A
    that the object exists. (SQLite locks the whole database, not rows: nothing to hold.)"""
    from payground.models.base import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection, connection.begin() as transaction:
        for table in db.metadata.sorted_tables:
            column = table.c.id if table.name == "accounts" else table.c.get("account_id")
            if column is not None:
                connection.execute(select(table).where(column == account_id).with_for_update())
        yield
        transaction.rollback()


# --- what is compared -------------------------------------------------------------------------


def rows(app, account_id: str, livemode: bool | None = None) -> dict[str, list[str]]:
    """Every row of the account (of one mode, if given), table by table."""
    from payground.models.base import db

    found = {}
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if table.name == "accounts":
                query = select(table).where(table.c.id == account_id)
            elif "account_id" in table.c:
                query = select(table).where(table.c.account_id == account_id)
            else:
                continue
            if livemode is not None:
                if "livemode" not in table.c:
                    continue
                query = query.where(table.c.livemode == livemode)
            found[table.name] = sorted(repr(tuple(row)) for row in db.session.execute(query))
        db.session.remove()
    return found


def ids_in(table_rows: dict[str, list[str]], *, skip=()) -> set[str]:
    return {match for name, values in table_rows.items() if name not in skip
            for value in values for match in _ID.findall(value)}


def made_up(value: str) -> str:
    """An id (or client secret, or key) of the same shape that names nothing."""
    if keyfmt.parse(value):  # a full key: a real checksum, never issued
        return keyfmt.generate(keyfmt.KINDS[value[:2]], "_live_" in value)
    head, *parts = value.split("_")
    alphabet = string.ascii_letters + string.digits
    return "_".join([head] + [part if part == "secret" else
                              "".join(secrets.choice(alphabet) for _ in part)
                              for part in parts])


def answer(response, *names: str) -> tuple[int, str]:
    """Status and body, with ``names`` (the id asked for) and what changes from one request
    to the next (its own request id, a form's token) taken out."""
    if response.is_json:
        body = response.get_json()
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            body["error"].pop("request_log_url", None)
        text = json.dumps(body, sort_keys=True)
    else:
        text = _CSRF.sub(r'\1"', response.get_data(as_text=True))
    for name in names:
        text = text.replace(name, "<asked>")
    return response.status_code, text


def no_such(noun_message: str) -> re.Match | None:
    return re.fullmatch(r"No such (.+): '(.+)'", noun_message or "")


# --- sending ------------------------------------------------------------------------------------


def fill(rule: str, values: dict[str, str]) -> str:
    path = rule
    for name, value in values.items():
        path = re.sub(rf"<(?:\w+:)?{name}>", value, path)
    return path


def v1_input_fields(app, rule: str, method: str) -> list[str]:
    from marshmallow import fields as mfields

    endpoint = next(r.endpoint for r in app.url_map.iter_rules()
                    if r.rule == rule and method in r.methods)
    schema = getattr(app.view_functions[endpoint], INPUT_ATTR)()

    def walk(s, prefix=""):
        for name, field in s.fields.items():
            full = f"{prefix}[{field.data_key or name}]" if prefix else field.data_key or name
            if isinstance(field, mfields.Nested):
                yield from walk(field.schema, full)
            else:
                yield full
    return list(walk(schema))


def expansions(app, rule: str) -> list[str]:
    """Every one-level ``expand[]`` path of a /v1 GET's answer (``data.x`` for a list)."""
    endpoint = next(r.endpoint for r in app.url_map.iter_rules()
                    if r.rule == rule and "GET" in r.methods)
    schema = getattr(app.view_functions[endpoint], OUTPUT_ATTR, None)
    item = getattr(schema, "ITEM_SCHEMA", None)
    if item is not None:
        return [f"data.{name}" for name in getattr(item, "EXPANDABLE", {})]
    return list(getattr(schema, "EXPANDABLE", {}))


class Walk:
    """The requests of one route: each B-id request beside its made-up twin."""

    def __init__(self, world: World, method: str, rule: str):
        self.world, self.method, self.rule = world, method, rule
        self.pairs = 0
        self.failures: list[str] = []

    def send(self, how: dict, path: str, params: dict):
        client = self.world.browser if how["kind"] == "dashboard" else self.world.client
        if how["kind"] == "dashboard":
            client.set_cookie("payground_mode", "live" if how["live"] else "test")
        kw = {"headers": dict(how.get("headers", {}))}
        if self.method in ("GET", "DELETE"):
            kw["query_string"] = params
        elif how["kind"] == "sandbox":
            kw["json"] = params
        else:
            data = dict(params)
            if how["kind"] == "dashboard":
                data["csrf_token"] = how["csrf"]()
            kw["data"] = data
        return client.open(path, method=self.method, **kw)

    def compare(self, how: dict, label: str, expected_status: int,
                asked: tuple[str, dict, str], twin: tuple[str, dict, str]) -> None:
        """``asked`` (path, params, the id) must be answered as ``twin`` is."""
        made = self.send(how, twin[0], twin[1])
        got = self.send(how, asked[0], asked[1])
        self.pairs += 1
        where = f"{self.method} {self.rule} [{how['name']}] {label}"
        if made.status_code != expected_status:
            self.failures.append(f"{where}: a made-up id got {made.status_code}, not "
                                 f"{expected_status}: {made.get_data(as_text=True)[:300]}")
            return
        if answer(got, asked[2]) != answer(made, twin[2]):
            self.failures.append(f"{where}: answered {got.status_code} "
                                 f"{got.get_data(as_text=True)[:400]!r}, a made-up id "
                                 f"{made.status_code} {made.get_data(as_text=True)[:400]!r}")

    def compare_own_other_mode(self, how: dict, label: str, asked: tuple[str, dict, str],
                               twin: tuple[str, dict, str]) -> None:
        """A's object of the other mode: Stripe's cross-mode 404 where a made-up id gets a
        plain 404, else the same answer."""
        made = self.send(how, twin[0], twin[1])
        got = self.send(how, asked[0], asked[1])
        self.pairs += 1
        where = f"{self.method} {self.rule} [{how['name']}] {label} (own, other mode)"
        error = (made.get_json(silent=True) or {}).get("error") or {}
        missing = no_such(error.get("message"))
        if made.status_code == 404 and missing:
            live = how["live"]
            wanted = dict(error, message=messages.NO_SUCH_OTHER_MODE.format(
                noun=missing.group(1), id=asked[2], other="test" if live else "live",
                mode="live" if live else "test"))
            mine = dict((got.get_json(silent=True) or {}).get("error") or {})
            for e in (wanted, mine):
                e.pop("request_log_url", None)
            if got.status_code != 404 or mine != wanted:
                self.failures.append(f"{where}: {got.status_code} {mine}, not {wanted}")
        elif answer(got, asked[2]) != answer(made, twin[2]):
            self.failures.append(f"{where}: answered {got.status_code} "
                                 f"{got.get_data(as_text=True)[:300]!r}, a made-up id "
                                 f"{made.status_code} {made.get_data(as_text=True)[:300]!r}")


def _credentials(world: World, method: str, rule: str) -> list[dict]:
    """Who asks, as A: each of A's keys (both modes), its session, or its browser."""
    a = world.a
    if rule.startswith("/v1"):
        endpoint = next(r.endpoint for r in world.app.url_map.iter_rules()
                        if r.rule == rule and method in r.methods)
        from payground.http.auth import PUBLISHABLE_ATTR

        public = getattr(world.app.view_functions[endpoint], PUBLISHABLE_ATTR, False)
        found = []
        for live in (False, True):
            found.append({"kind": "v1", "live": live, "name": f"sk {live=}",
                          "headers": a.handle.auth(a.secret(live))})
            if public:
                found.append({"kind": "v1", "live": live, "name": f"pk {live=}",
                              "headers": a.handle.auth(a.publishable(live))})
        return found
    if rule.startswith("/sandbox"):
        return [{"kind": "sandbox", "live": None, "name": "session",
                 "headers": a.handle.session_auth}]

    def csrf():
        world.browser.set_cookie("payground_mode", "test")
        page = world.browser.get("/dashboard/clock").get_data(as_text=True)
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    return [{"kind": "dashboard", "live": live, "name": f"browser {live=}", "csrf": csrf}
            for live in (False, True)]


def id_params(world: World, method: str, rule: str) -> dict[str, tuple[str, ...]]:
    """The parameters of this route that take an id, and the kinds of object to try."""
    if rule.startswith("/v1"):
        found = {}
        for name in v1_input_fields(world.app, rule, method):
            if name in V1_ID_PARAMS:
                kinds = V1_ID_PARAMS[name]
                if isinstance(kinds, dict):
                    assert rule in kinds, f"{method} {rule}: say what {name!r} names here"
                    kinds = kinds[rule]
                if kinds == LISTED:
                    assert rule in V1_LISTS, f"{rule} takes cursors: say what it lists"
                    kinds = (V1_LISTS[rule],)
                found[name] = kinds
            else:
                assert name in V1_NOT_IDS or name.startswith(V1_NOT_ID_GROUPS), (
                    f"{method} {rule} takes {name!r}: add it to V1_ID_PARAMS (and walk it) "
                    "or to V1_NOT_IDS")
        return found
    table = {**SANDBOX_PARAMS, **DASHBOARD_PARAMS, **OTHER_PARAMS}
    assert (method, rule) in table, f"{method} {rule}: say which ids it takes (tables above)"
    return table[(method, rule)]


def own_objects(mine: dict[str, str], rule: str, names: list[str]) -> dict[str, str]:
    """A's own objects (of one mode) for the path's id variables ``names``."""
    kinds = {n: NESTED.get(rule, {}).get(n, PATH_KINDS[n]) for n in names}
    return {n: mine[kind] for n, kind in kinds.items()}


def walk_route(world: World, method: str, rule: str) -> Walk:
    a, b = world.a, world.b
    walk = Walk(world, method, rule)
    variables = re.findall(r"<(?:\w+:)?(\w+)>", rule)
    for name in variables:
        assert name in PATH_KINDS, f"{rule}: say what <{name}> names (PATH_KINDS)"
    id_vars = [n for n in variables if PATH_KINDS[n]]
    params = id_params(world, method, rule)
    for how in _credentials(world, method, rule):
        mine = a.objects[bool(how["live"])]
        base = {name: mine[value] if isinstance(value, Own) else value
                for name, value in V1_BASE.get((method, rule), {}).items()}
        own_path = own_objects(mine, rule, id_vars)
        # Sessions see both modes: B's objects of either; /v1 keys: A's of the other too.
        victims = [("B test", b.objects[False]), ("B live", b.objects[True])]
        own_other = a.objects[not how["live"]] if how["kind"] == "v1" else None
        for label, theirs in victims + ([("A other", own_other)] if own_other else []):
            for name in id_vars:
                if label == "A other" and PATH_KINDS[name] in MODELESS:
                    continue  # A's own, whatever the mode: served (reads_show_nothing_of_b)
                value = theirs[PATH_KINDS[name]]
                fake = made_up(value)
                extra, fake_extra = {}, {}
                if PATH_KINDS[name] in SECRETS and "client_secret" in params:
                    # With its own client secret: what a page of B's would send.
                    secret = theirs[SECRETS[PATH_KINDS[name]]]
                    extra = {"client_secret": secret}
                    fake_extra = {"client_secret": made_up(secret)}
                asked = (fill(rule, {**own_path, name: value}), {**base, **extra}, value)
                twin = (fill(rule, {**own_path, name: fake}), {**base, **fake_extra}, fake)
                expected = PATH_NOT_A_404.get(PATH_KINDS[name], 404)
                check = walk.compare_own_other_mode if label == "A other" else (
                    lambda h, lab, x, y: walk.compare(h, lab, expected, x, y))
                check(how, f"{label} <{name}>", asked, twin)
            for param, kinds in params.items():
                for kind in kinds:
                    value = theirs.get(kind)
                    if value is None:
                        continue  # A has no webhook delivery of its own
                    fake = made_up(value)
                    shown = [value] if param == "keys" else value
                    fake_shown = [fake] if param == "keys" else fake
                    path = fill(rule, own_path)
                    status = NOT_A_404.get((method, rule, param), 404)
                    if param == "client_secret":
                        status = CLIENT_SECRET_MISMATCH
                    asked = (path, {**base, param: shown}, value)
                    twin = (path, {**base, param: fake_shown}, fake)
                    # A's own account is no mode's: as a cursor (A lists no account of its
                    # own), it is answered as a made-up id, not as one of the other mode.
                    if label == "A other" and kind not in MODELESS:
                        walk.compare_own_other_mode(how, f"{label} {param}={kind}", asked, twin)
                    else:
                        walk.compare(how, f"{label} {param}={kind}", status, asked, twin)
    return walk


def reads_show_nothing_of_b(world: World, method: str, rule: str) -> list[str]:
    """A's reads of its own objects (every expansion on /v1) hold no id of B's, nor on /v1
    one of A's other mode."""
    if method != "GET":
        return []
    # Less what A itself put in a URL: its request log shows what it asked for.
    b_ids = ids_in(rows(world.app, world.b.handle.account_id)) - ids_in(
        {"request_logs": rows(world.app, world.a.handle.account_id)["request_logs"]})
    problems = []
    variables = re.findall(r"<(?:\w+:)?(\w+)>", rule)
    for how in _credentials(world, method, rule):
        if how["name"].startswith("pk"):
            continue
        live = bool(how["live"])
        mine = world.a.objects[live]
        values = {n: "x" for n in variables}
        values.update(own_objects(mine, rule, [n for n in variables if PATH_KINDS[n]]))
        params = {}
        foreign = set(b_ids)
        if how["kind"] == "v1":
            params = {"expand[]": expansions(world.app, rule), **SEARCHES.get(rule, {})}
            foreign |= {value for kind, value in world.a.objects[not live].items()
                        if kind not in MODELESS}
        response = Walk(world, method, rule).send(how, fill(rule, values), params)
        body = response.get_data(as_text=True)
        expected = (404 if rule in NOT_PAGES | UNWALKED_PAGES | TOKEN_PAGES
                    else 400 if rule in OAUTH_LINKS else 200)
        if response.status_code != expected \
                and not (response.status_code == 302 and rule in REDIRECTS):
            problems.append(f"GET {rule} [{how['name']}]: {response.status_code} {body[:300]}")
        leaked = sorted(i for i in foreign if i in body)
        if leaked:
            problems.append(f"GET {rule} [{how['name']}] shows {leaked}")
    return problems


@pytest.mark.parametrize("method,rule", ROUTES, ids=[f"{m} {r}" for m, r in ROUTES])
def test_nothing_of_another_account_can_be_reached(world, method, rule):
    b_before = rows(world.app, world.b.handle.account_id)
    walk = walk_route(world, method, rule)
    problems = walk.failures + reads_show_nothing_of_b(world, method, rule)
    takes_ids = any(PATH_KINDS.get(n) for n in re.findall(r"<(?:\w+:)?(\w+)>", rule)) \
        or id_params(world, method, rule)
    assert walk.pairs or not takes_ids, "it takes ids, but none was asked for"
    assert rows(world.app, world.b.handle.account_id) == b_before, "B's data changed"
    a_rows = rows(world.app, world.a.handle.account_id)
    # A's request log names what A asked for; nothing else of A's may point at B's.
    pointing = ids_in(a_rows, skip=("request_logs",)) & ids_in(b_before)
    assert not pointing, f"A's rows now name B's objects: {sorted(pointing)}"
    assert not problems, "\n".join(problems)


def test_the_walk_covers_the_url_map(world):
    """The routes walked are those of the running app."""
    live_routes = sorted({(m, r.rule) for r in world.app.url_map.iter_rules()
                          for m in r.methods - {"HEAD", "OPTIONS"}})
    assert live_routes == ROUTES
    assert len(ROUTES) >= 100


# --- the same, spelled out where it went wrong or is easiest to get wrong ---------------------


@pytest.fixture
def rows_locked(monkeypatch):
    """The ids of every row a request asks to lock (``services.common.locking``), whatever
    the database: SQLite has no row locks, but the query shows what PostgreSQL would lock."""
    from payground.models.base import db
    from payground.services import common, intent_sync

    real, seen = common.locking, []

    def spy(query):
        for row in db.session.execute(query).scalars():
            seen.append(getattr(row, "id", row))
        return real(query)

    monkeypatch.setattr(common, "locking", spy)
    monkeypatch.setattr(intent_sync, "locking", spy)
    return seen


def test_naming_another_accounts_charge_or_key_locks_none_of_its_rows(make_account,
                                                                      rows_locked):
    # Capturing or refunding B's charge, or revoking, rolling or leaking B's key, locked B's
    # row (the charge's PaymentIntent, the key) before finding it was not A's: on PostgreSQL
    # A then waited (10 s, then a 429 lock_timeout) whenever B was using it - an answer a
    # made-up id never gets - and B's requests waited for A's.
    from tests.helpers import assert_error

    a, b = make_account(), make_account()
    intent = b.post("/v1/payment_intents", {
        "amount": "2000", "currency": "usd", "payment_method": "pm_card_visa",
        "confirm": "true", "capture_method": "manual"}).get_json()
    charge, key_id = intent["latest_charge"], b.key_id(b.secret_key)
    del rows_locked[:]
    assert_error(a.post(f"/v1/charges/{charge}/capture"), 404, code="resource_missing",
                 param="id", message=f"No such charge: '{charge}'")
    assert_error(a.post("/v1/refunds", {"charge": charge}), 404, code="resource_missing",
                 param="charge", message=f"No such charge: '{charge}'")
    for path in (f"/sandbox/keys/{key_id}/revoke", f"/sandbox/keys/{key_id}/roll"):
        assert_error(a.client.post(path, json={}, headers=a.session_auth), 404,
                     code="resource_missing", param="id",
                     message=f"No such api_key: '{key_id}'")
    assert_error(a.client.post("/sandbox/leak_drills", json={"key": key_id},
                               headers=a.session_auth), 404, code="resource_missing",
                 param="key", message=f"No such api_key: '{key_id}'")
    assert not {intent["id"], charge, key_id} & set(rows_locked), rows_locked
    assert b.get(f"/v1/payment_intents/{intent['id']}").get_json()["status"] == \
        "requires_capture"
    assert b.get("/v1/customers").status_code == 200  # B's key still works


def test_an_idempotency_key_another_account_used_is_new_to_this_one(make_account):
    # Not replayed, and not refused as reused with other parameters either: that 400 would
    # tell A which keys B has sent.
    a, b = make_account(), make_account()
    theirs = b.post("/v1/customers", {"email": "b@example.com"},
                    headers={"Idempotency-Key": "order-1"}).get_json()
    mine = a.post("/v1/customers", {"email": "a@example.com"},
                  headers={"Idempotency-Key": "order-1"})
    assert mine.status_code == 200 and "Idempotent-Replayed" not in mine.headers
    assert mine.get_json()["id"] != theirs["id"]
    assert [c["email"] for c in b.get("/v1/customers").get_json()["data"]] == ["b@example.com"]


def test_another_accounts_client_secret_confirms_nothing(make_account):
    # A page of A's (its publishable key) sent B's PaymentIntent and B's client secret:
    # answered as a made-up intent is, and B's intent is not charged.
    from tests.helpers import assert_error

    a, b = make_account(), make_account()
    intent = b.post("/v1/payment_intents", {"amount": "2000", "currency": "usd",
                                            "payment_method": "pm_card_visa"}).get_json()
    r = a.post(f"/v1/payment_intents/{intent['id']}/confirm",
               {"client_secret": intent["client_secret"]}, key=a.publishable_key)
    assert_error(r, 404, code="resource_missing", param="id",
                 message=f"No such payment_intent: '{intent['id']}'")
    r = a.get(f"/v1/payment_intents/{intent['id']}",
              query_string={"client_secret": intent["client_secret"]}, key=a.publishable_key)
    assert_error(r, 404, code="resource_missing", param="id",
                 message=f"No such payment_intent: '{intent['id']}'")
    assert b.get(f"/v1/payment_intents/{intent['id']}").get_json()["status"] == \
        "requires_confirmation"
