"""docker-compose.yml and the Dockerfile, checked without Docker: services, env, health, CMD."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from payground.cli import serve
from payground.config import DEFAULTS, load_config

ROOT = Path(__file__).resolve().parent.parent
# ${NAME:-default} (unset or empty: default) and ${NAME:?message} (unset or empty: an error).
PASSED_ON = re.compile(r"\$\{(?P<name>\w+)(?::-(?P<default>[^}]*)|:\?[^}]*)\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dockerfile() -> dict[str, list[str]]:
    """Instructions by name (continuation lines joined), in order."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    instructions: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, rest = line.partition(" ")
            instructions.setdefault(name.upper(), []).append(rest.strip())
    return instructions


def test_services(compose):
    assert set(compose["services"]) == {"payground", "postgres", "redis"}
    assert set(compose["volumes"]) == {"payground-data", "postgres-data"}


def test_payground_service(compose):
    service = compose["services"]["payground"]
    assert service["build"] == "."
    assert service["ports"] == ["4242:4242"]
    assert service["volumes"] == ["payground-data:/data"]
    assert service["depends_on"] == {"postgres": {"condition": "service_healthy"},
                                     "redis": {"condition": "service_healthy"}}


def test_payground_environment(compose):
    env = compose["services"]["payground"]["environment"]
    assert env == {
        "PAYGROUND_DATABASE_URL":
            "postgresql+psycopg://payground:payground@postgres:5432/payground",
        "PAYGROUND_REDIS_URL": "redis://redis:6379/0",
        "PAYGROUND_SECRET": "${PAYGROUND_SECRET:?set PAYGROUND_SECRET to a long random string}",
        "PAYGROUND_HOME": "/data",
        "PAYGROUND_WORKERS": "${PAYGROUND_WORKERS:-2}",
        "PAYGROUND_WEBHOOK_ALLOWED_HOSTS": "${PAYGROUND_WEBHOOK_ALLOWED_HOSTS:-"
                                           "host.docker.internal:5000,*.ngrok.app,"
                                           "*.ngrok-free.app,*.trycloudflare.com}",
        "PAYGROUND_AUTH_FAILURE_LIMIT": "${PAYGROUND_AUTH_FAILURE_LIMIT:-10/1m}",
        "PAYGROUND_LOGIN_FAILURE_LIMIT": "${PAYGROUND_LOGIN_FAILURE_LIMIT:-5/1m}",
        "PAYGROUND_PUBLIC_URL": "${PAYGROUND_PUBLIC_URL:-}",
        "PAYGROUND_TRUSTED_PROXIES": "${PAYGROUND_TRUSTED_PROXIES:-}",
    }
    # Every variable is one the app reads (config.DEFAULTS, prefixed), or one of serve's.
    from payground.cli.server import serve

    serve_variables = {option.envvar for option in serve.params if option.envvar}
    assert {name for name in env if name not in serve_variables} <= {
        f"PAYGROUND_{name}" for name in DEFAULTS}
    assert "PAYGROUND_WORKERS" in serve_variables


@pytest.mark.parametrize("name", ["AUTH_FAILURE_LIMIT", "LOGIN_FAILURE_LIMIT"])
def test_a_room_behind_one_address_can_raise_the_per_address_budgets(compose, name):
    # Only the variables the file lists reach the container: the host's export must be one.
    value = compose["services"]["payground"]["environment"][f"PAYGROUND_{name}"]
    assert value == f"${{PAYGROUND_{name}:-{DEFAULTS[name]}}}"  # the package's default


def test_webhooks_cannot_reach_the_other_services_by_default(compose):
    from payground.core.webhooks import AllowedHosts

    value = compose["services"]["payground"]["environment"]["PAYGROUND_WEBHOOK_ALLOWED_HOSTS"]
    default = value.removeprefix("${PAYGROUND_WEBHOOK_ALLOWED_HOSTS:-").removesuffix("}")
    allowed = AllowedHosts(default)
    for service in compose["services"]:
        assert not allowed.may_register(service), service
    assert not allowed.may_register("172.18.0.2")  # an address on the compose network
    assert allowed.may_register("host.docker.internal", 5000)  # the lessons' handler
    # Not every port of the Docker host: its ssh, a database, Docker's own API.
    for port in (22, 80, 2375, 4242, 5432, 6379):
        assert not allowed.may_register("host.docker.internal", port), port
    assert allowed.may_register("abc.ngrok-free.app")


def test_database_url_matches_the_postgres_service(compose):
    pg = compose["services"]["postgres"]["environment"]
    url = compose["services"]["payground"]["environment"]["PAYGROUND_DATABASE_URL"]
    user, password, host, port, db = re.fullmatch(
        r"postgresql\+psycopg://(\w+):(\w+)@(\w+):(\d+)/(\w+)", url).groups()
    assert (user, password, db) == (pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"],
                                    pg["POSTGRES_DB"])
    assert (host, port) == ("postgres", "5432")


def test_postgres_service(compose):
    service = compose["services"]["postgres"]
    assert service["image"] == "postgres:16"
    assert service["volumes"] == ["postgres-data:/var/lib/postgresql/data"]
    assert service["healthcheck"]["test"] == ["CMD-SHELL",
                                              "pg_isready -U payground -d payground"]
    assert "ports" not in service  # reachable only from the payground service


def test_redis_service(compose):
    service = compose["services"]["redis"]
    assert service["image"] == "redis:7"
    assert service["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "ports" not in service


def test_dockerfile_base_install_and_user(dockerfile):
    assert dockerfile["FROM"] == ["python:3.11-slim"]
    assert 'pip install ".[postgres,redis]"' in dockerfile["RUN"]
    assert dockerfile["USER"] == ["payground"]
    assert any("useradd" in run and "payground" in run for run in dockerfile["RUN"])
    # Only what the wheel is built from is copied in: never .env, a database or a virtualenv.
    assert dockerfile["COPY"] == ["pyproject.toml README.md ./", "app ./app",
                                  "tutorials ./tutorials"]


def test_the_image_holds_the_lessons_but_no_lesson_s_env(dockerfile):
    """The wheel carries the lessons (`payground tutorial`): built without tutorials/ it had
    none. A lesson followed in a checkout leaves its .env (keys) there: never in the image."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    wheel = config["tool"]["hatch"]["build"]["targets"]["wheel"]
    copied = {source for line in dockerfile["COPY"] for source in line.split()[:-1]}
    assert {path.split("/")[0] for path in wheel["only-include"]} <= copied
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"**/.env", "**/*.db"} <= set(ignored)  # a bare ".env" is the top folder's only
    # The build has no .gitignore: lesson 2's other.env, a leftover .env.XXXX stay out too.
    assert {"**/*.env", "**/.env.*", "**/*.env.*"} <= set(ignored)
    assert {"*.env", ".env.*", "*.env.*"} <= set(wheel["exclude"])


def test_dockerfile_cmd_and_expose_match_compose(dockerfile, compose):
    assert dockerfile["EXPOSE"] == ["4242"]
    cmd = json.loads(dockerfile["CMD"][0])
    assert cmd == ["payground", "serve", "--host", "0.0.0.0", "--port", "4242"]
    container_port = compose["services"]["payground"]["ports"][0].split(":")[1]
    assert container_port == dockerfile["EXPOSE"][0]
    # The CMD's arguments are ones `payground serve` accepts.
    ctx = serve.make_context("serve", cmd[2:])
    assert (ctx.params["host"], ctx.params["port"]) == ("0.0.0.0", 4242)


def test_webhooks_can_reach_a_handler_on_the_docker_host(compose):
    # Inside the container, localhost is the container: the host is host.docker.internal.
    assert compose["services"]["payground"]["extra_hosts"] == [
        "host.docker.internal:host-gateway"]


def test_payground_service_is_healthy_once_it_answers(compose, dockerfile, serve):
    """Without a healthcheck `docker compose ps` showed the service up while it was still
    upgrading the database, or stuck failing: the host could not tell when the room can start."""
    check = compose["services"]["payground"]["healthcheck"]
    assert check["test"][:3] == ["CMD", "python", "-c"]
    script = check["test"][3]
    # It asks the port the image serves on, at an address that needs no session.
    assert f"http://127.0.0.1:{dockerfile['EXPOSE'][0]}/sandbox/version" in script
    process = serve()
    process.signup(f"health-{os.getpid()}@example.com")
    here = script.replace(f":{dockerfile['EXPOSE'][0]}/", f":{process.port}/")
    assert subprocess.run([sys.executable, "-c", here], timeout=30).returncode == 0
    process.stop()
    # Nothing listening: unhealthy, not a pass. A bound socket that never listens, not the
    # stopped server's port: another test's server may take that one meanwhile.
    from tests.test_cli import refused_url

    sock, url = refused_url()
    with sock:
        gone = script.replace(f"http://127.0.0.1:{dockerfile['EXPOSE'][0]}", url)
        result = subprocess.run([sys.executable, "-c", gone], capture_output=True, timeout=30)
    assert result.returncode == 1
    assert b"Connection refused" in result.stderr


def _passed_on(compose) -> dict[str, str | None]:
    """The variables the file takes from the host's shell, by name: the default it gives each
    when unset or empty (``None``: required)."""
    passed = {}
    for name, value in compose["services"]["payground"]["environment"].items():
        match = PASSED_ON.fullmatch(value)
        if match:
            assert match["name"] == name  # the host's variable of the same name
            passed[name] = match["default"]
    return passed


def _readme_section(heading: str) -> str:
    return (ROOT / "README.md").read_text().split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize(("name", "unset", "given", "read"), [
    ("TRUSTED_PROXIES", "", "172.18.0.1", "172.18.0.1/32"),
    ("PUBLIC_URL", None, "https://pay.example.org", "https://pay.example.org"),
])
def test_a_proxy_setting_the_host_leaves_unset_is_unset_in_the_container(compose, name, unset,
                                                                         given, read):
    """Behind a TLS proxy a host needs both; without one, compose hands the container an
    empty value, which must read as unset (no error, no proxy trusted, no public URL)."""
    default = _passed_on(compose)[f"PAYGROUND_{name}"]
    assert default == ""
    config = load_config({"SECRET": "s"}, environ={f"PAYGROUND_{name}": default})
    assert config[name] == unset == load_config({"SECRET": "s"}, environ={})[name]
    # The host's value reaches the app.
    assert load_config({"SECRET": "s"}, environ={f"PAYGROUND_{name}": given})[name] == read


def test_the_readme_lists_every_variable_the_file_passes_on_with_its_default(compose):
    """README's "Workshop / shared server" table is what the file takes from the host's shell;
    a variable added to the file (or a default changed) without it went unnoticed."""
    section = _readme_section("Workshop / shared server")
    table = {match[1]: match[2].strip() for match in
             re.finditer(r"^\| `(PAYGROUND_\w+)` \| ([^|]*) \|$", section, re.M)}
    expected = {name: "none: required" if default is None else f"`{default}`" if default
                else "unset" for name, default in _passed_on(compose).items()}
    assert table == expected
    # The ones it sets itself are named there too.
    for name in compose["services"]["payground"]["environment"]:
        assert f"`{name}`" in section, name


def test_every_variable_the_file_sets_is_documented_where_serve_reads_it(compose):
    """A setting: a row of README's configuration table. One of `payground serve`'s: in its
    --help (which names each by hand) and in the configuration section, by the same name."""
    section = _readme_section("Configuration")
    rows = set(re.findall(r"^\| `(PAYGROUND_\w+)` \|", section, re.M))
    serve_options = [option for option in serve.params if option.envvar]
    for option in serve_options:
        assert f"[env: {option.envvar}]" in option.help, option.name
        assert f"`{option.envvar}`" in section, option.envvar
    serve_variables = {option.envvar for option in serve_options}
    for name in compose["services"]["payground"]["environment"]:
        assert name in rows or name in serve_variables, name
