"""/sandbox/ledger/verify, /sandbox/bank, and `payground ledger verify|bank`."""

from __future__ import annotations

import os
import re
import secrets

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import text

from payground import messages
from payground.cli import main
from tests.helpers import assert_error

DAY = 86400


def verify(account):
    r = account.client.get("/sandbox/ledger/verify", headers=account.session_auth)
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def charge(account, amount=2000, source="tok_visa"):
    r = account.post("/v1/charges", {"amount": amount, "currency": "usd", "source": source})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def busy(account):
    """Some of everything: charges (pending and available), refunds, payouts, a cancel."""
    paid = charge(account, 10000, "tok_bypassPending")
    pending = charge(account, 3000)
    account.post("/v1/refunds", {"charge": paid["id"], "amount": 1000})
    account.post("/v1/refunds", {"charge": pending["id"], "amount": 500})
    kept = account.post("/v1/payouts", {"amount": 4000, "currency": "usd"}).get_json()
    dropped = account.post("/v1/payouts", {"amount": 1000, "currency": "usd"}).get_json()
    account.post(f"/v1/payouts/{dropped['id']}/cancel")
    return {"charge": paid, "pending_charge": pending, "payout": kept}


def sql(app, statement, **params):
    from payground.extensions import db

    with app.app_context():
        db.session.execute(text(statement), params)
        db.session.commit()


def test_a_new_account_is_balanced(account):
    assert verify(account) == {
        "object": "ledger_verification", "ok": True, "balanced": True, "problems": [],
        "checked": {"journals": 0, "entries": 0, "running_totals": 0,
                    "balance_transactions": 0, "charges": 0, "payouts": 0}}


def test_a_busy_account_stays_balanced_as_time_passes(account):
    busy(account)
    body = verify(account)
    assert (body["ok"], body["problems"]) == (True, [])
    # 2 charges, 2 refunds, 2 payouts, 1 cancel; the pending refund's charge is not settled.
    assert body["checked"] == {"journals": 7, "entries": 16, "running_totals": 5,
                               "balance_transactions": 7, "charges": 2, "payouts": 2}
    account.advance_clock(2 * DAY)
    body = verify(account)
    assert (body["ok"], body["checked"]["journals"]) == (True, 7 + 2 + 1)  # 2 settled, 1 paid


def test_both_modes_are_checked(account):
    account.activate()
    busy(account)
    assert verify(account)["ok"] is True


def test_a_running_total_that_drifted(app, account):
    busy(account)
    sql(app, "UPDATE ledger_balances SET amount = amount + 7 WHERE account_id = :a "
        "AND ledger_account = 'available'", a=account.account_id)
    body = verify(account)
    assert (body["ok"], body["balanced"]) == (False, False)
    assert body["problems"] == [
        "test mode: running total usd/available is 4687, its entries sum to 4680"]


def test_an_unbalanced_journal(app, account):
    made = busy(account)
    sql(app, "INSERT INTO ledger_entries (journal_id, account_id, livemode, ledger_account, "
        "currency, amount) SELECT id, account_id, livemode, 'stripe_fees', 'usd', 5 "
        "FROM ledger_journals WHERE balance_transaction_id = :txn",
        txn=made["charge"]["balance_transaction"])
    journal = _journal_of(app, made["charge"]["balance_transaction"])
    txn = made["charge"]["balance_transaction"]
    assert verify(account)["problems"] == [
        f"test mode: journal {journal} sums to 5 usd, not 0",
        "test mode: running total usd/stripe_fees is 437, its entries sum to 442",
        f"test mode: balance transaction {txn} has fee 320, its journal charges 325"]


def test_a_refund_larger_than_its_charge(app, account):
    made = busy(account)
    sql(app, "UPDATE charges SET amount_captured = 600 WHERE id = :c", c=made["charge"]["id"])
    assert verify(account)["problems"] == [
        f"test mode: charge {made['charge']['id']} has 1000 refunded of 600"]


def test_a_balance_transaction_without_a_journal(app, account):
    made = busy(account)
    txn = made["payout"]["balance_transaction"]
    sql(app, "DELETE FROM ledger_entries WHERE journal_id IN (SELECT id FROM ledger_journals "
        "WHERE balance_transaction_id = :t)", t=txn)
    sql(app, "DELETE FROM ledger_journals WHERE balance_transaction_id = :t", t=txn)
    assert verify(account)["problems"] == [
        "test mode: running total usd/available is 4680, its entries sum to 8680",
        "test mode: running total usd/payouts_in_transit is 4000, its entries sum to 0",
        f"test mode: balance transaction {txn} has 0 journals creating it, not 1"]


def test_a_payout_marked_paid_without_its_journal(app, account):
    made = busy(account)
    sql(app, "UPDATE payouts SET status = 'paid' WHERE id = :p", p=made["payout"]["id"])
    assert verify(account)["problems"] == [
        "test mode: payouts_in_transit is 4000 usd, but the payouts on their way add up to 0",
        "test mode: bank is 0 usd, but the paid payouts add up to 4000"]


def _journal_of(app, txn_id):
    from payground.extensions import db

    with app.app_context():
        return db.session.execute(text(
            "SELECT id FROM ledger_journals WHERE balance_transaction_id = :t"),
            {"t": txn_id}).scalar_one()


def test_sandbox_routes_need_a_session(client):
    for path in ("/sandbox/ledger/verify", "/sandbox/bank"):
        assert_error(client.get(path), 401, message=(
            "You did not provide a session. Sign up (POST /sandbox/signup) or log in "
            "(POST /sandbox/login) and send 'Authorization: Bearer sess_...'."))


def test_bank_in_test_mode(account):
    body = account.client.get("/sandbox/bank", headers=account.session_auth).get_json()
    (bank,) = body["data"]
    assert bank["id"].startswith("ba_")
    assert {k: v for k, v in bank.items() if k != "id"} == {
        "object": "bank_account", "livemode": False, "bank_name": "STRIPE TEST BANK",
        "routing_number": "110000000", "last4": "6789", "country": "US", "currency": "usd",
        "account_holder_name": None, "status": "new",
        "received": [{"currency": "usd", "amount": 0}],
        "in_transit": [{"currency": "usd", "amount": 0}]}


def test_clock_advance_settles_without_a_read(app, account):
    charge(account)
    account.advance_clock(2 * DAY)
    from payground.extensions import db

    with app.app_context():
        rows = dict(db.session.execute(text(
            "SELECT ledger_account, amount FROM ledger_balances WHERE account_id = :a "
            "AND ledger_account IN ('available', 'pending')"), {"a": account.account_id}).all())
    assert rows == {"available": 1912, "pending": 0}


# --- the CLI against a running server -------------------------------------------------------


@pytest.fixture
def server(app_config):
    from payground.testing import Server

    with Server(config=app_config) as running:
        yield running
        running.check_errors()


@pytest.fixture
def cli(tmp_path, server):
    """Sign up on ``server``, save the session where the CLI looks, return (run, auth)."""
    home = tmp_path / "cli-home"
    home.mkdir()
    signup = requests.post(f"{server.url}/sandbox/signup", timeout=30, json={
        "email": f"ledger-{secrets.token_hex(4)}@example.com", "password": "correct horse"}
    ).json()
    (home / "session").write_text(signup["session"] + "\n")
    runner = CliRunner(env={name: None for name in os.environ if name.startswith("PAYGROUND_")})

    def run(*args):
        return runner.invoke(main, ["--home", str(home), *args, "--url", server.url])

    return run, {"Authorization": f"Bearer {signup['keys']['secret']}"}


def test_cli_verify_and_bank(server, cli):
    run, auth = cli
    requests.post(f"{server.url}/v1/charges", headers=auth, timeout=30, data={
        "amount": 10000, "currency": "usd", "source": "tok_bypassPending"})
    requests.post(f"{server.url}/v1/payouts", headers=auth, timeout=30,
                  data={"amount": 2500, "currency": "usd"})
    result = run("ledger", "verify")
    assert (result.exit_code, result.output) == (0, (
        "Ledger balanced. Checked 2 journals, 5 entries, 4 running totals, "
        "2 balance transactions, 1 charges, 1 payouts.\n"))
    result = run("ledger", "bank")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Test mode: STRIPE TEST BANK (routing 110000000, account ending "
                               "6789) ba_")
    assert lines[1:] == ["  received:   $0.00 USD", "  in transit: $25.00 USD"]


def test_cli_verify_fails_on_a_broken_ledger(server, cli):
    run, auth = cli
    charge_id = requests.post(f"{server.url}/v1/charges", headers=auth, timeout=30, data={
        "amount": 2000, "currency": "usd", "source": "tok_bypassPending"}).json()["id"]
    from payground.extensions import db

    with server.app.app_context():
        db.session.execute(text(
            "UPDATE ledger_balances SET amount = amount - 1 WHERE ledger_account = 'stripe_fees' "
            "AND account_id = (SELECT account_id FROM charges WHERE id = :c)"), {"c": charge_id})
        db.session.commit()
    result = run("ledger", "verify")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        ("Ledger NOT balanced (1 problems). Checked 1 journals, 3 entries, 3 running totals, "
         "1 balance transactions, 1 charges, 0 payouts."),
        "  - test mode: running total usd/stripe_fees is 87, its entries sum to 88"]


def test_cli_bank_chooses_a_failing_test_account(server, cli):
    run, auth = cli
    result = run("ledger", "bank", "--use-test-account", "000111111116")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert re.fullmatch(r"Test mode: STRIPE TEST BANK \(routing 110000000, account ending "
                        r"1116\) ba_\w+", lines[0]), lines
    assert lines[1:] == ["  received:   $0.00 USD", "  in transit: $0.00 USD"]
    requests.post(f"{server.url}/v1/charges", headers=auth, timeout=30, data={
        "amount": 10000, "currency": "usd", "source": "tok_bypassPending"})
    requests.post(f"{server.url}/v1/payouts", headers=auth, timeout=30,
                  data={"amount": 2500, "currency": "usd"})
    assert run("clock", "advance", "2d").exit_code == 0
    lines = run("ledger", "bank").output.splitlines()
    assert lines[0].endswith(" - errored: a payout to it failed"), lines
    assert lines[1:] == ["  received:   $0.00 USD", "  in transit: $0.00 USD"]
    refused = run("ledger", "bank", "--use-test-account", "123456789")
    assert refused.exit_code == 1
    assert refused.output == f"Error: {messages.TEST_MODE_LIVE_BANK_ACCOUNT}\n"
