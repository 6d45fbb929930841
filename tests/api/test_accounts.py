"""/v1/account, /v1/accounts/{id} and /v1/accounts: the key's account as Stripe's Account
object, for the health checks that call ``stripe.Account.retrieve()``; who may read which
account (restricted keys, publishable keys, modes, Connect platforms), and nothing secret in
it; a platform's list of the accounts connected to it."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import stripe

from payground import messages
from payground.core.keys import mask
from payground.http.validation import shown
from payground.services.accounts import ShownAccount
from tests.api.test_object_shapes import unknown_to_stripe
from tests.helpers import assert_error
from tests.oauth_flow import CALLBACK, Browser, business, platform  # noqa: F401 (fixtures)

ROUTING, ACCOUNT_NUMBER = "021000021", "000111111116"
REQUIREMENTS = {"alternatives": [], "current_deadline": None, "currently_due": [],
                "disabled_reason": None, "errors": [], "eventually_due": [], "past_due": [],
                "pending_verification": []}


def expected(handle, *, created: int, name=None, country="US", activated=False) -> dict:
    """The whole Account object of ``handle`` as a test-mode key sees it."""
    return {
        "id": handle.account_id, "object": "account",
        "business_profile": {
            "annual_revenue": None, "estimated_worker_count": None, "mcc": None, "name": name,
            "product_description": None, "support_address": None, "support_email": None,
            "support_phone": None, "support_url": None, "url": None},
        "business_type": "company" if activated else None,
        "capabilities": {"card_payments": "active"},
        "charges_enabled": True,
        "controller": {"type": "account"},
        "country": country,
        "created": created,
        "default_currency": "usd",
        "details_submitted": activated,
        "email": handle.email,
        "future_requirements": REQUIREMENTS,
        "metadata": {},
        "payouts_enabled": True,
        "requirements": REQUIREMENTS,
        "settings": {
            "branding": {"icon": None, "logo": None, "primary_color": None,
                         "secondary_color": None},
            "card_payments": {"decline_on": {"avs_failure": False, "cvc_failure": True},
                              "statement_descriptor_prefix": None,
                              "statement_descriptor_prefix_kana": None,
                              "statement_descriptor_prefix_kanji": None},
            "dashboard": {"display_name": name, "timezone": "Etc/UTC"},
            "payments": {"statement_descriptor": None, "statement_descriptor_kana": None,
                         "statement_descriptor_kanji": None},
            "payouts": {"debit_negative_balances": True,
                        "schedule": {"delay_days": 2, "interval": "manual"},
                        "statement_descriptor": None}},
        "type": "standard",
    }


def created_of(handle) -> int:
    r = handle.client.get("/sandbox/account", headers=handle.session_auth)
    return r.get_json()["created"]


def read(handle, path="/v1/account", key=None, **kw) -> dict:
    r = handle.get(path, key=key, **kw)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def unreachable(response, key: str, account: str) -> None:
    assert_error(response, 403, code="account_invalid",
                 message=messages.ACCOUNT_NOT_ACCESSIBLE.format(masked=mask(key),
                                                                account=account))


# --- the object -------------------------------------------------------------------------------


def test_a_new_account_is_stripes_account_object_with_what_payground_knows(account):
    body = read(account)

    assert body == expected(account, created=created_of(account))
    # Every field, nested ones too, is one Stripe's Account has; none is livemode (an
    # account is both modes').
    assert unknown_to_stripe(body, stripe.Account, "account") == []


def test_by_id_the_own_account_is_the_same_object(account):
    assert read(account, f"/v1/accounts/{account.account_id}") == read(account)


def test_after_activation_it_shows_the_business_to_either_modes_key(account):
    account.activate(business_name="Ada's Bikes", country="gb",
                     bank_account={"routing_number": ROUTING, "account_number": ACCOUNT_NUMBER})
    want = expected(account, created=created_of(account), name="Ada's Bikes", country="GB",
                    activated=True)

    test = read(account)
    live = read(account, key=account.live_secret_key)
    by_id = read(account, f"/v1/accounts/{account.account_id}", key=account.live_secret_key)

    assert test == live == by_id == want


def test_no_secret_is_in_the_answer(account):
    account.activate(bank_account={"routing_number": ROUTING, "account_number": ACCOUNT_NUMBER})
    for key in (account.secret_key, account.live_secret_key):
        text = account.get("/v1/account", key=key).get_data(as_text=True)
        # Neither key, nor the session, nor the bank account payouts go to (not even masked:
        # external_accounts is left out), nor anything of the password.
        for secret in (account.secret_key, account.live_secret_key, account.session,
                       ACCOUNT_NUMBER, ROUTING, ACCOUNT_NUMBER[-4:], "scrypt", "password"):
            assert secret not in text


@pytest.mark.parametrize("livemode, activated, enabled", [
    (False, False, True), (False, True, True), (True, True, True), (True, False, False)])
def test_test_mode_always_works_and_live_mode_once_activated(livemode, activated, enabled):
    # Live keys exist only once live mode is on; a key of the other case cannot ask, but the
    # rule is the service's, whoever asks.
    class Caller:
        live_enabled = activated

    assert ShownAccount(Caller(), livemode).enabled is enabled


def test_branding_files_expand_to_null_and_nothing_else_expands(account):
    r = account.get("/v1/account?expand[]=settings.branding.icon&expand[]=settings.branding.logo")
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["settings"]["branding"]["icon"] is None
    for path in ("email", "external_accounts", "settings"):
        assert_error(account.get(f"/v1/account?expand[]={path}"), 400, param="expand",
                     message=f"This property cannot be expanded ({path}).")


@pytest.mark.parametrize("path", ["/v1/account", "/v1/accounts/{own}"])
def test_an_unknown_parameter_is_refused(account, path):
    r = account.get(path.format(own=account.account_id) + "?email=x")
    assert_error(r, 400, code="parameter_unknown", param="email",
                 message=messages.PARAMETER_UNKNOWN.format(param="email"))


# --- who may read it ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/account", "/v1/accounts/{own}"])
def test_a_restricted_key_needs_accounts_kyc_basic_read(account, path):
    path = path.format(own=account.account_id)
    without = account.create_key(permissions=["charge_write", "balance_read", "event_read"])
    reader = account.create_key(permissions=["accounts_kyc_basic_read"])

    assert_error(account.get(path, key=without), 403,
                 message=messages.MISSING_PERMISSION.format(
                     masked=mask(without), account=account.account_id,
                     permission="accounts_kyc_basic_read"))
    assert read(account, path, key=reader) == read(account)


def test_it_is_a_read_only_permission(account):
    from payground.services.keys import PERMISSIONS

    r = account.client.post("/sandbox/keys", headers=account.session_auth, json={
        "type": "restricted", "permissions": ["accounts_kyc_basic_write"]})
    assert_error(r, 400, code="parameter_invalid", param="permissions[0]",
                 message="Invalid permissions[0]: must be one of " + ", ".join(PERMISSIONS))
    assert "accounts_kyc_basic_read" in PERMISSIONS


@pytest.mark.parametrize("path", ["/v1/account", "/v1/accounts/{own}"])
def test_a_publishable_key_is_refused(account, path):
    r = account.get(path.format(own=account.account_id), key=account.publishable_key)
    assert_error(r, 401, code="secret_key_required", message=messages.SECRET_KEY_REQUIRED)


def test_another_account_is_answered_as_one_that_does_not_exist(account, make_account):
    other = make_account()
    other.activate(business_name="Other Co")
    reader = account.create_key(permissions=["accounts_kyc_basic_read"])

    for key in (account.secret_key, reader):
        for wanted in (other.account_id, "acct_1NoSuchAccount", "ch_notanaccount",
                       "acct_" + "x" * 40):
            r = account.get(f"/v1/accounts/{wanted}", key=key)
            unreachable(r, key, wanted)
            assert other.email not in r.get_data(as_text=True)


def test_a_key_of_the_other_account_in_the_path_is_refused_not_echoed(account, make_account):
    other = make_account()
    r = account.get(f"/v1/accounts/{other.secret_key}")
    assert_error(r, 400, code="api_key_in_url", message=messages.API_KEY_IN_URL)
    assert other.secret_key not in r.get_data(as_text=True)


@pytest.mark.parametrize("method, path", [
    ("POST", "/v1/accounts"), ("POST", "/v1/account"), ("POST", "/v1/accounts/{own}"),
    ("DELETE", "/v1/accounts/{own}")])
def test_no_writes(account, method, path):
    # Every change to an account (Connect's creating one too) is not Payground's: unknown
    # routes.
    path = path.format(own=account.account_id)
    r = account.client.open(path, method=method, headers=account.auth())
    assert_error(r, 404, message=messages.UNRECOGNIZED_URL.format(method=method, path=path))
    assert read(account)["metadata"] == {}


def test_no_key_is_refused_before_anything(account):
    r = account.client.get("/v1/account")
    assert_error(r, 401, message=messages.NO_API_KEY)


# --- Connect: a platform reading the accounts connected to it ---------------------------------


def connect(app, platform, business, scope="read_write") -> dict:
    """``business`` connected to ``platform``'s test application; the token response."""
    application = platform.client.post("/sandbox/connect", headers=platform.session_auth,
                                       json={"name": "Acme", "redirect_uris": [CALLBACK]})
    client_id = application.get_json()["client_id"]
    code = Browser(app, business.email).code(urlencode({
        "response_type": "code", "client_id": client_id, "scope": scope}))
    r = platform.client.post("/oauth/token", headers=platform.auth(), data={
        "grant_type": "authorization_code", "code": code})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


@pytest.mark.parametrize("scope", ["read_write", "read_only"])
def test_a_platform_reads_the_connected_account_every_way(app, platform, business, scope):
    tokens = connect(app, platform, business, scope)
    theirs = read(business)
    acting = {"Stripe-Account": business.account_id}

    assert read(platform, headers=acting) == theirs  # GET /v1/account as the account
    assert read(platform, headers={"Stripe-Context": business.account_id}) == theirs
    assert read(platform, key=tokens["access_token"]) == theirs  # the token's own account
    assert read(platform, f"/v1/accounts/{business.account_id}") == theirs  # Connect's way
    assert read(platform, f"/v1/accounts/{business.account_id}", headers=acting) == theirs
    assert read(platform) == read(platform, f"/v1/accounts/{platform.account_id}")
    assert read(platform)["id"] == platform.account_id


def test_a_platforms_restricted_key_needs_the_permission_too(app, platform, business):
    connect(app, platform, business)
    charges_only = platform.create_key(permissions=["charge_read"])
    reader = platform.create_key(permissions=["accounts_kyc_basic_read"])
    path = f"/v1/accounts/{business.account_id}"

    assert_error(platform.get(path, key=charges_only), 403,
                 message=messages.MISSING_PERMISSION.format(
                     masked=mask(charges_only), account=platform.account_id,
                     permission="accounts_kyc_basic_read"))
    assert read(platform, path, key=reader)["id"] == business.account_id


def test_without_a_connection_the_account_is_unreachable(app, platform, business):
    unreachable(platform.get(f"/v1/accounts/{business.account_id}"), platform.secret_key,
                business.account_id)
    unreachable(platform.get("/v1/account", headers={"Stripe-Account": business.account_id}),
                platform.secret_key, business.account_id)


def test_the_connected_side_cannot_read_the_platform(app, platform, business, make_account):
    tokens = connect(app, platform, business)
    token = tokens["access_token"]
    third = make_account()
    connect(app, platform, third)  # another account of the same platform

    # The access token acts as the business: neither its platform nor the platform's other
    # connected accounts are reachable from there; nor with the platform's key acting as it.
    for wanted in (platform.account_id, third.account_id):
        unreachable(platform.get(f"/v1/accounts/{wanted}", key=token), token, wanted)
        unreachable(platform.get(f"/v1/accounts/{wanted}",
                                 headers={"Stripe-Account": business.account_id}),
                    platform.secret_key, wanted)
    # The business's own key reaches nothing of the platform's either.
    unreachable(business.get(f"/v1/accounts/{platform.account_id}"), business.secret_key,
                platform.account_id)


def test_a_connection_is_of_its_mode(app, platform, business):
    connect(app, platform, business)  # test mode's application
    platform.activate()
    business.activate()
    live = platform.live_secret_key

    unreachable(platform.get(f"/v1/accounts/{business.account_id}", key=live), live,
                business.account_id)
    assert read(platform, f"/v1/accounts/{business.account_id}")["id"] == business.account_id


def test_a_disconnected_account_is_unreachable_at_once(app, platform, business):
    tokens = connect(app, platform, business)
    r = platform.client.post("/oauth/deauthorize", headers=platform.auth(), data={
        "client_id": platform.client.get("/sandbox/connect", headers=platform.session_auth)
        .get_json()["data"][0]["client_id"], "stripe_user_id": business.account_id})
    assert r.status_code == 200, r.get_json()

    unreachable(platform.get(f"/v1/accounts/{business.account_id}"), platform.secret_key,
                business.account_id)
    token = tokens["access_token"]
    assert_error(platform.get("/v1/account", key=token), 401, code="api_key_expired",
                 message=messages.EXPIRED_API_KEY.format(masked=mask(token)))


# --- Connect: a platform listing the accounts connected to it (GET /v1/accounts) ------------


def listed(handle, query="", key=None, **kw) -> dict:
    r = handle.get(f"/v1/accounts{query}", key=key, **kw)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def ids(handle, query="", key=None, **kw) -> list[str]:
    return [item["id"] for item in listed(handle, query, key, **kw)["data"]]


def deauthorize(platform, business) -> None:
    client_id = platform.client.get("/sandbox/connect", headers=platform.session_auth) \
        .get_json()["data"][0]["client_id"]
    r = platform.client.post("/oauth/deauthorize", headers=platform.auth(), data={
        "client_id": client_id, "stripe_user_id": business.account_id})
    assert r.status_code == 200, r.get_json()


@pytest.fixture
def businesses(app, make_account, wall):
    """Three accounts created a minute apart (oldest first), connected newest first, so that
    the order of creation and the order of connection differ."""
    made = []
    for _ in range(3):
        made.append(make_account())
        wall[0] += 60
    return made


def no_such_account(response, param: str, account: str) -> None:
    assert_error(response, 404, code="resource_missing", param=param,
                 message=messages.NO_SUCH.format(noun="account", id=account))


EMPTY = {"object": "list", "url": "/v1/accounts", "has_more": False, "data": []}


def test_the_list_is_the_connected_accounts_newest_first(app, platform, businesses):
    oldest, middle, newest = businesses
    for each in (newest, oldest, middle):
        connect(app, platform, each)

    body = listed(platform)

    # Stripe's order (its lists are newest first by the items' own ``created``, which is what
    # its ``created`` filter names here), not the order they connected in.
    assert [item["id"] for item in body["data"]] == [
        newest.account_id, middle.account_id, oldest.account_id]
    assert {k: v for k, v in body.items() if k != "data"} == {
        "object": "list", "url": "/v1/accounts", "has_more": False}
    # Each item is the account as GET /v1/accounts/{id} shows it.
    for item in body["data"]:
        assert item == read(platform, f"/v1/accounts/{item['id']}")
    assert body["data"][0] == expected(newest, created=created_of(newest))
    assert platform.account_id not in ids(platform)  # the platform itself is no connection


def test_an_account_connected_to_nothing_gets_an_empty_list(app, account, platform, business):
    assert listed(account) == EMPTY
    connect(app, platform, business)
    # The connected side is no platform: its own key lists nothing (Stripe: "If you're not a
    # platform, the list is empty").
    assert listed(business) == EMPTY
    assert listed(account) == EMPTY  # nor does anyone else see the connection


def test_pages_follow_the_cursors(app, platform, businesses):
    oldest, middle, newest = businesses
    for each in businesses:
        connect(app, platform, each)

    first = listed(platform, "?limit=2")
    assert ([i["id"] for i in first["data"]], first["has_more"]) == (
        [newest.account_id, middle.account_id], True)
    last = listed(platform, f"?limit=2&starting_after={middle.account_id}")
    assert ([i["id"] for i in last["data"]], last["has_more"]) == ([oldest.account_id], False)
    back = listed(platform, f"?limit=1&ending_before={oldest.account_id}")
    assert ([i["id"] for i in back["data"]], back["has_more"]) == ([middle.account_id], True)
    assert ids(platform, f"?ending_before={newest.account_id}") == []


def test_created_filters_by_the_accounts_creation(app, platform, businesses):
    oldest, middle, newest = businesses
    for each in businesses:
        connect(app, platform, each)
    t_middle = created_of(middle)

    assert ids(platform, f"?created={t_middle}") == [middle.account_id]
    assert ids(platform, f"?created[gte]={t_middle}") == [newest.account_id, middle.account_id]
    assert ids(platform, f"?created[lt]={t_middle}") == [oldest.account_id]
    assert ids(platform, f"?created[gt]={t_middle}&limit=1") == [newest.account_id]


def test_bad_parameters_are_refused(platform):
    assert_error(platform.get("/v1/accounts?limit=0"), 400, code="parameter_invalid_integer",
                 param="limit", message="This value must be greater than or equal to 1.")
    assert_error(platform.get("/v1/accounts?limit=101"), 400, code="parameter_invalid_integer",
                 param="limit", message="This value must be less than or equal to 100.")
    assert_error(platform.get("/v1/accounts?starting_after=acct_1&ending_before=acct_2"), 400,
                 message=messages.ONE_OF_PARAMS.format(params="ending_before, starting_after"))
    assert_error(platform.get("/v1/accounts?created[gte]=soon"), 400,
                 code="parameter_invalid_integer", param="created[gte]",
                 message="Invalid integer: soon")
    assert_error(platform.get("/v1/accounts?email=x"), 400, code="parameter_unknown",
                 param="email", message=messages.PARAMETER_UNKNOWN.format(param="email"))
    assert_error(platform.get("/v1/accounts?expand[]=data.email"), 400, param="expand",
                 message="This property cannot be expanded (data.email).")


def test_a_cursor_must_be_one_of_the_platforms_accounts(app, platform, business, make_account):
    connect(app, platform, business)
    other_platform, theirs, stranger = make_account(), make_account(), make_account()
    connect(app, other_platform, theirs)

    for param in ("starting_after", "ending_before"):
        # Another platform's account, an account connected to none, the platform itself, a
        # made-up id, something else altogether: one answer, as for a made-up id.
        for wanted in (theirs.account_id, stranger.account_id, platform.account_id,
                       "acct_1NoSuchAccount", "cus_notanaccount", "acct_" + "x" * 40):
            no_such_account(platform.get(f"/v1/accounts?{param}={wanted}"), param, wanted)
    # The other platform's list is its own.
    assert ids(other_platform) == [theirs.account_id]


def test_a_disconnected_account_leaves_the_list_at_once(app, platform, businesses):
    oldest, middle, newest = businesses
    for each in businesses:
        connect(app, platform, each)

    deauthorize(platform, middle)

    assert ids(platform) == [newest.account_id, oldest.account_id]
    # Where a page ended on it, the next page still follows (its place is its creation).
    assert ids(platform, f"?starting_after={middle.account_id}") == [oldest.account_id]
    assert ids(platform, f"?ending_before={middle.account_id}") == [newest.account_id]
    connect(app, platform, middle)  # connected again: listed once, however often it connected
    assert ids(platform) == [newest.account_id, middle.account_id, oldest.account_id]


def test_a_connection_is_listed_in_its_mode_only(app, platform, business):
    connect(app, platform, business)  # test mode's application
    platform.activate()
    business.activate()
    live = platform.live_secret_key

    assert listed(platform, key=live) == EMPTY
    no_such_account(platform.get(f"/v1/accounts?starting_after={business.account_id}",
                                 key=live), "starting_after", business.account_id)
    assert ids(platform) == [business.account_id]


@pytest.mark.parametrize("scope", ["read_write", "read_only"])
def test_acting_as_a_connected_account_is_refused(app, platform, business, make_account,
                                                  scope):
    tokens = connect(app, platform, business, scope)
    # The business is a platform itself: what is connected to it is not its platform's.
    connect(app, business, make_account())
    refused = {"status": 403, "message": messages.CONNECTED_ACCOUNTS_OF_CONNECTED}

    assert_error(platform.get("/v1/accounts", key=tokens["access_token"]), **refused)
    for header in ("Stripe-Account", "Stripe-Context"):
        assert_error(platform.get("/v1/accounts", headers={header: business.account_id}),
                     **refused)
    assert len(ids(business)) == 1  # its own key lists them


def test_a_restricted_key_needs_accounts_kyc_basic_read_to_list(app, platform, business):
    connect(app, platform, business)
    without = platform.create_key(permissions=["charge_read", "customer_write"])
    reader = platform.create_key(permissions=["accounts_kyc_basic_read"])

    assert_error(platform.get("/v1/accounts", key=without), 403,
                 message=messages.MISSING_PERMISSION.format(
                     masked=mask(without), account=platform.account_id,
                     permission="accounts_kyc_basic_read"))
    assert listed(platform, key=reader) == listed(platform)


def test_a_publishable_key_cannot_list(platform):
    assert_error(platform.get("/v1/accounts", key=platform.publishable_key), 401,
                 code="secret_key_required", message=messages.SECRET_KEY_REQUIRED)


def test_the_list_shows_no_secret(app, platform, business):
    tokens = connect(app, platform, business)
    business.activate(bank_account={"routing_number": ROUTING, "account_number": ACCOUNT_NUMBER})

    text = platform.get("/v1/accounts").get_data(as_text=True)

    assert business.account_id in text
    for secret in (business.secret_key, business.live_secret_key, platform.secret_key,
                   tokens["access_token"], tokens["refresh_token"], business.session,
                   ACCOUNT_NUMBER, ROUTING, "scrypt"):
        assert secret not in text


def test_accounts_created_in_one_second_are_paged_once_each_both_ways(app, platform,
                                                                       make_account, wall):
    # The clock does not move (``wall`` holds it: a slow machine took over a second to sign
    # five accounts up): every account has the same ``created``, so the order within it is
    # the accounts' ids (random, not time-ordered), and no page may repeat or skip one.
    made = [make_account() for _ in range(5)]
    for each in made:
        connect(app, platform, each)
    assert len({created_of(each) for each in made}) == 1
    whole = ids(platform, "?limit=100")
    assert sorted(whole) == sorted(each.account_id for each in made)

    forwards, after = [], ""
    while True:
        page = listed(platform, "?limit=2" + (f"&starting_after={after}" if after else ""))
        forwards += [item["id"] for item in page["data"]]
        if not page["has_more"]:
            break
        after = forwards[-1]
    assert forwards == whole
    backwards, before = [], whole[-1]
    while True:
        page = listed(platform, f"?limit=2&ending_before={before}")
        backwards = [item["id"] for item in page["data"]] + backwards
        if not page["has_more"]:
            break
        before = backwards[0]
    assert backwards == whole[:-1]


def connect_live(app, platform, business) -> None:
    """``business`` connected to ``platform``'s live application (both activated)."""
    application = platform.client.post("/sandbox/connect", headers=platform.session_auth,
                                       json={"name": "Acme", "livemode": True,
                                             "redirect_uris": [CALLBACK]})
    code = Browser(app, business.email).code(urlencode({
        "response_type": "code", "client_id": application.get_json()["client_id"],
        "scope": "read_write"}))
    r = platform.client.post("/oauth/token", headers=platform.auth(platform.live_secret_key),
                             data={"grant_type": "authorization_code", "code": code})
    assert r.status_code == 200, r.get_json()


def test_an_account_connected_in_both_modes_is_in_each_modes_list(app, platform, businesses):
    oldest, _middle, newest = businesses
    for each in (platform, oldest, newest):
        each.activate()
    connect(app, platform, oldest)
    connect_live(app, platform, oldest)
    connect_live(app, platform, newest)
    live = platform.live_secret_key

    assert ids(platform) == [oldest.account_id]
    assert ids(platform, key=live) == [newest.account_id, oldest.account_id]
    assert ids(platform, f"?starting_after={newest.account_id}", key=live) == [
        oldest.account_id]
    # Connected in live mode only: no cursor of test mode's list.
    no_such_account(platform.get(f"/v1/accounts?starting_after={newest.account_id}"),
                    "starting_after", newest.account_id)
    deauthorize(platform, oldest)  # test mode's connection: live mode's stays
    assert ids(platform) == []
    assert ids(platform, key=live) == [newest.account_id, oldest.account_id]
    assert [item["charges_enabled"] for item in listed(platform, key=live)["data"]] == [
        True, True]


@pytest.mark.parametrize("cursor", ["acct_1\x00", "\x00", "acct_" + "1" * 251])
def test_a_cursor_with_a_nul_or_too_long_is_a_400(platform, cursor):
    r = platform.get("/v1/accounts", query_string={"starting_after": cursor})
    if "\x00" in cursor:
        assert_error(r, 400, message="Invalid request: the URL contains a NUL character (%00).")
    else:
        assert_error(r, 400, code="parameter_invalid_string", param="starting_after",
                     message=f"Invalid string: {shown(cursor)}; must be at most 255 characters")
