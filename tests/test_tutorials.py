"""The tutorials are code: every program runs against a live server, and each README shows
exactly the code in its folder."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from payground import messages
from payground.core import keys

TUTORIALS = Path(__file__).resolve().parent.parent / "tutorials"
INCLUDE = re.compile(r"<!-- include: (?P<name>[\w./-]+) -->\n```python\n(?P<code>.*?)```",
                     re.DOTALL)
PASSWORD = "correct horse battery"


def readmes():
    return sorted(TUTORIALS.glob("*/README.md"))


@pytest.mark.parametrize("readme", readmes(), ids=lambda p: p.parent.name)
def test_readme_embeds_the_files_verbatim(readme):
    includes = list(INCLUDE.finditer(readme.read_text()))
    assert includes, f"{readme} embeds no program"
    for match in includes:
        assert match.group("code") == (readme.parent / match.group("name")).read_text()


@pytest.mark.parametrize("program", sorted(TUTORIALS.glob("*/*.py")), ids=lambda p: p.name)
def test_every_program_is_embedded_in_its_readme(program):
    assert f"<!-- include: {program.name} -->" in (program.parent / "README.md").read_text()


def run(args, cwd, env=None):
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120,
                            env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def lesson_project(tmp_path, payground_server):
    """A project folder where `payground init` and `payground activate` have run."""
    home = {"PAYGROUND_HOME": str(tmp_path / "home")}
    cli = [sys.executable, "-m", "payground"]
    email = f"learner-{os.urandom(3).hex()}@example.com"
    run(cli + ["init", "--url", payground_server.url, "--email", email, "--password", PASSWORD],
        cwd=tmp_path, env=home)
    run(cli + ["activate", "--url", payground_server.url], cwd=tmp_path, env=home)
    assert ".env" in (tmp_path / ".gitignore").read_text().splitlines()
    return tmp_path


def program(lesson: str, name: str) -> list[str]:
    return [sys.executable, str(TUTORIALS / lesson / name)]


def test_lesson_01_requests(lesson_project):
    out = run(program("01-first-charge", "charge_with_requests.py"), cwd=lesson_project)
    first, second = out.splitlines()
    assert re.fullmatch(r"200 ch_\w+ succeeded 2000 usd", first)
    assert re.fullmatch(r"402 card_error card_declined generic_decline ch_\w+", second)


def test_lesson_01_requests_with_a_mistyped_key_says_why(lesson_project):
    key = next(line.split("=", 1)[1] for line in (lesson_project / ".env").read_text().splitlines()
               if line.startswith("STRIPE_SECRET_KEY="))
    typo = key[:-1] + ("x" if key[-1] != "x" else "y")
    result = subprocess.run(program("01-first-charge", "charge_with_requests.py"),
                            cwd=lesson_project, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "STRIPE_SECRET_KEY": typo})  # wins over .env
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == f"401 {messages.INVALID_API_KEY.format(masked=keys.mask(typo))}\n"
    assert key not in result.stderr and typo not in result.stderr


def test_lesson_01_stripe(lesson_project):
    out = run(program("01-first-charge", "charge_with_stripe.py"), cwd=lesson_project)
    first, second = out.splitlines()
    assert re.fullmatch(r"ch_\w+ succeeded True", first)
    assert second == "declined: card_declined insufficient_funds Your card has insufficient funds."


def test_lesson_01_go_live(lesson_project):
    out = run(program("01-first-charge", "go_live.py"), cwd=lesson_project)
    first, second = out.splitlines()
    assert first == "test card in live mode: card_declined live_mode_test_card"
    assert re.fullmatch(r"live charge: ch_\w+ succeeded True", second)


def test_lesson_output_never_shows_a_secret_key(lesson_project):
    secrets = [line.split("=", 1)[1] for line in (lesson_project / ".env").read_text().splitlines()
               if line.startswith(("STRIPE_SECRET_KEY", "STRIPE_LIVE_SECRET_KEY"))]
    assert len(secrets) == 2
    for name in ("charge_with_requests.py", "charge_with_stripe.py", "go_live.py"):
        out = run(program("01-first-charge", name), cwd=lesson_project)
        assert not any(secret in out for secret in secrets)
