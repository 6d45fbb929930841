"""Rate limits are exact across the workers of one deployment (SPEC §7, issue 3 item 5).

``payground serve --workers 2`` with Redis, a burst of 40 test-mode requests on new
connections: exactly 25 pass. Needs Redis at ``$PAYGROUND_TEST_REDIS_URL`` (default
``redis://127.0.0.1:6379/0``); skipped with the reason when it cannot be reached.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.test_cli import DOMAIN, ServeProcess, booted_workers

REDIS_URL = os.environ.get("PAYGROUND_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# A 10-second window: the whole burst fits in one window (checked, see burst()).
WINDOW = 10
BURST = 40


@pytest.fixture
def redis_client():
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}); start one to run this")
    yield client
    client.close()


@pytest.fixture
def own_keys(redis_client):
    """Account ids whose counters this test made; only those keys are deleted afterwards."""
    accounts: list[str] = []
    yield accounts
    for account in accounts:
        for key in redis_client.scan_iter(match=f"payground:acct:{account}:*"):
            redis_client.delete(key)


def burst(url: str, secret: str) -> tuple[list[requests.Response], float, float]:
    """BURST requests at once, each on a new connection (so both workers serve them)."""
    start = threading.Barrier(BURST)

    def call(_):
        start.wait()
        with requests.Session() as session:
            return session.get(f"{url}/v1/customers", timeout=30,
                               headers={"Authorization": f"Bearer {secret}",
                                        "Connection": "close"})

    with ThreadPoolExecutor(BURST) as pool:
        began = time.time()
        responses = list(pool.map(call, range(BURST)))
        ended = time.time()
    return responses, began, ended


@pytest.mark.parametrize("server", ["gunicorn", "granian"])
def test_two_workers_sharing_redis_let_exactly_25_through(tmp_path, redis_client, own_keys,
                                                          server):
    process = ServeProcess(tmp_path / "home", "--server", server, "--workers", "2", env={
        "PAYGROUND_REDIS_URL": REDIS_URL, "PAYGROUND_RATE_LIMITS": f"test=25/{WINDOW}s,live=100"})
    try:
        for attempt in range(2):
            body = process.signup(f"burst{attempt}-{os.getpid()}@{DOMAIN}")
            own_keys.append(body["account"]["id"])
            responses, began, ended = burst(process.url, body["keys"]["secret"])
            # Windows are aligned to the clock (now // 10). A burst that crossed a boundary
            # is counted in two windows; the retry, with a fresh account (its own budget),
            # starts just after that boundary, so it fits in one.
            if int(began) // WINDOW == int(ended) // WINDOW:
                break
        else:
            pytest.fail("two bursts in a row crossed a window boundary")
    finally:
        out, err = process.stop()

    assert len(set(booted_workers(err))) == 2, err
    ok = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 429]
    assert (len(ok), len(refused)) == (25, 15), [r.status_code for r in responses]
    # Every request was counted once, atomically: the 25 that passed saw 24 .. 0 left.
    assert sorted(_remaining(r) for r in ok) == list(range(25))
    reset = int(began) // WINDOW * WINDOW + WINDOW - int(began)
    for r in ok + refused:
        assert r.headers["RateLimit-Policy"] == f'"account";q=25;w={WINDOW}'
    for r in refused:
        assert r.json()["error"]["code"] == "rate_limit"
        assert r.json()["error"]["type"] == "invalid_request_error"
        assert r.headers["Stripe-Rate-Limited-Reason"] == "global-rate"
        assert r.headers["RateLimit"] == f'"account";r=0;t={r.headers["Retry-After"]}'
        assert 1 <= int(r.headers["Retry-After"]) <= reset
    keys = list(redis_client.scan_iter(match=f"payground:acct:{own_keys[-1]}:test:*"))
    assert [int(redis_client.get(key)) for key in keys] == [BURST]


def _remaining(response: requests.Response) -> int:
    policy, _, params = response.headers["RateLimit"].partition(";")
    assert policy == '"account"'
    return int(dict(p.split("=") for p in params.split(";"))["r"])


def _serve_refused(tmp_path, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PAYGROUND_")}
    return subprocess.run(
        [sys.executable, "-m", "payground", "--home", str(tmp_path / "home"), "serve",
         "--workers", "2", "--port", "0"],
        env={**clean, **env}, capture_output=True, text=True, timeout=120)


def test_several_workers_without_redis_refuse_to_start(tmp_path):
    result = _serve_refused(tmp_path, {})

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: --workers 2 needs PAYGROUND_REDIS_URL: without it each worker would count "
        "rate limits on its own, and they would not be exact. Set "
        "PAYGROUND_REDIS_URL=redis://..., serve one worker (more --threads), or turn rate "
        "limits off with PAYGROUND_RATE_LIMITS=off.\n")


def test_unreachable_redis_refuses_to_start(tmp_path):
    result = _serve_refused(tmp_path, {"PAYGROUND_REDIS_URL": "redis://:pw@127.0.0.1:1/3"})

    assert result.returncode == 1
    assert result.stderr == ("Error: cannot reach Redis at PAYGROUND_REDIS_URL "
                             "(redis://127.0.0.1:1/3) to count rate limits and failed log-ins "
                             "(Error 111 connecting to 127.0.0.1:1. Connection refused.); "
                             "is it running?\n")


def test_a_redis_that_refuses_says_why(tmp_path):
    """Reached, but no database 99 (Redis has 16 unless told otherwise): "is it running?"
    sent the operator looking in the wrong place."""
    result = _serve_refused(tmp_path, {"PAYGROUND_REDIS_URL": "redis://127.0.0.1:6379/99"})

    assert result.returncode == 1
    assert result.stderr == ("Error: Redis at PAYGROUND_REDIS_URL (redis://127.0.0.1:6379/99) "
                             "refused to count rate limits and failed log-ins: DB index is out "
                             "of range\n")


def test_unreachable_redis_refuses_to_start_with_rate_limits_off_too(tmp_path):
    """Redis also counts failed log-ins, which stay on when rate limits are off."""
    result = _serve_refused(tmp_path, {"PAYGROUND_REDIS_URL": "redis://127.0.0.1:1/3",
                                       "PAYGROUND_RATE_LIMITS": "off"})
    assert result.returncode == 1
    assert result.stderr.startswith("Error: cannot reach Redis at PAYGROUND_REDIS_URL")


def test_several_workers_without_redis_warn_that_log_ins_are_counted_apart(serve):
    process = serve("--workers", "2", env={"PAYGROUND_RATE_LIMITS": "off"})
    process.signup(f"w-{os.getpid()}@example.com")
    _, err = process.stop()
    assert ("Warning: without PAYGROUND_REDIS_URL each of the 2 workers counts failed log-ins "
            "on its own: an address gets up to 2 times PAYGROUND_LOGIN_FAILURE_LIMIT (5/1m), "
            "and an email up to 2 times PAYGROUND_LOGIN_EMAIL_FAILURE_LIMIT (10/10m).\n") in err


@pytest.mark.parametrize("settings", [{"RATE_LIMITS": "test=2,live=100",
                                       "REDIS_URL": "redis://127.0.0.1:1/3",
                                       "LOGIN_FAILURE_LIMIT": "5/1m"}])
def test_a_redis_that_goes_away_lets_requests_through_uncounted(app_config, settings, wall,
                                                                caplog):
    """A whole room's API answering 500 would be worse than rate limits off for a while."""
    import logging

    from payground import create_app
    from payground.app import dispose_app

    app = create_app({**app_config, **settings})
    try:
        client = app.test_client()
        email = f"r-{os.getpid()}@example.com"
        body = client.post("/sandbox/signup", json={"email": email,
                                                    "password": "correct horse battery"})
        auth = {"Authorization": f"Bearer {body.get_json()['keys']['secret']}"}
        caplog.set_level(logging.WARNING, logger="payground")
        responses = [client.get("/v1/customers", headers=auth) for _ in range(4)]
        assert [r.status_code for r in responses] == [200] * 4  # a budget of 2 not applied
        # Uncounted, so no RateLimit headers: a full budget shown would be a lie.
        assert [sorted(h for h in r.headers.keys() if h.startswith("RateLimit"))
                for r in responses] == [[]] * 4
        assert client.post("/sandbox/login", json={"email": email,
                                                   "password": "correct horse battery"}
                           ).status_code == 200
    finally:
        dispose_app(app)  # its database connections closed now, not by the collector
    warnings = [r.getMessage() for r in caplog.records if "rate-limit store" in r.getMessage()]
    assert warnings == ["rate-limit store failed (ConnectionError: Error 111 connecting to "
                        "127.0.0.1:1. Connection refused.); requests are let through "
                        "uncounted, without RateLimit headers, until it answers again"
                        ]  # once, not per request


def test_a_redis_that_refuses_while_serving_is_logged_with_its_reason(app_config, wall,
                                                                      caplog, redis_client):
    """Reached but refusing (no database 99: a Redis restarted with fewer databases, say):
    the log said "unreachable", which sent the operator looking at the network."""
    import logging

    from payground import create_app
    from payground.app import dispose_app

    # The test Redis (reached: redis_client), at a database index it does not have.
    app = create_app({**app_config, "RATE_LIMITS": "test=2,live=100",
                      "REDIS_URL": REDIS_URL.rsplit("/", 1)[0] + "/99"})
    try:
        client = app.test_client()
        body = client.post("/sandbox/signup", json={"email": f"db99-{os.getpid()}@{DOMAIN}",
                                                    "password": "correct horse battery"})
        auth = {"Authorization": f"Bearer {body.get_json()['keys']['secret']}"}
        caplog.set_level(logging.WARNING, logger="payground")
        responses = [client.get("/v1/customers", headers=auth) for _ in range(3)]
    finally:
        dispose_app(app)
    assert [(r.status_code, r.headers.get("RateLimit")) for r in responses] == [(200, None)] * 3
    warnings = [r.getMessage() for r in caplog.records if "rate-limit store" in r.getMessage()]
    assert warnings == ["rate-limit store failed (ResponseError: DB index is out of range); "
                        "requests are let through uncounted, without RateLimit headers, until "
                        "it answers again"]


class RedisProxy:
    """A TCP proxy in front of the test Redis, to cut it off as a Redis that stops would be
    (the shared Redis itself stays up for every other test).

    ``down()`` closes the listening socket and every connection through it: the client's next
    use is refused, as a stopped server's is. ``up()`` listens on the same port again.
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._sockets: list = []
        self._lock = threading.Lock()
        self.up()

    def up(self) -> None:
        import socket

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        import socket

        # shutdown() first: close() alone leaves the port listening while accept() waits.
        self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the other end closed it first
            sock.close()

    def _accept(self, listener) -> None:
        import socket

        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed by down()
                return
            server = socket.create_connection(self.upstream, timeout=5)
            with self._lock:
                self._sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass  # down() closed one of them
        finally:
            sink.close()


@pytest.fixture
def redis_proxy(redis_client):
    from urllib.parse import urlsplit

    parts = urlsplit(REDIS_URL)
    proxy = RedisProxy((parts.hostname, parts.port or 6379))
    yield proxy
    proxy.down()


def test_a_redis_that_comes_back_is_logged_once(app_config, wall, caplog, redis_proxy,
                                                own_keys):
    """The log said when the store failed, and then nothing: the operator could not tell
    whether counting had resumed. Each worker says so once, at the first answer."""
    import logging
    from urllib.parse import urlsplit

    from payground import create_app
    from payground.app import dispose_app

    parts = urlsplit(REDIS_URL)
    proxied = parts._replace(netloc=parts.netloc.replace(
        f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname,
        f"127.0.0.1:{redis_proxy.port}")).geturl()
    app = create_app({**app_config, "RATE_LIMITS": "test=100,live=100", "REDIS_URL": proxied})
    try:
        client = app.test_client()
        body = client.post("/sandbox/signup", json={"email": f"back-{os.getpid()}@{DOMAIN}",
                                                    "password": "correct horse battery"})
        own_keys.append(body.get_json()["account"]["id"])
        auth = {"Authorization": f"Bearer {body.get_json()['keys']['secret']}"}
        caplog.set_level(logging.INFO, logger="payground")

        def remaining() -> list[str | None]:
            """What two requests' RateLimit headers say (None: uncounted)."""
            return [client.get("/v1/customers", headers=auth).headers.get("RateLimit")
                    for _ in range(2)]

        assert remaining() == ['"account";r=99;t=1', '"account";r=98;t=1']
        redis_proxy.down()
        assert remaining() == [None, None]
        redis_proxy.up()
        assert remaining() == ['"account";r=97;t=1', '"account";r=96;t=1']
        # Down and up again within the 30 seconds of the last warning: silent, not a flood.
        redis_proxy.down()
        assert remaining() == [None, None]
        redis_proxy.up()
        assert remaining() == ['"account";r=95;t=1', '"account";r=94;t=1']
        # 30 seconds on (a new window, a full budget): the next outage has its two lines.
        wall[0] += 30
        redis_proxy.down()
        assert remaining() == [None, None]
        redis_proxy.up()
        assert remaining() == ['"account";r=99;t=1', '"account";r=98;t=1']
        records = [r for r in caplog.records if "rate-limit store" in r.getMessage()]
        failed = ("rate-limit store failed (ConnectionError: Error 111 connecting to "
                  f"127.0.0.1:{redis_proxy.port}. Connection refused.); requests are let "
                  "through uncounted, without RateLimit headers, until it answers again")
        back = "rate-limit store answers again; requests are counted, with RateLimit headers, again"
        assert [(r.levelname, r.getMessage()) for r in records] == [
            ("WARNING", failed), ("WARNING", back)] * 2
    finally:
        dispose_app(app)
