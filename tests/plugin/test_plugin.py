"""The pytest11 fixtures as an outside project sees them: throwaway test files run by pytester.

The runs are subprocesses: a fresh interpreter loads the plugin from its ``pytest11`` entry
point, exactly as a user's ``pytest`` would (it is listed in no ``pytest_plugins``). Only the
test about nested sessions runs in-process, because that is what it is about.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys

import pytest

from tests.conftest import PG_URL

# Run once, in the SQLite run: an outside project's servers keep their own SQLite database
# whatever this suite's PAYGROUND_TEST_DATABASE_URL says (this project's conftest reads it,
# the plugin never does), so on PostgreSQL these runs would repeat the SQLite run's exactly;
# each is a fresh interpreter, a few seconds of CI's time.
pytestmark = pytest.mark.skipif(bool(PG_URL), reason="the plugin's servers use SQLite "
                                "whatever the suite's database: run in the SQLite run")

TIMEOUT = 120


# Faker's and Hypothesis's plugins, installed in the dev environment, cost ~2.5 s of imports
# per run and have nothing to do with ours; so does anyio's (~0.2 s: it comes with httpx, for
# the SDK's *_async methods, which the tests here run with asyncio.run). pytest-xdist's stays:
# the runs with -n need it, and it costs the others no measurable time.
QUIET = ("-p", "no:cacheprovider", "-p", "no:faker", "-p", "no:hypothesispytest",
         "-p", "no:anyio")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*QUIET, *args, timeout=TIMEOUT)


def test_payground_account(pytester):
    pytester.makepyfile(
        """
        def test_account(payground_account, payground_server):
            assert payground_account.id.startswith("acct_")
            assert payground_account.secret_key.startswith("sk_test_")
            assert payground_account.publishable_key.startswith("pk_test_")
            r = payground_account.request("POST", "/v1/customers",
                                          data={"email": "jo@example.com"})
            assert r.status_code == 200, r.text
            assert r.json()["email"] == "jo@example.com"
            assert payground_server.url.startswith("http://127.0.0.1:")

        def test_each_test_gets_a_new_account(payground_account):
            r = payground_account.request("GET", "/v1/customers")
            assert r.json()["data"] == []

        def test_live_mode(payground_account):
            live = payground_account.activate_live()
            assert live.startswith("sk_live_")
            r = payground_account.request("GET", "/v1/customers", key=live)
            assert r.status_code == 200
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=3)


def test_payground_stripe_creates_and_retrieves_a_customer(pytester):
    pytester.makepyfile(
        """
        import pytest

        def test_customer(payground_stripe, payground_account, payground_server):
            import stripe

            assert payground_stripe is stripe
            assert stripe.api_key == payground_account.secret_key
            assert stripe.api_base == payground_server.url
            customer = payground_stripe.Customer.create(email="jo@example.com", name="Jo")
            assert customer.id.startswith("cus_")
            again = payground_stripe.Customer.retrieve(customer.id)
            assert (again.id, again.email, again.name) == (customer.id, "jo@example.com", "Jo")

        def test_errors_are_the_sdks(payground_stripe):
            with pytest.raises(payground_stripe.InvalidRequestError) as raised:
                payground_stripe.Customer.retrieve("cus_missing")
            assert raised.value.http_status == 404
            assert raised.value.code == "resource_missing"
            assert raised.value.user_message == "No such customer: 'cus_missing'"

        def test_stripe_client(payground_stripe_client):
            customer = payground_stripe_client.v1.customers.create({"email": "c@example.com"})
            got = payground_stripe_client.v1.customers.retrieve(customer.id)
            assert got.email == "c@example.com"

        def test_sdk_settings_restored_afterwards():
            import stripe

            assert stripe.api_key is None
            assert stripe.api_base == stripe.DEFAULT_API_BASE
            assert stripe.max_network_retries == 2
            assert stripe.enable_telemetry is True
        """
    )
    result = run(pytester, "-W", "error")
    result.assert_outcomes(passed=4)


def test_oauth_links_follow_the_fixture_whenever_stripe_loaded_its_oauth_module(pytester):
    """stripe.OAuth.authorize_url reads the copy of connect_api_base its module took when first
    imported: a run that loaded it before the fixture still gets links to this server, and the
    copy is Stripe's again after the test."""
    pytester.makepyfile(
        """
        import stripe._oauth  # loaded before any fixture ran, as another test could have

        def test_authorize_link(payground_stripe, payground_server):
            url = payground_stripe.OAuth.authorize_url(client_id="ca_x", scope="read_only")
            assert url.startswith(payground_server.url + "/oauth/authorize?")

        def test_restored_afterwards():
            assert stripe._oauth.connect_api_base == stripe.DEFAULT_CONNECT_API_BASE
            assert stripe.OAuth.authorize_url(client_id="ca_x").startswith(
                "https://connect.stripe.com/oauth/authorize?")
        """
    )
    result = run(pytester, "-W", "error")
    result.assert_outcomes(passed=2)


def test_payground_config_override_in_conftest(pytester):
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def payground_config(tmp_path_factory):
            return {"RATE_LIMITS": "test=3,live=4",
                    "HOME": str(tmp_path_factory.mktemp("my_home"))}
        """
    )
    pytester.makepyfile(
        """
        import os

        def test_config_reaches_the_app(payground_server, payground_account):
            config = payground_server.app.config
            assert config["RATE_LIMITS"] == "test=3,live=4"
            assert os.path.basename(config["HOME"]).startswith("my_home")
            assert os.path.isfile(os.path.join(config["HOME"], "payground.db"))
            assert config["TESTING"] is True  # defaults not overridden stay
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=1)


def test_server_is_shared_by_the_session(pytester):
    pytester.makepyfile(
        """
        urls = set()

        def test_one(payground_server):
            urls.add(payground_server.url)

        def test_two(payground_server):
            urls.add(payground_server.url)
            assert len(urls) == 1
            assert payground_server.is_running
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=2)


def test_port_pinned_by_environment(pytester, monkeypatch):
    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("PAYGROUND_TEST_PORT", str(port))
    pytester.makepyfile(
        f"""
        def test_port(payground_server):
            assert payground_server.url == "http://127.0.0.1:{port}"
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=1)


def test_bad_port_in_environment(pytester, monkeypatch):
    monkeypatch.setenv("PAYGROUND_TEST_PORT", "http")
    pytester.makepyfile(
        """
        def test_port(payground_server):
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*PAYGROUND_TEST_PORT must be a port number (1-65535), not 'http'*"])


def test_server_exception_fails_the_test_that_caused_it(pytester):
    pytester.makepyfile(
        """
        def test_breaks_the_server(payground_account, monkeypatch):
            def boom(*args, **kwargs):
                raise ZeroDivisionError("kaboom")

            monkeypatch.setattr("payground.services.customers.list_customers", boom)
            r = payground_account.request("GET", "/v1/customers")
            assert r.status_code == 500
            assert r.json()["error"]["type"] == "api_error"

        def test_next_test_is_unaffected(payground_account):
            assert payground_account.request("GET", "/v1/customers").status_code == 200
        """
    )
    result = run(pytester)
    # The test itself passes; its teardown reports the server's exception.
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines([
        "*ERROR at teardown of test_breaks_the_server*",
        "*ZeroDivisionError: kaboom*",
    ])


def test_fixtures_are_listed_with_docstrings(pytester):
    result = run(pytester, "--fixtures")
    assert result.ret == 0
    result.stdout.fnmatch_lines_random([
        "payground_config*",
        "*Settings for ``payground_server``; returns ``{}``.*",
        "payground_server*",
        "*A Payground server running for the whole test session*",
        "payground_account*",
        "*A new account on ``payground_server``, signed up for this test.*",
        "payground_stripe*",
        "*The official ``stripe`` module, pointed at ``payground_server`` for this test.*",
        "payground_stripe_client*",
    ])


@pytest.fixture(scope="module")
def inner_tests_imports(payground_server):
    """What the in-process inner session's tests use, imported out here first.

    pytester puts ``sys.modules`` back as it was when it was set up (this module-scoped
    fixture comes before it): whatever an inner run imported first is dropped, and imported
    again by the next test that needs it. Which modules those were (requests, urllib3,
    multiprocessing when no earlier test had used them) depended on the order of the tests.
    Flask and SQLAlchemy, which do not survive being imported twice, come with
    ``payground_server``.
    """
    payground_server.signup().request("GET", "/v1/customers")


def test_inner_session_leaves_an_outer_server_running(inner_tests_imports, pytester,
                                                      payground_server):
    """In-process: the inner session's pytest_sessionfinish must stop only its own servers.

    Checked against the servers running before the inner session, not against
    ``payground_server`` alone: whether another server runs in this process meanwhile (a
    test's or a module's own) depends on the tests before this one and on their order.
    """
    from payground.testing import server as server_module

    pytester.makepyfile(
        """
        from payground.testing import Server

        leaked = Server()

        def test_uses_fixtures(payground_account):
            assert payground_account.request("GET", "/v1/customers").status_code == 200

        def test_forgets_to_stop_a_server():
            leaked.start()
        """
    )
    before = set(server_module._running)
    inner: set = set()

    class InnerServers:
        """Notes the servers each inner test leaves running, before its teardown."""

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtest_teardown(self, item):
            inner.update(set(server_module._running) - before)

    result = pytester.runpytest_inprocess(*QUIET, plugins=[InnerServers()])

    result.assert_outcomes(passed=2)
    assert len(inner) == 2  # the inner session's payground_server, and the leaked one
    assert not any(server.is_running for server in inner)  # both stopped
    assert payground_server in before and payground_server.is_running
    assert set(server_module._running) == before


@pytest.mark.parametrize("how", ["pytest_plugins", "-p", "PYTEST_PLUGINS"])
def test_the_plugin_asked_for_again_by_its_module_name_is_loaded_once(pytester, monkeypatch,
                                                                       how):
    """The entry point registers the module as "payground"; a conftest's pytest_plugins,
    -p and PYTEST_PLUGINS ask for it as "payground.pytest_plugin". pytest used to stop with
    pluggy's "ValueError: Plugin already registered under a different name" (and a dump of
    every plugin) before running anything."""
    args: tuple[str, ...] = ()
    if how == "pytest_plugins":
        pytester.makeconftest('pytest_plugins = ["payground.pytest_plugin"]')
    elif how == "-p":
        args = ("-p", "payground.pytest_plugin")
    else:
        monkeypatch.setenv("PYTEST_PLUGINS", "payground.pytest_plugin")
    pytester.makepyfile(
        """
        import payground.pytest_plugin

        def test_fixtures_once(payground_account, pytestconfig):
            assert payground_account.request("GET", "/v1/customers").status_code == 200
            names = [name for name, plugin in pytestconfig.pluginmanager.list_name_plugin()
                     if plugin is payground.pytest_plugin]
            assert len(names) == 1, names  # the entry point's name, or -p's (it came first)
        """
    )
    result = run(pytester, *args)
    result.assert_outcomes(passed=1)
    assert "already registered" not in result.stdout.str() + result.stderr.str()


def test_the_entry_point_can_still_be_turned_off(pytester):
    pytester.makepyfile(
        """
        def test_without(request):
            assert "payground_account" not in request.fixturenames
        """
    )
    result = run(pytester, "-p", "no:payground", "--fixtures")
    result.stdout.no_fnmatch_line("payground_account*")


def test_plugin_import_is_light():
    code = ("import sys, payground.pytest_plugin; "
            "print(sorted(m for m in ('flask', 'sqlalchemy', 'stripe', 'werkzeug', 'requests') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=TIMEOUT).stdout
    assert out.strip() == "[]"


def test_a_server_exception_is_the_error_of_the_test_that_caused_it_even_without_an_account(
        pytester):
    pytester.makepyfile(
        """
        import requests

        def test_server_only(payground_server, monkeypatch):
            def boom(*args, **kwargs):
                raise ZeroDivisionError("kaboom")

            monkeypatch.setattr("payground.services.customers.list_customers", boom)
            account = payground_server.signup()
            r = requests.get(payground_server.url_for("/v1/customers"), timeout=30,
                             headers={"Authorization": f"Bearer {account.secret_key}"})
            assert r.status_code == 500

        def test_later(payground_account):
            pass

        def test_without_the_server():
            pass
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_server_only*",
                                 "*ZeroDivisionError: kaboom*"])
    result.stdout.no_fnmatch_line("*ERROR at teardown of test_later*")


def test_the_sdks_async_methods_work_with_the_fixtures(pytester):
    pytest.importorskip("httpx")
    pytester.makepyfile(
        """
        import asyncio

        def test_module_level(payground_stripe):
            customer = asyncio.run(payground_stripe.Customer.create_async(email="a@example.com"))
            assert customer.email == "a@example.com"

        def test_client(payground_stripe_client):
            async def both():
                created = await payground_stripe_client.v1.customers.create_async(
                    {"email": "b@example.com"})
                return await payground_stripe_client.v1.customers.retrieve_async(created.id)

            assert asyncio.run(both()).email == "b@example.com"
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_the_readmes_warning_filter_lets_async_calls_through_under_filterwarnings_error(
        pytester):
    # httpx's DeprecationWarning inside the stripe library's async POSTs becomes an
    # APIConnectionError under filterwarnings=error; the README gives the filter that lets
    # a user's suite keep "error" and still use the *_async methods.
    pytest.importorskip("httpx")
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    ignore = next(line.strip().strip(",").strip('"') for line in readme.splitlines()
                  if line.strip().startswith('"ignore:Use \'content='))
    pytester.makeini(f"[pytest]\nfilterwarnings =\n    error\n    {ignore}\n")
    pytester.makepyfile(
        """
        import asyncio

        def test_client(payground_stripe_client):
            async def create():
                return await payground_stripe_client.v1.customers.create_async(
                    {"email": "b@example.com"})

            assert asyncio.run(create()).email == "b@example.com"

        def test_module_level(payground_stripe):
            made = asyncio.run(payground_stripe.Customer.create_async(email="a@example.com"))
            assert made.email == "a@example.com"
        """
    )
    run(pytester).assert_outcomes(passed=2)


def test_a_conftest_payground_server_of_another_kind_is_left_alone(pytester):
    # A team pointing its tests at a Payground it runs itself overrides the fixture with a
    # URL; the plugin's per-test error check must not treat that as a Server.
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def payground_server():
            return "http://payground.internal:4242"
        """
    )
    pytester.makepyfile(
        """
        def test_uses_the_override(payground_server):
            assert payground_server == "http://payground.internal:4242"

        def test_without_it():
            pass
        """
    )
    run(pytester).assert_outcomes(passed=2)


@pytest.mark.parametrize("workers,why", [
    (None, " (by another program, or a Payground server left running)"),
    # What a pytest-xdist worker sees when another worker's server holds the pinned port
    # (the variable is xdist's; set by hand, the test needs no xdist).
    ("2", ", most likely by the server of another pytest-xdist worker: one port serves one "
          "worker. Unset PAYGROUND_TEST_PORT (each worker's server then gets a free port), "
          "or run with -n 0"),
])
def test_a_taken_pinned_port_is_a_usage_error_that_says_why(pytester, monkeypatch, workers,
                                                            why):
    if workers is None:
        monkeypatch.delenv("PYTEST_XDIST_WORKER_COUNT", raising=False)  # this suite's own -n
    else:
        monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", workers)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        monkeypatch.setenv("PAYGROUND_TEST_PORT", str(port))
        pytester.makepyfile(
            """
            def test_port(payground_server):
                pass
            """
        )
        result = run(pytester)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        f"*UsageError: PAYGROUND_TEST_PORT={port}: the port is already in use{why}*"])


def test_the_database_stays_in_its_home_whatever_the_temporary_directory_is_called(pytester):
    # Not `import sqlalchemy`: pytester would drop it from sys.modules after this test, and
    # the copy imported next does not work with its compiled parts (the in-process test).
    from importlib.metadata import version

    if tuple(int(part) for part in version("sqlalchemy").split(".")[:2]) < (2, 1):
        pytest.skip("SQLAlchemy 2.1+ writes a '?' in a database URL")
    # CI workspaces and TMPDIRs have had "?", "#" and "%2F" in their names: as bare parts of
    # an sqlite:/// URL they moved the database out of its home, or failed to open it.
    pytester.makepyfile(
        """
        import os

        from sqlalchemy.engine import make_url

        def test_database_in_home(payground_account, payground_server):
            home = payground_server.app.config["HOME"]
            assert "?" in home and "%2F" in home and "#" in home
            database = make_url(payground_server.app.config["DATABASE_URL"]).database
            assert database == os.path.join(home, "payground.db")
            assert os.path.isfile(database)
            r = payground_account.request("POST", "/v1/customers", data={"email": "j@example.com"})
            assert r.status_code == 200, r.text

        def test_a_server_of_its_own(payground_make_server):
            server = payground_make_server()
            database = make_url(server.app.config["DATABASE_URL"]).database
            assert database == os.path.join(server.app.config["HOME"], "payground.db")
            assert server.signup().request("GET", "/v1/customers").status_code == 200
        """
    )
    workspace = pytester.mkdir("ci?job=1#2")
    basetemp = workspace / "feature%2Fbranch"
    run(pytester, "--basetemp", str(basetemp)).assert_outcomes(passed=2)
    assert not (pytester.path / "ci").exists()  # where the "?" used to put the database


# A webhook receiver for the pytester projects below: (url, [(body, Stripe-Signature)]).
RECEIVER_FIXTURE = """
import http.server, threading

import pytest


@pytest.fixture
def receiver():
    got = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            got.append((body, self.headers["Stripe-Signature"]))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", got
    server.shutdown()
    server.server_close()
"""


XDIST_RECORD = """
    import json, os

    def test_record(payground_server, payground_account, worker_id):
        assert payground_account.request("GET", "/v1/customers").status_code == 200
        record = {"worker": worker_id, "url": payground_server.url,
                  "home": payground_server.app.config["HOME"], "pid": os.getpid()}
        with open(os.path.join(os.environ["RECORDS"], worker_id), "w") as f:
            json.dump(record, f)
"""


def test_each_xdist_worker_has_a_server_and_home_of_its_own(pytester, monkeypatch):
    pytest.importorskip("xdist")
    import json

    records = pytester.mkdir("records")
    monkeypatch.setenv("RECORDS", str(records))
    pytester.makepyfile(XDIST_RECORD)
    # --dist each: every worker runs the test, so both start a server.
    run(pytester, "-n", "2", "--dist", "each").assert_outcomes(passed=2)
    seen = [json.loads(path.read_text()) for path in sorted(records.iterdir())]
    assert [record["worker"] for record in seen] == ["gw0", "gw1"]
    assert len({record["url"] for record in seen}) == 2
    assert len({record["pid"] for record in seen}) == 2
    for record in seen:
        assert f"popen-{record['worker']}" in record["home"]


def test_a_taken_pinned_port_under_xdist_gives_the_reason_on_each_worker(pytester,
                                                                          monkeypatch):
    pytest.importorskip("xdist")
    # Held here for the whole run: which worker would win the port otherwise depends on
    # timing (one may be done with it before the other starts).
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        monkeypatch.setenv("PAYGROUND_TEST_PORT", str(port))
        monkeypatch.setenv("RECORDS", str(pytester.mkdir("records")))
        pytester.makepyfile(XDIST_RECORD)
        result = run(pytester, "-n", "2", "--dist", "each")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines([
        f"*UsageError: PAYGROUND_TEST_PORT={port}: the port is already in use, most likely by "
        "the server of another pytest-xdist worker*"])


def test_xdist_workers_sharing_a_database_sign_and_wait_for_each_others_webhooks(pytester,
                                                                                   monkeypatch):
    """One DATABASE_URL in payground_config is one webhook queue for every worker, and any
    worker's server sends what is due. Each worker's home had a pepper of its own, so a
    delivery another worker sent was signed with a secret the endpoint never had, and
    wait_for_webhooks returned before that worker had sent it."""
    pytest.importorskip("xdist")
    import json

    records = pytester.mkdir("records")
    monkeypatch.setenv("RECORDS", str(records))
    monkeypatch.delenv("PAYGROUND_SECRET", raising=False)
    pytester.makeconftest(
        f"""
        import pytest

        @pytest.fixture(scope="session")
        def payground_config():
            return {{"DATABASE_URL": "sqlite:///{pytester.path / 'shared.db'}"}}
        """
    )
    pytester.makepyfile(receiver=RECEIVER_FIXTURE)
    pytester.makepyfile(
        """
        import hashlib, json, os

        import pytest

        from receiver import receiver  # noqa: F401 (a fixture)

        @pytest.mark.parametrize("n", range(6))
        def test_webhooks(payground_stripe, payground_server, receiver, worker_id, n):
            url, got = receiver
            endpoint = payground_stripe.WebhookEndpoint.create(
                url=url, enabled_events=["charge.succeeded"])
            charges = {payground_stripe.Charge.create(amount=100 + i, currency="usd",
                                                      source="tok_visa").id for i in range(3)}
            payground_server.wait_for_webhooks()
            events = [payground_stripe.Webhook.construct_event(body, signature, endpoint.secret)
                      for body, signature in got]
            assert {event.data.object.id for event in events} == charges
            home = payground_server.app.config["HOME"]
            with open(os.path.join(home, "secret"), "rb") as f:
                pepper = hashlib.sha256(f.read()).hexdigest()
            with open(os.path.join(os.environ["RECORDS"], worker_id), "w") as f:
                json.dump({"home": home, "pepper": pepper}, f)
        """
    )
    # --dist each: both workers run every test at once, on the one queue.
    run(pytester, "-n", "2", "--dist", "each", "-W", "error").assert_outcomes(passed=12)
    seen = [json.loads(path.read_text()) for path in sorted(records.iterdir())]
    assert len(seen) == 2
    assert seen[0]["home"] != seen[1]["home"]  # homes of their own, one pepper for the run
    assert seen[0]["pepper"] == seen[1]["pepper"]


@pytest.mark.parametrize("secret_in_config", [None, "from-config"])
def test_xdist_workers_use_the_secret_the_config_gives_else_the_run_s(pytester, monkeypatch,
                                                                      secret_in_config):
    """A SECRET in payground_config wins over PAYGROUND_SECRET, as in load_config, even
    None (read the home's): with None the workers did not share the run's pepper, because
    the environment's, which the server does not use, was set."""
    pytest.importorskip("xdist")
    import json

    records = pytester.mkdir("records")
    monkeypatch.setenv("RECORDS", str(records))
    monkeypatch.setenv("PAYGROUND_SECRET", "from-environment")
    pytester.makeconftest(
        f"""
        import pytest

        @pytest.fixture(scope="session")
        def payground_config():
            return {{"SECRET": {secret_in_config!r}}}
        """
    )
    pytester.makepyfile(
        """
        import json, os

        def test_pepper(payground_server, worker_id):
            home = payground_server.app.config["HOME"]
            path = os.path.join(home, "secret")
            with open(os.path.join(os.environ["RECORDS"], worker_id), "w") as f:
                json.dump({"pepper": payground_server.app.extensions["payground"].pepper,
                           "file": open(path).read().strip() if os.path.exists(path) else None},
                          f)
        """
    )
    run(pytester, "-n", "2", "--dist", "each").assert_outcomes(passed=2)
    seen = [json.loads(path.read_text()) for path in sorted(records.iterdir())]
    assert len(seen) == 2
    assert seen[0]["pepper"] == seen[1]["pepper"]
    if secret_in_config is None:  # the homes' peppers: the run's, the same for both
        assert seen[0]["pepper"] not in ("from-environment", None)
        assert [record["file"] for record in seen] == [seen[0]["pepper"]] * 2
    else:
        assert seen == [{"pepper": "from-config", "file": None}] * 2


def test_a_workers_server_failing_to_start_shows_no_pepper_with_showlocals(pytester):
    """--showlocals prints the locals of every frame of a setup error, and JUnit XML keeps
    them: the run's pepper, which every worker's server uses, was the fixture's local
    ``run_secret``, and in load_config's ``config`` when a setting was wrong."""
    pytest.importorskip("xdist")
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def payground_config():
            return {"TRUSTED_PROXIES": "not-an-address"}
        """
    )
    pytester.makepyfile("def test_one(payground_server):\n    pass\n")
    result = run(pytester, "-n", "2", "--dist", "each", "-l", "--junitxml=junit.xml",
                 f"--basetemp={pytester.path / 'tmp'}")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*ValueError: PAYGROUND_TRUSTED_PROXIES*"])
    # The fixture gave each home the run's pepper before the server failed to start.
    (pepper,) = {path.read_text().strip()
                 for path in (pytester.path / "tmp").glob("popen-gw*/payground_home0/secret")}
    assert "config     = {" in result.stdout.str()  # locals were shown
    assert pepper not in result.stdout.str()
    assert pepper not in (pytester.path / "junit.xml").read_text()


FULL_SECRET = re.compile(r"(?:sk|rk|pk)_(?:test|live)_[0-9A-Za-z]{20,}|sess_[0-9A-Za-z]{16,}")


@pytest.mark.parametrize("tb", ["auto", "long"])
def test_a_helper_the_server_refuses_fails_at_the_tests_line_without_printing_a_key(pytester,
                                                                                     tb):
    """A helper's frame in the report printed its arguments: the full key given to revoke()
    or roll() (the innermost frame's always, every frame's with --tb=long)."""
    pytester.makepyfile(
        """
        def test_revoke_a_key_of_another_account(payground_account, payground_server):
            payground_account.revoke(payground_server.signup().secret_key)

        def test_roll_for_too_long(payground_account):
            payground_account.roll(payground_account.secret_key, expires_in=10**9)
        """
    )
    result = run(pytester, f"--tb={tb}", "--showlocals")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        ">       payground_account.revoke(payground_server.signup().secret_key)",
        "E       LookupError: sk_test_...* is not a key of account acct_*",
        "test_a_helper_*.py:2: LookupError",
        ">       payground_account.roll(payground_account.secret_key, expires_in=10**9)",
        "E       requests.exceptions.HTTPError: POST http://127.0.0.1:*/sandbox/keys/key_*/roll"
        " -> 400: This value must be less than or equal to 604800. (param: expires_in)",
        "test_a_helper_*.py:5: HTTPError",
    ])
    output = result.stdout.str()
    assert "payground/testing/server.py" not in output
    assert FULL_SECRET.findall(output) == []


def test_connect_oauth_between_two_accounts_with_the_sdks_stripe_account(pytester):
    """An outside project's platform (``payground_account``, the SDK's key) and a business
    (a second account) connecting to it, then ``stripe_account=``; disconnecting ends it."""
    pytester.makepyfile(
        """
        import pytest

        def test_platform_acts_on_the_connected_account(payground_stripe, payground_account,
                                                       payground_server):
            business = payground_server.signup()
            payground_account.connect_application(["http://localhost:8000/cb"], name="Acme")

            token = business.connect(payground_account, scope="read_write")

            charge = payground_stripe.Charge.create(
                amount=1500, currency="usd", source="tok_visa",
                stripe_account=token["stripe_user_id"])
            listed = payground_stripe.Charge.list(stripe_account=business.id)
            assert [c.id for c in listed] == [charge.id]
            assert payground_stripe.Charge.list().data == []  # the platform's own
            business.disconnect(payground_account)
            with pytest.raises(payground_stripe.PermissionError):
                payground_stripe.Charge.list(stripe_account=business.id)
            with pytest.raises(payground_stripe.AuthenticationError):
                payground_stripe.Charge.list(api_key=token["access_token"])
        """
    )
    run(pytester, "-W", "error").assert_outcomes(passed=1)


OAUTH_SECRET = re.compile(r"(?:ac|rt)_[0-9A-Za-z]{20,}")


@pytest.mark.parametrize("tb", ["auto", "long"])
def test_a_refused_connect_fails_at_the_tests_line_without_printing_a_secret(pytester, tb):
    """connect() holds the session token, the platform's key and (once approved) the
    authorization code: none may reach the report, whichever step is refused."""
    pytester.makepyfile(
        """
        def test_own_application(payground_account):
            payground_account.connect(payground_account)

        def test_code_exchanged_with_another_accounts_key(payground_account, payground_server):
            business = payground_server.signup()
            client_id = payground_account.connect_application()["client_id"]
            business.connect(client_id, platform_key=business.secret_key)

        def test_authorize_an_unknown_scope(payground_account, payground_server):
            payground_server.signup().authorize(payground_account, scope="everything")
        """
    )
    result = run(pytester, f"--tb={tb}", "--showlocals")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines([
        ">       payground_account.connect(payground_account)",
        "E       requests.exceptions.HTTPError: GET http://127.0.0.1:*/dashboard/oauth/authorize"
        " -> 400: An account cannot connect to its own application",
        ">       business.connect(client_id, platform_key=business.secret_key)",
        "E       requests.exceptions.HTTPError: POST http://127.0.0.1:*/oauth/token -> 400: "
        "invalid_grant: Authorization code does not exist: ac_*...",
        ">       payground_server.signup().authorize(payground_account, scope=\"everything\")",
        "E       requests.exceptions.HTTPError: GET http://127.0.0.1:*/oauth/authorize -> 302: "
        "redirected with invalid_scope: Invalid scope 'everything'*",
    ])
    output = result.stdout.str()
    assert "payground/testing/" not in output
    assert FULL_SECRET.findall(output) == [] and OAUTH_SECRET.findall(output) == []


def test_session_wide_rate_limits_leave_failed_authentications_alone(pytester):
    """RATE_LIMITS on turned the per-address failed-authentication throttle on with it: after
    ten tests of a bad key every request of every later test, all from 127.0.0.1, was a 429
    for a minute."""
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def payground_config():
            return {"RATE_LIMITS": "test=1000,live=1000"}
        """
    )
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("attempt", range(11))
        def test_a_bad_key_is_refused(payground_account, attempt):
            r = payground_account.request("GET", "/v1/customers", key="sk_test_" + "x" * 38)
            assert r.status_code == 401, r.text

        def test_a_later_test_is_served(payground_account):
            r = payground_account.request("GET", "/v1/customers")
            assert r.status_code == 200, r.text
            assert r.headers["RateLimit-Policy"] == '"account";q=1000;w=1'

        def test_the_throttle_can_still_be_turned_on(payground_make_server):
            server = payground_make_server({"RATE_LIMITS": "test=1000",
                                            "AUTH_FAILURE_LIMIT": "2/1h"})
            account = server.signup()
            statuses = [account.request("GET", "/v1/customers", key="sk_test_" + "x" * 38)
                        .status_code for _ in range(3)]
            assert statuses == [401, 401, 429]
            r = account.request("GET", "/v1/customers")
            assert r.status_code == 429
            assert r.json()["error"]["code"] == "rate_limit"
            assert r.headers["Stripe-Rate-Limited-Reason"] == "auth-failures"
        """
    )
    result = run(pytester)
    result.assert_outcomes(passed=13)


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_made_server_on_the_sessions_database_shares_its_keys_and_webhooks(pytester,
                                                                             monkeypatch,
                                                                             workers):
    """A payground_make_server server given payground_config's DATABASE_URL had a pepper of
    its own home: its keys were a 401 on the session's server, and a delivery that a
    session server (of any worker) took from the one queue was signed with another secret."""
    monkeypatch.delenv("PAYGROUND_SECRET", raising=False)
    database = f"sqlite:///{pytester.path / 'shared.db'}"
    pytester.makeconftest(
        f"""
        import pytest

        DATABASE = {database!r}

        @pytest.fixture(scope="session")
        def payground_config():
            return {{"DATABASE_URL": DATABASE}}
        """
    )
    pytester.makepyfile(receiver=RECEIVER_FIXTURE)
    pytester.makepyfile(
        """
        import pytest
        import requests
        import stripe

        from conftest import DATABASE

        from receiver import receiver  # noqa: F401 (a fixture)

        @pytest.mark.parametrize("n", range(3))
        def test_shared(payground_server, payground_make_server, receiver, n):
            url, got = receiver
            server = payground_make_server({"DATABASE_URL": DATABASE})
            account = server.signup()
            on_session_server = requests.get(
                payground_server.url_for("/v1/customers"), timeout=30,
                headers={"Authorization": f"Bearer {account.secret_key}"})
            assert on_session_server.status_code == 200, on_session_server.text
            client = stripe.StripeClient(account.secret_key, max_network_retries=0,
                                         base_addresses={"api": server.url})
            endpoint = client.v1.webhook_endpoints.create(
                {"url": url, "enabled_events": ["charge.succeeded"]})
            charges = {client.v1.charges.create({"amount": 100 + i, "currency": "usd",
                                                 "source": "tok_visa"}).id for i in range(3)}
            server.wait_for_webhooks()
            events = [stripe.Webhook.construct_event(body, signature, endpoint.secret)
                      for body, signature in got]
            assert {event.data.object.id for event in events} == charges
        """
    )
    args = ("-n", workers, "--dist", "each") if workers != "0" else ()
    if workers != "0":
        pytest.importorskip("xdist")
    run(pytester, *args).assert_outcomes(passed=3 * max(1, int(workers)))


@pytest.mark.parametrize("fixture", ["payground_server", "payground_make_server"])
def test_a_server_failing_after_its_settings_are_read_shows_no_pepper_with_showlocals(
        pytester, monkeypatch, fixture):
    """create_app holds the settings, pepper included, while it opens the database: with
    --showlocals a database that cannot be opened printed the pepper in that frame."""
    monkeypatch.delenv("PAYGROUND_SECRET", raising=False)
    pytester.path.joinpath("a-file").write_text("")
    # Under a file: the database's folder cannot be made, after the pepper was read.
    database = f"sqlite:///{pytester.path / 'a-file' / 'payground.db'}"
    pytester.makepyfile(
        f"""
        def test_one(payground_server):
            pass

        def test_two(payground_make_server):
            payground_make_server({{"DATABASE_URL": {database!r}}})
        """ if fixture == "payground_make_server" else "def test_one(payground_server):\n"
        "    pass\n"
    )
    pytester.makeconftest(
        f"""
        import pytest

        @pytest.fixture(scope="session")
        def payground_config():
            return {{"DATABASE_URL": {database!r}}}
        """ if fixture == "payground_server" else ""
    )
    result = run(pytester, "-l", "--tb=long", f"--basetemp={pytester.path / 'tmp'}")
    result.stdout.fnmatch_lines(["*FileExistsError*a-file*"])
    peppers = {path.read_text().strip() for path in (pytester.path / "tmp").glob("*/secret")}
    assert len(peppers) == 1  # the run's, in every home
    assert "settings   = {" in result.stdout.str()  # create_app's locals were shown
    assert peppers.pop() not in result.stdout.str()
    assert "Pepper('<hidden>')" in result.stdout.str()


@pytest.mark.parametrize("given_in", ["payground_config", "PAYGROUND_SECRET"])
def test_a_given_pepper_is_hidden_too_when_the_server_fails_to_start(pytester, monkeypatch,
                                                                    given_in):
    """A SECRET in payground_config (or PAYGROUND_SECRET) was in clear in the fixture's,
    Server.start's and create_app's settings, and load_config's: -l printed it."""
    pepper = "a-pepper-of-the-users-own-0123456789"
    pytester.path.joinpath("a-file").write_text("")
    database = f"sqlite:///{pytester.path / 'a-file' / 'payground.db'}"
    settings = {"DATABASE_URL": database}
    if given_in == "PAYGROUND_SECRET":
        monkeypatch.setenv("PAYGROUND_SECRET", pepper)
    else:
        monkeypatch.delenv("PAYGROUND_SECRET", raising=False)
        settings["SECRET"] = pepper
    pytester.makeconftest(
        f"""
        import pytest

        @pytest.fixture(scope="session")
        def payground_config():
            return {settings!r}
        """
    )
    pytester.makepyfile("def test_one(payground_server):\n    pass\n")
    result = run(pytester, "-l", "--tb=long", "-vv")  # -vv: no local is cut short
    result.stdout.fnmatch_lines(["*FileExistsError*a-file*"])
    shown = result.stdout.str()
    assert "settings   = {" in shown  # create_app's locals were shown
    assert "'SECRET': Pepper('<hidden>')" in shown
    # Left in clear: the conftest's source line and the fixture's `payground_config`
    # argument, the user's own mapping (as keys in a test's own variables, README).
    assert shown.count(pepper) == (2 if given_in == "payground_config" else 0)
    assert not list((pytester.path).rglob("secret"))  # the given pepper, not the run's
