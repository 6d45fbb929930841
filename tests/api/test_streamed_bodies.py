"""Bodies sent without Content-Length (Transfer-Encoding: chunked) are read whole or refused,
never cut at MAX_CONTENT_LENGTH: Werkzeug's own limit truncates them silently, and the
parameters of a cut body would run as if sent. In-process here; over HTTP through granian
(`payground serve`) in tests/test_serve_granian.py."""

import io

import pytest

from payground import messages
from tests.helpers import assert_error

FORM = "application/x-www-form-urlencoded"


def streamed(account, body: bytes, path="/v1/customers"):
    """POST ``body`` as a server that de-chunks it hands it over: no length, stream ended."""
    return account.client.post(
        path, input_stream=io.BytesIO(body),
        headers={**account.auth(), "Content-Type": FORM, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True})


def customers(account):
    return account.get("/v1/customers").get_json()["data"]


@pytest.mark.parametrize("over", [1, 3 * 1024 * 1024])
def test_a_streamed_body_over_the_limit_is_413_and_changes_nothing(app, account, over):
    limit = app.config["MAX_CONTENT_LENGTH"]
    # Cut at the limit, this body would read as a customer with a shorter description and
    # no email: it must not run at all.
    body = b"description=" + b"x" * (limit - len("description=") + over) + b"&email=a@b.co"

    assert_error(streamed(account, body), 413, message=messages.REQUEST_TOO_LARGE)
    assert customers(account) == []


def test_a_streamed_body_within_the_limit_is_read_whole(app, account):
    limit = app.config["MAX_CONTENT_LENGTH"]
    metadata = b"&".join(b"metadata[k%d]=%s" % (i, b"v" * 400) for i in range(40))
    body = metadata + b"&email=whole@example.com"
    assert len(body) < limit

    made = streamed(account, body)

    assert made.status_code == 200, made.get_json()
    assert made.get_json()["email"] == "whole@example.com"
    assert len(made.get_json()["metadata"]) == 40


def test_an_empty_streamed_body_is_an_empty_body(account):
    assert streamed(account, b"").status_code == 200
    assert len(customers(account)) == 1
