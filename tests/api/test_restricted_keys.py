"""Every /v1 route refuses a restricted key without its permission and serves one with it."""

from __future__ import annotations

import re

import pytest

from payground import messages
from payground.core import keys
from payground.http.auth import PERMISSION_ATTR
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
        assert call(account, method, path, with_it).status_code not in (401, 403), (method, path)
        checked += 1
    assert checked >= 17  # every /v1 route and method, checked both ways


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
