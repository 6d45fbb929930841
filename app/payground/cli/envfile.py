"""`.env` and `.gitignore` handling: keys written privately and kept out of Git.

A dotenv file is the user's: every line the CLI does not set comes back as it was, with its
line endings (CRLF stays CRLF) and its byte-order mark. A link to a file elsewhere (one
shared by projects) is written through, never replaced by a file of its own.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

from . import ENV_FILE, ENV_HEADER
from .gitignore import gitignore_line, listed


# --- files ---------------------------------------------------------------------------------

_ENV_LINE = re.compile(r"^\s*(export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_BOM = "\ufeff"
# A note before a value `init`, `activate` or `demo` replaced that was no key of the account:
# the file may have held the only copy of a key (a real Stripe one, another server's).
REPLACED_NOTE = "# Replaced by payground, kept in case it is still needed: "


def _lines(path: Path) -> tuple[str, list[tuple[str, str]]] | None:
    """A dotenv file as its byte-order mark ("" without one) and its lines, each with its
    own ending; ``None`` if there is no such file. Only ``\\n`` ends a line (``splitlines``
    would also split at a form feed or U+2028 inside a value)."""
    try:
        with open(_real(path), encoding="utf-8", newline="") as fh:  # "\r\n" kept as is
            text = fh.read()
    except FileNotFoundError:
        return None
    bom = _BOM if text.startswith(_BOM) else ""
    lines = []
    for piece in re.findall(r"[^\n]*\n|[^\n]+$", text[len(bom):]):
        ending = "\r\n" if piece.endswith("\r\n") else "\n" if piece.endswith("\n") else ""
        lines.append((piece[:len(piece) - len(ending)], ending))
    return bom, lines


def _value(raw: str) -> str:
    """A value as a shell or python-dotenv reads it: without its quotes, or without an
    inline ``# comment`` (one after a space) when it has none."""
    if raw[:1] in ("'", '"'):
        end = raw.find(raw[0], 1)
        if end > 0:
            return raw[1:end]
    return re.split(r"\s+#", raw, maxsplit=1)[0]


def assignments(path: Path) -> list[tuple[str, str]]:
    """Every ``(NAME, value)`` a dotenv file sets, line by line (a name set twice comes
    twice); none if there is no such file. Comments are not read."""
    return [(match[2], _value(match[3])) for line, _ending in (_lines(path) or ("", []))[1]
            if (match := _ENV_LINE.match(line))]


def _read_env(path: Path) -> dict[str, str]:
    return dict(assignments(path))  # the last one wins, as when sourced


def _values(path: Path, name: str) -> list[str]:
    """Every value ``name`` has in a dotenv file, in order: a file may set it more than once,
    and ``_update_env`` leaves one line of it."""
    return [value for found, value in assignments(path) if found == name]


def _update_env(path: Path, updates: dict[str, str], *, keep: frozenset[str] = frozenset(),
                ) -> None:
    """Set ``NAME=value`` lines in a dotenv file, keeping every other line; mode 0600.

    :param keep: names whose value, when it is replaced by another, stays in the file as a
        comment (``REPLACED_NOTE``) rather than being lost.
    """
    bom, lines = _lines(path) or ("", [(ENV_HEADER, "\n")])
    newline = next((ending for _line, ending in lines if ending), "\n")
    if lines and not lines[-1][1]:
        lines[-1] = (lines[-1][0], newline)  # no final newline: one before what is added
    pending = dict(updates)
    out = []
    for line, ending in lines:
        match = _ENV_LINE.match(line)
        if match and match[2] in updates:
            old = _value(match[3])
            if match[2] in keep and old and old != updates[match[2]]:
                out.append((REPLACED_NOTE + line, ending))
            if match[2] in pending:
                out.append((f"{match[1] or ''}{match[2]}={pending.pop(match[2])}", ending))
            # A second line for the same name is dropped: when sourced, it would win.
            continue
        out.append((line, ending))
    out.extend((f"{name}={value}", newline) for name, value in pending.items())
    _write_private(_real(path), bom + "".join(line + ending for line, ending in out))


def _real(path: Path) -> Path:
    """The file a dotenv path stands for: a symbolic link's target (a file shared by several
    projects, say), which is the file to update; the link stays a link."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (0600), atomically: no moment where a reader
    sees half a file, or the keys under looser permissions."""
    import tempfile

    # A folder made to hold private files is private too (PAYGROUND_HOME, above all).
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)  # mkstemp's default, made explicit
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


# --- keeping it out of Git -----------------------------------------------------------------


def _append_line(path: Path, line: str) -> None:
    """Add ``line`` at the end of a text file, in its line endings (a CRLF file stays one)."""
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            text = fh.read()
    except FileNotFoundError:
        text = ""
    newline = "\r\n" if "\r\n" in text else "\n"
    separator = "" if not text or text.endswith("\n") else newline
    with path.open("a", encoding="utf-8", newline="") as fh:
        fh.write(f"{separator}{line}{newline}")


def _ensure_gitignored(path: Path, name: str) -> bool:
    """Make sure the .gitignore ``path`` ignores ``name`` (a file in its folder); True if a
    line was added."""
    if listed(path, name):
        return False
    _append_line(path, gitignore_line(name))
    return True


def _run_git(folder: Path, *args: str) -> subprocess.CompletedProcess | None:
    """git's ``subprocess.CompletedProcess`` for ``args`` run in ``folder``; None without git."""
    import subprocess  # only when a key is written: not on every command's start-up

    try:
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                              check=False)
    except OSError:  # git is not installed
        return None


def _git(folder: Path, *args: str) -> int | None:
    """git's exit status for ``args`` run in ``folder``; None without git."""
    done = _run_git(folder, *args)
    return None if done is None else done.returncode


class _GitUnanswered(Exception):
    """git failed in a folder with a ``.git`` at or above it (a repository owned by another
    user, a broken ``.git`` file, ``GIT_DIR`` set elsewhere): whether ``path`` is tracked is
    unknown, and "not tracked" would be a guess. ``reason``: git's first line, scrubbed."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, reason)
        self.path, self.reason = path, reason


def _first_line(done: subprocess.CompletedProcess) -> str:
    """What git said first on stderr, printable and with anything key-like masked (a path can
    hold anything), or its exit status if it said nothing."""
    from ..core.keys import scrub

    lines = done.stderr.decode("utf-8", "replace").splitlines()
    line = next((line.strip() for line in lines if line.strip()), "")
    if not line:
        return f"git exited with status {done.returncode}"
    return scrub("".join(char if char.isprintable() else "?" for char in line))


def _existing(folder: Path) -> Path:
    """``folder``, or its nearest ancestor that exists (the rest is made when written)."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def _gitignore_for(env: Path) -> Path | None:
    """The .gitignore that keeps ``env`` out of Git: in a work tree, the one beside it (git
    reads it last, so its line wins over the other .gitignore files); outside any, ./.gitignore
    for a file in this folder (for the repository it may become); None for a file elsewhere.
    Named by the path given, not a link's target: git publishes the link."""
    folder = env.absolute().parent
    if _git(_existing(folder), "rev-parse", "--show-toplevel") == 0:  # fails in .git, bare
        return folder / ".gitignore"
    if folder.resolve() == Path.cwd().resolve():
        return Path(".gitignore")
    return None


def _ignored(env: Path, gitignore: Path) -> bool:
    """Whether git ignores ``env``: git says (every ignore file, .git/info/exclude too), or,
    outside a work tree, ``gitignore``'s lines (``listed``)."""
    folder = env.absolute().parent
    if folder.is_dir():
        # --no-index: a pattern's verdict even for a tracked file (check_env_file refused it).
        # "./": a name git would read as pathspec magic (":x") is that file too.
        status = _git(folder, "check-ignore", "-q", "--no-index", "--", f"./{env.name}")
        if status in (0, 1):  # 128: not in a work tree
            return status == 0
    return listed(gitignore, env.name)


def ignore_files(env: Path) -> list[tuple[Path, Path]]:
    """Each file a key written to ``env`` could be published from, with the .gitignore that
    keeps it out (``_gitignore_for``): ``env``, and for a link its target too - git publishes
    the link, but the key is in the target, which a ``git add .`` takes if it is in a work
    tree (``.env -> config/shared.env``). A file outside Git and this folder has none."""
    pairs = []
    for path in dict.fromkeys([env, _real(env)]):
        gitignore = _gitignore_for(path)
        if gitignore is not None:
            pairs.append((path, gitignore))
    return pairs


def keep_out_of_git(env: Path, files: list[tuple[Path, Path]] | None = None,
                    ) -> list[tuple[Path, Path]]:
    """Make sure git ignores ``env`` and a link's target; each (file, .gitignore) pair whose
    .gitignore gained a line for it. ``files``: ``ignore_files(env)``, if known already."""
    added = []
    for path, gitignore in ignore_files(env) if files is None else files:
        if not _ignored(path, gitignore):
            _append_line(gitignore, gitignore_line(path.name))
            added.append((path, gitignore))
    return added


def added_lines(added: list[tuple[Path, Path]]) -> list[str]:
    """What ``keep_out_of_git`` did, a line each: ``Added .env to .gitignore.``"""
    return [f"Added {path.name} to {os.path.relpath(gitignore)}." for path, gitignore in added]


def _tracked(env: Path) -> Path | None:
    """The file git tracks that a key written to ``env`` would go in: ``env``, or a link's
    target (when it is in a work tree); ``None`` if neither is tracked (or without git).
    Raises ``_GitUnanswered`` if git fails where a ``.git`` says there is a repository."""
    from .gitfiles import in_git_folder

    for path in dict.fromkeys([env.absolute(), Path(os.path.realpath(env))]):
        folder = _existing(path.parent)
        spec = os.path.relpath(path, folder)
        # Literal: a name with a "*" in it is that file, not a pattern.
        done = _run_git(folder, "ls-files", "--error-unmatch", "--", f":(literal){spec}")
        if done is None:
            return None  # no git: nothing can say (README: "Without git on PATH ...")
        shown = env if path == env.absolute() else Path(os.path.relpath(path))
        if done.returncode == 0:
            return shown
        # 1: not tracked. Else git failed: outside any repository that means nothing is
        # tracked; under a .git, git had something to say and could not.
        if done.returncode != 1 and in_git_folder(folder):
            what = str(env) if shown == env else f"{shown} (the file {env} links to)"
            raise _GitUnanswered(what, _first_line(done))
    return None


# --- checked before anything is created ----------------------------------------------------


def check_writable(*paths: Path) -> None:
    """Refuse, before anything is created on the server, files that could not be updated:
    a key issued and then not written down is a key lost (the server shows it only once)."""
    import click

    for path in paths:
        try:
            path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if path.is_symlink() and not _real(path).parent.is_dir():
                raise click.ClickException(
                    f"{path} is a link to {os.path.realpath(path)}, in a folder that does "
                    "not exist. Nothing was changed.") from None
        except UnicodeDecodeError:
            raise click.ClickException(f"{path} is not UTF-8 text, so a key could not be added "
                                       "to it safely. Nothing was changed.") from None
        except OSError as error:
            raise click.ClickException(f"cannot read {path} ({error.strerror}). Nothing was "
                                       "changed.") from None
        real = _real(path)
        folder = _existing(real.parent.resolve())  # made when written
        if not os.access(folder, os.W_OK) or (real.exists() and not os.access(real, os.W_OK)):
            raise click.ClickException(f"cannot write {path} (no permission there). Nothing "
                                       "was changed.")


def check_env_file(env: Path, *, elsewhere: str = "") -> None:
    """Refuse, before anything is created, a dotenv file the keys cannot go to safely: one
    that could not be written (``check_writable``), with the .gitignore that must list it, or
    one git tracks - a key written there would go out with the next commit, and .gitignore
    does not untrack a file - or may track: git failed in a repository (``_tracked``).

    :param elsewhere: how this command could write its keys out of the repository instead,
        said when git cannot be asked ("write the key to ... with --env-file").
    """
    import click

    check_writable(env, *(gitignore for _path, gitignore in ignore_files(env)))
    try:
        tracked = _tracked(env)
    except _GitUnanswered as error:
        instead = f", or {elsewhere}" if elsewhere else ""
        raise click.ClickException(
            f"git could not be asked whether {error.path} is tracked ({error.reason}), and a "
            "key written to a file git tracks would be published by the next commit. Fix what "
            f"git says{instead}, then run this again. Nothing was changed.") from None
    if tracked is not None:
        what = (f"{env} is" if tracked == env
                else f"{env} is a link to {tracked}, which is")  # the key would go there
        raise click.ClickException(
            f"{what} tracked by git: a key written there would be published by the next "
            f"commit, and .gitignore does not untrack a file. Untrack it first (`git rm "
            f"--cached {tracked}` keeps your copy), commit that, then run this again. Nothing "
            "was changed.")


def check_unset(path: Path, name: str) -> None:
    """Refuse, before a new key is created, to write it over a value ``name`` already has in
    ``path``: that may be the only copy of a key that still works (a new key replaces an old
    one in a roll, never in a create)."""
    import click

    if any(_values(path, name)):  # an earlier line too: the update drops it
        raise click.ClickException(
            f"{path} already has {name}: writing the new key there would lose the one it "
            "holds. Name another variable with --env-var, or another file. Nothing was "
            "created.")


def stale_shell_note(path: Path, names: tuple[str, ...] | list[str]) -> str | None:
    """A note when this shell exports one of ``names`` with another value than ``path`` now
    holds; ``None`` when it exports none of them (or the same values).

    A variable already set wins over a dotenv file, for python-dotenv and for the lessons'
    programs: after `set -a; . ./.env; set +a`, a key fixed, replaced or rolled in the file
    would go on failing from the shell's copy, with the very error the user just fixed. An
    empty one wins too (``export STRIPE_SECRET_KEY=``): the programs then say it is empty.
    """
    import shlex

    in_file = _read_env(path)
    stale = [name for name in names
             if name in os.environ and name in in_file and os.environ[name] != in_file[name]]
    if not stale:
        return None
    shown = ", ".join(f"{name}={_shown(name, os.environ[name])}" for name in stale)
    source = shlex.quote(str(path) if "/" in str(path) else f"./{path}")  # a space, say
    values = "the value" if len(stale) == 1 else "the values"
    return (f"Note: your shell has {shown}, not {values} in {path}, and a variable already set "
            f"wins over the file: programs that load {path} keep using your shell's until you "
            f"load it again: set -a; . {source}; set +a")


def _shown(name: str, value: str) -> str:
    """A shell's value as the note shows it: whole if anyone may see it (a publishable key,
    an API base with no key in it), masked otherwise. By the value, not the name: a secret
    key in STRIPE_PUBLISHABLE_KEY (the keys swapped, lesson 6's mistake) stays masked."""
    from ..core.keys import scrub
    from .client import _mask

    if not value:
        return " (empty)"
    if value.startswith("pk_"):
        return value
    return scrub(value) if name.endswith("_API_BASE") else _mask(value)


def write_or_show(write, secrets: dict[str, str]) -> object:
    """Run ``write()``; if it fails anyway (the disk filled up, the file changed meanwhile),
    show the just-issued ``secrets`` once instead of losing them, then stop with the error.
    Any error: a key the server issued is lost to a bug here as surely as to a full disk."""
    import click

    try:
        return write()
    except Exception as error:  # noqa: BLE001 - whatever it is, the keys must not be lost
        click.echo(f"Could not write the new keys ({error}). They are shown this once:",
                   err=True)
        for name, value in secrets.items():
            click.echo(f"  {name}={value}", err=True)
        raise click.ClickException("store them now (a .env file kept out of Git, or a "
                                   "secrets manager).") from None


def _save_env_with_gitignore(updates: dict[str, str], *, keep: frozenset[str] = frozenset(),
                             ) -> list[tuple[Path, Path]]:
    """Write ./.env (``keep``: see ``_update_env``) and make sure git ignores it (and a link's
    target); what ``keep_out_of_git`` added."""
    _update_env(Path(ENV_FILE), updates, keep=keep)
    return keep_out_of_git(Path(ENV_FILE))
