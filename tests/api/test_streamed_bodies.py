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


# A body that ends early. granian and gunicorn end the stream where the client stopped (its
# connection dropped before the Content-Length it declared) and set wsgi.input_terminated, so
# Werkzeug's LimitedStream, which would notice, is not there: the part that arrived ran.

CHARGE = b"amount=1000&currency=usd&source=tok_visa&capture=false"
CUT = len(b"amount=1000&currency=usd&source=tok_visa")  # a charge of its own: captured


def charges(account):
    return account.get("/v1/charges").get_json()["data"]


def test_a_body_shorter_than_its_content_length_is_refused_and_changes_nothing(account):
    cut = account.client.post(
        "/v1/charges", input_stream=io.BytesIO(CHARGE[:CUT]),
        headers={**account.auth(), "Content-Type": FORM},
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": str(len(CHARGE))})

    assert_error(cut, 400, message=messages.MALFORMED_BODY)
    assert charges(account) == []


def test_a_body_as_long_as_its_content_length_runs(account):
    whole = account.client.post(
        "/v1/charges", input_stream=io.BytesIO(CHARGE),
        headers={**account.auth(), "Content-Type": FORM},
        environ_overrides={"wsgi.input_terminated": True, "CONTENT_LENGTH": str(len(CHARGE))})

    assert whole.status_code == 200, whole.get_json()
    assert whole.get_json()["captured"] is False


class BrokenChunks(io.BytesIO):
    """A de-chunking stream that meets a malformed chunk after ``good``, as the servers raise
    it: Werkzeug's an OSError, gunicorn's an InvalidChunkSize (not an OSError)."""

    def __init__(self, good: bytes, error: Exception) -> None:
        super().__init__(good)
        self.error = error

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        if not data:
            raise self.error
        return data


@pytest.mark.parametrize("error", [OSError("Invalid chunk header"),
                                   Exception("Invalid chunk size: 'zz'")])
def test_a_body_with_broken_chunks_is_refused_and_changes_nothing(account, error):
    broken = account.client.post(
        "/v1/charges", input_stream=BrokenChunks(CHARGE[:CUT], error),
        headers={**account.auth(), "Content-Type": FORM, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True})

    assert_error(broken, 400, message=messages.MALFORMED_BODY)
    assert charges(account) == []


@pytest.mark.parametrize("length", ["-5", "abc", "1e2"])
def test_a_content_length_that_is_not_a_number_is_refused_and_changes_nothing(account, length):
    # Werkzeug reads it as 0: the customer was made without the email it was sent with.
    r = account.client.post("/v1/customers", data=b"email=a@b.co",
                            headers={**account.auth(), "Content-Type": FORM},
                            environ_overrides={"CONTENT_LENGTH": length})

    assert_error(r, 400, message=messages.MALFORMED_BODY)
    assert customers(account) == []


def test_an_empty_content_length_is_no_body(account):
    r = account.client.post("/v1/customers", headers={**account.auth(), "Content-Type": FORM},
                            environ_overrides={"CONTENT_LENGTH": ""})

    assert r.status_code == 200, r.get_json()
