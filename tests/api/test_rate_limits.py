"""Rate limits (SPEC §7): per account and mode, and failed authentications per client address.

Time never passes by itself here: the app's clock reads ``wall``, set to the start of an
hour, so every request of a test falls in one window until the test moves ``wall``.
"""

import threading
import time

import pytest
from sqlalchemy import event, select

from payground import messages
from payground.config import Rate
from payground.core import keys
from tests.helpers import assert_error
from tests.oauth_flow import business, platform  # noqa: F401 (fixtures)


@pytest.fixture
def wall() -> list[float]:
    # The start of an hour: aligned with every window used here (1 s, 60 s), so each reset
    # is exact (a whole window).
    return [float(int(time.time()) // 3600 * 3600)]


@pytest.fixture
def app_config(app_config, wall, request):
    return {**app_config, "RATE_LIMITS": getattr(request, "param", "test=25,live=100")}


def account_headers(*, q: int, r: int, t: int, w: int = 1) -> dict[str, str]:
    return {"RateLimit-Policy": f'"account";q={q};w={w}', "RateLimit": f'"account";r={r};t={t}'}


def rate_headers(response) -> dict[str, str]:
    names = ("RateLimit-Policy", "RateLimit", "Retry-After", "Stripe-Rate-Limited-Reason")
    return {name: response.headers[name] for name in names if name in response.headers}


def assert_rate_limited(response, **headers):
    assert_error(response, 429, code="rate_limit", message=messages.RATE_LIMITED)
    assert rate_headers(response) == headers


def assert_address_throttled(response, *, r: int = 0, t: int = 60) -> None:
    """The failed-authentication throttle's 429 (budget 10 a minute): it says why, since the
    caller may have sent one request with a good key."""
    assert_error(response, 429, code="rate_limit", message=(
        "Too many failed authentications from your address (10 in 1 min): every request "
        f"from it is refused for {t} more seconds, even with a valid key. Learn more about "
        "rate limits here https://stripe.com/docs/rate-limits."))
    assert rate_headers(response) == auth_failure_headers(r=r, t=t)


def test_26th_request_in_a_second_is_refused_with_every_header(account, wall):
    for i in range(25):
        r = account.get("/v1/customers")
        assert r.status_code == 200, r.get_json()
        assert rate_headers(r) == account_headers(q=25, r=24 - i, t=1)

    r = account.get("/v1/customers")

    assert_rate_limited(r, **account_headers(q=25, r=0, t=1), **{
        "Retry-After": "1", "Stripe-Rate-Limited-Reason": "global-rate"})
    assert r.headers["Request-Id"].startswith("req_")
    # Logged in the account, like every counted request: the link names its entry.
    assert r.get_json()["error"]["request_log_url"].endswith(r.headers["Request-Id"])
    wall[0] += 1  # the next window: a full budget again
    r = account.get("/v1/customers")
    assert r.status_code == 200
    assert rate_headers(r) == account_headers(q=25, r=24, t=1)


def test_writes_and_refused_requests_count_too(account):
    for _ in range(20):
        assert account.post("/v1/customers", {"email": "a@example.com"}).status_code == 200
    for _ in range(5):
        assert account.get("/v1/customers/cus_missing").status_code == 404
    r = account.post("/v1/customers", {"email": "b@example.com"},
                     headers={"Idempotency-Key": "one"})
    assert r.status_code == 429
    assert account.get("/v1/customers", query_string={"limit": 100}).status_code == 429


def test_idempotency_key_is_not_claimed_by_a_refused_request(account, wall):
    for _ in range(25):
        account.get("/v1/customers")
    refused = account.post("/v1/customers", {"email": "a@example.com"},
                           headers={"Idempotency-Key": "retry-me"})
    assert refused.status_code == 429
    wall[0] += 1
    retried = account.post("/v1/customers", {"email": "a@example.com"},
                           headers={"Idempotency-Key": "retry-me"})
    assert retried.status_code == 200
    assert "Idempotent-Replayed" not in retried.headers


def test_live_mode_has_its_own_budget(account):
    live = account.activate()
    for _ in range(25):
        assert account.get("/v1/customers").status_code == 200
    assert account.get("/v1/customers").status_code == 429

    for i in range(100):
        r = account.get("/v1/customers", key=live)
        assert r.status_code == 200, (i, r.get_json())
    assert rate_headers(r) == account_headers(q=100, r=0, t=1)
    r = account.get("/v1/customers", key=live)
    assert_rate_limited(r, **account_headers(q=100, r=0, t=1), **{
        "Retry-After": "1", "Stripe-Rate-Limited-Reason": "global-rate"})


def test_another_account_is_not_affected(make_account):
    busy, other = make_account(), make_account()
    for _ in range(26):
        busy.get("/v1/customers")
    assert busy.get("/v1/customers").status_code == 429

    r = other.get("/v1/customers")

    assert r.status_code == 200
    assert rate_headers(r) == account_headers(q=25, r=24, t=1)


def test_keys_of_one_account_share_its_budget(account):
    for _ in range(25):
        assert account.get("/v1/customers").status_code == 200
    r = account.post("/v1/tokens", {"card[number]": "4242424242424242"},
                     key=account.publishable_key)
    assert r.status_code == 429


@pytest.mark.parametrize("app_config", ["test=3/10s,live=5/1m"], indirect=True)
def test_window_comes_from_the_setting(account, wall):
    for remaining in (2, 1, 0):
        assert rate_headers(account.get("/v1/customers")) == account_headers(
            q=3, r=remaining, t=10, w=10)
    wall[0] += 4
    assert_rate_limited(account.get("/v1/customers"), **account_headers(q=3, r=0, t=6, w=10),
                        **{"Retry-After": "6", "Stripe-Rate-Limited-Reason": "global-rate"})
    wall[0] += 6
    assert account.get("/v1/customers").status_code == 200


@pytest.mark.parametrize("app_config", ["off"], indirect=True)
def test_off_never_refuses_and_sends_no_headers(account, client):
    bad = {"Authorization": f"Bearer {keys.generate('secret', False)}"}
    for _ in range(40):
        r = account.get("/v1/customers")
        assert r.status_code == 200
        assert rate_headers(r) == {}
    for _ in range(20):  # no failed-authentication throttle either
        assert client.get("/v1/customers", headers=bad).status_code == 401


def test_unauthenticated_requests_carry_no_account_headers(client):
    r = client.get("/v1/customers")
    assert r.status_code == 401
    assert rate_headers(r) == {}


def test_in_memory_counts_are_exact_across_threads():
    from payground.core.clock import Clock
    from payground.http.ratelimit import RateLimiter

    limiter = RateLimiter({False: Rate(25), True: Rate(100)}, None,
                          clock=Clock(wall=lambda: 1_000_000.0))
    results: list[bool] = []
    start = threading.Barrier(40)

    def hit():
        start.wait()
        results.append(limiter.hit_account("acct_x", False).allowed)

    threads = [threading.Thread(target=hit) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False] * 15 + [True] * 25


class CountingLock:
    """A lock that counts how often it is taken."""

    def __init__(self):
        self._lock = threading.Lock()
        self.taken = 0

    def __enter__(self):
        self._lock.acquire()
        self.taken += 1
        return self

    def __exit__(self, *exc):
        self._lock.release()


def test_a_healthy_store_costs_a_request_no_lock_for_the_outage_log(app, account, caplog):
    """The log line for a store that answers again is checked at every store call: while the
    store is well that must be a plain read, never a lock every request of a worker waits
    on. Only a logged failure, and the first answer after it, take the reporting lock."""
    import logging

    from limits.errors import StorageError

    limiter = app.extensions["payground"].rate_limiter
    lock = limiter._report_lock = CountingLock()
    for _ in range(5):
        assert account.get("/v1/customers").headers["RateLimit"].startswith('"account";')
    assert lock.taken == 0
    storage, real_incr = limiter.storage(), limiter.storage().incr

    def refused(*args, **kwargs):
        raise StorageError(ConnectionError("refused"))

    caplog.set_level(logging.WARNING, logger="payground")
    storage.incr = refused
    try:
        r = account.get("/v1/customers")
    finally:
        storage.incr = real_incr
    assert (r.status_code, r.headers.get("RateLimit")) == (200, None)
    assert lock.taken == 1  # the failure's line
    for _ in range(3):
        assert account.get("/v1/customers").headers["RateLimit"].startswith('"account";')
    assert lock.taken == 2  # the first answer's line, then plain reads again
    assert [r.getMessage() for r in caplog.records if "rate-limit store" in r.getMessage()] == [
        "rate-limit store failed (ConnectionError: refused); requests are let through "
        "uncounted, without RateLimit headers, until it answers again",
        "rate-limit store answers again; requests are counted, with RateLimit headers, again"]


# -- failed authentications, per client address ---------------------------------------------


def auth_failure_headers(*, r: int = 0, t: int = 60) -> dict[str, str]:
    return {"RateLimit-Policy": '"auth-failures";q=10;w=60',
            "RateLimit": f'"auth-failures";r={r};t={t}',
            "Retry-After": str(t), "Stripe-Rate-Limited-Reason": "auth-failures"}


def fail_auth(client, times: int, **kwargs) -> None:
    for _ in range(times):
        r = client.get("/v1/customers", headers={
            "Authorization": f"Bearer {keys.generate('secret', False)}"}, **kwargs)
        assert r.status_code == 401


class Statements:
    """The SQL the app runs while the block runs."""

    def __init__(self, app):
        from payground.extensions import db

        with app.app_context():
            self.engine = db.engine
        self.seen: list[str] = []

    def _listen(self, *args):
        self.seen.append(args[2])

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._listen)
        return self.seen

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._listen)


def audit_events(app, responses) -> list:
    """The auth.throttled events of these responses' requests (on PostgreSQL the database is
    shared with other tests, whose events are left out)."""
    from payground.extensions import db
    from payground.models.audit import AuditEvent

    request_ids = [r.headers["Request-Id"] for r in responses]
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(
            AuditEvent.type == "auth.throttled", AuditEvent.request_id.in_(request_ids))
            .order_by(AuditEvent.id)).all()


def test_failed_authentications_throttle_the_address_before_any_database_read(
        app, client, account, wall):
    fail_auth(client, 10)
    wall[0] += 15

    with Statements(app) as first:
        # Even with a valid key: the address is refused before the key is looked at.
        r = account.get("/v1/customers")
    with Statements(app) as second:
        again = account.get("/v1/customers")

    assert_address_throttled(r, t=45)
    assert_address_throttled(again, t=45)
    # Never written to the request log: no request_log_url naming an entry that won't exist.
    assert "request_log_url" not in r.get_json()["error"]
    # The first refusal writes its audit event (one INSERT); nothing is ever read.
    assert [s.split(" (")[0] for s in first if s != "BEGIN"] == ["INSERT INTO audit_events"]
    assert [s for s in second if s != "BEGIN"] == []


def test_throttle_is_per_address_and_ends_with_the_window(client, account, wall):
    fail_auth(client, 9)
    assert account.get("/v1/customers").status_code == 200  # a success counts nothing
    fail_auth(client, 1)
    assert account.get("/v1/customers").status_code == 429

    other = account.get("/v1/customers", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 200
    assert rate_headers(other) == account_headers(q=25, r=23, t=1)

    wall[0] += 60
    assert account.get("/v1/customers").status_code == 200


def test_expired_and_missing_keys_count_as_failures(client, account):
    fail_auth(client, 5)
    for _ in range(5):
        assert client.get("/v1/customers").status_code == 401
    assert_address_throttled(client.get("/v1/customers"))


def test_first_throttle_in_a_window_is_audited_once(app, client, wall):
    fail_auth(client, 10)
    refused = [client.get("/v1/customers") for _ in range(3)]
    fail_auth(client, 10, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    refused.append(client.get("/v1/customers", environ_base={"REMOTE_ADDR": "10.0.0.9"}))
    assert [r.status_code for r in refused] == [429] * 4

    events = audit_events(app, refused)

    assert [(e.client_ip, e.account_id, e.key_id, e.created) for e in events] == [
        ("127.0.0.1", None, None, int(wall[0])), ("10.0.0.9", None, None, int(wall[0]))]
    assert events[0].data == {"limit": 10, "window": 60, "retry_after": 60}
    assert events[0].request_id.startswith("req_")

    wall[0] += 60  # a new window: a new first refusal, a new event
    fail_auth(client, 10)
    refused.append(client.get("/v1/customers"))
    assert refused[-1].status_code == 429
    assert len(audit_events(app, refused)) == 3


def test_failures_sent_at_once_get_exactly_the_budget_of_401s(app, client, monkeypatch):
    """All twenty pass the throttle's check before any of them is counted (each waits in
    the key lookup for the others): the count decides, and only ten get a 401."""
    def call():
        key = keys.generate("secret", False)
        response = client.get("/v1/customers", headers={"Authorization": f"Bearer {key}"})
        response.sent_key = key
        return response

    responses = looked_up_together(monkeypatch, call, 20)

    assert sorted(r.status_code for r in responses) == [401] * 10 + [429] * 10
    for r in responses:
        if r.status_code == 429:
            assert_address_throttled(r)
            assert "request_log_url" not in r.get_json()["error"]
        else:
            assert_error(r, 401, message=messages.INVALID_API_KEY.format(
                masked=keys.mask(r.sent_key)))
    assert len(audit_events(app, responses)) == 1  # the window's first refusal, once
    assert_address_throttled(client.get("/v1/customers"))


def looked_up_together(monkeypatch, call, count: int) -> list:
    """Run ``call`` in ``count`` threads whose key lookups wait for one another: all of
    them pass the throttle's check before any failure is counted."""
    from payground.services import keys as key_service

    lookup = key_service.authenticate
    together = threading.Barrier(count, timeout=30)

    def slow_lookup(*args, **kwargs):
        together.wait()
        return lookup(*args, **kwargs)

    monkeypatch.setattr(key_service, "authenticate", slow_lookup)
    responses: list = []
    threads = [threading.Thread(target=lambda: responses.append(call())) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    monkeypatch.undo()
    return responses


def test_a_revoked_key_refused_over_the_budget_is_logged_where_its_audit_event_points(
        client, account, monkeypatch):
    """A revoked key's uses sent at once: the two over the budget get the throttle's 429
    after their lookup, and each is audited (api_key.revoked_used) naming its request. That
    request is in the owner's log, as its 401 would have been, not a link to nothing."""
    account.revoke(account.secret_key)
    responses = looked_up_together(
        monkeypatch, lambda: client.get("/v1/customers", headers=account.auth()), 12)

    assert sorted(r.status_code for r in responses) == [401] * 10 + [429] * 2
    audited = client.get("/sandbox/audit", query_string={"limit": 100},
                         headers=account.session_auth).get_json()["data"]
    assert sorted(e["request_id"] for e in audited if e["type"] == "api_key.revoked_used") \
        == sorted(r.headers["Request-Id"] for r in responses)
    for r in responses:
        if r.status_code == 429:
            error = assert_error(r, 429, code="rate_limit", message=(
                messages.AUTH_FAILURES_THROTTLED.format(limit=10, window="1 min", wait=60)))
            assert error["request_log_url"].endswith(f"/dashboard/requests/"
                                                     f"{r.headers['Request-Id']}")
        logged = client.get(f"/sandbox/requests/{r.headers['Request-Id']}",
                            headers=account.session_auth)
        assert logged.status_code == 200, logged.get_json()
        assert logged.get_json()["status"] == r.status_code


@pytest.mark.parametrize("app_config", ["test=25,live=100"], indirect=True)
def test_auth_failure_limit_is_configurable(app_config, wall):
    from payground import create_app
    from payground.app import dispose_app

    app = create_app({**app_config, "AUTH_FAILURE_LIMIT": "2/10s"})
    try:
        client = app.test_client()
        fail_auth(client, 2)
        r = client.get("/v1/customers")
        assert_error(r, 429, code="rate_limit", message=messages.AUTH_FAILURES_THROTTLED.format(
            limit=2, window="10 s", wait=10))
        assert r.headers["RateLimit-Policy"] == '"auth-failures";q=2;w=10'
        off = create_app({**app_config, "AUTH_FAILURE_LIMIT": "off",
                          "HOME": app_config["HOME"] + "-off"})
        fail_auth(off.test_client(), 20)
        dispose_app(off)
    finally:
        dispose_app(app)


# -- turning rate limits on for one test (the pytest plugin) ---------------------------------


def test_payground_make_server_turns_rate_limits_on_for_one_test(pytester):
    pytester.makepyfile(
        """
        import time

        from payground.core.clock import Clock

        def test_client_sees_429(payground_make_server, payground_server):
            start_of_hour = time.time() // 3600 * 3600  # all three in one window
            server = payground_make_server({"RATE_LIMITS": "test=2/1m",
                                            "CLOCK": Clock(wall=lambda: start_of_hour)})
            assert server.url != payground_server.url
            account = server.signup()
            responses = [account.request("GET", "/v1/customers") for _ in range(3)]
            assert [r.status_code for r in responses] == [200, 200, 429]
            assert responses[2].headers["Stripe-Rate-Limited-Reason"] == "global-rate"
            assert responses[2].headers["RateLimit-Policy"] == '"account";q=2;w=60'

        def test_the_shared_server_keeps_them_off(payground_account):
            statuses = {payground_account.request("GET", "/v1/customers").status_code
                        for _ in range(30)}
            assert statuses == {200}
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:faker",
                                           "-p", "no:hypothesispytest", timeout=120)
    result.assert_outcomes(passed=2)


def test_requests_refused_after_authentication_count_too(account, client):
    narrow = client.post("/sandbox/keys", headers=account.session_auth, json={
        "type": "restricted", "permissions": ["customer_read"]}).get_json()["secret"]
    statuses = [account.get(path, key=key).status_code for path, key in (
        [("/v1/charges", narrow)] * 10 + [("/v1/nowhere", None)] * 10
        + [("/v1/customers", account.publishable_key)] * 5)]
    assert statuses == [403] * 10 + [404] * 10 + [401] * 5
    assert_rate_limited(account.get("/v1/customers"), **account_headers(q=25, r=0, t=1), **{
        "Retry-After": "1", "Stripe-Rate-Limited-Reason": "global-rate"})


def test_a_platforms_429_on_a_connected_account_has_no_link_it_cannot_open(
        app, platform, business, client, wall):
    """A platform acting on a connected account is counted in that account's budget and
    logged in its request log, which the platform cannot open: its errors (the 429 as any
    other) carry no ``request_log_url``; the account's own errors still link to its log."""
    from tests.api.test_connect_webhooks import connect
    from tests.oauth_flow import register_application

    tokens = connect(app, platform, business, register_application(platform))
    acting = {"Stripe-Account": business.account_id}
    for _ in range(25):
        assert platform.get("/v1/customers", headers=acting).status_code == 200
    refused = [platform.get("/v1/customers", headers=acting),
               platform.get("/v1/customers", key=tokens["access_token"])]
    for r in refused:
        error = assert_error(r, 429, code="rate_limit", message=messages.RATE_LIMITED)
        assert "request_log_url" not in error, error
        # Logged where the account sees it, naming the platform; not in the platform's log.
        seen = client.get(f"/sandbox/requests/{r.headers['Request-Id']}",
                          headers=business.session_auth)
        assert (seen.status_code, seen.get_json()["platform"]) == (200, platform.account_id)
        assert client.get(f"/sandbox/requests/{r.headers['Request-Id']}",
                          headers=platform.session_auth).status_code == 404
    wall[0] += 1
    missing = platform.get("/v1/customers/cus_nope", headers=acting)
    error = assert_error(missing, 404, code="resource_missing", param="id",
                         message="No such customer: 'cus_nope'")
    assert "request_log_url" not in error, error
    own = business.get("/v1/customers/cus_nope")
    assert own.get_json()["error"]["request_log_url"].endswith(
        f"/dashboard/requests/{own.headers['Request-Id']}")


def test_either_connect_header_counts_in_the_connected_accounts_one_budget(
        app, platform, business, wall):
    """``Stripe-Account`` and ``Stripe-Context`` are one request: 25 a second between them,
    on the connected account's budget; the platform's own is untouched."""
    from tests.api.test_connect_webhooks import connect
    from tests.oauth_flow import register_application

    connect(app, platform, business, register_application(platform))
    headers = ("Stripe-Account", "Stripe-Context")
    for i in range(25):
        r = platform.get("/v1/customers", headers={headers[i % 2]: business.account_id})
        assert rate_headers(r) == account_headers(q=25, r=24 - i, t=1), r.get_json()
    for header in headers:
        assert_rate_limited(platform.get("/v1/customers", headers={header: business.account_id}),
                            **account_headers(q=25, r=0, t=1), **{
                                "Retry-After": "1", "Stripe-Rate-Limited-Reason": "global-rate"})
    assert_rate_limited(business.get("/v1/customers"), **account_headers(q=25, r=0, t=1), **{
        "Retry-After": "1", "Stripe-Rate-Limited-Reason": "global-rate"})
    own = platform.get("/v1/customers")
    assert (own.status_code, rate_headers(own)) == (200, account_headers(q=25, r=24, t=1))
