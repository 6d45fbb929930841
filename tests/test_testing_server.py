"""payground.testing.Server: addresses, start/stop, error capture, several servers at once."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from payground.testing import Account, Server


def test_public_api():
    import payground.testing

    assert payground.testing.__all__ == ["Account", "Server"]
    assert all(hasattr(payground.testing, name) for name in payground.testing.__all__)


@pytest.fixture
def server():
    with Server() as server:
        yield server


def test_url_and_url_for(server):
    assert server.url.startswith("http://127.0.0.1:")
    port = int(server.url.rsplit(":", 1)[1])
    assert 0 < port < 65536
    assert server.url_for("/v1/customers") == f"{server.url}/v1/customers"
    assert server.url_for("v1/customers?limit=2") == f"{server.url}/v1/customers?limit=2"
    assert server.url_for("/") == f"{server.url}/"


def test_serves_the_api(server):
    r = requests.get(server.url_for("/v1/customers"), timeout=10)
    assert r.status_code == 401
    assert r.headers["Request-Id"].startswith("req_")
    assert r.json()["error"]["message"].startswith("You did not provide an API key.")


def test_start_stop_and_temporary_home():
    server = Server()
    assert not server.is_running
    with pytest.raises(RuntimeError, match="not running"):
        server.url  # noqa: B018
    assert server.start() is server
    assert server.is_running
    url, home = server.url, server.app.config["HOME"]
    assert os.path.isfile(os.path.join(home, "payground.db"))
    assert requests.get(server.url_for("/v1/customers"), timeout=10).status_code == 401
    with pytest.raises(RuntimeError, match="already running"):
        server.start()
    server.stop()
    assert not server.is_running
    assert not os.path.exists(home)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/v1/customers", timeout=10)
    server.stop()  # stopping twice does nothing


def test_restart_gets_a_fresh_database():
    server = Server()
    with server:
        account = server.signup()
    with server:
        r = account.request("GET", "/v1/customers")
    assert r.status_code == 401
    assert r.json()["error"]["message"].startswith("Invalid API Key provided: sk_test_")


def test_home_from_config_is_kept(tmp_path):
    home = tmp_path / "home"
    with Server({"HOME": str(home)}) as server:
        assert server.app.config["HOME"] == str(home)
        server.signup()
    assert (home / "payground.db").is_file()
    assert (home / "secret").is_file()


def test_test_defaults_and_config_override():
    with Server({"RATE_LIMITS": "test=7,live=9"}) as server:
        assert server.app.config["TESTING"] is True
        assert server.app.config["PASSWORD_COST"] == 2**10
        assert server.app.config["RATE_LIMITS"] == "test=7,live=9"
        # Limits on for 429s leave the per-address throttle of failed keys off: every test
        # calls from the loopback, and ten 401s would refuse all of them for a minute.
        assert server.app.config["AUTH_FAILURE_LIMIT"] == "off"
    with Server() as server:
        assert server.app.config["RATE_LIMITS"] == "off"


def test_environment_database_url_is_ignored(monkeypatch):
    # A deployment's database in the environment must never be touched by a test server.
    monkeypatch.setenv("PAYGROUND_DATABASE_URL", "postgresql+psycopg://nobody@invalid/prod")
    with Server() as server:
        url = server.app.config["DATABASE_URL"]
        assert url == f"sqlite:///{server.app.config['HOME']}/payground.db"


def test_port_in_use_raises_in_start(server):
    port = int(server.url.rsplit(":", 1)[1])
    other = Server(port=port)
    with pytest.raises(OSError):
        other.start()
    assert not other.is_running


def test_signup_and_account_helpers(server):
    account = server.signup(email="Someone@Example.com")
    assert isinstance(account, Account)
    assert account.id.startswith("acct_")
    assert account.email == "someone@example.com"
    assert account.session.startswith("sess_")
    assert account.secret_key.startswith("sk_test_")
    assert account.publishable_key.startswith("pk_test_")
    assert account.live_secret_key is None

    r = account.request("POST", "/v1/customers", data={"email": "c@example.com"})
    assert r.status_code == 200
    assert r.json()["livemode"] is False

    live = account.activate_live(business_name="Jo's Shop")
    assert live.startswith("sk_live_")
    assert account.live_secret_key == live
    assert account.live_publishable_key.startswith("pk_live_")
    r = account.request("GET", "/v1/customers", key=live)
    assert r.status_code == 200
    assert r.json()["data"] == []


def test_signup_refused_raises_http_error(server):
    server.signup(email="taken@example.com")
    with pytest.raises(requests.HTTPError,
                       match="An account with this email address already exists.") as raised:
        server.signup(email="taken@example.com")
    assert raised.value.response.status_code == 400


def test_activate_twice_raises_http_error(server):
    account = server.signup()
    account.activate_live()
    with pytest.raises(requests.HTTPError, match="Live mode is already activated"):
        account.activate_live()


# -- error capture ---------------------------------------------------------------------------


def _make_listing_fail(monkeypatch, view) -> None:
    # The customers view looks the service up at call time, so this runs inside a real request.
    monkeypatch.setattr("payground.services.customers.list_customers", view)


def test_exception_in_a_view_is_reraised_by_check_errors(server, monkeypatch):
    def boom(*args, **kwargs):
        raise ZeroDivisionError("kaboom")

    account = server.signup()
    _make_listing_fail(monkeypatch, boom)
    r = account.request("GET", "/v1/customers")
    assert r.status_code == 500
    assert r.json() == {"error": {
        "type": "api_error", "message": r.json()["error"]["message"],
        "request_log_url": server.url_for(f"/dashboard/requests/{r.headers['Request-Id']}")}}
    assert "kaboom" not in r.text  # no traceback in the body
    with pytest.raises(ZeroDivisionError, match="kaboom"):
        server.check_errors()
    server.check_errors()  # reported once, then cleared


def test_several_errors_first_reraised_with_a_note(server, monkeypatch):
    calls = iter(["first", "second"])

    def boom(*args, **kwargs):
        raise KeyError(next(calls))

    account = server.signup()
    _make_listing_fail(monkeypatch, boom)
    for _ in range(2):
        assert account.request("GET", "/v1/customers").status_code == 500
    with pytest.raises(KeyError, match="first") as raised:
        server.check_errors()
    assert "the server also raised KeyError('second')" in raised.value.__notes__


def test_error_outside_the_handlers_is_collected(server, monkeypatch):
    # The catch-all handler itself fails: Flask lets that through to the WSGI layer.
    def boom(*args, **kwargs):
        raise ZeroDivisionError("in the view")

    def broken_log(*args, **kwargs):
        raise OSError("in the error handler")

    account = server.signup()
    _make_listing_fail(monkeypatch, boom)
    monkeypatch.setattr("payground.errors.log.exception", broken_log)
    assert account.request("GET", "/v1/customers").status_code == 500
    with pytest.raises(ZeroDivisionError) as raised:
        server.check_errors()
    assert "the server also raised OSError('in the error handler')" in raised.value.__notes__


def test_no_errors_when_requests_fail_normally(server):
    account = server.signup()
    assert account.request("GET", "/v1/customers/cus_missing").status_code == 404
    assert account.request("POST", "/v1/customers", data={"nope": "1"}).status_code == 400
    assert requests.get(server.url_for("/v1/customers"), timeout=10).status_code == 401
    server.check_errors()


def test_errors_survive_stop(monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("late")

    with Server() as server:
        account = server.signup()
        _make_listing_fail(monkeypatch, boom)
        assert account.request("GET", "/v1/customers").status_code == 500
    with pytest.raises(RuntimeError, match="late"):
        server.check_errors()


# -- concurrency -----------------------------------------------------------------------------


def test_two_servers_at_once_are_independent():
    with Server() as one, Server() as two:
        assert one.url != two.url
        a, b = one.signup(email="same@example.com"), two.signup(email="same@example.com")
        assert a.request("POST", "/v1/customers", data={"name": "on one"}).status_code == 200
        assert a.request("GET", "/v1/customers").json()["data"][0]["name"] == "on one"
        assert b.request("GET", "/v1/customers").json()["data"] == []
        # A key from one server means nothing to the other.
        r = b.request("GET", "/v1/customers", key=a.secret_key)
        assert r.status_code == 401


def test_concurrent_requests_on_one_server(server):
    account = server.signup()
    barrier = threading.Barrier(8)

    def create(i):
        barrier.wait()
        return account.request("POST", "/v1/customers", data={"email": f"c{i}@example.com"})

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(create, range(8)))
    assert [r.status_code for r in responses] == [200] * 8
    assert len({r.json()["id"] for r in responses}) == 8
    listed = account.request("GET", "/v1/customers", params={"limit": 100}).json()
    assert len(listed["data"]) == 8
    server.check_errors()


def test_the_fixture_server_has_no_log_in_throttle():
    """A suite may check its wrong-password handling as often as it likes."""
    import requests

    from payground.testing import Server

    with Server() as server:
        account = server.signup(password="the right password")
        wrong = {"email": account.email, "password": "not the password"}
        statuses = {requests.post(server.url_for("/sandbox/login"), json=wrong,
                                  timeout=30).status_code for _ in range(8)}
        assert statuses == {401}
        right = {"email": account.email, "password": "the right password"}
        assert requests.post(server.url_for("/sandbox/login"), json=right,
                             timeout=30).status_code == 200


def test_a_deployments_network_settings_in_the_environment_do_not_reach_it(monkeypatch):
    # A shell or container set up for a workshop server (docker-compose.yml sets these) runs
    # the tests too: its allowed webhook hosts must not refuse the test's loopback handler,
    # nor its public URL take the error links away from the test server.
    monkeypatch.setenv("PAYGROUND_WEBHOOK_ALLOWED_HOSTS", "hooks.example.com")
    monkeypatch.setenv("PAYGROUND_PUBLIC_URL", "https://payground.example.com")
    monkeypatch.setenv("PAYGROUND_TRUSTED_PROXIES", "127.0.0.1")
    with Server() as server:
        assert server.app.config["TRUSTED_PROXIES"] == ""
        account = server.signup()
        created = account.request("POST", "/v1/webhook_endpoints", data={
            "url": "http://127.0.0.1:9/hook", "enabled_events[]": "charge.succeeded"})
        assert created.status_code == 200, created.text
        missing = account.request("GET", "/v1/customers/cus_missing")
        assert missing.status_code == 404
        request_id = missing.headers["Request-Id"]
        assert missing.json()["error"]["request_log_url"] == (
            f"{server.url}/dashboard/requests/{request_id}")
    # The test's own settings still win.
    with Server({"WEBHOOK_ALLOWED_HOSTS": "hooks.example.com"}) as server:
        account = server.signup()
        refused = account.request("POST", "/v1/webhook_endpoints", data={
            "url": "http://127.0.0.1:9/hook", "enabled_events[]": "charge.succeeded"})
        assert refused.status_code == 400
        assert refused.json()["error"]["param"] == "url"
