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


OFF_THE_DASHBOARD = ["https://evil.example/", "//evil.example/x", "/dashboard/\\evil",
                     "/v1/customers",
                     # Dot segments: the browser resolves them off the dashboard (%2e%2e too).
                     "/dashboard/../v1/customers", "/dashboard/%2e%2E/sandbox/requests",
                     "/dashboard/keys/./../../v1/charges", "/dashboard/.%2e?x=1"]
ON_THE_DASHBOARD = ["/dashboard/requests", "/dashboard/..requests",
                    "/dashboard/requests/req_1?x=../y",
                    # No dot segment to a browser, which decodes nothing here: they stay on
                    # the dashboard (a 404 page).
                    "/dashboard/%252e%252e/v1/customers", "/dashboard/..;/v1/customers",
                    "/dashboard/..%5cv1/customers"]


@pytest.mark.parametrize("next_path, location",
                         [(path, "/dashboard/keys") for path in OFF_THE_DASHBOARD]
                         + [(path, path) for path in ON_THE_DASHBOARD])
def test_login_goes_on_to_the_dashboard_page_asked_for_and_nowhere_else(dash, app, next_path,
                                                                        location):
    account = dash.signup()
    browser = Dashboard(app.test_client())
    r = browser.post("/dashboard/login", {"email": account.email, "password": PASSWORD,
                                          "next": next_path})
    assert r.status_code == 303 and r.headers["Location"] == location


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


HSTS = "max-age=31536000"


@pytest.mark.parametrize("base, trusted, forwarded, hsts", [
    ("https://dash.example", "", {}, True),  # served over HTTPS itself
    ("http://dash.example", "127.0.0.1/32", {"X-Forwarded-Proto": "https"}, True),
    ("http://dash.example", "", {}, False),
    # A proxy's word counts only from a trusted proxy, as for the .env download.
    ("http://dash.example", "", {"X-Forwarded-Proto": "https"}, False),
    ("http://dash.example", "10.0.0.0/8", {"X-Forwarded-Proto": "https"}, False),
    ("http://dash.example", "127.0.0.1/32", {"X-Forwarded-Proto": "http"}, False),
    # Never pinned: every other plain-http server on the machine would be refused after it.
    ("https://localhost", "", {}, False),
    ("https://app.localhost:8443", "", {}, False),
], ids=["https", "trusted-proxy", "http", "untrusted-header", "other-proxy",
        "proxy-says-http", "localhost", "dot-localhost"])
def test_strict_transport_security_only_over_https(app, base, trusted, forwarded, hsts):
    app.config["TRUSTED_PROXIES"] = trusted
    browser = Dashboard(app.test_client())
    pages = [browser.get("/dashboard/login", base_url=base, headers=forwarded),
             browser.get("/dashboard/static/dashboard/dashboard.css", base_url=base,
                         headers=forwarded),
             browser.client.put("/dashboard/keys", base_url=base, headers=forwarded)]
    for r, status in zip(pages, (200, 200, 405)):
        r.close()  # the static file's
        assert r.status_code == status
        assert r.headers.get("Strict-Transport-Security") == (HSTS if hsts else None)


def test_strict_transport_security_is_not_sent_for_a_public_url_alone(app):
    # PUBLIC_URL says how the server is meant to be reached (cookies are Secure for it), not
    # how this answer came: HSTS over plain http would be ignored, and is never sent.
    app.config["PUBLIC_URL"] = "https://dash.example"
    r = Dashboard(app.test_client()).get("/dashboard/login", base_url="http://dash.example")
    assert "Secure" in cookie_headers(r)["payground_csrf"]
    assert "Strict-Transport-Security" not in r.headers


def test_strict_transport_security_on_a_signed_in_page_and_not_on_the_api(app, client):
    browser = Dashboard(app.test_client())
    page = browser.get("/dashboard/login", base_url="https://dash.example")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    r = browser.client.post("/dashboard/signup", base_url="https://dash.example", data={
        "csrf_token": token, "email": new_email(), "password": PASSWORD,
        "password_confirm": PASSWORD})
    assert r.status_code == 200 and r.headers["Strict-Transport-Security"] == HSTS
    assert browser.client.get("/dashboard/keys", base_url="https://dash.example"
                              ).headers["Strict-Transport-Security"] == HSTS
    # The API's clients are programs, which ignore it: only the dashboard's pages send it.
    (secret, _) = shown_secrets(r)
    api = client.get("/v1/customers", base_url="https://dash.example",
                     headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200 and "Strict-Transport-Security" not in api.headers


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


EMAIL_TOO_MANY = "Too many failed log-ins for this email address. Wait a little and try again."
EMAIL_AT_ONCE = "Too many log-ins at once for this email address. Try again in a second."


def addresses():
    """A new client address for each attempt: an attacker's many machines."""
    return iter({"REMOTE_ADDR": f"198.51.100.{n}"} for n in range(1, 255))


@pytest.fixture
def email_budget(app, wall):
    """4 failed log-ins per email per 10 minutes; the test starts a window."""
    app.config["LOGIN_EMAIL_FAILURE_LIMIT"] = "4/10m"
    wall[0] = (int(wall[0]) // 600) * 600 + 1
    return 4


def test_login_throttling_per_email_from_many_addresses(dash, app, client, email_budget,
                                                        wall):
    account = dash.signup()
    browser, spread = Dashboard(app.test_client()), addresses()
    for _ in range(email_budget):  # each address far within its own budget of 3
        r = browser.post("/dashboard/login", {"email": account.email, "password": "wrong!!!!"},
                         environ_base=next(spread))
        assert r.status_code == 401
    # Over the email's budget: the right password from a new address is refused unchecked,
    # however the email is typed.
    r = browser.post("/dashboard/login", {"email": account.email.upper(),
                                          "password": PASSWORD}, environ_base=next(spread))
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "599"
    assert EMAIL_TOO_MANY in text(r)
    assert "You can try again in" in text(r)
    assert "payground_session" not in cookie_headers(r)
    refused = client.post("/sandbox/login", json={"email": account.email, "password": PASSWORD},
                          environ_base=next(spread))
    assert_error(refused, 429, code="rate_limit", message=EMAIL_TOO_MANY)
    assert refused.headers["Retry-After"] == "599"
    # Another account from the same addresses is not affected.
    other = Dashboard(app.test_client()).signup()
    r = Dashboard(app.test_client()).post(
        "/dashboard/login", {"email": other.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.1"})
    assert r.status_code == 303
    # The next window starts afresh.
    wall[0] += 600
    r = browser.post("/dashboard/login", {"email": account.email, "password": PASSWORD},
                     environ_base=next(spread))
    assert r.status_code == 303


def test_the_email_budget_does_not_tell_which_emails_have_accounts(dash, app, client,
                                                                  email_budget, monkeypatch):
    """An email with no account is counted and refused as one with: the same answers, and
    the same password checks (of the sign-up cost) while allowed, none once refused."""
    from payground.services import accounts

    account = dash.signup()
    checked = []
    real = accounts.check_password
    monkeypatch.setattr(accounts, "check_password",
                        lambda stored, password: checked.append(stored) or real(stored, password))
    seen = {}
    for email in (account.email, "nobody-here@example.com"):
        spread, checked[:] = addresses(), []
        answers = [client.post("/sandbox/login", json={"email": email, "password": "wrong!!!!"},
                               environ_base=next(spread)) for _ in range(email_budget + 2)]
        seen[email] = ([(r.status_code, r.get_json()["error"]["message"]) for r in answers],
                       [stored.split("$")[:4] for stored in checked])
    known, unknown = seen.values()
    assert known == unknown
    statuses, costs = known
    assert statuses == ([(401, "Incorrect email address or password.")] * email_budget
                        + [(429, EMAIL_TOO_MANY)] * 2)
    assert costs == [["scrypt", str(app.config["PASSWORD_COST"]), "8", "1"]] * email_budget


def test_an_email_refusal_gives_the_address_its_attempt_back(dash, app, email_budget):
    account, other = dash.signup(), Dashboard(app.test_client()).signup()
    browser, spread = Dashboard(app.test_client()), addresses()
    for _ in range(email_budget):
        browser.post("/dashboard/login", {"email": account.email, "password": "wrong!!!!"},
                     environ_base=next(spread))
    same_address = {"REMOTE_ADDR": "203.0.113.7"}
    for _ in range(5):  # more than the address's budget of 3: refused for the email only
        r = browser.post("/dashboard/login", {"email": account.email, "password": PASSWORD},
                         environ_base=same_address)
        assert r.status_code == 429 and EMAIL_TOO_MANY in text(r)
    # That address still has its whole budget (and no attempt left counted as in flight).
    for expected in (401, 401, 401, 429):
        r = browser.post("/dashboard/login", {"email": other.email, "password": "wrong!!!!"},
                         environ_base=same_address)
        assert r.status_code == expected
    assert "Too many failed log-ins from your address." in text(r)


def test_log_ins_in_flight_for_one_email_count_before_their_passwords_are_checked(
        dash, app, monkeypatch, wall):
    """Guesses at one account sent at once from many addresses get no more checks than
    guesses sent one by one: three in flight use an email budget of 3."""
    app.config.update(LOGIN_FAILURE_LIMIT="100/1m", LOGIN_EMAIL_FAILURE_LIMIT="3/10m")
    wall[0] = (int(wall[0]) // 600) * 600 + 1
    elsewhere = app.test_client()  # not the guesses' address, which the email would let in
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.99"
    account = Dashboard(elsewhere).signup()
    answers, fourth = log_ins_held_while_another_is_sent(
        app, monkeypatch, {"email": account.email, "password": "wrong!!!!"})
    assert_error(fourth, 429, code="rate_limit", message=EMAIL_AT_ONCE)
    assert fourth.headers["Retry-After"] == "1"
    assert answers == [401, 401, 401]
    fifth = app.test_client().post("/sandbox/login", json={"email": account.email,
                                                           "password": PASSWORD})
    assert_error(fifth, 429, code="rate_limit", message=EMAIL_TOO_MANY)


def test_the_email_budget_is_one_however_the_email_is_typed(dash, app, client, email_budget):
    """Log-in knows an address in its normal form (core.emails): so does its budget, or each
    spelling (case, fullwidth letters, ß and ss) would be a new budget for the same account."""
    account = dash.signup(email=f"straße-{new_email()}")
    local, domain = account.email.split("@")
    spellings = [account.email, account.email.upper(), local.replace("ß", "ss") + "@" + domain,
                 "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c
                         for c in local) + "@" + domain]
    spread = addresses()
    for email in spellings:  # the budget of 4, one guess per spelling
        r = client.post("/sandbox/login", json={"email": email, "password": "wrong!!!!"},
                        environ_base=next(spread))
        assert_error(r, 401, message="Incorrect email address or password.")
    for email in spellings + [account.email.title()]:
        r = client.post("/sandbox/login", json={"email": email, "password": PASSWORD},
                        environ_base=next(spread))
        assert_error(r, 429, code="rate_limit", message=EMAIL_TOO_MANY)


@pytest.mark.parametrize("came_in_by", ["signup", "login"])
def test_guesses_from_elsewhere_do_not_lock_out_an_address_the_account_used(
        dash, app, client, email_budget, came_in_by):
    """Whoever knows an email could otherwise keep its account locked with a guess a minute,
    from one address. The budget holds back new addresses only: one that signed up or logged
    in as the email keeps logging in, within its own address's budget."""
    home = {"REMOTE_ADDR": "203.0.113.20"}
    email = new_email()
    r = client.post("/sandbox/signup", json={"email": email, "password": PASSWORD},
                    environ_base=home if came_in_by == "signup" else {})
    assert r.status_code == 201
    if came_in_by == "login":
        r = client.post("/sandbox/login", json={"email": email, "password": PASSWORD},
                        environ_base=home)
        assert r.status_code == 200
    spread = addresses()
    for _ in range(email_budget + 2):  # a guesser's addresses use the email's budget up
        client.post("/sandbox/login", json={"email": email, "password": "wrong!!!!"},
                    environ_base=next(spread))
    r = client.post("/sandbox/login", json={"email": email, "password": PASSWORD},
                    environ_base=next(spread))
    assert_error(r, 429, code="rate_limit", message=EMAIL_TOO_MANY)
    r = client.post("/sandbox/login", json={"email": email.upper(), "password": PASSWORD},
                    environ_base=home)
    assert r.status_code == 200, r.get_json()
    browser = Dashboard(app.test_client())
    r = browser.post("/dashboard/login", {"email": email, "password": PASSWORD},
                     environ_base=home)
    assert r.status_code == 303
    # Its own wrong passwords count against its address, as any address's do.
    for expected in (401, 401, 401):
        r = client.post("/sandbox/login", json={"email": email, "password": "wrong!!!!"},
                        environ_base=home)
        assert r.status_code == expected
    r = client.post("/sandbox/login", json={"email": email, "password": PASSWORD},
                    environ_base=home)
    assert_error(r, 429, code="rate_limit", message="Too many failed log-ins from your "
                                                    "address. Wait a little and try again.")


def test_an_address_is_remembered_for_an_email_for_30_to_60_days(app, client, wall):
    """Remembered in 30-day windows, the one it came in and the next: not forever."""
    from payground.http.login_throttle import KNOWN_WINDOW

    app.config["LOGIN_EMAIL_FAILURE_LIMIT"] = "2/10m"
    wall[0] = (int(wall[0]) // KNOWN_WINDOW) * KNOWN_WINDOW + 1  # a window's first second
    home, email = {"REMOTE_ADDR": "203.0.113.30"}, new_email()
    assert client.post("/sandbox/signup", json={"email": email, "password": PASSWORD},
                       environ_base=home).status_code == 201

    def home_log_in_after_guesses_from_elsewhere():
        spread = addresses()
        for _ in range(3):
            client.post("/sandbox/login", json={"email": email, "password": "wrong!!!!"},
                        environ_base=next(spread))
        return client.post("/sandbox/login", json={"email": email, "password": PASSWORD},
                           environ_base=home)

    wall[0] += 2 * KNOWN_WINDOW - 86400  # 59 days on
    assert home_log_in_after_guesses_from_elsewhere().status_code == 200
    wall[0] += 2 * KNOWN_WINDOW  # 60 days after that log-in, it is forgotten
    assert_error(home_log_in_after_guesses_from_elsewhere(), 429, code="rate_limit",
                 message=EMAIL_TOO_MANY)


@pytest.mark.parametrize("settings", [{"LOGIN_EMAIL_FAILURE_LIMIT": "off"},
                                      {"LOGIN_FAILURE_LIMIT": "off"}])
def test_the_email_budget_can_be_turned_off(dash, app, client, settings):
    """``off`` turns it off; so does turning the log-in throttle off (its per-address
    budget), as the test fixtures' servers do."""
    app.config.update({"LOGIN_EMAIL_FAILURE_LIMIT": "2/10m", **settings})
    account = dash.signup()
    spread = addresses()
    for _ in range(4):
        assert client.post("/sandbox/login", json={"email": account.email, "password": "nope!!!!"},
                           environ_base=next(spread)).status_code == 401
    assert client.post("/sandbox/login", json={"email": account.email, "password": PASSWORD},
                       environ_base=next(spread)).status_code == 200


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


def test_an_api_key_is_refused_with_a_reason_not_sent_to_log_in(app, account):
    """Story 3: a leaked key cannot reach the pages that manage keys, and the answer says so
    (``curl -u rk_test_...:`` would otherwise get a log-in page and no reason)."""
    import base64

    from payground import messages

    restricted = account.create_key(permissions=["balance_read"])
    basic = "Basic " + base64.b64encode(f"{restricted}:".encode()).decode()
    browser = app.test_client()  # no session cookie: only the key
    for auth in (f"Bearer {restricted}", f"Bearer {account.secret_key}", basic):
        for method, path in (("GET", "/dashboard/keys"), ("GET", "/dashboard"),
                             ("POST", "/dashboard/keys")):
            r = browser.open(path, method=method, headers={"Authorization": auth})
            assert r.status_code == 401, (method, path, r.status_code)
            page = text(r)
            assert "API keys cannot sign in" in page
            assert messages.API_KEY_ON_DASHBOARD in page
            assert restricted[8:] not in page and account.secret_key[8:] not in page
    # Anything else in the header is no key: the visitor is sent to log in as before.
    r = browser.get("/dashboard/keys", headers={"Authorization": "Bearer not_a_key"})
    assert r.status_code == 303 and r.headers["Location"].startswith("/dashboard/login")
    # The log-in page itself is public: it still shows, key or not.
    assert browser.get("/dashboard/login",
                       headers={"Authorization": f"Bearer {restricted}"}).status_code == 200


def test_an_api_key_page_is_the_same_for_any_key_and_logs_nothing(app, account, caplog):
    """The 401 page is decided by the key's shape only: an unknown key, a revoked one and a
    working one get the same page (no answer says which keys exist), and no log line names
    any of them."""
    import logging

    from payground import messages

    revoked = account.create_key(permissions=["balance_read"])
    account.revoke(revoked)
    unknown = keys.generate("restricted", False)
    browser = app.test_client()
    caplog.set_level(logging.DEBUG)
    pages = set()
    for key in (account.secret_key, revoked, unknown):
        r = browser.get("/dashboard/keys", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 401
        assert r.headers["Cache-Control"] == "no-store"
        page = text(r)
        assert messages.API_KEY_ON_DASHBOARD in page and key[8:] not in page
        pages.add(page)
        assert key[8:] not in caplog.text
    assert len(pages) == 1


@pytest.mark.parametrize("credentials", ["alice:s3cret", "team:sk_test_in_the_password",
                                         "sess_abc:"])
def test_a_proxys_basic_log_in_is_no_api_key(dash, app, credentials):
    """A proxy in front asking its own Basic log-in passes the header on: its user name is no
    key, so a signed-out visitor is sent to log in as before, and a signed-in one sees pages."""
    import base64

    proxy = {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}
    browser = Dashboard(app.test_client())
    r = browser.get("/dashboard/keys", headers=proxy)
    assert r.status_code == 303
    assert r.headers["Location"] == "/dashboard/login?next=/dashboard/keys"
    browser.signup()
    assert browser.get("/dashboard/keys", headers=proxy).status_code == 200
