"""Approving, exchanging and refreshing at once, against a served app (werkzeug's threads,
each request its own session): a narrowing approval racing an exchange of a read_write code
or a refresh of a read_write refresh token never leaves a working read_write token, and
nothing deadlocks or fails with a 500. Run on SQLite (writers serialise) and on PostgreSQL
(row locks) by setting PAYGROUND_TEST_DATABASE_URL."""

from __future__ import annotations

import threading

import pytest
import requests

from payground.testing import Server
from payground.testing import oauth as flow
from tests.conftest import PG_URL, fresh_pg_schema


@pytest.fixture
def server():
    if PG_URL:
        with fresh_pg_schema("oauthrace") as url, Server({"DATABASE_URL": url}) as served:
            yield served
    else:
        with Server() as served:
            yield served


def race(*jobs):
    """Run the callables at once (released by a barrier); their results, in order."""
    barrier, results = threading.Barrier(len(jobs)), [None] * len(jobs)

    def run(index, job):
        barrier.wait()
        results[index] = job()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def consent(server, account, application, scope):
    """The consent page's form, read (not sent): pressing Connect is the raced request."""
    from urllib.parse import urlencode

    query = urlencode({"response_type": "code", "client_id": application["client_id"],
                       "scope": scope})
    cookie = {"Cookie": f"payground_session={account.session}"}
    page = requests.get(server.url_for(f"{flow.CONSENT_PATH}?{query}"), headers=cookie,
                        timeout=30)
    assert page.status_code == 200, page.text
    form = {**flow.hidden_fields(page.text), "decision": "approve"}
    return lambda: requests.post(server.url_for(flow.CONSENT_PATH), data=form, headers=cookie,
                                 allow_redirects=False, timeout=30)


def token_call(server, platform, **data):
    return lambda: requests.post(server.url_for("/oauth/token"), data=data, timeout=30,
                                 headers={"Authorization": f"Bearer {platform.secret_key}"})


def works(server, token):
    return requests.get(server.url_for("/v1/customers"), timeout=30,
                        headers={"Authorization": f"Bearer {token}"}).status_code


@pytest.mark.parametrize("round_", range(6))
def test_a_narrowing_approval_racing_an_exchange_and_a_refresh(server, round_):
    platform, business = server.signup(), server.signup()
    application = platform.connect_application()
    first = business.connect(platform)  # read_write: an sk_ token and a refresh token
    pending = flow.query_of(flow.approve(server, business.session, "response_type=code&"
                                         f"client_id={application['client_id']}"
                                         "&scope=read_write"))["code"]
    narrow = consent(server, business, application, "read_only")

    approved, exchanged, refreshed = race(
        narrow, token_call(server, platform, grant_type="authorization_code", code=pending),
        token_call(server, platform, grant_type="refresh_token",
                   refresh_token=first["refresh_token"]))

    server.check_errors()
    assert approved.status_code == 302, approved.text
    assert exchanged.status_code in (200, 400), exchanged.text
    assert refreshed.status_code in (200, 400), refreshed.text
    made = [r.json()["access_token"] for r in (exchanged, refreshed) if r.status_code == 200]
    # Whatever came first, no read_write token works once the narrowing is committed.
    assert [works(server, t) for t in [first["access_token"], *made]] == [401] * (1 + len(made))
    code = flow.query_of(approved.headers["Location"])["code"]
    now = flow.exchange(server, platform.secret_key, code)
    assert now["scope"] == "read_only" and works(server, now["access_token"]) == 200
