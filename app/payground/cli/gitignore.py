"""``.gitignore`` lines: a file name written as the line that ignores it and nothing else,
and lines read as git reads them, for a folder git cannot be asked about (outside any
repository, or without git). Only what a file in the .gitignore's own folder needs: a name
holds no "/".

gitignore(5): a backslash escapes the next character; ``#`` starts a comment and ``!``
un-ignores, at the start of a line; ``*``, ``?`` and ``[...]`` are wildcards (git's
wildmatch); trailing spaces are dropped unless escaped, leading ones are not.
"""

from __future__ import annotations

import re


def listed(text: str, name: str) -> bool:
    """Whether a .gitignore's ``text`` ignores ``name`` (a file in its folder): ``.env``,
    ``/.env``, ``.env*``, ``*.env``, ``**/.env``, ``\\#.env``; a later ``!.env`` un-ignores it,
    as in git. Lines are read as git reads them (gitignore(5)): a backslash escapes the next
    character, trailing spaces go unless escaped, leading ones stay. (What git is asked when it
    can be: this is for a folder outside any repository, or a machine without git.)"""
    ignored = False
    for line in text.split("\n"):
        line = _trimmed(line.removesuffix("\r"))
        if not line or line.startswith("#") or line.endswith("/"):
            continue  # comments; "dir/" patterns match directories only
        negate = line.startswith("!")
        pattern = line[1:] if negate else line
        pattern = pattern.removeprefix("**/").removeprefix("/")
        if "/" not in pattern and _matches(pattern, name):
            ignored = not negate
    return ignored


def _trimmed(line: str) -> str:
    """A .gitignore line without its trailing spaces, but for one a backslash escapes."""
    end = len(line.rstrip(" "))
    if end < len(line) and (len(line[:end]) - len(line[:end].rstrip("\\"))) % 2:
        end += 1  # "name\ ": the escaped space stays (and any after it goes)
    return line[:end]


# gitignore's [:class:] names, over ASCII as git reads them (C locale).
_CLASSES = {"alnum": "a-zA-Z0-9", "alpha": "a-zA-Z", "blank": " \\t", "cntrl": "\\x00-\\x1f\\x7f",
            "digit": "0-9", "graph": "!-~", "lower": "a-z", "print": " -~",
            "punct": "!-/:-@\\[-`{-~", "space": " \\t\\n\\r\\x0b\\x0c", "upper": "A-Z",
            "xdigit": "0-9A-Fa-f"}


def _matches(pattern: str, name: str) -> bool:
    """Whether a gitignore ``pattern`` without "/" matches the file name ``name``, as git's
    wildmatch decides: ``*``, ``?``, ``[...]`` (``[!...]``, ``[^...]``, ranges, ``[:alpha:]``),
    a backslash escaping the next character. A pattern git gives up on (a trailing backslash,
    an unclosed ``[``) matches nothing, as in git."""
    regex = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 == len(pattern):
                return False
            regex.append(re.escape(pattern[i + 1]))
            i += 2
        elif char == "*":
            regex.append("[^/]*")
            i += 1
        elif char == "?":
            regex.append("[^/]")
            i += 1
        elif char == "[":
            found = _bracket(pattern, i + 1)
            if found is None:
                return False
            i, group = found
            regex.append(group)
        else:
            regex.append(re.escape(char))
            i += 1
    return re.fullmatch("".join(regex), name) is not None


def _bracket(pattern: str, i: int) -> tuple[int, str] | None:
    """The ``[...]`` starting before ``pattern[i]``: where it ends, and it as a regex (None if
    it never closes). Its first character is a member even if it is ``]``, as in git."""
    negate = i < len(pattern) and pattern[i] in "!^"
    i += negate
    members: list[str] = []
    first = True
    while i < len(pattern) and (first or pattern[i] != "]"):
        first = False
        char = pattern[i]
        if char == "\\":
            i += 1
            if i == len(pattern):
                return None
            char = pattern[i]
        elif char == "[" and pattern.startswith(":", i + 1):
            end = pattern.find("]", i + 2)
            if end < 0:
                return None
            if end > i + 2 and pattern[end - 1] == ":":  # else "[" is a member, as in git
                if pattern[i + 2:end - 1] not in _CLASSES:
                    return None  # git gives the whole pattern up
                members.append(_CLASSES[pattern[i + 2:end - 1]])
                i = end + 1
                continue
        if (pattern[i + 1:i + 2] == "-" and i + 2 < len(pattern) and pattern[i + 2] != "]"):
            high = i + 2
            if pattern[high] == "\\":
                high += 1
                if high == len(pattern):
                    return None
            if char <= pattern[high]:  # a range upside down matches nothing
                members.append(f"{re.escape(char)}-{re.escape(pattern[high])}")
            i = high + 1
            continue
        members.append(re.escape(char))
        i += 1
    if i == len(pattern):
        return None
    body = "".join(members)  # empty if all it held was a range upside down
    if not body:
        return i + 1, "[^/]" if negate else "(?!)"
    return i + 1, f"[^/{body}]" if negate else f"[{body}]"  # a name holds no "/"


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
