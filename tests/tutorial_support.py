"""What the lesson tests share: a real server on the suite's database, a learner's project."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import requests

from payground.testing import Server

PASSWORD = "correct horse battery"
FULL_KEY = re.compile(r"(?:sk|rk)_(?:test|live)_[0-9A-Za-z]{38}")
# A safety net against a program that hangs, never a timing assertion.
PROGRAM_TIMEOUT = 120


def masked(key: str) -> str:
    """The display form the lessons print and the request log stores."""
    return f"{key[:8]}...{key[-4:]}"


def lesson_server(tmp_path_factory, database_url, name: str):
    """A real server for one test module, on the suite's database (SQLite file or PostgreSQL).

    A generator for a module-scoped fixture: ``yield from lesson_server(...)``.
    """
    config = {"HOME": str(tmp_path_factory.mktemp(name))}
    if database_url:
        config["DATABASE_URL"] = database_url
    with Server(config) as running:
        yield running
    running.check_errors()


class LessonProject:
    """A learner's project folder after `payground init`: `.env`, `.gitignore`, a session."""

    def __init__(self, server: Server, path: Path) -> None:
        self.server = server
        self.path = path
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("STRIPE_")},
                    "PAYGROUND_HOME": str(path / "home")}
        email = f"learner-{os.urandom(4).hex()}@example.com"
        self.run_args([sys.executable, "-m", "payground", "init", "--url", server.url,
                       "--email", email, "--password", PASSWORD])
        self.session = (path / "home" / "session").read_text().strip()
        self.account_id = self.dashboard("GET", "/sandbox/account")["id"]

    def run_args(self, args: list[str], env: dict | None = None,
                 status: int = 0) -> subprocess.CompletedProcess:
        result = subprocess.run(args, cwd=self.path, capture_output=True, text=True,
                                timeout=PROGRAM_TIMEOUT, env={**self.env, **(env or {})})
        assert result.returncode == status, result.stdout + result.stderr
        return result

    def dotenv(self) -> dict[str, str]:
        values = {}
        for line in (self.path / ".env").read_text().splitlines():
            name, equals, value = line.partition("=")
            if equals and not name.startswith("#"):
                values[name] = value.strip("'\"")
        return values

    def dashboard(self, method: str, path: str, **kwargs) -> dict:
        """A sandbox API call with the project's saved session (answers 200 or 201)."""
        response = requests.request(method, self.server.url_for(path), timeout=30,
                                    headers={"Authorization": f"Bearer {self.session}"},
                                    **kwargs)
        assert response.status_code in (200, 201), response.text
        return response.json()
