"""Lesson 5 (from test mode to live mode): the programs run against a real server, in the
order the README runs them, with their keys in the environment (a "development" environment
with the test keys, a "production" one with the live keys under the same names). The tests
check what each program printed against what the server holds afterwards.

That every program is embedded verbatim in the README is checked by ``test_tutorials.py``.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from payground import messages
from payground.core import keys
from tests.tutorial_support import (ANOTHER_ACCOUNT, FULL_KEY, PROGRAM_TIMEOUT, LessonProject,
                                    both_accounts, elsewhere_keys, init_elsewhere, lesson_server,
                                    login_again, masked)
from tests.helpers import assert_error

LESSON = Path(__file__).resolve().parent.parent / "tutorials" / "05-test-to-live"
DAY = 86400


def usd(cents: int) -> str:
    """How the lesson's programs print an amount."""
    return f"{cents / 100:.2f} usd"


def day(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")


def expected_fee(amount: int) -> int:
    """2.9% + 30 cents, rounded half-up (README, "Money")."""
    return int((Decimal(amount) * Decimal("0.029")).quantize(Decimal(1), ROUND_HALF_UP)) + 30


class StripeResponse:
    """A ``requests`` response, seen the way ``assert_error`` reads a Flask one."""

    def __init__(self, response: requests.Response) -> None:
        self.status_code = response.status_code
        self.get_json = response.json


# --- a live server and a learner's project --------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory, database_url):
    yield from lesson_server(tmp_path_factory, database_url, "lesson5_home")


@pytest.fixture(autouse=True)
def _server_errors(server):
    yield
    server.check_errors()


class Project(LessonProject):
    """A learner's folder after `payground init`: `.env` with test keys, a saved session."""

    def keys(self, mode: str) -> dict[str, str]:
        """The environment of one deployment: the same names, the keys of ``mode``."""
        env = self.dotenv()
        prefix = "STRIPE_LIVE_" if mode == "live" else "STRIPE_"
        return {"STRIPE_SECRET_KEY": env[f"{prefix}SECRET_KEY"],
                "STRIPE_PUBLISHABLE_KEY": env[f"{prefix}PUBLISHABLE_KEY"],
                "STRIPE_API_BASE": env["STRIPE_API_BASE"]}

    def run(self, name: str, *args: str, mode: str = "test", status: int = 0,
            env: dict | None = None) -> subprocess.CompletedProcess:
        """Run a lesson program here, as the README does, in the environment of ``mode``."""
        return self.run_args([sys.executable, str(LESSON / name), *args],
                             {**self.keys(mode), **(env or {})}, status)

    def api(self, mode: str, method: str, path: str, **kwargs) -> requests.Response:
        key = self.keys(mode)["STRIPE_SECRET_KEY"]
        return requests.request(method, self.server.url_for(path), timeout=30,
                                headers={"Authorization": f"Bearer {key}"}, **kwargs)

    def get(self, mode: str, path: str) -> dict:
        response = self.api(mode, "GET", path)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def story(server, tmp_path_factory) -> SimpleNamespace:
    """The README from start to end, in one project; each step's result, for the tests."""
    project = Project(server, tmp_path_factory.mktemp("lesson5"))
    s = SimpleNamespace(project=project)
    # 1. Development (test keys): a customer's card becomes a token, the shop charges it.
    s.test_card = project.run("customer.py", "4242424242424242")
    s.test_shop = project.run("shop.py", s.test_card.stdout.strip())
    s.real_card_in_test = project.run("customer.py", status=1)
    # 2. Activation, twice: the second run keeps the keys the first one saved.
    s.activated = project.run("activate.py")
    s.activated_again = project.run("activate.py")
    # 3. Production (live keys, same variable names): test cards are refused, real ones work.
    s.live_test_token = project.run("shop.py", "tok_visa", mode="live", status=1)
    s.live_test_number = project.run("customer.py", "4242424242424242", mode="live", status=1)
    s.live_card = project.run("customer.py", mode="live")
    s.live_shop = project.run("shop.py", s.live_card.stdout.strip(), "4500", mode="live")
    # 4. Two worlds: the test charge, looked up with each key.
    s.test_charge_id = re.search(r"charge (ch_\w+)", s.test_shop.stdout)[1]
    s.find_live = project.run("find_charge.py", s.test_charge_id, mode="live", status=1)
    s.find_test = project.run("find_charge.py", s.test_charge_id)
    # 5. The money: paid out in production, then in development.
    s.live_payout = project.run("payout.py", mode="live")
    s.test_payout = project.run("payout.py")
    return s


def lines(result: subprocess.CompletedProcess) -> list[str]:
    return result.stdout.splitlines()


def check_shop_output(project: Project, mode: str, result, amount: int) -> dict:
    """The shop's four lines against the charge and balance transaction on the server."""
    mode_line, charge_line, fee_line, txn_line = lines(result)
    key = project.keys(mode)["STRIPE_SECRET_KEY"]
    assert mode_line == f"mode: {mode} ({masked(key)})"
    charge_id = re.fullmatch(rf"charge (ch_\w+) succeeded: {re.escape(usd(amount))}",
                             charge_line)[1]
    charge = project.get(mode, f"/v1/charges/{charge_id}")
    txn = project.get(mode, f"/v1/balance_transactions/{charge['balance_transaction']}")
    fee = expected_fee(amount)
    assert (charge["livemode"], charge["amount"], charge["status"]) == (
        mode == "live", amount, "succeeded")
    assert (txn["amount"], txn["fee"], txn["net"], txn["source"]) == (
        amount, fee, amount - fee, charge_id)
    assert txn["available_on"] == txn["created"] + 2 * DAY
    assert fee_line == f"fee {usd(fee)}, net {usd(amount - fee)}"
    assert txn_line == f"{txn['id']}: pending, available on {day(txn['available_on'])}"
    return charge


# --- development: test keys -----------------------------------------------------------------


def test_customer_tokenises_a_test_card_with_the_publishable_key(story):
    token_id = story.test_card.stdout.strip()
    assert story.test_card.stderr == "Visa ending 4242, test mode\n"
    token = story.project.get("test", f"/v1/tokens/{token_id}")
    assert (token["livemode"], token["card"]["last4"], token["used"]) == (False, "4242", True)


def test_shop_charges_in_test_mode_and_shows_fee_and_net(story):
    charge = check_shop_output(story.project, "test", story.test_shop, 2000)
    assert charge["source"]["last4"] == "4242"
    assert charge["description"] == "Order #1001"


def test_a_real_card_number_is_refused_in_test_mode(story):
    assert story.real_card_in_test.stdout == ""
    assert story.real_card_in_test.stderr == (
        f"refused: card_declined / test_mode_live_card: {messages.TEST_MODE_LIVE_CARD}\n")


# --- activation -----------------------------------------------------------------------------


def test_activate_turns_on_live_mode_and_saves_the_live_keys_in_env(story):
    project = story.project
    env = project.dotenv()
    live_secret = env["STRIPE_LIVE_SECRET_KEY"]
    assert live_secret.startswith("sk_live_")
    assert env["STRIPE_LIVE_PUBLISHABLE_KEY"].startswith("pk_live_")
    assert lines(story.activated) == [
        f"live mode on for Ada's Bakery ({project.account_id})",
        "payouts go to routing 021000021, account ending 4321",
        f"STRIPE_LIVE_SECRET_KEY={masked(live_secret)} and STRIPE_LIVE_PUBLISHABLE_KEY "
        "written to .env",
    ]
    account = project.dashboard("GET", "/sandbox/account")
    assert (account["live_enabled"], account["business_name"], account["country"],
            account["bank_account"]) == (True, "Ada's Bakery", "US",
                                         {"routing_number": "021000021", "last4": "4321"})
    assert project.get("live", "/v1/balance")["livemode"] is True
    # .env stays private, the test keys untouched beside the live ones.
    assert (project.path / ".env").stat().st_mode & 0o777 == 0o600
    assert env["STRIPE_SECRET_KEY"].startswith("sk_test_")


def test_activating_again_keeps_the_saved_live_key(story):
    live_secret = story.project.dotenv()["STRIPE_LIVE_SECRET_KEY"]
    assert lines(story.activated_again) == [
        f"live mode is already on: keeping STRIPE_LIVE_SECRET_KEY={masked(live_secret)}"]
    live_keys = [k for k in story.project.dashboard("GET", "/sandbox/keys")["data"]
                 if k["livemode"] and k["type"] == "secret"]
    assert [k["redacted"] for k in live_keys] == [masked(live_secret)]  # no second key made


def test_activate_without_the_live_key_in_env_says_how_to_get_one(server, tmp_path):
    project = Project(server, tmp_path)
    project.dashboard("POST", "/sandbox/account/activate", json={})  # keys shown, not kept
    before = (project.path / ".env").read_text()
    result = project.run("activate.py", status=1)
    assert result.stdout == ""
    assert result.stderr == ("live mode is already on, and its secret key can't be shown "
                             "again: `payground activate` writes live keys of this folder's "
                             "own to .env\n")
    assert (project.path / ".env").read_text() == before

    # What it says to do works: this folder gets live keys, which activate.py then keeps.
    project.run_args([sys.executable, "-m", "payground", "activate"])
    live_secret = project.dotenv()["STRIPE_LIVE_SECRET_KEY"]
    assert lines(project.run("activate.py")) == [
        f"live mode is already on: keeping STRIPE_LIVE_SECRET_KEY={masked(live_secret)}"]
    assert project.get("live", "/v1/balance")["livemode"] is True


def test_activate_from_a_folder_without_env_activates_nothing(server, tmp_path):
    project = Project(server, tmp_path)
    elsewhere = tmp_path / "elsewhere"  # the keys loaded into the shell, then a `cd`
    elsewhere.mkdir()
    result = subprocess.run([sys.executable, str(LESSON / "activate.py")], cwd=elsewhere,
                            capture_output=True, text=True, timeout=PROGRAM_TIMEOUT,
                            env={**project.env, **project.keys("test")})
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "no .env here: run `payground init` in this folder first\n"
    assert not (elsewhere / ".env").exists()  # no live key in a file Git does not ignore
    assert project.dashboard("GET", "/sandbox/account")["live_enabled"] is False


def test_activate_with_another_account_s_session_activates_neither(server, tmp_path):
    """It activated the account that ran `payground init` last, elsewhere, and wrote that
    account's live keys to this .env."""
    project = Project(server, tmp_path)
    other = init_elsewhere(project, tmp_path / "elsewhere")
    before = project.dotenv(), both_accounts(project, other)
    assert [state["account"]["live_enabled"] for state in before[1]] == [False, False]

    result = project.run("activate.py", status=1)

    assert (result.stdout, result.stderr) == ("", ANOTHER_ACCOUNT)
    assert (project.dotenv(), both_accounts(project, other)) == before
    # What it says to do works: this folder's account is activated, its live keys in .env.
    login_again(project)
    project.run("activate.py")
    assert project.get("live", "/v1/balance")["livemode"] is True


# Keys loaded into the shell in another folder, then a `cd` here (lessons 5 and 7 read the
# environment only): said as such, not blamed on the saved session.
NOT_LOADED_HERE = ("the keys in your environment are not this folder's .env's (loaded in "
                   "another folder?): load .env again (set -a; . ./.env; set +a), and in the "
                   "production terminal export the live ones again\n")


def test_another_folders_keys_in_the_environment_change_nothing(server, tmp_path):
    """The session this folder's, the shell still holding another folder's (another
    account's) keys: it said the saved session was another account's, and the `payground
    login` it advised changed nothing; activate.py would have written that account's live
    keys to this .env had the session been that account's."""
    project = Project(server, tmp_path)
    check_shop_output(project, "test", project.run("shop.py", "tok_visa"), 2000)
    other = init_elsewhere(project, tmp_path / "elsewhere")
    theirs = elsewhere_keys(tmp_path / "elsewhere")
    login_again(project)  # the saved session is this folder's account's again
    before = project.dotenv(), both_accounts(project, other)

    for program in ("activate.py", "payout.py"):
        result = project.run(program, status=1, env=theirs)
        assert (result.stdout, result.stderr) == ("", NOT_LOADED_HERE), program

    assert (project.dotenv(), both_accounts(project, other)) == before
    # What it says to do works: with this .env loaded again, this account is activated.
    project.run("activate.py")
    assert project.get("live", "/v1/balance")["livemode"] is True


LOAD = "set -a; . ./.env; set +a"  # the README's line, in a real shell


def in_shell(project: Project, script: str, status: int = 0) -> subprocess.CompletedProcess:
    """``script`` run by bash in the project's folder, from a terminal holding no STRIPE_
    variable yet (the README's lines load them); ``python X.py`` is this suite's Python
    running the lesson's program."""
    script = re.sub(r"\bpython (\w+\.py)", lambda m: f"{sys.executable} {LESSON / m[1]}",
                    script)
    result = subprocess.run(["bash", "-c", script],
                            cwd=project.path, env=project.env, capture_output=True, text=True,
                            timeout=PROGRAM_TIMEOUT)
    assert result.returncode == status, result.stdout + result.stderr
    return result


def test_the_readmes_terminals_step_by_step_pass_the_check(server, tmp_path):
    """The development terminal (.env loaded), then the production one (.env loaded, the
    README's export line): this .env's keys either way, test or live, so the programs go on;
    in a shell that loaded another folder's .env first too, once this one is loaded."""
    project = Project(server, tmp_path)
    other = tmp_path / "elsewhere"
    init_elsewhere(project, other)
    login_again(project)
    cd_here = f"cd {shlex.quote(str(other))} && {LOAD} && cd {shlex.quote(str(project.path))} && "
    activated = in_shell(project, f"{cd_here}{LOAD}; python activate.py")
    assert activated.stdout.startswith("live mode on for Ada's Bakery")
    live_secret = project.dotenv()["STRIPE_LIVE_SECRET_KEY"]
    kept = f"live mode is already on: keeping STRIPE_LIVE_SECRET_KEY={masked(live_secret)}\n"
    production = f"{LOAD}; {production_export_line()}; "
    for script in (f"{LOAD}; python activate.py", f"{production}python activate.py",
                   f"{cd_here}{production}python activate.py"):
        assert in_shell(project, script).stdout == kept, script
    # Only the live keys, exported by hand in a new terminal (as a deployment would have them).
    env = project.dotenv()
    by_hand = (f"export STRIPE_API_BASE={env['STRIPE_API_BASE']} "
               f"STRIPE_SECRET_KEY={env['STRIPE_LIVE_SECRET_KEY']} "
               f"STRIPE_PUBLISHABLE_KEY={env['STRIPE_LIVE_PUBLISHABLE_KEY']}; ")
    assert in_shell(project, f"{by_hand}python activate.py").stdout == kept
    # Skipping the load after the `cd`, in either terminal: said, nothing changed.
    before = project.dotenv()
    for script in (f"{cd_here}python activate.py", f"{cd_here}python payout.py"):
        result = in_shell(project, script, status=1)
        assert (result.stdout, result.stderr) == ("", NOT_LOADED_HERE), script
    assert project.dotenv() == before


def test_payground_activate_then_the_production_terminal(server, tmp_path):
    """Activated elsewhere first (lesson 1, the dashboard): `payground activate` writes this
    folder's live keys, and the README's production terminal then passes the check."""
    project = Project(server, tmp_path)
    project.dashboard("POST", "/sandbox/account/activate", json={})
    project.run_args([sys.executable, "-m", "payground", "activate"])
    live_secret = project.dotenv()["STRIPE_LIVE_SECRET_KEY"]
    result = in_shell(project, f"{LOAD}; {production_export_line()}; python activate.py")
    assert result.stdout == (f"live mode is already on: keeping STRIPE_LIVE_SECRET_KEY="
                             f"{masked(live_secret)}\n")


@pytest.mark.parametrize("spelling", [
    'export {name}="{value}"  # written by payground',
    "{name}='{value}'",
    "{name}=pk_test_someoneElsesOldKey1234\n{name}={value}",  # the last one wins, as sourced
])
def test_the_check_reads_env_as_the_shell_does(server, tmp_path, spelling):
    """.env as a learner may have edited it: python-dotenv and the shell read the same keys."""
    project = Project(server, tmp_path)
    path = project.path / ".env"
    lines_ = path.read_text().splitlines()
    for name in ("STRIPE_PUBLISHABLE_KEY",):
        [i] = [n for n, line in enumerate(lines_) if line.startswith(f"{name}=")]
        lines_[i] = spelling.format(name=name, value=lines_[i].partition("=")[2])
    path.write_text("\n".join(lines_) + "\n")
    result = in_shell(project, f"{LOAD}; python activate.py")
    assert result.stdout.startswith("live mode on for Ada's Bakery"), result.stderr


def test_a_env_without_a_publishable_key_cannot_tell_and_goes_on(server, tmp_path):
    """No STRIPE_PUBLISHABLE_KEY in .env (deleted by hand), the shell still holding the
    account's: the check can't tell and stops nothing (the session's check still runs)."""
    project = Project(server, tmp_path)
    env = project.keys("test")
    path = project.path / ".env"
    path.write_text("".join(line for line in path.read_text().splitlines(keepends=True)
                            if not line.startswith("STRIPE_PUBLISHABLE_KEY=")))
    result = project.run_args([sys.executable, str(LESSON / "activate.py")], env)
    assert result.stdout.startswith("live mode on for Ada's Bakery")


# --- production: live keys ------------------------------------------------------------------


def test_a_test_token_is_declined_in_live_mode_and_the_failure_recorded(story):
    project = story.project
    mode_line, declined, failed = lines(story.live_test_token)
    assert mode_line == f"mode: live ({masked(project.keys('live')['STRIPE_SECRET_KEY'])})"
    assert declined == (f"declined: card_declined / live_mode_test_card: "
                        f"{messages.LIVE_MODE_TEST_CARD}")
    charge_id = re.fullmatch(r"failed charge (ch_\w+) is on record", failed)[1]
    charge = project.get("live", f"/v1/charges/{charge_id}")
    assert (charge["status"], charge["livemode"], charge["failure_code"],
            charge["outcome"]["reason"], charge["balance_transaction"]) == (
        "failed", True, "card_declined", "live_mode_test_card", None)


def test_a_test_card_number_is_refused_in_live_mode(story):
    assert story.live_test_number.stdout == ""
    assert story.live_test_number.stderr == (
        f"refused: card_declined / live_mode_test_card: {messages.LIVE_MODE_TEST_CARD}\n")


def test_the_same_shop_code_charges_a_real_looking_card_with_the_live_key(story):
    brand, last4 = re.fullmatch(r"(Visa) ending (\d{4}), live mode\n",
                                story.live_card.stderr).groups()
    token = story.project.get("live", f"/v1/tokens/{story.live_card.stdout.strip()}")
    assert (token["livemode"], token["card"]["brand"], token["card"]["last4"]) == (
        True, brand, last4)
    charge = check_shop_output(story.project, "live", story.live_shop, 4500)
    assert charge["source"]["last4"] == last4
    assert expected_fee(4500) == 161  # 130.5 cents rounds half-up, as the README says


def test_test_and_live_data_stay_apart(story):
    charge_id = story.test_charge_id
    message = messages.NO_SUCH_OTHER_MODE.format(noun="charge", id=charge_id, other="test",
                                                 mode="live")
    assert story.find_live.stdout == ""
    assert story.find_live.stderr == f"404 resource_missing: {message}\n"
    assert lines(story.find_test) == [f"{charge_id}: succeeded, 20.00 usd, test mode"]
    response = story.project.api("live", "GET", f"/v1/charges/{charge_id}")
    assert_error(StripeResponse(response), 404, code="resource_missing", param="id",
                 message=message)


# --- the money: settlement, payouts, the bank, the ledger -----------------------------------


def payout_of(project: Project, mode: str, result) -> dict:
    payout_id = re.search(r"payout (po_\w+)", result.stdout)[1]
    return project.get(mode, f"/v1/payouts/{payout_id}")


def bank(project: Project, livemode: bool) -> dict:
    data = project.dashboard("GET", "/sandbox/bank")["data"]
    return next(b for b in data if b["livemode"] == livemode)


def test_live_money_settles_and_is_paid_out_to_the_bank_given_at_activation(story):
    project = story.project
    live_net = 4500 - expected_fee(4500)
    payout = payout_of(project, "live", story.live_payout)
    assert lines(story.live_payout)[:-1] == [
        f"balance: available 0.00 usd, pending {usd(live_net)}",
        f"2 days later: available {usd(live_net)}, pending 0.00 usd",
        f"payout {payout['id']} of {usd(live_net)}: pending, arrives {day(payout['arrival_date'])}",
        "next day: in_transit",
        "next day: paid",
        f"PAYGROUND SIMULATED BANK, account ending 4321: {usd(live_net)} received",
    ]
    assert re.fullmatch(r"ledger balanced: \d+ journals, \d+ entries checked",
                        lines(story.live_payout)[-1])
    assert (payout["status"], payout["amount"], payout["livemode"]) == ("paid", live_net, True)
    assert payout["arrival_date"] == payout["created"] + 2 * DAY
    live_bank = bank(project, livemode=True)
    assert (payout["destination"], live_bank["last4"], live_bank["received"]) == (
        live_bank["id"], "4321", [{"currency": "usd", "amount": live_net}])
    balance = project.get("live", "/v1/balance")
    assert (balance["available"][0]["amount"], balance["pending"][0]["amount"]) == (0, 0)


def test_test_money_goes_to_the_test_bank_and_the_ledger_balances(story):
    project = story.project
    test_net = 2000 - expected_fee(2000)
    payout = payout_of(project, "test", story.test_payout)
    # The live run moved the account's clock 4 days: the test money was available already.
    assert lines(story.test_payout)[:-1] == [
        f"balance: available {usd(test_net)}, pending 0.00 usd",
        f"payout {payout['id']} of {usd(test_net)}: pending, arrives {day(payout['arrival_date'])}",
        "next day: in_transit",
        "next day: paid",
        f"STRIPE TEST BANK, account ending 6789: {usd(test_net)} received",
    ]
    assert (payout["status"], payout["amount"], payout["livemode"]) == ("paid", test_net, False)
    assert bank(project, livemode=False)["received"] == [{"currency": "usd", "amount": test_net}]
    assert bank(project, livemode=True)["received"] == [
        {"currency": "usd", "amount": 4500 - expected_fee(4500)}]  # each mode its own money
    assert project.dashboard("GET", "/sandbox/clock")["offset"] == 6 * DAY


def test_payout_ends_with_the_servers_ledger_verdict(story):
    # Nothing changed the account since the last run: the server's verdict is still the same.
    report = story.project.dashboard("GET", "/sandbox/ledger/verify")
    assert (report["ok"], report["balanced"], report["problems"]) == (True, True, [])
    checked = report["checked"]
    assert lines(story.test_payout)[-1] == (
        f"ledger balanced: {checked['journals']} journals, {checked['entries']} entries checked")
    assert checked["payouts"] == 2 and checked["charges"] == 3  # 3 charges, one failed


def test_a_payout_the_bank_sends_back(server, tmp_path):
    """The README's "When the bank sends a payout back", in a project of its own."""
    project = Project(server, tmp_path)
    chose = project.run_args([sys.executable, "-m", "payground", "ledger", "bank",
                              "--use-test-account", "000111111116"], project.keys("test"))
    bank_id = re.fullmatch(r"Test mode: STRIPE TEST BANK \(routing 110000000, account ending "
                           r"1116\) (ba_\w+)", lines(chose)[0])[1]
    assert lines(chose)[1:] == ["  received:   $0.00 USD", "  in transit: $0.00 USD"]
    check_shop_output(project, "test", project.run("shop.py", "tok_visa"), 2000)
    result = project.run("payout.py")
    net = 2000 - expected_fee(2000)
    payout = payout_of(project, "test", result)
    report = project.dashboard("GET", "/sandbox/ledger/verify")
    assert (report["ok"], report["checked"]["journals"], report["checked"]["entries"]) == (
        True, 4, 9)  # the charge, its settlement, the payout, and the money coming back
    assert lines(result) == [
        f"balance: available 0.00 usd, pending {usd(net)}",
        f"2 days later: available {usd(net)}, pending 0.00 usd",
        f"payout {payout['id']} of {usd(net)}: pending, arrives {day(payout['arrival_date'])}",
        "next day: in_transit",
        "next day: failed",
        "no_account: The bank account details on file are probably incorrect. No bank account "
        "could be located with those details.",
        f"sent back: available {usd(net)}, pending 0.00 usd",
        "STRIPE TEST BANK, account ending 1116: 0.00 usd received",
        "ledger balanced: 4 journals, 9 entries checked",
    ]
    assert (payout["status"], payout["failure_code"], payout["destination"]) == (
        "failed", "no_account", bank_id)
    back = project.get("test", f"/v1/balance_transactions/{payout['failure_balance_transaction']}")
    assert (back["type"], back["amount"], back["source"]) == ("payout_failure", net, payout["id"])
    failed = project.get("test", "/v1/events?type=payout.failed")["data"]
    assert [e["data"]["object"]["id"] for e in failed] == [payout["id"]]


def test_payout_with_nothing_available_moves_neither_money_nor_clock(server, tmp_path):
    project = Project(server, tmp_path)
    result = project.run("payout.py", status=1)
    assert lines(result) == ["balance: available 0.00 usd, pending 0.00 usd"]
    assert result.stderr == ("nothing available to pay out: take a payment first "
                             "(python shop.py ...)\n")
    assert project.get("test", "/v1/payouts")["data"] == []
    assert project.dashboard("GET", "/sandbox/clock")["offset"] == 0


def test_payout_with_another_account_s_session_moves_neither_clock_nor_money(server, tmp_path):
    """It moved the other account's clock two days, then found this account's payment still
    pending: "nothing available to pay out"."""
    project = Project(server, tmp_path)
    check_shop_output(project, "test", project.run("shop.py", "tok_visa"), 2000)
    other = init_elsewhere(project, tmp_path / "elsewhere")
    before = both_accounts(project, other)

    result = project.run("payout.py", status=1)

    assert (result.stdout, result.stderr) == ("", ANOTHER_ACCOUNT)
    assert both_accounts(project, other) == before
    assert project.get("test", "/v1/payouts")["data"] == []


# --- keys -----------------------------------------------------------------------------------


def test_shop_refuses_a_publishable_key_without_showing_it(story):
    publishable = story.project.keys("test")["STRIPE_PUBLISHABLE_KEY"]
    result = story.project.run("shop.py", "tok_visa", status=1,
                               env={"STRIPE_SECRET_KEY": publishable})
    assert result.stdout == ""
    assert result.stderr == ("STRIPE_SECRET_KEY is not set to a secret key "
                             "(sk_test_... or sk_live_...)\n")


def test_the_shop_with_a_revoked_key_says_why(server, tmp_path):
    project = Project(server, tmp_path)
    key = project.keys("test")["STRIPE_SECRET_KEY"]
    [key_id] = [k["id"] for k in project.dashboard("GET", "/sandbox/keys")["data"]
                if k["redacted"] == masked(key)]
    project.dashboard("POST", f"/sandbox/keys/{key_id}/revoke")
    expired = messages.EXPIRED_API_KEY.format(masked=keys.mask(key))
    shop = project.run("shop.py", "tok_visa", status=1)
    assert (shop.stdout, shop.stderr) == (f"mode: test ({masked(key)})\n", f"401 {expired}\n")
    payout = project.run("payout.py", status=1)
    assert (payout.stdout, payout.stderr) == ("", f"401 {expired}\n")


def production_export_line() -> str:
    """The README's line that makes a terminal "production": the live keys, the same names."""
    [line] = [line.strip().removeprefix("$ ")
              for line in (LESSON / "README.md").read_text().splitlines()
              if line.strip().startswith("$ export STRIPE_SECRET_KEY=")]
    return line


@pytest.mark.parametrize("shell", ["bash", "sh"])
def test_the_production_terminal_gets_the_live_keys_or_says_to_activate(story, shell):
    env = story.project.dotenv()  # the shell, after `set -a; . ./.env; set +a`
    show = f'{production_export_line()}; echo "$STRIPE_SECRET_KEY $STRIPE_PUBLISHABLE_KEY"'

    live = subprocess.run([shell, "-c", show], env=env, capture_output=True, text=True,
                          timeout=PROGRAM_TIMEOUT)
    assert live.returncode == 0, live.stderr
    assert live.stdout == (f"{env['STRIPE_LIVE_SECRET_KEY']} "
                           f"{env['STRIPE_LIVE_PUBLISHABLE_KEY']}\n")

    # Before activation .env has no live keys: the line stops, saying what to do, rather than
    # leaving the shop an empty key and a misleading "load .env first".
    before = {k: v for k, v in env.items() if not k.startswith("STRIPE_LIVE_")}
    refused = subprocess.run([shell, "-c", show], env=before, capture_output=True, text=True,
                             timeout=PROGRAM_TIMEOUT)
    assert refused.returncode != 0 and refused.stdout == ""
    assert refused.stderr.rstrip().endswith(
        "STRIPE_LIVE_SECRET_KEY: is not set: run python activate.py, then load .env")


def test_the_shop_takes_the_amount_in_cents_only(story):
    result = story.project.run("shop.py", "tok_visa", "45.00", status=1)
    assert (result.stdout, result.stderr) == ("", "usage: python shop.py TOKEN [AMOUNT_IN_CENTS]\n")


def test_no_program_ever_prints_a_secret_key(story):
    printed = "".join(r.stdout + r.stderr for r in vars(story).values()
                      if isinstance(r, subprocess.CompletedProcess))
    assert not FULL_KEY.search(printed)
