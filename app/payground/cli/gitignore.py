"""``.gitignore`` lines: a file name written as the line that ignores it and nothing else,
and whether a .gitignore outside any repository already ignores a file. Only what a file in
the .gitignore's own folder needs: a name holds no "/".

gitignore(5): a backslash escapes the next character; ``#`` starts a comment and ``!``
un-ignores, at the start of a line; ``*``, ``?`` and ``[...]`` are wildcards (git's
wildmatch, over bytes); trailing spaces are dropped unless escaped, leading ones are not.
"""

from __future__ import annotations

import os
import re
from pathlib import Path


def gitignore_line(name: str) -> str:
    """The .gitignore line that ignores the file ``name`` (in that .gitignore's folder, and
    below it) and nothing else: ``#``, ``!`` at the start, ``*``, ``?``, ``[``, ``\\`` and
    trailing spaces escaped with a backslash (gitignore(5)); unescaped, ``#.env`` would be a
    comment, ``!.env`` would un-ignore it and ``*.env`` would ignore every ``.env`` file. A
    line cannot hold a newline or a carriage return: ``?`` stands for one."""
    line = re.sub(r"([*?\[\\])", r"\\\1", name)
    line = re.sub(r"[\r\n]", "?", line)
    if line[:1] in ("#", "!"):
        line = "\\" + line
    spaces = len(line) - len(line.rstrip(" "))
    return line.rstrip(" ") + "\\ " * spaces


def listed(gitignore: Path, name: str) -> bool:
    """Whether the .gitignore ``gitignore`` ignores ``name`` (a file in its folder) for the
    repository that folder may become: ``.env``, ``/.env``, ``.env*``, ``*.env``, ``**/.env``;
    a later ``!.env`` un-ignores it. git is asked, in an empty repository of its own that
    reads those lines as its excludes file (check-ignore needs a repository): re-implementing
    its reading (escapes, wildmatch over bytes, a byte-order mark...) is how a key ends up
    unignored. Without git, only the file's own line counts (``_own_line``)."""
    import subprocess
    import tempfile

    # GIT_DIR, GIT_WORK_TREE and the like would point git at another repository.
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["git", "init", "-q", "--template=", tmp], env=env,
                           capture_output=True, check=True)
            # ignoreCase off: ".ENV" does not ignore ".env" where the repository may be made.
            done = subprocess.run(
                ["git", "-C", tmp, "-c", f"core.excludesFile={gitignore.absolute()}",
                 "-c", "core.ignoreCase=false", "check-ignore", "-q", "--no-index", "--",
                 f"./{name}"], env=env, capture_output=True, check=False)
    except (OSError, subprocess.CalledProcessError):  # no git, no temporary folder, ...
        done = None
    if done is not None and done.returncode in (0, 1):
        return done.returncode == 0
    try:
        return _own_line(gitignore.read_bytes(), name)
    except FileNotFoundError:
        return False


def _own_line(text: bytes, name: str) -> bool:
    """Whether a .gitignore's ``text`` holds ``name``'s own line (``gitignore_line``, or it
    after "/") with no ``!`` line after it: without git to read the others, a line too many
    is harmless and one too few would leave a key's file unignored."""
    own = {gitignore_line(name), "/" + gitignore_line(name)}
    ignored = False
    for line in text.removeprefix(b"\xef\xbb\xbf").split(b"\n"):  # git skips a UTF-8 BOM
        line = os.fsdecode(line.removesuffix(b"\r"))
        if line in own:
            ignored = True
        elif line.startswith("!"):
            ignored = False  # it may un-ignore the file
    return ignored
