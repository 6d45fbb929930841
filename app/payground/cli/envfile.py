"""`.env` and `.gitignore` handling: keys written privately and kept out of Git."""

from __future__ import annotations

import os
import re
from pathlib import Path

from . import ENV_FILE, ENV_HEADER


# --- files ---------------------------------------------------------------------------------

_ENV_LINE = re.compile(r"^\s*(export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


def _read_env(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return values
    for line in text.splitlines():
        match = _ENV_LINE.match(line)
        if match:
            value = match[3]
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            values[match[2]] = value
    return values


def _update_env(path: Path, updates: dict[str, str]) -> None:
    """Set ``NAME=value`` lines in a dotenv file, keeping every other line; mode 0600."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        lines = [ENV_HEADER]
    pending = dict(updates)
    out = []
    for line in lines:
        match = _ENV_LINE.match(line)
        if match and match[2] in updates:
            if match[2] in pending:
                out.append(f"{match[1] or ''}{match[2]}={pending.pop(match[2])}")
            # A second line for the same name is dropped: when sourced, it would win.
            continue
        out.append(line)
    out.extend(f"{name}={value}" for name, value in pending.items())
    _write_private(path, "\n".join(out) + "\n")


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (0600), atomically: no moment where a reader
    sees half a file, or the keys under looser permissions."""
    import tempfile

    # A folder made to hold private files is private too (PAYGROUND_HOME, above all).
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)  # mkstemp's default, made explicit
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _ensure_gitignored(path: Path, name: str) -> bool:
    """Make sure ``name`` (a file in this directory) is ignored; True if a line was added.

    Existing patterns count when they match it (``.env``, ``/.env``, ``.env*``, ``*.env``,
    ``**/.env``); a later ``!.env`` un-ignores it, as in git.
    """
    from fnmatch import fnmatchcase

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    ignored = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or line.endswith("/"):
            continue  # comments; "dir/" patterns match directories only
        negate = line.startswith("!")
        pattern = line[1:] if negate else line
        pattern = pattern.removeprefix("**/").removeprefix("/")
        if "/" not in pattern and fnmatchcase(name, pattern):
            ignored = not negate
    if ignored:
        return False
    separator = "" if not text or text.endswith("\n") else "\n"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"{separator}{name}\n")
    return True


def check_writable(*paths: Path) -> None:
    """Refuse, before anything is created on the server, files that could not be updated:
    a key issued and then not written down is a key lost (the server shows it only once)."""
    import click

    for path in paths:
        try:
            path.read_text(encoding="utf-8")
        except FileNotFoundError:
            pass
        except UnicodeDecodeError:
            raise click.ClickException(f"{path} is not UTF-8 text, so a key could not be added "
                                       "to it safely. Nothing was changed.") from None
        except OSError as error:
            raise click.ClickException(f"cannot read {path} ({error.strerror}). Nothing was "
                                       "changed.") from None
        folder = path.parent.resolve()
        while not folder.exists() and folder != folder.parent:  # made when written
            folder = folder.parent
        if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise click.ClickException(f"cannot write {path} (no permission there). Nothing "
                                       "was changed.")


def check_unset(path: Path, name: str) -> None:
    """Refuse, before a new key is created, to write it over a value ``name`` already has in
    ``path``: that may be the only copy of a key that still works (a new key replaces an old
    one in a roll, never in a create)."""
    import click

    if _read_env(path).get(name):
        raise click.ClickException(
            f"{path} already has {name}: writing the new key there would lose the one it "
            "holds. Name another variable with --env-var, or another file. Nothing was "
            "created.")


def write_or_show(write, secrets: dict[str, str]) -> object:
    """Run ``write()``; if it fails anyway (the disk filled up, the file changed meanwhile),
    show the just-issued ``secrets`` once instead of losing them, then stop with the error."""
    import click

    try:
        return write()
    except (OSError, UnicodeError) as error:
        click.echo(f"Could not write the new keys ({error}). They are shown this once:",
                   err=True)
        for name, value in secrets.items():
            click.echo(f"  {name}={value}", err=True)
        raise click.ClickException("store them now (a .env file kept out of Git, or a "
                                   "secrets manager).") from None


def _save_env_with_gitignore(updates: dict[str, str]) -> bool:
    """Write ./.env and make sure git ignores it; True if .gitignore gained a line."""
    _update_env(Path(ENV_FILE), updates)
    return _ensure_gitignored(Path(".gitignore"), ENV_FILE)
