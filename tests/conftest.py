"""Shared fixtures: an app per test (SQLite file, or PostgreSQL when asked), a client, accounts.

Set ``PAYGROUND_TEST_DATABASE_URL=postgresql+psycopg://...`` to run the suite on PostgreSQL:
each run gets its own schema, dropped at the end.
"""

from __future__ import annotations

import itertools
import os
import secrets
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

PG_URL = os.environ.get("PAYGROUND_TEST_DATABASE_URL")
_emails = itertools.count()


@contextmanager
def fresh_pg_schema(prefix: str = "pgtest", url: str | None = None):
    """A new PostgreSQL schema on ``url`` (``PG_URL`` by default), as a database URL; dropped
    afterwards."""
    import sqlalchemy as sa

    url = url or PG_URL
    schema = f"{prefix}_{secrets.token_hex(4)}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """The database every test app uses: a per-test SQLite file (None here), or a PG schema."""
    if not PG_URL:
        yield None
        return
    with fresh_pg_schema() as url:
        yield url


@pytest.fixture
def wall() -> list[float]:
    """The wall clock the app sees, when a test asks for it: move it instead of sleeping."""
    return [time.time()]


@pytest.fixture
def app_config(tmp_path, database_url, request) -> dict[str, Any]:
    """Settings for the test app; override in a module to change them."""
    config = {"HOME": str(tmp_path / "home"), "TESTING": True, "RATE_LIMITS": "off",
              "SECRET": "test-pepper-" + secrets.token_hex(8), "PASSWORD_COST": 2**8}
    if database_url:
        config["DATABASE_URL"] = database_url
    if "wall" in request.fixturenames:
        from payground.core.clock import Clock

        wall = request.getfixturevalue("wall")
        config["CLOCK"] = Clock(wall=lambda: wall[0])
    return config


@pytest.fixture
def app(app_config):
    from payground import create_app
    from payground.app import dispose_app

    app = create_app(app_config)
    yield app
    dispose_app(app)  # request-log rows written now, not later into another test's database


@pytest.fixture
def client(app):
    return app.test_client()


@dataclass
class AccountHandle:
    """A signed-up account and its keys, with helpers to call the API as it."""

    client: Any
    email: str
    session: str
    secret_key: str
    publishable_key: str
    account_id: str
    live_secret_key: str | None = None
    live_publishable_key: str | None = None
    extra: dict = field(default_factory=dict)

    def auth(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.secret_key}"}

    @property
    def session_auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.session}"}

    def get(self, path, key=None, **kw):
        return self.client.get(path, headers={**self.auth(key), **kw.pop("headers", {})}, **kw)

    def post(self, path, data=None, key=None, **kw):
        return self.client.post(path, data=data, headers={**self.auth(key),
                                                          **kw.pop("headers", {})}, **kw)

    def delete(self, path, key=None, **kw):
        return self.client.delete(path, headers={**self.auth(key), **kw.pop("headers", {})}, **kw)

    def activate(self, **details) -> str:
        """Turn on live mode; returns (and remembers) the live secret key."""
        r = self.client.post("/sandbox/account/activate", json=details,
                             headers=self.session_auth)
        assert r.status_code == 201, r.get_json()
        body = r.get_json()
        self.live_secret_key = body["keys"]["secret"]
        self.live_publishable_key = body["keys"]["publishable"]
        return self.live_secret_key

    # Key lifecycle helpers, as payground.testing.Account has them (in-process here).

    def key_id(self, key: str) -> str:
        """The ``key_...`` id of a full key (found by its redacted form), or ``key`` itself."""
        if key.startswith("key_"):
            return key
        listed = self.client.get("/sandbox/keys", headers=self.session_auth).get_json()["data"]
        return next(k["id"] for k in listed if k["redacted"] == f"{key[:8]}...{key[-4:]}")

    def create_key(self, type: str = "restricted", *, permissions=None, livemode=False,
                   name=None, note=None, ip_allowlist=None) -> str:
        """Create a key through ``POST /sandbox/keys``; returns its secret."""
        body = {"type": type, "livemode": livemode, "permissions": permissions, "name": name,
                "note": note, "ip_allowlist": ip_allowlist}
        r = self.client.post("/sandbox/keys", headers=self.session_auth,
                             json={k: v for k, v in body.items() if v is not None})
        assert r.status_code == 201, r.get_json()
        return r.get_json()["secret"]

    def roll(self, key: str, expires_in: int = 0) -> str:
        """Roll ``key`` (full key or id); returns the new secret."""
        r = self.client.post(f"/sandbox/keys/{self.key_id(key)}/roll",
                             json={"expires_in": expires_in}, headers=self.session_auth)
        assert r.status_code == 201, r.get_json()
        return r.get_json()["secret"]

    def revoke(self, key: str) -> dict:
        """Revoke ``key`` (full key or id); returns the key object."""
        r = self.client.post(f"/sandbox/keys/{self.key_id(key)}/revoke",
                             headers=self.session_auth)
        assert r.status_code == 200, r.get_json()
        return r.get_json()

    def advance_clock(self, seconds: int) -> int:
        """Move this account's clock forward; returns the account's new time."""
        r = self.client.post("/sandbox/clock/advance", json={"seconds": seconds},
                             headers=self.session_auth)
        assert r.status_code == 200, r.get_json()
        return r.get_json()["now"]


@pytest.fixture
def make_account(client):
    """Factory: ``make_account()`` signs up a fresh account through the sandbox API."""

    def make(email: str | None = None, password: str = "correct horse battery") -> AccountHandle:
        email = email or f"user{next(_emails)}-{secrets.token_hex(3)}@example.com"
        r = client.post("/sandbox/signup", json={"email": email, "password": password})
        assert r.status_code == 201, r.get_json()
        body = r.get_json()
        return AccountHandle(client=client, email=email, session=body["session"],
                           secret_key=body["keys"]["secret"],
                           publishable_key=body["keys"]["publishable"],
                           account_id=body["account"]["id"])

    return make


@pytest.fixture
def account(make_account) -> AccountHandle:
    return make_account()


def assert_error(response, status: int, *, type: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None,
                 message: str | None = None, **extra: Any) -> dict:
    """Assert a Stripe error envelope exactly: status, type, code, param and message."""
    body = response.get_json()
    assert response.status_code == status, body
    error = body["error"]
    assert error["type"] == type, error
    assert error.get("code") == code, error
    assert error.get("param") == param, error
    # Stripe links each code to its page, named with hyphens (error-codes/resource-missing).
    expected_doc = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}" if code else None
    assert error.get("doc_url") == expected_doc, error
    if message is not None:
        assert error["message"] == message, error
    for name, value in extra.items():
        assert error.get(name) == value, error
    return error


@pytest.fixture
def serve(tmp_path):
    """Start ``payground serve ARGS`` in a subprocess (``tests.test_cli.ServeProcess``) with
    its home in ``tmp_path``; every one started is stopped at the end."""
    from tests.test_cli import ServeProcess

    started = []

    def start(*args: str, env: dict[str, str] | None = None) -> ServeProcess:
        process = ServeProcess(tmp_path / "home", *args, env=env)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.proc.poll() is None:
            process.stop()


def pytest_terminal_summary(terminalreporter):
    """Say plainly whether the browser tests ran, or why they were skipped."""
    from tests.browser import BROWSER_MODULES, CHROMIUM

    reports = [r for status in ("passed", "failed", "skipped", "error")
               for r in terminalreporter.stats.get(status, [])
               if getattr(r, "nodeid", "").startswith(BROWSER_MODULES)]
    if not reports:
        return
    skipped = [r for r in reports if r.skipped]
    if any(r.failed for r in reports):
        terminalreporter.write_sep("-", "Browser tests FAILED (see above)", red=True)
        return
    if skipped:
        longrepr = skipped[0].longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        line = f"Browser tests SKIPPED: {reason.removeprefix('Skipped: ')}"
    else:
        ran = sum(1 for r in reports if r.when == "call")
        line = f"Browser tests ran ({ran}) with {CHROMIUM}"
    terminalreporter.write_sep("-", line, yellow=bool(skipped), green=not skipped)
