"""Every /v1 route refuses a restricted key without its permission and serves one with it."""

from __future__ import annotations

import re

import pytest

from payground import messages
from payground.core import keys
from payground.http.auth import PERMISSION_ATTR
from payground.services import keys as keys_service
from tests.helpers import assert_error


def routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v1"):
            view = app.view_functions[rule.endpoint]
            path = re.sub(r"<(?:\w+:)?\w+>", "xx_missing", rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, path, getattr(view, PERMISSION_ATTR)


def restricted(account, permissions):
    r = account.client.post("/sandbox/keys", json={"type": "restricted",
                                                   "permissions": permissions},
                            headers=account.session_auth)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["secret"]


def call(account, method, path, key):
    return account.client.open(path, method=method, headers=account.auth(key))


# A made-up account id is not a 404 but Stripe's 403 for an account the key cannot reach: with
# the permission, that is the route's own answer (naming the account, not a permission).
ACCOUNT_403 = {("GET", "/v1/accounts/xx_missing")}


def test_every_route_needs_its_permission(app, account):
    checked = 0
    for method, path, permission in routes(app):
        resource = permission.rsplit("_", 1)[0]
        other = "balance_read" if resource != "balance" else "customer_write"
        without = restricted(account, [other])
        assert_error(call(account, method, path, without), 403,
                     message=messages.MISSING_PERMISSION.format(
                         masked=keys.mask(without), account=account.account_id,
                         permission=permission))
        with_it = restricted(account, [permission])
        answered = call(account, method, path, with_it)
        if (method, path) in ACCOUNT_403:
            assert_error(answered, 403, code="account_invalid",
                         message=messages.ACCOUNT_NOT_ACCESSIBLE.format(
                             masked=keys.mask(with_it), account="xx_missing"))
        else:
            assert answered.status_code not in (401, 403), (method, path)
        checked += 1
    assert checked >= 17  # every /v1 route and method, checked both ways


def test_every_read_route_serves_the_write_permission_too(app, account):
    # Write implies read (SPEC §6), on every route that reads, not only on charges.
    reads = [(m, p, perm) for m, p, perm in routes(app) if perm.endswith("_read")]
    assert len(reads) >= 20
    writers = {}
    for method, path, permission in reads:
        write = permission[:-len("read")] + "write"
        if write not in keys_service.PERMISSIONS:  # balance_read and event_read: read only
            continue
        if write not in writers:
            writers[write] = restricted(account, [write])
        r = call(account, method, path, writers[write])
        assert r.status_code not in (401, 403), (method, path, r.get_json())


# What SPEC §3/§4 let a publishable key do: tokens, payment methods, and the client-secret
# flow of a PaymentIntent (and of a SetupIntent, as Stripe.js confirms one). Every other route
# is Stripe's 401 secret_key_required.
PUBLISHABLE_ROUTES = {("POST", "/v1/tokens"), ("POST", "/v1/payment_methods"),
                      ("GET", "/v1/payment_intents/xx_missing"),
                      ("POST", "/v1/payment_intents/xx_missing/confirm"),
                      ("GET", "/v1/setup_intents/xx_missing"),
                      ("POST", "/v1/setup_intents/xx_missing/confirm")}


def test_a_publishable_key_reaches_only_what_the_spec_allows(app, account):
    seen = set()
    for method, path, _permission in routes(app):
        r = call(account, method, path, account.publishable_key)
        if (method, path) in PUBLISHABLE_ROUTES:
            assert r.status_code not in (401, 403), (method, path, r.get_json())
            seen.add((method, path))
        else:
            assert_error(r, 401, code="secret_key_required",
                         message=messages.SECRET_KEY_REQUIRED)
    assert seen == PUBLISHABLE_ROUTES


def test_a_read_permission_never_opens_a_write_route(app, account):
    # Write implies read, not the reverse: each write route refuses its own resource's read
    # permission, naming the write one (Stripe's 403: invalid_request_error, no code).
    readers = {}
    writes = [(m, p, perm) for m, p, perm in routes(app) if perm.endswith("_write")]
    assert len(writes) >= 20
    for method, path, permission in writes:
        read = permission[:-len("write")] + "read"
        if read not in readers:
            readers[read] = restricted(account, [read])
        assert_error(call(account, method, path, readers[read]), 403,
                     message=messages.MISSING_PERMISSION.format(
                         masked=keys.mask(readers[read]), account=account.account_id,
                         permission=permission))


@pytest.mark.parametrize("granted,needed,allowed", [
    ("charge_write", "charge_read", True), ("charge_read", "charge_write", False),
    ("customer_write", "charge_read", False),
])
def test_write_implies_read(account, granted, needed, allowed):
    key = restricted(account, [granted])
    method, path = ("GET", "/v1/charges") if needed == "charge_read" else ("POST", "/v1/charges")
    r = call(account, method, path, key)
    assert (r.status_code != 403) is allowed


def test_a_leaked_read_only_key_cannot_write(account):
    key = restricted(account, ["customer_read"])
    assert account.get("/v1/customers", key=key).status_code == 200
    r = account.post("/v1/customers", {"email": "attacker@example.com"}, key=key)
    assert_error(r, 403, message=messages.MISSING_PERMISSION.format(
        masked=keys.mask(key), account=account.account_id, permission="customer_write"))
    assert account.get("/v1/customers").get_json()["data"] == []


# -- IP allow-lists --------------------------------------------------------------------------


def get_from(client, key, remote_addr, forwarded=None):
    headers = {"Authorization": f"Bearer {key}"}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    return client.get("/v1/customers", headers=headers,
                      environ_base={"REMOTE_ADDR": remote_addr})


def refused_from(response, address):
    return assert_error(response, 403, code="api_key_ip_not_allowed",
                        message=messages.IP_NOT_ALLOWED.format(address=address))


@pytest.mark.parametrize("remote_addr,allowed", [
    ("203.0.113.9", True), ("10.20.30.40", True), ("10.21.0.1", False),
    ("2001:db8::1", True), ("2001:db9::1", False), ("198.51.100.1", False),
])
def test_allowlist_addresses_and_ranges(account, client, remote_addr, allowed):
    key = account.create_key(permissions=["customer_read"],
                             ip_allowlist=["203.0.113.9", "10.20.0.0/16", "2001:db8::/32"])
    r = get_from(client, key, remote_addr)
    if allowed:
        assert r.status_code == 200, r.get_json()
    else:
        error = refused_from(r, remote_addr)
        assert key not in str(error) and keys.mask(key) not in str(error)


def test_keys_without_allowlist_work_from_anywhere(account, client):
    assert get_from(client, account.secret_key, "198.51.100.1").status_code == 200


def test_forwarded_for_is_ignored_without_trusted_proxies(account, client):
    key = account.create_key("secret", ip_allowlist=["203.0.113.9"])
    refused_from(get_from(client, key, "198.51.100.1", forwarded="203.0.113.9"), "198.51.100.1")


def test_trusted_proxy_takes_the_rightmost_untrusted_forwarded_address(app, account, client):
    app.config["TRUSTED_PROXIES"] = "10.0.0.0/8, fd00::1"
    key = account.create_key("secret", ip_allowlist=["203.0.113.9"])
    assert get_from(client, key, "10.0.0.2", forwarded="203.0.113.9").status_code == 200
    # Through two trusted proxies: the right-most untrusted hop is the client.
    assert get_from(client, key, "fd00::1",
                    forwarded="203.0.113.9, 10.1.1.1").status_code == 200
    # A client cannot spoof its way in by writing the allowed address first.
    refused_from(get_from(client, key, "10.0.0.2", forwarded="203.0.113.9, 198.51.100.7"),
                 "198.51.100.7")
    # A peer that is not a trusted proxy: its header is ignored.
    refused_from(get_from(client, key, "198.51.100.8", forwarded="203.0.113.9"),
                 "198.51.100.8")
    # Garbage where the client's address should be never falls back to the proxy's.
    refused_from(get_from(client, key, "10.0.0.2", forwarded="not-an-address"), "unknown")
    # Nor does an IPv6 zone, which parses as an address but can be any length.
    refused_from(get_from(client, key, "10.0.0.2", forwarded="fe80::1%" + "x" * 80), "unknown")


def test_trusted_proxy_address_reaches_the_request_log(app, account, client):
    app.config["TRUSTED_PROXIES"] = "10.0.0.2"
    r = get_from(client, account.secret_key, "10.0.0.2", forwarded="192.0.2.44")
    assert r.status_code == 200
    logged = client.get(f"/sandbox/requests/{r.headers['Request-Id']}",
                        headers=account.session_auth).get_json()
    assert logged["client_ip"] == "192.0.2.44"


def test_trusted_proxy_address_reaches_tokens_and_early_refusals(app, account, client):
    app.config["TRUSTED_PROXIES"] = "10.0.0.2"
    headers = {"Authorization": f"Bearer {account.publishable_key}",
               "X-Forwarded-For": "192.0.2.45"}
    token = client.post("/v1/tokens", data={"card[number]": "4242424242424242",
                                            "card[exp_month]": "12", "card[exp_year]": "2040",
                                            "card[cvc]": "123"},
                        headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert token.get_json()["client_ip"] == "192.0.2.45"
    # A zoned IPv6 address (any length; the columns hold 64 characters) is no address.
    zoned = client.post("/v1/tokens", data={"card[number]": "4242424242424242",
                                            "card[exp_month]": "12", "card[exp_year]": "2040",
                                            "card[cvc]": "123"},
                        headers={**headers, "X-Forwarded-For": "fe80::1%" + "x" * 80},
                        environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert zoned.status_code == 200, zoned.get_json()
    assert zoned.get_json()["client_ip"] == "unknown"
    logged = client.get(f"/sandbox/requests/{zoned.headers['Request-Id']}",
                        headers=account.session_auth).get_json()
    assert logged["client_ip"] == "unknown"
    # Refused before authentication (a NUL in the URL): logged with the client's address too.
    refused = client.get("/v1/customers?x=%00", environ_base={"REMOTE_ADDR": "10.0.0.2"},
                         headers={"Authorization": f"Bearer {account.secret_key}",
                                  "X-Forwarded-For": "192.0.2.46"})
    assert refused.status_code == 400
    logged = client.get(f"/sandbox/requests/{refused.headers['Request-Id']}",
                        headers=account.session_auth).get_json()
    assert logged["client_ip"] == "192.0.2.46"


def test_a_live_restricted_key_keeps_its_allowlist_and_its_permissions(account, client):
    account.activate()
    key = account.create_key(permissions=["balance_read"], livemode=True,
                             ip_allowlist=["203.0.113.0/24"])
    assert key.startswith("rk_live_")
    headers = {"Authorization": f"Bearer {key}"}
    inside = {"REMOTE_ADDR": "203.0.113.7"}
    r = client.get("/v1/balance", headers=headers, environ_base=inside)
    assert r.status_code == 200 and r.get_json()["livemode"] is True
    # From inside the allow-list, what the key may not do is still Stripe's 403 (live account,
    # live key, masked the same way).
    r = client.get("/v1/customers", headers=headers, environ_base=inside)
    error = assert_error(r, 403, message=messages.MISSING_PERMISSION.format(
        masked=keys.mask(key), account=account.account_id, permission="customer_read"))
    assert error["message"].startswith("The provided key 'rk_live_****")
    # From outside it, nothing: not even what its permissions allow.
    for path in ("/v1/balance", "/v1/customers"):
        r = client.get(path, headers=headers, environ_base={"REMOTE_ADDR": "198.51.100.1"})
        error = refused_from(r, "198.51.100.1")
        assert key[8:] not in str(error) and keys.mask(key) not in str(error)
    # Rolled, the new key keeps both.
    new = account.roll(key)
    assert client.get("/v1/balance", headers={"Authorization": f"Bearer {new}"},
                      environ_base=inside).status_code == 200
    refused_from(client.get("/v1/balance", headers={"Authorization": f"Bearer {new}"},
                            environ_base={"REMOTE_ADDR": "198.51.100.1"}), "198.51.100.1")
    assert_error(client.get("/v1/customers", headers={"Authorization": f"Bearer {new}"},
                            environ_base=inside), 403,
                 message=messages.MISSING_PERMISSION.format(
                     masked=keys.mask(new), account=account.account_id,
                     permission="customer_read"))


def test_allowlist_is_checked_before_permissions(account, client):
    key = account.create_key(permissions=["balance_read"], ip_allowlist=["203.0.113.9"])
    refused_from(get_from(client, key, "198.51.100.1"), "198.51.100.1")


# --- expand[]: an expanded object needs its own read permission --------------------------------


def expansion_targets(app):
    """Every output schema an expand[] path can reach, from every /v1 route's schema."""
    from payground.v1 import balance, charges, customers, payouts, refunds
    from payground.http import intent_schemas

    roots = [charges.ChargeOut, refunds.RefundOut, payouts.PayoutOut,
             balance.BalanceTransactionOut, intent_schemas.PaymentIntentOut,
             intent_schemas.PaymentMethodOut, customers.CustomerOut]
    seen, pending = set(), list(roots)
    while pending:
        schema = pending.pop()
        for _attribute, target in getattr(schema, "EXPANDABLE", {}).values():
            if target() not in seen:
                seen.add(target())
                pending.append(target())
    return seen


def test_every_expandable_object_names_the_permission_to_read_it(app):
    from payground.services.keys import PERMISSIONS

    targets = expansion_targets(app)
    assert len(targets) >= 6
    for target in targets:
        assert target.READ_PERMISSIONS, target
        assert set(target.READ_PERMISSIONS) <= set(PERMISSIONS), target


def test_expanding_needs_the_expanded_objects_permission(account):
    customer = account.post("/v1/customers", data={"email": "a@example.com"}).get_json()["id"]
    charge = account.post("/v1/charges", data={"amount": 2000, "currency": "usd",
                                               "source": "tok_visa", "customer": customer})
    charge_id = charge.get_json()["id"]
    narrow = restricted(account, ["charge_read"])
    path = f"/v1/charges/{charge_id}?expand[]=customer"
    r = call(account, "GET", path, narrow)
    assert_error(r, 403, message=messages.MISSING_PERMISSION.format(
        masked=keys.mask(narrow), account=account.account_id, permission="customer_read"))
    assert "a@example.com" not in r.get_data(as_text=True)
    assert call(account, "GET", f"/v1/charges/{charge_id}", narrow).status_code == 200
    wide = restricted(account, ["charge_read", "customer_read"])
    assert call(account, "GET", path, wide).get_json()["customer"]["email"] == "a@example.com"
    # Nested, and through lists: each hop needs its own permission.
    deep = "/v1/charges?expand[]=data.balance_transaction.source"
    short = restricted(account, ["charge_read", "balance_read", "payout_read"])
    assert_error(call(account, "GET", deep, short), 403,
                 message=messages.MISSING_PERMISSION.format(
                     masked=keys.mask(short), account=account.account_id,
                     permission="refund_read"))
    everything = restricted(account, ["charge_read", "balance_read", "refund_read",
                                      "payout_read"])
    listed = call(account, "GET", deep, everything).get_json()["data"][0]
    assert listed["balance_transaction"]["source"]["id"] == charge_id


def test_a_refused_expansion_writes_nothing(account):
    writer = restricted(account, ["charge_write"])  # may charge, may not read customers
    customer = account.post("/v1/customers", data={"email": "b@example.com"}).get_json()["id"]
    body = {"amount": 2000, "currency": "usd", "source": "tok_visa", "customer": customer}
    refused = account.post("/v1/charges", data={**body, "expand[]": "customer"}, key=writer)
    assert_error(refused, 403, message=messages.MISSING_PERMISSION.format(
        masked=keys.mask(writer), account=account.account_id, permission="customer_read"))
    unknown = account.post("/v1/charges", data={**body, "expand[]": "customer.nope"})
    assert_error(unknown, 400, param="expand",
                 message="This property cannot be expanded (customer.nope).")
    assert account.get("/v1/charges").get_json()["data"] == []
    assert account.get("/v1/balance").get_json()["pending"][0]["amount"] == 0


def test_a_refused_expansion_is_not_kept_for_its_idempotency_key(account):
    body = {"amount": 2000, "currency": "usd", "source": "tok_visa"}
    headers = {"Idempotency-Key": "expand-once"}
    assert account.post("/v1/charges", data={**body, "expand[]": "nope"},
                        headers=headers).status_code == 400
    fixed = account.post("/v1/charges", data=body, headers=headers)
    assert fixed.status_code == 200 and "Idempotent-Replayed" not in fixed.headers


def test_expansions_go_four_levels_deep_at_most(account):
    intent = account.post("/v1/payment_intents", data={
        "amount": 2000, "currency": "usd", "payment_method": "pm_card_visa",
        "confirm": "true"}).get_json()
    charge = intent["latest_charge"]
    four = "payment_intent.latest_charge.payment_intent.latest_charge"
    r = account.get(f"/v1/charges/{charge}?expand[]={four}")
    assert r.get_json()["payment_intent"]["latest_charge"]["payment_intent"]["latest_charge"][
        "id"] == charge
    five = four + ".payment_intent"
    assert_error(account.get(f"/v1/charges/{charge}?expand[]={five}"), 400, param="expand",
                 message=f"You cannot expand more than 4 levels of a property. Property: {five}")
    deep = "data." + four  # a list's `data.` is no level
    assert account.get(f"/v1/charges?expand[]={deep}").status_code == 200


def test_a_publishable_key_expands_only_the_payment_method(account):
    customer = account.post("/v1/customers", data={"email": "secret@example.com"}).get_json()
    intent = account.post("/v1/payment_intents", data={
        "amount": 2000, "currency": "usd", "customer": customer["id"]}).get_json()
    method = account.post("/v1/payment_methods", data={"type": "card", "card[token]": "tok_visa"})
    assert method.status_code == 200, method.get_json()
    account.post(f"/v1/payment_methods/{method.get_json()['id']}/attach",
                 data={"customer": customer["id"]})
    account.post(f"/v1/payment_intents/{intent['id']}",
                 data={"payment_method": method.get_json()["id"]})
    base = f"/v1/payment_intents/{intent['id']}?client_secret={intent['client_secret']}"
    pk = account.publishable_key
    shown = account.get(base + "&expand[]=payment_method", key=pk).get_json()
    assert shown["payment_method"]["id"] == method.get_json()["id"]
    for path in ("payment_method.customer", "customer", "latest_charge"):
        r = account.get(f"{base}&expand[]={path}", key=pk)
        assert_error(r, 400, param="expand",
                     message=f"This property cannot be expanded with a publishable key ({path}).")
        assert "secret@example.com" not in r.get_data(as_text=True)
