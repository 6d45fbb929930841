"""The tutorials are code: every program runs against a live server, and each README shows
exactly the code in its folder."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from payground import messages
from payground.core import keys

TUTORIALS = Path(__file__).resolve().parent.parent / "tutorials"
INCLUDE = re.compile(r"<!-- include: (?P<name>[\w./-]+) -->\n```python\n(?P<code>.*?)```",
                     re.DOTALL)
PASSWORD = "correct horse battery"


def readmes():
    return sorted(TUTORIALS.glob("*/README.md"))


@pytest.mark.parametrize("readme", readmes(), ids=lambda p: p.parent.name)
def test_readme_embeds_the_files_verbatim(readme):
    includes = list(INCLUDE.finditer(readme.read_text()))
    assert includes, f"{readme} embeds no program"
    for match in includes:
        assert match.group("code") == (readme.parent / match.group("name")).read_text()


def programs() -> list[Path]:
    """Every lesson's programs, those of a lesson's subfolder too (lesson 9's business/)."""
    return sorted(TUTORIALS.glob("*/**/*.py"))


def lesson_of(program: Path) -> Path:
    return TUTORIALS / program.relative_to(TUTORIALS).parts[0]


@pytest.mark.parametrize("program", programs(), ids=lambda p: p.name)
def test_every_program_is_embedded_in_its_readme(program):
    lesson = lesson_of(program)
    name = program.relative_to(lesson).as_posix()
    assert f"<!-- include: {name} -->" in (lesson / "README.md").read_text()


def run(args, cwd, env=None):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120,
                            env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def lesson_project(tmp_path, payground_server):
    """A project folder where `payground init` and `payground activate` have run."""
    home = {"PAYGROUND_HOME": str(tmp_path / "home")}
    cli = [sys.executable, "-m", "payground"]
    email = f"learner-{os.urandom(3).hex()}@example.com"
    run(cli + ["init", "--url", payground_server.url, "--email", email, "--password", PASSWORD],
        cwd=tmp_path, env=home)
    run(cli + ["activate", "--url", payground_server.url], cwd=tmp_path, env=home)
    assert ".env" in (tmp_path / ".gitignore").read_text().splitlines()
    return tmp_path


def program(lesson: str, name: str) -> list[str]:
    return [sys.executable, str(TUTORIALS / lesson / name)]


def test_lesson_01_requests(lesson_project):
    out = run(program("01-first-charge", "charge_with_requests.py"), cwd=lesson_project)
    first, second = out.splitlines()
    assert re.fullmatch(r"200 ch_\w+ succeeded 2000 usd", first)
    assert re.fullmatch(r"402 card_error card_declined generic_decline ch_\w+", second)


def test_lesson_01_requests_with_a_mistyped_key_says_why(lesson_project):
    key = next(line.split("=", 1)[1] for line in (lesson_project / ".env").read_text().splitlines()
               if line.startswith("STRIPE_SECRET_KEY="))
    typo = key[:-1] + ("x" if key[-1] != "x" else "y")
    result = subprocess.run(program("01-first-charge", "charge_with_requests.py"),
                            cwd=lesson_project, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "STRIPE_SECRET_KEY": typo})  # wins over .env
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"401 {messages.INVALID_API_KEY.format(masked=keys.mask(typo))}\n"
    assert key not in result.stderr and typo not in result.stderr


def test_lesson_01_stripe_with_a_revoked_key_says_why(lesson_project, payground_server):
    session = (lesson_project / "home" / "session").read_text().strip()
    key = next(line.split("=", 1)[1] for line in (lesson_project / ".env").read_text().splitlines()
               if line.startswith("STRIPE_SECRET_KEY="))
    sandbox = {"Authorization": f"Bearer {session}"}
    listed = requests.get(payground_server.url_for("/sandbox/keys"), headers=sandbox,
                          timeout=30).json()["data"]
    key_id = next(k["id"] for k in listed if k["redacted"] == f"{key[:8]}...{key[-4:]}")
    requests.post(payground_server.url_for(f"/sandbox/keys/{key_id}/revoke"), headers=sandbox,
                  timeout=30).raise_for_status()
    result = subprocess.run(program("01-first-charge", "charge_with_stripe.py"),
                            cwd=lesson_project, capture_output=True, text=True, timeout=120)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"401 {messages.EXPIRED_API_KEY.format(masked=keys.mask(key))}\n"


def test_lesson_01_stripe(lesson_project):
    out = run(program("01-first-charge", "charge_with_stripe.py"), cwd=lesson_project)
    first, second = out.splitlines()
    assert re.fullmatch(r"ch_\w+ succeeded True", first)
    assert second == "declined: card_declined insufficient_funds Your card has insufficient funds."


def test_lesson_01_go_live(lesson_project):
    out = run(program("01-first-charge", "go_live.py"), cwd=lesson_project)
    first, second = out.splitlines()
    assert first == "test card in live mode: card_declined live_mode_test_card"
    assert re.fullmatch(r"live charge: ch_\w+ succeeded True", second)


def test_lesson_output_never_shows_a_secret_key(lesson_project):
    secrets = [line.split("=", 1)[1] for line in (lesson_project / ".env").read_text().splitlines()
               if line.startswith(("STRIPE_SECRET_KEY", "STRIPE_LIVE_SECRET_KEY"))]
    assert len(secrets) == 2
    for name in ("charge_with_requests.py", "charge_with_stripe.py", "go_live.py"):
        out = run(program("01-first-charge", name), cwd=lesson_project)
        assert not any(secret in out for secret in secrets)


# --- a learner's mistakes: one line that says what is wrong and what to do, no traceback -----

HELPERS = {"settings.py", "config.py", "sandbox.py", "envfile.py", "acme.py"}  # imported only
ARGS = {"shop.py": ["tok_visa"], "find_charge.py": ["ch_x"], "pay_server.py": ["tok_x"],
        "replay_code.py": ["ac_x"]}
NO_ENV = "STRIPE_SECRET_KEY is not set (no .env here?): run `payground init` in this folder"
LOAD_ENV = "{} is not set: load .env first (set -a; . ./.env; set +a)"
NO_SESSION = "no dashboard session in {home}/session: run `payground init` first"
NO_TEAM_KEY = "{} is not set: run `python make_team_keys.py` in this folder first"
NOT_INITIALISED = "no .env here: run `payground init` in this folder first"
NO_SERVER = "Payground is not answering at {url}: start it with `payground serve`"
NO_HANDLER = "nothing answers at {url}/webhook: start the handler first (python handler.py)"

BEFORE_INIT = {  # run in an empty folder, with no session and no key in the environment
    "01-first-charge/charge_with_requests.py": NO_ENV,
    "01-first-charge/charge_with_stripe.py": NO_ENV,
    "01-first-charge/go_live.py": "STRIPE_LIVE_SECRET_KEY is not set: run `payground activate` "
                                  "in this folder first",
    "02-storing-keys/check_setup.py": "STRIPE_SECRET_KEY is not set: run `payground init`, or "
                                      "export it.",
    "02-storing-keys/leak_on_purpose.py": NOT_INITIALISED,
    "03-restricted-keys/admin_backend.py": NO_ENV,
    "03-restricted-keys/analytics_report.py": NO_TEAM_KEY.format("ANALYTICS_STRIPE_KEY"),
    "03-restricted-keys/contain_leak.py": NO_TEAM_KEY.format("MARKETING_STRIPE_KEY"),
    "03-restricted-keys/leaked_key.py": NO_TEAM_KEY.format("MARKETING_STRIPE_KEY"),
    "03-restricted-keys/make_team_keys.py": NOT_INITIALISED,
    "03-restricted-keys/marketing_dashboard.py": NO_TEAM_KEY.format("MARKETING_STRIPE_KEY"),
    "04-rolling-keys/finish_roll.py": NOT_INITIALISED,
    "04-rolling-keys/roll_key.py": NOT_INITIALISED,
    "04-rolling-keys/worker.py": NOT_INITIALISED,
    "05-test-to-live/activate.py": NOT_INITIALISED,
    "05-test-to-live/customer.py": LOAD_ENV.format("STRIPE_PUBLISHABLE_KEY"),
    "05-test-to-live/find_charge.py": LOAD_ENV.format("STRIPE_SECRET_KEY"),
    "05-test-to-live/payout.py": LOAD_ENV.format("STRIPE_SECRET_KEY"),
    "05-test-to-live/shop.py": LOAD_ENV.format("STRIPE_SECRET_KEY"),
    "06-keys-in-the-browser/checkout_page.py": LOAD_ENV.format("STRIPE_PUBLISHABLE_KEY"),
    "06-keys-in-the-browser/pay_server.py": LOAD_ENV.format("STRIPE_SECRET_KEY"),
    "07-webhooks/deliveries.py": NO_SESSION,
    "07-webhooks/forge.py": NO_HANDLER,
    "07-webhooks/handler.py": "STRIPE_WEBHOOK_SECRET is not set: run python register.py, then "
                              "load .env (set -a; . ./.env; set +a)",
    "07-webhooks/pay.py": LOAD_ENV.format("STRIPE_SECRET_KEY"),
    "07-webhooks/register.py": LOAD_ENV.format("STRIPE_SECRET_KEY"),
    "07-webhooks/roll_secret.py": NO_SESSION,
    "08-leak-drill/contain.py": NO_SESSION,
    "08-leak-drill/leak.py": NO_SESSION,
    "08-leak-drill/watch.py": NO_SESSION,
    "09-oauth/acme_site.py": NOT_INITIALISED,
    "09-oauth/business/disconnect.py": NOT_INITIALISED,
    "09-oauth/business/sales.py": NOT_INITIALISED,
    "09-oauth/register_app.py": NOT_INITIALISED,
    "09-oauth/replay_code.py": NOT_INITIALISED,
    "09-oauth/report.py": NOT_INITIALISED,
}
# With everything set up but no server at STRIPE_API_BASE. Left out: check_bundle.py (no
# server needed), handler.py (a server itself), worker.py (counts failed requests, by design),
# finish_roll.py (no roll in progress: it asks nothing; its first request is roll_key.py's,
# through config.find_key), acme_site.py (a server itself) and report.py (no business
# connected: it has no account to ask about). make_team_keys.py, the team keys in .env already,
# still asks whose the saved session is.
SERVER_STOPPED = {name: NO_HANDLER if name == "07-webhooks/forge.py" else NO_SERVER
                  for name in BEFORE_INIT if Path(name).name not in (
                      "handler.py", "worker.py", "finish_roll.py", "acme_site.py",
                      "report.py")}
# Lessons 5 to 7 read .env's values from the environment only: with .env and a session in
# place but .env not loaded into the shell (a new terminal), each says to load it, rather than
# look for a server at the default address (a workshop's is elsewhere). Left out: forge.py,
# which posts to WEBHOOK_URL and needs nothing from .env.
NOT_LOADED = {
    "05-test-to-live/activate.py": LOAD_ENV.format("STRIPE_API_BASE"),
    "05-test-to-live/customer.py": LOAD_ENV.format("STRIPE_PUBLISHABLE_KEY"),
    "05-test-to-live/find_charge.py": LOAD_ENV.format("STRIPE_SECRET_KEY"),
    "05-test-to-live/payout.py": LOAD_ENV.format("STRIPE_SECRET_KEY"),
    "05-test-to-live/shop.py": LOAD_ENV.format("STRIPE_SECRET_KEY"),
    "06-keys-in-the-browser/checkout_page.py": LOAD_ENV.format("STRIPE_PUBLISHABLE_KEY"),
    "06-keys-in-the-browser/pay_server.py": LOAD_ENV.format("STRIPE_SECRET_KEY"),
    "07-webhooks/deliveries.py": LOAD_ENV.format("STRIPE_API_BASE"),
    "07-webhooks/handler.py": BEFORE_INIT["07-webhooks/handler.py"],
    "07-webhooks/pay.py": LOAD_ENV.format("STRIPE_SECRET_KEY"),
    "07-webhooks/register.py": LOAD_ENV.format("STRIPE_SECRET_KEY"),
    "07-webhooks/roll_secret.py": LOAD_ENV.format("STRIPE_SECRET_KEY"),
}
SET_UP = {  # made-up keys of the right shapes: no server will see them
    "STRIPE_SECRET_KEY": "sk_test_" + "0" * 38, "STRIPE_PUBLISHABLE_KEY": "pk_test_" + "0" * 38,
    "STRIPE_LIVE_SECRET_KEY": "sk_live_" + "0" * 38,
    "STRIPE_LIVE_PUBLISHABLE_KEY": "pk_live_" + "0" * 38,
    "ANALYTICS_STRIPE_KEY": "rk_test_" + "1" * 38, "MARKETING_STRIPE_KEY": "rk_test_" + "2" * 38,
    "STRIPE_WEBHOOK_SECRET": "whsec_" + "0" * 32,
}


def _dead_url() -> str:
    """An address where nothing listens (a port the system just handed out and took back)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def _mistake_args(name: str, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "WEBHOOK_"))}
    return ([sys.executable, str(TUTORIALS / name), *ARGS.get(Path(name).name, [])],
            {**clean, **env})


def run_mistake(name: str, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    args, env = _mistake_args(name, env)
    return subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=120, env=env)


def start_mistake(name: str, folder: Path, env: dict[str, str]) -> subprocess.Popen:
    """``run_mistake``, started: the caller reads its result with ``communicate``."""
    args, env = _mistake_args(name, env)
    return subprocess.Popen(args, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def test_every_program_is_checked_for_learner_mistakes():
    found = {p.relative_to(TUTORIALS).as_posix() for p in programs()
             if p.name not in HELPERS and p.name != "check_bundle.py"}
    assert found == set(BEFORE_INIT)


@pytest.mark.parametrize("name", sorted(BEFORE_INIT))
def test_a_program_run_before_payground_init_says_what_to_do(name, tmp_path):
    home, url = tmp_path / "home", _dead_url()
    result = run_mistake(name, tmp_path, {"PAYGROUND_HOME": str(home),
                                          "WEBHOOK_URL": f"{url}/webhook"})
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == BEFORE_INIT[name].format(home=home, url=url) + "\n"


def test_every_program_of_lessons_5_to_7_is_checked_for_env_not_loaded():
    lessons = ("05-test-to-live", "06-keys-in-the-browser", "07-webhooks")
    assert set(NOT_LOADED) == {name for name in BEFORE_INIT if name.startswith(lessons)
                               and not name.endswith("/forge.py")}


def test_a_program_run_with_an_earlier_lesson_s_session_but_no_env_asks_for_init(tmp_path):
    # Lesson 1's init saved a session; this folder has no .env, so no STRIPE_API_BASE: the
    # program must not go looking for a server at the default address and call it stopped
    # (a learner's server on --port 5000 is running fine).
    home = tmp_path / "home"
    home.mkdir()
    (home / "session").write_text("sess_" + "0" * 43 + "\n")
    result = run_mistake("02-storing-keys/leak_on_purpose.py", tmp_path,
                         {"PAYGROUND_HOME": str(home)})
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == NOT_INITIALISED + "\n"


def _logged_in_project(tmp_path):
    """A folder where `payground init` ran (a session, a .env) against a server now gone."""
    home, url = tmp_path / "home", _dead_url()
    home.mkdir()
    (home / "session").write_text("sess_" + "0" * 43 + "\n")
    env = {**SET_UP, "STRIPE_API_BASE": url}
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    return home, url, env


@pytest.mark.parametrize("name", sorted(NOT_LOADED))
def test_a_program_run_before_loading_env_says_to_load_it(name, tmp_path):
    home, url, env = _logged_in_project(tmp_path)
    result = run_mistake(name, tmp_path, {"PAYGROUND_HOME": str(home)})
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == NOT_LOADED[name] + "\n"


@pytest.fixture(scope="module")
def server_stopped_runs(request, tmp_path_factory):
    """The selected cases of the server-stopped test, their programs started all at once.

    A program on the stripe SDK retries a refused connection twice, with backoff: ~1.3 s
    asleep before it gives up. One case after another, those sleeps added ~18 s to the
    suite; started together they overlap. Each case is still its own test, running its own
    program in a folder of its own, and reads only its own program's result.
    """
    names = sorted({item.callspec.params["name"] for item in request.session.items
                    if getattr(item, "obj", None)
                    is test_a_program_run_with_the_server_stopped_says_to_start_it})
    started: dict[str, tuple[str, subprocess.Popen]] = {}
    try:
        for name in names:
            folder = tmp_path_factory.mktemp("server-stopped")
            home, url, env = _logged_in_project(folder)
            # Lessons 5 to 7 read their keys from the environment: `set -a; . ./.env; set +a`.
            started[name] = url, start_mistake(name, folder, {
                **env, "PAYGROUND_HOME": str(home), "WEBHOOK_URL": f"{url}/webhook"})
        yield started
    finally:
        for _url, process in started.values():
            if process.poll() is None:  # its test did not run (stopped early, -x)
                process.kill()
            process.communicate()


@pytest.mark.parametrize("name", sorted(SERVER_STOPPED))
def test_a_program_run_with_the_server_stopped_says_to_start_it(name, server_stopped_runs):
    url, process = server_stopped_runs[name]
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, stdout + stderr
    assert stderr == SERVER_STOPPED[name].format(url=url) + "\n"


# `STRIPE_SECRET_KEY=` in .env (a key deleted by hand, a template copied): the programs said
# "not set (no .env here?)" beside a .env, or sent an empty key and printed the server's
# puzzled answer ("... is not a key of the signed-in account", "Invalid keys[0]").
EMPTY_READ = ("STRIPE_SECRET_KEY is empty: run `payground init` in this folder (it writes a "
              "working key to .env)")
EMPTY_IN_ENV = ("STRIPE_SECRET_KEY is empty in .env: run `payground init` in this folder (it "
                "writes a working key there)")
# Lesson 2's programs also run in CI, where an unset secret reads as empty and no .env helps.
EMPTY_SETTINGS = EMPTY_READ + "; in CI, set the secret the job reads it from"
EMPTY_LOADED = ("STRIPE_SECRET_KEY is empty: run `payground init` in this folder, then load "
                ".env again (set -a; . ./.env; set +a)")
EMPTY_KEY = {
    **{name: EMPTY_READ for name in (
        "01-first-charge/charge_with_requests.py", "01-first-charge/charge_with_stripe.py",
        "03-restricted-keys/admin_backend.py")},
    "02-storing-keys/check_setup.py": EMPTY_SETTINGS,
    **{name: EMPTY_IN_ENV for name in (
        "04-rolling-keys/roll_key.py", "04-rolling-keys/worker.py",
        "08-leak-drill/contain.py", "08-leak-drill/leak.py", "08-leak-drill/watch.py",
        "09-oauth/acme_site.py", "09-oauth/business/disconnect.py", "09-oauth/business/sales.py",
        "09-oauth/register_app.py", "09-oauth/replay_code.py", "09-oauth/report.py")},
    **{name: EMPTY_LOADED for name in (
        "05-test-to-live/find_charge.py", "05-test-to-live/payout.py", "05-test-to-live/shop.py",
        "06-keys-in-the-browser/pay_server.py", "07-webhooks/pay.py", "07-webhooks/register.py",
        "07-webhooks/roll_secret.py")},
}
# The others use no STRIPE_SECRET_KEY: another key (go_live.py, lesson 3's team keys, the
# publishable key), the dashboard session only, or none (forge.py, handler.py); finish_roll.py
# stops first when no roll is in progress (a key emptied during a roll: test_tutorials_keys.py).
NO_SECRET_KEY = {
    "01-first-charge/go_live.py", "02-storing-keys/leak_on_purpose.py",
    "03-restricted-keys/analytics_report.py", "03-restricted-keys/contain_leak.py",
    "03-restricted-keys/leaked_key.py", "03-restricted-keys/make_team_keys.py",
    "03-restricted-keys/marketing_dashboard.py", "04-rolling-keys/finish_roll.py",
    "05-test-to-live/activate.py", "05-test-to-live/customer.py",
    "06-keys-in-the-browser/checkout_page.py", "07-webhooks/deliveries.py",
    "07-webhooks/forge.py", "07-webhooks/handler.py",
}


def test_every_program_is_checked_for_an_empty_secret_key_or_uses_none():
    assert not set(EMPTY_KEY) & NO_SECRET_KEY
    assert set(EMPTY_KEY) | NO_SECRET_KEY == set(BEFORE_INIT)


@pytest.mark.parametrize("name", sorted(EMPTY_KEY))
def test_a_program_with_an_empty_key_in_env_says_to_run_init(name, tmp_path):
    home, url, env = _logged_in_project(tmp_path)
    env["STRIPE_SECRET_KEY"] = ""
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
    # Lessons 5 to 7 read the environment only: .env loaded as their READMEs say.
    loaded = env if EMPTY_KEY[name] is EMPTY_LOADED else {}
    result = run_mistake(name, tmp_path, {**loaded, "PAYGROUND_HOME": str(home),
                                          "WEBHOOK_URL": f"{url}/webhook"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == EMPTY_KEY[name] + "\n"
    assert "STRIPE_SECRET_KEY" not in result.stdout  # check_setup.py's .env lines come first


def test_check_setup_in_a_ci_job_whose_secret_is_not_set_says_so(tmp_path):
    """GitHub Actions hands an unset secret to the job as an empty variable: lesson 2's CI
    job (no .env, which it must not get) was told to run `payground init` only."""
    result = run_mistake("02-storing-keys/check_setup.py", tmp_path,
                         {"STRIPE_SECRET_KEY": "", "PAYGROUND_HOME": str(tmp_path / "home")})
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == EMPTY_SETTINGS + "\n"
