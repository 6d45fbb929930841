"""What ``payground scan`` reads: a folder's files, or what git has of them.

In a git work tree the scan reads what git would publish - tracked files, and untracked ones
that are not ignored (``git add .`` would take them) - and leaves what ``.gitignore`` keeps
out, ``.env`` above all, where keys belong during development. Outside git it reads every
file under the folder except dependency and tool folders. ``--staged`` reads what the next
commit adds and ``--history`` every line any commit ever added: a key deleted since is still
in every clone.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_FILE_BYTES = 5 * 1024 * 1024  # larger files are data, not code: skipped and counted
BINARY_PROBE = 8192
# Outside git: folders of installed dependencies and tool caches, which are not the project.
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv",
                          ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass(frozen=True)
class AddedLine:
    """A line a commit (or the index, for ``--staged``) adds to ``path`` at ``number``."""

    commit: str | None
    path: str
    number: int
    text: str


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), "-c", "core.quotePath=false", *args],
                          capture_output=True, check=False)


def repo_root(path: Path) -> Path | None:
    """The top of the git work tree holding ``path``, or ``None`` (no git, or not in one)."""
    folder = path if path.is_dir() else path.parent
    try:
        done = _git(folder, "rev-parse", "--show-toplevel")
    except OSError:  # git is not installed
        return None
    if done.returncode != 0:
        return None
    return Path(done.stdout.decode().strip())


def git_files(root: Path, path: Path) -> tuple[list[Path], list[Path]]:
    """The tracked files under ``path``, and the untracked ones git does not ignore."""
    spec = os.path.relpath(path.resolve(), root.resolve())

    def listed(*flags: str) -> list[Path]:
        done = _git(root, "ls-files", "-z", *flags, "--", spec)
        names = [n for n in done.stdout.decode("utf-8", "replace").split("\0") if n]
        return [root / name for name in names]

    return listed("--cached"), listed("--others", "--exclude-standard")


def walk_files(path: Path) -> Iterator[Path]:
    """Every regular file under ``path`` (or ``path`` itself), without following symlinks."""
    if path.is_file():
        yield path
        return
    for folder, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in sorted(files):
            yield Path(folder) / name


def read_text(path: Path) -> str | None:
    """A file's text, or ``None`` for what is not worth scanning (binary, huge, unreadable,
    a symlink, gone since git listed it)."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:BINARY_PROBE]:
        return None
    return data.decode("utf-8", "replace")


def staged_lines(root: Path) -> Iterator[AddedLine]:
    """The lines the next commit adds (``git diff --cached``)."""
    yield from _added_lines(root, ["diff", "--cached"])


def history_lines(root: Path) -> Iterator[AddedLine]:
    """Every line every commit on every branch and tag added, newest commit first."""
    yield from _added_lines(root, ["log", "--all", "--format=commit %H"])


def _added_lines(root: Path, command: list[str]) -> Iterator[AddedLine]:
    args = ["git", "-C", str(root), "-c", "core.quotePath=false", *command, "-p", "-U0",
            "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames"]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as proc:
        assert proc.stdout is not None
        commit = path = None
        number = 0
        in_hunk = False
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if in_hunk and line[:1] in ("+", "-", " ", "\\"):
                if line.startswith("+"):
                    if path is not None:
                        yield AddedLine(commit, path, number, line[1:])
                    number += 1
                continue
            # Headers: a hunk's lines all start with one of the four characters above, so
            # nothing a file holds is read as one.
            in_hunk = False
            if line.startswith("commit "):
                commit = line[7:].strip()
            elif line.startswith("diff --git "):
                path = None
            elif line.startswith("+++ "):
                path = _diff_path(line[4:])
            elif (hunk := _HUNK.match(line)) is not None:
                number = int(hunk.group(1))
                in_hunk = True


def _diff_path(name: str) -> str | None:
    """``b/src/app.py`` -> ``src/app.py``; ``/dev/null`` (a deleted file) -> ``None``."""
    if name.startswith('"') and name.endswith('"'):  # git quotes names holding control chars
        name = name[1:-1]
    if name == "/dev/null":
        return None
    return name[2:] if name.startswith("b/") else name
