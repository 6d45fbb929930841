"""The README stays true: its endpoint table is the app's URL map, its settings table the
configuration, its commands and options exist, its links lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from payground.cli import main
from payground.config import DEFAULTS
from payground.http.auth import PERMISSION_ATTR, PUBLISHABLE_ATTR
from tests.test_contract import OPEN_SANDBOX_ENDPOINTS

README = Path(__file__).resolve().parent.parent / "README.md"
TUTORIALS_README = README.parent / "tutorials" / "README.md"
# Settings the table leaves out: the test fixtures set them, an operator has no use for them.
UNDOCUMENTED_SETTINGS = {"TESTING", "PASSWORD_COST"}
START, END = "<!-- endpoints:start -->", "<!-- endpoints:end -->"


def endpoint_table(app) -> str:
    rows = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/v1", "/sandbox", "/oauth")):
            continue
        view = app.view_functions[rule.endpoint]
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.rule.startswith("/v1"):
                needs = f"`{getattr(view, PERMISSION_ATTR)}`"
                if getattr(view, PUBLISHABLE_ATTR, False):
                    needs += " (publishable key allowed)"
            elif rule.rule.startswith("/oauth"):  # Connect OAuth: a browser's link, or a platform's
                needs = "none (a browser link)" if method == "GET" else "platform's secret key"
            else:
                needs = "none" if rule.endpoint in OPEN_SANDBOX_ENDPOINTS else "session"
            summary = (view.__doc__ or "").strip().splitlines()[0]
            rows.append((path, method, needs, summary))
    rows.sort()
    lines = ["| path | method | needs | what it does |", "|---|---|---|---|"]
    lines += [f"| `{p}` | {m} | {n} | {s} |" for p, m, n, s in rows]
    return "\n".join(lines)


def test_readme_endpoint_table_matches_the_app(app):
    text = README.read_text()
    table = text.split(START, 1)[1].split(END, 1)[0].strip()
    expected = endpoint_table(app)
    assert table == expected, "README endpoint table is stale; replace it with:\n" + expected


def test_readme_first_screen_has_the_two_commands():
    head = "\n".join(README.read_text().splitlines()[:40])
    assert "python3 -m venv .venv && .venv/bin/pip install '.[test]' && .venv/bin/payground serve" in head
    assert ".venv/bin/python -m pytest" in head


def test_ci_runs_the_readme_commands():
    ci = (README.parent / ".ci" / "run").read_text()
    assert ".venv/bin/pip install --quiet '.[test]'" in ci
    assert ".venv/bin/python -m pytest" in ci


def test_readme_settings_table_is_the_configuration():
    section = README.read_text().split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = {match[1]: match[2] for match in
            re.finditer(r"^\| `PAYGROUND_(\w+)` \| ([^|]*) \|", section, re.M)}
    assert set(rows) == set(DEFAULTS) - UNDOCUMENTED_SETTINGS
    for name, default in DEFAULTS.items():
        if name in rows and default:  # a value, not derived or unset
            assert f"`{default}`" in rows[name], f"PAYGROUND_{name}'s default is {default!r}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("readme", [README, TUTORIALS_README], ids=lambda path: path.parent.name)
def test_readme_links_lead_somewhere(readme):
    text = readme.read_text()
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)  # a comment is no heading
    anchors = {_slug(heading) for heading in re.findall(r"^#+ (.+)$", prose, re.M)}
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        if path:
            assert (readme.parent / path).exists(), f"{readme.name} links to missing {path}"
        else:
            assert anchor in anchors, f"{readme.name} links to missing section #{anchor}"


@pytest.mark.parametrize("readme", [README, TUTORIALS_README], ids=lambda path: path.parent.name)
def test_readme_commands_and_options_exist(readme):
    """Every `payground COMMAND [SUBCOMMAND] --option ...` shown is one the CLI takes."""
    shown = re.findall(r"(?<![\w.-])payground ([a-z]+)(?: ([a-z]+))?([^`#|\n]*)",
                       readme.read_text())
    assert shown
    ctx = click.Context(main)
    for name, word, rest in shown:
        command = main.get_command(ctx, name)  # imports the module it is in (cli/__init__.py)
        assert command is not None, f"payground {name}: no such command"
        if isinstance(command, click.Group) and word:
            assert word in command.commands, f"payground {name} {word}: no such command"
            command = command.commands[word]
        options = {opt for param in command.params + main.params for opt in param.opts}
        for option in re.findall(r"(?<![\w-])--[a-z][a-z-]*", rest):
            assert option in options | {"--help"}, f"payground {name} {word}: no {option}"


def test_readme_environment_variables_exist():
    """Every PAYGROUND_* variable named is a setting, or one the CLI or the tests read."""
    root = README.parent
    known = {f"PAYGROUND_{name}" for name in DEFAULTS}
    for source in [*(root / "app").rglob("*.py"), *(root / "tests").rglob("*.py")]:
        if source.name != Path(__file__).name:
            known.update(re.findall(r"PAYGROUND_[A-Z_]*[A-Z]", source.read_text()))
    for readme in (README, TUTORIALS_README):
        named = set(re.findall(r"PAYGROUND_[A-Z_]*[A-Z]", readme.read_text()))
        assert named <= known, f"{readme.name} names unknown {sorted(named - known)}"


def test_readme_allow_examples_are_what_options_answers(client):
    """The README quotes `Allow` lists for a few addresses: they are what `OPTIONS` answers
    there (a route gaining or losing a method would make them stale)."""
    examples = re.findall(r"`((?:[A-Z]+, )+[A-Z]+)` for `(/(?:dashboard|sandbox)/[a-z_/]+)`",
                          README.read_text())
    assert len(examples) >= 3
    for allow, path in examples:
        response = client.options(path)
        assert response.status_code == 200, path
        assert response.headers["Allow"] == allow, path
