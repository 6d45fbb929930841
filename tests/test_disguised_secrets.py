"""Keys in disguise never leak either: percent-encoded in whole or in part (``sk%5Ftest%5F``,
``%73k_test_``, lower- or upper-case hex), encoded twice (``%255F``), or split by bytes that
are not UTF-8. A client's encoder, a proxy or a careless copy can write a key any of these
ways; it is the key all the same, to a reader as to whoever searches the logs.

Planted as in ``test_secrets.py``, they must not come back in a response, the log, the request
log, the audit trail or the database: neither as sent, nor once decoded.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, unquote

import pytest

from payground import messages
from payground.core import keys
from tests.helpers import assert_error
from tests.test_secrets import FORM, database_text, exercise, sandbox_logs


def disguises(secret: str) -> dict[str, str]:
    """``secret`` as clients and proxies may write it (the first character encoded in each
    case's own hex: a key's first letter decides its kind)."""
    first = secret[0]
    return {
        "%5F": secret.replace("_", "%5F"),
        "%5f": secret.replace("_", "%5f"),
        "first letter": f"%{ord(first):02X}" + secret[1:],
        "every character": "".join(f"%{ord(c):02x}" for c in secret),
        "encoded twice": secret.replace("_", "%255F"),
        # Past DECODE_ROUNDS: a URL encoded over and over by a loop of careless encoders.
        "encoded twelve times": secret.replace("_", "%" + "25" * 11 + "5F"),
        "its escape's digit escaped": secret.replace("_", "%%35F"),  # %5F, decoded once
        "one letter inside": secret[:12] + f"%{ord(secret[12]):02X}" + secret[13:],
        "split by %00": secret[:9] + "%00" + secret[9:],
        "split by %FF": secret[:9] + "%FF" + secret[9:],
    }


def decoded(text: str) -> str:
    """``text`` as a careful searcher reads it: escapes decoded until none is left, and the
    characters that stand for bytes that were not text (or for NUL) dropped."""
    while (once := unquote(text, errors="replace")) != text:
        text = once
    return re.sub("[\x00\ufffd]", "", text)


def assert_never_shown(secret: str, everything: str, prefix: int = 8) -> None:
    hidden = secret[prefix:-4]
    for text in (everything, decoded(everything)):
        assert secret not in text
        assert hidden not in text


@pytest.fixture
def secrets(account, client):
    """A test secret key, a live restricted key, a webhook signing secret and the session."""
    account.activate()
    restricted = account.create_key(permissions=["charge_read"], livemode=True)
    hook = client.post("/v1/webhook_endpoints", headers=account.auth(),
                       data={"url": "https://example.com/hook", "enabled_events[]": "*"})
    assert hook.status_code == 200, hook.get_json()
    return {"secret": account.secret_key, "restricted": restricted,
            "whsec": hook.get_json()["secret"], "session": account.session}


def test_disguised_keys_never_appear_in_responses_logs_or_database(app, client, account,
                                                                   secrets, caplog):
    caplog.set_level(logging.DEBUG)
    outputs = []
    for secret in secrets.values():
        for disguised in disguises(secret).values():
            for response in exercise(client, disguised) + [
                    client.get(f"/v1/customers/{quote(disguised)}", headers=account.auth()),
                    client.get("/v1/customers", headers={**account.auth(),
                                                         "Stripe-Account": disguised}),
                    client.get("/v1/customers", headers={**account.auth(),
                                                         "Stripe-Context": disguised}),
                    # Both headers, naming different accounts: the 400 echoes both.
                    client.get("/v1/customers", headers={**account.auth(),
                                                         "Stripe-Account": "acct_1Other",
                                                         "Stripe-Context": disguised}),
                    client.get(f"/dashboard/{disguised}"),
                    client.get(f"/dashboard/login?next=/dashboard/{disguised}")]:
                assert response.status_code < 500, response.get_data(as_text=True)
                outputs.append(response.get_data(as_text=True))
                outputs.append(repr(dict(response.headers)))
    logged = sandbox_logs(client, account)
    assert "/v1/customers/sk_test_*" in "".join(logged)  # the requests really are logged
    everything = "\n".join(outputs + logged + [caplog.text, database_text(app)])
    for name, secret in secrets.items():
        assert_never_shown(secret, everything,
                           prefix={"whsec": 6, "session": 5}.get(name, 8))


@pytest.mark.parametrize("how", ["%5F", "first letter", "every character", "encoded twice",
                                 "encoded twelve times", "split by %FF"])
def test_a_disguised_key_in_the_query_string_is_refused_and_audited(account, how):
    disguised = disguises(account.secret_key)[how]
    r = account.get(f"/v1/customers?limit=1&starting_after={disguised}")

    assert_error(r, 400, code="api_key_in_url", message=messages.API_KEY_IN_URL)
    audit = account.client.get("/sandbox/audit?type=api_key.seen_in_url",
                               headers=account.session_auth).get_json()["data"]
    assert [(e["key_redacted"], e["data"]) for e in audit] == [
        (f"sk_test_...{account.secret_key[-4:]}", {"method": "GET", "path": "/v1/customers"})]


@pytest.mark.parametrize("how", ["%5F", "first letter", "encoded twice", "encoded twelve times",
                                 "its escape's digit escaped", "split by %00"])
def test_a_disguised_key_in_the_path_is_refused_audited_and_masked_in_the_log(account, how):
    secret = account.secret_key
    # Sent encoded once more, as a client's URL encoder would: the id is the disguised key.
    r = account.get(f"/v1/customers/{quote(disguises(secret)[how])}")

    assert_error(r, 400, code="api_key_in_url", message=messages.API_KEY_IN_URL)
    entry = account.client.get(f"/sandbox/requests/{r.headers['Request-Id']}",
                               headers=account.session_auth).get_json()
    assert entry["path"] == f"/v1/customers/{keys.mask(secret)}"
    audit = account.client.get("/sandbox/audit?type=api_key.seen_in_url",
                               headers=account.session_auth).get_json()["data"]
    assert [(e["key_redacted"], e["data"]) for e in audit] == [
        (f"sk_test_...{secret[-4:]}", {"method": "GET",
                                       "path": f"/v1/customers/{keys.mask(secret)}"})]


@pytest.mark.parametrize("how", ["%5F", "every character", "encoded twice",
                                 "its escape's digit escaped", "a byte not UTF-8"])
def test_a_disguised_key_as_idempotency_key_is_masked_in_the_echo_and_the_log(account, how):
    secret = account.secret_key
    # A header is read as Latin-1: a byte that is not UTF-8 comes in as a character of its own.
    disguised = {**disguises(secret), "a byte not UTF-8": secret[:9] + "\xff" + secret[9:]}[how]
    r = account.client.post("/v1/customers", data={"name": "idem"},
                            headers={**account.auth(), "Idempotency-Key": disguised})

    assert r.status_code == 200, r.get_json()
    assert r.headers["Idempotency-Key"] == keys.mask(secret)
    entry = account.client.get(f"/sandbox/requests/{r.headers['Request-Id']}",
                               headers=account.session_auth).get_json()
    assert entry["idempotency_key"] == keys.mask(secret)


@pytest.mark.parametrize("how", ["%5F", "%5f", "first letter", "every character",
                                 "encoded twice", "one letter inside", "split by %00"])
@pytest.mark.parametrize("field, param", [("description", "description"), ("email", "email"),
                                          ("metadata[note]", "metadata")])
def test_a_disguised_key_in_customer_data_is_refused_and_not_stored(app, account, how, field,
                                                                    param):
    secret = account.secret_key
    # The form body carries it encoded once more: the value the API reads is the disguise.
    body = f"{field}={quote(disguises(secret)[how])}".encode()
    r = account.client.post("/v1/customers", data=body, headers={**account.auth(), **FORM})

    assert_error(r, 400, code="parameter_invalid_string", param=param,
                 message=messages.SECRET_IN_VALUE.replace("{param}", param))
    assert account.get("/v1/customers").get_json()["data"] == []
    assert_never_shown(secret, r.get_data(as_text=True) + database_text(app))


@pytest.mark.parametrize("name, message", [
    ("whsec", messages.WEBHOOK_SECRET_IN_VALUE), ("session", messages.SESSION_IN_VALUE)])
def test_a_disguised_signing_secret_or_session_token_is_refused_too(account, secrets, name,
                                                                    message):
    disguised = disguises(secrets[name])["%5F"]
    r = account.post("/v1/customers", {"description": f"see {disguised}"})

    assert_error(r, 400, code="parameter_invalid_string", param="description",
                 message=message.replace("{param}", "description"))


def test_a_disguised_key_as_a_webhook_url_is_refused(account):
    url = f"https://example.com/hook?k={disguises(account.secret_key)['%5F']}"
    r = account.post("/v1/webhook_endpoints", {"url": url, "enabled_events[]": "*"})

    assert_error(r, 400, code="parameter_invalid_string", param="url",
                 message=messages.SECRET_IN_VALUE.replace("{param}", "url"))
    assert account.get("/v1/webhook_endpoints").get_json()["data"] == []


def test_a_dashboard_address_holding_a_disguised_key_is_refused_not_redirected(client,
                                                                              account):
    # Sent to log in, it would have been put in the redirect's address (next=...); refused as
    # /v1 refuses a key in its URL, it is not even read.
    disguised = disguises(account.secret_key)["encoded twice"]
    r = client.get(f"/dashboard/keys/{disguised}/roll")

    assert r.status_code == 400 and "Location" not in r.headers
    assert messages.API_KEY_IN_URL in r.get_data(as_text=True)
    assert account.secret_key[8:] not in r.get_data(as_text=True)


def test_the_account_named_in_stripe_account_is_masked_before_it_is_cut(account):
    # Cut at 100 characters first, the session token kept too little to be masked.
    wanted = "acct_" + "x" * 80 + account.session
    r = account.get("/v1/customers", headers={"Stripe-Account": wanted})

    assert_error(r, 403, code="account_invalid", message=messages.ACCOUNT_NOT_ACCESSIBLE.format(
        masked=keys.mask(account.secret_key), account="acct_" + "x" * 80 + "sess_" + "*" * 10))
    assert account.session[5:15] not in r.get_data(as_text=True)


@pytest.mark.parametrize("text", [
    "José", "Zoë 😀 Ñandú", "50% off, 100%25 sure: %41%42", "https://x.example/?q=caf%C3%A9",
    "Ünïcödé\u200b", "\ufffd replaced", "reassess_customer_risk_score_now",
    "obsess_over_every_detail_here"])
def test_ordinary_text_is_stored_and_shown_exactly_as_sent(account, text):
    # Escapes, accents and words ending in "sess_" are no disguise and no session token.
    r = account.post("/v1/customers", {"name": text, "description": text,
                                       "metadata[note]": text})
    assert r.status_code == 200, r.get_json()
    got = account.get(f"/v1/customers/{r.get_json()['id']}").get_json()
    assert (got["name"], got["description"], got["metadata"]) == (text, text, {"note": text})


def test_a_session_token_after_a_word_break_is_still_refused(account):
    for before in ("", "token: ", "SESSION=", "'"):
        r = account.post("/v1/customers", {"description": before + account.session})
        assert_error(r, 400, code="parameter_invalid_string", param="description",
                     message=messages.SESSION_IN_VALUE.replace("{param}", "description"))
