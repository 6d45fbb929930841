"""Dashboard sign-up, log-in, log-out: cookies, password rules, throttling, redirects, CSRF."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from payground.core import keys
from tests.dashboard.conftest import PASSWORD, Dashboard, new_email, shown_secrets, text, v1
from tests.helpers import assert_error


def cookie_headers(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def test_signup_shows_the_test_keys_once_and_signs_in(dash, client):
    email = new_email()
    r = dash.post("/dashboard/signup", {"email": email, "password": PASSWORD,
                                        "password_confirm": PASSWORD})
    assert r.status_code == 200
    secret, publishable = shown_secrets(r)
    assert keys.parse(secret) == keys.ParsedKey("secret", False)
    assert keys.parse(publishable) == keys.ParsedKey("publishable", False)
    page = text(r)
    assert "Copy your key now. It won’t be shown again." in page
    assert 'download="payground.env"' in page and "Download as .env" in page
    # The session cookie: HttpOnly, SameSite=Lax, only for the dashboard, not Secure on http.
    cookie = cookie_headers(r)["payground_session"]
    assert cookie.startswith("payground_session=sess_")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie
    # The key works, and the next page no longer shows it.
    assert v1(client, "/v1/customers", secret).status_code == 200
    keys_page = dash.get("/dashboard/keys")
    assert keys_page.status_code == 200
    assert secret not in keys_page.get_data(as_text=True)
    assert f"sk_test_...{secret[-4:]}" in text(keys_page)
    assert email in text(keys_page)


def test_the_env_download_holds_the_shown_keys(dash):
    from urllib.parse import unquote

    r = dash.post("/dashboard/signup", {"email": new_email(), "password": PASSWORD,
                                        "password_confirm": PASSWORD})
    secret, publishable = shown_secrets(r)
    href = r.get_data(as_text=True).split('href="data:text/plain;charset=utf-8,')[1].split('"')[0]
    env = unquote(href.replace("&amp;", "&")).splitlines()
    assert f"STRIPE_SECRET_KEY={secret}" in env
    assert f"STRIPE_PUBLISHABLE_KEY={publishable}" in env
    assert "STRIPE_API_BASE=http://localhost" in env


@pytest.mark.parametrize("form, field, message", [
    ({"password": "short", "password_confirm": "short"}, "password",
     "Passwords must be at least 8 characters long."),
    ({"password": PASSWORD, "password_confirm": PASSWORD + "!"}, "password_confirm",
     "The two passwords do not match."),
    ({"email": "not-an-email"}, "email", "Invalid email address: not-an-email"),
    ({"password": "x" * 1025, "password_confirm": "x" * 1025}, "password",
     "Passwords must be between 8 and 1024 characters long."),
])
def test_signup_rules(dash, form, field, message):
    data = {"email": new_email(), "password": PASSWORD, "password_confirm": PASSWORD, **form}
    r = dash.post("/dashboard/signup", data)
    assert r.status_code == 400
    page = text(r)
    assert f'<p class="field-error" id="f-{field}-error">{message}</p>' in page
    assert 'aria-invalid="true"' in page
    assert "xxxxxxxx" not in page  # a password is never echoed
    assert "payground_session" not in cookie_headers(r)


def test_signup_with_a_taken_email(dash, client):
    email = new_email()
    dash.signup(email)
    other = Dashboard(client.application.test_client())
    r = other.post("/dashboard/signup", {"email": email.upper(), "password": PASSWORD,
                                         "password_confirm": PASSWORD})
    assert r.status_code == 400
    assert "An account with this email address already exists." in text(r)


def test_login_then_logout_ends_the_session(app, dash):
    account = dash.signup()
    browser = Dashboard(app.test_client())
    r = browser.post("/dashboard/login", {"email": account.email, "password": PASSWORD,
                                          "next": "/dashboard/requests"})
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard/requests"
    cookie = cookie_headers(r)["payground_session"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    assert browser.get("/dashboard/requests").status_code == 200
    r = browser.post("/dashboard/logout")
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard/login?bye=1"
    assert "payground_session=;" in cookie_headers(r)["payground_session"]
    assert "You are logged out." in text(browser.get("/dashboard/login?bye=1"))
    # The token itself is dead, not only the cookie: replaying it gets the log-in page.
    replay = app.test_client()
    replay.set_cookie("payground_session", token, path="/dashboard")
    r = replay.get("/dashboard/keys")
    assert r.status_code == 303 and r.headers["Location"].startswith("/dashboard/login")
    from payground.extensions import db
    from payground.models import Session
    from payground.services.accounts import _session_digest

    with app.app_context():
        assert db.session.execute(select(Session).where(
            Session.digest == _session_digest(token))).first() is None


def test_wrong_password_is_a_401_page(dash, app):
    account = dash.signup()
    browser = Dashboard(app.test_client())
    r = browser.post("/dashboard/login", {"email": account.email, "password": "wrong one!"})
    assert r.status_code == 401
    assert "Incorrect email address or password." in text(r)
    assert "payground_session" not in cookie_headers(r)


def test_an_unknown_email_takes_as_long_as_a_wrong_password(dash, app, monkeypatch):
    # Answered faster, an unknown email would tell which addresses have accounts: both check
    # a hash of the cost sign-ups use (PASSWORD_COST), not scrypt's default.
    from payground.services import accounts

    account = dash.signup()
    checked = []
    real = accounts.check_password
    monkeypatch.setattr(accounts, "check_password",
                        lambda stored, password: checked.append(stored) or real(stored, password))
    browser = Dashboard(app.test_client())
    for email in ("nobody@example.com", account.email):
        r = browser.post("/dashboard/login", {"email": email, "password": "wrong one!"})
        assert r.status_code == 401
        assert "Incorrect email address or password." in text(r)
    unknown, known = (stored.split("$")[:4] for stored in checked)
    assert unknown == known == ["scrypt", str(app.config["PASSWORD_COST"]), "8", "1"]


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example/x",
                                       "/dashboard/\\evil", "/v1/customers"])
def test_login_never_redirects_off_the_dashboard(dash, app, next_path):
    account = dash.signup()
    browser = Dashboard(app.test_client())
    r = browser.post("/dashboard/login", {"email": account.email, "password": PASSWORD,
                                          "next": next_path})
    assert r.status_code == 303 and r.headers["Location"] == "/dashboard/keys"


@pytest.fixture
def app_config(app_config):
    return {**app_config, "LOGIN_FAILURE_LIMIT": "3/1m"}


def test_login_throttling_per_address(dash, app, wall):
    account = dash.signup()
    browser = Dashboard(app.test_client())
    wall[0] = (int(wall[0]) // 60) * 60 + 1  # the start of a one-minute window
    for _ in range(3):
        r = browser.post("/dashboard/login", {"email": account.email, "password": "wrong!!!!"})
        assert r.status_code == 401
    # Over the budget: even the right password is refused, before it is checked.
    r = browser.post("/dashboard/login", {"email": account.email, "password": PASSWORD})
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "59"
    assert "Too many failed log-ins from your address. Wait a little and try again." in text(r)
    assert "You can try again in 59 s." in text(r)
    # Another address is not affected.
    other = Dashboard(app.test_client())
    r = other.post("/dashboard/login", {"email": account.email, "password": PASSWORD},
                   environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert r.status_code == 303
    # The next window starts afresh.
    wall[0] += 60
    r = browser.post("/dashboard/login", {"email": account.email, "password": PASSWORD})
    assert r.status_code == 303


def test_secure_cookie_over_https(app):
    browser = Dashboard(app.test_client())
    page = browser.get("/dashboard/login", base_url="https://localhost")
    assert "Secure" in cookie_headers(page)["payground_csrf"]
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    r = browser.client.post("/dashboard/signup", base_url="https://localhost", data={
        "csrf_token": token, "email": new_email(), "password": PASSWORD,
        "password_confirm": PASSWORD})
    assert r.status_code == 200
    for name in ("payground_session", "payground_mode"):
        assert "Secure" in cookie_headers(r)[name], name


def test_pages_are_never_cached_or_framed(dash, signed_in):
    r = dash.get("/dashboard/keys")
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]


def test_log_ins_that_succeed_use_no_budget(dash, app, wall):
    account = dash.signup()
    browser = Dashboard(app.test_client())
    wall[0] = (int(wall[0]) // 60) * 60 + 1
    for _ in range(5):  # more than the budget of 3
        r = browser.post("/dashboard/login", {"email": account.email, "password": PASSWORD})
        assert r.status_code == 303
        browser.post("/dashboard/logout", {})
    r = browser.post("/dashboard/login", {"email": "not an email", "password": "x"})
    assert r.status_code == 400  # not a log-in attempt at all: no budget used either
    for expected in (401, 401, 401, 429):
        r = browser.post("/dashboard/login", {"email": account.email, "password": "wrong!!!!"})
        assert r.status_code == expected


def test_the_sandbox_api_log_in_shares_the_budget(dash, app, client, wall):
    account = dash.signup()
    browser = Dashboard(app.test_client())
    wall[0] = (int(wall[0]) // 60) * 60 + 1
    for _ in range(2):
        assert browser.post("/dashboard/login", {"email": account.email,
                                                 "password": "wrong!!!!"}).status_code == 401
    wrong = {"email": account.email, "password": "wrong!!!!"}
    assert client.post("/sandbox/login", json=wrong).status_code == 401
    r = client.post("/sandbox/login", json={"email": account.email, "password": PASSWORD})
    assert_error(r, 429, code="rate_limit",
                 message="Too many failed log-ins from your address. Wait a little and try again.")
    assert r.headers["Retry-After"] == "59"
    assert browser.post("/dashboard/login", {"email": account.email,
                                             "password": PASSWORD}).status_code == 429
    wall[0] += 60
    assert client.post("/sandbox/login", json={"email": account.email,
                                               "password": PASSWORD}).status_code == 200


def log_ins_held_while_another_is_sent(app, monkeypatch, body, held=3):
    """``held`` log-ins with ``body``, each stopped inside its password check while one more
    is sent; returns (the held ones' statuses, the extra one's response)."""
    import threading

    from payground.services import accounts

    checking, release = threading.Semaphore(0), threading.Event()
    real_login = accounts.login

    def slow_login(*args, **kwargs):
        checking.release()
        release.wait(timeout=30)
        return real_login(*args, **kwargs)

    monkeypatch.setattr(accounts, "login", slow_login)
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(
        app.test_client().post("/sandbox/login", json=body).status_code)) for _ in range(held)]
    for thread in threads:
        thread.start()
    for _ in threads:
        assert checking.acquire(timeout=30)  # all of them are being checked now
    extra = app.test_client().post("/sandbox/login", json=body)
    release.set()
    for thread in threads:
        thread.join(timeout=30)
    monkeypatch.setattr(accounts, "login", real_login)
    return answers, extra


def test_attempts_in_flight_count_before_their_passwords_are_checked(dash, app, monkeypatch,
                                                                      wall):
    """Three guesses still being checked use the budget of 3: a fourth sent meanwhile is
    refused at once, not checked too (counted only after a failure, all would be), and told to
    try again in a second; once the three have failed, the address waits for the window."""
    wall[0] = (int(wall[0]) // 60) * 60 + 1  # the start of a window: it lasts the whole test
    account = dash.signup()
    answers, fourth = log_ins_held_while_another_is_sent(
        app, monkeypatch, {"email": account.email, "password": "wrong!!!!"})
    assert_error(fourth, 429, code="rate_limit",
                 message="Too many log-ins at once from your address. Try again in a second.")
    assert fourth.headers["Retry-After"] == "1"
    assert answers == [401, 401, 401]
    fifth = app.test_client().post("/sandbox/login", json={"email": account.email,
                                                           "password": PASSWORD})
    assert_error(fifth, 429, code="rate_limit",
                 message="Too many failed log-ins from your address. Wait a little and try "
                         "again.")
    assert int(fifth.headers["Retry-After"]) > 1


def test_correct_log_ins_in_flight_are_refused_for_a_second_only(dash, app, monkeypatch, wall):
    wall[0] = (int(wall[0]) // 60) * 60 + 1
    account = dash.signup()
    right = {"email": account.email, "password": PASSWORD}
    answers, late = log_ins_held_while_another_is_sent(app, monkeypatch, right)
    assert late.status_code == 429 and late.headers["Retry-After"] == "1"
    assert answers == [200, 200, 200]
    assert app.test_client().post("/sandbox/login", json=right).status_code == 200


@pytest.mark.parametrize("trusted, base", [("127.0.0.1/32", "https://localhost"),
                                           ("", "http://localhost")])
def test_behind_a_trusted_tls_proxy_the_env_download_says_https(app, client, trusted, base):
    # The SDK that reads STRIPE_API_BASE sends the secret key there: never to http:// when
    # the dashboard itself was reached over HTTPS (the proxy's word, as for Secure cookies).
    from urllib.parse import unquote

    app.config["TRUSTED_PROXIES"] = trusted
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    browser = Dashboard(app.test_client())
    page = browser.get("/dashboard/login", headers=proxied).get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    r = browser.client.post("/dashboard/signup", headers=proxied, data={
        "email": new_email(), "password": PASSWORD, "password_confirm": PASSWORD,
        "csrf_token": token})
    assert r.status_code == 200
    href = r.get_data(as_text=True).split('href="data:text/plain;charset=utf-8,')[1]
    assert f"STRIPE_API_BASE={base}" in unquote(href.split('"')[0]).splitlines()
    (secret, _) = shown_secrets(r)
    error = client.get("/v1/charges/ch_nope", headers={"Authorization": f"Bearer {secret}",
                                                       **proxied}).get_json()["error"]
    assert error["request_log_url"].startswith(f"{base}/dashboard/requests/req_")


@pytest.mark.parametrize("trusted, secure", [("127.0.0.1/32", True), ("", False),
                                             ("10.0.0.0/8", False)])
def test_secure_cookie_behind_a_trusted_tls_proxy(app, trusted, secure):
    app.config["TRUSTED_PROXIES"] = trusted
    browser = Dashboard(app.test_client())
    page = browser.get("/dashboard/login", headers={"X-Forwarded-Proto": "https",
                                                    "X-Forwarded-For": "203.0.113.9"})
    assert ("Secure" in cookie_headers(page)["payground_csrf"]) is secure


def test_in_a_windows_last_second_too_many_failures_still_says_so(dash, app, client, wall):
    account = dash.signup()
    wall[0] = (int(wall[0]) // 60) * 60 + 59  # one second before the window ends
    wrong = {"email": account.email, "password": "wrong!!!!"}
    for _ in range(3):
        assert client.post("/sandbox/login", json=wrong).status_code == 401
    r = client.post("/sandbox/login", json={"email": account.email, "password": PASSWORD})
    assert_error(r, 429, code="rate_limit",
                 message="Too many failed log-ins from your address. Wait a little and try "
                         "again.")
    assert r.headers["Retry-After"] == "1"  # the window's end, which is a second away


def test_sign_ups_for_taken_emails_use_the_log_in_budget(dash, app, client, wall):
    account = dash.signup()
    wall[0] = (int(wall[0]) // 60) * 60 + 1
    taken = {"email": account.email, "password": "another password 1"}
    for _ in range(3):  # the budget of 3 in this module
        assert_error(client.post("/sandbox/signup", json=taken), 400, code="email_taken",
                     param="email", message="An account with this email address already "
                                            "exists.")
    for refused in (client.post("/sandbox/signup", json={"email": "new@example.com",
                                                         "password": "a new password 1"}),
                    client.post("/sandbox/login", json={"email": account.email,
                                                        "password": PASSWORD})):
        assert_error(refused, 429, code="rate_limit", message="Too many failed log-ins from "
                     "your address. Wait a little and try again.")
    # New emails signing up at once (a room) are not held back: only taken ones count.
    wall[0] += 60
    from tests.sandbox.test_accounts import _at_once

    emails = [f"room{i}@example.com" for i in range(8)]  # list.pop: safe across threads
    answers = _at_once(app, 8, lambda c: c.post("/sandbox/signup", json={
        "email": emails.pop(), "password": "a new password 1"}))
    assert [r.status_code for r in answers] == [201] * 8
