"""Commands that write a key into a dotenv file refuse one that holds another account's keys.

The saved session is the account that signed in last, in any folder: after `payground init`
elsewhere with another email (lesson 9 makes a second account), `keys create|roll --env-file
.env` and `activate` here would write that account's key next to this folder's keys of another.
They stop first, with nothing created, rolled or activated and the file as it was.
"""

from __future__ import annotations

import socket

import pytest

from payground import __version__
from payground.cli import client
from payground.core import keys as keyfmt
from tests.test_cli_keys import (PASSWORD, account, api_keys, call, cli_home,  # noqa: F401
                                 email, key_id, project, run, server)

INSTEAD = "write the key to another file with --env-file"


def refusal(path: str, held: list[tuple[str, str]], signed_in: str, *,
            instead: str = INSTEAD, nothing: str = "Nothing was created.",
            more: int = 0) -> str:
    """The refusal when none of the file's keys are the signed-in account's. ``held``: the
    keys it names; ``more``: how many others it counts."""
    shown = ", ".join(f"{name}={key[:8]}...{key[-4:]}" for name, key in held)
    shown += f", and {more} more" if more else ""
    return (f"Error: {path} holds keys that are not the signed-in account's ({shown}): the "
            f"saved session is another account's ({signed_in}: the last to sign in with "
            "`payground init` or `payground login`, in any folder), or they are keys no account "
            "on this server has (another server's, or from before its database was reset). Run "
            f"`payground login` with the email of the account that owns {path}'s keys, then run "
            f"this again; or {instead}. {nothing}\n")


def refusal_beside_own(path: str, held: list[tuple[str, str]], signed_in: str, *,
                       instead: str | None = INSTEAD, nothing: str = "Nothing was created.",
                       more: int = 0) -> str:
    """The refusal when the file holds keys of the signed-in account too: its session is the
    file's, so `payground login` is not what to do. ``held``: the keys it names; ``more``:
    how many others it counts."""
    shown = ", ".join(f"{name}={key[:8]}...{key[-4:]}" for name, key in held)
    shown += f", and {more} more" if more else ""
    other_way = f"; or {instead}" if instead else ""
    return (f"Error: {path} holds keys that are not the signed-in account's ({shown}), beside "
            f"keys that are ({signed_in}'s): another account's (a connected account's OAuth "
            "access token, say), or keys no account on this server has (another server's, or "
            "from before its database was reset). Move them to another file (or delete those no "
            f"longer needed), then run this again{other_way}. {nothing}\n")


def init_env(server, owner) -> bytes:
    """A .env as `payground init` writes it for ``owner``, with CRLF line endings and no final
    newline (the comparison is byte for byte)."""
    return (f"# Payground API keys\r\nSTRIPE_SECRET_KEY={owner.secret_key}\r\n"
            f"STRIPE_PUBLISHABLE_KEY={owner.publishable_key}\r\n"
            f"STRIPE_API_BASE={server.url}").encode()


def live_enabled(server, owner) -> bool:
    return call(server, owner.session, path="/sandbox/account").get_json()["live_enabled"]


@pytest.fixture
def identified(monkeypatch) -> list[list[str]]:
    """The keys each POST /sandbox/keys/identify sent, in order."""
    sent: list[list[str]] = []
    real_call = client._Client.call

    def recording_call(self, method, path, **kwargs):
        if path == "/sandbox/keys/identify":
            sent.append(list(kwargs["json"]["keys"]))
        return real_call(self, method, path, **kwargs)

    monkeypatch.setattr(client._Client, "call", recording_call)
    return sent


# --- lesson 9, then back to an earlier lesson's folder --------------------------------------


def test_a_key_for_this_folder_is_refused_while_another_account_is_signed_in(
        server, run, tmp_path, monkeypatch):
    """`init` here as ada, `init` in lesson 9's folder as bob, back here: a restricted key
    would be bob's, written beside ada's keys. Refused until ada signs in again."""
    ada, bob = email(), email()
    here, lesson_9 = tmp_path / "lesson-03", tmp_path / "lesson-09"
    here.mkdir()
    lesson_9.mkdir()
    monkeypatch.chdir(here)
    assert run("init", "--email", ada, "--password", PASSWORD).exit_code == 0
    monkeypatch.chdir(lesson_9)
    assert run("init", "--email", bob, "--password", PASSWORD).exit_code == 0
    monkeypatch.chdir(here)
    before = (here / ".env").read_bytes()
    env = dict(line.split("=", 1) for line in before.decode().splitlines()
               if not line.startswith("#"))
    bob_keys = run("keys", "list", "--json")
    args = ("keys", "create", "--restricted", "--permission", "customer_read", "--name",
            "backend", "--env-file", ".env")

    result = run(*args)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: .env holds keys that are not the signed-in account's (STRIPE_SECRET_KEY="
        f"{env['STRIPE_SECRET_KEY'][:8]}...{env['STRIPE_SECRET_KEY'][-4:]}, "
        f"STRIPE_PUBLISHABLE_KEY={env['STRIPE_PUBLISHABLE_KEY'][:8]}..."
        f"{env['STRIPE_PUBLISHABLE_KEY'][-4:]}): the saved session is another account's "
        f"({bob}: the last to sign in with `payground init` or `payground login`, in any "
        "folder), or they are keys no account on this server has (another server's, or from "
        "before its database was reset). Run `payground login` with the email of the account "
        "that owns .env's keys, then run this again; or write the key to another file with "
        "--env-file. Nothing was created.\n")
    for key in (env["STRIPE_SECRET_KEY"], env["STRIPE_PUBLISHABLE_KEY"]):
        assert key not in result.output
    assert (here / ".env").read_bytes() == before
    assert run("keys", "list", "--json").stdout == bob_keys.stdout  # nothing made for bob

    # The fix the message gives: ada signs in again, and the same command writes her key.
    logged_in = run("login", "--email", ada, "--password", PASSWORD)
    assert logged_in.exit_code == 0, logged_in.output
    ada_types = sorted(row.split()[1] for row in run("keys", "list").output.splitlines()[1:])
    assert ada_types == ["publishable", "secret"]  # nothing was made for ada either
    again = run(*args)
    assert again.exit_code == 0, again.output
    restricted = (here / ".env").read_text().split("STRIPE_RESTRICTED_KEY=")[1].strip()
    assert restricted.startswith("rk_test_") and restricted not in again.output
    ada_rows = run("keys", "list").output.splitlines()[1:]
    assert any(f"{restricted[:8]}...{restricted[-4:]}" in row for row in ada_rows)
    assert call(server, restricted).status_code == 200


# --- every command that writes a key into a file --------------------------------------------


@pytest.mark.parametrize("command", ["create", "create restricted", "roll own", "roll other",
                                     "activate"])
def test_every_command_that_writes_a_key_refuses_another_account_s_file(server, account,
                                                                        project, run, command):
    """``account`` (signed in) is not the owner of .env. Rolling the owner's key by its id
    would fail on the server with a bare "No such api_key": the file is asked about first."""
    owner = server.signup(email=email(), password=PASSWORD)
    (project / ".env").write_bytes(init_env(server, owner))
    args, instead, nothing = {
        "create": (["keys", "create", "--env-file", ".env"], INSTEAD, "Nothing was created."),
        "create restricted": (["keys", "create", "--restricted", "--permission",
                               "charge_read", "--env-file", ".env"], INSTEAD,
                              "Nothing was created."),
        "roll own": (["keys", "roll", key_id(server, account, account.secret_key),
                      "--env-file", ".env"], INSTEAD, "Nothing was rolled."),
        "roll other": (["keys", "roll", key_id(server, owner, owner.secret_key),
                        "--env-file", ".env"], INSTEAD, "Nothing was rolled."),
        "activate": (["activate"],
                     "run `payground activate` in a folder of the signed-in account",
                     "Nothing was changed."),
    }[command]
    keys_before = {who: api_keys(server, who) for who in (account, owner)}

    result = run(*args)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == refusal(
        ".env", [("STRIPE_SECRET_KEY", owner.secret_key),
                 ("STRIPE_PUBLISHABLE_KEY", owner.publishable_key)],
        account.email, instead=instead, nothing=nothing)
    assert owner.secret_key not in result.output
    assert owner.publishable_key not in result.output
    assert (project / ".env").read_bytes() == init_env(server, owner)
    assert not (project / ".gitignore").exists()
    for who in (account, owner):
        assert api_keys(server, who) == keys_before[who]  # nothing created, rolled, revoked
        assert not live_enabled(server, who)
        assert call(server, who.secret_key).status_code == 200


def test_a_key_in_any_variable_counts_and_only_the_foreign_ones_are_named(server, account,
                                                                           project, run):
    """Not only STRIPE_*: any variable whose value is a key (quoted, exported, with a comment,
    on an earlier line of a variable set twice). The signed-in account's keys are not named."""
    owner = server.signup(email=email(), password=PASSWORD)
    restricted = owner.create_key(permissions=["customer_read"])
    text = (f"STRIPE_SECRET_KEY={account.secret_key}\n"
            f"STRIPE_PUBLISHABLE_KEY={account.publishable_key}\n"
            f"export PAYMENTS_KEY='{restricted}' # the backend's\n"
            f"OLD_KEY={owner.secret_key}\n"
            "OLD_KEY=\n")
    (project / ".env").write_text(text)
    keys_before = {who: api_keys(server, who) for who in (account, owner)}

    result = run("keys", "create", "--env-file", ".env", "--env-var", "BACKEND_KEY")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == refusal_beside_own(
        ".env", [("PAYMENTS_KEY", restricted), ("OLD_KEY", owner.secret_key)], account.email)
    assert restricted not in result.output and owner.secret_key not in result.output
    assert (project / ".env").read_text() == text
    for who in (account, owner):
        assert api_keys(server, who) == keys_before[who]


def test_a_key_no_account_here_has_is_refused_too(server, account, project, run):
    """A well-formed key the server does not know (another server's database, say) cannot be
    told from another account's: it is not the signed-in account's, and a key written beside
    it would mix two accounts up all the same."""
    unknown = keyfmt.generate("secret", livemode=False)
    (project / "ci.env").write_text(f"STRIPE_SECRET_KEY={unknown}\n")

    result = run("keys", "create", "--env-file", "ci.env", "--env-var", "BACKEND_KEY")

    assert result.exit_code == 1
    assert result.stderr == refusal("ci.env", [("STRIPE_SECRET_KEY", unknown)], account.email)
    assert (project / "ci.env").read_text() == f"STRIPE_SECRET_KEY={unknown}\n"
    assert sorted(k["type"] for k in api_keys(server, account).values()) == [
        "publishable", "secret"]


def test_more_keys_than_one_question_takes_are_asked_in_batches(server, account, project, run,
                                                                identified):
    made_up = [keyfmt.generate("restricted", livemode=False) for _ in range(101)]
    text = "".join(f"KEY_{n}={key}\n" for n, key in enumerate(made_up))
    text += f"STRIPE_SECRET_KEY={account.secret_key}\n"
    (project / ".env").write_text(text)

    result = run("keys", "create", "--env-file", ".env", "--env-var", "BACKEND_KEY")

    assert result.exit_code == 1
    assert result.stderr == refusal_beside_own(
        ".env", [(f"KEY_{n}", key) for n, key in enumerate(made_up[:5])], account.email,
        more=96)
    assert identified == [made_up[:100], [made_up[100], account.secret_key]]
    assert (project / ".env").read_text() == text


@pytest.mark.parametrize("count, more", [(5, 0), (6, 1), (2500, 2495)])
def test_the_refusal_names_five_keys_and_counts_the_others(server, account, project, run,
                                                           identified, count, more):
    """A file of thousands of keys makes one line of five names, not of thousands: enough to
    find the file's keys by, all of them asked about all the same."""
    made_up = [keyfmt.generate("secret", livemode=False) for _ in range(count)]
    text = "".join(f"KEY_{n}={key}\n" for n, key in enumerate(made_up))
    (project / ".env").write_text(text)
    keys_before = api_keys(server, account)

    result = run("keys", "create", "--env-file", ".env", "--env-var", "BACKEND_KEY")

    assert result.exit_code == 1
    assert result.stdout == ""
    named = [(f"KEY_{n}", key) for n, key in enumerate(made_up[:5])]
    assert result.stderr == refusal(".env", named, account.email, more=more)
    assert len(result.stderr) < 1000
    assert [key for batch in identified for key in batch] == made_up
    assert not any(key in result.output for key in made_up)
    assert (project / ".env").read_text() == text
    assert api_keys(server, account) == keys_before


@pytest.mark.parametrize("command", ["create", "activate"])
def test_keys_left_from_before_a_database_reset_are_not_blamed_on_the_session(
        server, account, project, run, command):
    """After a reset, `payground init` wrote the new account's STRIPE_SECRET_KEY and
    STRIPE_PUBLISHABLE_KEY over the old ones and left the others: keys no account has, beside
    the signed-in account's. Its session is the file's: `payground login` would not help, and
    is not said; moving the dead keys away is."""
    dead_restricted = keyfmt.generate("restricted", livemode=False)
    dead_live = keyfmt.generate("secret", livemode=True)
    text = (f"STRIPE_SECRET_KEY={account.secret_key}\n"
            f"STRIPE_PUBLISHABLE_KEY={account.publishable_key}\n"
            f"STRIPE_RESTRICTED_KEY={dead_restricted}\n"
            f"STRIPE_LIVE_SECRET_KEY={dead_live}\n")
    (project / ".env").write_text(text)
    keys_before = api_keys(server, account)
    args, instead, nothing = {
        "create": (["keys", "create", "--restricted", "--permission", "charge_read",
                    "--env-file", ".env"], INSTEAD, "Nothing was created."),
        "activate": (["activate"], None, "Nothing was changed."),
    }[command]

    result = run(*args)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == refusal_beside_own(
        ".env", [("STRIPE_RESTRICTED_KEY", dead_restricted),
                 ("STRIPE_LIVE_SECRET_KEY", dead_live)], account.email,
        instead=instead, nothing=nothing)
    assert "payground login" not in result.stderr
    assert dead_restricted not in result.output and dead_live not in result.output
    assert (project / ".env").read_text() == text
    assert api_keys(server, account) == keys_before
    assert not live_enabled(server, account)


def test_a_connected_account_s_access_token_beside_the_platform_s_keys_is_named(
        server, account, project, run):
    """A platform that keeps a connected business's OAuth access token in its .env: the token
    is a key of the business, not of the signed-in platform, whose session is the right one."""
    business = server.signup(email=email(), password=PASSWORD)
    token = business.connect(account)["access_token"]
    text = (f"STRIPE_SECRET_KEY={account.secret_key}\n"
            f"STRIPE_PUBLISHABLE_KEY={account.publishable_key}\n"
            f"BUSINESS_ACCESS_TOKEN={token}\n")
    (project / ".env").write_text(text)
    keys_before = {who: api_keys(server, who) for who in (account, business)}

    result = run("keys", "create", "--env-file", ".env", "--env-var", "BACKEND_KEY")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == refusal_beside_own(".env", [("BUSINESS_ACCESS_TOKEN", token)],
                                               account.email)
    assert token not in result.output
    assert (project / ".env").read_text() == text
    for who in (account, business):
        assert api_keys(server, who) == keys_before[who]


def test_a_link_to_another_account_s_file_is_refused_and_stays_a_link(server, account, project,
                                                                       run):
    owner = server.signup(email=email(), password=PASSWORD)
    shared = project / "shared.env"
    shared.write_bytes(init_env(server, owner))
    (project / ".env").symlink_to(shared)

    result = run("keys", "create", "--env-file", ".env")

    assert result.exit_code == 1
    assert result.stderr == refusal(
        ".env", [("STRIPE_SECRET_KEY", owner.secret_key),
                 ("STRIPE_PUBLISHABLE_KEY", owner.publishable_key)], account.email)
    assert (project / ".env").is_symlink() and shared.read_bytes() == init_env(server, owner)
    assert not (project / ".gitignore").exists()


@pytest.mark.parametrize("command", ["create", "roll", "activate"])
def test_a_server_without_the_question_says_so_not_a_traceback(server, account, project, run,
                                                               cli_home, command):
    """A Payground of another version (no POST /sandbox/keys/identify there): the versions are
    named, nothing is written."""
    from tests.test_cli import OtherServer

    (project / ".env").write_bytes(init_env(server, account))
    args = {"create": ["keys", "create", "--env-file", ".env", "--env-var", "BACKEND_KEY"],
            "roll": ["keys", "roll", "key_0123456789abcdefghijklmn", "--env-file", ".env"],
            "activate": ["activate"]}[command]
    with OtherServer(version="0.0.9") as other:
        result = run(*args, "--url", other.url)

    assert result.exit_code == 1, result.exception
    assert result.stdout == ""
    assert result.stderr == (f"Error: {other.url} has no POST /sandbox/keys/identify: it runs "
                             f"Payground 0.0.9, and this command is Payground {__version__}. "
                             "Use the same version on both sides.\n")
    assert (project / ".env").read_bytes() == init_env(server, account)
    assert not (project / ".gitignore").exists()


# --- what passes ----------------------------------------------------------------------------


def test_the_signed_in_account_s_keys_dead_or_alive_and_other_values_pass(
        server, account, project, run, identified):
    """Its revoked and expired keys are its own; a real Stripe key, a typo, and another
    account's key kept in a comment (as `init` keeps a value it replaces) are no Payground key
    of anyone's: not sent, not counted."""
    other = server.signup(email=email(), password=PASSWORD)
    revoked = account.create_key("secret")
    account.revoke(revoked)
    account.roll(account.secret_key, expires_in=60)
    account.advance_clock(60)  # the rolled key has expired
    real = "sk_live_51" + "Ab3" * 33
    text = (f"STRIPE_SECRET_KEY={account.secret_key}\n"
            f"STRIPE_PUBLISHABLE_KEY={account.publishable_key}\n"
            f"REVOKED_KEY={revoked}\n"
            f"REAL_STRIPE_KEY={real}\n"
            "TYPO_KEY=sk_test_not-a-key\n"
            "# Replaced by payground, kept in case it is still needed: "
            f"STRIPE_SECRET_KEY={other.secret_key}\n")
    (project / ".env").write_text(text)

    result = run("keys", "create", "--env-file", ".env", "--env-var", "BACKEND_KEY")

    assert result.exit_code == 0, result.output
    assert identified == [[account.secret_key, account.publishable_key, revoked]]
    lines = (project / ".env").read_text().splitlines()
    assert "\n".join(lines[:-1]) + "\n" == text  # every line kept, the new key added
    new = lines[-1].removeprefix("BACKEND_KEY=")
    assert new.startswith("sk_test_") and call(server, new).status_code == 200


def test_live_keys_of_the_signed_in_account_pass(server, account, project, run, identified):
    """Keys of the other mode are the account's too: `payground activate` put them there."""
    account.activate_live()
    text = (f"STRIPE_SECRET_KEY={account.secret_key}\n"
            f"STRIPE_PUBLISHABLE_KEY={account.publishable_key}\n"
            f"STRIPE_LIVE_SECRET_KEY={account.live_secret_key}\n"
            f"STRIPE_LIVE_PUBLISHABLE_KEY={account.live_publishable_key}\n")
    (project / ".env").write_text(text)

    result = run("keys", "create", "--restricted", "--permission", "charge_read",
                 "--env-file", ".env")

    assert result.exit_code == 0, result.output
    assert identified == [[account.secret_key, account.publishable_key,
                           account.live_secret_key, account.live_publishable_key]]
    assert (project / ".env").read_text().startswith(text + "STRIPE_RESTRICTED_KEY=rk_test_")


def test_a_file_that_does_not_exist_yet_asks_nothing_and_gets_the_key(server, account, project,
                                                                      run, identified):
    result = run("keys", "create", "--env-file", "new.env")

    assert result.exit_code == 0, result.output
    assert identified == []
    assert "STRIPE_SECRET_KEY=sk_test_" in (project / "new.env").read_text()


def test_a_file_without_keys_asks_nothing_about_them(server, account, project, run,
                                                     identified):
    (project / ".env").write_text(f"STRIPE_API_BASE={server.url}\nDEBUG=1\n")

    result = run("keys", "create", "--env-file", ".env")

    assert result.exit_code == 0, result.output
    assert identified == []
    assert (project / ".env").read_text().startswith(f"STRIPE_API_BASE={server.url}\nDEBUG=1\n"
                                                      "STRIPE_SECRET_KEY=sk_test_")


def test_a_server_that_cannot_be_reached_is_said_as_usual(server, account, project, run):
    owner = server.signup(email=email(), password=PASSWORD)
    (project / ".env").write_bytes(init_env(server, owner))
    with socket.socket() as sock:  # bound, never listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"

        result = run("keys", "create", "--env-file", ".env", "--url", url)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (f"Error: cannot reach Payground at {url}: is `payground serve` "
                             "running there? (use --url for another address)\n")
    assert (project / ".env").read_bytes() == init_env(server, owner)
