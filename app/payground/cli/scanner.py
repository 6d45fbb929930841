"""`payground scan`: find keys where they do not belong, before (or after) they are pushed.

Stories 4 and 6: a key committed to a repository is a leaked key, and deleting the line later
does not unpublish it. The scan reports each find by its display form only, says how bad it is
(a live secret key first, a publishable key not at all), and with ``--check`` asks the server
which finds are still working keys of your account. Exit status 1 when anything leaks, so a
pre-commit hook or a CI step can stop there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from . import main, url_option


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--staged", is_flag=True,
              help="Scan only what is staged for the next commit (for a pre-commit hook).")
@click.option("--history", is_flag=True,
              help="Also scan every line every commit added, on all branches and tags.")
@click.option("--check", is_flag=True,
              help="Ask the server which finds are keys of your account (the session of "
                   "`payground init`/`login`) and whether they still work.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@url_option
@click.pass_obj
def scan(obj: dict[str, Any], url: str, paths: tuple[Path, ...], staged: bool, history: bool,
         check: bool, as_json: bool) -> None:
    """Find API keys and webhook secrets in PATHS (default: this folder) before they leak.

    In a git repository it reads what git would publish (tracked files and untracked ones
    that are not ignored), not what .gitignore keeps out, like .env. Only a key's display
    form (sk_test_...Ab12) is ever printed. Exits with status 1 if a secret is found.

    \b
    As a pre-commit hook:  printf '#!/bin/sh\\nexec payground scan --staged\\n' \\
                             > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit

    \f
    .. versionadded:: 0.1
    """
    from .findings import run  # the scan's modules, only when it runs

    run(obj, url, paths, staged, history, check, as_json)
