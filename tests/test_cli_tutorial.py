"""`payground tutorial`: list the lessons, copy one out to follow it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from payground.cli import main
from payground.cli.lessons import all_lessons, lessons_root

REPO_LESSONS = Path(__file__).resolve().parents[1] / "tutorials"


@pytest.fixture
def tutorial(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    clean = {name: None for name in os.environ if name.startswith("PAYGROUND_")}

    def invoke(*args):
        return CliRunner(env=clean).invoke(main, ["--home", str(tmp_path / "home"), "tutorial",
                                                  *args])

    return invoke


def test_the_installed_lessons_are_the_repositorys(tmp_path):
    """From a wheel or a checkout, the lessons are these folders, file for file."""
    mine = sorted(p.relative_to(REPO_LESSONS) for p in REPO_LESSONS.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)
    installed = sorted(p.relative_to(lessons_root()) for p in lessons_root().rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts)
    assert installed == mine
    assert [lesson.number for lesson in all_lessons()] == list(range(1, len(all_lessons()) + 1))


def test_lists_every_lesson_with_its_title(tutorial):
    result = tutorial()
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["1", "01-first-charge", "your", "first", "charge"]
    assert lines[1].split()[:3] == ["2", "02-storing-keys", "storing"]
    assert len([line for line in lines if line[:2].strip().isdigit()]) == len(all_lessons())
    assert lines[-1] == "Copy one here to follow it: payground tutorial 1"


@pytest.mark.parametrize("name", ["2", "02", "02-storing-keys"])
def test_copies_a_lesson_here(tutorial, tmp_path, name):
    result = tutorial(name)
    assert result.exit_code == 0, result.output
    copied = tmp_path / "02-storing-keys"
    assert result.output.splitlines()[0] == \
        "Lesson 2 (storing keys) is in 02-storing-keys/."
    source = lessons_root() / "02-storing-keys"
    for original in source.iterdir():
        if original.is_file():
            assert (copied / original.name).read_bytes() == original.read_bytes()
    assert not (copied / "__pycache__").exists()


def test_never_overwrites_a_learners_work(tutorial, tmp_path):
    assert tutorial("1").exit_code == 0
    mine = tmp_path / "01-first-charge" / "charge_with_requests.py"
    mine.write_text("# my version\n")
    again = tutorial("1")
    assert again.exit_code == 1
    assert again.output == ("Error: 01-first-charge already exists and is not empty: your "
                            "work there is kept. Choose another folder with --to.\n")
    assert mine.read_text() == "# my version\n"
    elsewhere = tutorial("1", "--to", "fresh")
    assert elsewhere.exit_code == 0 and (tmp_path / "fresh" / "README.md").is_file()


def test_an_unknown_lesson_is_refused(tutorial):
    result = tutorial("99")
    assert result.exit_code == 2
    numbers = ", ".join(str(lesson.number) for lesson in all_lessons())
    assert result.output.splitlines()[-1] == (
        f"Error: Invalid value for LESSON: no lesson '99': choose one of {numbers}.")


def test_the_wheel_carries_the_lessons_but_never_a_env_file():
    """Force-including tutorials/ would ship a developer's tutorials/*/.env (keys in it):
    the lessons are selected like the code, so .gitignore and ``exclude`` apply."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    config = tomllib.loads((REPO_LESSONS.parent / "pyproject.toml").read_text())
    wheel = config["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert "tutorials" in wheel["only-include"]
    assert wheel["sources"]["tutorials"] == "payground/tutorials"
    # .env, lesson 2's other.env, a lesson's leftover .env.XXXX rewrite, the CLI's half-done
    # ..env.XXXX.tmp or .other.env.XXXX.tmp (cli/envfile.py): keys, all of them.
    assert {".env", "*.env", ".env.*", "*.env.*"} <= set(wheel["exclude"])
    assert "force-include" not in wheel


def test_a_copy_leaves_behind_the_files_a_lesson_wrote_keys_to(tutorial, tmp_path,
                                                               monkeypatch):
    """In a checkout (an editable install) the lessons are copied from tutorials/, where a
    developer may have followed them: their keys stay there."""
    import shutil

    from payground.cli import lessons

    root = tmp_path / "checkout-tutorials"
    shutil.copytree(REPO_LESSONS / "02-storing-keys", root / "02-storing-keys")
    for leftover in (".env", "other.env", ".env.k3y5x",
                     "..env.k3y5x.tmp", ".other.env.k3y5x.tmp"):  # the CLI's, half-written
        (root / "02-storing-keys" / leftover).write_text("STRIPE_SECRET_KEY=sk_test_...\n")
    monkeypatch.setattr(lessons, "lessons_root", lambda: root)

    result = tutorial("2")

    assert result.exit_code == 0, result.output
    copied = sorted(p.name for p in (tmp_path / "02-storing-keys").iterdir())
    assert copied == sorted(p.name for p in (REPO_LESSONS / "02-storing-keys").iterdir()
                            if p.name != "__pycache__")


def test_a_file_in_the_way_is_kept(tutorial, tmp_path):
    (tmp_path / "02-storing-keys").write_text("my notes\n")

    result = tutorial("2")

    assert result.exit_code == 1
    assert result.stderr == ("Error: 02-storing-keys is a file, not a folder: it is kept. "
                             "Choose a folder with --to.\n")
    assert (tmp_path / "02-storing-keys").read_text() == "my notes\n"


def test_a_folder_it_cannot_make_is_said_on_one_line(tutorial, tmp_path):
    (tmp_path / "blocker").write_text("")

    result = tutorial("2", "--to", "blocker/lesson")

    assert result.exit_code == 1
    assert result.stderr == ("Error: cannot copy lesson 2 into blocker/lesson (Not a "
                             "directory). Choose a folder you can write with --to.\n")


@pytest.mark.parametrize("existing", [False, True])
def test_a_copy_that_fails_halfway_leaves_nothing_behind(tutorial, tmp_path, monkeypatch,
                                                         existing):
    """A read-only folder, a full disk: the next try must not find a half-copied lesson
    that it refuses to overwrite."""
    import errno
    import shutil

    target = tmp_path / "02-storing-keys"
    if existing:
        target.mkdir()  # empty: a lesson may be copied into it

    def read_only(*_args, **_kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    with monkeypatch.context() as patch:
        patch.setattr(shutil, "copystat", read_only)  # after each file's bytes are written
        result = tutorial("2")

    assert result.exit_code == 1
    assert result.stderr == ("Error: cannot copy lesson 2 into 02-storing-keys (Read-only "
                             "file system). Choose a folder you can write with --to.\n")
    assert (list(target.iterdir()) == []) if existing else not target.exists()
    again = tutorial("2")
    assert again.exit_code == 0, again.output
    assert (target / "README.md").is_file()


def test_a_dangling_link_in_the_way_is_kept(tutorial, tmp_path):
    """A link to a folder that is not there (an unmounted drive): the copy cannot go through
    it, and the failed copy must not remove what it did not make."""
    link = tmp_path / "02-storing-keys"
    link.symlink_to(tmp_path / "not-mounted")

    result = tutorial("2")

    assert result.exit_code == 1
    assert result.stderr == ("Error: cannot copy lesson 2 into 02-storing-keys (File exists). "
                             "Choose a folder you can write with --to.\n")
    assert link.is_symlink() and os.readlink(link) == str(tmp_path / "not-mounted")
