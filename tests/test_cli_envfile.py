"""The files the CLI writes keys to: a user's own .env (kept as it was, but for the keys), a
link to a shared one, and the .gitignore git actually reads - never a file git tracks."""

from __future__ import annotations

import os
import subprocess

import pytest

from payground.cli import envfile
from tests.test_cli_keys import (PASSWORD, account, call, cli_home, expired,  # noqa: F401
                                 key_id, mode, project, run, server)
from tests.test_cli_scan import git

NOTE = "# Replaced by payground, kept in case it is still needed: "


def key_types(run) -> list[str]:
    return sorted(row.split()[1] for row in run("keys", "list").output.splitlines()[1:])


def ignored_by_git(folder, name) -> bool:
    return subprocess.run(["git", "-C", str(folder), "check-ignore", "-q", name],
                          check=False).returncode == 0


# --- the .env file itself ------------------------------------------------------------------


def test_an_update_keeps_the_byte_order_mark_crlf_and_every_other_line(tmp_path):
    path = tmp_path / ".env"
    path.write_bytes(b"\xef\xbb\xbfSTRIPE_SECRET_KEY=old\r\nFOO=1\r\n# note\r\n"
                     b"A=\"x\x0cy\xe2\x80\xa8z\"\r\nLAST=1")  # a form feed, U+2028: no line ends

    assert envfile._read_env(path)["STRIPE_SECRET_KEY"] == "old"  # the mark is no part of it
    envfile._update_env(path, {"STRIPE_SECRET_KEY": "new", "EXTRA": "2"})

    assert path.read_bytes() == (b"\xef\xbb\xbfSTRIPE_SECRET_KEY=new\r\nFOO=1\r\n# note\r\n"
                                 b"A=\"x\x0cy\xe2\x80\xa8z\"\r\nLAST=1\r\nEXTRA=2\r\n")
    assert mode(path) == 0o600


@pytest.mark.parametrize(("line", "value"), [
    ("STRIPE_SECRET_KEY=sk_test_abc", "sk_test_abc"),
    ("export STRIPE_SECRET_KEY = sk_test_abc ", "sk_test_abc"),
    ("STRIPE_SECRET_KEY=sk_test_abc # the backend's", "sk_test_abc"),
    ("STRIPE_SECRET_KEY='sk_test_abc' # the backend's", "sk_test_abc"),
    ('STRIPE_SECRET_KEY="a # b"', "a # b"),
    ("STRIPE_SECRET_KEY=a#b", "a#b"),  # no space before it: no comment
])
def test_values_are_read_as_a_shell_reads_them(tmp_path, line, value):
    path = tmp_path / ".env"
    path.write_text(line + "\n")
    assert envfile._read_env(path) == {"STRIPE_SECRET_KEY": value}


def test_a_link_to_a_shared_file_stays_a_link_and_the_file_gets_the_key(tmp_path):
    shared = tmp_path / "secrets" / "shop.env"
    shared.parent.mkdir()
    shared.write_text("FOO=1\n")
    shared.chmod(0o644)
    link = tmp_path / ".env"
    link.symlink_to(shared)

    envfile._update_env(link, {"STRIPE_SECRET_KEY": "new"})

    assert link.is_symlink() and os.readlink(link) == str(shared)
    assert shared.read_text() == "FOO=1\nSTRIPE_SECRET_KEY=new\n"
    assert mode(shared) == 0o600


def test_a_value_replaced_is_kept_as_a_comment_only_when_asked_and_different(tmp_path):
    path = tmp_path / ".env"
    path.write_text("export STRIPE_SECRET_KEY=sk_live_51real\nA=1\nSTRIPE_API_BASE=http://old\n")

    envfile._update_env(path, {"STRIPE_SECRET_KEY": "sk_test_new",
                               "STRIPE_API_BASE": "http://new"},
                        keep=frozenset({"STRIPE_SECRET_KEY"}))
    envfile._update_env(path, {"STRIPE_SECRET_KEY": "sk_test_new"},
                        keep=frozenset({"STRIPE_SECRET_KEY"}))  # the same value: nothing kept

    assert path.read_text().splitlines() == [
        f"{NOTE}export STRIPE_SECRET_KEY=sk_live_51real",
        "export STRIPE_SECRET_KEY=sk_test_new", "A=1", "STRIPE_API_BASE=http://new"]
    assert envfile._read_env(path)["STRIPE_SECRET_KEY"] == "sk_test_new"


def test_create_through_a_dangling_link_into_no_folder_is_refused_first(account, project, run):
    (project / ".env").symlink_to(project / "gone" / "shop.env")

    result = run("keys", "create", "--env-file", ".env")

    assert result.exit_code == 1
    assert result.stderr == (f"Error: .env is a link to {project / 'gone' / 'shop.env'}, in a "
                             "folder that does not exist. Nothing was changed.\n")
    assert key_types(run) == ["publishable", "secret"]


def test_init_keeps_a_working_key_with_a_comment_after_it(server, account, project, run):
    line = f"STRIPE_SECRET_KEY={account.secret_key}  # the backend's"
    (project / ".env").write_text(line + "\n")

    result = run("init", "--email", account.email, "--password", PASSWORD)

    assert result.exit_code == 0, result.output
    key = account.secret_key
    assert result.output.splitlines()[1] == (
        f"Kept the STRIPE_SECRET_KEY already in .env ({key[:8]}...{key[-4:]}): it is an active "
        "test key of this account.")
    assert (project / ".env").read_text().splitlines()[0] == line
    assert key_types(run) == ["publishable", "secret"]  # no key made for nothing


UNSET = ("Error: .env already has STRIPE_SECRET_KEY: writing the new key there would lose the "
         "one it holds. Name another variable with --env-var, or another file. Nothing was "
         "created.\n")


@pytest.mark.parametrize("last", ["REVOKED", ""])
def test_create_never_drops_a_working_key_on_an_earlier_line(server, account, project, run,
                                                             last):
    """The new key's line replaces every line of the variable: an earlier one counts too,
    though only the last is read when the file is sourced."""
    if last == "REVOKED":
        revoked = run("keys", "create", "--name", "revoked")
        last = revoked.output.splitlines()[2].strip()
        assert run("keys", "revoke", key_id(server, account, last), "--yes").exit_code == 0
    text = f"STRIPE_SECRET_KEY={account.secret_key}\nA=1\nSTRIPE_SECRET_KEY={last}\n"
    (project / ".env").write_text(text)
    before = key_types(run)

    result = run("keys", "create", "--env-file", ".env")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == UNSET
    assert (project / ".env").read_text() == text
    assert key_types(run) == before  # nothing was created
    assert call(server, account.secret_key).status_code == 200


def test_create_replaces_every_dead_key_of_the_variable_and_names_each(server, account,
                                                                       project, run):
    made = run("keys", "create", "--name", "older")
    older = made.output.splitlines()[2].strip()
    for key in (account.secret_key, older):
        assert run("keys", "revoke", key_id(server, account, key), "--yes").exit_code == 0
    (project / ".env").write_text(f"STRIPE_SECRET_KEY={older}\nSTRIPE_SECRET_KEY="
                                  f"{account.secret_key}\n")

    result = run("keys", "create", "--env-file", ".env")

    assert result.exit_code == 0, result.output
    new = envfile._read_env(project / ".env")["STRIPE_SECRET_KEY"]
    assert (project / ".env").read_text() == f"STRIPE_SECRET_KEY={new}\n"
    assert result.output.splitlines()[1:3] == [
        f"It replaces {older[:8]}...{older[-4:]} in .env, revoked: that key no longer works.",
        f"It replaces {account.secret_key[:8]}...{account.secret_key[-4:]} in .env, revoked: "
        "that key no longer works."]
    assert call(server, new).status_code == 200
    expired(server, older)


def test_a_write_that_fails_for_any_reason_still_shows_the_new_key(server, account, project,
                                                                  run, monkeypatch):
    def broken(path, updates, **_options):
        raise TypeError("a bug")

    monkeypatch.setattr(envfile, "_update_env", broken)
    result = run("keys", "create", "--env-file", ".env")

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Could not write the new keys (a bug). They are shown this once:"
    new = lines[1].split("=", 1)[1]
    assert lines[1] == f"  STRIPE_SECRET_KEY={new}" and call(server, new).status_code == 200


# --- keeping it out of git -----------------------------------------------------------------


@pytest.fixture
def repo(project):
    git(project, "init", "-q")
    return project


@pytest.mark.parametrize("command", ["keys create", "init"])
def test_a_file_git_tracks_gets_no_key(account, repo, run, command):
    (repo / ".env").write_text("STRIPE_API_BASE=http://127.0.0.1:4242\n")
    git(repo, "add", ".env")
    git(repo, "commit", "-qm", "settings")
    args = (["keys", "create", "--env-file", ".env"] if command == "keys create"
            else ["init", "--email", account.email, "--password", PASSWORD])

    result = run(*args)

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: .env is tracked by git: a key written there would be published by the next "
        "commit, and .gitignore does not untrack a file. Untrack it first (`git rm --cached "
        ".env` keeps your copy), commit that, then run this again. Nothing was changed.\n")
    assert (repo / ".env").read_text() == "STRIPE_API_BASE=http://127.0.0.1:4242\n"
    assert not (repo / ".gitignore").exists()
    assert key_types(run) == ["publishable", "secret"]


def test_a_file_deep_in_a_repository_is_ignored_beside_it(account, repo, run):
    result = run("keys", "create", "--env-file", "config/ci.env")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Added ci.env to config/.gitignore."
    assert (repo / "config" / ".gitignore").read_text() == "ci.env\n"
    assert ignored_by_git(repo, "config/ci.env")
    assert not (repo / ".gitignore").exists()


def test_a_file_git_already_ignores_adds_no_line(account, repo, run, monkeypatch):
    (repo / ".gitignore").write_text("/app/.env\n")
    (repo / "app").mkdir()
    monkeypatch.chdir(repo / "app")

    result = run("keys", "create", "--env-file", ".env")

    assert result.exit_code == 0, result.output
    new = envfile._read_env(repo / "app" / ".env")["STRIPE_SECRET_KEY"]
    assert result.output.splitlines()[-1] == (
        f"Written to .env (mode 0600): STRIPE_SECRET_KEY={new[:8]}...{new[-4:]}   (masked "
        "here; the full key is only in .env)")
    assert not (repo / "app" / ".gitignore").exists()
    assert ignored_by_git(repo, "app/.env")


def test_a_gitignore_negating_the_file_gets_the_line_that_wins(account, repo, run):
    (repo / ".gitignore").write_text(".env*\r\n!.env.ci\r\n")

    result = run("keys", "create", "--env-file", ".env.ci")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Added .env.ci to .gitignore."
    assert (repo / ".gitignore").read_bytes() == b".env*\r\n!.env.ci\r\n.env.ci\r\n"
    assert ignored_by_git(repo, ".env.ci")


def test_a_gitignore_that_cannot_be_edited_is_refused_before_the_key_exists(account, project,
                                                                           run):
    (project / ".gitignore").mkdir()

    result = run("keys", "create", "--env-file", ".env")

    assert result.exit_code == 1
    assert result.stderr == ("Error: cannot read .gitignore (Is a directory). Nothing was "
                             "changed.\n")
    assert not (project / ".env").exists()
    assert key_types(run) == ["publishable", "secret"]


def test_a_link_s_target_in_the_work_tree_is_ignored_too(account, repo, run):
    """git publishes the link, but the key is in the file it points to, which `git add .`
    would take as well: both get a line."""
    (repo / "config").mkdir()
    (repo / "config" / "shared.env").write_text("FOO=1\n")
    (repo / ".env").symlink_to("config/shared.env")

    result = run("keys", "create", "--env-file", ".env")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2:] == ["Added .env to .gitignore.",
                                               "Added shared.env to config/.gitignore."]
    assert (repo / ".gitignore").read_text() == ".env\n"
    assert (repo / "config" / ".gitignore").read_text() == "shared.env\n"
    assert ignored_by_git(repo, ".env") and ignored_by_git(repo, "config/shared.env")
    status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "-uall"],
                            capture_output=True, text=True, check=True).stdout
    assert status.splitlines() == ["?? .gitignore", "?? config/.gitignore"]


def test_a_link_s_tracked_target_gets_no_key(account, repo, run):
    (repo / "config").mkdir()
    (repo / "config" / "shared.env").write_text("FOO=1\n")
    git(repo, "add", "config/shared.env")
    git(repo, "commit", "-qm", "settings")
    (repo / ".env").symlink_to("config/shared.env")

    result = run("keys", "create", "--env-file", ".env")

    assert result.exit_code == 1
    assert result.stderr == (
        "Error: .env is a link to config/shared.env, which is tracked by git: a key written "
        "there would be published by the next commit, and .gitignore does not untrack a file. "
        "Untrack it first (`git rm --cached config/shared.env` keeps your copy), commit that, "
        "then run this again. Nothing was changed.\n")
    assert (repo / "config" / "shared.env").read_text() == "FOO=1\n"
    assert not (repo / ".gitignore").exists()
    assert key_types(run) == ["publishable", "secret"]


def test_without_git_the_folder_s_gitignore_still_gets_the_file(account, repo, run,
                                                                monkeypatch):
    """No git on PATH (a slim image): nothing can say the file is tracked, but ./.gitignore
    still gets its line, as before git was asked."""
    monkeypatch.setenv("PATH", str(repo / "no-bin"))

    result = run("keys", "create", "--env-file", ".env")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Added .env to .gitignore."
    assert (repo / ".gitignore").read_text() == ".env\n"
