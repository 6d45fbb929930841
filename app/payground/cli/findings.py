"""The work behind ``payground scan`` (``cli/scanner.py``): collect the finds, ask the
server about them, report. Imported only when the command runs: ``payground serve``'s
start-up imports the CLI and need not pay for this.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click

from ..core import scanning
from . import gitfiles
from .owner import IDENTIFY_BATCH  # the most /sandbox/keys/identify takes at once

TRACKED = "tracked"      # in a file git tracks
UNTRACKED = "untracked"  # in a file git would add (not ignored)
PLAIN = "file"           # outside git
ENV_FILE = "env-file"    # a dotenv file outside git: where a key belongs during development
IGNORED = "ignored"      # a file git ignores, named on the command line
STAGED = "staged"        # in what the next commit adds
HISTORY = "history"      # in a line some commit added
WHERE = {
    TRACKED: "tracked by git: the next commit publishes it, if one has not already",
    UNTRACKED: "not yet in git, not ignored: `git add .` would commit it",
    PLAIN: "in a file (not in a git repository)",
    ENV_FILE: "in a dotenv file: fine on your machine, keep it out of version control",
    IGNORED: "in a file git ignores: not published by a commit (keep it that way)",
    STAGED: "staged: the next commit publishes it",
    HISTORY: "committed: every clone has it, even if a later commit deletes it",
}
DEAD = ("expired", "revoked")  # key statuses: it no longer works
_RANK = {scanning.SECRET: 0, scanning.RESTRICTED: 1, scanning.STRIPE: 0,
         scanning.WEBHOOK_SECRET: 2, scanning.PUBLISHABLE: 3, scanning.STRIPE_DOCS: 3}


@dataclass(frozen=True)
class Finding:
    find: scanning.Find
    path: str  # as shown: relative to the current folder where it can be
    where: str
    commit: str | None = None
    # History: the key is still in the file too (one finding, the file's place). Not retired.
    in_file: bool = False
    # --check: a key of the account that no longer works, found only in history. The commits
    # cannot be changed and the key is dead: done, not a leak (a CI gate goes green again).
    retired: bool = False

    @property
    def leaks(self) -> bool:
        return self.find.leaks and self.where not in (ENV_FILE, IGNORED) and not self.retired


def run(obj: dict[str, Any], url: str, paths: tuple[Path, ...], staged: bool, history: bool,
        check: bool, as_json: bool) -> None:
    """Scan ``paths`` and report; exits with status 1 if a secret is found."""
    paths = paths or (Path("."),)
    collected = _collect(paths, staged=staged, history=history)
    findings = collected.findings
    known = None
    if check:
        try:
            known = _identify(obj, url, findings)
        except click.ClickException as error:  # no session, no server: the finds still count
            click.echo(f"--check: {error.format_message()} Findings shown without it.",
                       err=True)
    if known:
        findings = [_retired_if_dead(f, known) for f in findings]
    # Worst first: leaks, live mode (real money), then secret keys before narrower ones.
    findings.sort(key=lambda f: (not f.leaks, not f.find.livemode, _RANK[f.find.kind],
                                 f.where == HISTORY, f.path, f.find.line))
    if as_json:
        click.echo(json.dumps({"scanned": collected.scanned,
                               "skipped_large": collected.skipped_large,
                               "leaks": sum(f.leaks for f in findings),
                               "findings": [_as_json(f, known) for f in findings]}, indent=2))
    else:
        _report(findings, collected.scanned, known, staged=staged)
        if collected.skipped_large:
            click.echo(f"Not scanned, over {gitfiles.MAX_FILE_BYTES // 2**20} MB: "
                       + ", ".join(collected.skipped_large))
    if any(f.leaks for f in findings):
        raise SystemExit(1)



# --- collecting ----------------------------------------------------------------------------


@dataclass
class Collected:
    findings: list[Finding] = field(default_factory=list)
    scanned: int = 0  # files read
    skipped_large: list[str] = field(default_factory=list)  # shown paths


def _collect(paths: tuple[Path, ...], *, staged: bool, history: bool) -> Collected:
    collected = Collected()
    roots = []
    for path in paths:
        root = gitfiles.repo_root(path)
        if root is None and not gitfiles.have_git():
            if staged or history:
                raise gitfiles.ScanFailed("git is not installed (or not on PATH): --staged and "
                                          "--history read git's index and commits.")
            if gitfiles.in_git_folder(path):
                click.echo(f"git is not installed (or not on PATH): reading every file in "
                           f"{path}, those .gitignore keeps out too.", err=True)
        if root is None and history and not staged and gitfiles.is_bare(path):
            roots.append(path)  # a bare repository (a server's copy): its commits, no files
            continue
        if (staged or history) and root is None:
            raise click.UsageError(f"{path} is not in a git repository: --staged and --history "
                                   "read git's index and commits.")
        if root is not None and root not in roots:
            roots.append(root)
        if not staged:
            _read_files(collected, _files(path, root))
    for root in roots:
        if staged:
            collected.findings += _from_lines(root, gitfiles.staged_lines(root), STAGED)
        if history:
            collected.findings = _merge_history(
                collected.findings, _from_lines(root, gitfiles.history_lines(root), HISTORY))
    return collected


def _files(path: Path, root: Path | None) -> list[tuple[Path, str]]:
    """The files to read under ``path``, each with where it is (``TRACKED`` ...)."""
    if root is None:
        return [(f, ENV_FILE if _dotenv(f.name) else PLAIN) for f in gitfiles.walk_files(path)]
    tracked, untracked = gitfiles.git_files(root, path)
    files = [(f, TRACKED) for f in tracked] + [(f, UNTRACKED) for f in untracked]
    if not files and path.is_file():
        files = [(path, IGNORED)]  # named on the command line, though git ignores it
    return files


# Dotenv files meant to be committed, with placeholders: a real key there is a leak.
_SHARED_ENV = frozenset({"example", "sample", "template", "dist"})


def _dotenv(name: str) -> bool:
    """``.env``, ``.env.local``, ``ci.env``: the names `--env-file` writes keys to; not
    ``.env.example`` and its kind."""
    if name == ".env" or (name.endswith(".env") and len(name) > 4):
        return name.removesuffix(".env").rsplit(".", 1)[-1] not in _SHARED_ENV
    return name.startswith(".env.") and name.rsplit(".", 1)[-1] not in _SHARED_ENV


def _read_files(collected: Collected, files: list[tuple[Path, str]]) -> None:
    for file, where in files:
        if gitfiles.too_large(file):
            collected.skipped_large.append(_shown(file))
            continue
        text = gitfiles.read_text(file)
        if text is None:
            continue
        collected.scanned += 1
        collected.findings += [Finding(find, _shown(file), where)
                               for find in scanning.find_keys(text)]


def _merge_history(current: list[Finding], past: list[Finding]) -> list[Finding]:
    """A key still in a file and also in a commit is one finding: the file's place, the
    commit that published it."""
    published = {(f.find.value, f.path): f.commit for f in past}
    merged = [Finding(f.find, f.path, HISTORY, published[(f.find.value, f.path)], in_file=True)
              if (f.find.value, f.path) in published else f for f in current]
    now = {(f.find.value, f.path) for f in current}
    return merged + [f for f in past if (f.find.value, f.path) not in now]


def _from_lines(root: Path, lines, where: str) -> list[Finding]:
    """One finding per key and file: where it first appeared (history is newest first)."""
    first: dict[tuple[str, str], Finding] = {}
    for added in lines:
        for find in scanning.find_keys(added.text):
            placed = scanning.Find(find.kind, find.livemode, added.number, find.column,
                                   find.value)
            first[(find.value, added.path)] = Finding(placed, _shown(root / added.path), where,
                                                      added.commit)
    return list(first.values())


def _shown(path: Path) -> str:
    relative = os.path.relpath(path)
    return path.as_posix() if relative.startswith("..") else Path(relative).as_posix()


# --- asking the server ---------------------------------------------------------------------


def _identify(obj: dict[str, Any], url: str, findings: list[Finding]) -> dict[str, Any]:
    """Full key -> its key object on the server (or None), for the finds Payground issued."""
    from .client import _Client
    from .keys import _sandbox

    values = list(dict.fromkeys(f.find.value for f in findings
                                if f.find.kind in (scanning.SECRET, scanning.RESTRICTED,
                                                   scanning.PUBLISHABLE)))
    known: dict[str, Any] = {}
    with _Client(url) as api:
        for start in range(0, len(values), IDENTIFY_BATCH):
            batch = values[start:start + IDENTIFY_BATCH]
            answer = _sandbox(api, obj, "POST", "/sandbox/keys/identify", json={"keys": batch})
            known.update(zip(batch, answer["data"]))
    return known


def _retired_if_dead(finding: Finding, known: dict[str, Any]) -> Finding:
    key = known.get(finding.find.value)
    # Only the commits hold it: a dead key still in a file must still go (a leak).
    if finding.where == HISTORY and not finding.in_file and key and key["status"] in DEAD:
        return replace(finding, retired=True)
    return finding


# --- reporting -----------------------------------------------------------------------------


def _location(finding: Finding) -> str:
    path = finding.path
    if any(ord(c) < 32 or ord(c) == 127 for c in path):  # a newline in a name: one line each
        path = json.dumps(path, ensure_ascii=False)
    place = f"{path}:{finding.find.line}:{finding.find.column}"
    return f"{finding.commit[:10]} {place}" if finding.commit else place


def _verdict(finding: Finding, known: dict[str, Any] | None) -> str | None:
    """What the server says about a find, and what to do about it."""
    find = finding.find
    if find.kind == scanning.STRIPE:
        return ("Payground did not issue it. If it is a real Stripe key, roll it in Stripe's "
                "dashboard now, then remove it.")
    if known is None or find.kind in (scanning.WEBHOOK_SECRET, scanning.STRIPE_DOCS):
        return None
    key = known.get(find.value)
    if key is None:
        return "not a key of your account on this server"
    name = f" \"{key['name']}\"" if key.get("name") else ""
    state = f"{key['id']}{name}, {key['status']}"
    if finding.retired:
        return f"yours: {state}: it no longer works; the commits keep it, nothing left to do"
    if key["status"] in DEAD:
        return f"yours: {state}: it no longer works"
    if find.kind == scanning.PUBLISHABLE or not finding.leaks:  # public, or where it belongs
        return f"yours: {state}"
    return (f"yours: {state}: it still works. Roll it now: "
            f"payground keys roll {key['id']} --expires-in now")


def _report(findings: list[Finding], scanned: int, known: dict[str, Any] | None, *,
            staged: bool) -> None:
    leaks = [f for f in findings if f.leaks]
    what = "the staged changes" if staged else f"{scanned} file{'s' * (scanned != 1)}"
    if not findings:
        click.echo(f"No keys found in {what}.")
        return
    for finding in findings:
        mark = "LEAK" if finding.leaks else "ok  "
        click.echo(f"{mark} {_location(finding)}  {finding.find.display}  "
                   f"{scanning.describe(finding.find)}")
        if finding.find.kind == scanning.PUBLISHABLE:
            click.echo("       publishable: public by design, fine in front-end code")
        elif finding.find.kind == scanning.STRIPE_DOCS:
            click.echo("       public: everyone who read Stripe's docs has it; use your own "
                       "key, from the environment")
        else:
            click.echo(f"       {WHERE[finding.where]}")
        verdict = _verdict(finding, known)
        if verdict:
            click.echo(f"       {verdict}")
    click.echo()
    if not leaks:
        click.echo(f"No secret leaks in {what}.")
        return
    click.echo(f"{len(leaks)} secret{'s' * (len(leaks) != 1)} found in {what} where "
               f"{'they do' if len(leaks) != 1 else 'it does'} not belong. Read keys from the "
               "environment (.env, git-ignored, on your machine).")
    if any(f.where in (TRACKED, HISTORY) for f in leaks):
        click.echo("Once pushed, a key is public: deleting the line does not take it back. "
                   "Roll the key, then remove it.")
    if known is None and any(f.find.kind in (scanning.SECRET, scanning.RESTRICTED)
                             for f in leaks):
        click.echo("`payground scan --check` says which are your keys and still work.")


def _as_json(finding: Finding, known: dict[str, Any] | None) -> dict[str, Any]:
    find = finding.find
    data = {"path": finding.path, "line": find.line, "column": find.column,
            "where": finding.where, "commit": finding.commit, "kind": find.kind,
            "livemode": find.livemode, "display": find.display, "leak": finding.leaks}
    if known is not None and find.kind in (scanning.SECRET, scanning.RESTRICTED,
                                           scanning.PUBLISHABLE):
        key = known.get(find.value)
        data["key"] = None if key is None else {
            k: key.get(k) for k in ("id", "name", "type", "livemode", "status", "redacted")}
    return data
