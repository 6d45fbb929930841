"""`payground serve` refuses to start on a setting it cannot read, naming it (no traceback)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.test_cli import ready_line


def serve(tmp_path, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PAYGROUND_")}
    return subprocess.run(
        [sys.executable, "-m", "payground", "--home", str(tmp_path / "home"), "serve",
         "--port", "0"],
        env={**clean, **env}, capture_output=True, text=True, timeout=120)


def test_a_malformed_trusted_proxy_stops_the_server(tmp_path):
    result = serve(tmp_path, {"PAYGROUND_TRUSTED_PROXIES": "10.0.0.1,proxy.internal"})

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == ("Error: PAYGROUND_TRUSTED_PROXIES: cannot read 'proxy.internal' "
                             "(use addresses or CIDR ranges, e.g. 10.0.0.0/8,::1)\n")


FORMS = ("use postgresql+psycopg://user:password@host:5432/database (pip install "
         "'payground[postgres]') or sqlite:////absolute/path/payground.db")


@pytest.mark.parametrize("url, said", [
    # The form hosting providers hand out: SQLAlchemy has no `postgres` dialect.
    ("postgres://room:s3cret-pw@db.internal:5432/workshop",
     "starts with postgres://, which Payground cannot use: "),
    # psycopg2 is not what the `postgres` extra installs.
    ("postgresql+psycopg2://room:s3cret-pw@db.internal/workshop",
     "starts with postgresql+psycopg2://, which Payground cannot use: "),
    # psycopg's asyncio dialect: the synchronous engine failed its first query.
    ("postgresql+psycopg_async://room:s3cret-pw@db.internal/workshop",
     "starts with postgresql+psycopg_async://, which Payground cannot use: "),
    ("mysql://room:s3cret-pw@db.internal/workshop",
     "starts with mysql://, which Payground cannot use: "),
    ("workshop", "is not a database URL: "),
])
def test_a_database_url_payground_cannot_use_stops_the_server_in_one_line(tmp_path, url, said):
    """These stopped `serve` with SQLAlchemy's traceback (NoSuchModuleError, psycopg2's
    ModuleNotFoundError, ArgumentError), the URL's password nowhere but not a word a host
    could act on."""
    result = serve(tmp_path, {"PAYGROUND_DATABASE_URL": url})

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"Error: PAYGROUND_DATABASE_URL {said}{FORMS}\n"
    assert "s3cret-pw" not in result.stderr


def test_the_urls_payground_runs_on_pass_the_check():
    from payground.config import check_database_url

    for url in ("sqlite:////srv/payground.db", "sqlite://", "sqlite+pysqlite:///rel.db",
                "postgresql+psycopg://room:pw@db.internal:5432/workshop",
                # as the test suite's fresh_pg_schema gives PAYGROUND_TEST_DATABASE_URL
                "postgresql+psycopg://room@db.internal/test?options=-csearch_path%3Dpgtest_1"):
        assert check_database_url(url) is None, url


WEBHOOKS_ANYWHERE = ("Warning: serving on 0.0.0.0 with webhooks sent anywhere: a URL someone "
                     "registers can reach this machine's own ports and network (its database, "
                     "Redis, a cloud metadata address). Set PAYGROUND_WEBHOOK_ALLOWED_HOSTS "
                     "(README: Webhooks).\n")


def test_a_server_other_machines_reach_warns_that_webhooks_go_anywhere(serve):
    process = serve("--host", "0.0.0.0")
    process.signup(f"open-{os.getpid()}@example.com")
    out, err = process.stop()
    assert WEBHOOKS_ANYWHERE in err
    # 0.0.0.0 is no address to open: the line gives this machine's own, and says how others
    # get there without guessing which of its addresses they can reach.
    assert out.splitlines() == [ready_line(process)]
    assert ready_line(process).startswith("Payground listening on http://127.0.0.1:")
    # In a container its name is an id only the container's network knows (docker compose).
    assert ("Listening on every address of this machine (--host 0.0.0.0): from another "
            "machine, use this machine's address or name instead of 127.0.0.1 (it calls itself "
            f"{socket.gethostname()}; in a container, use the address of the machine running "
            "it, at the port published for it).\n") in err
    assert "0.0.0.0:" not in err  # nor granian's "Listening at: http://0.0.0.0:4242"


def test_gunicorns_listening_at_line_is_left_out_too(serve):
    """gunicorn logs ``Listening at: http://0.0.0.0:PORT (pid)`` as granian does: no address
    a browser opens. Its other lines stay."""
    process = serve("--server", "gunicorn", "--host", "0.0.0.0",
                    env={"PAYGROUND_WEBHOOK_ALLOWED_HOSTS": "*.ngrok.app"})
    process.signup(f"gunicorn-{os.getpid()}@example.com")
    out, err = process.stop()
    assert out.splitlines() == [ready_line(process)]
    assert "Listening at:" not in err
    assert "0.0.0.0:" not in err
    assert "Booting worker with pid" in err  # gunicorn's log is there, less that line


def test_no_warning_once_the_operator_says_where_webhooks_may_go(serve):
    process = serve("--host", "0.0.0.0", env={"PAYGROUND_WEBHOOK_ALLOWED_HOSTS": "*.ngrok.app"})
    process.signup(f"listed-{os.getpid()}@example.com")
    _, err = process.stop()
    assert "webhooks sent anywhere" not in err
    loopback = serve()  # a server only this machine reaches: nothing to warn about
    loopback.signup(f"local-{os.getpid()}@example.com")
    _, err = loopback.stop()
    assert "webhooks sent anywhere" not in err
    assert "Listening on every address" not in err
