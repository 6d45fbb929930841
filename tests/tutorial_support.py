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


# What the lessons say when PAYGROUND_HOME holds another account's session than the folder's.
ANOTHER_ACCOUNT = ("the saved session is another account's, not the one whose keys are in .env: "
                   "`payground login` with this folder's account's email signs it in again "
                   "(and changes nothing else)\n")


def init_elsewhere(project: LessonProject, folder: Path) -> str:
    """`payground init` in another project with another email: the same PAYGROUND_HOME now
    holds that account's session, which is returned."""
    folder.mkdir()
    subprocess.run([sys.executable, "-m", "payground", "init", "--url", project.server.url,
                    "--email", f"someone-else-{os.urandom(4).hex()}@example.com", "--password",
                    PASSWORD], cwd=folder, env=project.env, check=True, capture_output=True,
                   timeout=PROGRAM_TIMEOUT)
    return (Path(project.env["PAYGROUND_HOME"]) / "session").read_text().strip()


def elsewhere_keys(folder: Path) -> dict[str, str]:
    """What `set -a; . ./.env; set +a` in ``folder`` (``init_elsewhere``'s) left in the shell:
    its STRIPE_ lines, before a `cd` back to the lesson's folder."""
    lines = (folder / ".env").read_text().splitlines()
    return {name: value.strip("'\"") for name, _, value in (line.partition("=") for line in lines)
            if name.startswith("STRIPE_")}


def login_again(project: LessonProject) -> None:
    """`payground login` with the project's own email, in its folder (the lessons' advice)."""
    email = project.dashboard("GET", "/sandbox/account")["email"]
    project.run_args([sys.executable, "-m", "payground", "login", "--email", email,
                      "--password", PASSWORD])


def account_state(server: Server, session: str) -> dict:
    """All a lesson program could change in an account, as its dashboard shows it: the account
    (live mode, business, clock), its keys, its audit trail (rolls, revocations, the clock)
    and its request log (every /v1 request, a payout or a webhook endpoint made, say)."""
    def get(path: str, **params) -> dict:
        response = requests.get(server.url_for(path), params=params, timeout=30,
                                headers={"Authorization": f"Bearer {session}"})
        assert response.status_code == 200, response.text
        return response.json()

    return {"account": get("/sandbox/account"), "keys": get("/sandbox/keys")["data"],
            "audit": get("/sandbox/audit", limit=100)["data"],
            "requests": get("/sandbox/requests", limit=100)["data"]}


def both_accounts(project: LessonProject, other: str) -> tuple[dict, dict]:
    """``account_state`` of the project's account and of the account ``other`` signs in."""
    return account_state(project.server, project.session), account_state(project.server, other)
