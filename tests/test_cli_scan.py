"""`payground scan`: keys in a project's files, its staged changes and its git history."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from payground.core import keys
from tests.test_cli_keys import PASSWORD, account, cli_home, email, key_id, run, server  # noqa: F401

REPO = Path(__file__).resolve().parents[1]


def git(path, *args):
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@example.com",
                    "-c", "commit.gpgsign=false", *args], check=True, capture_output=True, env=env)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    path = tmp_path / "shop"
    path.mkdir()
    git(path, "init", "-q")
    monkeypatch.chdir(path)
    return path


@pytest.fixture
def scan(cli_home):
    """Run `payground scan ARGS` in-process (no server needed without --check)."""
    from click.testing import CliRunner

    from payground.cli import main

    clean = {name: None for name in os.environ if name.startswith("PAYGROUND_")}

    def invoke(*args):
        return CliRunner(env=clean).invoke(main, ["--home", str(cli_home), "scan", *args])

    return invoke


def shown(key):
    return f"{key[:8]}...{key[-4:]}"


def test_reads_what_git_would_publish_not_what_it_ignores(repo, scan):
    secret, restricted = keys.generate("secret", False), keys.generate("restricted", True)
    publishable = keys.generate("publishable", False)
    (repo / ".gitignore").write_text(".env\n")
    (repo / ".env").write_text(f"STRIPE_SECRET_KEY={secret}\n")
    (repo / "app.py").write_text(f"import os\n\nstripe_key = '{secret}'\n")
    (repo / "web.js").write_text(f"const stripe = Stripe('{publishable}');\n")
    git(repo, "add", ".")
    (repo / "notes.txt").write_text(f"live reporting key: {restricted}\n")

    result = scan()

    assert result.exit_code == 1, result.output
    assert result.output.splitlines() == [
        f"LEAK notes.txt:1:21  {shown(restricted)}  live restricted key",
        "       not yet in git, not ignored: `git add .` would commit it",
        f"LEAK app.py:3:15  {shown(secret)}  test secret key",
        "       tracked by git: the next commit publishes it, if one has not already",
        f"ok   web.js:1:24  {shown(publishable)}  test publishable key",
        "       publishable: public by design, fine in front-end code",
        "",
        "2 secrets found in 4 files where they do not belong. Read keys from the environment "
        "(.env, git-ignored, on your machine).",
        "Once pushed, a key is public: deleting the line does not take it back. Roll the key, "
        "then remove it.",
        "`payground scan --check` says which are your keys and still work."]
    assert secret not in result.output and restricted not in result.output


def test_a_clean_project_passes(repo, scan):
    (repo / "app.py").write_text("import os\nstripe_key = os.environ['STRIPE_SECRET_KEY']\n")
    (repo / "docs.md").write_text("Set STRIPE_SECRET_KEY=sk_test_... (yours: `payground init`)\n")
    git(repo, "add", ".")
    result = scan()
    assert (result.exit_code, result.output) == (0, "No keys found in 2 files.\n")


def test_history_finds_a_key_a_later_commit_deleted(repo, scan):
    secret = keys.generate("secret", False)
    (repo / "settings.py").write_text(f"DEBUG = True\nSTRIPE_KEY = '{secret}'\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "settings")
    (repo / "settings.py").write_text("DEBUG = True\n")
    git(repo, "commit", "-qam", "oops, no key in code")
    first = subprocess.run(["git", "rev-list", "--max-parents=0", "HEAD"], cwd=repo,
                           capture_output=True, text=True, check=True).stdout.strip()

    assert scan().output == "No keys found in 1 file.\n"
    result = scan("--history")

    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[:2] == [
        f"LEAK {first[:10]} settings.py:2:15  {shown(secret)}  test secret key",
        "       committed: every clone has it, even if a later commit deletes it"]
    assert secret not in result.output


def test_a_key_still_in_a_committed_file_is_one_finding(repo, scan):
    secret = keys.generate("secret", False)
    (repo / "a.py").write_text(f"KEY = '{secret}'\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "a")
    found = json.loads(scan("--history", "--json").output)["findings"]
    assert [(f["path"], f["where"], f["line"], len(f["commit"])) for f in found] == [
        ("a.py", "history", 1, 40)]


def test_staged_reads_only_what_the_next_commit_adds(repo, scan):
    secret = keys.generate("secret", False)
    (repo / "a.py").write_text("print('hello')\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "a")
    (repo / "a.py").write_text(f"print('hello')\nKEY = '{secret}'\n")
    assert scan("--staged").output == "No keys found in the staged changes.\n"
    git(repo, "add", "a.py")
    result = scan("--staged")
    assert result.exit_code == 1
    assert result.output.splitlines()[:2] == [
        f"LEAK a.py:2:8  {shown(secret)}  test secret key",
        "       staged: the next commit publishes it"]


def test_as_a_pre_commit_hook_it_stops_the_commit(repo):
    secret = keys.generate("secret", False)
    payground = Path(sys.executable).with_name("payground")
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\nexec {payground} scan --staged\n")
    hook.chmod(0o755)
    (repo / "a.py").write_text(f"KEY = '{secret}'\n")
    git(repo, "add", ".")
    with pytest.raises(subprocess.CalledProcessError) as refused:
        git(repo, "commit", "-qm", "with a key")
    assert b"LEAK a.py:1:8" in refused.value.stderr  # git shows a hook's output on stderr
    assert secret.encode() not in refused.value.stdout + refused.value.stderr
    (repo / "a.py").write_text("import os\nKEY = os.environ['KEY']\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "from the environment")  # passes the hook


def test_outside_git_reads_the_folder_and_lets_env_files_be(tmp_path, monkeypatch, scan):
    secret = keys.generate("secret", False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"STRIPE_SECRET_KEY={secret}\n")
    (tmp_path / "node_modules" / "lib").mkdir(parents=True)
    (tmp_path / "node_modules" / "lib" / "x.js").write_text(f"'{secret}'")
    (tmp_path / "dump.bin").write_bytes(b"\0\1" + secret.encode())
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "pay.py").write_text(f"key = '{secret}'\n")

    result = scan()

    assert result.exit_code == 1
    assert result.output.splitlines()[:5] == [
        f"LEAK src/pay.py:1:8  {shown(secret)}  test secret key",
        "       in a file (not in a git repository)",
        f"ok   .env:1:19  {shown(secret)}  test secret key",
        "       in a dotenv file: fine on your machine, keep it out of version control",
        ""]
    assert "1 secret found in 2 files where it does not belong." in result.output
    assert scan("src/pay.py", "--json").exit_code == 1
    assert scan(".env").exit_code == 0


def test_outside_git_the_files_env_file_writes_are_env_files_but_not_examples(
        tmp_path, monkeypatch, scan):
    """`keys create --env-file .env.ci` (or ci.env) puts a key where .env would: as fine
    there; `.env.example` is meant to be committed, with placeholders: a key there leaks."""
    secret = keys.generate("secret", False)
    monkeypatch.chdir(tmp_path)
    for name in (".env.ci", ".env.local", "ci.env", ".env.example", "app.env.sample"):
        (tmp_path / name).write_text(f"K={secret}\n")

    result = scan("--json")

    assert result.exit_code == 1
    found = {f["path"]: (f["where"], f["leak"]) for f in json.loads(result.output)["findings"]}
    assert found == {".env.ci": ("env-file", False), ".env.local": ("env-file", False),
                     "ci.env": ("env-file", False), ".env.example": ("file", True),
                     "app.env.sample": ("file", True)}


def test_history_and_staged_need_git(tmp_path, monkeypatch, scan):
    monkeypatch.chdir(tmp_path)
    for flag in ("--staged", "--history"):
        result = scan(flag)
        assert result.exit_code == 2
        assert result.output.splitlines()[-1] == (
            "Error: . is not in a git repository: --staged and --history read git's index "
            "and commits.")


def test_check_says_which_keys_are_yours_and_still_work(repo, server, account, run):
    active = account.create_key(permissions=["charge_read"])
    revoked = account.create_key(type="secret")
    account.revoke(revoked)
    stranger = server.signup(email=email(), password=PASSWORD).secret_key
    (repo / "a.py").write_text(f"A = '{active}'\nB = '{revoked}'\nC = '{stranger}'\n")
    active_id, revoked_id = key_id(server, account, active), key_id(server, account, revoked)

    result = run("scan", "--check")

    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[:9] == [  # secret keys before restricted ones, then by place
        f"LEAK a.py:2:6  {shown(revoked)}  test secret key",
        "       not yet in git, not ignored: `git add .` would commit it",
        f"       yours: {revoked_id}, revoked: it no longer works",
        f"LEAK a.py:3:6  {shown(stranger)}  test secret key",
        "       not yet in git, not ignored: `git add .` would commit it",
        "       not a key of your account on this server",
        f"LEAK a.py:1:6  {shown(active)}  test restricted key",
        "       not yet in git, not ignored: `git add .` would commit it",
        f"       yours: {active_id}, active: it still works. Roll it now: "
        f"payground keys roll {active_id} --expires-in now"]
    assert "--check" not in lines[-1]
    as_json = json.loads(run("scan", "--check", "--json").output)
    assert [f["key"] and (f["key"]["id"], f["key"]["status"]) for f in as_json["findings"]] == [
        (revoked_id, "revoked"), None, (active_id, "active")]
    for planted in (active, revoked, stranger):
        assert planted not in result.output + json.dumps(as_json)


def test_check_lets_a_dead_key_rest_in_the_history_but_not_in_the_files(repo, server, account,
                                                                        run):
    """Commits cannot be changed: once the key they hold is revoked, the leak is dealt with
    and a CI gate on `scan --history --check` passes again. Still in a file, it must go."""
    leaked = account.create_key(type="secret")
    (repo / "pay.py").write_text(f"KEY = '{leaked}'\n")
    commit_all(repo, "oops")
    (repo / "pay.py").write_text("KEY = os.environ['STRIPE_SECRET_KEY']\n")
    commit_all(repo, "from the environment")
    leaked_id = key_id(server, account, leaked)
    assert run("scan", "--history", "--check").exit_code == 1  # still working: roll it

    account.revoke(leaked)
    result = run("scan", "--history", "--check")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("ok   ") and lines[0].endswith(
        f"pay.py:1:8  {shown(leaked)}  test secret key")
    assert lines[1:3] == [
        "       committed: every clone has it, even if a later commit deletes it",
        f"       yours: {leaked_id}, revoked: it no longer works; the commits keep it, "
        "nothing left to do"]
    assert json.loads(run("scan", "--history", "--check", "--json").output)["leaks"] == 0

    # Back in the file (committed and there: one finding at the file's place), a leak again.
    (repo / "pay.py").write_text(f"KEY = '{leaked}'\n")
    commit_all(repo, "back")
    again = run("scan", "--history", "--check")
    assert again.exit_code == 1, again.output
    lines = again.output.splitlines()
    assert lines[0].startswith("LEAK ") and lines[0].endswith(
        f"pay.py:1:8  {shown(leaked)}  test secret key")
    assert lines[2] == f"       yours: {leaked_id}, revoked: it no longer works"
    as_json = json.loads(run("scan", "--history", "--check", "--json").output)
    assert (as_json["leaks"], as_json["findings"][0]["leak"]) == (1, True)
    assert run("scan", "--check").exit_code == 1
    assert leaked not in result.output + again.output


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="not a git checkout")
def test_this_repository_holds_no_key(scan, monkeypatch):
    monkeypatch.chdir(REPO)
    result = scan("--json")
    assert json.loads(result.output)["leaks"] == 0, result.output
    assert result.exit_code == 0


# --- what git shows differently, and what it fails to show ---------------------------------


def commit_all(repo, message="c"):
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def test_files_git_diffs_as_binary_are_read_as_text(repo, scan):
    secret = keys.generate("secret", True)
    (repo / ".gitattributes").write_text("*.min.js -diff\n")
    commit_all(repo)
    (repo / "app.min.js").write_text(f'var k="{secret}";\n')
    git(repo, "add", ".")
    staged = scan("--staged")
    assert staged.exit_code == 1 and "LEAK app.min.js:1:8" in staged.output
    git(repo, "commit", "-qm", "minified")
    (repo / "app.min.js").unlink()
    commit_all(repo, "gone")
    history = scan("--history")
    assert history.exit_code == 1 and "app.min.js:1:8" in history.output


def test_a_key_written_while_resolving_a_merge_is_in_the_history(repo, scan):
    secret = keys.generate("secret", False)
    (repo / "conf.py").write_text("KEY = None\n")
    commit_all(repo, "base")
    git(repo, "checkout", "-qb", "other")
    (repo / "conf.py").write_text("KEY = 'theirs'\n")
    commit_all(repo, "theirs")
    git(repo, "checkout", "-q", "-")
    (repo / "conf.py").write_text("KEY = 'ours'\n")
    commit_all(repo, "ours")
    with pytest.raises(subprocess.CalledProcessError):
        git(repo, "merge", "-q", "other")
    conflicted = scan("--json")  # a conflicted file is listed once per stage: read once
    assert json.loads(conflicted.output)["scanned"] == 1
    (repo / "conf.py").write_text(f"KEY = '{secret}'\n")
    commit_all(repo, "merged by hand")
    (repo / "conf.py").write_text("KEY = None\n")
    commit_all(repo, "no key")
    result = scan("--history")
    assert result.exit_code == 1
    assert f"conf.py:1:8  {shown(secret)}" in result.output


def test_a_stash_is_not_published(repo, scan):
    (repo / "a.py").write_text("A = 1\n")
    commit_all(repo)
    (repo / "a.py").write_text(f"A = '{keys.generate('secret', False)}'\n")
    git(repo, "add", "a.py")  # the stash's index commit holds it too
    git(repo, "stash", "-q")
    assert scan("--history").output == "No keys found in 1 file.\n"


def test_when_git_fails_the_scan_fails(repo, scan):
    (repo / "a.py").write_text(f"A = '{keys.generate('secret', False)}'\n")
    commit_all(repo)
    blob = subprocess.run(["git", "rev-parse", "HEAD:a.py"], cwd=repo, capture_output=True,
                          text=True, check=True).stdout.strip()
    (repo / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    result = scan("--history")
    assert result.exit_code == 2
    assert result.output.startswith("Error: git log failed: ")


def test_odd_file_names(repo, scan):
    secret = keys.generate("secret", False)
    latin1 = os.fsdecode(b"caf\xe9.py")
    for name in ("my file.py", "tab\tname.py", latin1, "日本.py"):
        (repo / name).write_text(f"K = '{secret}'\n")
    commit_all(repo)
    found = json.loads(scan("--history", "--json").output)["findings"]
    assert sorted(f["path"] for f in found) == sorted(["my file.py", "tab\tname.py", latin1,
                                                       "日本.py"])
    assert {f["where"] for f in found} == {"history"}  # each file and its commit: one finding


def test_utf16_files_are_read_and_big_files_are_named(repo, scan):
    secret = keys.generate("secret", False)
    (repo / "win.txt").write_bytes(f"KEY={secret}\r\n".encode("utf-16"))
    (repo / "bom.txt").write_bytes(b"\xef\xbb\xbf" + secret.encode())
    (repo / "big.js").write_text("x" * (5 * 2**20) + secret)
    result = scan()
    assert result.exit_code == 1
    assert "LEAK win.txt:1:5" in result.output and "LEAK bom.txt:1:1" in result.output
    assert result.output.splitlines()[-1] == "Not scanned, over 5 MB: big.js"
    assert json.loads(scan("--json").output)["skipped_large"] == ["big.js"]


def test_an_ignored_file_named_on_the_command_line_is_read(repo, scan):
    secret = keys.generate("secret", False)
    (repo / ".gitignore").write_text("secrets.yml\n")
    (repo / "secrets.yml").write_text(f"key: {secret}\n")
    result = scan("secrets.yml")
    assert result.exit_code == 0
    assert result.output.splitlines()[:2] == [
        f"ok   secrets.yml:1:6  {shown(secret)}  test secret key",
        "       in a file git ignores: not published by a commit (keep it that way)"]


def test_check_without_a_session_still_reports(repo, scan, cli_home):
    secret = keys.generate("secret", False)
    (repo / "a.py").write_text(f"A = '{secret}'\n")
    result = scan("--check")
    assert result.exit_code == 1
    assert f"LEAK a.py:1:6  {shown(secret)}  test secret key" in result.output
    assert f"--check: no session in {cli_home / 'session'}" in result.output


def test_files_of_a_submodule_are_read(repo, tmp_path, scan):
    secret = keys.generate("secret", False)
    library = tmp_path / "library"
    library.mkdir()
    git(library, "init", "-q")
    (library / "client.py").write_text(f"KEY = '{secret}'\n")
    commit_all(library, "library")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(library),
        "vendor/library")
    result = scan()
    assert result.exit_code == 1
    assert f"LEAK vendor/library/client.py:1:8  {shown(secret)}" in result.output


def test_check_does_not_tell_to_roll_a_key_that_is_where_it_belongs(tmp_path, monkeypatch,
                                                                      server, account, run):
    monkeypatch.chdir(tmp_path)  # not a git repository: .env is read, and is fine
    (tmp_path / ".env").write_text(f"STRIPE_SECRET_KEY={account.secret_key}\n")
    result = run("scan", "--check")
    assert result.exit_code == 0, result.output
    shown_id = key_id(server, account, account.secret_key)
    assert result.output.splitlines()[:3] == [
        f"ok   .env:1:19  {shown(account.secret_key)}  test secret key",
        "       in a dotenv file: fine on your machine, keep it out of version control",
        f'       yours: {shown_id} "Test secret key", active']


def test_history_of_a_bare_repository(repo, tmp_path, scan):
    secret = keys.generate("secret", False)
    (repo / "a.py").write_text(f"KEY = '{secret}'\n")
    commit_all(repo)
    git(tmp_path, "clone", "-q", "--bare", str(repo), "server.git")
    result = scan("--history", str(tmp_path / "server.git"))
    assert result.exit_code == 1
    assert f"a.py:1:8  {shown(secret)}  test secret key" in result.output
    assert scan(str(tmp_path / "server.git")).exit_code == 0  # no files to read: nothing


def test_a_utf16_file_is_read_in_the_staged_changes_and_the_history(repo, scan):
    secret = keys.generate("secret", False)
    (repo / "win.txt").write_bytes(f"A=1\r\nKEY={secret}\r\n".encode("utf-16"))
    git(repo, "add", ".")
    staged = scan("--staged")
    assert staged.exit_code == 1
    assert staged.output.splitlines()[0] == f"LEAK win.txt:2:5  {shown(secret)}  test secret key"
    commit_all(repo, "from Windows")
    (repo / "win.txt").unlink()
    commit_all(repo, "gone")
    history = json.loads(scan("--history", "--json").output)["findings"]
    assert [(f["path"], f["line"], f["column"], f["display"]) for f in history] == [
        ("win.txt", 2, 5, shown(secret))]


def test_git_settings_of_the_user_do_not_change_what_is_read(repo, scan):
    secret = keys.generate("secret", False)
    (repo / "b").mkdir()
    (repo / "b" / "conf.py").write_text(f"KEY = '{secret}'\n")
    for setting in ("diff.noprefix=true", "diff.mnemonicPrefix=true", "log.showRoot=false"):
        git(repo, "config", *setting.split("="))
    git(repo, "add", ".")
    staged = json.loads(scan("--staged", "--json").output)["findings"]
    assert [f["path"] for f in staged] == ["b/conf.py"]
    commit_all(repo, "first")  # the root commit, which log.showRoot=false leaves out
    (repo / "b" / "conf.py").write_text("KEY = None\n")
    commit_all(repo, "no key")
    result = scan("--history")
    assert result.exit_code == 1
    assert f"b/conf.py:1:8  {shown(secret)}  test secret key" in result.output


def test_without_git_on_the_path(repo, scan, tmp_path, monkeypatch):
    secret = keys.generate("secret", False)
    (repo / ".gitignore").write_text("local.yml\n")
    (repo / "local.yml").write_text(f"key: {secret}\n")
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    for flag in ("--staged", "--history"):
        result = scan(flag)
        assert result.exit_code == 2
        assert result.stderr == ("Error: git is not installed (or not on PATH): --staged and "
                                 "--history read git's index and commits.\n")
    result = scan()  # every file, ignored ones too, and said so
    assert result.exit_code == 1
    assert result.stderr == ("git is not installed (or not on PATH): reading every file in ., "
                             "those .gitignore keeps out too.\n")
    assert f"LEAK local.yml:1:6  {shown(secret)}" in result.stdout


def test_a_symlink_is_read_as_git_publishes_it_not_followed(repo, tmp_path, scan):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keys.py").write_text(f"KEY = '{keys.generate('secret', False)}'\n")
    (repo / "keys.py").symlink_to(outside / "keys.py")
    (repo / "vendor").symlink_to(outside)
    commit_all(repo)
    for named in ((), ("keys.py",), ("vendor",)):
        result = scan(*named)
        assert (result.exit_code, result.output) == (0, "No keys found in 0 files.\n"), named


def test_a_symlink_to_the_project_from_outside_it_is_the_project(repo, tmp_path, scan,
                                                                  monkeypatch):
    # Not a link git publishes: the project itself. It was read as no repository at all:
    # --staged and --history stopped with status 2, and a git-ignored file was a LEAK.
    secret = keys.generate("secret", False)
    (repo / ".gitignore").write_text("local.txt\n")
    (repo / "local.txt").write_text(f"K={secret}\n")
    (repo / "app.py").write_text(f"K = '{secret}'\n")
    git(repo, "add", "app.py")
    (tmp_path / "shop-link").symlink_to(repo)
    monkeypatch.chdir(tmp_path)

    leak = f"LEAK shop/app.py:1:6  {shown(secret)}  test secret key"
    staged = scan("--staged", "shop-link")
    assert (staged.exit_code, staged.output.splitlines()[0]) == (1, leak), staged.output
    files = scan("shop-link")
    assert (files.exit_code, files.output.splitlines()[0]) == (1, leak), files.output
    assert "local.txt" not in files.output  # git ignores it
    commit_all(repo)
    assert scan("--history", "shop-link").exit_code == 1


def test_a_key_from_stripe_docs_is_public_not_a_leak(repo, scan):
    (repo / "pay.py").write_text("stripe.api_key = 'sk_test_4eC39HqLyjWDarjtT1zdp7dc'\n")
    result = scan()
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "ok   pay.py:1:19  sk_test_...p7dc  test secret key from Stripe's documentation",
        "       public: everyone who read Stripe's docs has it; use your own key, from the "
        "environment",
        "",
        "No secret leaks in 1 file."]


def test_a_file_name_with_a_newline_stays_on_its_line(repo, scan):
    secret = keys.generate("secret", False)
    (repo / "a\nb.py").write_text(f"K = '{secret}'\n")
    assert scan().output.splitlines()[0] == (
        f'LEAK "a\\nb.py":1:6  {shown(secret)}  test secret key')
