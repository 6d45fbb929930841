"""An account's email address is one whatever its spelling: sign-up, log-in and the
dashboard all know it by its normal form (``core.emails``: NFKC, casefolded)."""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa

from payground.core.emails import normalize_email
from tests.dashboard.conftest import Dashboard
from tests.helpers import assert_error

PASSWORD = "correct horse battery"
TAKEN = "An account with this email address already exists."
SPELLINGS = [
    # (signed up as, the same address typed otherwise, as the account shows it); {d} is a
    # domain of this test's own (PostgreSQL runs share one database).
    ("ada@{d}", "ADA@{D}", "ada@{d}"),
    ("ada@{d}", "ａｄａ@{d}", "ada@{d}"),  # fullwidth letters
    ("{wide}", "ada@{d}", "ada@{d}"),  # fullwidth all through, @ and dots too
    ("jose\u0301@{d}", "JOSÉ@{d}", "jos\u00e9@{d}"),  # e and a combining mark: é
    ("straße@{d}", "STRASSE@{D}", "strasse@{d}"),
]


def wide(text: str) -> str:
    """``text`` in fullwidth forms (``a`` -> ``ａ``, ``@`` -> ``＠``)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@pytest.fixture
def domain() -> str:
    return f"t{secrets.token_hex(4)}.example.com"


def signup(client, email, password=PASSWORD):
    return client.post("/sandbox/signup", json={"email": email, "password": password})


def login(client, email, password=PASSWORD):
    return client.post("/sandbox/login", json={"email": email, "password": password})


@pytest.mark.parametrize("first, again, shown", SPELLINGS)
def test_one_address_is_one_account_however_it_is_spelled(client, domain, first, again,
                                                          shown):
    names = {"d": domain, "D": domain.upper(), "wide": wide(f"ada@{domain}")}
    first, again, shown = (text.format(**names) for text in (first, again, shown))
    r = signup(client, first)
    assert (r.status_code, r.get_json()["account"]["email"]) == (201, shown)
    account_id = r.get_json()["account"]["id"]
    assert_error(signup(client, again), 400, code="email_taken", param="email", message=TAKEN)
    r = login(client, again)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["account"]["id"] == account_id


def test_the_dashboard_knows_the_address_the_same_way(app, client, domain):
    signup(client, f"grace@{domain}")
    browser = Dashboard(app.test_client())
    r = browser.post("/dashboard/login", {"email": f"ＧＲＡＣＥ@{domain}", "password": PASSWORD})
    assert r.status_code == 303, r.get_data(as_text=True)
    r = Dashboard(app.test_client()).post("/dashboard/signup", {
        "email": f"Grace@{domain.upper()}", "password": PASSWORD, "password_confirm": PASSWORD})
    assert r.status_code == 400 and TAKEN in r.get_data(as_text=True)


def test_a_wrong_password_is_still_wrong(client, domain):
    signup(client, f"pw@{domain}")
    assert_error(login(client, f"ＰＷ@{domain}", "not the password"), 401,
                 message="Incorrect email address or password.")


def test_accounts_from_before_normalisation_keep_working(app, client, domain):
    """Version 8 lower-cased addresses only: ``ａｄａ@...`` and ``ada@...`` could both sign
    up. The upgrade to version 9 (migrations) gave the normal form to the account that had
    it; the other kept its spelling, and each logs in with its own password."""
    from payground.extensions import db
    from payground.migrations import UPGRADES

    ascii_id = signup(client, f"ada@{domain}").get_json()["account"]["id"]
    wide_id = signup(client, f"wide@{domain}", "another password").get_json()["account"]["id"]
    old_id = signup(client, f"old@{domain}", "old password!").get_json()["account"]["id"]
    with app.app_context():
        with db.engine.begin() as conn:  # what version 8 stored (lower-cased, no more)
            for account_id, email in ((wide_id, f"ａｄａ@{domain}"),
                                      (old_id, f"straße@{domain}")):
                conn.execute(sa.text("UPDATE accounts SET email = :e WHERE id = :id"),
                             {"e": email, "id": account_id})
            UPGRADES[9](conn)
            stored = dict(conn.execute(sa.text(
                "SELECT id, email FROM accounts WHERE id IN (:a, :w, :o)"),
                {"a": ascii_id, "w": wide_id, "o": old_id}).all())
    assert stored == {ascii_id: f"ada@{domain}", wide_id: f"ａｄａ@{domain}",
                      old_id: f"strasse@{domain}"}
    assert login(client, f"ada@{domain}").get_json()["account"]["id"] == ascii_id
    r = login(client, f"ａｄａ@{domain}", "another password")
    assert r.get_json()["account"]["id"] == wide_id
    assert login(client, f"ａｄａ@{domain}").get_json()["account"]["id"] == ascii_id
    r = login(client, f"STRAßE@{domain}", "old password!")
    assert r.get_json()["account"]["id"] == old_id
    assert_error(signup(client, f"ＡＤＡ@{domain}"), 400, code="email_taken", param="email",
                 message=TAKEN)


def test_an_address_whose_normal_form_would_not_fit_keeps_its_spelling(app, client, domain):
    """NFKC can lengthen an address (U+FDFA is eighteen letters): one that would no longer
    fit the column (320 characters, PostgreSQL refuses longer) keeps the spelling it signed
    up with, rather than stopping the upgrade, and with it the server's start."""
    from payground.extensions import db
    from payground.migrations import UPGRADES

    long = "\ufdfa" * 18 + f"@{domain}"  # 18 x 18 letters once normalised
    assert len(normalize_email(long)) > 320 >= len(long)
    account_id = signup(client, f"long@{domain}").get_json()["account"]["id"]
    with app.app_context():
        with db.engine.begin() as conn:  # what version 8 stored (lower-cased, no more)
            conn.execute(sa.text("UPDATE accounts SET email = :e WHERE id = :id"),
                         {"e": long, "id": account_id})
            UPGRADES[9](conn)
            stored = conn.execute(sa.text("SELECT email FROM accounts WHERE id = :id"),
                                  {"id": account_id}).scalar()
    assert stored == long
