"""The API keys page: list, create (restricted matrix, allow-list), roll, revoke; secrets once."""

from __future__ import annotations

import re

import pytest

from payground import messages
from payground.core import keys
from payground.services.keys import PERMISSIONS
from tests.dashboard.conftest import shown_secrets, text, v1
from tests.helpers import assert_error


def create(dash, **form):
    return dash.post("/dashboard/keys", form)


def rows(dash) -> dict[str, str]:
    """Key id -> the text of its row on the keys page."""
    page = dash.get("/dashboard/keys").get_data(as_text=True)
    return dict(re.findall(r'<tr data-key-id="(key_\w+)">(.*?)</tr>', page, re.S))


def test_the_keys_page_lists_the_standard_keys(dash, signed_in):
    page = text(dash.get("/dashboard/keys"))
    assert "Standard keys" in page and "Restricted keys" in page
    assert f"sk_test_...{signed_in.secret_key[-4:]}" in page
    assert signed_in.secret_key not in page
    assert signed_in.publishable_key in page  # public by design, as on Stripe
    assert "No restricted keys yet." in page
    # Every resource of the permission matrix, with None/Read/Write where the level exists.
    for permission in PERMISSIONS:
        resource, _, level = permission.rpartition("_")
        assert f'name="perm_{resource}" value="{level}"' in page
    assert 'name="perm_balance" value="write"' not in page


def account_id(app, email: str) -> str:
    from sqlalchemy import select

    from payground.extensions import db
    from payground.models import Account

    with app.app_context():
        return db.session.execute(select(Account.id).where(Account.email == email)).scalar_one()


def test_a_read_only_restricted_key_reads_and_cannot_write(app, dash, signed_in, client):
    r = create(dash, type="restricted", name="analytics", note="read-only for the data team",
               ip_allowlist="127.0.0.1, 10.0.0.0/8", perm_customer="read", perm_charge="read")
    assert r.status_code == 200
    (secret,) = shown_secrets(r)
    assert keys.parse(secret) == keys.ParsedKey("restricted", False)
    assert "“analytics” is ready." in text(r)
    assert v1(client, "/v1/customers", secret).status_code == 200
    refused = v1(client, "/v1/customers", secret, method="post", data={"email": "a@b.co"})
    assert_error(refused, 403, message=messages.MISSING_PERMISSION.format(
        masked=keys.mask(secret), account=account_id(app, signed_in.email),
        permission="customer_write"))
    # The list shows it redacted, with its name, note, permissions and allow-list.
    key_id = dash.key_id(secret)
    row = rows(dash)[key_id]
    assert secret not in row and f"rk_test_...{secret[-4:]}" in row
    for expected in ("analytics", "read-only for the data team", "charge read", "customer read",
                     "127.0.0.1, 10.0.0.0/8"):
        assert expected in row


@pytest.mark.parametrize("form, message, field", [
    ({"type": "restricted"}, "A restricted key needs at least one permission: choose Read or "
                             "Write.", "permissions"),
    ({"type": "restricted", "perm_balance": "write"},
     "Balances can be given only read access.", "perm_balance"),
    ({"type": "restricted", "perm_accounts_kyc_basic": "write"},
     "Account details can be given only read access.", "perm_accounts_kyc_basic"),
    ({"type": "secret", "ip_allowlist": "10.0.0.1\nnot-an-ip"},
     "Invalid IP address or range: not-an-ip", "ip_allowlist"),
    ({"type": "restricted", "perm_charge": "read", "name": "n" * 201},
     "Invalid string: " + "n" * 57 + "...; must be at most 200 characters", "name"),
    ({"type": "publishable"}, "Invalid type: must be one of secret, restricted", "type"),
])
def test_create_refusals_keep_the_form(dash, signed_in, form, message, field):
    r = create(dash, **form)
    assert r.status_code == 400
    page = text(r)
    assert message in page
    assert shown_secrets(r) == []
    assert "secret-dialog" not in page


def test_the_account_details_row_opens_the_account(dash, signed_in, client):
    page = text(dash.get("/dashboard/keys"))
    assert "Account details" in page and "Accounts kyc basics" not in page
    (secret,) = shown_secrets(create(dash, type="restricted", perm_accounts_kyc_basic="read"))
    r = v1(client, "/v1/account", secret)
    assert (r.status_code, r.get_json()["email"]) == (200, signed_in.email)


def test_the_setup_intents_row_gives_setup_intent_permissions(dash, signed_in, client):
    page = text(dash.get("/dashboard/keys"))
    assert "Setup intents" in page
    (secret,) = shown_secrets(create(dash, type="restricted", perm_setup_intent="write"))
    made = v1(client, "/v1/setup_intents", secret, method="post")
    assert made.status_code == 200, made.get_json()
    assert v1(client, "/v1/setup_intents", secret).status_code == 200
    assert v1(client, "/v1/payment_intents", secret).status_code == 403
    row = rows(dash)[dash.key_id(secret)]
    assert "setup intent write" in row


def test_secret_keys_ignore_the_matrix(dash, signed_in, client):
    r = create(dash, type="secret", name="backend", perm_charge="read")
    (secret,) = shown_secrets(r)
    assert keys.parse(secret) == keys.ParsedKey("secret", False)
    assert v1(client, "/v1/customers", secret, method="post").status_code == 200


def test_roll_offers_the_expiry_choices(dash, signed_in):
    key_id = dash.key_id(signed_in.secret_key)
    page = text(dash.get(f"/dashboard/keys/{key_id}/roll"))
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', page)
    assert options == [("0", "Now"), ("3600", "In 1 hour"), ("86400", "In 24 hours"),
                       ("259200", "In 3 days"), ("604800", "In 7 days")]


def test_roll_with_an_hour_of_grace_on_the_account_clock(dash, signed_in, client, wall):
    old = signed_in.secret_key
    key_id = dash.key_id(old)
    r = dash.post(f"/dashboard/keys/{key_id}/roll", {"expires_in": "3600"})
    assert r.status_code == 200
    (new,) = shown_secrets(r)
    assert new != old and keys.parse(new) == keys.ParsedKey("secret", False)
    assert f"The old key sk_test_...{old[-4:]} keeps working for 1 h more." in text(r)
    row = rows(dash)[key_id]
    assert "expiring" in row and "1 h left" in row
    assert "/roll" not in row  # only active keys can be rolled
    assert v1(client, "/v1/customers", old).status_code == 200
    assert v1(client, "/v1/customers", new).status_code == 200
    dash.post("/dashboard/clock", {"advance": "3600"})
    assert_error(v1(client, "/v1/customers", old), 401, code="api_key_expired",
                 message=messages.EXPIRED_API_KEY.format(masked=keys.mask(old)))
    assert v1(client, "/v1/customers", new).status_code == 200
    assert "expired" in rows(dash)[key_id]


def test_roll_now_and_a_bad_choice(dash, signed_in, client):
    key_id = dash.key_id(signed_in.secret_key)
    r = dash.post(f"/dashboard/keys/{key_id}/roll", {"expires_in": "999999999"})
    assert r.status_code == 400
    assert "This value must be less than or equal to 604800." in text(r)
    r = dash.post(f"/dashboard/keys/{key_id}/roll", {"expires_in": "0"})
    assert "has stopped working" in text(r)
    assert v1(client, "/v1/customers", signed_in.secret_key).status_code == 401
    r = dash.post(f"/dashboard/keys/{key_id}/roll", {"expires_in": "0"})
    assert r.status_code == 400
    assert f"Only an active key can be rolled; sk_test_...{signed_in.secret_key[-4:]} is " \
           "expired." in text(r)


def test_revoke_asks_first_then_refuses_the_key(dash, signed_in, client):
    key_id = dash.key_id(signed_in.secret_key)
    confirm = text(dash.get(f"/dashboard/keys/{key_id}/revoke"))
    assert "Revoke Test secret key?" in confirm
    assert "This cannot be undone." in confirm
    assert v1(client, "/v1/customers", signed_in.secret_key).status_code == 200  # not yet
    r = dash.post(f"/dashboard/keys/{key_id}/revoke")
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard/keys?done=revoked"
    page = text(dash.get(r.headers["Location"]))
    assert "The key is revoked: the next request that uses it is refused." in page
    assert "revoked" in rows(dash)[key_id]
    assert_error(v1(client, "/v1/customers", signed_in.secret_key), 401, code="api_key_expired")
    r = dash.post(f"/dashboard/keys/{key_id}/revoke")
    assert r.status_code == 400
    assert f"sk_test_...{signed_in.secret_key[-4:]} is already revoked." in text(r)


def test_publishable_keys_cannot_be_revoked(dash, signed_in):
    key_id = dash.key_ids()[signed_in.publishable_key]
    assert "/revoke" not in rows(dash)[key_id]
    r = dash.post(f"/dashboard/keys/{key_id}/revoke")
    assert r.status_code == 400
    assert "Publishable keys cannot be revoked; roll them instead." in text(r)


def test_another_accounts_key_is_not_found(app, dash, signed_in):
    from tests.dashboard.conftest import Dashboard

    other = Dashboard(app.test_client())
    other_account = other.signup()
    other_id = other.key_id(other_account.secret_key)
    for method, path in (("get", "roll"), ("post", "roll"), ("get", "revoke"),
                         ("post", "revoke")):
        r = getattr(dash, method)(f"/dashboard/keys/{other_id}/{path}")
        assert r.status_code == 404
        assert f"No such api_key: '{other_id}'" in text(r)
    assert other.key_id(other_account.secret_key) == other_id


def page_mode_field(page: str) -> str:
    """The mode a page's form says it was filled in (its hidden ``page_mode`` field)."""
    (mode,) = re.findall(r'<input type="hidden" name="page_mode" value="(\w+)">', page)
    return mode


def test_a_create_form_from_a_page_of_the_other_mode_is_refused(dash, signed_in, client):
    # A tab still showing the test keys page; live mode activated (and shown) in another.
    stale = dash.get("/dashboard/keys").get_data(as_text=True)
    assert page_mode_field(stale) == "test"
    dash.post("/dashboard/activate", {})  # the dashboard shows live mode now
    live_before = rows(dash)

    r = create(dash, type="secret", name="for the test server",
               page_mode=page_mode_field(stale))

    assert r.status_code == 400
    assert shown_secrets(r) == []
    assert messages.DASHBOARD_FORM_OTHER_MODE.format(shown="test", mode="live",
                                                     done="created") in text(r)
    assert rows(dash) == live_before  # no live key made from a page that said test
    # The page now shows live mode, its form filled in again: sent from there, it works.
    page = r.get_data(as_text=True)
    assert "live mode</span></h1>" in page and page_mode_field(page) == "live"
    assert 'value="for the test server"' in page
    r = create(dash, type="secret", name="for the test server", page_mode="live")
    assert r.status_code == 200
    assert [keys.parse(s) for s in shown_secrets(r)] == [keys.ParsedKey("secret", True)]


def test_a_key_of_the_other_mode_cannot_be_rolled_or_revoked_here(dash, signed_in, client):
    test_key = dash.key_id(signed_in.secret_key)
    dash.post("/dashboard/activate", {})  # live now: the keys page lists live keys only
    refused = {action: messages.KEY_OTHER_MODE.format(
        key=f"sk_test_...{signed_in.secret_key[-4:]}", other="test", mode="live",
        action=action) for action in ("roll", "revoke")}

    for method, action, form in (("get", "roll", None), ("post", "roll", {"expires_in": "0"}),
                                 ("get", "revoke", None), ("post", "revoke", {})):
        call = dash.get if method == "get" else dash.post
        r = call(f"/dashboard/keys/{test_key}/{action}", *([form] if form is not None else []))
        assert r.status_code == 400, (method, action)
        assert refused[action] in text(r), (method, action)
        assert shown_secrets(r) == []

    # The key is untouched, and in test mode it rolls as before.
    assert v1(client, "/v1/customers", signed_in.secret_key).status_code == 200
    dash.post("/dashboard/mode", {"mode": "test", "next": "/dashboard/keys"})
    r = dash.post(f"/dashboard/keys/{test_key}/roll", {"expires_in": "0"})
    assert r.status_code == 200
    assert [keys.parse(s) for s in shown_secrets(r)] == [keys.ParsedKey("secret", False)]
