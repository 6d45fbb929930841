"""Forms sent again (the answer reloaded, Back and "send again") act once: one-time nonces."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from payground import messages
from tests.conftest import PG_URL
from tests.dashboard.conftest import PASSWORD, Dashboard, new_email, shown_secrets, text, v1

TITLE = "Form already sent"


def form_of(response, action: str) -> dict[str, str]:
    """The hidden fields of the page's (first) form posting to ``action``, as a browser
    would send them again."""
    assert response.status_code == 200, text(response)
    page = response.get_data(as_text=True)
    form = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>',
                     page, re.S).group(1)
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))


def already_sent(response, done: str, back: str, action: tuple[str, str] | None = None
                 ) -> None:
    """The "Form already sent" page: what the first sending did, a link back, and, where
    given, the link that puts a missed secret right (``(href, label)``)."""
    page = text(response)
    assert response.status_code == 409, page
    assert TITLE in page
    assert messages.DASHBOARD_FORM_ALREADY_SENT.format(done=done) in page
    assert f'href="{back}"' in page
    actions = re.findall(r'<a class="button primary" href="([^"]+)">([^<]+)</a>', page)
    assert actions == ([action] if action else [])
    # Nothing shown again: a key's redacted form at most (sk_test_...Ab12), never a secret.
    assert not re.search(r"(sk|rk|pk)_(test|live)_[0-9A-Za-z]|whsec_", page)


def count(app, model, *where) -> int:
    from payground.extensions import db

    with app.app_context():
        return db.session.execute(select(func.count()).select_from(model).where(*where)
                                  ).scalar_one()


def account_id(app, email: str) -> str:
    from payground.extensions import db
    from payground.models import Account

    with app.app_context():
        return db.session.execute(select(Account.id).where(Account.email == email)).scalar_one()


def test_reloading_the_answer_to_create_key_creates_nothing(app, dash, signed_in):
    from payground.models import ApiKey, AuditEvent

    form = {**form_of(dash.get("/dashboard/keys"), "/dashboard/keys"),
            "type": "secret", "name": "ci"}
    assert re.fullmatch(r"[0-9a-f]{32}\.[0-9a-f]{64}", form["form_nonce"])
    first = dash.client.post("/dashboard/keys", data=form)
    (secret,) = shown_secrets(first)
    again = dash.client.post("/dashboard/keys", data=form)
    key_id = dash.key_id(secret)
    already_sent(again, messages.DASHBOARD_KEY_CREATED_BEFORE, "/dashboard/keys",
                 (f"/dashboard/keys/{key_id}/roll", f"Roll ci (sk_test_...{secret[-4:]})…"))
    assert secret not in again.get_data(as_text=True)
    account = account_id(app, signed_in.email)
    assert count(app, ApiKey, ApiKey.account_id == account, ApiKey.name == "ci") == 1
    assert count(app, AuditEvent, AuditEvent.account_id == account,
                 AuditEvent.type == "api_key.created") == 3  # the sign-up's two, and this one
    # The answer's own form has a nonce of its own: another key is one more sending away.
    form = {**form_of(first, "/dashboard/keys"), "type": "secret", "name": "ci"}
    assert len(shown_secrets(dash.client.post("/dashboard/keys", data=form))) == 1
    assert count(app, ApiKey, ApiKey.account_id == account, ApiKey.name == "ci") == 2


def test_a_refused_form_spends_nothing(app, dash, signed_in):
    form = {**form_of(dash.get("/dashboard/keys"), "/dashboard/keys"),
            "type": "restricted", "name": "ops"}  # no permission chosen
    for _ in range(2):  # reloading the refusal refuses again, for the same reason
        r = dash.client.post("/dashboard/keys", data=form)
        assert r.status_code == 400
        assert "A restricted key needs at least one permission" in text(r)
    r = dash.client.post("/dashboard/keys", data={**form, "perm_customer": "read"})
    assert r.status_code == 200 and len(shown_secrets(r)) == 1


def test_rolling_a_key_twice_by_reloading_rolls_once(app, dash, signed_in, client):
    from payground.models import ApiKey

    key_id = dash.key_id(signed_in.secret_key)
    action = f"/dashboard/keys/{key_id}/roll"
    form = {**form_of(dash.get(action), action), "expires_in": "3600"}
    (new,) = shown_secrets(dash.client.post(action, data=form))
    again = dash.client.post(action, data=form)
    already_sent(again, messages.DASHBOARD_KEY_ROLLED_BEFORE, "/dashboard/keys",
                 (f"/dashboard/keys/{dash.key_id(new)}/roll",
                  f"Roll Test secret key (sk_test_...{new[-4:]})…"))
    assert count(app, ApiKey, ApiKey.rolled_from == key_id) == 1
    assert v1(client, "/v1/customers", new).status_code == 200  # the key shown still works


def test_adding_a_webhook_endpoint_twice_by_reloading_adds_one(app, dash, signed_in, client):
    form = {**form_of(dash.get("/dashboard/webhooks/new"), "/dashboard/webhooks"),
            "url": "http://127.0.0.1:9/hook", "enabled_events": "payout.paid"}
    first = dash.client.post("/dashboard/webhooks", data=form)
    assert first.status_code == 200 and "whsec_" in first.get_data(as_text=True)
    again = dash.client.post("/dashboard/webhooks", data=form)
    already_sent(again, messages.DASHBOARD_ENDPOINT_ADDED_BEFORE, "/dashboard/webhooks")
    listed = v1(client, "/v1/webhook_endpoints", signed_in.secret_key).get_json()["data"]
    assert [e["url"] for e in listed] == ["http://127.0.0.1:9/hook"]


def test_rolling_a_signing_secret_twice_by_reloading_rolls_once(app, dash, signed_in, client):
    from payground.models import WebhookEndpoint

    endpoint = v1(client, "/v1/webhook_endpoints", signed_in.secret_key, method="post",
                  data={"url": "http://127.0.0.1:9/hook", "enabled_events[]": "payout.paid"}
                  ).get_json()
    action = f"/dashboard/webhooks/{endpoint['id']}/roll"
    form = {**form_of(dash.get(action), action), "expires_in": "3600"}
    assert dash.client.post(action, data=form).status_code == 200
    again = dash.client.post(action, data=form)
    already_sent(again, messages.DASHBOARD_SECRET_ROLLED_BEFORE, "/dashboard/webhooks")
    assert count(app, WebhookEndpoint, WebhookEndpoint.id == endpoint["id"],
                 WebhookEndpoint.secret_generation == 1) == 1


def test_a_leak_drill_and_a_clock_advance_sent_again_do_nothing(app, dash, signed_in):
    from payground.models import Account, LeakDrill

    form = {**form_of(dash.get("/dashboard/drills"), "/dashboard/drills"),
            "key": dash.key_id(signed_in.secret_key)}
    assert dash.client.post("/dashboard/drills", data=form).status_code == 303
    already_sent(dash.client.post("/dashboard/drills", data=form),
                 messages.DASHBOARD_DRILL_STARTED_BEFORE, "/dashboard/drills")
    account = account_id(app, signed_in.email)
    assert count(app, LeakDrill, LeakDrill.account_id == account) == 1

    form = {**form_of(dash.get("/dashboard/clock"), "/dashboard/clock"), "advance": "3600"}
    assert dash.client.post("/dashboard/clock", data=form).status_code == 303
    already_sent(dash.client.post("/dashboard/clock", data=form),
                 messages.DASHBOARD_CLOCK_ADVANCED_BEFORE, "/dashboard/clock")
    assert count(app, Account, Account.id == account, Account.clock_offset == 3600) == 1


def test_a_nonce_works_only_for_the_session_it_was_made_for(app, dash, signed_in):
    form = {**form_of(dash.get("/dashboard/keys"), "/dashboard/keys"), "type": "secret"}
    other = Dashboard(app.test_client())
    other.signup()
    theirs = form_of(other.get("/dashboard/keys"), "/dashboard/keys")
    for refused in (other.client.post("/dashboard/keys",
                                      data={**form, "csrf_token": theirs["csrf_token"]}),
                    dash.client.post("/dashboard/keys", data={
                        **form, "form_nonce": form["form_nonce"].split(".")[0] + "." + "0" * 64})):
        assert refused.status_code == 400 and "Form refused" in text(refused)
        assert shown_secrets(refused) == []
    assert len(shown_secrets(dash.client.post("/dashboard/keys", data=form))) == 1


@pytest.fixture
def second_worker(app_config):
    """Another app on the same database and secret: a second worker process would be one."""
    from payground import create_app
    from payground.app import dispose_app

    other = create_app(app_config)
    yield other
    dispose_app(other)


def test_a_form_sent_again_to_another_worker_does_nothing(app, dash, signed_in, second_worker):
    form = {**form_of(dash.get("/dashboard/keys"), "/dashboard/keys"), "type": "secret"}
    (secret,) = shown_secrets(dash.client.post("/dashboard/keys", data=form))
    browser = second_worker.test_client()  # the same browser, answered by the other worker
    browser.set_cookie("payground_session", dash.client.get_cookie(
        "payground_session", path="/dashboard").value, path="/dashboard")
    already_sent(browser.post("/dashboard/keys", data=form),
                 messages.DASHBOARD_KEY_CREATED_BEFORE, "/dashboard/keys",
                 (f"/dashboard/keys/{dash.key_id(secret)}/roll",
                  f"Roll the key (sk_test_...{secret[-4:]})…"))


def test_spent_nonces_go_once_no_session_can_send_them(app):
    from payground.extensions import db
    from payground.models import UsedFormNonce
    from payground.services import form_nonces
    from payground.services.accounts import SESSION_SECONDS

    with app.app_context():
        form_nonces.spend("a" * 32, now=1000)
        form_nonces.spend("b" * 32, now=1001)
        db.session.commit()
        with pytest.raises(form_nonces.NonceSpent):
            form_nonces.spend("a" * 32, now=1002)
        form_nonces.spend("c" * 32, now=1001 + SESSION_SECONDS)  # "a"'s session has expired
        db.session.commit()
        kept = db.session.execute(select(UsedFormNonce.id).where(
            UsedFormNonce.id.in_([c * 32 for c in "abc"])).order_by(UsedFormNonce.id)
        ).scalars().all()
    assert kept == ["b" * 32, "c" * 32]


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL row locks; SQLite has one writer anyway")
def test_a_form_does_not_wait_for_another_sweeping_the_same_expired_nonces(app):
    """Another form's transaction, still running, deleted the expired nonces too: this one
    leaves them to it rather than wait for it to end (every form of the server would)."""
    from sqlalchemy import text as sql

    from payground.extensions import db
    from payground.models import UsedFormNonce
    from payground.services import form_nonces
    from payground.services.accounts import SESSION_SECONDS

    now = 10**9
    with app.app_context():
        form_nonces.spend("d" * 32, now=now - SESSION_SECONDS - 1)  # its session is over
        db.session.commit()
        other = db.engine.connect()
        sweeping = other.begin()  # another form's transaction, at its spend: not committed
        try:
            other.execute(sql("DELETE FROM used_form_nonces WHERE created < :before"),
                          {"before": now - SESSION_SECONDS})
            other.execute(sql("INSERT INTO used_form_nonces (id, created) VALUES (:id, :now)"),
                          {"id": "e" * 32, "now": now})
            # Only a bound on the failure: waiting for the other transaction times out.
            db.session.execute(sql("SET LOCAL lock_timeout = '2s'"))
            form_nonces.spend("f" * 32, now=now)
            db.session.commit()
        finally:
            sweeping.rollback()  # that form was refused: its sweep is undone with its nonce
            other.close()
        form_nonces.spend("0" * 32, now=now)  # the next form sweeps what it left
        db.session.commit()
        kept = db.session.execute(select(UsedFormNonce.id).where(
            UsedFormNonce.id.in_([c * 32 for c in "def0"])).order_by(UsedFormNonce.id)
        ).scalars().all()
    assert kept == ["0" * 32, "f" * 32]


def signup_form(browser: Dashboard, email: str) -> dict[str, str]:
    """The sign-up page's form, filled in, as the browser would send it (and again)."""
    return {**form_of(browser.get("/dashboard/signup"), "/dashboard/signup"), "email": email,
            "password": PASSWORD, "password_confirm": PASSWORD}


def accounts_with(app, email: str) -> int:
    from payground.models import Account

    return count(app, Account, Account.email == email)


def test_a_sign_up_sent_twice_at_once_creates_one_account(app):
    """A double click: the second sending leaves before the first's answer (and its session
    cookie) arrives, and its answer is the one the browser shows."""
    browser, email = Dashboard(app.test_client()), new_email()
    form = signup_form(browser, email)
    assert re.fullmatch(r"[0-9a-f]{32}\.[0-9a-f]{64}", form["form_nonce"])
    first = browser.client.post("/dashboard/signup", data=form)
    assert len(shown_secrets(first)) == 2
    second = app.test_client()  # the same browser, before the first answer's cookies
    second.set_cookie("payground_csrf", browser.client.get_cookie(
        "payground_csrf", path="/dashboard").value, path="/dashboard")
    for _ in range(6):  # more than the log-in budget (5/1m): never counted as a failure
        again = second.post("/dashboard/signup", data=form)
        already_sent(again, messages.DASHBOARD_SIGNED_UP_BEFORE, "/dashboard/login")
        assert "payground_session" not in str(again.headers)
    assert accounts_with(app, email) == 1
    # Nor "email taken", which counts against the address: it can still sign up (a 200).
    Dashboard(app.test_client()).signup()


def test_reloading_the_sign_up_answer_creates_nothing_and_says_why(app):
    """The answer set the session cookie: reloading it sends the form again with it."""
    browser, email = Dashboard(app.test_client()), new_email()
    form = signup_form(browser, email)
    first = browser.client.post("/dashboard/signup", data=form)
    secret, _ = shown_secrets(first)
    again = browser.client.post("/dashboard/signup", data=form)
    already_sent(again, messages.DASHBOARD_SIGNED_UP_BEFORE, "/dashboard/keys",
                 (f"/dashboard/keys/{browser.key_id(secret)}/roll",
                  f"Roll Test secret key (sk_test_...{secret[-4:]})…"))
    assert accounts_with(app, email) == 1
    assert browser.get("/dashboard/keys").status_code == 200  # still signed in


def test_a_sign_up_form_sent_by_a_signed_in_browser_does_nothing(app, dash, signed_in):
    # A sign-up tab left open and sent after logging in elsewhere; or another site's form
    # (no token needed: nothing is done).
    email = new_email()
    for form in ({"email": email, "password": PASSWORD, "password_confirm": PASSWORD},
                 {**signup_form(Dashboard(app.test_client()), email)}):
        r = dash.client.post("/dashboard/signup", data=form)
        assert r.status_code == 302 and r.headers["Location"] == "/dashboard/keys"
    assert accounts_with(app, email) == 0


def test_a_log_in_sent_again_after_it_worked_goes_where_it_went(app, dash):
    account = dash.signup()
    browser = Dashboard(app.test_client())
    form = {**form_of(browser.get("/dashboard/login?next=/dashboard/clock"), "/dashboard/login"),
            "email": account.email, "password": PASSWORD}
    # Back, and "send again": its token was the pre-login cookie's, not the session's.
    for status in (303, 302):
        r = browser.client.post("/dashboard/login", data=form)
        assert r.status_code == status and r.headers["Location"] == "/dashboard/clock"


def test_a_log_in_form_without_a_token_cannot_switch_a_signed_in_browser_to_another_account(
        app, dash, signed_in):
    """Log-in and sign-up sent by a signed-in browser skip the CSRF check: another site's
    form with its own account's email and password (login CSRF, to have the victim work in
    the attacker's account) changes nothing, and sets no cookie."""
    attacker = Dashboard(app.test_client()).signup()
    for path, form in (("/dashboard/login", {"email": attacker.email, "password": PASSWORD,
                                             "next": "/dashboard/webhooks"}),
                       ("/dashboard/signup", {"email": new_email(), "password": PASSWORD,
                                              "password_confirm": PASSWORD})):
        r = dash.client.post(path, data=form)
        assert r.status_code == 302 and "Set-Cookie" not in r.headers, path
    assert signed_in.email in text(dash.get("/dashboard/keys"))
    assert attacker.email not in text(dash.get("/dashboard/keys"))


def test_the_page_links_no_roll_for_a_key_that_cannot_be_rolled_any_more(app, dash, signed_in):
    form = {**form_of(dash.get("/dashboard/keys"), "/dashboard/keys"),
            "type": "secret", "name": "gone"}
    (secret,) = shown_secrets(dash.client.post("/dashboard/keys", data=form))
    key_id = dash.key_id(secret)
    assert dash.post(f"/dashboard/keys/{key_id}/revoke").status_code == 303
    already_sent(dash.client.post("/dashboard/keys", data=form),
                 messages.DASHBOARD_KEY_CREATED_BEFORE, "/dashboard/keys")


def test_the_script_that_sends_a_form_once_is_on_every_page_with_a_form(app, dash, signed_in):
    """dashboard.js stops a form's second sending (tests/dashboard/test_browser.py drives
    it in Chromium); here: it is served, and every page with a form loads it."""
    script = dash.get("/dashboard/static/dashboard/dashboard.js")
    body = script.get_data(as_text=True)
    script.close()
    assert script.status_code == 200 and script.mimetype in ("text/javascript",
                                                             "application/javascript")
    assert 'form.addEventListener("submit"' in body and "event.preventDefault()" in body
    assert 'window.addEventListener("pageshow"' in body  # Back: the forms work again
    tag = '<script src="/dashboard/static/dashboard/dashboard.js" defer></script>'
    for path in ("/dashboard/keys", "/dashboard/webhooks/new", "/dashboard/clock",
                 "/dashboard/drills", f"/dashboard/keys/{dash.key_id(signed_in.secret_key)}/roll"):
        page = dash.get(path)
        assert page.status_code == 200 and '<form method="post"' in text(page), path
        assert tag in text(page), path
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    signed_out = Dashboard(app.test_client())
    for path in ("/dashboard/signup", "/dashboard/login"):
        assert tag in text(signed_out.get(path)), path
