"""A key in a URL is refused wherever it is sent, as ``/v1`` refuses it (tests/api/test_auth.py):
``/sandbox`` with the same JSON error, the dashboard with the same message on its error page,
before anything else reads the request; audited in the key's account; never echoed, logged
or stored.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from payground import messages
from payground.core import keys
from tests.dashboard.conftest import Dashboard, text
from tests.helpers import assert_error
from tests.test_secrets import database_text, sandbox_logs

SANDBOX_URLS = [
    ("GET", "/sandbox/keys?key={k}"),
    ("GET", "/sandbox/requests?limit=1&api_key={k}"),
    ("GET", "/sandbox/keys/{k}"),  # a key where an id goes, by mistake
    ("GET", "/sandbox/audit?q=%73k{rest}"),  # disguised: read as decoded
    ("POST", "/sandbox/keys?key={k}"),
    ("POST", "/sandbox/clock/advance?{k}"),
    ("GET", "/sandbox/nowhere?key={k}"),
]
DASHBOARD_URLS = [
    ("GET", "/dashboard/keys?key={k}"),
    ("GET", "/dashboard/{k}"),
    ("GET", "/dashboard/requests?key={k}"),
    ("GET", "/dashboard/login?next=/dashboard/{k}"),
    ("POST", "/dashboard/keys?key={k}"),
    ("GET", "/dashboard/static/dashboard/dashboard.css?{k}"),
]


def url(template: str, key: str) -> str:
    return template.format(k=key, rest=key[2:])


def audited(app, key_id: str) -> list:
    from payground.extensions import db
    from payground.models import AuditEvent

    with app.app_context():
        return db.session.execute(
            select(AuditEvent).where(AuditEvent.key_id == key_id,
                                     AuditEvent.type == "api_key.seen_in_url")
            .order_by(AuditEvent.id)).scalars().all()


@pytest.mark.parametrize("method, template", SANDBOX_URLS)
def test_a_key_in_a_sandbox_url_is_refused_as_v1_refuses_it(app, account, method, template):
    r = account.client.open(url(template, account.secret_key), method=method,
                            json={"type": "secret", "seconds": 60},
                            headers=account.session_auth)
    assert_error(r, 400, code="api_key_in_url", message=messages.API_KEY_IN_URL)
    assert account.secret_key[8:] not in r.get_data(as_text=True)
    [event] = audited(app, account.key_id(account.secret_key))
    assert event.request_id == r.headers["Request-Id"]
    assert event.data["method"] == method and account.secret_key[8:] not in str(event.data)


def test_a_refused_sandbox_request_does_nothing(app, account):
    from payground.extensions import db
    from payground.models import ApiKey

    before = account.client.get("/sandbox/clock", headers=account.session_auth).get_json()
    for path, body in ((f"/sandbox/keys?key={account.secret_key}", {"type": "secret"}),
                       (f"/sandbox/clock/advance?k={account.secret_key}", {"seconds": 3600})):
        r = account.client.post(path, json=body, headers=account.session_auth)
        assert_error(r, 400, code="api_key_in_url", message=messages.API_KEY_IN_URL)
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(ApiKey).where(
            ApiKey.account_id == account.account_id)).scalar_one() == 2  # the sign-up's
    assert account.client.get("/sandbox/clock", headers=account.session_auth
                              ).get_json()["offset"] == before["offset"]
    # And a log-in that carries one in its URL is refused before the password is looked at.
    r = account.client.post(f"/sandbox/login?key={account.secret_key}",
                            json={"email": account.email, "password": "correct horse battery"})
    assert_error(r, 400, code="api_key_in_url", message=messages.API_KEY_IN_URL)
    assert "session" not in r.get_data(as_text=True)


@pytest.mark.parametrize("method, template", DASHBOARD_URLS)
@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
def test_a_key_in_a_dashboard_url_is_refused_with_a_page(app, account, method, template,
                                                         signed_in):
    browser = Dashboard(app.test_client())
    if signed_in:
        browser.signup()
    target = url(template, account.secret_key)
    r = (browser.post(target, {"type": "secret"}) if method == "POST"
         else browser.get(target))
    page = text(r)
    assert r.status_code == 400, page
    assert r.mimetype == "text/html" and "Location" not in r.headers  # no trip to log in
    assert '<h1 id="error-title">Request refused</h1>' in page
    assert f'<p class="alert alert-error" role="alert">{messages.API_KEY_IN_URL}</p>' in page
    assert account.secret_key[8:] not in page
    assert r.headers["Cache-Control"] == "no-store" and r.headers["X-Frame-Options"] == "DENY"
    [event] = audited(app, account.key_id(account.secret_key))
    assert event.request_id == r.headers["Request-Id"]
    assert event.account_id == account.account_id
    assert event.data == {"method": method,
                          "path": keys.scrub(target.partition("?")[0])}


def test_a_key_in_a_dashboard_url_creates_nothing(app, account):
    browser = Dashboard(app.test_client())
    browser.signup()
    before = browser.key_ids()
    r = browser.post(f"/dashboard/keys?key={account.secret_key}", {"type": "secret",
                                                                   "name": "never"})
    assert r.status_code == 400 and messages.API_KEY_IN_URL in text(r)
    assert browser.key_ids() == before


def test_a_publishable_key_in_a_url_is_refused_but_writes_nothing_in_its_trail(app, client,
                                                                             account):
    # Anyone can read it off a checkout page: it must not let strangers fill the trail.
    for r in (client.get(f"/sandbox/keys?key={account.publishable_key}"),
              client.get(f"/dashboard/keys?key={account.publishable_key}")):
        assert r.status_code == 400
    assert audited(app, account.key_id(account.publishable_key)) == []


def test_planted_keys_in_sandbox_and_dashboard_urls_never_reach_logs_or_database(
        app, client, account, caplog):
    caplog.set_level(logging.DEBUG)
    account.activate()
    restricted = account.create_key(permissions=["customer_read"])
    planted = [account.secret_key, account.live_secret_key, restricted,
               keys.generate("secret", False)]  # and one that is no account's
    browser = Dashboard(app.test_client())
    browser.signup()
    outputs = []
    for key in planted:
        for method, template in SANDBOX_URLS:
            r = client.open(url(template, key), method=method, json={"type": "secret"},
                            headers=account.session_auth)
            outputs += [r.get_data(as_text=True), repr(dict(r.headers))]
        for method, template in DASHBOARD_URLS:
            target = url(template, key)
            for r in ((browser.post(target, {"type": "secret"}) if method == "POST"
                       else browser.get(target)),
                      client.open(target, method=method)):
                assert r.status_code == 400
                outputs += [r.get_data(as_text=True), repr(dict(r.headers))]
    logged = sandbox_logs(client, account)
    assert "api_key.seen_in_url" in "".join(logged)  # the trail searched is the right one
    outputs += logged + [caplog.text, database_text(app)]
    everything = "\n".join(outputs)
    for key in planted:
        assert key not in everything
        assert key[8:-4] not in everything  # not even the hidden middle
