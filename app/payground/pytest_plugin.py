"""Payground's pytest plugin: a Payground server, fresh accounts and the Stripe SDK pointed at it.

Registered through the ``pytest11`` entry point, so installing Payground is enough. Listing
it as well (``pytest_plugins = ["payground.pytest_plugin"]`` in a conftest, ``-p
payground.pytest_plugin``, ``PYTEST_PLUGINS``) does no harm: it is loaded once. The fixtures,
from the widest scope to the narrowest:

- ``payground_config`` (session): settings for the server; override it in ``conftest.py``.
- ``payground_server`` (session): a :class:`payground.testing.Server` for the whole run.
- ``payground_account`` (function): a new account, with its test keys, for each test.
- ``payground_stripe`` (function): the official ``stripe`` module, pointed at the server
  with that account's secret key for one test.
- ``payground_stripe_client`` (function): a ``stripe.StripeClient`` set up the same way.
- ``payground_make_server`` (function): a factory for servers of one test's own, with
  settings of its own (rate limits on, say).

Every pytest run in an environment with Payground installed imports this module, so it
imports nothing heavy at the top: Flask, SQLAlchemy and ``stripe`` are imported inside the
fixtures that need them.

.. versionadded:: 0.1
"""

from __future__ import annotations

import errno
import os
import sys
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from types import ModuleType

    from payground.testing import Account, Server

PORT_VARIABLE = "PAYGROUND_TEST_PORT"
# The key of the pepper the pytest-xdist controller gives its workers (``workerinput``).
_WORKER_SECRET = "payground_secret"
# The run's pepper, in the process that made it (the xdist controller, or a run without xdist).
_RUN_SECRET = pytest.StashKey[str]()
_EARLIER_SERVERS = pytest.StashKey["weakref.WeakSet[Server]"]()


@pytest.fixture(scope="session")
def payground_config() -> dict[str, Any]:
    """Settings for ``payground_server``; returns ``{}``. Override it in your ``conftest.py``.

    The mapping is given to :class:`payground.testing.Server`, which gives it to
    :func:`payground.create_app`: its keys win over the server's test defaults
    (``TESTING``, ``RATE_LIMITS``, ``LOGIN_FAILURE_LIMIT`` and ``AUTH_FAILURE_LIMIT``
    ``"off"``, a low ``PASSWORD_COST``) and over ``PAYGROUND_*``
    environment variables. For example, to test your client's handling of 429s::

        @pytest.fixture(scope="session")
        def payground_config():
            return {"RATE_LIMITS": "test=5,live=5"}

    The override must be session-scoped, like ``payground_server``. To change settings for
    one test only, start a server of its own with ``payground_make_server``.

    .. versionadded:: 0.1
    """
    return {}


@pytest.fixture(scope="session")
def payground_server(payground_config: dict[str, Any], tmp_path_factory: pytest.TempPathFactory,
                     pytestconfig: pytest.Config) -> Iterator[Server]:
    """A Payground server running for the whole test session (``.url``, ``.url_for(path)``).

    The server listens on a free loopback port, or on ``$PAYGROUND_TEST_PORT`` if that is
    set (for a client that cannot be told the port; not with ``pytest-xdist``, whose workers
    would all want it). Unless ``payground_config`` gives
    ``HOME``, its ``PAYGROUND_HOME`` (database and key pepper) is a pytest temporary
    directory, kept after the run like other ``tmp_path`` directories so the database can be
    inspected when a test fails. Tests share the server but not data: each account sees
    only its own objects. Under ``pytest-xdist`` each worker has a server and home of its
    own; every fixture server of a run gives a new home the run's key pepper, so that with
    one ``DATABASE_URL`` for all of them any worker's server signs a webhook delivery right.

    When the session ends the server is stopped, and an exception the app raised that no
    test's teardown reported is raised then.

    :raises pytest.UsageError: if ``PAYGROUND_TEST_PORT`` is not a port number, or that
        port is taken (with ``pytest-xdist``, by another worker's server).

    .. versionadded:: 0.1
    """
    from payground.testing import Server

    config = dict(payground_config)
    if not config.get("HOME"):
        config["HOME"] = str(tmp_path_factory.mktemp("payground_home"))
    _share_run_secret(pytestconfig, config)
    port = _port_from_environment()
    server = Server(config, port=port)
    try:
        server.start()
    except OSError as error:
        if port and error.errno == errno.EADDRINUSE:
            raise pytest.UsageError(_port_taken(port)) from None
        raise
    try:
        yield server
    finally:
        server.stop()
    server.check_errors()


def _share_run_secret(pytestconfig: pytest.Config, config: dict[str, Any]) -> None:
    """Make the run's pepper that of ``config``'s home, unless a ``SECRET`` is set (as
    ``load_config`` reads it: a key in ``config``, even ``None``, wins over
    ``PAYGROUND_SECRET``) or the home has a pepper already.

    Every fixture server has a home of its own, but a DATABASE_URL in payground_config is
    one database for every xdist worker's server (and one given to payground_make_server
    is shared with those): a key issued by one server must authenticate on the others, and
    whichever server takes a delivery from the one webhook queue must sign it right. A
    function of its own, hidden from tracebacks, so that the pepper is no local of a
    fixture's frame, which ``pytest --showlocals`` prints (and JUnit XML keeps).
    """
    __tracebackhide__ = True
    from payground.config import Pepper, seed_home_secret

    given = config["SECRET"] if "SECRET" in config else os.environ.get("PAYGROUND_SECRET")
    if config.get("SECRET"):
        # The server's settings are locals of Server.start and create_app: a SECRET given
        # in payground_config is hidden there too (load_config would wrap it only later).
        config["SECRET"] = Pepper(config["SECRET"])
    if not given:
        seed_home_secret(config["HOME"], Pepper(_run_secret(pytestconfig)))


def _run_secret(config: pytest.Config) -> str:
    """The run's pepper: the one the xdist controller sent this worker, else this process's
    own (made once per run)."""
    __tracebackhide__ = True
    sent = getattr(config, "workerinput", {}).get(_WORKER_SECRET)
    if sent:
        return sent
    if _RUN_SECRET not in config.stash:
        import secrets

        config.stash[_RUN_SECRET] = secrets.token_urlsafe(32)
    return config.stash[_RUN_SECRET]


@pytest.fixture
def payground_account(payground_server: Server) -> Account:
    """A new account on ``payground_server``, signed up for this test.

    A :class:`payground.testing.Account`: ``.id``, ``.email``, ``.session``, the test keys
    ``.secret_key`` and ``.publishable_key``, ``.activate_live(**details)`` (returns the
    ``sk_live_`` key and sets ``.live_secret_key``/``.live_publishable_key``) and
    ``.request(method, path, key=None, **kwargs)`` (a ``requests`` call authenticated with
    the secret key, or the ``key`` given), and the key and clock helpers
    ``.create_key(type="restricted", permissions=[...])``, ``.roll(key, expires_in=0)``,
    ``.revoke(key)``, ``.advance_clock(seconds)``, ``.roll_webhook_secret(endpoint_id)``,
    ``.start_leak_drill(key=None)`` and ``.leak_drill(drill_id)``; for Connect OAuth
    ``.connect_application(redirect_uris, name=None, livemode=False)`` (the account as a
    platform), ``.connect(platform, scope="read_write")`` (the account connects to a
    platform's application through the real consent flow; returns the platform's token
    response, ``stripe_user_id`` for ``stripe_account=``), ``.authorize(platform,
    scope="read_write")`` (the same consent, without the code exchange: returns the
    redirect's ``url``, ``code``, ``scope`` and ``state``, for testing a platform's own
    callback) and ``.disconnect(platform_or_id)`` (the platform's ``Account``, a ``conn_``
    id or a ``client_id``). A helper the server refuses raises
    ``requests.HTTPError`` with its message. Since every object belongs to one account,
    tests never see each other's data. For an account shared by several tests, sign one up in
    a fixture of wider scope: ``payground_server.signup()``.

    .. versionadded:: 0.1
    """
    return payground_server.signup()


@pytest.fixture(autouse=True)
def _payground_server_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """For every test that uses ``payground_server`` (directly or through another fixture):
    when it ends, an exception the server raised while it ran is re-raised, so it is reported
    as an error of that test, not of a later one. Tests that do not use the server pay nothing.
    A ``payground_server`` that a conftest overrides with something other than a
    :class:`payground.testing.Server` (a URL, say) is left alone.
    """
    if "payground_server" not in request.fixturenames:
        yield
        return
    from payground.testing import Server

    server = request.getfixturevalue("payground_server")
    yield
    if isinstance(server, Server):  # only a Server has errors to report
        server.check_errors()


@pytest.fixture
def payground_stripe(payground_server: Server, payground_account: Account,
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The official ``stripe`` module, pointed at ``payground_server`` for this test.

    Sets, through ``monkeypatch`` (so everything is restored when the test ends):
    ``stripe.api_key`` to the secret key of ``payground_account`` (request that fixture too
    to reach the same account's other keys), ``stripe.api_base`` to the server's URL,
    ``stripe.max_network_retries = 0`` (a failure shows at once, never after a retry),
    ``stripe.enable_telemetry = False``, and a new ``stripe.default_http_client`` that is
    closed afterwards. Then::

        def test_customer(payground_stripe):
            customer = payground_stripe.Customer.create(email="jo@example.com")
            assert payground_stripe.Customer.retrieve(customer.id).email == "jo@example.com"

    Settings passed per call (``api_key=...``) still win, so other keys of the account can
    be used for one call.

    .. versionadded:: 0.1
    """
    import stripe

    http_client = _http_client(stripe)
    monkeypatch.setattr(stripe, "api_key", payground_account.secret_key)
    monkeypatch.setattr(stripe, "api_base", payground_server.url)
    monkeypatch.setattr(stripe, "upload_api_base", payground_server.url)
    monkeypatch.setattr(stripe, "connect_api_base", payground_server.url)
    # stripe.OAuth.authorize_url reads a copy its module took of connect_api_base when it was
    # first imported: a test run that had imported it before would build links to Stripe.
    oauth_module = _stripe_oauth_module()
    if oauth_module is not None and hasattr(oauth_module, "connect_api_base"):
        monkeypatch.setattr(oauth_module, "connect_api_base", payground_server.url)
    monkeypatch.setattr(stripe, "meter_events_api_base", payground_server.url)
    monkeypatch.setattr(stripe, "max_network_retries", 0)
    monkeypatch.setattr(stripe, "enable_telemetry", False)
    monkeypatch.setattr(stripe, "default_http_client", http_client)
    try:
        yield stripe
    finally:
        http_client.close()


def _stripe_oauth_module() -> ModuleType | None:
    """The stripe library's OAuth module (``stripe._oauth`` in stripe 8 and later), or None."""
    import importlib

    try:
        return importlib.import_module("stripe._oauth")
    except ImportError:
        return None


@pytest.fixture
def payground_stripe_client(payground_server: Server,
                            payground_account: Account) -> Iterator[Any]:
    """A ``stripe.StripeClient`` for ``payground_account``'s secret key, talking to the server.

    The client-object counterpart of ``payground_stripe``; it changes no global state. Every
    base address (``api``, ``files``, ``connect``, ``meter_events``) is the server's URL, and
    network retries are off::

        def test_customer(payground_stripe_client):
            customer = payground_stripe_client.v1.customers.create({"email": "jo@example.com"})

    .. versionadded:: 0.1
    """
    import stripe

    http_client = _http_client(stripe)
    url = payground_server.url
    client = stripe.StripeClient(
        payground_account.secret_key,
        base_addresses={"api": url, "files": url, "connect": url, "meter_events": url},
        max_network_retries=0,
        http_client=http_client,
    )
    try:
        yield client
    finally:
        http_client.close()


def _http_client(stripe: ModuleType) -> Any:
    """``requests`` for the SDK's calls; for its ``*_async`` ones, httpx when it is installed
    (the SDK's own default does the same): without it they fail with NotImplementedError."""
    try:
        import httpx  # noqa: F401
    except ImportError:
        return stripe.RequestsClient()
    return stripe.RequestsClient(async_fallback_client=stripe.HTTPXClient())


@pytest.fixture
def payground_make_server(tmp_path_factory: pytest.TempPathFactory,
                          pytestconfig: pytest.Config) -> Iterator[Callable[..., Server]]:
    """Factory: ``payground_make_server(config=None)`` starts a server for this test only.

    For settings that only one test needs, most often rate limits, which the other servers
    keep off (a test suite calls far faster than a person). Windows are aligned to the
    clock (a one-hour window ends on the hour)::

        def test_client_backs_off(payground_make_server):
            server = payground_make_server({"RATE_LIMITS": "test=2/1h"})
            account = server.signup()
            statuses = [account.request("GET", "/v1/customers").status_code
                        for _ in range(3)]
            assert statuses == [200, 200, 429]

    ``config`` is given to :class:`payground.testing.Server` as ``payground_config`` is
    (it wins over the test defaults and ``PAYGROUND_*`` variables); ``payground_config``
    itself is not applied. Each server has its own temporary ``PAYGROUND_HOME`` and
    database, unless ``config`` names them, and is already started; unless ``config`` gives
    a ``SECRET``, its key pepper is the run's, as every fixture server's (so a
    ``DATABASE_URL`` shared with ``payground_server`` shares keys and webhooks too). When
    the test ends every server the factory started is stopped, and an exception one of them
    raised is re-raised as an error of the test.

    :returns: a function ``(config: Mapping | None = None) -> Server``.

    .. versionadded:: 0.1
    """
    from payground.testing import Server

    servers: list[Server] = []

    def make(config: Mapping[str, Any] | None = None) -> Server:
        settings = dict(config or {})
        if not settings.get("HOME"):
            settings["HOME"] = str(tmp_path_factory.mktemp("payground_home"))
        _share_run_secret(pytestconfig, settings)
        server = Server(settings)
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
    for server in servers:
        server.check_errors()


# The two names this module is registered under: its ``pytest11`` entry point's, and its
# module name (which ``-p``, ``pytest_plugins`` and ``PYTEST_PLUGINS`` register it as).
_NAMES = ("payground", __name__)


def pytest_plugin_registered(plugin: object, manager: pytest.PytestPluginManager) -> None:
    """Registered under one of its names, block the other, so that asking for this module
    again by that name is skipped. Otherwise the entry point plus ``pytest_plugins =
    ["payground.pytest_plugin"]`` (or ``-p payground.pytest_plugin``) stopped pytest with
    pluggy's "ValueError: Plugin already registered under a different name" and a dump of
    every plugin: the same module, under two names.
    """
    if plugin is not sys.modules.get(__name__):
        return
    name = manager.get_name(plugin)
    for other in _NAMES:
        # A name some other plugin holds is left to it.
        if other != name and manager.get_plugin(other) is None:
            manager.set_blocked(other)


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: unknown without it
def pytest_configure_node(node: Any) -> None:
    """In the pytest-xdist controller: give every worker the same pepper for a new home.

    Sent over xdist's channel, never on a command line or in the environment (in clear
    with ``--tx socket=...``, as everything xdist sends; see the README).
    """
    node.workerinput[_WORKER_SECRET] = _run_secret(node.config)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Note the servers already running, so that only this session's strays are stopped."""
    session.stash[_EARLIER_SERVERS] = weakref.WeakSet(_running_servers())


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop any :class:`payground.testing.Server` this session started and left running.

    Servers that were running before the session began are left alone: they belong to an
    outer session (``pytester`` running pytest in-process) or to the caller.
    """
    earlier = session.stash.get(_EARLIER_SERVERS, weakref.WeakSet())
    for server in _running_servers():
        if server not in earlier:
            server.stop()


def _running_servers() -> list[Server]:
    server_module = sys.modules.get("payground.testing.server")
    if server_module is None:  # no server was ever started: nothing to import or stop
        return []
    return list(server_module._running)


def _port_taken(port: int) -> str:
    message = f"{PORT_VARIABLE}={port}: the port is already in use"
    # Set by pytest-xdist in each worker.
    if os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1").strip() not in {"", "0", "1"}:
        return (f"{message}, most likely by the server of another pytest-xdist worker: one "
                f"port serves one worker. Unset {PORT_VARIABLE} (each worker's server then "
                "gets a free port), or run with -n 0")
    return f"{message} (by another program, or a Payground server left running)"


def _port_from_environment() -> int:
    raw = os.environ.get(PORT_VARIABLE, "").strip()
    if not raw:
        return 0
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) < 65536:
        raise pytest.UsageError(f"{PORT_VARIABLE} must be a port number (1-65535), not {raw!r}")
    return int(raw)
