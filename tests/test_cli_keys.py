"""`payground login` and `payground keys list|create|roll|revoke` against a live server.

The server runs on a frozen wall clock (the ``wall`` fixture): only `payground clock advance`
moves the account's time, so expiry times are exact and nothing waits on real time.
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
import requests
from click.testing import CliRunner

from payground import messages
from payground.cli import main
from payground.cli.keys import ONCE_WARNING
from payground.core.keys import mask
from payground.services.keys import PERMISSIONS
from tests.helpers import assert_error

PASSWORD = "correct horse battery"
KEY = re.compile(r"^(sk|pk|rk)_(test|live)_[0-9A-Za-z]{38}$")
NO_SESSION = ("Error: no session in {path}: run `payground init` first. "
              "(Have an account already? `payground login`.)\n")
HEADER = ["ID", "TYPE", "MODE", "NAME", "KEY", "STATUS", "EXPIRES (UTC)", "LAST USED (UTC)",
          "PERMISSIONS"]


# --- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture
def server(app_config, wall):
    """The real app over HTTP on a loopback port, its clock frozen at ``wall[0]``."""
    from payground.testing import Server

    with Server(config=app_config) as running:
        yield running
        running.check_errors()


@pytest.fixture
def now(wall) -> int:
    """The account time of a fresh account: the frozen wall clock."""
    return int(wall[0])


@pytest.fixture
def cli_home(tmp_path):
    return tmp_path / "cli-home"


@pytest.fixture
def project(tmp_path, monkeypatch):
    path = tmp_path / "project"
    path.mkdir()
    monkeypatch.chdir(path)
    return path


@pytest.fixture
def run(cli_home, server):
    """Invoke the CLI in-process against ``server``, isolated from the caller's PAYGROUND_*
    (and STRIPE_*: a shell that loaded a .env would add a note to what a roll prints)."""
    clean = {name: None for name in os.environ if name.startswith(("PAYGROUND_", "STRIPE_"))}

    def invoke(*args: str, input: str | None = None, env: dict | None = None):
        runner = CliRunner(env={**clean, "PAYGROUND_URL": server.url, **(env or {})})
        return runner.invoke(main, ["--home", str(cli_home), *args], input=input)

    return invoke


def email() -> str:
    """A fresh address: on PostgreSQL every test of a run shares one database."""
    import secrets

    return f"cli-{secrets.token_hex(5)}@example.com"


@pytest.fixture
def account(server, run):
    """A fresh account, logged in with `payground login`."""
    created = server.signup(email=email(), password=PASSWORD)
    result = run("login", "--email", created.email, "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    return created


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def utc(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(timestamp))


def call(server, key: str, method: str = "GET", path: str = "/v1/customers", **kwargs):
    response = requests.request(method, server.url_for(path), timeout=30,
                                headers={"Authorization": f"Bearer {key}"}, **kwargs)
    # assert_error reads Flask's test-client interface.
    return SimpleNamespace(status_code=response.status_code, get_json=response.json,
                           text=response.text)


def api_keys(server, account) -> dict[str, dict]:
    """The account's key objects by id, straight from the sandbox API."""
    body = call(server, account.session, path="/sandbox/keys").get_json()
    return {k["id"]: k for k in body["data"]}


def key_id(server, account, secret: str) -> str:
    redacted = f"{secret[:8]}...{secret[-4:]}"
    return next(k["id"] for k in api_keys(server, account).values()
                if k["redacted"] == redacted)


def created(result) -> tuple[str, str]:
    """The id and the secret a `keys create` or `keys roll` printed."""
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    secret = lines[lines.index("Secret key:") + 1].strip()
    assert KEY.match(secret), secret
    assert lines[lines.index("Secret key:") + 2] == ONCE_WARNING
    found = re.match(r"(?:Rolled .* the new key is|Created \w+ key) (key_\w+) ", lines[0])
    return found[1], secret


def table(output: str) -> list[list[str]]:
    return [re.split(r" {2,}", line) for line in output.splitlines()]


def expired(server, key: str) -> None:
    assert_error(call(server, key), 401, code="api_key_expired",
                 message=messages.EXPIRED_API_KEY.format(masked=mask(key)))


# --- login ---------------------------------------------------------------------------------


def test_login_saves_the_session_readable_by_the_owner_only(server, cli_home, run):
    created_account = server.signup(email=email(), password=PASSWORD)
    previous = os.umask(0)  # the file must be private whatever the umask
    try:
        result = run("login", "--email", created_account.email, "--password", PASSWORD)
    finally:
        os.umask(previous)

    assert result.exit_code == 0, result.output
    path = cli_home / "session"
    assert result.output.splitlines() == [
        f"Logged in as {created_account.email} (account {created_account.id}) on {server.url}.",
        f"Session saved in {path} (mode 0600).",
        "Next: `payground keys list`, or `payground keys create` for a new secret key.",
    ]
    assert mode(path) == 0o600
    # No temporary file left; the server's address is kept with its session.
    assert sorted(p.name for p in path.parent.iterdir()) == ["server_url", "session"]
    assert (cli_home / "server_url").read_text() == server.url + "\n"
    session = path.read_text()
    assert re.fullmatch(r"sess_\S+\n", session) and session.strip() != created_account.session
    me = call(server, session.strip(), path="/sandbox/account")
    assert me.status_code == 200 and me.get_json()["id"] == created_account.id
    assert PASSWORD not in result.output


def test_later_commands_use_the_server_of_the_last_login(server, run):
    # A workshop's server, or another port: --url once, at log-in, and not on every command.
    created_account = server.signup(email=email(), password=PASSWORD)
    logged_in = run("login", "--url", server.url, "--email", created_account.email,
                    "--password", PASSWORD, env={"PAYGROUND_URL": None})
    assert logged_in.exit_code == 0, logged_in.output

    listed = run("keys", "list", env={"PAYGROUND_URL": None})
    assert listed.exit_code == 0, listed.output
    assert table(listed.output)[0] == HEADER

    # --url and PAYGROUND_URL still win: here they point at a port nobody listens on.
    dead = "http://127.0.0.1:9"
    for refused in (run("keys", "list", "--url", dead, env={"PAYGROUND_URL": None}),
                    run("keys", "list", env={"PAYGROUND_URL": dead})):
        assert refused.exit_code == 1
        assert f"cannot reach Payground at {dead}" in refused.output


def test_login_prompts_and_hides_the_password(server, cli_home, run):
    created_account = server.signup(email=email(), password=PASSWORD)

    result = run("login", input=f"{created_account.email}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Email: {created_account.email}\nPassword: \nLogged in as ")
    assert PASSWORD not in result.output
    assert mode(cli_home / "session") == 0o600


def test_login_reads_email_and_password_from_the_environment(server, cli_home, run):
    created_account = server.signup(email=email(), password=PASSWORD)

    result = run("login", env={"PAYGROUND_EMAIL": created_account.email,
                               "PAYGROUND_PASSWORD": PASSWORD})

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Logged in as {created_account.email} ")
    assert (cli_home / "session").exists()


REFUSED_LOGIN = ("Error: Incorrect email address or password. If you have no account yet, "
                 "run `payground init` (it signs up).\n")


@pytest.mark.parametrize("saved_before", [None, "sess_saved_before\n"])
def test_login_with_a_wrong_password_saves_nothing(server, cli_home, run, saved_before):
    address = server.signup(email=email(), password=PASSWORD).email
    if saved_before:
        cli_home.mkdir()
        (cli_home / "session").write_text(saved_before)

    result = run("login", "--email", address, "--password", "not the password")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == REFUSED_LOGIN
    if saved_before:
        assert (cli_home / "session").read_text() == saved_before
    else:
        assert not cli_home.exists()


def test_login_with_an_email_that_has_no_account_points_to_init(server, cli_home, run):
    """The same words as for a wrong password (neither the server nor the CLI tells which
    emails have accounts), and the way to make one."""
    taken = server.signup(email=email(), password=PASSWORD).email

    unknown = run("login", "--email", email(), "--password", PASSWORD)
    wrong = run("login", "--email", taken, "--password", "not the password")

    assert (unknown.exit_code, unknown.stdout, unknown.stderr) == (1, "", REFUSED_LOGIN)
    assert (wrong.exit_code, wrong.stdout, wrong.stderr) == (1, "", REFUSED_LOGIN)
    assert not cli_home.exists()


# --- sessions ------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [("list",), ("create",), ("roll", "key_abc"),
                                  ("revoke", "key_abc", "--yes"), ("revoke", "key_abc")])
def test_keys_without_a_session_says_how_to_get_one(cli_home, run, args):
    result = run("keys", *args)

    assert result.exit_code == 1
    assert result.stderr == NO_SESSION.format(path=cli_home / "session")


def test_keys_with_an_ended_session_says_to_log_in_again(server, account, cli_home, run):
    session = (cli_home / "session").read_text().strip()
    assert call(server, session, "POST", "/sandbox/logout").status_code == 200

    result = run("keys", "list")

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: You did not provide a valid session. Log in with POST /sandbox/login and send "
        "'Authorization: Bearer sess_...'. Your saved session no longer works: run `payground "
        "login` (or `payground init`).\n")


@pytest.mark.parametrize("args", [("clock", "show"), ("clock", "advance", "1h"),
                                  ("ledger", "verify"), ("ledger", "bank"), ("activate",)])
def test_other_commands_with_an_ended_session_say_to_log_in_again(server, account, cli_home,
                                                                  project, run, args):
    session = (cli_home / "session").read_text().strip()
    assert call(server, session, "POST", "/sandbox/logout").status_code == 200

    result = run(*args)

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: You did not provide a valid session. Log in with POST /sandbox/login and send "
        "'Authorization: Bearer sess_...'. Your saved session no longer works: run `payground "
        "login` (or `payground init`).\n")
    assert not (project / ".env").exists()


# --- list ----------------------------------------------------------------------------------


def test_list_shows_every_key_but_no_full_secret(server, account, run):
    backend = created(run("keys", "create", "--name", "backend"))
    reports = created(run("keys", "create", "--restricted", "--name", "reports",
                          "--permission", "customer_read", "--permission", "charge_read"))
    live_secret = account.activate_live()
    secrets_ = [account.secret_key, backend[1], reports[1], live_secret]

    result = run("keys", "list")

    assert result.exit_code == 0, result.output
    for secret in secrets_:
        assert secret not in result.output
    rows = table(result.output)
    assert rows[0] == HEADER
    objects = api_keys(server, account)
    assert sorted(row[0] for row in rows[1:]) == sorted(objects)
    by_id = {row[0]: row for row in rows[1:]}
    assert by_id[reports[0]] == [reports[0], "restricted", "test", "reports",
                                 f"{reports[1][:8]}...{reports[1][-4:]}", "active", "-", "-",
                                 "charge_read, customer_read"]
    assert by_id[backend[0]] == [backend[0], "secret", "test", "backend",
                                 f"{backend[1][:8]}...{backend[1][-4:]}", "active", "-", "-",
                                 "-"]
    # Publishable keys are public: the API returns them in full, and so does the table.
    publishable = by_id[key_id(server, account, account.publishable_key)]
    assert publishable[1:5] == ["publishable", "test", "Test publishable key",
                                account.publishable_key]


def test_list_filters_by_mode_and_prints_json(server, account, run):
    live_secret = account.activate_live()

    live = run("keys", "list", "--mode", "live")
    as_json = run("keys", "list", "--mode", "test", "--json")

    assert live.exit_code == 0 and as_json.exit_code == 0
    live_rows = table(live.output)[1:]
    assert sorted((row[1], row[2]) for row in live_rows) == [("publishable", "live"),
                                                              ("secret", "live")]
    assert live_secret not in live.output
    assert account.live_publishable_key in live.output
    body = json.loads(as_json.output)
    assert body["object"] == "list"
    assert sorted((k["type"], k["livemode"]) for k in body["data"]) == [
        ("publishable", False), ("secret", False)]
    assert [k["secret"] for k in body["data"] if "secret" in k] == [account.publishable_key]
    assert account.secret_key not in as_json.output


def test_list_of_a_mode_without_keys(account, run):
    result = run("keys", "list", "--mode", "live")

    assert result.exit_code == 0
    assert result.output == "No live mode keys.\n"


# --- create --------------------------------------------------------------------------------


def test_create_prints_a_secret_key_once_and_it_works(server, account, run):
    result = run("keys", "create", "--name", "backend", "--note", "web app")

    new_id, secret = created(result)
    assert secret.startswith("sk_test_")
    assert result.output.splitlines() == [
        f'Created secret key {new_id} "backend" ({secret[:8]}...{secret[-4:]}, test mode).',
        "Secret key:",
        f"  {secret}",
        ONCE_WARNING,
    ]
    assert ONCE_WARNING == ("This is the only time the full key is shown: it won't be shown "
                            "again. Store it now (a .env file kept out of Git, or a secrets "
                            "manager).")
    assert call(server, secret).status_code == 200
    assert api_keys(server, account)[new_id]["note"] == "web app"


def test_a_read_only_restricted_key_cannot_write(server, account, run):
    result = run("keys", "create", "--restricted", "--permission", "customer_read")

    new_id, secret = created(result)
    assert secret.startswith("rk_test_")
    assert result.output.splitlines()[:2] == [
        f"Created restricted key {new_id} ({secret[:8]}...{secret[-4:]}, test mode).",
        "Permissions: customer_read",
    ]
    assert call(server, secret).status_code == 200
    refused = call(server, secret, "POST", data={"email": "someone@example.com"})
    assert_error(refused, 403, message=messages.MISSING_PERMISSION.format(
        masked=mask(secret), account=account.id, permission="customer_write"))
    assert secret not in refused.text


def test_create_with_an_ip_allowlist_and_a_relative_expiry(server, account, run, now):
    result = run("keys", "create", "--ip", "192.0.2.0/24", "--expires-at", "+1d")

    new_id, secret = created(result)
    assert result.output.splitlines()[1:3] == [
        "Accepted only from: 192.0.2.0/24",
        f"Expires: {utc(now + 86400)} UTC (account time)",
    ]
    assert api_keys(server, account)[new_id]["expires_at"] == now + 86400
    assert_error(call(server, secret), 403, code="api_key_ip_not_allowed",
                 message=messages.IP_NOT_ALLOWED.format(address="127.0.0.1"))


@pytest.mark.parametrize(("given", "expected"), [
    # Before 2038: timestamps are 32-bit integer columns on PostgreSQL.
    ("2037-01-31", datetime(2037, 1, 31, tzinfo=timezone.utc)),
    ("2037-01-31T18:30", datetime(2037, 1, 31, 18, 30, tzinfo=timezone.utc)),
    ("2037-01-31T20:30+02:00", datetime(2037, 1, 31, 18, 30, tzinfo=timezone.utc)),
    ("2117000000", datetime.fromtimestamp(2117000000, timezone.utc)),
])
def test_create_reads_absolute_expiry_times(server, account, run, given, expected):
    new_id, _secret = created(run("keys", "create", "--expires-at", given))

    assert api_keys(server, account)[new_id]["expires_at"] == int(expected.timestamp())


def test_create_refuses_an_unreadable_expiry(account, run):
    result = run("keys", "create", "--expires-at", "tomorrow")

    assert result.exit_code == 2
    assert "Invalid value for '--expires-at': cannot read 'tomorrow' (try YYYY-MM-DD, " \
           "YYYY-MM-DDTHH:MM, a Unix timestamp, or +30d)" in result.stderr


def test_create_writes_the_key_to_an_env_file(server, account, project, run):
    result = run("keys", "create", "--env-file", ".env")
    restricted = run("keys", "create", "--restricted", "--permission", "customer_read",
                     "--env-file", ".env")
    custom = run("keys", "create", "--env-file", ".env", "--env-var", "PAYMENTS_KEY")

    for outcome in (result, restricted, custom):
        assert outcome.exit_code == 0, outcome.output
    env = dict(line.split("=", 1) for line in (project / ".env").read_text().splitlines()
               if not line.startswith("#"))
    assert list(env) == ["STRIPE_SECRET_KEY", "STRIPE_RESTRICTED_KEY", "PAYMENTS_KEY"]
    assert mode(project / ".env") == 0o600
    assert (project / ".gitignore").read_text() == ".env\n"
    secret = env["STRIPE_SECRET_KEY"]
    assert secret not in result.output
    assert result.output.splitlines()[1:] == [
        f"Written to .env (mode 0600): STRIPE_SECRET_KEY={secret[:8]}...{secret[-4:]}   "
        "(masked here; the full key is only in .env)",
        "Added .env to .gitignore.",
    ]
    assert env["STRIPE_RESTRICTED_KEY"].startswith("rk_test_")
    assert env["STRIPE_RESTRICTED_KEY"] not in restricted.output
    custom_key = env["PAYMENTS_KEY"]
    assert custom.output.splitlines()[-1] == (  # .env is already ignored: nothing added
        f"Written to .env (mode 0600): PAYMENTS_KEY={custom_key[:8]}...{custom_key[-4:]}   "
        "(masked here; the full key is only in .env)")
    assert (project / ".gitignore").read_text() == ".env\n"
    for key in env.values():
        assert call(server, key).status_code == 200


def test_create_never_writes_over_a_key_the_env_file_holds(server, account, project, run):
    """`payground init` wrote STRIPE_SECRET_KEY: a new key written over it would lose the one
    that works (still active, known to no one). Refused before anything is created."""
    (project / ".env").write_text(f"STRIPE_SECRET_KEY={account.secret_key}\n")

    result = run("keys", "create", "--env-file", ".env")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: .env already has STRIPE_SECRET_KEY: writing the new key there would lose the "
        "one it holds. Name another variable with --env-var, or another file. Nothing was "
        "created.\n")
    assert (project / ".env").read_text() == f"STRIPE_SECRET_KEY={account.secret_key}\n"
    types = [row.split()[1] for row in run("keys", "list").output.splitlines()[1:]]
    assert sorted(types) == ["publishable", "secret"]  # nothing was created
    named = run("keys", "create", "--env-file", ".env", "--env-var", "BACKEND_KEY")
    assert named.exit_code == 0, named.output
    env = dict(line.split("=", 1) for line in (project / ".env").read_text().splitlines()
               if not line.startswith("#"))
    assert list(env) == ["STRIPE_SECRET_KEY", "BACKEND_KEY"]
    assert env["STRIPE_SECRET_KEY"] == account.secret_key  # the working key is still there
    assert env["BACKEND_KEY"].startswith("sk_test_") and env["BACKEND_KEY"] not in named.output
    for key in env.values():
        assert call(server, key).status_code == 200


def test_create_replaces_a_revoked_key_the_env_file_holds(server, account, project, run):
    """Story 4: the leaked key is revoked, and its successor goes where the app reads it. The
    revoked key in .env is no loss, so `keys create --env-file .env` takes its place."""
    (project / ".env").write_text(f"STRIPE_SECRET_KEY={account.secret_key}\nOTHER=1\n")
    leaked_id = key_id(server, account, account.secret_key)
    assert run("keys", "revoke", leaked_id, "--yes").exit_code == 0

    result = run("keys", "create", "--name", "backend", "--env-file", ".env")

    assert result.exit_code == 0, result.output
    env = dict(line.split("=", 1) for line in (project / ".env").read_text().splitlines()
               if not line.startswith("#"))
    new = env["STRIPE_SECRET_KEY"]
    assert list(env) == ["STRIPE_SECRET_KEY", "OTHER"] and new != account.secret_key
    assert new not in result.output and account.secret_key not in result.output
    shown = mask_display(account.secret_key)
    assert result.output.splitlines()[1:] == [
        f"It replaces {shown} in .env, revoked: that key no longer works.",
        f"Written to .env (mode 0600): STRIPE_SECRET_KEY={mask_display(new)}   "
        "(masked here; the full key is only in .env)",
        "Added .env to .gitignore.",
    ]
    assert call(server, new).status_code == 200
    expired(server, account.secret_key)


def test_create_replaces_an_expired_key_but_not_an_expiring_one(server, account, project,
                                                                 run):
    (project / ".env").write_text(f"STRIPE_SECRET_KEY={account.secret_key}\n")
    rolled = run("keys", "roll", key_id(server, account, account.secret_key),
                 "--expires-in", "1h")
    assert rolled.exit_code == 0, rolled.output

    still_working = run("keys", "create", "--env-file", ".env")  # expiring: it still works

    assert still_working.exit_code == 1
    assert still_working.stderr == (
        "Error: .env already has STRIPE_SECRET_KEY: writing the new key there would lose the "
        "one it holds. Name another variable with --env-var, or another file. Nothing was "
        "created.\n")
    assert run("clock", "advance", "1h").exit_code == 0

    result = run("keys", "create", "--env-file", ".env")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == (
        f"It replaces {mask_display(account.secret_key)} in .env, expired: that key no "
        "longer works.")
    new = (project / ".env").read_text().split("STRIPE_SECRET_KEY=")[1].strip()
    assert call(server, new).status_code == 200


@pytest.mark.parametrize("held", ["sk_test_not-a-key", "sk_test_51" + "Ab3" * 33])
def test_create_never_writes_over_a_value_it_cannot_place(server, account, project, run,
                                                          held):
    """A typo, or a real Stripe key: it may be the only copy of something. (Another account's
    key is refused before this, as the file's: tests/test_cli_owner.py.)"""
    (project / ".env").write_text(f"STRIPE_SECRET_KEY={held}\n")

    result = run("keys", "create", "--env-file", ".env")

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: .env already has STRIPE_SECRET_KEY: writing the new key there would lose the "
        "one it holds. Name another variable with --env-var, or another file. Nothing was "
        "created.\n")
    assert (project / ".env").read_text() == f"STRIPE_SECRET_KEY={held}\n"
    assert call(server, account.secret_key).status_code == 200
    types = [row.split()[1] for row in run("keys", "list").output.splitlines()[1:]]
    assert sorted(types) == ["publishable", "secret"]  # nothing was created


def mask_display(key: str) -> str:
    return f"{key[:8]}...{key[-4:]}"


def test_create_env_file_elsewhere_is_not_added_to_this_gitignore(account, project, tmp_path,
                                                                  run):
    outside = tmp_path / "secrets" / "payments.env"

    result = run("keys", "create", "--env-file", str(outside))

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"Keep {outside} out of version control."
    assert mode(outside) == 0o600
    assert not (project / ".gitignore").exists()


def test_a_key_for_the_health_check_reads_the_account_and_nothing_else(server, account, run):
    # stripe.Account.retrieve() at start-up: the one permission it takes, by Stripe's name.
    result = run("keys", "create", "--restricted", "--permission", "accounts_kyc_basic_read",
                 "--name", "health check")

    _, secret = created(result)
    assert "Permissions: accounts_kyc_basic_read" in result.output.splitlines()
    read = call(server, secret, path="/v1/account")
    assert (read.status_code, read.get_json()["id"]) == (200, account.id)
    assert_error(call(server, secret), 403, message=messages.MISSING_PERMISSION.format(
        masked=mask(secret), account=account.id, permission="customer_read"))
    listed = table(run("keys", "list").output)
    assert [row[-1] for row in listed if row[3] == "health check"] == ["accounts_kyc_basic_read"]
    # Read only: nothing changes an account through /v1.
    refused = run("keys", "create", "--restricted", "--permission", "accounts_kyc_basic_write")
    assert refused.exit_code == 1
    assert refused.stderr == ("Error: Invalid permissions[0]: must be one of "
                              + ", ".join(PERMISSIONS) + "\n")


@pytest.mark.parametrize(("args", "message"), [
    (("--restricted",), "Missing required param: permissions."),
    (("--permission", "charge_read"),
     "Only restricted keys have permissions; a secret key can do everything."),
    (("--mode", "live"), "Live mode is not activated for this account: activate it first "
                         "(POST /sandbox/account/activate, `payground activate`, or Activate "
                         "live mode in the dashboard)."),
    (("--ip", "not-an-address"),
     "Invalid IP address or range: not-an-address (param: ip_allowlist[0])"),
    # A message that does not name its parameter is followed by the param of the error.
    (("--name", "x" * 201), f"Invalid string: {'x' * 57}...; must be at most 200 characters "
                            "(param: name)"),
    (("--expires-at", "2100-01-01"),
     "This value must be less than or equal to 2147483647. (param: expires_at)"),
])
def test_create_prints_the_server_refusal(account, run, args, message):
    result = run("keys", "create", *args)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: {message}\n"


def test_create_refuses_a_past_expiry_in_account_time(account, run, now):
    result = run("keys", "create", "--expires-at", str(now))

    assert result.exit_code == 1
    # The date as well as the timestamp: the option took a date.
    shown = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(now))
    assert result.stderr == (f"Error: Invalid expires_at: must be in the future (account time "
                             f"{now}, {shown}).\n")


# --- roll ----------------------------------------------------------------------------------


def test_roll_keeps_the_old_key_working_for_the_grace_period(server, account, run, now):
    old = account.secret_key
    old_id = key_id(server, account, old)

    result = run("keys", "roll", old_id, "--expires-in", "1h")

    new_id, new = created(result)
    assert result.output.splitlines() == [
        f"Rolled {old_id} ({old[:8]}...{old[-4:]}): the new key is {new_id} "
        f"({new[:8]}...{new[-4:]}).",
        "Secret key:",
        f"  {new}",
        ONCE_WARNING,
        f"The old key {old[:8]}...{old[-4:]} keeps working for 1 hour, until "
        f"{utc(now + 3600)} UTC (account time).",
    ]
    assert call(server, old).status_code == 200
    assert call(server, new).status_code == 200

    assert run("clock", "advance", "3599").exit_code == 0
    assert call(server, old).status_code == 200
    assert run("clock", "advance", "1s").exit_code == 0
    expired(server, old)
    assert call(server, new).status_code == 200
    assert new not in run("keys", "list").output


@pytest.mark.parametrize(("given", "seconds", "said"), [
    ("3600", 3600, "1 hour"), ("7d", 7 * 86400, "7 days"), ("90m", 5400, "90 minutes"),
])
def test_roll_reads_durations(server, account, run, now, given, seconds, said):
    old_id = key_id(server, account, account.secret_key)

    result = run("keys", "roll", old_id, "--expires-in", given)

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].endswith(
        f"keeps working for {said}, until {utc(now + seconds)} UTC (account time).")
    assert api_keys(server, account)[old_id]["expires_at"] == now + seconds


@pytest.mark.parametrize("args", [(), ("--expires-in", "now")])
def test_roll_now_stops_the_old_key_at_once(server, account, run, args):
    old = account.secret_key

    result = run("keys", "roll", key_id(server, account, old), *args)

    _new_id, new = created(result)
    assert result.output.splitlines()[-1] == \
        f"The old key {old[:8]}...{old[-4:]} stopped working now."
    expired(server, old)
    assert call(server, new).status_code == 200


def test_roll_writes_the_new_key_to_an_env_file(server, account, project, run):
    (project / ".env").write_text(f"STRIPE_SECRET_KEY={account.secret_key}\nOTHER=1\n")

    result = run("keys", "roll", key_id(server, account, account.secret_key),
                 "--expires-in", "1h", "--env-file", ".env")

    assert result.exit_code == 0, result.output
    lines = (project / ".env").read_text().splitlines()
    new = lines[0].split("=", 1)[1]
    # The rolled key's own value is written over, not kept as a comment.
    assert lines[1:] == ["OTHER=1"] and new != account.secret_key
    assert new not in result.output and "It replaces" not in result.output
    assert call(server, new).status_code == 200


@pytest.mark.parametrize(("file", "source"), [(".env", "./.env"),
                                              ("conf/shop.env", "conf/shop.env")])
def test_roll_into_a_file_the_shell_loaded_says_to_load_it_again(server, account, project, run,
                                                                 file, source):
    # `set -a; . ./.env`, then a roll: the shell's copy stops when the grace period ends.
    (project / file).parent.mkdir(exist_ok=True)
    (project / file).write_text(f"STRIPE_SECRET_KEY={account.secret_key}\n")
    old = account.secret_key

    result = run("keys", "roll", key_id(server, account, old), "--expires-in", "1h",
                 "--env-file", file, env={"STRIPE_SECRET_KEY": old})

    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"Note: your shell has STRIPE_SECRET_KEY={old[:8]}...{old[-4:]}, not the value in "
        f"{file}, and a variable already set wins over the file: programs that load {file} keep "
        f"using your shell's until you load it again: set -a; . {source}; set +a\n")
    assert old not in result.output


def test_create_into_a_file_says_nothing_of_the_shell(server, account, project, run):
    # A new key in a file of its own (lesson 2's other.env) replaces nothing the shell holds.
    result = run("keys", "create", "--env-file", "other.env",
                 env={"STRIPE_SECRET_KEY": account.secret_key})

    assert result.exit_code == 0, result.output
    assert result.stderr == ""


@pytest.mark.parametrize(("given", "message"), [
    ("soon", "cannot read duration 'soon' (try 90s, 15m, 1h, 2d)"),
    ("8d", "'8d' is more than 7 days, the longest an old key can keep working."),
])
def test_roll_refuses_bad_durations(server, account, run, given, message):
    old_id = key_id(server, account, account.secret_key)

    result = run("keys", "roll", old_id, "--expires-in", given)

    assert result.exit_code == 2
    assert f"Invalid value for '--expires-in': {message}" in result.stderr
    assert api_keys(server, account)[old_id]["status"] == "active"


def test_roll_of_an_expiring_key_prints_the_server_refusal(server, account, run):
    old = account.secret_key
    old_id = key_id(server, account, old)
    assert run("keys", "roll", old_id, "--expires-in", "1h").exit_code == 0

    again = run("keys", "roll", old_id)

    assert again.exit_code == 1
    assert again.stderr == (f"Error: Only an active key can be rolled; {old[:8]}...{old[-4:]} "
                            "is expiring.\n")


# --- revoke --------------------------------------------------------------------------------


def test_revoke_asks_first_then_the_next_request_fails(server, account, run):
    new_id, secret = created(run("keys", "create", "--name", "ci"))
    shown = f"{secret[:8]}...{secret[-4:]}"
    question = (f'Revoke {new_id} ({shown}, test mode, "ci")? Requests made with it will fail '
                "at once [y/N]: ")

    declined = run("keys", "revoke", new_id, input="n\n")

    assert declined.exit_code == 1
    assert declined.output == f"{question}n\nAborted!\n"
    assert call(server, secret).status_code == 200

    accepted = run("keys", "revoke", new_id, input="y\n")

    assert accepted.exit_code == 0, accepted.output
    assert accepted.output == (f"{question}y\nRevoked {new_id} ({shown}): requests made with "
                               "it now fail with 401 api_key_expired.\n")
    expired(server, secret)


def test_revoke_yes_does_not_ask(server, account, run):
    old_id = key_id(server, account, account.secret_key)

    result = run("keys", "revoke", old_id, "--yes")

    assert result.exit_code == 0, result.output
    assert result.output == (f"Revoked {old_id} ({account.secret_key[:8]}..."
                             f"{account.secret_key[-4:]}): requests made with it now fail with "
                             "401 api_key_expired.\n")
    expired(server, account.secret_key)


def test_revoke_refusals_print_the_server_message(server, account, run):
    publishable_id = key_id(server, account, account.publishable_key)
    secret_id = key_id(server, account, account.secret_key)
    assert run("keys", "revoke", secret_id, "--yes").exit_code == 0

    publishable = run("keys", "revoke", publishable_id, "--yes")
    twice = run("keys", "revoke", secret_id, "--yes")

    assert publishable.exit_code == 1
    assert publishable.stderr == "Error: Publishable keys cannot be revoked; roll them instead.\n"
    assert twice.exit_code == 1
    shown = f"{account.secret_key[:8]}...{account.secret_key[-4:]}"
    assert twice.stderr == f"Error: {shown} is already revoked.\n"


def test_revoke_does_not_ask_about_a_key_it_cannot_revoke(server, account, run):
    """Asked "Revoke ...? [y/N]" and then told no: a publishable key, or one revoked already,
    gets the server's refusal at once."""
    publishable_id = key_id(server, account, account.publishable_key)
    secret_id = key_id(server, account, account.secret_key)
    assert run("keys", "revoke", secret_id, "--yes").exit_code == 0

    publishable = run("keys", "revoke", publishable_id, input="")
    twice = run("keys", "revoke", secret_id, input="")

    assert (publishable.exit_code, publishable.stdout) == (1, "")
    assert publishable.stderr == "Error: Publishable keys cannot be revoked; roll them instead.\n"
    shown = f"{account.secret_key[:8]}...{account.secret_key[-4:]}"
    assert (twice.exit_code, twice.stdout) == (1, "")
    assert twice.stderr == f"Error: {shown} is already revoked.\n"


# --- key ids -------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [("roll", "key_nope"), ("revoke", "key_nope", "--yes"),
                                  ("revoke", "key_nope")])
def test_an_unknown_key_id_prints_stripes_message(account, run, args):
    result = run("keys", *args)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: No such api_key: 'key_nope'\n"


@pytest.mark.parametrize("command", ["roll", "revoke"])
def test_a_full_key_is_refused_as_key_id_without_echoing_it(server, account, run, command):
    result = run("keys", command, account.secret_key, *(["--yes"] if command == "revoke" else []))

    assert result.exit_code == 2
    assert "Invalid value for 'KEY_ID': expected a key's id (key_...), as `payground keys " \
           "list` shows it; never the key itself." in result.stderr
    assert account.secret_key not in result.output
    assert call(server, account.secret_key).status_code == 200


def test_keys_help_lists_the_subcommands(run):
    result = run("keys", "--help")

    assert result.exit_code == 0
    commands = [line.split()[0] for line in result.output.split("Commands:\n", 1)[1].splitlines()]
    assert commands == ["create", "list", "revoke", "roll"]
    assert "versionadded" not in result.output


# --- keys are never lost between the server and the file ---------------------------------------


def test_rolling_a_publishable_key_into_an_env_file_keeps_the_secret_key(server, account,
                                                                          project, run):
    (project / ".env").write_text(f"STRIPE_SECRET_KEY={account.secret_key}\n"
                                  f"STRIPE_PUBLISHABLE_KEY={account.publishable_key}\n")
    result = run("keys", "roll", key_id(server, account, account.publishable_key),
                 "--env-file", ".env")
    assert result.exit_code == 0, result.output
    values = dict(line.split("=", 1) for line in (project / ".env").read_text().splitlines())
    assert values["STRIPE_SECRET_KEY"] == account.secret_key
    new = values["STRIPE_PUBLISHABLE_KEY"]
    assert new != account.publishable_key and new.startswith("pk_test_")
    assert f"Written to .env (mode 0600): STRIPE_PUBLISHABLE_KEY={new}" in result.output


def test_a_roll_keeps_another_key_the_variable_held_as_a_comment(server, account, project,
                                                                 run):
    """The wrong key id rolled, or a variable holding another key: the value written over is
    not lost (it may be the only copy of a key that still works); the rolled key's own is."""
    other = account.create_key("secret")
    (project / ".env").write_text(f"STRIPE_SECRET_KEY={other}\n")

    result = run("keys", "roll", key_id(server, account, account.secret_key),
                 "--env-file", ".env")

    assert result.exit_code == 0, result.output
    lines = (project / ".env").read_text().splitlines()
    new = lines[1].split("=", 1)[1]
    assert lines == [f"# Replaced by payground, kept in case it is still needed: "
                     f"STRIPE_SECRET_KEY={other}", f"STRIPE_SECRET_KEY={new}"]
    assert (f"  It replaces {other[:8]}...{other[-4:]}, which is not the rolled key (kept in "
            ".env as a comment).\n") in result.stdout
    assert call(server, other).status_code == 200 and call(server, new).status_code == 200


def test_an_env_file_that_cannot_take_the_key_stops_the_roll_before_it_happens(
        server, account, project, run):
    (project / ".env").write_bytes(b"APP=Caf\xe9\n")  # Latin-1, not UTF-8
    result = run("keys", "roll", key_id(server, account, account.secret_key),
                 "--env-file", ".env")
    assert result.exit_code == 1
    assert result.stderr == ("Error: .env is not UTF-8 text, so a key could not be added to it "
                             "safely. Nothing was changed.\n")
    assert call(server, account.secret_key).status_code == 200  # not rolled
    assert (project / ".env").read_bytes() == b"APP=Caf\xe9\n"


def test_a_write_that_fails_anyway_shows_the_new_key_once(server, account, project, run,
                                                           monkeypatch):
    from payground.cli import envfile

    def full_disk(path, updates, **_options):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(envfile, "_update_env", full_disk)
    result = run("keys", "roll", key_id(server, account, account.secret_key),
                 "--env-file", ".env")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == ("Could not write the new keys ([Errno 28] No space left on device). "
                        "They are shown this once:")
    new = lines[1].strip().split("=", 1)[1]
    assert lines[1] == f"  STRIPE_SECRET_KEY={new}" and call(server, new).status_code == 200
    assert lines[2] == ("Error: store them now (a .env file kept out of Git, or a secrets "
                        "manager).")


@pytest.mark.parametrize("grace", ["now", "1h"])
def test_a_server_that_stops_answering_after_the_roll_still_shows_the_new_key(
        server, account, run, monkeypatch, grace):
    import click

    from payground.cli import client

    old_id = key_id(server, account, account.secret_key)
    real_call = client._Client.call
    rolled = []

    def call_then_go_away(self, method, path, **kwargs):
        if rolled:  # the roll is made: the server goes away (restarted, network gone)
            raise click.ClickException(f"cannot reach Payground at {self.url}")
        body = real_call(self, method, path, **kwargs)
        if path.endswith("/roll"):
            rolled.append(path)
        return body

    monkeypatch.setattr(client._Client, "call", call_then_go_away)
    result = run("keys", "roll", old_id, "--expires-in", grace)

    lines = result.output.splitlines()
    new = lines[2].strip()
    assert lines[1:4] == ["Secret key:", f"  {new}", ONCE_WARNING]
    assert call(server, new).status_code == 200
    if grace == "now":
        assert result.exit_code == 0, result.output
    else:  # only the old key's new expiry could not be read
        assert result.exit_code == 1
        assert result.stderr == f"Error: cannot reach Payground at {server.url}\n"


def test_an_env_file_made_by_a_command_claims_nothing_untrue(account, project, tmp_path, run):
    outside = tmp_path / "secrets" / "live.env"

    result = run("keys", "create", "--env-file", str(outside))

    assert result.exit_code == 0, result.output
    assert outside.read_text().splitlines()[0] == (
        "# Payground API keys, written by the `payground` command. Never commit this file "
        "(keep it in .gitignore).")


WAITING = ("Payground refuses log-ins from this address for now (too many failed or at "
           "once); trying again in {seconds} s ({n} of 3)...")
TOO_MANY = "Too many failed log-ins from your address. Wait a little and try again."


@pytest.fixture
def throttled(app_config, wall, cli_home):
    """``login(password)``: `payground login` on a server whose log-in throttle is on, this
    address already out of failed log-ins, its frozen clock 15 s into a minute (the window
    ends in 45 s)."""
    from payground.testing import Server

    wall[0] = wall[0] // 60 * 60 + 15  # the server is not started yet: its clock starts here
    with Server(config={**app_config, "LOGIN_FAILURE_LIMIT": "5/1m"}) as server:
        clean = {name: None for name in os.environ if name.startswith("PAYGROUND_")}
        runner = CliRunner(env={**clean, "PAYGROUND_URL": server.url})
        address = server.signup(email=email(), password=PASSWORD).email

        def login(password):
            return runner.invoke(main, ["--home", str(cli_home), "login", "--email", address,
                                        "--password", password])

        for _ in range(5):
            assert login("not it").stderr == REFUSED_LOGIN
        yield login
        server.check_errors()


class Waits(list):
    """The seconds the CLI waited before retrying, recorded instead of slept. The frozen
    clock stands still meanwhile unless ``moves_clock`` (then the wait is time passing)."""

    moves_clock = False


@pytest.fixture
def waits(monkeypatch, wall) -> Waits:
    from payground.cli import client

    waited = Waits()

    def wait(seconds):
        waited.append(seconds)
        if waited.moves_clock:
            wall[0] += seconds

    monkeypatch.setattr(client, "wait", wait)
    return waited


def test_a_throttled_log_in_waits_as_told_then_logs_in(throttled, waits, cli_home):
    """A room behind one address: others' typos used the budget. The CLI waits out the
    window (Retry-After) instead of failing, and says so on one line."""
    waits.moves_clock = True

    result = throttled(PASSWORD)

    assert result.exit_code == 0, result.output
    assert waits == [45]
    assert result.stderr == WAITING.format(seconds=45, n=1) + "\n"
    assert result.stdout.startswith("Logged in as ")
    assert (cli_home / "session").exists()


def test_a_log_in_still_throttled_after_the_retries_fails_on_one_line(throttled, waits,
                                                                     cli_home):
    result = throttled(PASSWORD)  # the clock stands still: the window never ends

    assert result.exit_code == 1
    assert waits == [45, 45, 45]
    assert result.stderr.splitlines() == [WAITING.format(seconds=45, n=n) for n in (1, 2, 3)] + [
        f"Error: {TOO_MANY} (Still refused after 4 tries: retry in 45 s.)"]
    assert not (cli_home / "session").exists()


def test_a_retry_after_longer_than_the_cli_waits_fails_at_once(throttled, waits, cli_home,
                                                                monkeypatch):
    from payground.cli import client

    monkeypatch.setattr(client, "MAX_WAIT", 44)  # the window ends in 45 s

    result = throttled(PASSWORD)

    assert result.exit_code == 1
    assert waits == []
    assert result.stderr == f"Error: {TOO_MANY} (Retry in 45 s.)\n"
    assert not (cli_home / "session").exists()


def refused_log_ins(monkeypatch, retry_after: str | None) -> list:
    """Every ``/sandbox/login`` answers the throttle's 429 with this ``Retry-After`` (a
    proxy's, say: Payground sends whole seconds); returns the log-in's waits. The CLI's first
    question, which Payground this is, gets its answer."""
    from payground import __version__
    from payground.cli import client

    def request(self, method, url, **kwargs):
        answer = requests.Response()
        if url.endswith(client.VERSION_PATH):
            answer.status_code = 200
            answer._content = json.dumps({"object": "payground",
                                          "version": __version__}).encode()
            return answer
        answer.status_code = 429
        answer._content = json.dumps({"error": {"type": "invalid_request_error",
                                                "code": "rate_limit",
                                                "message": TOO_MANY}}).encode()
        if retry_after is not None:
            answer.headers["Retry-After"] = retry_after
        return answer

    waited: list = []
    monkeypatch.setattr(requests.Session, "request", request)
    monkeypatch.setattr(client, "wait", waited.append)
    return waited


def log_in(cli_home):
    runner = CliRunner(env={"PAYGROUND_URL": "http://127.0.0.1:9"})
    return runner.invoke(main, ["--home", str(cli_home), "login", "--email",
                                "ada@example.com", "--password", PASSWORD])


@pytest.mark.parametrize("retry_after, waits, hint", [
    (None, [1, 1, 1], ""),
    ("0", [1, 1, 1], " (Still refused after 4 tries: retry in 1 s.)"),
    ("-5", [1, 1, 1], ""),  # not a number of seconds: nothing to repeat
    ("soon", [1, 1, 1], ""),
    ("1" * 5000, [], " (Retry in 1000000000 s.)"),  # int() refuses so many digits
])
def test_odd_retry_after_values_are_waited_sensibly(monkeypatch, cli_home, retry_after, waits,
                                                    hint):
    """The header was repeated as it came: "retry in -5 s.", or a traceback for a number
    Python will not read."""
    waited = refused_log_ins(monkeypatch, retry_after)

    result = log_in(cli_home)

    assert result.exit_code == 1, result.output
    assert waited == waits
    assert result.stderr.splitlines()[-1] == f"Error: {TOO_MANY}{hint}"


def test_a_retry_after_date_is_waited_until(monkeypatch, cli_home):
    """RFC 9110's other form (a proxy's, say): it was read as 1 s, tried again three times
    at once, and repeated as "retry in Wed, 21 Oct 2026 07:28:00 GMT s."."""
    from email.utils import formatdate

    waited = refused_log_ins(monkeypatch, formatdate(time.time() + 40, usegmt=True))

    result = log_in(cli_home)

    assert result.exit_code == 1, result.output
    assert waited in ([40] * 3, [39] * 3)  # whole seconds, rounded up from what is left
    assert result.stderr.splitlines()[-1] == (
        f"Error: {TOO_MANY} (Still refused after 4 tries: retry in {waited[0]} s.)")
