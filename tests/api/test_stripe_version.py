"""``Stripe-Version``: every ``/v1`` answer says which version it was given at, as Stripe's do,
and a value that is no version is Stripe's 400.

The headers are those stripe-node 23.2.0 sends (captured with a logging proxy between the SDK
and ``payground serve``; REVIEW.md): it pins ``2026-11-18.endive``, a newer version than the
stripe-python Payground is tested with, and reads the answer's header back as
``lastResponse.apiVersion``.
"""

import pytest

from payground import messages
from payground.services.events import API_VERSION
from tests.helpers import assert_error

NODE_VERSION = "2026-11-18.endive"  # stripe-node 23.2.0's ApiVersion


def test_the_version_asked_for_is_the_one_answered(account):
    r = account.post("/v1/customers", {"email": "jo@example.com"},
                     headers={"Stripe-Version": NODE_VERSION})

    assert r.status_code == 200, r.get_json()
    assert r.headers["Stripe-Version"] == NODE_VERSION


def test_without_a_version_the_answer_names_paygrounds(account):
    r = account.get("/v1/customers")

    assert r.status_code == 200
    assert r.headers["Stripe-Version"] == API_VERSION


@pytest.mark.parametrize("version", ["2019-02-19", "2026-10-28.endive",
                                     "2025-04-30.basil; checkout_server_update_beta=v1"])
def test_old_versions_and_betas_are_versions(account, version):
    r = account.get("/v1/balance", headers={"Stripe-Version": version})

    assert r.status_code == 200, r.get_json()
    assert r.headers["Stripe-Version"] == version


def test_errors_carry_it_too(account):
    r = account.get("/v1/charges/ch_missing", headers={"Stripe-Version": NODE_VERSION})
    unknown_key = account.get("/v1/charges", key="sk_test_" + "a" * 38,
                              headers={"Stripe-Version": NODE_VERSION})

    assert r.status_code == 404
    assert r.headers["Stripe-Version"] == NODE_VERSION
    assert unknown_key.status_code == 401
    assert unknown_key.headers["Stripe-Version"] == NODE_VERSION


@pytest.mark.parametrize("version", [
    "2019-2-19",                # a missing zero
    "2019-02-30",               # no such day
    "latest",
    "2019-12-03, 2019-12-03",   # the header sent twice, joined
])
def test_a_value_that_is_no_version_is_refused_and_nothing_is_made(account, version):
    r = account.post("/v1/customers", {"email": "jo@example.com"},
                     headers={"Stripe-Version": version, "Idempotency-Key": "k-version"})

    assert_error(r, 400, message=messages.INVALID_API_VERSION.format(version=version))
    assert r.headers["Stripe-Version"] == API_VERSION
    assert account.get("/v1/customers").get_json()["data"] == []
    # Refused before the idempotency key was claimed: the corrected retry runs.
    retried = account.post("/v1/customers", {"email": "jo@example.com"},
                           headers={"Stripe-Version": NODE_VERSION,
                                    "Idempotency-Key": "k-version"})
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried.headers


def test_the_header_sent_twice_is_refused(account):
    r = account.client.get("/v1/balance", headers=[
        *account.auth().items(), ("Stripe-Version", "2019-12-03"),
        ("Stripe-Version", "2019-12-03")])

    assert_error(r, 400, message=messages.INVALID_API_VERSION.format(
        version="2019-12-03, 2019-12-03"))


def test_a_key_pasted_there_is_not_echoed(account):
    r = account.get("/v1/balance", headers={"Stripe-Version": account.secret_key})

    assert r.status_code == 400
    assert account.secret_key not in r.get_data(as_text=True)
    assert r.get_json()["error"]["message"].startswith("Invalid Stripe API version: sk_test_***")


def test_a_long_value_is_shortened_in_the_message(account):
    r = account.get("/v1/balance", headers={"Stripe-Version": "x" * 5000})

    assert_error(r, 400, message=messages.INVALID_API_VERSION.format(version="x" * 57 + "..."))


@pytest.mark.parametrize("version, status", [(NODE_VERSION, 200), ("2019-2-19", 400)])
def test_the_header_is_matched_once_a_request(account, monkeypatch, version, status):
    """``check`` refuses and ``add_header`` echoes: one match serves both."""
    from payground.http import api_version

    matched = []
    pattern = api_version._VERSION

    class Counting:
        def fullmatch(self, text):
            matched.append(text)
            return pattern.fullmatch(text)

    monkeypatch.setattr(api_version, "_VERSION", Counting())
    r = account.get("/v1/balance", headers={"Stripe-Version": version})

    if status == 200:
        assert r.status_code == 200, r.get_json()
    else:
        assert_error(r, 400, message=messages.INVALID_API_VERSION.format(version=version))
    assert r.headers["Stripe-Version"] == (version if status == 200 else API_VERSION)
    assert matched == [version]


def test_requests_sharing_an_app_context_are_each_matched_on_their_own(app, account):
    """Requests made inside a pushed app context share its ``g``: the match is the request's,
    so one request's version neither lets the next one's bad value through nor is echoed on
    an answer that asked for none."""
    with app.app_context():
        asked = account.get("/v1/balance", headers={"Stripe-Version": NODE_VERSION})
        bad = account.get("/v1/balance", headers={"Stripe-Version": "2019-2-19"})
        unasked = account.get("/v1/balance")

    assert (asked.status_code, asked.headers["Stripe-Version"]) == (200, NODE_VERSION)
    assert_error(bad, 400, message=messages.INVALID_API_VERSION.format(version="2019-2-19"))
    assert bad.headers["Stripe-Version"] == API_VERSION
    assert (unasked.status_code, unasked.headers["Stripe-Version"]) == (200, API_VERSION)


def test_the_sdk_reads_it_back(payground_stripe):
    customer = payground_stripe.Customer.create(email="jo@example.com")

    assert customer.last_response.headers["Stripe-Version"] == payground_stripe.api_version


@pytest.mark.parametrize("name, shown", [
    # Masked, then cut at 60 characters as any long value is.
    ("sk_live_" + "a1" * 20, "2020-01-01; sk_live_" + "*" * 36 + "a..."),
    ("rk_test_" + "z9" * 19, "2020-01-01; rk_test_" + "*" * 34 + "z9z..."),
    ("whsec_" + "ab12" * 8, "2020-01-01; whsec_" + "*" * 28 + "ab12=v1"),
])
def test_a_key_shaped_beta_name_is_refused_not_echoed(account, name, shown):
    # A beta's name is a lower-case word, and a key written in lower case is one: it was
    # accepted, and echoed whole in the answer's Stripe-Version header.
    r = account.get("/v1/balance", headers={"Stripe-Version": f"2020-01-01; {name}=v1"})

    assert_error(r, 400, message=messages.INVALID_API_VERSION.format(version=shown))
    assert r.headers["Stripe-Version"] == API_VERSION
    assert name[8:] not in r.get_data(as_text=True) + str(r.headers)
