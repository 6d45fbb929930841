"""`payground tutorial`: the lessons of tutorials/, wherever Payground was installed from.

A wheel carries them inside the package (``payground/tutorials``, see pyproject.toml); a
source checkout has them at its top. ``payground tutorial`` lists them and ``payground
tutorial 2`` copies lesson 2 into the current folder, to read, run and change: a learner who
installed Payground with pip has no checkout to open.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import click

from . import main

_FOLDER = re.compile(r"^(\d{2})-[a-z0-9-]+$")
# A run's leftovers, and keys: .env, lesson 2's other.env, a lesson's half-done .env rewrite
# (a checkout's lessons are copied as they are, wherever the developer followed them).
# *.env.*: the CLI's own half-done rewrite of one (envfile: ..env.XXXX.tmp, .other.env.XXXX.tmp).
_LEFT_BEHIND = ("__pycache__", "*.pyc", ".env", "*.env", ".env.*", "*.env.*", ".pytest_cache")


@dataclass(frozen=True)
class Lesson:
    number: int
    path: Path

    @property
    def title(self) -> str:
        """The README's first heading without "Lesson N — ": ``storing keys``."""
        try:
            first = (self.path / "README.md").read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError):
            return self.path.name
        return re.sub(r"^#\s*Lesson\s+\d+\s*[—-]\s*", "", first).strip() or self.path.name


def lessons_root() -> Path:
    """Where the lessons are: inside the installed package, else in the source checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "tutorials", package.parent.parent / "tutorials"):
        if candidate.is_dir():
            return candidate
    raise click.ClickException("The lessons are not installed with this copy of Payground: "
                               "they are in the tutorials/ folder of its source.")


def all_lessons() -> list[Lesson]:
    root = lessons_root()
    found = [Lesson(int(m.group(1)), p) for p in sorted(root.iterdir())
             if p.is_dir() and (m := _FOLDER.match(p.name))]
    return sorted(found, key=lambda lesson: lesson.number)


def _pick(value: str) -> Lesson:
    lessons = all_lessons()
    for lesson in lessons:
        if value.lstrip("0") == str(lesson.number) or value.rstrip("/") == lesson.path.name:
            return lesson
    numbers = ", ".join(str(lesson.number) for lesson in lessons)
    raise click.BadParameter(f"no lesson {value!r}: choose one of {numbers}.",
                             param_hint="LESSON")


@main.command()
@click.argument("lesson", required=False)
@click.option("--to", "target", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to copy the lesson into [default: ./<lesson's folder>].")
def tutorial(lesson: str | None, target: Path | None) -> None:
    """List the lessons, or copy LESSON (its number) here to follow it.

    \b
      payground tutorial          # the lessons
      payground tutorial 2        # copy lesson 2 into ./02-storing-keys

    \f
    .. versionadded:: 0.1
    """
    if lesson is None:
        lessons = all_lessons()
        width = max(len(lesson.path.name) for lesson in lessons)
        for each in lessons:
            click.echo(f"{each.number:>2}  {each.path.name:<{width}}  {each.title}")
        click.echo("\nCopy one here to follow it: payground tutorial 1")
        return
    chosen = _pick(lesson)
    target = target if target is not None else Path(chosen.path.name)
    if target.exists() and not target.is_dir():
        raise click.ClickException(f"{target} is a file, not a folder: it is kept. Choose a "
                                   "folder with --to.")
    if target.exists() and any(target.iterdir()):
        raise click.ClickException(f"{target} already exists and is not empty: your work "
                                   "there is kept. Choose another folder with --to.")
    _copy(chosen, target)
    click.echo(f"Lesson {chosen.number} ({chosen.title}) is in {target}/.")
    click.echo(f"Open {target / 'README.md'} and follow it from the top; the programs it runs "
               "are next to it.")
    click.echo("It needs a running server (`payground serve`) and an account "
               "(`payground init`, run in that folder), and its programs these libraries: "
               "pip install requests stripe python-dotenv faker")


def _copy(lesson: Lesson, target: Path) -> None:
    """Copy the lesson into ``target`` (missing or empty); a copy that fails halfway (a
    read-only folder, a full disk) leaves nothing behind, so running it again just works."""
    import shutil  # here: `payground serve` imports this module at start-up

    # lexists: a link to nothing (an unmounted drive) is not made by the copy, and not
    # removed after it fails.
    made = not os.path.lexists(target)
    try:
        shutil.copytree(lesson.path, target, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(*_LEFT_BEHIND))
    except OSError as error:
        _remove_copied(target, made)
        # copytree gathers each file's failure into one shutil.Error; name the first.
        first = error.args[0][0] if isinstance(error, shutil.Error) and error.args[0] else None
        reason = re.sub(r"^\[Errno \d+\] ", "", first[2]) if first \
            else (error.strerror or str(error))
        raise click.ClickException(f"cannot copy lesson {lesson.number} into {target} "
                                   f"({reason}). Choose a folder you can write with "
                                   "--to.") from None


def _remove_copied(target: Path, made: bool) -> None:
    """Remove what a failed copy made: the folder, or what it put in the empty one given."""
    import shutil

    try:
        for leftover in [target] if made else list(target.iterdir()):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
    except OSError:  # best effort: the error being reported matters more
        pass
