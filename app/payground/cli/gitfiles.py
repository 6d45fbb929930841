"""What ``payground scan`` reads: a folder's files, or what git has of them.

In a git work tree the scan reads what git would publish - tracked files, and untracked ones
that are not ignored (``git add .`` would take them) - and leaves what ``.gitignore`` keeps
out, ``.env`` above all, where keys belong during development. Outside git it reads every
file under the folder except dependency and tool folders. ``--staged`` reads what the next
commit adds and ``--history`` every line any commit ever added: a key deleted since is still
in every clone.

Git's output is read as bytes: file names need not be UTF-8 (``os.fsdecode`` keeps them
usable as paths), and a failing git stops the scan rather than passing it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click

MAX_FILE_BYTES = 5 * 1024 * 1024  # larger files are data, not code: skipped, and said so
BINARY_PROBE = 8192
# Outside git: folders of installed dependencies and tool caches, which are not the project.
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv",
                          ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
_HUNK = re.compile(rb"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_C_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13,
              b'"': 34, b"\\": 92}
# Explicit, so that no user setting changes what is read: ``diff.noprefix`` or
# ``diff.mnemonicPrefix`` would change the ``b/`` before each path, ``log.showRoot=false`` would
# hide the first commit's lines.
_DIFF_OPTIONS = ["-p", "-U0", "--text", "--no-color", "--no-ext-diff", "--no-textconv",
                 "--no-renames", "--src-prefix=a/", "--dst-prefix=b/"]


class ScanFailed(click.ClickException):
    """The scan could not read what it was asked to (git failed): exit status 2, never the 0
    of a clean project nor the 1 of a leak."""

    exit_code = 2


@dataclass(frozen=True)
class AddedLine:
    """A line a commit (or the index, for ``--staged``) adds to ``path`` at ``number``."""

    commit: str | None
    path: str
    number: int
    text: str


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)


def _git_output(root: Path, *args: str) -> bytes:
    done = _git(root, *args)
    if done.returncode != 0:
        raise ScanFailed(f"git {args[0]} failed: "
                         f"{os.fsdecode(done.stderr).strip() or done.returncode}")
    return done.stdout


def have_git() -> bool:
    """Whether the ``git`` command can be run (``PATH`` may lack it: a slim CI image, say)."""
    return shutil.which("git") is not None


def in_git_folder(path: Path) -> bool:
    """Whether ``path`` is inside a folder git manages (a ``.git`` at or above it), told without
    git itself: for saying that git is missing rather than that there is no repository. A
    ``.git`` folder without a ``HEAD`` (an empty one left behind) is none: git looks past it."""
    folder = path.resolve()
    return any((parent / ".git").is_file() or (parent / ".git" / "HEAD").exists()
               for parent in (folder, *folder.parents))


def repo_root(path: Path) -> Path | None:
    """The top of the git work tree holding ``path``, or ``None`` (no git, or not in one)."""
    if path.is_symlink():
        # A link in a work tree is what git publishes, not what it points to (maybe outside
        # the tree). One from outside any work tree (to a project's folder) is followed.
        root = _toplevel(path.parent)
        if root is not None or not path.is_dir():
            return root
    return _toplevel(path if path.is_dir() else path.parent)


def _toplevel(folder: Path) -> Path | None:
    try:
        done = _git(folder, "rev-parse", "--show-toplevel")
    except OSError:  # git is not installed
        return None
    if done.returncode != 0 or not done.stdout.strip():  # not a work tree (a bare repository)
        return None
    return Path(os.fsdecode(done.stdout.rstrip(b"\n")))


def is_bare(path: Path) -> bool:
    """Whether ``path`` is a bare repository (commits, no work tree: what a git server keeps)."""
    try:
        done = _git(path, "rev-parse", "--is-bare-repository")
    except OSError:
        return False
    return done.returncode == 0 and done.stdout.strip() == b"true"


def git_files(root: Path, path: Path) -> tuple[list[Path], list[Path]]:
    """The tracked files under ``path``, and the untracked ones git does not ignore."""
    # Not resolving a symlink in the tree: git tracks the link, its target may be out of the
    # tree. A link from outside the tree to the project's folder (repo_root) stands for it.
    parent = path.parent.resolve()
    in_tree = path.is_symlink() and parent.is_relative_to(root.resolve())
    real = parent / path.name if in_tree else path.resolve()
    spec = os.path.relpath(real, root.resolve())

    def listed(*flags: str) -> list[Path]:
        names = _git_output(root, "ls-files", "-z", *flags, "--", spec).split(b"\0")
        # A file with a merge conflict is listed once per stage: read it once.
        return [root / os.fsdecode(name) for name in dict.fromkeys(names) if name]

    # Files of checked-out submodules too: they are published with the project. (Their
    # untracked files are not listed: git cannot list those across submodules.)
    return (listed("--cached", "--recurse-submodules"),
            listed("--others", "--exclude-standard"))


def walk_files(path: Path) -> Iterator[Path]:
    """Every regular file under ``path`` (or ``path`` itself), without following symlinks."""
    if path.is_file():
        yield path
        return
    for folder, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(files):
            yield Path(folder) / name


def too_large(path: Path) -> bool:
    try:
        return path.is_file() and path.stat().st_size > MAX_FILE_BYTES
    except OSError:
        return False


def read_text(path: Path) -> str | None:
    """A file's text, or ``None`` for what is not worth scanning (binary, unreadable, a
    symlink, gone since git listed it; the caller skipped what is ``too_large``). UTF-16 with
    a byte-order mark (what Windows tools often write) is text too."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return decode(data)


def decode(data: bytes) -> str | None:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", "replace")
    if b"\0" in data[:BINARY_PROBE]:
        return None
    return data.decode("utf-8-sig", "replace")  # a UTF-8 byte-order mark is no column


def staged_lines(root: Path) -> Iterator[AddedLine]:
    """The lines the next commit adds (``git diff --cached``)."""
    yield from _added_lines(root, ["diff", "--cached"])


def history_lines(root: Path) -> Iterator[AddedLine]:
    """Every line a commit on any branch, tag or remote-tracking ref added, newest commit
    first; a merge's own lines (a conflict resolved by hand) count as against its first
    parent. Stashes are left out: they are never pushed."""
    yield from _added_lines(root, ["log", "--root", "--exclude=refs/stash", "--all",
                                   "--diff-merges=first-parent", "--format=commit %H"])


def _added_lines(root: Path, command: list[str]) -> Iterator[AddedLine]:
    args = ["git", "-C", str(root), *command, *_DIFF_OPTIONS]
    with tempfile.TemporaryFile() as errors, \
            subprocess.Popen(args, stdout=subprocess.PIPE, stderr=errors) as proc:
        assert proc.stdout is not None
        commit = path = None
        number = 0
        in_hunk = False
        for raw in proc.stdout:
            line = raw.rstrip(b"\n")
            if in_hunk and line[:1] in (b"+", b"-", b" ", b"\\"):
                if line.startswith(b"+"):
                    if path is not None:
                        yield AddedLine(commit, path, number, _line_text(line[1:]))
                    number += 1
                continue
            # Headers: a hunk's lines all start with one of the four characters above, so
            # nothing a file holds is read as one.
            in_hunk = False
            if line.startswith(b"commit "):
                commit = line[7:].strip().decode("ascii", "replace")
            elif line.startswith(b"diff --git "):
                path = None
            elif line.startswith(b"+++ "):
                path = _diff_path(line[4:])
            elif (hunk := _HUNK.match(line)) is not None:
                number = int(hunk.group(1))
                in_hunk = True
        if proc.wait() != 0:
            errors.seek(0)
            raise ScanFailed(f"git {command[0]} failed: "
                             f"{os.fsdecode(errors.read()).strip() or proc.returncode}")


def _line_text(line: bytes) -> str:
    """An added line as text. A UTF-16 file (which ``read_text`` reads as text) comes out of
    ``git diff --text`` as bytes with a NUL beside each ASCII character: without the NULs (and
    the byte-order mark) its keys read as they do in the file."""
    if b"\0" in line:
        line = line.replace(b"\0", b"")
        if line[:2] in (b"\xff\xfe", b"\xfe\xff"):
            line = line[2:]
    return line.decode("utf-8", "replace")


def _diff_path(name: bytes) -> str | None:
    """``b/src/app.py`` -> ``src/app.py``; ``/dev/null`` (a deleted file) -> ``None``.

    Git ends the name with a tab when it holds a space, and C-quotes one that holds a tab,
    a quote, a backslash or (unless ``core.quotePath`` is off) any byte above 0x7f.
    """
    name = name.rstrip(b"\t")
    if name.startswith(b'"') and name.endswith(b'"') and len(name) >= 2:
        name = _unquote(name[1:-1])
    if name == b"/dev/null":
        return None
    return os.fsdecode(name[2:] if name.startswith(b"b/") else name)


def _unquote(quoted: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(quoted):
        byte = quoted[i:i + 1]
        if byte == b"\\" and i + 1 < len(quoted):
            escape = quoted[i + 1:i + 2]
            if escape in _C_ESCAPES:
                out.append(_C_ESCAPES[escape])
                i += 2
                continue
            octal = quoted[i + 1:i + 4]
            if re.fullmatch(rb"[0-3][0-7]{2}", octal):
                out.append(int(octal, 8))
                i += 4
                continue
        out += byte
        i += 1
    return bytes(out)
