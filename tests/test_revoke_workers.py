"""A revoked key fails on the very next request, whichever worker serves it (issue 3).

Nothing caches keys in a worker: every request reads the key's row, so a revoke committed
through one worker is seen by the other at once. Two workers of gunicorn and of granian, rate
limits off (so no shared store is needed), requests on new connections so both take some.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from payground.core import keys
from tests.test_cli import DOMAIN, ServeProcess, booted_workers

ROUNDS = 24


def calls(url: str, secret: str) -> list[requests.Response]:
    def call(_):
        return requests.get(f"{url}/v1/customers", timeout=30,
                            headers={"Authorization": f"Bearer {secret}",
                                     "Connection": "close"})

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(call, range(ROUNDS)))


@pytest.mark.parametrize("server", ["gunicorn", "granian"])
def test_revoked_key_fails_on_every_worker(tmp_path, server):
    process = ServeProcess(tmp_path / "home", "--server", server, "--workers", "2",
                           env={"PAYGROUND_RATE_LIMITS": "off"})
    try:
        body = process.signup(f"revoke-{os.getpid()}@{DOMAIN}")
        secret = body["keys"]["secret"]
        session = {"Authorization": f"Bearer {body['session']}"}
        before = calls(process.url, secret)  # every worker has now served this key
        key_id = next(k["id"] for k in body["api_keys"] if k["type"] == "secret")
        revoked = requests.post(f"{process.url}/sandbox/keys/{key_id}/revoke",
                                headers=session, timeout=30)
        after = calls(process.url, secret)
    finally:
        out, err = process.stop()

    assert len(booted_workers(err)) == 2, err
    assert [r.status_code for r in before] == [200] * ROUNDS
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert [r.status_code for r in after] == [401] * ROUNDS
    for r in after:
        assert r.json()["error"] == {
            "type": "invalid_request_error", "code": "api_key_expired",
            "message": f"Expired API Key provided: {keys.mask(secret)}",
            "doc_url": "https://stripe.com/docs/error-codes/api-key-expired",
            "request_log_url": r.json()["error"]["request_log_url"]}
    assert secret not in out + err
