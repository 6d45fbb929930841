"""The ``payground`` command: init and demo against a live server, serve as a real process."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from payground import __version__
from payground.cli import _display_url, _ensure_gitignored, _scrubbing_formatter, main

PASSWORD = "correct horse battery"
KEY = re.compile(r"^(sk|pk|rk)_(test|live)_[0-9A-Za-z]{38}$")


# --- fixtures and helpers ------------------------------------------------------------------

DOMAIN = "example.com"


@pytest.fixture(autouse=True)
def unique_domain(monkeypatch):
    """A fresh e-mail domain per test: on PostgreSQL every test shares one database."""
    import secrets

    monkeypatch.setattr(sys.modules[__name__], "DOMAIN", f"t{secrets.token_hex(4)}.example.com")


@pytest.fixture
def server(app_config):
    """The real app, served over HTTP on a free loopback port (in a thread)."""
    from payground.testing import Server

    with Server(config=app_config) as running:
        yield running
        running.check_errors()


@pytest.fixture
def project(tmp_path, monkeypatch):
    """An empty project directory, made the current directory."""
    path = tmp_path / "project"
    path.mkdir()
    monkeypatch.chdir(path)
    return path


@pytest.fixture
def cli_home(tmp_path):
    return tmp_path / "cli-home"


@pytest.fixture
def run(cli_home):
    """Invoke the CLI in-process, isolated from any PAYGROUND_* variables of the caller (and
    from STRIPE_* ones: a shell that loaded a .env would add a note to what init prints)."""
    clean = {name: None for name in os.environ if name.startswith(("PAYGROUND_", "STRIPE_"))}

    def invoke(*args: str, input: str | None = None, env: dict | None = None):
        return CliRunner(env={**clean, **(env or {})}).invoke(
            main, ["--home", str(cli_home), *args], input=input)

    return invoke


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def env_lines(path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines()
                if line and not line.startswith("#"))


def mask(key: str) -> str:
    return f"{key[:8]}...{key[-4:]}"


def refused_url():
    """An address that refuses connections: a bound socket that never listens."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock, f"http://127.0.0.1:{sock.getsockname()[1]}"


class OtherServer:
    """A loopback HTTP server that is not this Payground. With ``version`` it answers
    ``GET /sandbox/version`` as a Payground of that version would; every other request (and
    that one too, without ``version``) gets Stripe's JSON 404 for a route it does not have, as
    a Payground of another version answers what it lacks. With ``page=True`` it is no API at
    all: an HTML page for everything, with ``status`` (404: a page it does not have; 502: a
    proxy whose server is down).

    ``with OtherServer(version="0.0.9") as other: ... other.url ... other.paths``
    """

    def __init__(self, version: str | None = None, page: bool = False,
                 status: int = 404) -> None:
        import http.server
        import threading

        self.paths: list[str] = []
        outer, page_status = self, status

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                outer.paths.append(f"{self.command} {self.path}")
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if page:
                    status, kind, body = page_status, "text/html", b"<h1>Not Found</h1>"
                elif version is not None and self.path == "/sandbox/version":
                    status, kind = 200, "application/json"
                    body = json.dumps({"object": "payground", "version": version}).encode()
                else:
                    status, kind = 404, "application/json"
                    body = json.dumps({"error": {
                        "type": "invalid_request_error",
                        "message": f"Unrecognized request URL ({self.command}: {self.path}). "
                                   "Please see https://stripe.com/docs or we can help at "
                                   "https://support.stripe.com/."}}).encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = answer

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> OtherServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


class RawServer:
    """A loopback TCP server that answers every connection with ``reply`` (bytes, sent
    after reading the request; an HTTP one says ``Connection: close``) and closes it:
    something that is not Payground, or not HTTP at all.
    ``with RawServer(b"-ERR unknown command\\r\\n") as other: ... other.url``"""

    def __init__(self, reply: bytes) -> None:
        import threading

        self._reply = reply
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)  # serve() looks at `_stop` this often
        self._stop = threading.Event()
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                connection.recv(65536)
                connection.sendall(self._reply)

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()


def customers(url: str, key: str) -> list[dict]:
    response = requests.get(f"{url}/v1/customers", params={"limit": 100},
                            headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["data"]


# --- the group -----------------------------------------------------------------------------


def test_version(run):
    result = run("--version")
    assert result.exit_code == 0
    assert result.output == f"payground, version {__version__}\n"


def test_help_lists_the_commands(run):
    result = run("--help")
    assert result.exit_code == 0
    commands = [line.split()[0] for line in result.output.split("Commands:\n", 1)[1].splitlines()]
    assert commands == ["activate", "clock", "demo", "init", "keys", "leak", "ledger", "login",
                        "scan", "serve", "tutorial"]
    assert "versionadded" not in result.output


def test_cli_module_imports_nothing_heavy():
    code = ("import sys, payground.cli; "
            "print(sorted(m for m in ('flask', 'sqlalchemy', 'requests', 'faker', 'gunicorn', "
            "'granian', 'waitress', 'werkzeug', 'marshmallow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out == "[]\n"


def test_each_command_is_found_in_the_module_the_cli_names_for_it():
    # Command modules are imported on use (cli/__init__.py): a command missing from _COMMANDS
    # would vanish from `payground --help`, one named with the wrong module would not run.
    # Every module of the package is imported, not only the table's: a new module's commands
    # are found even when the table does not name it.
    code = ("import importlib, json, pkgutil, payground.cli as cli; "
            "[importlib.import_module('payground.cli.' + m.name) "
            "for m in pkgutil.iter_modules(cli.__path__)]; "
            "print(json.dumps({n: c.callback.__module__ for n, c in cli.main.commands.items()}))")
    found = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                      text=True, check=True).stdout)
    from payground.cli import _COMMANDS

    assert found == {name: f"payground.cli.{module}" for name, module in _COMMANDS.items()}


def test_a_mistyped_command_is_answered_with_the_one_meant():
    # Click suggests from the commands loaded; they are loaded on use (cli/__init__.py).
    result = subprocess.run([sys.executable, "-m", "payground", "serv"], capture_output=True,
                            text=True)
    assert result.returncode == 2
    assert result.stderr.endswith("Error: No such command 'serv'. Did you mean 'serve'?\n")


def test_serve_imports_no_other_command_s_module():
    # Through click's own resolution of the command name (_Group.resolve_command), as run.
    code = ("import sys, payground.cli as cli; "
            "cli.main(['serve', '--help'], standalone_mode=False); "
            "print(sorted(m for m in sys.modules if m.startswith('payground.cli')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.splitlines()[-1] == "['payground.cli', 'payground.cli.server']"


def test_an_app_on_sqlite_does_not_import_postgresql_s_dialect(tmp_path):
    # ~15 ms of every start-up, for a driver SQLite deployments never use.
    code = ("import json, sys; from payground.app import create_app; "
            f"create_app({{'HOME': {str(tmp_path)!r}}}); "
            "print(json.dumps(sorted(m for m in sys.modules "
            "if m.startswith('sqlalchemy.dialects.'))))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGROUND_")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout
    loaded = json.loads(out)
    assert "sqlalchemy.dialects.sqlite" in loaded
    assert not [m for m in loaded if "postgresql" in m], loaded


# --- init ----------------------------------------------------------------------------------


def test_init_signs_up_and_writes_env_gitignore_and_session(server, project, cli_home, run):
    result = run("init", "--url", server.url, "--email", f"ada@{DOMAIN}",
                 "--password", PASSWORD)

    assert result.exit_code == 0, result.output
    env = env_lines(project / ".env")
    assert list(env) == ["STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_API_BASE"]
    secret, publishable = env["STRIPE_SECRET_KEY"], env["STRIPE_PUBLISHABLE_KEY"]
    assert KEY.match(secret) and secret.startswith("sk_test_")
    assert KEY.match(publishable) and publishable.startswith("pk_test_")
    assert env["STRIPE_API_BASE"] == server.url
    assert mode(project / ".env") == 0o600
    assert (project / ".gitignore").read_text() == ".env\n"
    session = (cli_home / "session").read_text()
    assert re.fullmatch(r"sess_\S+\n", session)
    assert mode(cli_home / "session") == 0o600
    assert mode(cli_home) == 0o700  # made by init: the session's folder is private too
    assert (cli_home / "server_url").read_text() == server.url + "\n"  # for later commands

    # The key works, the session works, and the terminal never saw the full secret.
    assert customers(server.url, secret) == []
    keys = requests.get(f"{server.url}/sandbox/keys", timeout=30,
                        headers={"Authorization": f"Bearer {session.strip()}"})
    assert keys.status_code == 200
    assert [k["secret"] for k in keys.json()["data"] if k["type"] == "publishable"] == \
        [publishable]
    assert secret not in result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"Signed up ada@{DOMAIN} (account acct_")
    assert lines[0].endswith(f") on {server.url}.")
    assert lines[1:8] == [
        "Test keys written to .env (mode 0600):",
        f"  STRIPE_SECRET_KEY={mask(secret)}   (masked here; the full key is only in .env)",
        f"  STRIPE_PUBLISHABLE_KEY={publishable}",
        f"  STRIPE_API_BASE={server.url}",
        "Added .env to .gitignore.",
        f"Session saved in {cli_home / 'session'}.",
        "",
    ]
    assert lines[8:] == [
        "Next step:",
        "  set -a; . ./.env; set +a",
        f'  curl {server.url}/v1/customers -u "$STRIPE_SECRET_KEY:"',
        "The lessons: `payground tutorial` lists them, `payground tutorial 1` copies the first "
        "here.",
    ]


def test_init_in_a_lesson_folder_points_to_its_readme(server, project, run):
    # `payground tutorial 5` copied a lesson here: copying lesson 1 into it would nest it.
    lesson = Path(__file__).parents[1] / "tutorials" / "05-test-to-live" / "README.md"
    (project / "README.md").write_text(lesson.read_text(encoding="utf-8"), encoding="utf-8")
    result = run("init", "--url", server.url, "--email", f"lea@{DOMAIN}",
                 "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "This folder is a lesson: go on with its README.md."


def test_init_twice_logs_in_and_keeps_the_secret_key(server, project, cli_home, run):
    first = run("init", "--url", server.url, "--email", f"ada@{DOMAIN}",
                "--password", PASSWORD)
    assert first.exit_code == 0, first.output
    env_path = project / ".env"
    env_path.write_text(env_path.read_text() + "DATABASE_URL=sqlite:///app.db\n")
    env_path.chmod(0o644)
    before = env_lines(env_path)
    first_session = (cli_home / "session").read_text()

    second = run("init", "--url", server.url, "--email", f"ada@{DOMAIN}",
                 "--password", PASSWORD)

    assert second.exit_code == 0, second.output
    assert env_lines(env_path) == before  # same secret, same publishable key, line kept
    assert mode(env_path) == 0o600
    assert (project / ".gitignore").read_text() == ".env\n"
    assert (cli_home / "session").read_text() != first_session
    secret = before["STRIPE_SECRET_KEY"]
    lines = second.output.splitlines()
    assert lines[0].startswith(f"Logged in as ada@{DOMAIN} (account acct_")
    assert lines[1:7] == [
        f"Kept the STRIPE_SECRET_KEY already in .env ({mask(secret)}): it is an active test "
        "key of this account.",
        "Updated .env (mode 0600):",
        f"  STRIPE_PUBLISHABLE_KEY={before['STRIPE_PUBLISHABLE_KEY']}",
        f"  STRIPE_API_BASE={server.url}",
        ".env is already in .gitignore.",
        f"Session saved in {cli_home / 'session'}.",
    ]
    assert second.stderr == ""
    assert secret not in second.output


def test_init_in_many_folders_uses_none_of_the_failed_log_in_budget(
        app_config, tmp_path, monkeypatch, cli_home, run):
    # A sign-up refused for a taken email counts as a failed log-in; init must not send one
    # when its saved session already names the account (every lesson starts with init).
    from payground.testing import Server

    with Server(config={**app_config, "LOGIN_FAILURE_LIMIT": "5/1m"}) as limited:
        outputs = []
        for lesson in range(1, 8):
            folder = tmp_path / f"lesson-{lesson}"
            folder.mkdir()
            monkeypatch.chdir(folder)
            result = run("init", "--url", limited.url, "--email", f"ada@{DOMAIN}",
                         "--password", PASSWORD)
            assert result.exit_code == 0, result.output
            outputs.append(result.output.splitlines()[0])
        limited.check_errors()

    assert outputs[0].startswith(f"Signed up ada@{DOMAIN} (account acct_")
    assert all(line.startswith(f"Logged in as ada@{DOMAIN} (account acct_")
               for line in outputs[1:]), outputs


def test_init_knows_the_saved_accounts_address_however_it_is_typed(
        app_config, project, cli_home, run):
    # The server knows ADA@... and ａｄａ@... as ada@... (core.emails): init must too, else it
    # signs up first, and the refused sign-up uses the address's whole budget here.
    from payground.testing import Server

    with Server(config={**app_config, "LOGIN_FAILURE_LIMIT": "1/1m"}) as limited:
        first = run("init", "--url", limited.url, "--email", f"ada@{DOMAIN}",
                    "--password", PASSWORD)
        again = run("init", "--url", limited.url, "--email", f"ＡＤＡ@{DOMAIN.upper()}",
                    "--password", PASSWORD)
        limited.check_errors()

    assert first.exit_code == 0, first.output
    assert again.exit_code == 0, again.output
    assert again.output.startswith(f"Logged in as ada@{DOMAIN} (account acct_")


def test_init_waits_out_a_throttled_sign_up_then_signs_up(app_config, wall, project, run,
                                                          monkeypatch):
    """A workshop room behind one address: a few wrong passwords use the address's log-in
    budget, and sign-ups are refused too until the window ends. init waits it out (as
    Retry-After says, told on one line), without sleeping here: the wait moves the clock."""
    from payground.cli import client
    from payground.testing import Server

    waited = []

    def wait(seconds):
        waited.append(seconds)
        wall[0] += seconds

    monkeypatch.setattr(client, "wait", wait)
    wall[0] = wall[0] // 60 * 60 + 50  # the window ends in 10 s
    with Server(config={**app_config, "LOGIN_FAILURE_LIMIT": "2/1m"}) as limited:
        for _ in range(2):
            r = requests.post(limited.url_for("/sandbox/login"), timeout=30,
                              json={"email": f"someone@{DOMAIN}", "password": "a typo!!"})
            assert r.status_code == 401
        result = run("init", "--url", limited.url, "--email", f"ada@{DOMAIN}",
                     "--password", PASSWORD)
        limited.check_errors()

    assert result.exit_code == 0, result.output
    assert waited == [10]
    assert result.stderr == ("Payground refuses log-ins from this address for now (too many "
                             "failed or at once); trying again in 10 s (1 of 3)...\n")
    assert result.stdout.startswith(f"Signed up ada@{DOMAIN} (account acct_")


def test_init_with_a_stale_or_other_session_still_logs_in(server, project, cli_home, run):
    server.signup(email=f"hal@{DOMAIN}", password=PASSWORD)
    (cli_home).mkdir(parents=True, exist_ok=True)
    (cli_home / "session").write_text("sess_logged_out_long_ago\n")
    (cli_home / "server_url").write_text(server.url + "\n")

    result = run("init", "--url", server.url, "--email", f"hal@{DOMAIN}",
                 "--password", PASSWORD)

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Logged in as hal@{DOMAIN} (account acct_")
    other = run("init", "--url", server.url, "--email", f"ivy@{DOMAIN}",
                "--password", PASSWORD)  # the saved session is hal's: ivy signs up
    assert other.exit_code == 0, other.output
    assert other.output.startswith(f"Signed up ivy@{DOMAIN} (account acct_")


def test_init_log_in_without_a_saved_secret_makes_this_folder_a_key(server, project, run):
    account = server.signup(email=f"bob@{DOMAIN}", password=PASSWORD)

    result = run("init", "--url", server.url, "--email", f"bob@{DOMAIN}",
                 "--password", PASSWORD)

    assert result.exit_code == 0, result.output
    values = env_lines(project / ".env")
    new = values.pop("STRIPE_SECRET_KEY")
    assert values == {"STRIPE_PUBLISHABLE_KEY": account.publishable_key,
                      "STRIPE_API_BASE": server.url}
    assert new != account.secret_key and new not in result.output
    assert requests.get(server.url_for("/v1/balance"), timeout=30,
                        headers={"Authorization": f"Bearer {new}"}).status_code == 200
    lines = result.output.splitlines()
    assert re.fullmatch(r"Secret keys are shown only once, when they are created, so Payground "
                        r"cannot show this account's again: created a new test secret key for "
                        r'this folder, key_\w+ "payground init: project".', lines[1]), lines[1]
    assert lines[2:4] == ["Updated .env (mode 0600):",
                          f"  STRIPE_SECRET_KEY={mask(new)}   (masked here; the full key is "
                          "only in .env)"]
    again = run("init", "--url", server.url, "--email", f"bob@{DOMAIN}", "--password", PASSWORD)
    assert again.exit_code == 0, again.output
    assert env_lines(project / ".env")["STRIPE_SECRET_KEY"] == new  # it works: kept


def test_init_replaces_a_secret_that_is_not_this_accounts(server, project, run):
    other = server.signup()
    server.signup(email=f"cy@{DOMAIN}", password=PASSWORD)
    (project / ".env").write_text(f"STRIPE_SECRET_KEY={other.secret_key}\n")

    result = run("init", "--url", server.url, "--email", f"cy@{DOMAIN}",
                 "--password", PASSWORD)

    assert result.exit_code == 0, result.output
    assert env_lines(project / ".env")["STRIPE_SECRET_KEY"] != other.secret_key
    assert (f"  It replaces {mask(other.secret_key)}, which is not an active test secret key "
            "of this account (kept in .env as a comment).") in result.output.splitlines()
    assert (project / ".env").read_text().splitlines()[0] == (
        f"# Replaced by payground, kept in case it is still needed: "
        f"STRIPE_SECRET_KEY={other.secret_key}")
    assert other.secret_key not in result.output


def test_init_says_when_the_shell_holds_another_key_than_env_now_does(server, project, run):
    # The learner loaded a .env with a mistyped key into the shell (`set -a; . ./.env`), then
    # fixed .env with init: programs that load .env would still use the shell's copy.
    assert run("init", "--url", server.url, "--email", f"eve@{DOMAIN}",
               "--password", PASSWORD).exit_code == 0
    typo = env_lines(project / ".env")["STRIPE_SECRET_KEY"] + "x"
    (project / ".env").write_text((project / ".env").read_text().replace(typo[:-1], typo))
    loaded = env_lines(project / ".env")  # the shell, after `set -a; . ./.env; set +a`

    result = run("init", "--url", server.url, "--email", f"eve@{DOMAIN}",
                 "--password", PASSWORD, env=loaded)

    assert result.exit_code == 0, result.output
    fixed = env_lines(project / ".env")["STRIPE_SECRET_KEY"]
    assert fixed != typo
    assert result.stderr == (
        f"Note: your shell has STRIPE_SECRET_KEY={mask(typo)}, not the value in .env, and a "
        "variable already set wins over the file: programs that load .env keep using your "
        "shell's until you load it again: set -a; . ./.env; set +a\n")
    assert typo not in result.output and fixed not in result.output
    # Loaded again, the shell agrees with .env: nothing to say.
    again = run("init", "--url", server.url, "--email", f"eve@{DOMAIN}",
                "--password", PASSWORD, env=env_lines(project / ".env"))
    assert again.exit_code == 0, again.output
    assert again.stderr == ""


def test_init_names_every_shell_value_that_differs_public_ones_whole(server, project, run):
    other = server.signup()
    shell = {"STRIPE_SECRET_KEY": other.secret_key, "STRIPE_API_BASE": "http://127.0.0.1:4242",
             "STRIPE_PUBLISHABLE_KEY": other.publishable_key}

    result = run("init", "--url", server.url, "--email", f"fay@{DOMAIN}",
                 "--password", PASSWORD, env=shell)

    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"Note: your shell has STRIPE_SECRET_KEY={mask(other.secret_key)}, "
        f"STRIPE_PUBLISHABLE_KEY={other.publishable_key}, "
        "STRIPE_API_BASE=http://127.0.0.1:4242, not the values in .env, and a variable already "
        "set wins over the file: programs that load .env keep using your shell's until you "
        "load it again: set -a; . ./.env; set +a\n")
    assert other.secret_key not in result.output


def test_init_masks_a_secret_key_the_shell_holds_under_a_public_name(server, project, run):
    # The keys swapped (lesson 6's mistake): the secret one in STRIPE_PUBLISHABLE_KEY, and an
    # API base with a key in it. Shown by what they hold, not by their names.
    other = server.signup()
    base = f"http://user:{other.secret_key}@127.0.0.1:4242"
    shell = {"STRIPE_PUBLISHABLE_KEY": other.secret_key, "STRIPE_API_BASE": base}

    result = run("init", "--url", server.url, "--email", f"gil@{DOMAIN}",
                 "--password", PASSWORD, env=shell)

    assert result.exit_code == 0, result.output
    assert other.secret_key not in result.stderr and other.secret_key not in result.output
    secret = other.secret_key
    starred = f"{secret[:8]}{'*' * (len(secret) - 12)}{secret[-4:]}"  # as the server's log
    assert result.stderr == (
        f"Note: your shell has STRIPE_PUBLISHABLE_KEY={mask(other.secret_key)}, "
        f"STRIPE_API_BASE=http://user:{starred}@127.0.0.1:4242, not the "
        "values in .env, and a variable already set wins over the file: programs that load "
        ".env keep using your shell's until you load it again: set -a; . ./.env; set +a\n")


def test_init_names_a_variable_the_shell_holds_empty(server, project, run):
    # An empty variable is set as far as python-dotenv and the lessons' load_env go: it wins
    # over .env, and the programs then say the key "is not set", init or no init.
    result = run("init", "--url", server.url, "--email", f"hal@{DOMAIN}",
                 "--password", PASSWORD, env={"STRIPE_SECRET_KEY": ""})

    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Note: your shell has STRIPE_SECRET_KEY= (empty), not the value in .env, and a "
        "variable already set wins over the file: programs that load .env keep using your "
        "shell's until you load it again: set -a; . ./.env; set +a\n")


def test_init_prompts_for_email_and_hides_the_password(server, project, run):
    result = run("init", "--url", server.url, input=f"dee@{DOMAIN}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Email: dee@{DOMAIN}\nPassword: \nSigned up "
                                    f"dee@{DOMAIN}")
    assert PASSWORD not in result.output


def test_init_updates_existing_lines_and_keeps_the_others(server, project, run):
    (project / ".env").write_text(
        "# my settings\nexport STRIPE_SECRET_KEY=sk_test_old\nFLASK_DEBUG=1\n"
        "STRIPE_API_BASE=http://old\nSTRIPE_API_BASE=http://older\n")
    (project / ".gitignore").write_text("node_modules/")  # no final newline

    result = run("init", "--url", server.url + "/", "--email", f"eve@{DOMAIN}",
                 "--password", PASSWORD)

    assert result.exit_code == 0, result.output
    lines = (project / ".env").read_text().splitlines()
    assert lines[0] == "# my settings"
    # The value replaced may be the only copy of a key: kept, as a comment.
    assert lines[1] == ("# Replaced by payground, kept in case it is still needed: "
                        "export STRIPE_SECRET_KEY=sk_test_old")
    assert re.fullmatch(r"export STRIPE_SECRET_KEY=sk_test_\w{38}", lines[2])
    assert lines[3:5] == ["FLASK_DEBUG=1", f"STRIPE_API_BASE={server.url}"]
    assert re.fullmatch(r"STRIPE_PUBLISHABLE_KEY=pk_test_\w{38}", lines[5])
    assert len(lines) == 6
    assert "  It replaces sk_test_..._old, kept in .env as a comment." in result.output.splitlines()
    assert (project / ".gitignore").read_text() == "node_modules/\n.env\n"


def test_init_refuses_an_env_file_it_could_not_update_before_signing_up(server, project, run):
    (project / ".env").write_bytes(b"SHOP=Caf\xe9\n")  # Latin-1: a key added could not be read
    result = run("init", "--url", server.url, "--email", f"gil@{DOMAIN}",
                 "--password", PASSWORD)
    assert result.exit_code == 1
    assert result.stderr == ("Error: .env is not UTF-8 text, so a key could not be added to "
                             "it safely. Nothing was changed.\n")
    assert (project / ".env").read_bytes() == b"SHOP=Caf\xe9\n"
    # No account was made whose key nobody saw: the address is still free.
    (project / ".env").write_text("SHOP=Cafe\n")
    again = run("init", "--url", server.url, "--email", f"gil@{DOMAIN}", "--password", PASSWORD)
    assert again.exit_code == 0 and again.stdout.startswith("Signed up gil@")


def test_init_wrong_password_prints_the_server_message(server, project, run):
    server.signup(email=f"fay@{DOMAIN}", password=PASSWORD)

    result = run("init", "--url", server.url, "--email", f"fay@{DOMAIN}",
                 "--password", "not the password")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: Incorrect email address or password.\n"
    assert not (project / ".env").exists()
    assert not (project / ".gitignore").exists()


def test_init_short_password_prints_the_server_message(server, project, run):
    result = run("init", "--url", server.url, "--email", f"gus@{DOMAIN}",
                 "--password", "short")

    assert result.exit_code == 1
    assert result.stderr == "Error: Passwords must be at least 8 characters long.\n"


def test_init_unreachable_server(project, run):
    sock, url = refused_url()
    with sock:
        result = run("init", "--url", url, "--email", f"hal@{DOMAIN}",
                     "--password", PASSWORD)

    assert result.exit_code == 1
    assert result.stderr == (f"Error: cannot reach Payground at {url}: is `payground serve` "
                             "running there? (use --url for another address)\n")
    assert not (project / ".env").exists()


def test_init_rejects_a_url_without_scheme(run):
    result = run("init", "--url", "localhost:4242", "--email", f"a@{DOMAIN}",
                 "--password", PASSWORD)

    assert result.exit_code == 2
    assert "Invalid value for '--url': 'localhost:4242' is not an http:// or https:// " \
           "address" in result.stderr


# --- the server, checked before anything is asked -----------------------------------------


@pytest.mark.parametrize("command", ["init", "login"])
def test_no_server_there_is_said_before_any_question(command, project, run):
    sock, url = refused_url()
    with sock:
        result = run(command, "--url", url)  # no --email, no --password: they would be asked

    assert result.exit_code == 1
    assert result.stdout == ""  # no "Email: " prompt
    assert result.stderr == (f"Error: cannot reach Payground at {url}: is `payground serve` "
                             "running there? (use --url for another address)\n")
    assert not (project / ".env").exists()


# Every "not a Payground server" message names the version the command expects.
WHERE = (f"Check the address (--url or PAYGROUND_URL): `payground serve` (Payground "
         f"{__version__}) prints the one it listens on.")


@pytest.mark.parametrize("command", ["init", "login"])
def test_a_server_that_is_not_payground_is_said_before_any_question(command, project, run):
    with OtherServer(page=True) as other:
        result = run(command, "--url", other.url)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"Error: {other.url} is not a Payground server (GET "
                             f"/sandbox/version answered HTTP 404). {WHERE}\n")
    assert other.paths == ["GET /sandbox/version"]  # one cheap request, nothing sent


@pytest.mark.parametrize("command", ["init", "login"])
@pytest.mark.parametrize("reply, said", [
    # Another service's port: Redis, SSH ... answer, but not in HTTP.
    (b"-ERR unknown command\r\n",
     "{url} answered GET /sandbox/version, but not in HTTP: it is no web server, let alone "
     "Payground. {where}"),
    # Redis and PostgreSQL take the connection, then close it at an HTTP request unanswered.
    (b"",
     "{url} closed the connection without answering GET /sandbox/version: something listens "
     "there, but not Payground (a database, Redis ...?). {where}"),
    (b"HTTP/1.1 302 Found\r\nLocation: /sandbox/version\r\nContent-Length: 0\r\n"
     b"Connection: close\r\n\r\n",
     "{url} kept redirecting GET /sandbox/version, which no Payground server does. {where}"),
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
     b"Content-Length: 2\r\nConnection: close\r\n\r\n{}",
     "{url} sent an answer to GET /sandbox/version that could not be read: it is not a "
     "Payground server, or the connection broke (then try again). {where}"),
], ids=["not-http", "closed-unanswered", "redirect-loop", "undecodable"])
def test_a_server_that_answers_no_version_says_what_to_do_not_a_traceback(
        command, project, run, reply, said):
    with RawServer(reply) as other:
        result = run(command, "--url", other.url)  # no --email: it would be asked

    assert result.exit_code == 1, result.exception
    assert result.stdout == ""  # no "Email: " prompt
    assert result.stderr == "Error: " + said.format(url=other.url, where=WHERE) + "\n"
    assert not (project / ".env").exists()


# a..b: urllib3's LocationParseError, which requests does not wrap (it was a traceback).
@pytest.mark.parametrize("url", ["http://127.0.0.1:99999", "http://[::1", "http://a..b:4242"])
def test_an_address_that_cannot_be_opened_is_said_not_a_traceback(project, run, url):
    result = run("login", "--url", url)

    assert result.exit_code == 1, result.exception
    assert result.stdout == ""
    assert result.stderr == (f"Error: {url} is not an address that can be opened: check its "
                             "host and port (--url or PAYGROUND_URL).\n")


def test_a_stripe_like_server_without_payground_s_sandbox_is_said_first(project, run):
    with OtherServer(version=None) as other:
        result = run("init", "--url", other.url)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"Error: {other.url} has no GET /sandbox/version: it is not a "
                             f"Payground server, or not the version of this command (Payground "
                             f"{__version__}). Check the address (--url or PAYGROUND_URL), or "
                             "run the same version there.\n")


def test_an_address_with_a_path_is_told_to_leave_it_out(server, project, run):
    result = run("login", "--url", server.url + "/dashboard")  # the address a browser shows

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"Error: {server.url}/dashboard is not a Payground server (GET "
                             "/sandbox/version answered HTTP 200). Check the address (--url or "
                             "PAYGROUND_URL): give the server's address without a path "
                             f"({server.url}? Payground {__version__} answers there, and this "
                             f"command is Payground {__version__}).\n")


def test_a_failing_server_behind_a_path_is_not_told_to_drop_the_path(project, run):
    """A workshop's Payground behind a proxy at https://host/payground, down for a moment: the
    proxy's 502 says nothing about the address, which is right."""
    with OtherServer(page=True, status=502) as proxy:
        result = run("login", "--url", proxy.url + "/payground")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"Error: {proxy.url}/payground answered GET /sandbox/version with "
                             "HTTP 502: the server there, or a proxy in front of it, is failing. "
                             "Try again in a moment, or ask whoever runs it.\n")
    assert proxy.paths == ["GET /payground/sandbox/version"]


def test_a_path_the_server_is_not_under_is_said_without_guessing(project, run):
    with OtherServer(page=True) as other:
        result = run("login", "--url", other.url + "/payground")

    assert result.exit_code == 1
    assert result.stderr == (f"Error: {other.url}/payground is not a Payground server (GET "
                             f"/sandbox/version answered HTTP 404). {WHERE}\n")
    # The root was asked too: a Payground there would have been named.
    assert other.paths == ["GET /payground/sandbox/version", "GET /sandbox/version"]


def test_https_to_the_plain_http_server_says_which(server, project, run):
    url = server.url.replace("http://", "https://")
    result = run("login", "--url", url)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"Error: cannot make an HTTPS connection to {url}: `payground "
                             "serve` speaks plain HTTP (use http://), and a server behind HTTPS "
                             "needs a certificate this machine trusts.\n")


def test_login_asks_once_the_server_answered(server, project, run):
    server.signup(email=f"ola@{DOMAIN}", password=PASSWORD)

    result = run("login", "--url", server.url, input=f"ola@{DOMAIN}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Email: ola@{DOMAIN}\nPassword: \nLogged in as "
                                    f"ola@{DOMAIN} (account acct_")
    assert PASSWORD not in result.output


def test_init_works_with_a_server_of_another_version_that_has_what_it_needs(
        server, project, run, monkeypatch):
    import payground.sandbox.version

    monkeypatch.setattr(payground.sandbox.version, "__version__", "0.0.9")
    result = run("init", "--url", server.url, "--email", f"pat@{DOMAIN}", "--password", PASSWORD)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Signed up pat@{DOMAIN} (account acct_")
    assert result.stderr == ""



def advance_clock_saved_for(url: str, cli_home, run):
    """``payground clock advance 2d`` with a session saved by an earlier ``init`` at ``url``."""
    cli_home.mkdir()
    (cli_home / "session").write_text("sess_from_an_earlier_init\n")
    (cli_home / "server_url").write_text(url + "\n")
    return run("clock", "advance", "2d")

@pytest.mark.parametrize(("version", "said"), [
    ("0.0.9", "it runs Payground 0.0.9, and this command is Payground {ours}. Use the same "
              "version on both sides."),
    (None, "nor GET /sandbox/version: it is not a Payground server, or not the version of this "
           "command (Payground {ours})."),
])
def test_a_route_the_server_lacks_is_said_with_both_versions(project, cli_home, run, version,
                                                             said):
    with OtherServer(version=version) as other:
        result = advance_clock_saved_for(other.url, cli_home, run)

    assert result.exit_code == 1
    assert result.stdout == ""
    separator = ": " if version else ", "
    assert result.stderr == (f"Error: {other.url} has no POST /sandbox/clock/advance"
                             f"{separator}{said.format(ours=__version__)}\n")


def test_a_root_of_another_version_is_named_with_both_versions(server, project, run,
                                                                monkeypatch):
    import payground.sandbox.version

    monkeypatch.setattr(payground.sandbox.version, "__version__", "0.0.9")
    result = run("login", "--url", server.url + "/dashboard")

    assert result.exit_code == 1
    assert result.stderr == (f"Error: {server.url}/dashboard is not a Payground server (GET "
                             "/sandbox/version answered HTTP 200). Check the address (--url or "
                             "PAYGROUND_URL): give the server's address without a path "
                             f"({server.url}? Payground 0.0.9 answers there, and this command "
                             f"is Payground {__version__}).\n")


def test_an_answer_that_is_no_paygrounds_names_the_version_expected(project, cli_home, run):
    """A page (a proxy's, another web server's) where a sandbox route should answer."""
    with OtherServer(page=True) as other:
        result = advance_clock_saved_for(other.url, cli_home, run)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"Error: {other.url} did not answer POST /sandbox/clock/advance "
                             f"like a Payground server (HTTP 404). {WHERE}\n")


def test_a_route_this_version_has_keeps_the_server_s_404(server, project, cli_home, run):
    assert run("init", "--url", server.url, "--email", f"rue@{DOMAIN}",
               "--password", PASSWORD).exit_code == 0

    result = run("leak", "status", "drill_nope")  # a route it has, an object it has not

    assert result.exit_code == 1
    assert result.stderr == "Error: No such leak drill: 'drill_nope'\n"


# --- PAYGROUND_HOME ------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["--home", "PAYGROUND_HOME"])
def test_a_home_that_is_a_file_is_named_as_it_was_set(tmp_path, how):
    home = tmp_path / "home"
    home.write_text("not a folder\n")
    args, env = (["--home", str(home)], {}) if how == "--home" else ([], {"PAYGROUND_HOME":
                                                                          str(home)})
    clean = {name: None for name in os.environ if name.startswith("PAYGROUND_")}
    result = CliRunner(env={**clean, **env}).invoke(main, [*args, "keys", "list"])

    assert result.exit_code == 1
    assert result.stderr == (f"Error: {how} is {home}, a file: Payground needs a folder there "
                             "(its database, key pepper and CLI session).\n")


def _init_with_home(home):
    """`payground init` with PAYGROUND_HOME at ``home`` and no server: it never gets asked."""
    clean = {name: None for name in os.environ if name.startswith("PAYGROUND_")}
    sock, url = refused_url()
    with sock:
        return CliRunner(env={**clean, "PAYGROUND_HOME": str(home)}).invoke(
            main, ["init", "--url", url])


def test_init_refuses_a_home_inside_a_file_before_anything(tmp_path, project):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    result = _init_with_home(blocker / "home")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"Error: PAYGROUND_HOME ({blocker / 'home'}) cannot be a folder: "
                             f"{blocker} is a file. Set PAYGROUND_HOME (or --home) to a "
                             "folder.\n")


def test_init_refuses_a_home_in_a_folder_it_cannot_search(tmp_path, project, monkeypatch):
    """PAYGROUND_HOME inside a folder of someone else's (mode 0700): a non-root user cannot even
    look inside. Simulated here (the tests may run as root): looking inside is refused with
    EACCES, and the folder is not writable."""
    import errno

    locked = tmp_path / "locked"
    locked.mkdir()
    real_stat, real_access = os.stat, os.access

    def stat(path, *args, **kwargs):
        if str(path).startswith(f"{locked}{os.sep}"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: (
        False if str(path) == str(locked) else real_access(path, mode, **kw)))
    result = _init_with_home(locked / "home")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"Error: cannot write in PAYGROUND_HOME ({locked / 'home'}): no "
                             "permission there. Set PAYGROUND_HOME (or --home) to a folder you "
                             "can write.\n")


def test_a_session_read_from_a_home_inside_a_file_is_simply_missing(tmp_path, run):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    result = run("--home", str(blocker / "home"), "keys", "list")

    assert result.exit_code == 1
    assert result.stderr == (f"Error: no session in {blocker / 'home' / 'session'}: run "
                             "`payground init` first. (Have an account already? `payground "
                             "login`.)\n")


@pytest.mark.parametrize(("saved", "reason"), [("a folder", "Is a directory"),
                                               (b"\xff\xfe", "not text")])
def test_a_saved_server_address_that_cannot_be_read_is_said_on_one_line(cli_home, run, saved,
                                                                        reason):
    path = cli_home / "server_url"
    if saved == "a folder":
        path.mkdir(parents=True)
    else:
        cli_home.mkdir()
        path.write_bytes(saved)

    result = run("keys", "list")  # no --url: the address of the last init or login

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"Error: cannot read the saved server address in {path} "
                             f"({reason}): give the address with --url (or PAYGROUND_URL); "
                             "`payground login --url ...` saves it again.\n")


def test_init_with_an_address_given_ignores_an_unreadable_saved_one(server, project, cli_home,
                                                                   run):
    (cli_home / "server_url").mkdir(parents=True)  # read to reuse a session: none then

    result = run("init", "--url", server.url, "--email", f"una@{DOMAIN}", "--password", PASSWORD)

    assert result.exit_code == 1  # the session cannot be saved where that folder is
    assert result.stderr.startswith(f"Error: the keys are in .env; could not save the session "
                                    f"in {cli_home} (Is a directory)")
    assert customers(server.url, env_lines(project / ".env")["STRIPE_SECRET_KEY"]) == []


def test_init_keeps_the_keys_when_the_session_cannot_be_saved(server, project, cli_home, run):
    (cli_home / "session").mkdir(parents=True)  # in the way: the session file cannot be made

    result = run("init", "--url", server.url, "--email", f"sue@{DOMAIN}", "--password", PASSWORD)

    assert result.exit_code == 1
    assert result.stderr == (f"Error: the keys are in .env; could not save the session in "
                             f"{cli_home} (Is a directory): set PAYGROUND_HOME (or --home) to a "
                             "folder you can write, then run `payground login`.\n")
    secret = env_lines(project / ".env")["STRIPE_SECRET_KEY"]
    assert customers(server.url, secret) == []  # the new account's key was not lost


@pytest.mark.parametrize(("before", "after"), [
    (None, ".env\n"),
    ("", ".env\n"),
    ("dist/\n", "dist/\n.env\n"),
    ("dist/", "dist/\n.env\n"),
    (".env\n", ".env\n"),
    ("/.env\n", "/.env\n"),
    (".env*\n", ".env*\n"),
    ("**/.env\n", "**/.env\n"),
    ("# .env\n", "# .env\n.env\n"),
    (".env/\n", ".env/\n.env\n"),  # directories only: does not cover the file
    (".env\n!.env\n", ".env\n!.env\n.env\n"),
])
def test_gitignore_gets_env_once(tmp_path, before, after):
    path = tmp_path / ".gitignore"
    if before is not None:
        path.write_text(before)

    added = _ensure_gitignored(path, ".env")

    assert path.read_text() == after
    assert added is (after != before)


def test_display_url_leaves_the_password_out():
    assert _display_url("postgresql+psycopg://payground:s3cret@db:5432/payground") == \
        "postgresql+psycopg://payground@db:5432/payground"
    assert _display_url("postgresql://u@h/d?password=s3cret&sslmode=require") == \
        "postgresql://u@h/d?sslmode=require"
    assert _display_url("sqlite:////data/payground.db") == "sqlite:////data/payground.db"


def test_server_log_lines_are_scrubbed_of_keys():
    import logging

    from payground.core.keys import generate, mask as spec_mask

    key = generate("secret", False)
    formatter = _scrubbing_formatter(logging.Formatter("[%(levelname)s] %(message)s"))
    record = logging.LogRecord("gunicorn.error", logging.ERROR, __file__, 1,
                               "Error handling request %s", ("/v1/charges?key=" + key,), None)

    assert formatter.format(record) == \
        f"[ERROR] Error handling request /v1/charges?key={spec_mask(key)}"


# --- demo ----------------------------------------------------------------------------------


def test_demo_creates_customers_and_charges(server, project, cli_home, run):
    result = run("demo", "--url", server.url, "--customers", "3", "--charges", "6",
                 "--seed", "7", "--write-env")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    email = re.fullmatch(r"Demo account (demo-[0-9a-f]{8}@example\.com) \(acct_\w+\) on (.+):",
                         lines[0])
    assert email and email[2] == server.url
    assert lines[1] == "  3 customers created"

    demo_env = env_lines(cli_home / "demo.env")
    assert mode(cli_home / "demo.env") == 0o600
    assert demo_env["PAYGROUND_DEMO_EMAIL"] == email[1]
    secret = demo_env["STRIPE_SECRET_KEY"]
    assert env_lines(project / ".env") == {
        "STRIPE_SECRET_KEY": secret,
        "STRIPE_PUBLISHABLE_KEY": demo_env["STRIPE_PUBLISHABLE_KEY"],
        "STRIPE_API_BASE": server.url,
    }
    assert mode(project / ".env") == 0o600
    assert (project / ".gitignore").read_text() == ".env\n"
    assert secret not in result.output
    assert lines[3:] == [
        f"Keys, email and password written to {cli_home / 'demo.env'} (mode 0600); "
        f"secret key {mask(secret)}.",
        "Keys also written to .env (mode 0600); added .env to .gitignore.",
    ]

    made = customers(server.url, secret)
    assert len(made) == 3
    assert sorted(c["description"] for c in made) == [f"Demo customer {n}" for n in (1, 2, 3)]
    assert all(c["metadata"] == {"source": "payground demo"} and c["name"] and c["email"]
               for c in made)

    login = requests.post(f"{server.url}/sandbox/login", timeout=30, json={
        "email": email[1], "password": demo_env["PAYGROUND_DEMO_PASSWORD"]})
    assert login.status_code == 200

    if not any(rule.rule == "/v1/charges" for rule in server.app.url_map.iter_rules()):
        assert lines[2] == "  no charges: this server has no /v1/charges yet"
        return
    summary = re.fullmatch(r"  6 charges: (\d+) succeeded \(\$([\d,]+)\.(\d\d)\), (\d+) declined"
                           r"(?: \((.+)\))?", lines[2])
    assert summary, lines[2]
    succeeded, declined = int(summary[1]), int(summary[4])
    assert succeeded + declined == 6
    charges = requests.get(f"{server.url}/v1/charges", params={"limit": 100}, timeout=30,
                           headers={"Authorization": f"Bearer {secret}"}).json()["data"]
    paid = [c for c in charges if c["status"] == "succeeded"]
    assert len(paid) == succeeded
    assert sum(c["amount"] for c in paid) == int(summary[2].replace(",", "")) * 100 \
        + int(summary[3])


def test_demo_write_env_keeps_the_key_it_replaces_as_a_comment(server, project, run):
    """The key `init` wrote may be the only copy of one: demo's own goes in, and says so."""
    (project / ".env").write_text("STRIPE_SECRET_KEY=sk_test_from_init_Ab12\n")

    result = run("demo", "--url", server.url, "--customers", "0", "--charges", "0",
                 "--write-env")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == [
        "Keys also written to .env (mode 0600); added .env to .gitignore.",
        "  It replaces sk_test_...Ab12, kept in .env as a comment."]
    lines = (project / ".env").read_text().splitlines()
    assert lines[:2] == ["# Replaced by payground, kept in case it is still needed: "
                         "STRIPE_SECRET_KEY=sk_test_from_init_Ab12",
                         f"STRIPE_SECRET_KEY={env_lines(project / '.env')['STRIPE_SECRET_KEY']}"]
    assert mode(project / ".env") == 0o600


def test_demo_keeps_the_keys_out_of_dot_env_unless_asked(server, project, cli_home, run):
    result = run("demo", "--url", server.url, "--customers", "1", "--charges", "0")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:3] == ["  1 customer created", "  no charges asked for"]
    assert not (project / ".env").exists()
    assert not (project / ".gitignore").exists()
    assert (cli_home / "demo.env").exists()


def test_demo_seed_repeats_the_data(server, project, cli_home, run):
    names = []
    for _ in range(2):
        result = run("demo", "--url", server.url, "--customers", "2", "--charges", "0",
                     "--seed", "42")
        assert result.exit_code == 0, result.output
        secret = env_lines(cli_home / "demo.env")["STRIPE_SECRET_KEY"]
        names.append(sorted((c["name"], c["email"]) for c in customers(server.url, secret)))
    assert names[0] == names[1]


def test_demo_unreachable_server(project, run):
    sock, url = refused_url()
    with sock:
        result = run("demo", "--url", url)

    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot reach Payground at {url}: ")


def test_demo_checks_the_server_before_signing_up(project, run):
    with OtherServer(page=True) as other:
        result = run("demo", "--url", other.url)

    assert result.exit_code == 1
    assert result.stderr == (f"Error: {other.url} is not a Payground server (GET "
                             f"/sandbox/version answered HTTP 404). {WHERE}\n")
    assert other.paths == ["GET /sandbox/version"]


def test_demo_refuses_a_home_it_cannot_write_before_signing_up(tmp_path, project, run):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    with OtherServer(version=__version__) as other:
        result = run("--home", str(blocker / "home"), "demo", "--url", other.url)

    assert result.exit_code == 1
    assert result.stderr == (f"Error: --home ({blocker / 'home'}) cannot be a folder: {blocker} "
                             "is a file. Set PAYGROUND_HOME (or --home) to a folder.\n")
    assert other.paths == []  # no account made whose password nobody could read


# --- serve ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def booted_workers(err: str) -> list[str]:
    """Worker PIDs from a server's log: gunicorn's "Booting worker with pid: 12" or granian's
    "Spawning worker-1 with PID: 12"."""
    return re.findall(r"(?:Booting worker with pid|Spawning worker-\d+ with PID): (\d+)", err)


PORT_TAKEN = ("Address already in use", "another Payground server is starting or running")


class ServeProcess:
    """`payground serve` in a subprocess, with a bounded wait for it to answer."""

    def __init__(self, home, *args: str, env: dict[str, str] | None = None) -> None:
        self.home = home
        self.args = args
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PAYGROUND_")}
        self.env["PAYGROUND_HOME"] = str(home)
        self.env.update(env or {})
        self._start()

    def _start(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "payground", "serve", "--port", str(self.port), *self.args],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def signup(self, email: str, deadline: float = 60.0) -> dict:
        """POST /sandbox/signup as soon as the server takes connections (bounded)."""
        give_up, restarts = time.monotonic() + deadline, 0
        while time.monotonic() < give_up:
            try:
                response = requests.post(f"{self.url}/sandbox/signup", timeout=30,
                                         json={"email": email, "password": PASSWORD})
            except requests.ConnectionError:
                try:  # waits a little, and notices a server that died
                    self.proc.wait(timeout=0.05)
                except subprocess.TimeoutExpired:
                    continue
                out, err = self.proc.communicate()
                if restarts < 3 and any(taken in err for taken in PORT_TAKEN):
                    # The port free_port() saw free was taken before the server bound it (by
                    # a server of a test running beside this one, in another CI lane): the
                    # server said so and stopped, as it should. Another port, then.
                    restarts += 1
                    self._start()
                    continue
                pytest.fail(f"payground serve exited with {self.proc.returncode}:\n{out}{err}")
            assert response.status_code == 201, response.text
            return response.json()
        self.stop()
        pytest.fail(f"payground serve did not answer within {deadline} seconds")

    def stop(self) -> tuple[str, str]:
        self.proc.terminate()
        return self.proc.communicate(timeout=60)


def ready_line(process: ServeProcess) -> str:
    home = process.home
    return (f"Payground listening on {process.url} "
            f"(home: {home}, database: sqlite:///{home}/payground.db)")


def test_serve_answers_and_stops_cleanly(serve):
    process = serve()
    body = process.signup(f"ivy@{DOMAIN}")
    secret = body["keys"]["secret"]
    listed = requests.get(f"{process.url}/v1/customers", timeout=30,
                          headers={"Authorization": f"Bearer {secret}"})
    in_url = requests.get(f"{process.url}/v1/customers", params={"key": secret}, timeout=30)

    out, err = process.stop()

    assert listed.status_code == 200 and listed.json()["data"] == []
    assert in_url.status_code == 400
    assert process.proc.returncode == 0
    assert out.splitlines() == [ready_line(process)]
    assert len(booted_workers(err)) == 1  # granian's, the default server
    assert "Spawning worker-1 with PID" in err
    assert "GET /v1/customers" not in err  # no access log
    assert secret not in out + err
    assert mode(process.home / "secret") == 0o600


def test_serve_two_workers_share_one_database(serve):
    # Without Redis, several workers may serve only with rate limits off (see
    # tests/test_rate_limits_workers.py for the refusal, and for two workers sharing Redis).
    process = serve("--workers", "2", env={"PAYGROUND_RATE_LIMITS": "off"})
    secret = process.signup(f"jo@{DOMAIN}")["keys"]["secret"]
    # Separate connections, so the kernel spreads them over both workers.
    statuses = [requests.get(f"{process.url}/v1/customers", timeout=30,
                             headers={"Authorization": f"Bearer {secret}",
                                      "Connection": "close"}).status_code
                for _ in range(10)]

    out, err = process.stop()

    assert statuses == [200] * 10
    assert process.proc.returncode == 0
    assert out.splitlines() == [ready_line(process)]
    assert len(set(booted_workers(err))) == 2


@pytest.mark.slow
@pytest.mark.parametrize("server", ["granian", "gunicorn"])
def test_serve_stops_within_its_grace_period_while_a_request_holds_a_worker(serve, server):
    """README: stopping lets requests in progress finish, and a worker still running 5 s later
    is killed. Under gunicorn it took gunicorn's own default instead, 30 s (a container
    runtime's stop gives 10 s before it kills the whole server)."""
    from payground.cli.server import GRACEFUL_STOP_SECONDS

    process = serve("--server", server)
    secret = process.signup(f"held-{server}@{DOMAIN}")["keys"]["secret"]
    with socket.create_connection(("127.0.0.1", process.port), timeout=30) as held:
        # A request whose body never arrives: its worker waits for it until it is killed.
        held.sendall(b"POST /v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                     + secret.encode() + b"\r\nContent-Type: application/x-www-form-urlencoded"
                     b"\r\nContent-Length: 40\r\n\r\nemail=")
        # Answered after the held connection was accepted (one worker, in order).
        assert requests.get(f"{process.url}/v1/balance", timeout=30,
                            headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        started = time.monotonic()
        process.stop()
        took = time.monotonic() - started

    assert GRACEFUL_STOP_SECONDS - 1 < took < GRACEFUL_STOP_SECONDS + 10


def test_serve_with_waitress(serve):
    process = serve("--server", "waitress", "--threads", "4")
    secret = process.signup(f"kim@{DOMAIN}")["keys"]["secret"]
    listed = requests.get(f"{process.url}/v1/customers", timeout=30,
                          headers={"Authorization": f"Bearer {secret}"})

    out, err = process.stop()

    assert listed.status_code == 200
    assert process.proc.returncode == 0
    assert out.splitlines() == [ready_line(process)]
    assert secret not in out + err


def test_serve_refuses_a_busy_port(run):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("serve", "--port", str(port))

    assert result.exit_code == 1
    assert result.stderr == (f"Error: cannot listen on 127.0.0.1:{port}: Address already in "
                             "use (is another server running there? choose another --port)\n")


ANOTHER_SERVER = ("Error: cannot listen on 127.0.0.1:{port}: another Payground server is "
                  "starting or running on that port (choose another --port)\n")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="a port is claimed on Linux only (granian binds there)")


@linux_only
def test_serve_refuses_a_port_another_payground_server_claimed(run):
    """granian's workers bind with SO_REUSEPORT, which lets a second program of the same user
    bind the port too: two servers started at the same moment both passed the busy-port check
    and the kernel split the connections between them. The first to start claims the port."""
    from payground.cli.server import _claim_port

    port = free_port()
    claim = _claim_port("127.0.0.1", port)  # as a server starting at the same moment would
    try:
        result = run("serve", "--server", "granian", "--port", str(port))
    finally:
        claim.close()

    assert result.exit_code == 1
    assert result.stderr == ANOTHER_SERVER.format(port=port)


@linux_only
def test_a_claimed_port_is_free_again_once_its_server_lets_it_go():
    import click

    from payground.cli.server import _claim_port

    port = free_port()
    claim = _claim_port("127.0.0.1", port)
    with pytest.raises(click.ClickException) as refused:
        _claim_port("127.0.0.1", port)
    with pytest.raises(click.ClickException):  # per port, whatever the address (README)
        _claim_port("0.0.0.0", port)
    claim.close()
    _claim_port("127.0.0.1", port).close()

    assert "Error: " + refused.value.format_message() + "\n" == ANOTHER_SERVER.format(port=port)


@linux_only
def test_port_0_under_granian_takes_another_port_when_its_pick_was_claimed(monkeypatch):
    import payground.cli.server
    from payground.cli.server import _claim_port, _free_claimed_port

    taken = free_port()
    other = next(port for port in iter(free_port, None) if port != taken)
    picks = [taken, other]
    monkeypatch.setattr(payground.cli.server, "_free_port", lambda host: picks.pop(0))
    claim = _claim_port("127.0.0.1", taken)
    try:
        port, mine = _free_claimed_port("127.0.0.1")
        mine.close()
    finally:
        claim.close()

    assert (port, picks) == (other, [])


@pytest.mark.parametrize(("host", "shown"), [
    ("0.0.0.0", "127.0.0.1"), ("::", "::1"), ("", "127.0.0.1"),  # every address: open loopback
    ("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("192.0.2.10", "192.0.2.10"),
    ("localhost", "localhost"), ("workshop.example", "workshop.example"),
])
def test_the_address_shown_is_one_this_machine_can_open(host, shown):
    from payground.cli.server import _local_address

    assert _local_address(host) == shown


def test_serve_refuses_a_home_it_cannot_use(tmp_path, run, monkeypatch):
    import payground.cli.server

    blocker = tmp_path / "blocker"
    blocker.write_text("")
    served = []
    monkeypatch.setattr(payground.cli.server, "_serve_waitress",
                        lambda *args, **kwargs: served.append(args))

    result = run("--home", str(blocker / "home"), "serve", "--server", "waitress", "--port", "0")

    assert (result.exit_code, served) == (1, [])
    assert result.stderr == (f"Error: cannot use {blocker / 'home' / 'secret'} (Not a "
                             "directory): set PAYGROUND_HOME (or --home) to a folder you can "
                             "write.\n")


def test_serve_refuses_a_database_a_newer_version_upgraded(run, cli_home, monkeypatch):
    import sqlalchemy as sa

    import payground.cli.server
    from payground import create_app
    from payground.app import dispose_app
    from payground.migrations import SCHEMA_VERSION

    app = create_app({"HOME": str(cli_home), "RATE_LIMITS": "off"})
    engine = sa.create_engine(app.config["DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE payground_schema SET version = :v"),
                     {"v": SCHEMA_VERSION + 1})
    engine.dispose()
    dispose_app(app)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    served = []  # were it not refused, the test would serve (and wait) instead of failing
    monkeypatch.setattr(payground.cli.server, "_serve_waitress",
                        lambda *args, **kwargs: served.append(args))

    result = run("serve", "--server", "waitress", "--port", str(port))

    assert (result.exit_code, served) == (1, [])
    assert result.stderr == (
        f"Error: the database has been upgraded by a newer Payground (schema version "
        f"{SCHEMA_VERSION + 1}; this one knows up to {SCHEMA_VERSION}). Install the newer "
        "Payground again, or use another PAYGROUND_HOME or PAYGROUND_DATABASE_URL.\n")


def test_serve_refuses_another_applications_database_untouched(run, cli_home, monkeypatch):
    import sqlite3

    import payground.cli.server

    cli_home.mkdir()
    other = sqlite3.connect(cli_home / "payground.db")
    other.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    other.execute("INSERT INTO users VALUES (1, 'ada')")
    other.commit()
    other.close()
    before = (cli_home / "payground.db").read_bytes()
    served = []
    monkeypatch.setattr(payground.cli.server, "_serve_waitress",
                        lambda *args, **kwargs: served.append(args))

    result = run("serve", "--server", "waitress", "--port", "0")

    assert (result.exit_code, served) == (1, [])
    assert result.stderr == (
        "Error: the database is not Payground's: it has other tables (users) and no Payground "
        "schema version. Nothing was changed. Give Payground an empty database (or, on "
        "PostgreSQL, a schema of its own) with PAYGROUND_DATABASE_URL, or another "
        "PAYGROUND_HOME.\n")
    assert (cli_home / "payground.db").read_bytes() == before  # not even switched to WAL


def test_wsgi_module_builds_the_app_from_the_environment(tmp_path, monkeypatch):
    for name in [n for n in os.environ if n.startswith("PAYGROUND_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PAYGROUND_HOME", str(tmp_path / "wsgi-home"))
    monkeypatch.delitem(sys.modules, "payground.wsgi", raising=False)

    import payground.wsgi
    from payground.app import dispose_app

    app = payground.wsgi.app
    try:
        assert app.config["HOME"] == str(tmp_path / "wsgi-home")
        assert app.test_client().get("/v1/customers").status_code == 401
    finally:
        dispose_app(app)
        del sys.modules["payground.wsgi"]


# --- activate ------------------------------------------------------------------------------


def test_activate_writes_live_keys_masked(server, project, cli_home, run):
    assert run("init", "--url", server.url, "--email", f"live@{DOMAIN}",
               "--password", PASSWORD).exit_code == 0
    result = run("activate", "--url", server.url, "--business-name", "Lemonade Stand")
    assert result.exit_code == 0, result.output
    env = env_lines(project / ".env")
    live, live_pk = env["STRIPE_LIVE_SECRET_KEY"], env["STRIPE_LIVE_PUBLISHABLE_KEY"]
    assert KEY.match(live) and live.startswith("sk_live_")
    assert KEY.match(live_pk) and live_pk.startswith("pk_live_")
    assert env["STRIPE_SECRET_KEY"].startswith("sk_test_")  # the test keys are kept
    assert mode(project / ".env") == 0o600
    assert live not in result.output
    assert result.output.splitlines()[:3] == [
        f"Live mode activated for Lemonade Stand ({result.output.split('(')[1].split(')')[0]}).",
        "Live keys written to .env (mode 0600):",
        f"  STRIPE_LIVE_SECRET_KEY={mask(live)}   (masked here; the full key is only in .env)",
    ]
    assert customers(server.url, live) == []
    # Again, here: the keys in .env work, and are kept.
    again = run("activate", "--url", server.url)
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[0].startswith("Live mode was already active for Lemonade "
                                                   "Stand (acct_")
    assert again.output.splitlines()[1:] == [  # kept, not written: nothing new to store
        f"Kept the STRIPE_LIVE_SECRET_KEY already in .env ({mask(live)}): it is an active live "
        "key of this account.",
        f"  STRIPE_LIVE_PUBLISHABLE_KEY={live_pk}",
    ]
    assert env_lines(project / ".env") == env
    # Again, in another folder with no live keys: that folder gets its own live secret key.
    (project / "other").mkdir()
    os.chdir(project / "other")
    elsewhere = run("activate", "--url", server.url)
    assert elsewhere.exit_code == 0, elsewhere.output
    assert elsewhere.output.splitlines()[1] == "Live keys written to .env (mode 0600):"
    other_env = env_lines(project / "other" / ".env")
    assert other_env["STRIPE_LIVE_SECRET_KEY"] not in (live, "")
    assert other_env["STRIPE_LIVE_PUBLISHABLE_KEY"] == live_pk
    assert customers(server.url, other_env["STRIPE_LIVE_SECRET_KEY"]) == []


@pytest.mark.parametrize("first", [True, False])
def test_activate_never_sends_a_key_that_is_not_payground_s(server, project, run, monkeypatch,
                                                            first):
    from payground.cli import client

    assert run("init", "--url", server.url, "--email", f"real@{DOMAIN}",
               "--password", PASSWORD).exit_code == 0
    if not first:
        assert run("activate", "--url", server.url).exit_code == 0
    # A real Stripe live key (its shape, not Payground's), left in the project's .env.
    real = "sk_live_51" + "Ab3" * 33
    env = project / ".env"
    env.write_text(env.read_text().replace("STRIPE_LIVE_SECRET_KEY=", "OLD=")
                   + f"STRIPE_LIVE_SECRET_KEY={real}\n")
    sent = []
    real_call = client._Client.call

    def recording_call(self, method, path, **kwargs):
        sent.append(repr(kwargs))
        return real_call(self, method, path, **kwargs)

    monkeypatch.setattr(client._Client, "call", recording_call)
    result = run("activate", "--url", server.url)

    assert result.exit_code == 0, result.output
    assert not any(real in call for call in sent)
    live = env_lines(env)["STRIPE_LIVE_SECRET_KEY"]
    assert KEY.match(live) and customers(server.url, live) == []
    assert (f"  It replaces {mask(real)}, which is not an active live secret key of this "
            "account (kept in .env as a comment).") in result.output.splitlines()
    assert (f"# Replaced by payground, kept in case it is still needed: "
            f"STRIPE_LIVE_SECRET_KEY={real}") in env.read_text().splitlines()
    assert real not in result.output


def test_activate_says_when_the_shell_holds_another_live_key(server, project, run):
    assert run("init", "--url", server.url, "--email", f"gus@{DOMAIN}",
               "--password", PASSWORD).exit_code == 0
    stale = "sk_live_" + "Zz9" * 12 + "Stal"  # an earlier project's, still exported

    result = run("activate", "--url", server.url, env={"STRIPE_LIVE_SECRET_KEY": stale})

    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"Note: your shell has STRIPE_LIVE_SECRET_KEY={mask(stale)}, not the value in .env, and "
        "a variable already set wins over the file: programs that load .env keep using your "
        "shell's until you load it again: set -a; . ./.env; set +a\n")
    assert stale not in result.output


def test_activate_without_a_session(project, run, server):
    result = run("activate", "--url", server.url)
    assert result.exit_code == 1
    assert "run `payground init` first." in result.output


# --- clock ---------------------------------------------------------------------------------


def test_clock_advance_and_show(server, project, cli_home, run):
    assert run("init", "--url", server.url, "--email", f"clock@{DOMAIN}",
               "--password", PASSWORD).exit_code == 0
    result = run("clock", "advance", "2d", "--url", server.url)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Advanced 172800 s."
    assert lines[1].startswith("Account time: ")
    assert lines[1].endswith("(wall clock + 172800 s: 2 days)")
    shown = run("clock", "show", "--url", server.url)
    assert shown.exit_code == 0 and shown.output.endswith("(wall clock + 172800 s: 2 days)\n")
    # After a few lessons the offset is an odd number of seconds: said in days and hours too.
    run("clock", "advance", "90m", "--url", server.url)
    shown = run("clock", "show", "--url", server.url)
    assert shown.output.endswith("(wall clock + 178200 s: 2 days 1 hour 30 minutes)\n")


def test_clock_advance_rejects_a_bad_duration(server, project, cli_home, run):
    assert run("init", "--url", server.url, "--email", f"clock2@{DOMAIN}",
               "--password", PASSWORD).exit_code == 0
    result = run("clock", "advance", "soon", "--url", server.url)
    assert result.exit_code == 2
    assert "cannot read duration 'soon' (try 90s, 15m, 1h, 2d)" in result.output


@pytest.mark.parametrize("args, refusal", [
    (("clock", "advance", "{key}"), "Invalid value for DURATION: cannot read duration "),
    (("keys", "create", "--expires-at", "{key}"), "Invalid value for '--expires-at': "
                                                   "cannot read "),
    (("keys", "list", "--url", "{key}"), "Invalid value for '--url': "),
    (("scan", "{key}"), "Invalid value for '[PATHS]...': Path "),
])
def test_a_key_given_by_mistake_is_masked_in_the_error(run, args, refusal):
    # click quotes a bad value as typed: a key put in the wrong place (an argument, an
    # environment variable) was printed whole, into the terminal's scrollback or a CI log.
    from payground.core import keys

    key = keys.generate("secret", livemode=True)
    result = run(*(arg.format(key=key) for arg in args))

    assert result.exit_code == 2
    assert refusal + f"'{keys.mask(key)}'" in result.stderr
    assert key[8:-4] not in result.output + result.stderr
