"""Planted keys never leak: not in responses (but the one that issues them), logs, the
request log and audit trail (as the sandbox API shows them), or the DB.

Keys are planted everywhere a careless server might copy them: auth headers (Bearer and
Basic), the query string, unknown and invalid parameters, malformed bodies, the
Idempotency-Key header, and keys with a bad checksum.
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from payground import messages
from tests.helpers import assert_error

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def tampered(key: str) -> str:
    return key[:-1] + ("A" if key[-1] != "A" else "B")


@pytest.fixture
def planted(account, client):
    """Every key of a signed-up, live-activated account (issued in responses we don't search)."""
    account.activate()
    keys = [account.secret_key, account.publishable_key, account.live_secret_key,
            account.live_publishable_key]
    return keys + [tampered(k) for k in keys]


def exercise(client, key: str) -> list:
    """Requests that put ``key`` in every place a request can carry it."""
    bearer = {"Authorization": f"Bearer {key}"}
    basic = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    secret = key.startswith("sk_")
    responses = [
        client.get("/v1/customers", headers=bearer),
        client.get("/v1/customers", headers=basic),
        client.get(f"/v1/customers?key={key}", headers=bearer),
        client.get(f"/v1/customers?limit=1&starting_after={key}", headers=bearer),
        client.post("/v1/customers", data={"api_key": key}, headers=bearer),
        client.post("/v1/customers", data={key: "1"}, headers=bearer),  # a key as a name
        client.post("/v1/customers", data={"balance": key}, headers=bearer),
        client.post("/v1/customers", data=f"email={key}&x=\xff".encode("latin-1"),
                    headers={**bearer, **FORM}),
        client.post("/v1/customers", data=b"email=" + key.encode() + b"%ff",
                    headers={**bearer, **FORM}),
        client.post("/v1/charges", data={"amount": key, "currency": "usd", "source": "tok_visa"},
                    headers=bearer),
        client.post("/v1/charges", data={"amount": 2000, "currency": "usd", "source": key},
                    headers=bearer),
        client.post("/v1/customers", data={"name": "idem"},
                    headers={**bearer, "Idempotency-Key": key}),
        client.post("/v1/customers", data={"name": "idem"},
                    headers={**bearer, "Idempotency-Key": key}),
        client.get(f"/v1/customers/{key}", headers=bearer),
        client.get(f"/v1/nowhere/{key}", headers=bearer),
        client.get("/v1/balance", headers={**bearer, "Origin": f"https://{key}.example"}),
        client.get(f"/nowhere?key={key}"),
        client.post("/v1/tokens", data={"card[number]": key, "card[exp_month]": "12",
                                        "card[exp_year]": "2040", "card[cvc]": "123"},
                    headers=bearer),
        client.post("/sandbox/login", json={"email": key, "password": key}),
        # The money and payment-intent resources of issue 4.
        client.post("/v1/payment_intents", data={"amount": key, "currency": "usd"},
                    headers=bearer),
        client.post("/v1/payment_intents", data={"amount": 2000, "currency": "usd",
                                                 "payment_method": key, "confirm": "true"},
                    headers=bearer),
        client.post("/v1/payment_intents/pi_missing/confirm", data={"client_secret": key},
                    headers=bearer),
        client.post("/v1/payment_methods", data={"type": "card", "card[number]": key,
                                                 "card[exp_month]": "12",
                                                 "card[exp_year]": "2040"}, headers=bearer),
        client.post("/v1/payouts", data={"amount": key, "currency": "usd"}, headers=bearer),
        client.post("/v1/payouts", data={"amount": 100, "currency": key}, headers=bearer),
        client.get(f"/v1/balance_transactions/{key}", headers=bearer),
        client.get(f"/v1/events/{key}", headers=bearer),
        client.get(f"/v1/events?type={key}", headers=bearer),
        client.get("/sandbox/keys", headers=bearer),
        # The surfaces added since: balance transaction filters, capture, an endpoint's
        # api_version, a Stripe-Version beta named like a key.
        client.get(f"/v1/balance_transactions?payout={key}", headers=bearer),
        client.get(f"/v1/balance_transactions?source=%73{key[1:]}", headers=bearer),
        client.post(f"/v1/charges/{key}/capture", data={"amount": key}, headers=bearer),
        client.post("/v1/webhook_endpoints", data={"url": "https://example.com/h",
                                                   "enabled_events[]": "*", "api_version": key},
                    headers=bearer),
        client.get("/v1/balance", headers={**bearer, "Stripe-Version": f"2020-01-01; {key}=v1"}),
    ]
    if secret:
        responses.append(client.post("/v1/refunds", data={"charge": key}, headers=bearer))
    return responses


def database_text(app) -> str:
    from payground.extensions import db
    from payground.http import request_log

    with app.app_context():
        request_log.flush()  # rows still waiting in this process's batch (log_buffer)
        engine = db.engine
        if engine.dialect.name == "sqlite":
            path = Path(engine.url.database)
            return "".join(p.read_bytes().decode("latin-1")
                           for p in path.parent.glob(path.name + "*"))
        chunks = []
        with engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                chunks += [repr(tuple(row)) for row in conn.execute(text(f"SELECT * FROM {table}"))]
        return "\n".join(chunks)


def exercise_sandbox(client, session: dict, key: str) -> list:
    """``exercise`` for the session-authenticated sandbox routes that take a body: the test
    bank account choice and the clock."""
    form = {**session, **FORM}
    return [
        client.post("/sandbox/bank", json={"bank_account": {"account_number": key}},
                    headers=session),
        client.post("/sandbox/bank", json={"bank_account": {"account_number": "000111111116",
                                                            "routing_number": key}},
                    headers=session),
        client.post("/sandbox/bank", json={"bank_account": {key: "000111111116"}},
                    headers=session),
        client.post("/sandbox/bank", data=f"bank_account[{key}]=1&x=\xff".encode("latin-1"),
                    headers=form),
        client.post("/sandbox/bank", json={"bank_account": key}, headers=session),
        client.post("/sandbox/clock/advance", json={"seconds": key}, headers=session),
        client.post("/sandbox/clock/advance", data={key: "60"}, headers=session),
        client.post("/sandbox/clock/advance", json={"seconds": 60},
                    headers={**session, "User-Agent": key, "X-Forwarded-For": key}),
        client.post("/sandbox/login", json={"email": f"{key}@example.com", "password": "x"}),
    ]


def sandbox_logs(client, account) -> list[str]:
    """The account's request log and audit trail, every page, as the API returns them."""
    pages = []
    for path in ("/sandbox/requests", "/sandbox/audit"):
        url = f"{path}?limit=100"
        while url:
            r = client.get(url, headers=account.session_auth)
            assert r.status_code == 200, r.get_json()
            body = r.get_json()
            pages.append(r.get_data(as_text=True))
            url = (f"{path}?limit=100&starting_after={body['data'][-1]['id']}"
                   if body["has_more"] else None)
    return pages


def test_planted_keys_never_appear_in_responses_logs_or_database(app, client, account,
                                                                 planted, caplog):
    caplog.set_level(logging.DEBUG)
    outputs = []
    for key in planted:
        for response in (exercise(client, key)
                         + exercise_sandbox(client, account.session_auth, key)):
            assert response.status_code < 500, response.get_data(as_text=True)
            outputs.append(response.get_data(as_text=True))
            outputs.append(repr(dict(response.headers)))
    logged = sandbox_logs(client, account)
    # The account's own keys were used: its log and audit trail really are being searched.
    assert '"object":"request_log"' in logged[0] and "api_key.seen_in_url" in "".join(logged)
    outputs += logged
    outputs.append(caplog.text)
    outputs.append(database_text(app))
    everything = "\n".join(outputs)
    for key in planted:
        assert key not in everything
        assert key[8:-4] not in everything  # not even the hidden middle


def test_publishable_keys_are_listed_but_secrets_never_again(account, client):
    account.activate()
    listed = client.get("/sandbox/keys", headers=account.session_auth).get_data(as_text=True)
    assert account.publishable_key in listed and account.live_publishable_key in listed
    assert account.secret_key not in listed and account.live_secret_key not in listed


def test_no_api_answer_may_be_cached_least_of_all_one_that_shows_a_key(client):
    # Stripe's Cache-Control on every API answer: a browser's or a proxy's cache must not keep
    # the one response that shows a secret, nor any other (session tokens, customer data).
    email = "cache@example.com"
    signup = client.post("/sandbox/signup", json={"email": email, "password": "correct horse"})
    session = {"Authorization": f"Bearer {signup.get_json()['session']}"}
    secret = signup.get_json()["keys"]["secret"]
    created = client.post("/sandbox/keys", json={"type": "secret"}, headers=session)
    answers = {
        "signup": signup,
        "login": client.post("/sandbox/login", json={"email": email, "password": "correct horse"}),
        "create key": created,
        "roll": client.post(f"/sandbox/keys/{created.get_json()['id']}/roll", json={},
                            headers=session),
        "activate": client.post("/sandbox/account/activate", json={}, headers=session),
        "list keys": client.get("/sandbox/keys", headers=session),
        "bad login": client.post("/sandbox/login", json={"email": email, "password": "nope"}),
        "v1": client.post("/v1/customers", headers={"Authorization": f"Bearer {secret}"}),
        "v1 error": client.get("/v1/customers/cus_missing",
                               headers={"Authorization": f"Bearer {secret}"}),
        "v1 no key": client.get("/v1/customers"),
    }

    assert {name: r.status_code for name, r in answers.items()} == {
        "signup": 201, "login": 200, "create key": 201, "roll": 201, "activate": 201,
        "list keys": 200, "bad login": 401, "v1": 200, "v1 error": 404, "v1 no key": 401}
    assert {r.headers.get("Cache-Control") for r in answers.values()} == {"no-cache, no-store"}


def test_webhook_signing_secrets_never_reach_the_logs_or_database(app, client, account, caplog):
    caplog.set_level(logging.DEBUG)
    created = client.post("/v1/webhook_endpoints", headers=account.auth(),
                          data={"url": "https://example.com/hook", "enabled_events[]": "*"})
    assert created.status_code == 200, created.get_json()
    secret = created.get_json()["secret"]
    planted = [secret, tampered(secret)]
    outputs = []
    for whsec in planted:
        for response in exercise(client, whsec) + [
                client.post("/v1/customers", data={"name": "idem"},
                            headers={**account.auth(), "Idempotency-Key": whsec}),
                client.get(f"/v1/customers/{whsec}", headers=account.auth()),
                client.get(f"/v1/nowhere/{whsec}", headers=account.auth())]:
            assert response.status_code < 500, response.get_data(as_text=True)
            outputs.append(response.get_data(as_text=True))
    logged = sandbox_logs(client, account)
    assert "/v1/customers/whsec_" in "".join(logged)  # the requests really are in the log
    everything = "\n".join(outputs + logged + [caplog.text, database_text(app)])
    for whsec in planted:
        assert whsec not in everything
        assert whsec[10:-4] not in everything


def test_a_key_typed_as_an_email_is_refused_before_casefolding_hides_it(app, client, account):
    # Emails are read casefolded (core.emails): lower-cased, a key fails its checksum, so it
    # passed as no key - and the account kept it as its email and showed it in every answer.
    # Its checksum is a CRC: the lower-cased key and the CRC give the key back.
    from payground.extensions import db
    from payground.models import Account
    from tests.dashboard.conftest import Dashboard, text as page_text

    account.activate()
    refused = messages.SECRET_IN_VALUE.format(param="email")
    planted = [account.secret_key, account.live_secret_key,
               account.create_key(permissions=["customer_read"])]
    for key in planted:
        email = f"{key}@example.com"
        for path in ("/sandbox/signup", "/sandbox/login"):
            r = client.post(path, json={"email": email, "password": "correct horse battery"})
            assert_error(r, 400, code="parameter_invalid_string", param="email",
                         message=refused)
        browser = Dashboard(app.test_client())
        r = browser.post("/dashboard/signup", {"email": email, "password": "correct horse",
                                               "password_confirm": "correct horse"})
        assert r.status_code == 400 and refused in page_text(r)
        page = r.get_data(as_text=True)
        assert key[8:-4] not in page and key.lower()[8:-4] not in page
        r = browser.post("/dashboard/login", {"email": email, "password": "correct horse"})
        assert r.status_code == 400 and refused in page_text(r)
        page = r.get_data(as_text=True)
        assert key[8:-4] not in page and key.lower()[8:-4] not in page
    with app.app_context():
        emails = [f"{key}@example.com".lower() for key in planted]
        assert db.session.query(Account).filter(Account.email.in_(emails)).count() == 0
    stored = database_text(app).lower()
    for key in planted:
        assert key.lower()[8:-4] not in stored
