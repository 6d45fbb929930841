"""Lessons 2-4 (storing, restricted and rolling keys): every program runs against a live
server, and the tests check both what it prints and what the server did and recorded.

The embedding of the Python programs in each README is checked by ``test_tutorials.py``
(it covers every lesson folder); the shell scripts' embedding is checked here.
"""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from payground import messages
from payground.core import keys
from tests.tutorial_support import (ANOTHER_ACCOUNT, FULL_KEY, PASSWORD, PROGRAM_TIMEOUT,
                                    LessonProject, both_accounts, init_elsewhere, lesson_server,
                                    login_again, masked)

TUTORIALS = Path(__file__).resolve().parent.parent / "tutorials"
SHELL_INCLUDE = re.compile(r"<!-- include: (?P<name>[\w./-]+) -->\n```sh\n(?P<code>.*?)```",
                           re.DOTALL)


# --- a live server and lesson projects ------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory, database_url):
    yield from lesson_server(tmp_path_factory, database_url, "lessons_home")


@pytest.fixture(autouse=True)
def _server_errors(server):
    yield
    server.check_errors()


class Project(LessonProject):
    """A learner's project for lessons 02-04."""

    def run(self, lesson: str, name: str, env: dict | None = None,
            status: int = 0) -> subprocess.CompletedProcess:
        """Run one of the lesson's programs in this folder, as the README does."""
        return self.run_args([sys.executable, str(TUTORIALS / lesson / name)], env, status)

    def api(self, key: str, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, self.server.url_for(path), timeout=30,
                                headers={"Authorization": f"Bearer {key}"}, **kwargs)

    def key_object(self, key: str) -> dict:
        listed = self.dashboard("GET", "/sandbox/keys")["data"]
        return next(k for k in listed if k["redacted"] == masked(key))


@pytest.fixture
def project(server, tmp_path) -> Project:
    return Project(server, tmp_path)


def error_of(response: requests.Response) -> dict:
    return response.json()["error"]


# --- lesson 2: storing keys -----------------------------------------------------------------

LESSON_2 = "02-storing-keys"


def test_check_setup_reads_the_key_from_env_and_logs_it_masked(project):
    key = project.dotenv()["STRIPE_SECRET_KEY"]
    result = project.run(LESSON_2, "check_setup.py")
    assert result.stdout.splitlines() == [
        ".env mode 600: only you can read it",
        ".env in .gitignore: yes",
        f"STRIPE_SECRET_KEY={masked(key)} (from .env)",
        f"INFO calling Payground with {masked(key)}",  # logged in full, masked by the filter
        "GET /v1/balance: 200",
    ]
    assert key not in result.stdout + result.stderr
    [entry] = project.dashboard("GET", "/sandbox/requests", params={"limit": 1})["data"]
    assert (entry["method"], entry["path"], entry["status"], entry["key_redacted"]) == (
        "GET", "/v1/balance", 200, masked(key))


def test_check_setup_prefers_the_environment_and_flags_an_exposed_env_file(project):
    other = project.dashboard("POST", "/sandbox/keys", json={"type": "secret"})["secret"]
    (project.path / ".env").chmod(0o644)
    (project.path / ".gitignore").unlink()
    result = project.run(LESSON_2, "check_setup.py", env={"STRIPE_SECRET_KEY": other})
    assert result.stdout.splitlines() == [
        ".env mode 644: OTHER USERS CAN READ IT - run: chmod 600 .env",
        ".env in .gitignore: NO - add it before your next commit",
        f"STRIPE_SECRET_KEY={masked(other)} (from the environment)",
        f"INFO calling Payground with {masked(other)}",
        "GET /v1/balance: 200",
    ]
    [entry] = project.dashboard("GET", "/sandbox/requests", params={"limit": 1})["data"]
    assert entry["key_redacted"] == masked(other)


def test_check_setup_in_a_ci_job_reads_the_key_from_the_ci_secret_alone(project):
    """Lesson 2, "In CI": a CI key of its own, that expires, and a checkout without .env."""
    made = project.run_args([sys.executable, "-m", "payground", "keys", "create", "--name",
                             "ci", "--expires-at", "+30d", "--env-file", "ci.env"])
    ci = (project.path / "ci.env").read_text().split("STRIPE_SECRET_KEY=")[1].strip()
    assert ci not in made.stdout + made.stderr
    assert project.key_object(ci)["expires_at"] is not None
    job = project.path / "ci-job"
    job.mkdir()
    env = {**project.env, "STRIPE_SECRET_KEY": ci, "STRIPE_API_BASE": project.server.url}
    result = subprocess.run([sys.executable, str(TUTORIALS / LESSON_2 / "check_setup.py")],
                            cwd=job, env=env, capture_output=True, text=True,
                            timeout=PROGRAM_TIMEOUT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [  # no .env: no file checks, the key from the job
        f"STRIPE_SECRET_KEY={masked(ci)} (from the environment)",
        f"INFO calling Payground with {masked(ci)}",
        "GET /v1/balance: 200",
    ]
    assert ci not in result.stdout + result.stderr
    [entry] = project.dashboard("GET", "/sandbox/requests", params={"limit": 1})["data"]
    assert (entry["path"], entry["status"], entry["key_redacted"]) == (
        "/v1/balance", 200, masked(ci))


def test_check_setup_refuses_a_publishable_key_without_showing_it(project):
    publishable = project.dotenv()["STRIPE_PUBLISHABLE_KEY"]
    result = project.run(LESSON_2, "check_setup.py", env={"STRIPE_SECRET_KEY": publishable},
                         status=1)
    assert result.stderr.strip() == ("STRIPE_SECRET_KEY does not look like a secret key "
                                     "(pk_...): a publishable key (pk_) or a typo?")
    assert publishable not in result.stdout + result.stderr


def test_check_setup_reads_a_key_with_a_note_after_it(project):
    """A note after the key (``# from payground init``) is a comment, as for python-dotenv."""
    key = project.dotenv()["STRIPE_SECRET_KEY"]
    env_file = project.path / ".env"
    env_file.write_text(env_file.read_text().replace(
        f"STRIPE_SECRET_KEY={key}", f"STRIPE_SECRET_KEY={key} # from payground init"))
    result = project.run(LESSON_2, "check_setup.py")
    assert result.stdout.splitlines()[2:] == [
        f"STRIPE_SECRET_KEY={masked(key)} (from .env)",
        f"INFO calling Payground with {masked(key)}",
        "GET /v1/balance: 200",
    ]


def lesson_2_settings():
    """Lesson 2's settings.py, imported from its folder as its programs import it."""
    spec = importlib.util.spec_from_file_location(
        "lesson_2_settings", TUTORIALS / LESSON_2 / "settings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DOTENV_LINES = {  # NAME: the right of its line, and what python-dotenv reads from it
    "PLAIN": ("sk_test_abc", "sk_test_abc"),
    "NOTE": ("sk_test_abc # from payground init", "sk_test_abc"),
    "NOTE_AFTER_TAB": ("sk_test_abc\t# tab", "sk_test_abc"),
    "HASH_INSIDE": ("abc#def", "abc#def"),
    "HASH_FIRST": ("#abc", "#abc"),
    "ONLY_A_NOTE": (" # nothing here", ""),
    "EMPTY": ("", ""),
    "SPACES": ("  a b  ", "a b"),
    "SINGLE": ("'sk_test_abc'", "sk_test_abc"),
    "DOUBLE": ('"sk_test_abc"', "sk_test_abc"),
    "QUOTED_NOTE": ("'sk_test_abc' # mine", "sk_test_abc"),
    "QUOTED_NOTE_TIGHT": ('"abc"# mine', "abc"),
    "QUOTED_HASH": ('"a # b"', "a # b"),
    "QUOTED_SPACES": ("  ' a b '  ", " a b "),
    "QUOTED_EMPTY": ("''", ""),
    "OTHER_QUOTE_INSIDE": ("\"it's\"", "it's"),
    "UNCLOSED": ("'abc", None),  # skipped, by python-dotenv too
    "TEXT_AFTER_QUOTE": ('"abc"def', None),
}


def test_lesson_2_reads_values_as_python_dotenv_does(tmp_path, monkeypatch):
    from dotenv import dotenv_values

    env_file = tmp_path / ".env"
    env_file.write_text("# Payground API keys\n\n" + "".join(
        f"{'export ' if n % 2 else ''}{name}={raw}\n"
        for n, (name, (raw, _value)) in enumerate(DOTENV_LINES.items())))
    for name in DOTENV_LINES:
        monkeypatch.delenv(name, raising=False)
    expected = {name: value for name, (_raw, value) in DOTENV_LINES.items()
                if value is not None}
    assert dotenv_values(env_file, interpolate=False) == expected  # the table is dotenv's

    loaded = lesson_2_settings().load_env(env_file)

    assert loaded == set(expected)
    assert {name: os.environ[name] for name in loaded} == expected
    assert not {"UNCLOSED", "TEXT_AFTER_QUOTE"} & set(os.environ)


def test_lesson_4_reads_values_as_python_dotenv_does(tmp_path):
    """Its config source kept a comment after a key (``STRIPE_SECRET_KEY=sk_test_... # new``)
    as part of it, and the app then sent it as the key. Lines python-dotenv skips are left
    out of the file: lesson 4 reads keys, and `payground init` writes none such."""
    import importlib.util

    from dotenv import dotenv_values

    spec = importlib.util.spec_from_file_location("lesson_4_config",
                                                  TUTORIALS / "04-rolling-keys" / "config.py")
    config = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(config)
    lines = {name: line for name, line in DOTENV_LINES.items() if line[1] is not None}
    env_file = tmp_path / ".env"
    env_file.write_text("# Payground API keys\n\n" + "".join(
        f"{'export ' if n % 2 else ''}{name}={raw}\n"
        for n, (name, (raw, _value)) in enumerate(lines.items())))
    expected = {name: value for name, (_raw, value) in lines.items()}

    assert dotenv_values(env_file, interpolate=False) == expected  # the table is dotenv's
    assert config.read_env(env_file) == expected


def test_lesson_2_leaves_a_variable_already_set_as_it_is(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("STRIPE_SECRET_KEY=sk_test_fromfile # note\nDEBUG=1\n")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_fromshell")
    monkeypatch.delenv("DEBUG", raising=False)

    assert lesson_2_settings().load_env(tmp_path / ".env") == {"DEBUG"}
    assert (os.environ["STRIPE_SECRET_KEY"], os.environ["DEBUG"]) == ("sk_test_fromshell", "1")


def test_leak_on_purpose_shows_and_records_only_masked_forms(project):
    result = project.run(LESSON_2, "leak_on_purpose.py")
    first, *lines = result.stdout.splitlines()
    shown = re.fullmatch(r"created (sk_test_\.\.\.[0-9A-Za-z]{4})", first)[1]
    hidden = len(project.dotenv()["STRIPE_SECRET_KEY"]) - 12  # every key has the same length
    error_form = f"{shown[:8]}{'*' * hidden}{shown[-4:]}"
    assert lines == [
        "key in a header: 200",
        f"key in the URL: 400 api_key_in_url: {messages.API_KEY_IN_URL}",
        "key in a description: 400 parameter_invalid_string: "
        + messages.SECRET_IN_VALUE.format(param="description"),
        "revoked key: 401 api_key_expired: "
        + messages.EXPIRED_API_KEY.format(masked=error_form),
        f"request log: GET /v1/customers 200 {shown} -",
        f"request log: GET /v1/customers 400 {shown} api_key_in_url",
        f"request log: POST /v1/customers 400 {shown} parameter_invalid_string",
        f"request log: GET /v1/customers 401 {shown} api_key_expired",
        f"audit: api_key.created {shown}",
        f"audit: api_key.seen_in_url {shown}",
        f"audit: api_key.revoked {shown}",
        f"audit: api_key.revoked_used {shown}",
        "full key in any answer since it was created: no",
    ]
    throwaway = next(k for k in project.dashboard("GET", "/sandbox/keys")["data"]
                     if k["name"] == "lesson 2 throwaway")
    assert (throwaway["redacted"], throwaway["status"]) == (shown, "revoked")
    [seen] = project.dashboard("GET", "/sandbox/audit",
                               params={"type": "api_key.seen_in_url"})["data"]
    assert (seen["key_id"], seen["data"]) == (throwaway["id"],
                                              {"method": "GET", "path": "/v1/customers"})
    # Nothing the server kept holds a whole key: not the log, not the audit trail.
    for path in ("/sandbox/requests", "/sandbox/audit"):
        text = json.dumps(project.dashboard("GET", path, params={"limit": 100}))
        assert not FULL_KEY.search(text), path


def test_leak_on_purpose_with_another_account_s_session_makes_no_key_in_either(project,
                                                                             tmp_path):
    """After `payground init` elsewhere with another email, the throwaway key was made, leaked
    and revoked in that other account: its request log and audit trail, not this folder's."""
    other = init_elsewhere(project, tmp_path / "elsewhere")
    before = both_accounts(project, other)

    result = project.run(LESSON_2, "leak_on_purpose.py", status=1)

    assert (result.stdout, result.stderr) == ("", ANOTHER_ACCOUNT)
    assert both_accounts(project, other) == before
    login_again(project)
    assert project.run(LESSON_2, "leak_on_purpose.py").stdout.startswith("created sk_test_...")


# --- lesson 3: restricted keys --------------------------------------------------------------

LESSON_3 = "03-restricted-keys"


@pytest.fixture(scope="module")
def team(server, tmp_path_factory) -> Project:
    """A lesson 3 project where `make_team_keys.py` and `admin_backend.py` have run."""
    team = Project(server, tmp_path_factory.mktemp("lesson3"))
    team.made = team.run(LESSON_3, "make_team_keys.py").stdout
    team.admin = team.run(LESSON_3, "admin_backend.py").stdout
    return team


def admin_list(team: Project, path: str) -> list[dict]:
    response = team.api(team.dotenv()["STRIPE_SECRET_KEY"], "GET", path, params={"limit": 100})
    assert response.status_code == 200 and not response.json()["has_more"], response.text
    return response.json()["data"]


def missing(team: Project, key: str, permission: str) -> str:
    return messages.MISSING_PERMISSION.format(masked=keys.mask(key), account=team.account_id,
                                              permission=permission)


def key_log(team: Project, key: str, count: int) -> list[tuple[str, str, int]]:
    """The newest ``count`` requests ``key`` made, oldest first: (method, path, status)."""
    page = team.dashboard("GET", "/sandbox/requests", params={
        "key": team.key_object(key)["id"], "limit": count})["data"]
    return [(entry["method"], entry["path"], entry["status"]) for entry in reversed(page)]


def admin_get(team: Project, path: str, **params) -> dict:
    response = team.api(team.dotenv()["STRIPE_SECRET_KEY"], "GET", path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_make_team_keys_writes_restricted_keys_to_env_only(team):
    env = team.dotenv()
    analytics, marketing = env["ANALYTICS_STRIPE_KEY"], env["MARKETING_STRIPE_KEY"]
    assert team.made.splitlines() == [
        f"ANALYTICS_STRIPE_KEY={masked(analytics)}  charge_read, customer_read, event_read",
        f"MARKETING_STRIPE_KEY={masked(marketing)}  balance_read",
    ]
    assert (team.path / ".env").stat().st_mode & 0o777 == 0o600
    expected = {analytics: ("analytics: revenue report",
                            ["charge_read", "customer_read", "event_read"]),
                marketing: ("marketing: sales dashboard", ["balance_read"])}
    for key, (name, permissions) in expected.items():
        assert key.startswith("rk_test_")
        listed = team.key_object(key)
        assert (listed["type"], listed["name"], listed["permissions"], listed["status"]) == (
            "restricted", name, permissions, "active")


def test_make_team_keys_keeps_keys_already_in_env(team):
    before = len(team.dashboard("GET", "/sandbox/keys")["data"])
    result = team.run(LESSON_3, "make_team_keys.py")
    assert result.stdout.splitlines() == ["ANALYTICS_STRIPE_KEY is already in .env: kept",
                                          "MARKETING_STRIPE_KEY is already in .env: kept"]
    assert len(team.dashboard("GET", "/sandbox/keys")["data"]) == before


def test_admin_backend_charges_and_refunds_with_the_secret_key(team):
    customer, email, first, second, refund, of = re.fullmatch(
        r"customer (cus_\w+) (\S+)\ncharges (ch_\w+) 2000 (ch_\w+) 3500\n"
        r"refund (re_\w+) 500 of (ch_\w+)\n", team.admin).groups()
    assert (email, of) == ("ada@example.com", first)
    charges = {charge["id"]: charge for charge in admin_list(team, "/v1/charges")}
    assert (charges[first]["customer"], charges[first]["amount_refunded"]) == (customer, 500)
    assert (charges[second]["amount"], charges[second]["status"]) == (3500, "succeeded")
    assert [r["id"] for r in admin_list(team, "/v1/refunds")] == [refund]


def test_analytics_report_reads_the_raw_data_and_is_refused_a_charge(team):
    """Story 3: the data team's key reads the raw data, raw events included, and no more."""
    analytics = team.dotenv()["ANALYTICS_STRIPE_KEY"]
    result = team.run(LESSON_3, "analytics_report.py")
    charges, customers = admin_list(team, "/v1/charges"), admin_list(team, "/v1/customers")
    events = admin_list(team, "/v1/events")
    gross = sum(c["amount"] for c in charges if c["status"] == "succeeded")
    refunded = sum(c["amount_refunded"] for c in charges)
    assert sorted(e["type"] for e in events) == [  # admin_backend.py's, and nothing else
        "charge.refunded", "charge.succeeded", "charge.succeeded", "customer.created",
        "refund.created"]
    assert result.stdout.splitlines() == [
        f"charges: {len(charges)}, customers: {len(customers)}, events: {len(events)}",
        f"gross {gross}, refunded {refunded}, net {gross - refunded} (usd cents)",
        "403 " + missing(team, analytics, "charge_write"),
    ]
    assert len(charges) == 2  # the refused charge was never made
    assert key_log(team, analytics, 4) == [("GET", "/v1/charges", 200),
                                           ("GET", "/v1/customers", 200),
                                           ("GET", "/v1/events", 200),
                                           ("POST", "/v1/charges", 403)]


def test_marketing_dashboard_shows_totals_and_cannot_read_customers(team):
    marketing = team.dotenv()["MARKETING_STRIPE_KEY"]
    result = team.run(LESSON_3, "marketing_dashboard.py")
    movements = admin_list(team, "/v1/balance_transactions")
    sales = [m for m in movements if m["type"] == "charge"]
    refunds = [m for m in movements if m["type"] == "refund"]
    balance = admin_get(team, "/v1/balance")
    [pending], [available] = balance["pending"], balance["available"]
    assert result.stdout.splitlines() == [
        f"sales: {len(sales)}, gross {sum(m['amount'] for m in sales)}, "
        f"fees {sum(m['fee'] for m in sales)}, refunded {-sum(m['amount'] for m in refunds)}",
        f"balance: pending {pending['amount']}, available {available['amount']} (usd cents)",
        "customers: 403 " + missing(team, marketing, "customer_read"),
    ]
    assert (len(sales), len(refunds)) == (2, 1)  # admin_backend.py's charges and refund
    assert key_log(team, marketing, 3) == [("GET", "/v1/balance", 200),
                                           ("GET", "/v1/balance_transactions", 200),
                                           ("GET", "/v1/customers", 403)]


def test_leaked_marketing_key_reads_totals_but_no_raw_data_and_changes_nothing(team):
    marketing = team.dotenv()["MARKETING_STRIPE_KEY"]
    before = {path: admin_list(team, path) for path in (
        "/v1/charges", "/v1/customers", "/v1/refunds", "/v1/payouts")}
    result = team.run(LESSON_3, "leaked_key.py")
    [sale] = admin_get(team, "/v1/balance_transactions", type="charge", limit=1)["data"]
    [pending] = admin_get(team, "/v1/balance")["pending"]
    assert result.stdout.splitlines() == [
        f"read the balance: allowed, pending {pending['amount']} usd cents",
        f"read a sale: allowed, {sale['amount']} usd, fee {sale['fee']}, from {sale['source']}",
        "open that charge: refused 403, needs rak_charge_read",
        "expand it instead: refused 403, needs rak_charge_read",
        "list the customers: refused 403, needs rak_customer_read",
        "read the events: refused 403, needs rak_event_read",
        "charge a card: refused 403, needs rak_charge_write",
        "refund a charge: refused 403, needs rak_refund_write",
        "change a customer: refused 403, needs rak_customer_write",
        "pay out the balance: refused 403, needs rak_payout_write",
    ]
    # Every refusal was the server's 403, and nothing it was asked to do happened.
    assert key_log(team, marketing, 10) == [
        ("GET", "/v1/balance", 200),
        ("GET", "/v1/balance_transactions", 200),
        ("GET", f"/v1/charges/{sale['source']}", 403),
        ("GET", f"/v1/balance_transactions/{sale['id']}", 403),
        ("GET", "/v1/customers", 403),
        ("GET", "/v1/events", 403),
        ("POST", "/v1/charges", 403),
        ("POST", "/v1/refunds", 403),
        ("POST", "/v1/customers/cus_anything", 403),
        ("POST", "/v1/payouts", 403),
    ]
    assert {path: admin_list(team, path) for path in before} == before
    assert before["/v1/payouts"] == []


def test_leaked_key_before_any_sale_says_what_to_run(project):
    project.run(LESSON_3, "make_team_keys.py")
    result = project.run(LESSON_3, "leaked_key.py", status=1)
    assert (result.stdout, result.stderr) == (
        "", "no sales yet: run `python admin_backend.py` first\n")


def test_a_team_program_with_a_revoked_key_says_why(project):
    project.run(LESSON_3, "make_team_keys.py")
    env = project.dotenv()
    for name in ("ANALYTICS_STRIPE_KEY", "MARKETING_STRIPE_KEY"):
        project.dashboard("POST", f"/sandbox/keys/{project.key_object(env[name])['id']}/revoke")
    for program, name in (("analytics_report.py", "ANALYTICS_STRIPE_KEY"),
                          ("marketing_dashboard.py", "MARKETING_STRIPE_KEY"),
                          ("leaked_key.py", "MARKETING_STRIPE_KEY")):
        expired = messages.EXPIRED_API_KEY.format(masked=keys.mask(env[name]))
        result = project.run(LESSON_3, program, status=1)
        assert (result.stdout, result.stderr) == ("", f"401 {expired}\n"), program


def test_contain_leak_rolls_the_key_and_the_dashboard_keeps_going(project):
    for program in ("make_team_keys.py", "admin_backend.py", "marketing_dashboard.py",
                    "leaked_key.py"):
        project.run(LESSON_3, program)
    leaked = project.dotenv()["MARKETING_STRIPE_KEY"]
    old = project.key_object(leaked)
    log = project.dashboard("GET", "/sandbox/requests",
                            params={"key": old["id"], "limit": 100})["data"]
    refused = [entry for entry in log if entry["status"] == 403]
    assert (len(log), len(refused)) == (3 + 10, 1 + 8)  # marketing_dashboard.py, leaked_key.py
    dashboard_before = project.run(LESSON_3, "marketing_dashboard.py").stdout

    result = project.run(LESSON_3, "contain_leak.py")
    new = project.dotenv()["MARKETING_STRIPE_KEY"]
    expired = messages.EXPIRED_API_KEY.format(masked=keys.mask(leaked))
    assert new != leaked and new.startswith("rk_test_")
    assert result.stdout.splitlines() == [
        f"{masked(leaked)}: {len(log) + 3} in the request log, {len(refused) + 1} of them "
        "refused (403)",  # + the second marketing_dashboard.py
        f"rolled {masked(leaked)} -> {masked(new)}  balance_read",
        f"leaked key: 401 {expired}",
        "new key: 200",
    ]
    assert not FULL_KEY.search(result.stdout + result.stderr)
    assert (project.path / ".env").stat().st_mode & 0o777 == 0o600
    old, rolled = project.key_object(leaked), project.key_object(new)
    assert (old["status"], rolled["status"], rolled["rolled_from"]) == (
        "expired", "active", old["id"])
    assert (rolled["name"], rolled["permissions"]) == (old["name"], old["permissions"])
    # The dashboard goes on with the new key from .env; the leaked key is refused at once.
    dashboard_after = project.run(LESSON_3, "marketing_dashboard.py").stdout
    assert dashboard_after.splitlines()[:2] == dashboard_before.splitlines()[:2]
    stranger = project.run(LESSON_3, "leaked_key.py", env={"MARKETING_STRIPE_KEY": leaked},
                           status=1)
    assert (stranger.stdout, stranger.stderr) == ("", f"401 {expired}\n")
    response = project.api(leaked, "GET", "/v1/balance")
    error = error_of(response)
    assert (response.status_code, error["type"], error["code"], error.get("param"),
            error["message"]) == (401, "invalid_request_error", "api_key_expired", None, expired)


def test_contain_leak_with_a_revoked_key_says_why_and_changes_nothing(project):
    project.run(LESSON_3, "make_team_keys.py")
    key = project.dotenv()["MARKETING_STRIPE_KEY"]
    project.dashboard("POST", f"/sandbox/keys/{project.key_object(key)['id']}/revoke")
    before_env, before_keys = project.dotenv(), project.dashboard("GET", "/sandbox/keys")
    result = project.run(LESSON_3, "contain_leak.py", status=1)
    assert result.stdout.splitlines() == [f"{masked(key)}: 0 in the request log, 0 of them "
                                          "refused (403)"]
    assert result.stderr == f"Only an active key can be rolled; {masked(key)} is revoked.\n"
    assert project.dotenv() == before_env
    assert project.dashboard("GET", "/sandbox/keys") == before_keys


def test_contain_leak_with_a_mistyped_key_says_how_to_fix_it(project):
    project.run(LESSON_3, "make_team_keys.py")
    key = project.dotenv()["MARKETING_STRIPE_KEY"]
    typo = key[:-1] + ("x" if key[-1] != "x" else "y")
    env_file = project.path / ".env"
    env_file.write_text(env_file.read_text().replace(key, typo))
    before_keys = project.dashboard("GET", "/sandbox/keys")
    result = project.run(LESSON_3, "contain_leak.py", status=1)
    assert (result.stdout, result.stderr) == (
        "", f"{masked(typo)} is not a key of the signed-in account: a typo in .env, or another "
            "account's key? Remove its line and run `python make_team_keys.py` again\n")
    assert project.dashboard("GET", "/sandbox/keys") == before_keys


def test_make_team_keys_with_another_account_s_session_makes_no_key_in_either(project,
                                                                             tmp_path):
    """It made the team keys in the account that ran `payground init` last and wrote them to
    this .env: keys of another account, for every team program here."""
    other = init_elsewhere(project, tmp_path / "elsewhere")
    before = project.dotenv(), both_accounts(project, other)

    result = project.run(LESSON_3, "make_team_keys.py", status=1)

    assert (result.stdout, result.stderr) == ("", ANOTHER_ACCOUNT)
    assert (project.dotenv(), both_accounts(project, other)) == before
    # What it says to do works: the keys are then made in this folder's account.
    login_again(project)
    project.run(LESSON_3, "make_team_keys.py")
    marketing = project.key_object(project.dotenv()["MARKETING_STRIPE_KEY"])
    assert (marketing["name"], marketing["status"]) == ("marketing: sales dashboard", "active")


def test_contain_leak_with_another_account_s_session_says_so_not_a_typo(project, tmp_path):
    """It blamed .env ("a typo in .env, or another account's key? Remove its line ..."), whose
    keys are fine: removing the line would have lost the marketing key."""
    project.run(LESSON_3, "make_team_keys.py")
    other = init_elsewhere(project, tmp_path / "elsewhere")
    before = project.dotenv(), both_accounts(project, other)

    result = project.run(LESSON_3, "contain_leak.py", status=1)

    assert (result.stdout, result.stderr) == ("", ANOTHER_ACCOUNT)
    assert (project.dotenv(), both_accounts(project, other)) == before


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_with_curl_reads_the_balance_and_is_refused_the_customers(team):
    marketing = team.dotenv()["MARKETING_STRIPE_KEY"]
    result = team.run_args(["sh", str(TUTORIALS / LESSON_3 / "with_curl.sh")])
    read_title, read_status, refused_title, body, refused_status = result.stdout.splitlines()
    assert (read_title, read_status) == ("GET /v1/balance with the marketing key:", "200")
    assert (refused_title, refused_status) == ("GET /v1/customers with the marketing key:",
                                               "403")
    error = json.loads(body)["error"]
    assert (error["type"], error.get("code"), error.get("param")) == (
        "invalid_request_error", None, None)
    assert error["message"] == missing(team, marketing, "customer_read")
    assert error["request_log_url"].startswith(team.server.url_for("/dashboard/requests/req_"))
    assert marketing not in result.stdout + result.stderr
    assert key_log(team, marketing, 2) == [("GET", "/v1/balance", 200),
                                           ("GET", "/v1/customers", 403)]


def test_with_curl_before_init_says_what_to_do(tmp_path):
    # The Python programs say it; the shell's own "cannot open ./.env" would not.
    result = subprocess.run(["sh", str(TUTORIALS / LESSON_3 / "with_curl.sh")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=PROGRAM_TIMEOUT)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "no .env here: run `payground init` in this folder first\n"


@pytest.mark.parametrize("script", sorted(TUTORIALS.glob("*/*.sh")), ids=lambda p: p.name)
def test_shell_scripts_are_embedded_verbatim(script):
    readme = (script.parent / "README.md").read_text()
    embedded = {m["name"]: m["code"] for m in SHELL_INCLUDE.finditer(readme)}
    assert embedded.get(script.name) == script.read_text()


# --- lesson 4: rolling keys -----------------------------------------------------------------

LESSON_4 = "04-rolling-keys"


class Background:
    """A lesson program left running (the app of lesson 4), its output read line by line."""

    def __init__(self, project: Project, name: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(TUTORIALS / LESSON_4 / name)], cwd=project.path,
            env=project.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # end of output

    def next_line(self) -> str:
        """Block until the program prints its next line."""
        line = self.lines.get(timeout=PROGRAM_TIMEOUT)
        assert line is not None, f"the program ended early: {self.process.stderr.read()}"
        return line

    def stop(self) -> list[str]:
        """SIGTERM, as a deployment stops an app; returns the lines printed since."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=PROGRAM_TIMEOUT)
        self.reader.join()
        assert self.process.returncode == 0, self.process.stderr.read()
        rest = []
        while (line := self.lines.get_nowait()) is not None:
            rest.append(line)
        return rest

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()


def statuses(project: Project, key: dict) -> list[int]:
    page = project.dashboard("GET", "/sandbox/requests", params={"key": key["id"], "limit": 100})
    assert not page["has_more"]
    return [entry["status"] for entry in page["data"]]


def test_rolling_the_key_under_a_running_app_fails_no_request(project):
    old_key = project.dotenv()["STRIPE_SECRET_KEY"]
    app = Background(project, "worker.py")
    try:
        assert app.next_line() == f"using {masked(old_key)}"
        rolled = project.run(LESSON_4, "roll_key.py")
        env = project.dotenv()
        new_key = env["STRIPE_SECRET_KEY"]
        assert new_key != old_key and env["STRIPE_SECRET_KEY_PREVIOUS"] == old_key
        assert rolled.stdout.splitlines() == [
            f"rolled {masked(old_key)} -> {masked(new_key)} (deployed to .env)",
            "old key: expiring for 3600 more seconds; new key: active",
        ]
        # The app picks the new key up by itself; only then is the old one let go.
        assert app.next_line() == f"using {masked(new_key)}"
        finished = project.run(LESSON_4, "finish_roll.py")
        summary = app.stop()
    finally:
        app.kill()

    expired_error = messages.EXPIRED_API_KEY.format(masked=keys.mask(old_key))
    assert finished.stdout.splitlines() == [
        f"{masked(old_key)} is no longer used: {masked(new_key)} has taken over",
        "one hour later (account clock advanced by 3600 s)",
        f"old key {masked(old_key)}: 401 api_key_expired {expired_error}",
        f"new key {masked(new_key)}: 200",
        f"{masked(old_key)}: expired",
        f"{masked(new_key)}: active",
        "audit trail of the old key: api_key.created, api_key.rolled, api_key.expired_used",
        "removed STRIPE_SECRET_KEY_PREVIOUS from .env",
    ]
    [line] = summary
    succeeded = int(re.fullmatch(r"stopped: (\d+) requests succeeded, 0 failed", line)[1])
    assert succeeded >= 2
    assert not FULL_KEY.search(finished.stdout + "".join(summary))

    # What the server saw: every request of the app succeeded, with either key; the one
    # refusal is finish_roll.py's own check after the clock moved.
    old, new = project.key_object(old_key), project.key_object(new_key)
    assert (old["status"], new["status"], new["rolled_from"]) == ("expired", "active", old["id"])
    new_statuses, old_statuses = statuses(project, new), statuses(project, old)
    assert set(new_statuses) == {200}
    assert old_statuses[0] == 401 and set(old_statuses[1:]) == {200}  # newest first
    assert len(new_statuses) + len(old_statuses) == succeeded + 2  # + finish_roll's two
    assert project.dashboard("GET", "/sandbox/clock")["offset"] == 3600
    response = project.api(old_key, "GET", "/v1/charges")
    error = error_of(response)
    assert (response.status_code, error["type"], error["code"], error.get("param"),
            error["message"]) == (401, "invalid_request_error", "api_key_expired", None,
                                  expired_error)
    assert "STRIPE_SECRET_KEY_PREVIOUS" not in project.dotenv()


def test_finish_roll_waits_until_the_new_key_is_in_use(project):
    old_key = project.dotenv()["STRIPE_SECRET_KEY"]
    project.run(LESSON_4, "roll_key.py")
    result = project.run(LESSON_4, "finish_roll.py", status=1)
    assert result.stdout == ""
    # roll_key.py has deployed the key to .env already: what is missing is the app using it.
    assert result.stderr.strip() == ("nothing has used the new key yet: is the app (python "
                                     "worker.py) running? Run this again once it says it is "
                                     "using the new key")
    assert project.dashboard("GET", "/sandbox/clock")["offset"] == 0
    assert project.key_object(old_key)["status"] == "expiring"
    assert project.api(old_key, "GET", "/v1/charges").status_code == 200  # still in grace
    assert project.dotenv()["STRIPE_SECRET_KEY_PREVIOUS"] == old_key


def test_finish_roll_stops_while_the_old_key_is_still_used(project):
    old_key = project.dotenv()["STRIPE_SECRET_KEY"]
    project.run(LESSON_4, "roll_key.py")
    new_key = project.dotenv()["STRIPE_SECRET_KEY"]
    assert project.api(new_key, "GET", "/v1/charges").status_code == 200
    assert project.api(old_key, "GET", "/v1/charges").status_code == 200  # a forgotten server
    result = project.run(LESSON_4, "finish_roll.py", status=1)
    assert result.stderr.strip() == (f"{masked(old_key)} is still in use: find out where "
                                     "before its grace period ends")
    assert project.dashboard("GET", "/sandbox/clock")["offset"] == 0
    assert project.key_object(old_key)["status"] == "expiring"


def test_roll_key_refuses_to_start_a_second_roll_before_the_first_is_finished(project):
    project.run(LESSON_4, "roll_key.py")
    before_env, before_keys = project.dotenv(), project.dashboard("GET", "/sandbox/keys")
    result = project.run(LESSON_4, "roll_key.py", status=1)
    assert result.stderr.strip() == ("a roll is still in progress: finish it first "
                                     "(python finish_roll.py)")
    assert project.dotenv() == before_env
    assert project.dashboard("GET", "/sandbox/keys") == before_keys


def test_finish_roll_without_a_roll_in_progress_says_to_start_one(project):
    result = project.run(LESSON_4, "finish_roll.py", status=1)  # roll_key.py skipped
    assert (result.stdout, result.stderr) == (
        "", "no roll in progress: start one with python roll_key.py\n")
    assert project.dashboard("GET", "/sandbox/clock")["offset"] == 0


def replace_env_line(project: Project, name: str, line: str | None) -> None:
    """Rewrite .env's ``name=`` line as ``line`` (``None``: remove it), as a deploy step might."""
    env_file = project.path / ".env"
    lines = [(line if text.startswith(f"{name}=") else text)
             for text in env_file.read_text().splitlines()]
    env_file.write_text("".join(f"{text}\n" for text in lines if text is not None))


@pytest.mark.parametrize(("line", "state"), [
    ("STRIPE_SECRET_KEY=", "empty"), ('STRIPE_SECRET_KEY=""', "empty"), (None, "missing")])
def test_finish_roll_with_the_new_key_emptied_says_to_run_init(project, line, state):
    """A deploy step emptied (or removed) the key roll_key.py deployed: finish_roll.py looked
    the empty value up and said "... is not a secret key of the signed-in account" (or, with
    no line at all, died with a KeyError)."""
    old_key = project.dotenv()["STRIPE_SECRET_KEY"]
    project.run(LESSON_4, "roll_key.py")
    replace_env_line(project, "STRIPE_SECRET_KEY", line)

    result = project.run(LESSON_4, "finish_roll.py", status=1)

    assert (result.stdout, result.stderr) == (
        "", f"STRIPE_SECRET_KEY is {state} in .env: run `payground init` in this folder (it "
            "writes a working key there)\n")
    assert project.dashboard("GET", "/sandbox/clock")["offset"] == 0
    assert project.key_object(old_key)["status"] == "expiring"
    assert project.dotenv()["STRIPE_SECRET_KEY_PREVIOUS"] == old_key


def test_finish_roll_after_init_replaced_an_emptied_key_finishes_the_roll(project):
    """What the message says to do works: `payground init` writes a working key beside the
    roll's old one, the app takes it up, and the roll finishes with it as the new key."""
    old_key = project.dotenv()["STRIPE_SECRET_KEY"]
    project.run(LESSON_4, "roll_key.py")
    replace_env_line(project, "STRIPE_SECRET_KEY", "STRIPE_SECRET_KEY=")
    project.run(LESSON_4, "finish_roll.py", status=1)
    email = project.dashboard("GET", "/sandbox/account")["email"]
    project.run_args([sys.executable, "-m", "payground", "init", "--email", email,
                      "--password", PASSWORD])
    new_key = project.dotenv()["STRIPE_SECRET_KEY"]
    assert new_key and project.dotenv()["STRIPE_SECRET_KEY_PREVIOUS"] == old_key
    assert project.api(new_key, "GET", "/v1/charges").status_code == 200  # the app, restarted

    finished = project.run(LESSON_4, "finish_roll.py")

    assert finished.stdout.splitlines()[0] == (f"{masked(old_key)} is no longer used: "
                                               f"{masked(new_key)} has taken over")
    assert finished.stdout.splitlines()[-1] == "removed STRIPE_SECRET_KEY_PREVIOUS from .env"
    assert project.key_object(old_key)["status"] == "expired"


def test_finish_roll_with_the_old_key_emptied_says_what_to_do(project):
    old_key = project.dotenv()["STRIPE_SECRET_KEY"]
    project.run(LESSON_4, "roll_key.py")
    replace_env_line(project, "STRIPE_SECRET_KEY_PREVIOUS", "STRIPE_SECRET_KEY_PREVIOUS=")

    result = project.run(LESSON_4, "finish_roll.py", status=1)

    assert (result.stdout, result.stderr) == (
        "", "STRIPE_SECRET_KEY_PREVIOUS is empty in .env: the old key roll_key.py kept there is "
            "gone, so this can't check it. Delete that line: the old key stops by itself when "
            "its grace period ends\n")
    assert project.dashboard("GET", "/sandbox/clock")["offset"] == 0
    assert project.key_object(old_key)["status"] == "expiring"
    # Doing so: no roll in progress any more, and the next roll can start.
    replace_env_line(project, "STRIPE_SECRET_KEY_PREVIOUS", None)
    assert project.run(LESSON_4, "finish_roll.py", status=1).stderr == (
        "no roll in progress: start one with python roll_key.py\n")


def test_roll_key_with_a_revoked_key_in_env_says_why_and_changes_nothing(project):
    key = project.dotenv()["STRIPE_SECRET_KEY"]
    project.dashboard("POST", f"/sandbox/keys/{project.key_object(key)['id']}/revoke")
    before_env, before_keys = project.dotenv(), project.dashboard("GET", "/sandbox/keys")
    result = project.run(LESSON_4, "roll_key.py", status=1)
    assert (result.stdout, result.stderr) == (
        "", f"Only an active key can be rolled; {masked(key)} is revoked.\n")
    assert project.dotenv() == before_env
    assert project.dashboard("GET", "/sandbox/keys") == before_keys


def test_roll_key_with_a_mistyped_key_in_env_says_how_to_fix_it(project):
    key = project.dotenv()["STRIPE_SECRET_KEY"]
    typo = key[:-1] + ("x" if key[-1] != "x" else "y")
    env_file = project.path / ".env"
    env_file.write_text(env_file.read_text().replace(key, typo))
    result = project.run(LESSON_4, "roll_key.py", status=1)
    assert (result.stdout, result.stderr) == (
        "", f"{masked(typo)} is not a secret key of the signed-in account: a typo in .env, or "
            "another account's key? `payground init` here puts one of yours in .env\n")
    assert project.key_object(key)["status"] == "active"


def test_finish_roll_with_the_old_key_back_in_env_changes_nothing(project):
    """A deploy put an old copy of .env back: the app uses the old key again. It said "... is
    no longer used: <the old key> has taken over", moved the clock an hour and expired the key
    the app was using."""
    old_key = project.dotenv()["STRIPE_SECRET_KEY"]
    project.run(LESSON_4, "roll_key.py")
    new_key = project.dotenv()["STRIPE_SECRET_KEY"]
    assert project.api(new_key, "GET", "/v1/charges").status_code == 200
    replace_env_line(project, "STRIPE_SECRET_KEY", f"STRIPE_SECRET_KEY={old_key}")
    assert project.api(old_key, "GET", "/v1/charges").status_code == 200  # the app, reverted

    result = project.run(LESSON_4, "finish_roll.py", status=1)

    assert (result.stdout, result.stderr) == (
        "", f"STRIPE_SECRET_KEY is the old key again ({masked(old_key)}): finishing the roll "
            "would stop the app. Put the key roll_key.py made back there (or a new one: "
            "`payground keys create`), then run this again\n")
    assert project.dashboard("GET", "/sandbox/clock")["offset"] == 0
    assert project.key_object(old_key)["status"] == "expiring"
    assert project.dotenv()["STRIPE_SECRET_KEY_PREVIOUS"] == old_key
    # Put back, the roll finishes.
    replace_env_line(project, "STRIPE_SECRET_KEY", f"STRIPE_SECRET_KEY={new_key}")
    assert project.api(new_key, "GET", "/v1/charges").status_code == 200
    assert project.run(LESSON_4, "finish_roll.py").stdout.splitlines()[0] == (
        f"{masked(old_key)} is no longer used: {masked(new_key)} has taken over")


def test_finish_roll_with_a_mistyped_old_key_says_to_delete_its_line(project):
    """It said `payground init` would put things right: init leaves that line alone, and the
    next run said the same."""
    old_key = project.dotenv()["STRIPE_SECRET_KEY"]
    project.run(LESSON_4, "roll_key.py")
    typo = old_key[:-1] + ("x" if old_key[-1] != "x" else "y")
    replace_env_line(project, "STRIPE_SECRET_KEY_PREVIOUS", f"STRIPE_SECRET_KEY_PREVIOUS={typo}")

    result = project.run(LESSON_4, "finish_roll.py", status=1)

    assert (result.stdout, result.stderr) == (
        "", f"{masked(typo)} is not a secret key of the signed-in account: a typo in .env, or "
            "another account's key? Delete the STRIPE_SECRET_KEY_PREVIOUS line: the old key stops "
            "by itself when its grace period ends\n")
    assert project.dashboard("GET", "/sandbox/clock")["offset"] == 0
    assert project.key_object(old_key)["status"] == "expiring"


def test_a_session_of_another_account_says_so_not_a_typo(project, tmp_path):
    """roll_key.py and finish_roll.py blamed .env ("a typo in .env, or another account's key?
    `payground init` here ..."), whose keys are fine. They say so, and `payground login` with
    the project's email puts it right."""
    old_key = project.dotenv()["STRIPE_SECRET_KEY"]
    email = project.dashboard("GET", "/sandbox/account")["email"]
    said = ("the saved session is another account's, not the one whose keys are in .env: "
            "`payground login` with this folder's account's email signs it in again (and "
            "changes nothing else)\n")
    login = [sys.executable, "-m", "payground", "login", "--email", email, "--password", PASSWORD]
    init_elsewhere(project, tmp_path / "elsewhere")
    before = project.dotenv()

    assert project.run(LESSON_4, "roll_key.py", status=1).stderr == said
    assert project.dotenv() == before
    assert project.key_object(old_key)["status"] == "active"
    project.run_args(login)
    project.run(LESSON_4, "roll_key.py")
    new_key = project.dotenv()["STRIPE_SECRET_KEY"]
    assert project.api(new_key, "GET", "/v1/charges").status_code == 200  # the app

    init_elsewhere(project, tmp_path / "elsewhere-too")
    assert project.run(LESSON_4, "finish_roll.py", status=1).stderr == said
    assert project.key_object(old_key)["status"] == "expiring"
    project.run_args(login)
    assert project.run(LESSON_4, "finish_roll.py").stdout.splitlines()[0] == (
        f"{masked(old_key)} is no longer used: {masked(new_key)} has taken over")
