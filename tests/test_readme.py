"""The README stays true: its endpoint table is the app's URL map, its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from payground.http.auth import PERMISSION_ATTR, PUBLISHABLE_ATTR

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- endpoints:start -->", "<!-- endpoints:end -->"


def endpoint_table(app) -> str:
    rows = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/v1", "/sandbox")):
            continue
        view = app.view_functions[rule.endpoint]
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.rule.startswith("/v1"):
                needs = f"`{getattr(view, PERMISSION_ATTR)}`"
                if getattr(view, PUBLISHABLE_ATTR, False):
                    needs += " (publishable key allowed)"
            else:
                needs = "none" if rule.endpoint in {"sandbox.signup", "sandbox.login"} \
                    else "session"
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
