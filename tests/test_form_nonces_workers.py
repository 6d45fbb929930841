"""A dashboard form sent many times at once, to two workers, acts once.

The form's one-time nonce is spent in the database, in the transaction that creates the key:
whichever worker answers a sending, only the first creates anything and the others are
answered 409. Gunicorn with two workers, rate limits off, each sending on a new connection.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
import requests

from tests.conftest import PG_URL, fresh_pg_schema
from tests.test_cli import DOMAIN, ServeProcess, booted_workers

SENDINGS = 8


@pytest.mark.parametrize("database", [
    "sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
        not PG_URL, reason="PAYGROUND_TEST_DATABASE_URL is not set"))])
def test_a_form_sent_at_once_to_two_workers_creates_one_key(tmp_path, database):
    with ExitStack() as stack:
        env = {"PAYGROUND_RATE_LIMITS": "off"}
        if database == "postgresql":  # the second sending waits at the nonce's unique index
            env["PAYGROUND_DATABASE_URL"] = stack.enter_context(fresh_pg_schema("nonces"))
        answers, listed, secret, err = run(tmp_path, env)
    assert len(booted_workers(err)) == 2, err
    assert sorted(r.status_code for r in answers) == [200] + [409] * (SENDINGS - 1)
    [key_id] = [k["id"] for k in listed["data"] if k["name"] == "ci"]
    for refused in (r for r in answers if r.status_code == 409):
        assert "Form already sent" in refused.text and secret not in refused.text
        # However soon after the first each came, it links to rolling the key made then:
        # the first sending's request id was committed with its nonce.
        assert f'href="/dashboard/keys/{key_id}/roll"' in refused.text


def run(tmp_path, env):
    process = ServeProcess(tmp_path / "home", "--server", "gunicorn", "--workers", "2",
                           env=env)
    try:
        body = process.signup(f"nonce-{os.getpid()}@{DOMAIN}")
        cookies = {"payground_session": body["session"]}
        page = requests.get(f"{process.url}/dashboard/keys", cookies=cookies, timeout=30).text
        form = re.search(r'<form method="post" action="/dashboard/keys"[^>]*>(.*?)</form>',
                         page, re.S).group(1)
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
        fields.update(type="secret", name="ci")

        def send(_):
            return requests.post(f"{process.url}/dashboard/keys", data=fields, cookies=cookies,
                                 headers={"Connection": "close"}, timeout=30)

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(send, range(SENDINGS)))
        listed = requests.get(f"{process.url}/sandbox/keys", timeout=30,
                              headers={"Authorization": f"Bearer {body['session']}"}).json()
    finally:
        _, err = process.stop()
    shown = re.findall(r'value="(sk_test_[0-9A-Za-z]+)"', "".join(r.text for r in answers))
    assert len(shown) == 1, [r.status_code for r in answers]
    return answers, listed, shown[0], err
