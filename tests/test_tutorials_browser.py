"""Lesson 6 (keys in the browser): the programs run against a real server, as the README runs
them, with the keys `payground init` wrote to `.env` in their environment.

That every program is embedded verbatim in the README is checked by ``test_tutorials.py``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
import requests

from payground import messages
from tests.tutorial_support import FULL_KEY, LessonProject, lesson_server, masked

LESSON = Path(__file__).resolve().parent.parent / "tutorials" / "06-keys-in-the-browser"


@pytest.fixture(scope="module")
def server(tmp_path_factory, database_url):
    yield from lesson_server(tmp_path_factory, database_url, "lesson6_home")


@pytest.fixture
def project(server, tmp_path):
    return LessonProject(server, tmp_path)


def run(project: LessonProject, *args: str, status: int = 0):
    env = project.dotenv()
    keys = {name: env[name] for name in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY",
                                         "STRIPE_API_BASE")}
    return project.run_args([sys.executable, str(LESSON / args[0]), *args[1:]], env=keys,
                            status=status)


def test_the_page_tokenises_with_the_publishable_key_and_can_do_nothing_else(project):
    page = run(project, "checkout_page.py")
    token_id = page.stdout.strip()
    assert token_id.startswith("tok_")
    assert page.stderr.splitlines() == [
        "tokenised: Visa ending 4242",
        "listing charges with the page's key: 401 secret_key_required: "
        + messages.SECRET_KEY_REQUIRED]
    logged = project.dashboard("GET", "/sandbox/requests", params={"limit": 2})["data"]
    # The server's log shows the page's two calls, made with the publishable key.
    publishable = project.dotenv()["STRIPE_PUBLISHABLE_KEY"]
    assert [(r["method"], r["path"], r["status"], r["error_code"], r["key_redacted"])
            for r in logged] == [
        ("GET", "/v1/charges", 401, "secret_key_required", masked(publishable)),
        ("POST", "/v1/tokens", 200, None, masked(publishable))]


def test_the_server_charges_the_token_with_the_secret_key(project):
    token_id = run(project, "checkout_page.py").stdout.strip()
    paid = run(project, "pay_server.py", token_id)
    charge_id, rest = paid.stdout.strip().split(" ", 1)
    assert rest == "succeeded: 15.00 usd on the card ending 4242"
    secret = project.dotenv()["STRIPE_SECRET_KEY"]
    charge = requests.get(project.server.url_for(f"/v1/charges/{charge_id}"), timeout=30,
                          headers={"Authorization": f"Bearer {secret}"}).json()
    assert (charge["amount"], charge["status"], charge["description"]) == (
        1500, "succeeded", "lesson 6 order")
    # A token is single use: the page's token cannot be charged twice.
    again = run(project, "pay_server.py", token_id, status=1)
    assert (again.stdout, again.stderr) == (
        "", f"400 {messages.TOKEN_ALREADY_USED.format(id=token_id)}\n")
    assert secret not in paid.stdout + paid.stderr + again.stdout + again.stderr


def test_pay_server_without_a_token_says_where_to_get_one(project):
    # `python pay_server.py "$(python checkout_page.py 2>/dev/null)"` when the page failed.
    result = run(project, "pay_server.py", "", status=1)
    assert (result.stdout, result.stderr) == (
        "", "usage: python pay_server.py TOKEN (no token? run python checkout_page.py to see "
            "why)\n")


def test_the_shipped_page_holds_no_secret_key(project):
    checked = run(project, "check_bundle.py", str(LESSON / "site"))
    assert checked.stdout == f"{LESSON / 'site'}: no secret or restricted keys\n"


def test_a_secret_key_in_the_page_stops_the_deploy_without_being_shown(project, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(LESSON / "site", site)
    env = project.dotenv()
    secret, publishable = env["STRIPE_SECRET_KEY"], env["STRIPE_PUBLISHABLE_KEY"]
    script = site / "checkout.js"
    script.write_text(script.read_text().replace("pk_test_REPLACE_ME", publishable)
                      + f'const debugKey = "{secret}"; // "just for a quick test"\n')
    checked = run(project, "check_bundle.py", str(site), status=1)
    line = len(script.read_text().splitlines())
    assert checked.stdout == (f"{script}:{line}: {masked(secret)} must not ship to a browser\n")
    assert checked.stderr == "1 secret key(s) found: move them to your server and roll them\n"
    assert not FULL_KEY.search(checked.stdout + checked.stderr)


def test_the_deploy_check_reads_one_file_too(project, tmp_path):
    # `python check_bundle.py site/checkout.js`: a file named on its own is checked, not
    # passed as a folder with nothing in it.
    script = tmp_path / "checkout.js"
    secret = project.dotenv()["STRIPE_SECRET_KEY"]
    script.write_text(f'const payground = {{ apiBase: "x", key: "{secret}" }};\n')
    checked = run(project, "check_bundle.py", str(script), status=1)
    assert checked.stdout == f"{script}:1: {masked(secret)} must not ship to a browser\n"
    assert checked.stderr == "1 secret key(s) found: move them to your server and roll them\n"


def test_the_deploy_check_fails_on_a_path_that_is_not_there(project, tmp_path):
    # A typo in the deploy script (`sitee/`) must stop the deploy, not report "no keys".
    missing = tmp_path / "sitee"
    checked = run(project, "check_bundle.py", str(missing), status=1)
    assert (checked.stdout, checked.stderr) == ("", f"{missing}: no such file or folder\n")


def test_the_deploy_check_without_a_path_says_how_to_run_it(project):
    checked = run(project, "check_bundle.py", status=1)
    assert (checked.stdout, checked.stderr) == (
        "", "usage: python check_bundle.py PATH (the folder or file you are about to publish)\n")


def test_the_page_given_the_secret_key_by_mistake_stops_without_a_token(project):
    # Keys swapped in the environment: the listing a publishable key is refused succeeds.
    secret = project.dotenv()["STRIPE_SECRET_KEY"]
    page = project.run_args(
        [sys.executable, str(LESSON / "checkout_page.py")], status=1,
        env={"STRIPE_PUBLISHABLE_KEY": secret,
             "STRIPE_API_BASE": project.dotenv()["STRIPE_API_BASE"]})
    assert page.stdout == ""  # no token: `pay_server.py "$(...)"` says how to see why
    assert page.stderr.splitlines() == [
        "tokenised: Visa ending 4242",
        "listing charges with the page's key: 200: it reads your charges, so it is no "
        "publishable key: put the pk_test_ key in STRIPE_PUBLISHABLE_KEY"]
    assert secret not in page.stderr


@pytest.mark.parametrize("page_key", ["STRIPE_LIVE_PUBLISHABLE_KEY", "STRIPE_LIVE_SECRET_KEY"],
                         ids=["live keys", "live keys swapped"])
def test_the_page_with_live_keys_says_live_mode_refuses_its_test_card(project, page_key):
    """With the live keys loaded, the page's test card is refused as live mode refuses it, and
    nothing it prints speaks of pk_test_ or test mode (its swapped-keys hint names the key's
    own mode, pk_live_, should a card ever get that far)."""
    project.run_args([sys.executable, "-m", "payground", "activate", "--url",
                      project.server.url])
    env = project.dotenv()
    page = project.run_args(
        [sys.executable, str(LESSON / "checkout_page.py")], status=1,
        env={"STRIPE_PUBLISHABLE_KEY": env[page_key], "STRIPE_API_BASE": env["STRIPE_API_BASE"]})
    assert page.stdout == ""
    assert page.stderr == f"402 {messages.LIVE_MODE_TEST_CARD}\n"
    assert "pk_test_" not in page.stderr and env[page_key] not in page.stderr
