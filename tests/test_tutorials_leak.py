"""Lesson 8 (leak drill): its programs, run as a learner would, against a real server."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import requests

from tests.tutorial_support import LessonProject, lesson_server, masked

LESSON = Path(__file__).resolve().parent.parent / "tutorials" / "08-leak-drill"


@pytest.fixture(scope="module")
def server(tmp_path_factory, database_url):
    yield from lesson_server(tmp_path_factory, database_url, "lesson8_home")


def run(project: LessonProject, name: str, status: int = 0) -> list[str]:
    result = project.run_args([sys.executable, str(LESSON / name)], status=status)
    return result.stdout.splitlines()


def test_leak_notice_contain(server, tmp_path):
    project = LessonProject(server, tmp_path)
    leaked = project.dotenv()["STRIPE_SECRET_KEY"]
    requests.post(server.url_for("/v1/customers"), data={"email": "jo@example.com"},
                  headers={"Authorization": f"Bearer {leaked}"}, timeout=10).raise_for_status()

    started = run(project, "leak.py")
    assert started[0].startswith(f"{masked(leaked)} is public now (drill drill_")
    assert started[1] == ("Bots scan public pushes: expect them in about 2 minutes. "
                          "The clock is running.")
    assert run(project, "watch.py") == [
        f"{masked(leaked)}: every request came from your own addresses."]

    project.dashboard("POST", "/sandbox/clock/advance", json={"seconds": 190})
    # Four bot requests by now (at +120, +140, +160, +180 s): a look around, then stolen
    # test cards, declined (4000000000009995, 4000000000009979).
    assert run(project, "watch.py", status=1) == [
        f"ALERT: {masked(leaked)} is being used from addresses that are not yours:",
        "  192.0.2.140     POST /v1/charges    -> 402  x1",
        "  198.51.100.77   GET  /v1/customers  -> 200  x1",
        "  203.0.113.51    GET  /v1/balance    -> 200  x1",
        "  203.0.113.51    POST /v1/charges    -> 402  x1"]

    contained = run(project, "contain.py")
    new = project.dotenv()["STRIPE_SECRET_KEY"]
    assert new != leaked
    assert contained[:3] == [f"rolled {masked(leaked)} -> {masked(new)}; .env updated",
                             "leaked key: HTTP 401", "new key: HTTP 200"]
    assert re.fullmatch(r"exposure: 3 min \d+ s \(the story's 12 min: beaten\)", contained[3])
    assert contained[4] == ("the bots got: 1 customers' details, 0 card-testing charges, "
                            "0 requests refused")
    assert run(project, "watch.py") == [
        f"{masked(new)}: every request came from your own addresses."]
    assert leaked not in "\n".join(started + contained) and new not in "\n".join(contained)
