"""The files the CLI writes keys to: a user's own .env (kept as it was, but for the keys), a
link to a shared one, and the .gitignore git actually reads - never a file git tracks."""

from __future__ import annotations

import os
import subprocess

import pytest

from payground.cli import envfile, gitignore
from tests.test_cli_keys import (PASSWORD, account, call, cli_home, expired,  # noqa: F401
                                 key_id, mode, project, run, server)
from tests.test_cli_scan import git

NOTE = "# Replaced by payground, kept in case it is still needed: "


def key_types(run) -> list[str]:
    return sorted(row.split()[1] for row in run("keys", "list").output.splitlines()[1:])


def ignored_by_git(folder, name) -> bool:
    # "./": a name like ":x" is no pathspec magic.
    return subprocess.run(["git", "-C", str(folder), "check-ignore", "-q", f"./{name}"],
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


# --- names gitignore reads as patterns -----------------------------------------------------

# A file name, the line that ignores it, and a file the name written as it is would ignore
# instead (or with it): "#.env" is a comment, "!.env" un-ignores, "*" takes every file,
# trailing spaces are dropped by git.
SPECIAL_NAMES = [
    ("#.env", "\\#.env", "other.env"),
    ("!.env", "\\!.env", "other.env"),
    ("*", "\\*", "app.py"),
    ("ci?.env", "ci\\?.env", "ci1.env"),
    ("[ab].env", "\\[ab].env", "a.env"),
    ("a\\b.env", "a\\\\b.env", "ab.env"),
    (".env  ", ".env\\ \\ ", ".env"),
    (" .env", " .env", ".env"),
    (":x.env", ":x.env", "x.env"),  # git's pathspec magic, where git is asked
]


@pytest.mark.parametrize(("name", "line", "sibling"), SPECIAL_NAMES)
def test_a_name_gitignore_reads_as_a_pattern_is_written_escaped(account, repo, run, name, line,
                                                               sibling):
    (repo / sibling).write_text("A = 1\n")

    result = run("keys", "create", "--env-file", name)

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == f"Added {name} to .gitignore."
    assert (repo / ".gitignore").read_text() == line + "\n"
    assert ignored_by_git(repo, name)
    assert not ignored_by_git(repo, sibling)
    # Asked again, git's answer stands: no second line.
    again = run("keys", "create", "--env-file", name, "--env-var", "OTHER_KEY")
    assert again.exit_code == 0, again.output
    assert (repo / ".gitignore").read_text() == line + "\n"


@pytest.mark.parametrize(("name", "line", "sibling"), SPECIAL_NAMES)
def test_outside_git_the_escaped_line_is_read_back_as_git_reads_it(account, project, run,
                                                                  name, line, sibling):
    """Outside a work tree git reads the .gitignore in a repository of its own: the line
    written is recognised (no second one), and means to git, once the folder is a
    repository, what it meant."""
    result = run("keys", "create", "--env-file", name)
    again = run("keys", "create", "--env-file", name, "--env-var", "OTHER_KEY")

    assert result.exit_code == 0, result.output
    assert again.exit_code == 0, again.output
    assert result.output.splitlines()[-1] == f"Added {name} to .gitignore."
    assert (project / ".gitignore").read_text() == line + "\n"
    (project / sibling).write_text("A = 1\n")
    git(project, "init", "-q")
    assert ignored_by_git(project, name)
    assert not ignored_by_git(project, sibling)


# Lines a user may have, and names: what is read outside a work tree must be git's answer.
# (Each asks git twice: a few of each kind.) wildmatch reads bytes: "?" is one byte, "é" two;
# a BOM is skipped; only "\n" ends a line, not a lone "\r"; case counts.
PATTERNS = [".env", "/.env", "*.env", "**/.env", "!.env", ".env ", ".env\\ ", ".e[!m]v",
            ".e[]n]v", ".env\\", "?.env", "[é].env", "\ufeff.env", ".foo\r.env", ".ENV"]
NAMES = [".env", ".env ", "!.env", "#.env", ".emv", ".e]v", "é.env", "x.env"]


def test_the_reading_outside_a_work_tree_agrees_with_git(tmp_path):
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    outside.mkdir()
    git(tmp_path, "init", "-q", "repo")
    for name in NAMES:
        (repo / name).write_text("")
    for pattern in PATTERNS:
        for folder in (repo, outside):
            (folder / ".gitignore").write_text(pattern + "\n", encoding="utf-8", newline="")
        for name in NAMES:
            assert gitignore.listed(outside / ".gitignore", name) is \
                ignored_by_git(repo, name), (pattern, name)


@pytest.mark.parametrize(("before", "name", "after"), [
    ("?.env\n", "é.env", "?.env\né.env\n"),  # "?" takes one byte, "é" is two
    (".foo\r.env\n", ".env", ".foo\r.env\n.env\n"),  # one line to git: ".foo<CR>.env"
    ("\ufeff.env\n", ".env", "\ufeff.env\n"),  # the byte-order mark is not in the line
])
def test_outside_git_a_gitignore_is_read_as_git_reads_it(account, project, run, before, name,
                                                        after):
    (project / ".gitignore").write_text(before, encoding="utf-8", newline="")

    result = run("keys", "create", "--env-file", name)

    assert result.exit_code == 0, result.output
    assert (project / ".gitignore").read_bytes().decode() == after
    assert (result.output.splitlines()[-1] == f"Added {name} to .gitignore.") is \
        (after != before)
    git(project, "init", "-q")
    assert ignored_by_git(project, name)


@pytest.mark.parametrize(("before", "after"), [
    (".env\n", ".env\n"),
    ("/.env\r\n", "/.env\r\n"),
    ("*.env\n", "*.env\n.env\n"),  # only git reads patterns: a line too many is harmless
    (".env\n!.env\n", ".env\n!.env\n.env\n"),
    (".env\n!x.env\n", ".env\n!x.env\n.env\n"),  # any "!" line may un-ignore it
])
def test_without_git_only_the_file_s_own_line_counts(account, project, run, monkeypatch,
                                                     before, after):
    (project / ".gitignore").write_text(before, newline="")
    monkeypatch.setenv("PATH", str(project / "no-bin"))

    result = run("keys", "create", "--env-file", ".env")

    assert result.exit_code == 0, result.output
    assert (project / ".gitignore").read_bytes().decode() == after


@pytest.mark.parametrize(("name", "line", "sibling"), SPECIAL_NAMES)
def test_without_git_the_escaped_line_is_recognised(account, project, run, monkeypatch, name,
                                                    line, sibling):
    monkeypatch.setenv("PATH", str(project / "no-bin"))

    result = run("keys", "create", "--env-file", name)
    again = run("keys", "create", "--env-file", name, "--env-var", "OTHER_KEY")

    assert result.exit_code == 0, result.output
    assert again.exit_code == 0, again.output
    assert (project / ".gitignore").read_text() == line + "\n"


@pytest.mark.parametrize("name", ["a\nb.env", "a\rb.env"])
def test_a_name_no_gitignore_line_can_hold_is_ignored_with_a_wildcard(tmp_path, name):
    line = gitignore.gitignore_line(name)
    assert line == "a?b.env"
    git(tmp_path, "init", "-q")
    (tmp_path / name).write_text("")
    (tmp_path / ".gitignore").write_text(line + "\n")
    assert ignored_by_git(tmp_path, name) and gitignore.listed(tmp_path / ".gitignore", name)


# --- when git cannot answer ----------------------------------------------------------------


@pytest.fixture
def refusing_git(tmp_path):
    """A ``git`` on PATH that fails, as for a repository another user owns, in the folders
    given (and below), and is git elsewhere. Its message holds something key-like (a path can
    hold anything): it must come out masked."""
    import shutil
    import textwrap

    from payground.core import keys

    real = shutil.which("git")
    key = keys.generate("secret", False)
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()

    def install(*folders):
        cases = "".join(f"  {folder}|{folder}/*) fail {folder} ;;\n" for folder in folders)
        script = bin_dir / "git"
        script.write_text(textwrap.dedent("""\
            #!/bin/sh
            fail() {
              echo "fatal: detected dubious ownership in repository at '$1/%s'" >&2
              echo "To add an exception for this directory, call:" >&2
              exit 128
            }
            case "$2" in
            """) % key + cases + f'esac\nexec {real} "$@"\n')
        script.chmod(0o755)
        return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    install.key = key
    return install


def dubious(folder, key) -> str:
    return f"fatal: detected dubious ownership in repository at '{folder}/{key[:8]}" \
           f"{'*' * (len(key) - 12)}{key[-4:]}'"


UNANSWERED = ("Error: git could not be asked whether {path} is tracked ({reason}), and a key "
              "written to a file git tracks would be published by the next commit. Fix what git "
              "says{instead}, then run this again. Nothing was changed.\n")
ELSEWHERE = ", or write the key to a file outside the repository with --env-file"


@pytest.mark.parametrize(("command", "instead"), [
    ("keys create", ELSEWHERE),
    ("keys roll", ELSEWHERE),
    ("init", ""),
    ("activate", ""),
    ("demo", ", or leave out --write-env (the keys still go to $PAYGROUND_HOME/demo.env)"),
])
def test_a_file_git_cannot_be_asked_about_gets_no_key(server, account, repo, run, refusing_git,
                                                      command, instead):
    """git fails in the repository (it belongs to another user, say): the file may be
    tracked, so no key goes there, and git's complaint is said, its key-like part masked."""
    (repo / ".env").write_text("STRIPE_API_BASE=http://127.0.0.1:4242\n")
    git(repo, "add", ".env")
    git(repo, "commit", "-qm", "settings")
    args = {"keys create": ["keys", "create", "--env-file", ".env"],
            "keys roll": ["keys", "roll", key_id(server, account, account.secret_key),
                          "--env-file", ".env"],
            "init": ["init", "--email", account.email, "--password", PASSWORD],
            "activate": ["activate"],
            "demo": ["demo", "--customers", "1", "--charges", "1", "--write-env"]}[command]

    result = run(*args, env=refusing_git(repo))

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == UNANSWERED.format(
        path=".env", reason=dubious(repo, refusing_git.key), instead=instead)
    assert refusing_git.key not in result.output
    assert (repo / ".env").read_text() == "STRIPE_API_BASE=http://127.0.0.1:4242\n"
    assert not (repo / ".gitignore").exists()
    assert key_types(run) == ["publishable", "secret"]
    assert call(server, account.secret_key).status_code == 200  # nothing rolled


def test_a_link_s_target_git_cannot_be_asked_about_gets_no_key(account, repo, run, tmp_path,
                                                               refusing_git):
    """git answers for the link (not tracked), not for the other repository its target is in."""
    shared = tmp_path / "shared"
    shared.mkdir()
    git(shared, "init", "-q")
    (shared / "shop.env").write_text("FOO=1\n")
    (repo / ".env").symlink_to(shared / "shop.env")

    result = run("keys", "create", "--env-file", ".env", env=refusing_git(shared))

    assert result.exit_code == 1
    assert result.stderr == UNANSWERED.format(
        path="../shared/shop.env (the file .env links to)",
        reason=dubious(shared, refusing_git.key), instead=ELSEWHERE)
    assert (shared / "shop.env").read_text() == "FOO=1\n"
    assert key_types(run) == ["publishable", "secret"]


def test_git_pointed_at_no_repository_is_not_taken_for_no_repository(account, repo, run,
                                                                     tmp_path):
    """GIT_DIR set to a folder that is none: git fails, but the .git here says a commit may
    take the file."""
    result = run("keys", "create", "--env-file", ".env",
                 env={"GIT_DIR": str(tmp_path / "elsewhere")})

    assert result.exit_code == 1
    assert result.stderr == UNANSWERED.format(
        path=".env", reason=f"fatal: not a git repository: '{tmp_path / 'elsewhere'}'",
        instead=ELSEWHERE)
    assert not (repo / ".env").exists()
    assert key_types(run) == ["publishable", "secret"]


def test_git_failing_outside_any_repository_is_no_reason_to_refuse(account, project, run,
                                                                   refusing_git):
    """No .git at or above the folder: git's failure means no repository, as it always did."""
    from payground.cli.gitfiles import in_git_folder

    assert not in_git_folder(project)

    result = run("keys", "create", "--env-file", ".env", env=refusing_git(project))

    assert result.exit_code == 0, result.output
    assert refusing_git.key not in result.output
    assert result.output.splitlines()[-1] == "Added .env to .gitignore."
    assert (project / ".gitignore").read_text() == ".env\n"


def test_an_empty_git_folder_above_is_no_repository(account, project, run):
    """A .git folder without a HEAD (one left behind) is no repository to git, which looks
    past it and finds none: nothing can commit the file, so nothing is refused."""
    (project.parent / ".git").mkdir()

    result = run("keys", "create", "--env-file", ".env")

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "Added .env to .gitignore."
    assert (project / ".gitignore").read_text() == ".env\n"


def test_outside_git_the_gitignore_is_read_without_the_user_s_git_dir(account, project, run,
                                                                      tmp_path):
    """GIT_DIR names no repository here: git still reads ./.gitignore ("*.env" covers the
    file) in a repository of its own."""
    (project / ".gitignore").write_text("*.env\n")

    result = run("keys", "create", "--env-file", "ci.env",
                 env={"GIT_DIR": str(tmp_path / "elsewhere")})

    assert result.exit_code == 0, result.output
    assert "Added" not in result.output
    assert (project / ".gitignore").read_text() == "*.env\n"
