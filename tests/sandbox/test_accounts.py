"""/sandbox: sign-up, log-in, log-out, account, activation and the key list."""

import base64

from sqlalchemy import select

from payground import messages
from payground.core import keys
from tests.helpers import assert_error


def signup(client, email="new@example.com", password="correct horse battery"):
    return client.post("/sandbox/signup", json={"email": email, "password": password})


def test_signup_issues_test_keys_once(client):
    r = signup(client)
    assert r.status_code == 201
    body = r.get_json()
    assert body["session"].startswith("sess_")
    assert body["account"]["id"].startswith("acct_")
    assert body["account"]["live_enabled"] is False
    secret, publishable = body["keys"]["secret"], body["keys"]["publishable"]
    assert keys.parse(secret) == keys.ParsedKey("secret", False)
    assert keys.parse(publishable) == keys.ParsedKey("publishable", False)
    listed = client.get("/sandbox/keys", headers={"Authorization": f"Bearer {body['session']}"})
    assert listed.status_code == 200
    text = listed.get_data(as_text=True)
    assert secret not in text  # shown once, at sign-up
    by_type = {k["type"]: k for k in listed.get_json()["data"]}
    assert by_type["secret"]["redacted"] == f"sk_test_...{secret[-4:]}"
    assert "secret" not in by_type["secret"]
    assert by_type["secret"]["status"] == "active"
    assert by_type["publishable"]["secret"] == publishable  # public: shown any time


def test_signup_accepts_form_bodies(client):
    r = client.post("/sandbox/signup", data={"email": "form@example.com",
                                             "password": "long enough"})
    assert r.status_code == 201


def test_signup_validation(client):
    assert_error(client.post("/sandbox/signup", json={"email": "x@example.com"}), 400,
                 code="parameter_missing", param="password",
                 message="Missing required param: password.")
    assert_error(signup(client, email="not-an-email"), 400, code="email_invalid", param="email",
                 message="Invalid email address: not-an-email")
    assert_error(signup(client, password="short"), 400, code="password_too_short",
                 param="password", message="Passwords must be at least 8 characters long.")
    assert_error(client.post("/sandbox/signup", json={"email": "a@example.com",
                                                      "password": "long enough", "x": 1}),
                 400, code="parameter_unknown", param="x", message="Received unknown parameter: x")


def test_duplicate_email(client):
    signup(client, email="dup@example.com")
    assert_error(signup(client, email="DUP@example.com"), 400, code="email_taken",
                 param="email", message="An account with this email address already exists.")


def test_login_and_logout(client):
    signup(client, email="in@example.com", password="the password")
    r = client.post("/sandbox/login", json={"email": "in@example.com", "password": "the password"})
    assert r.status_code == 200
    session = r.get_json()["session"]
    assert "keys" not in r.get_json()
    auth = {"Authorization": f"Bearer {session}"}
    assert client.get("/sandbox/account", headers=auth).get_json()["email"] == "in@example.com"
    assert client.post("/sandbox/logout", headers=auth).status_code == 200
    r = client.get("/sandbox/account", headers=auth)
    assert_error(r, 401, message="You did not provide a valid session. Log in with "
                 "POST /sandbox/login and send 'Authorization: Bearer sess_...'.")


def test_wrong_password(client):
    signup(client, email="pw@example.com", password="the password")
    r = client.post("/sandbox/login", json={"email": "pw@example.com", "password": "wrong one!"})
    assert_error(r, 401, message="Incorrect email address or password.")
    r = client.post("/sandbox/login", json={"email": "nobody@example.com",
                                            "password": "wrong one!"})
    assert_error(r, 401, message="Incorrect email address or password.")


def test_sandbox_needs_a_session_not_an_api_key(account, client):
    """Story 3: a leaked key cannot make itself new keys, and the answer says why."""
    restricted = account.client.post(
        "/sandbox/keys", headers=account.session_auth,
        json={"type": "restricted", "permissions": ["balance_read"]}).get_json()["secret"]
    basic = {"Authorization": "Basic " + base64.b64encode(
        f"{account.secret_key}:".encode()).decode()}
    for request in (client.get("/sandbox/keys", headers=account.auth()),
                    client.post("/sandbox/keys", headers=account.auth(restricted),
                                json={"type": "secret"}),
                    client.get("/sandbox/audit", headers=basic)):
        assert_error(request, 401, message=messages.API_KEY_ON_SANDBOX)
        assert account.secret_key[8:] not in request.get_data(as_text=True)
        assert restricted[8:] not in request.get_data(as_text=True)
    r = client.get("/sandbox/keys", headers={"Authorization": "Bearer not_a_key"})
    assert_error(r, 401, message=messages.NO_SESSION)
    assert messages.NO_SESSION == (
        "You did not provide a session. Sign up (POST /sandbox/signup) or log in "
        "(POST /sandbox/login) and send 'Authorization: Bearer sess_...'.")


def test_activation_issues_live_keys_once_and_fills_details(account, client):
    r = client.post("/sandbox/account/activate", json={"business_name": "Lemonade Stand",
                                                       "bank_account": {
                                                           "account_number": "000123456789"}},
                    headers=account.session_auth)
    assert r.status_code == 201
    body = r.get_json()
    assert body["account"]["live_enabled"] is True
    assert body["account"]["business_name"] == "Lemonade Stand"
    assert body["account"]["country"] == "US"
    assert body["account"]["bank_account"]["last4"] == "6789"
    assert body["account"]["bank_account"]["routing_number"]  # filled by Faker
    live = body["keys"]["secret"]
    assert keys.parse(live) == keys.ParsedKey("secret", True)
    assert account.get("/v1/customers", key=live).status_code == 200
    again = client.post("/sandbox/account/activate", json={}, headers=account.session_auth)
    assert_error(again, 400, code="account_already_activated",
                 message="Live mode is already activated for this account. Create live keys "
                         "with POST /sandbox/keys (livemode=true, type=secret or restricted) or "
                         "roll one with POST /sandbox/keys/key_.../roll (from a terminal: "
                         "`payground keys create --mode live`, `payground keys roll`).")


def test_passwords_and_sessions_are_stored_as_digests(app, client):
    from payground.extensions import db
    from payground.models import Account, Session

    body = signup(client, email="digest@example.com", password="plain text pw").get_json()
    with app.app_context():
        account = db.session.execute(
            select(Account).where(Account.id == body["account"]["id"])).scalar_one()
        assert "plain text pw" not in account.password_hash
        assert account.password_hash.startswith("scrypt$")
        digests = db.session.execute(select(Session.digest)).scalars().all()
        assert body["session"] not in digests


def _at_once(app, count, call):
    """``call(client)`` from ``count`` threads released together; their responses."""
    import threading

    barrier, answers = threading.Barrier(count), []

    def run():
        client = app.test_client()
        barrier.wait()
        answers.append(call(client))

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_activating_twice_at_once_issues_one_live_pair(app, account):
    answers = _at_once(app, 6, lambda c: c.post("/sandbox/account/activate", json={},
                                                headers=account.session_auth))
    assert sorted(r.status_code for r in answers) == [201] + [400] * 5
    for refused in (r for r in answers if r.status_code == 400):
        assert_error(refused, 400, code="account_already_activated",
                     message=messages.LIVE_ALREADY_ACTIVATED)
    listed = account.client.get("/sandbox/keys", headers=account.session_auth).get_json()
    assert sorted(k["type"] for k in listed["data"] if k["livemode"]) == ["publishable",
                                                                           "secret"]
    audit = account.client.get("/sandbox/audit?limit=100",
                               headers=account.session_auth).get_json()["data"]
    assert sorted(e["key_redacted"][:8] for e in audit if e["type"] == "api_key.created") == [
        "pk_live_", "pk_test_", "sk_live_", "sk_test_"]  # signup's keys and activation's


def test_signing_up_one_email_twice_at_once(app):
    body = {"email": "twice@example.com", "password": "correct horse battery"}
    answers = _at_once(app, 6, lambda c: c.post("/sandbox/signup", json=body))
    assert sorted(r.status_code for r in answers) == [201] + [400] * 5
    for refused in (r for r in answers if r.status_code == 400):
        assert_error(refused, 400, code="email_taken", param="email",
                     message="An account with this email address already exists.")


def test_odd_input_to_the_sandbox_is_a_400(account, client):
    long_email = "a" * 310 + "@example.com"  # 322 characters: over the column's 320
    r = client.post("/sandbox/signup", json={"email": long_email,
                                             "password": "correct horse battery"})
    assert_error(r, 400, code="parameter_invalid_string", param="email",
                 message=f"Invalid string: {long_email[:57]}...; must be at most 320 characters")
    for query, param in (("created[lte]=2147483648", "created[lte]"),
                         ("created=-2147483649", "created")):
        r = client.get(f"/sandbox/requests?{query}", headers=account.session_auth)
        assert r.status_code == 400 and r.get_json()["error"]["param"] == param, r.get_json()
    too_many = [f"10.0.{i // 250}.{i % 250}" for i in range(101)]
    r = client.post("/sandbox/keys", headers=account.session_auth,
                    json={"type": "secret", "ip_allowlist": too_many})
    assert_error(r, 400, code="parameter_invalid", param="ip_allowlist",
                 message="Invalid ip_allowlist: at most 100 addresses or ranges.")


def test_a_session_token_is_a_secret_too(account, client):
    r = client.post("/sandbox/keys", headers=account.session_auth,
                    json={"type": "secret", "name": f"mine: {account.session}"})
    assert_error(r, 400, code="parameter_invalid_string", param="name",
                 message="Invalid string: name holds a dashboard session token (sess_...). It "
                         "manages your keys: keep it to yourself, and log out to end it if it "
                         "may have been seen.")
    assert account.session not in r.get_data(as_text=True)
    assert keys.scrub(f"x {account.session} y") == (
        f"x sess_{'*' * (len(account.session) - 9)}{account.session[-4:]} y")


def test_an_unknown_email_costs_a_password_check_too(app, client, account, monkeypatch):
    from payground.services import accounts

    checked = []
    real = accounts.check_password
    monkeypatch.setattr(accounts, "check_password",
                        lambda stored, password: checked.append(stored) or real(stored, password))
    for email in ("nobody@example.com", account.email):
        r = client.post("/sandbox/login", json={"email": email, "password": "whatever123"})
        assert_error(r, 401, message="Incorrect email address or password.")
    # The same check: a hash of the cost sign-ups use (PASSWORD_COST, lowered for tests and
    # the fixture's server), not the default's, which would take far longer and tell.
    unknown, known = (stored.split("$")[:4] for stored in checked)
    assert unknown == known == ["scrypt", str(app.config["PASSWORD_COST"]), "8", "1"]


def test_failed_statements_never_log_their_values(app):
    from payground.extensions import db

    with app.app_context():
        assert db.engine.hide_parameters is True
