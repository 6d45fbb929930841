"""Lesson 7 (webhooks): its programs against a real server, the handler as a real process."""

from __future__ import annotations

import queue
import re
import shlex
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from payground import messages
from payground.services.webhooks import MAX_SECRET_GRACE
from tests.tutorial_support import (ANOTHER_ACCOUNT, PROGRAM_TIMEOUT, LessonProject,
                                    both_accounts, elsewhere_keys, init_elsewhere,
                                    lesson_server, login_again)

LESSON = Path(__file__).resolve().parent.parent / "tutorials" / "07-webhooks"
# What `set -a; . ./.env; set +a` puts in the shell (the publishable key tells whose .env it is).
KEYS = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET")


@pytest.fixture(scope="module")
def server(tmp_path_factory, database_url):
    yield from lesson_server(tmp_path_factory, database_url, "lesson7_home")


@pytest.fixture
def project(server, tmp_path):
    project = LessonProject(server, tmp_path)
    project.port = _free_port()
    project.url = f"http://127.0.0.1:{project.port}/webhook"
    return project


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(project: LessonProject, name: str, *args: str, status: int = 0) -> list[str]:
    env = {k: v for k, v in project.dotenv().items() if k in KEYS}
    result = project.run_args([sys.executable, str(LESSON / name), *args],
                              env={**env, "WEBHOOK_URL": project.url}, status=status)
    return result.stdout.splitlines()


class Handler:
    """``handler.py`` running on the project's port; ``.lines`` gets what it prints."""

    def __init__(self, project: LessonProject, secret: str | None = None) -> None:
        env = {**project.env, **{k: v for k, v in project.dotenv().items() if k in KEYS},
               "PORT": str(project.port), "PYTHONUNBUFFERED": "1"}
        if secret is not None:  # a handler deployed with another secret than .env's
            env["STRIPE_WEBHOOK_SECRET"] = secret
        self.process = subprocess.Popen([sys.executable, str(LESSON / "handler.py")],
                                        cwd=project.path, env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: queue.Queue[str] = queue.Queue()
        listening = threading.Event()
        threading.Thread(target=self._read, args=(self.process.stdout, None), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, listening),
                         daemon=True).start()
        # Flask says "Running on http://..." once it accepts connections.
        assert listening.wait(PROGRAM_TIMEOUT), "handler.py did not start"

    def _read(self, stream, listening) -> None:
        for line in stream:
            if listening is None:
                if not line.startswith(" * "):  # Flask's banner, not the handler's words
                    self.lines.put(line.rstrip("\n"))
            elif "Running on" in line:
                listening.set()

    def next_lines(self, count: int) -> list[str]:
        return [self.lines.get(timeout=PROGRAM_TIMEOUT) for _ in range(count)]

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        self.process.wait(PROGRAM_TIMEOUT)
        self.process.stdout.close()
        self.process.stderr.close()


@pytest.fixture
def handler(project):
    started = []

    def start(secret: str | None = None) -> Handler:
        started.append(Handler(project, secret))
        return started[-1]

    yield start
    for running in started:
        running.stop()


def test_register_saves_the_secret_and_shows_it_masked(project):
    out = run(project, "register.py")
    secret = project.dotenv()["STRIPE_WEBHOOK_SECRET"]
    assert re.fullmatch(r"whsec_[0-9A-Za-z]{32}", secret)
    assert re.fullmatch(rf"we_\w+ sends charge.succeeded, charge.failed to {project.url}", out[0])
    assert out[1] == (f"signing secret {secret[:6]}...{secret[-4:]} saved to .env as "
                      "STRIPE_WEBHOOK_SECRET")
    assert secret not in "\n".join(out)
    assert stat.S_IMODE((project.path / ".env").stat().st_mode) == 0o600
    # The API never shows it again.
    key = project.dotenv()["STRIPE_SECRET_KEY"]
    listed = requests.get(project.server.url_for("/v1/webhook_endpoints"), timeout=30,
                          headers={"Authorization": f"Bearer {key}"}).json()["data"]
    assert [e["url"] for e in listed] == [project.url] and "secret" not in listed[0]


def test_the_handler_hears_of_both_orders(project, handler):
    run(project, "register.py")
    hooks = handler()
    charged, declined = run(project, "pay.py")
    project.server.wait_for_webhooks()
    assert sorted(hooks.next_lines(2)) == [f"declined: {declined.split()[1]} card_declined",
                                           f"paid: {charged.split()[1]} 2000 usd"]
    assert run(project, "deliveries.py") == [
        "charge.succeeded: succeeded after 1 attempt(s), last answer 200",
        "charge.failed: succeeded after 1 attempt(s), last answer 200"]


def test_forged_events_are_refused(project, handler):
    run(project, "register.py")
    hooks = handler()
    assert run(project, "forge.py") == ["without a signature: 400",
                                        "signed with a guessed secret: 400"]
    assert hooks.next_lines(2) == ["refused: no valid signature"] * 2
    assert hooks.lines.empty()


def test_an_event_missed_while_the_handler_was_down_arrives_on_retry(project, handler):
    run(project, "register.py")  # nothing listens on the port yet
    charged, _ = run(project, "pay.py")
    project.server.wait_for_webhooks()
    missed = run(project, "deliveries.py")
    assert [re.sub(r"\d\d:\d\d:\d\d UTC", "<time>", line) for line in missed] == [
        "charge.succeeded: pending after 1 attempt(s), last answer ConnectionRefusedError: "
        "[Errno 111] Connection refused, next try at <time>",
        "charge.failed: pending after 1 attempt(s), last answer ConnectionRefusedError: "
        "[Errno 111] Connection refused, next try at <time>"]

    hooks = handler()
    project.run_args([sys.executable, "-m", "payground", "clock", "advance", "5m"])
    project.server.wait_for_webhooks()
    assert f"paid: {charged.split()[1]} 2000 usd" in hooks.next_lines(2)
    assert run(project, "deliveries.py") == [
        "charge.succeeded: succeeded after 2 attempt(s), last answer 200",
        "charge.failed: succeeded after 2 attempt(s), last answer 200"]


def test_nothing_prints_a_full_secret(project, handler):
    out = run(project, "register.py")
    hooks = handler()
    out += run(project, "pay.py") + run(project, "forge.py") + run(project, "deliveries.py")
    project.server.wait_for_webhooks()
    out += hooks.next_lines(4)  # two orders, two forgeries
    secret = project.dotenv()["STRIPE_WEBHOOK_SECRET"]
    key = project.dotenv()["STRIPE_SECRET_KEY"]
    assert not any(secret in line or key in line for line in out)


def test_rolling_the_secret_refuses_no_delivery_then_the_old_one_stops(project, handler):
    run(project, "register.py")
    old_secret = project.dotenv()["STRIPE_WEBHOOK_SECRET"]
    on_old_secret = handler()
    out = run(project, "roll_secret.py", "3600")
    new_secret = project.dotenv()["STRIPE_WEBHOOK_SECRET"]
    assert new_secret != old_secret
    assert out[0] == f"new signing secret {new_secret[:6]}...{new_secret[-4:]} saved to .env"
    assert re.fullmatch(r"the old secret also signs until \d{4}-\d\d-\d\d \d\d:\d\d UTC "
                        r"\(account clock\)", out[1])

    # During the grace period the handler still on the old secret accepts deliveries ...
    charged, _ = run(project, "pay.py")
    project.server.wait_for_webhooks()
    assert f"paid: {charged.split()[1]} 2000 usd" in on_old_secret.next_lines(2)
    on_old_secret.stop()
    # ... and so does the handler deployed with the new one.
    on_new_secret = handler()
    charged, _ = run(project, "pay.py")
    project.server.wait_for_webhooks()
    assert f"paid: {charged.split()[1]} 2000 usd" in on_new_secret.next_lines(2)
    on_new_secret.stop()

    # Once the hour is over, only the new secret signs: a handler left on the old one
    # refuses every delivery.
    project.run_args([sys.executable, "-m", "payground", "clock", "advance", "1h"])
    forgotten = handler(secret=old_secret)
    run(project, "pay.py")
    project.server.wait_for_webhooks()
    assert forgotten.next_lines(2) == ["refused: no valid signature"] * 2
    refused = [re.sub(r"\d\d:\d\d:\d\d UTC", "<time>", line)
               for line in run(project, "deliveries.py")]
    assert refused[-2:] == [
        f"{kind}: pending after 1 attempt(s), last answer 400, next try at <time>"
        for kind in ("charge.succeeded", "charge.failed")]


def test_registering_twice_makes_no_second_endpoint(project):
    run(project, "register.py")
    secret = project.dotenv()["STRIPE_WEBHOOK_SECRET"]
    key = project.dotenv()["STRIPE_SECRET_KEY"]
    listed = requests.get(project.server.url_for("/v1/webhook_endpoints"), timeout=30,
                          headers={"Authorization": f"Bearer {key}"}).json()["data"]

    env = {k: v for k, v in project.dotenv().items() if k in KEYS}
    again = project.run_args([sys.executable, str(LESSON / "register.py")],
                             env={**env, "WEBHOOK_URL": project.url}, status=1)

    assert again.stdout == ""
    assert again.stderr == (f"{listed[0]['id']} already sends to {project.url}: its secret is "
                            "the one register.py saved then (lost it? python roll_secret.py 0 "
                            "saves a new one to .env)\n")
    assert requests.get(project.server.url_for("/v1/webhook_endpoints"), timeout=30,
                        headers={"Authorization": f"Bearer {key}"}).json()["data"] == listed
    assert project.dotenv()["STRIPE_WEBHOOK_SECRET"] == secret


def test_a_lost_secret_is_replaced_by_rolling_with_no_grace(project, handler):
    run(project, "register.py")
    old_secret = project.dotenv()["STRIPE_WEBHOOK_SECRET"]
    out = run(project, "roll_secret.py", "0")
    new_secret = project.dotenv()["STRIPE_WEBHOOK_SECRET"]
    assert new_secret != old_secret
    # No grace period: no "also signs until <now>", which would read as if it still signed.
    assert out == [f"new signing secret {new_secret[:6]}...{new_secret[-4:]} saved to .env",
                   "the old secret no longer signs"]
    hooks = handler()
    charged, _ = run(project, "pay.py")
    project.server.wait_for_webhooks()
    assert f"paid: {charged.split()[1]} 2000 usd" in hooks.next_lines(2)


def test_roll_secret_finds_the_endpoint_behind_ten_newer_ones(project):
    """The list answers 10 per page by default: the lesson's endpoint, made first, is on
    the second page once the account has ten more (16 are allowed)."""
    run(project, "register.py")
    secret = project.dotenv()["STRIPE_WEBHOOK_SECRET"]
    key = project.dotenv()["STRIPE_SECRET_KEY"]
    for n in range(10):
        response = requests.post(
            project.server.url_for("/v1/webhook_endpoints"), timeout=30,
            headers={"Authorization": f"Bearer {key}"},
            data={"url": f"http://127.0.0.1:9/other/{n}", "enabled_events[]": "payout.paid"})
        assert response.status_code == 200, response.text
    out = run(project, "roll_secret.py", "0")
    new_secret = project.dotenv()["STRIPE_WEBHOOK_SECRET"]
    assert new_secret != secret
    assert out == [f"new signing secret {new_secret[:6]}...{new_secret[-4:]} saved to .env",
                   "the old secret no longer signs"]


def test_roll_secret_says_what_is_wrong(project):
    env = {k: v for k, v in project.dotenv().items() if k in KEYS}
    unregistered = project.run_args([sys.executable, str(LESSON / "roll_secret.py")],
                                    env={**env, "WEBHOOK_URL": project.url}, status=1)
    assert unregistered.stderr == (f"no webhook endpoint sends to {project.url}: register one "
                                   "first (python register.py)\n")

    run(project, "register.py")
    secret = project.dotenv()["STRIPE_WEBHOOK_SECRET"]
    env = {k: v for k, v in project.dotenv().items() if k in KEYS}
    too_long = project.run_args([sys.executable, str(LESSON / "roll_secret.py"),
                                 str(MAX_SECRET_GRACE + 1)],
                                env={**env, "WEBHOOK_URL": project.url}, status=1)
    assert too_long.stdout == ""
    assert too_long.stderr == messages.WEBHOOK_ROLL_EXPIRES_IN.format(max=MAX_SECRET_GRACE) + "\n"
    assert project.dotenv()["STRIPE_WEBHOOK_SECRET"] == secret


def test_deliveries_before_any_payment_says_which_steps_come_first(project):
    env = {k: v for k, v in project.dotenv().items() if k in KEYS}
    result = project.run_args([sys.executable, str(LESSON / "deliveries.py")], env=env, status=1)
    assert (result.stdout, result.stderr) == (
        "", "no deliveries yet: register an endpoint (python register.py), then python pay.py\n")


def test_another_account_s_session_rolls_nothing_and_shows_no_deliveries(project, tmp_path):
    """roll_secret.py found the endpoint with .env's key, then asked another account to roll it
    (a puzzling "No such webhook endpoint: ..."); deliveries.py showed that account's deliveries
    ("no deliveries yet", after this account's payments)."""
    run(project, "register.py")
    run(project, "pay.py")
    project.server.wait_for_webhooks()  # delivered (to no handler): this account's deliveries
    other = init_elsewhere(project, tmp_path / "elsewhere")
    before = project.dotenv(), both_accounts(project, other)

    for program in ("roll_secret.py", "deliveries.py"):
        result = project.run_args([sys.executable, str(LESSON / program)], status=1, env={
            **{k: v for k, v in project.dotenv().items() if k in KEYS},
            "WEBHOOK_URL": project.url})
        assert (result.stdout, result.stderr) == ("", ANOTHER_ACCOUNT), program

    assert (project.dotenv(), both_accounts(project, other)) == before


NOT_LOADED_HERE = ("the keys in your environment are not this folder's .env's (loaded in "
                   "another folder?): load .env again (set -a; . ./.env; set +a)\n")


def test_another_folders_keys_in_the_environment_make_and_roll_nothing(project, tmp_path):
    """The session this folder's, the shell still holding another folder's (another
    account's) keys: register.py made the endpoint on that account and saved its secret in
    this .env; roll_secret.py and deliveries.py blamed the saved session, and the `payground
    login` they advised changed nothing."""
    run(project, "register.py")
    other = init_elsewhere(project, tmp_path / "elsewhere")
    theirs = {k: v for k, v in elsewhere_keys(tmp_path / "elsewhere").items() if k in KEYS}
    login_again(project)  # the saved session is this folder's account's again
    before = project.dotenv(), both_accounts(project, other)

    for program in ("register.py", "roll_secret.py", "deliveries.py"):
        result = project.run_args([sys.executable, str(LESSON / program)], status=1,
                                  env={**theirs, "WEBHOOK_URL": project.url})
        assert (result.stdout, result.stderr) == ("", NOT_LOADED_HERE), program

    assert (project.dotenv(), both_accounts(project, other)) == before
    # What it says to do works: with this .env loaded again, the roll goes through.
    assert run(project, "roll_secret.py", "0")[0].startswith("new signing secret whsec_")


def in_shell(project: LessonProject, script: str, status: int = 0) -> list[str]:
    """``script`` run by bash in the project's folder, from a terminal holding no STRIPE_
    variable yet; ``python X.py`` is this suite's Python running the lesson's program."""
    script = re.sub(r"\bpython (\w+\.py)", lambda m: f"{sys.executable} {LESSON / m[1]}",
                    script)
    result = subprocess.run(["bash", "-c", script], cwd=project.path, capture_output=True,
                            env={**project.env, "WEBHOOK_URL": project.url}, text=True,
                            timeout=PROGRAM_TIMEOUT)
    assert result.returncode == status, result.stdout + result.stderr
    return result.stdout.splitlines() if status == 0 else [result.stderr]


LOAD = "set -a; . ./.env; set +a"  # the README's line


def test_the_readme_step_by_step_in_a_shell_passes_the_check(project, tmp_path):
    """Another folder's .env loaded first, then a `cd` here: once this .env is loaded (the
    README's line, and the advice), register.py and roll_secret.py go on."""
    other = tmp_path / "elsewhere"
    init_elsewhere(project, other)
    login_again(project)
    cd_here = f"cd {shlex.quote(str(other))} && {LOAD} && cd {shlex.quote(str(project.path))} && "
    assert in_shell(project, f"{cd_here}python register.py", status=1) == [NOT_LOADED_HERE]
    assert "STRIPE_WEBHOOK_SECRET" not in project.dotenv()
    assert in_shell(project, f"{cd_here}{LOAD}; python register.py")[0].startswith("we_")
    assert in_shell(project, f"{cd_here}{LOAD}; python roll_secret.py 0")[0].startswith(
        "new signing secret whsec_")


@pytest.mark.parametrize("spelling", [
    'export {name}="{value}"  # written by payground',
    "{name}='{value}'",
    "{name}=pk_test_someoneElsesOldKey1234\n{name}={value}",  # the last one wins, as sourced
])
def test_check_loaded_reads_env_as_the_shell_does(project, spelling):
    """.env as a learner may have edited it: python-dotenv and the shell read the same key."""
    path = project.path / ".env"
    lines = path.read_text().splitlines()
    [i] = [n for n, line in enumerate(lines) if line.startswith("STRIPE_PUBLISHABLE_KEY=")]
    lines[i] = spelling.format(name="STRIPE_PUBLISHABLE_KEY", value=lines[i].partition("=")[2])
    path.write_text("\n".join(lines) + "\n")
    assert in_shell(project, f"{LOAD}; python register.py")[0].startswith("we_")


def test_a_env_without_a_publishable_key_cannot_tell_and_goes_on(project):
    """No STRIPE_PUBLISHABLE_KEY in .env (deleted by hand), nor in the shell loading it:
    check_loaded can't tell and stops nothing."""
    path = project.path / ".env"
    path.write_text("".join(line for line in path.read_text().splitlines(keepends=True)
                            if not line.startswith("STRIPE_PUBLISHABLE_KEY=")))
    assert in_shell(project, f"{LOAD}; python register.py")[0].startswith("we_")
    assert in_shell(project, f"{LOAD}; python roll_secret.py 0")[0].startswith(
        "new signing secret whsec_")


def test_a_terminal_with_this_envs_live_keys_is_this_folders(project):
    """One project folder through lessons 5 and 7, its production terminal still open (the
    live keys of this .env, exported under the usual names): not "another folder's keys"
    (the message lesson 5's own check never gives for them)."""
    run(project, "register.py")
    run(project, "pay.py")
    project.server.wait_for_webhooks()
    project.run_args([sys.executable, "-m", "payground", "activate"])
    production = (f"{LOAD}; export STRIPE_SECRET_KEY=$STRIPE_LIVE_SECRET_KEY "
                  "STRIPE_PUBLISHABLE_KEY=$STRIPE_LIVE_PUBLISHABLE_KEY; ")
    shown = in_shell(project, f"{production}python deliveries.py")  # none answered: no handler
    assert [line.partition(":")[0] for line in shown] == ["charge.succeeded", "charge.failed"]
    # Another folder's live keys would still be refused.
    env = project.dotenv()
    result = project.run_args([sys.executable, str(LESSON / "deliveries.py")], status=1, env={
        **{k: v for k, v in env.items() if k in KEYS},
        "STRIPE_PUBLISHABLE_KEY": "pk_live_" + "x" * 38})
    assert (result.stdout, result.stderr) == ("", NOT_LOADED_HERE)


def test_roll_secret_takes_seconds_only(project):
    run(project, "register.py")
    secret = project.dotenv()["STRIPE_WEBHOOK_SECRET"]
    env = {k: v for k, v in project.dotenv().items() if k in KEYS}
    result = project.run_args([sys.executable, str(LESSON / "roll_secret.py"), "1h"],
                              env={**env, "WEBHOOK_URL": project.url}, status=1)
    assert (result.stdout, result.stderr) == (
        "", "usage: python roll_secret.py SECONDS (how long the old secret still signs)\n")
    assert project.dotenv()["STRIPE_WEBHOOK_SECRET"] == secret


def test_register_from_a_folder_without_env_makes_no_endpoint(project):
    # The keys loaded into the shell in the lesson's folder, then a `cd` elsewhere.
    env = {k: v for k, v in project.dotenv().items() if k in KEYS}
    elsewhere = project.path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([sys.executable, str(LESSON / "register.py")], cwd=elsewhere,
                            capture_output=True, text=True, timeout=PROGRAM_TIMEOUT,
                            env={**project.env, **env, "WEBHOOK_URL": project.url})
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "no .env here: run `payground init` in this folder first\n"
    assert not (elsewhere / ".env").exists()
    listed = requests.get(project.server.url_for("/v1/webhook_endpoints"), timeout=30,
                          headers={"Authorization": f"Bearer {env['STRIPE_SECRET_KEY']}"})
    assert listed.json()["data"] == []


def test_register_on_a_server_that_does_not_send_there_says_what_to_do(tmp_path, database_url):
    # A workshop's server (docker-compose.yml) sends only where its operator allows: there
    # the handler's 127.0.0.1 is refused, and the program says so in one line.
    from payground.testing import Server

    config = {"HOME": str(tmp_path / "server-home"),
              "WEBHOOK_ALLOWED_HOSTS": "host.docker.internal:5000,*.ngrok-free.app"}
    if database_url:
        config["DATABASE_URL"] = database_url
    (tmp_path / "project").mkdir()
    with Server(config) as shared:
        project = LessonProject(shared, tmp_path / "project")
        env = {k: v for k, v in project.dotenv().items() if k in KEYS}
        result = project.run_args([sys.executable, str(LESSON / "register.py")], status=1,
                                  env={**env, "WEBHOOK_URL": "http://127.0.0.1:5000/webhook"})
        listed = requests.get(shared.url_for("/v1/webhook_endpoints"), timeout=30,
                              headers={"Authorization": f"Bearer {env['STRIPE_SECRET_KEY']}"})
    shared.check_errors()

    assert result.stdout == ""
    refusal = messages.WEBHOOK_URL_NOT_ALLOWED.format(host="127.0.0.1:5000")
    assert result.stderr == (f"400 {refusal} Set WEBHOOK_URL to an address the server can "
                             "reach (README: Payground on another machine).\n")
    assert "STRIPE_WEBHOOK_SECRET" not in project.dotenv()
    assert listed.json()["data"] == []


def test_the_handler_listens_where_handler_host_says(project):
    # Payground in Docker on Linux reaches the host at the bridge's address, not 127.0.0.1:
    # the handler listens where HANDLER_HOST says (a name here, which any machine has).
    env = {**project.env, "STRIPE_WEBHOOK_SECRET": "whsec_" + "x" * 32,
           "PORT": str(project.port), "HANDLER_HOST": "localhost"}
    process = subprocess.Popen([sys.executable, str(LESSON / "handler.py")], cwd=project.path,
                               env=env, text=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        running = next(line for line in process.stderr if "Running on" in line)
    finally:
        process.terminate()
        process.wait(PROGRAM_TIMEOUT)
        process.stderr.close()
    assert running.strip() == f"* Running on http://localhost:{project.port}"


def test_register_refused_for_another_reason_says_only_that(project):
    from payground.services.webhooks import MAX_ENDPOINTS

    key = project.dotenv()["STRIPE_SECRET_KEY"]
    for number in range(MAX_ENDPOINTS):  # the account's endpoints are all taken
        requests.post(project.server.url_for("/v1/webhook_endpoints"), timeout=30,
                      headers={"Authorization": f"Bearer {key}"},
                      data={"url": f"http://127.0.0.1:9/other-{number}",
                            "enabled_events[]": "charge.succeeded"}).raise_for_status()
    env = {k: v for k, v in project.dotenv().items() if k in KEYS}

    result = project.run_args([sys.executable, str(LESSON / "register.py")], status=1,
                              env={**env, "WEBHOOK_URL": project.url})

    refusal = messages.WEBHOOK_ENDPOINTS_LIMIT.format(max=MAX_ENDPOINTS, mode="test")
    assert (result.stdout, result.stderr) == ("", f"400 {refusal}\n")  # no word of WEBHOOK_URL
