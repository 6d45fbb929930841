"""Talking to a running server from the CLI: a small JSON client and its errors."""

from __future__ import annotations

import time
from typing import Any

import click

from .. import __version__


# --- talking to a running server -----------------------------------------------------------


class ServerError(click.ClickException):
    """The server answered with Stripe's error envelope; shown as its ``message``, and the
    ``param`` when the message does not name it."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        from ..errors import error_line

        super().__init__(error_line(error, status))
        self.status = status
        self.code = error.get("code")
        self.error = error


# Log-ins and sign-ups refused with 429 (a room behind one address shares the log-in
# throttle's budget) are retried as the answer's Retry-After says, a few times, saying so.
# The refusal comes before the password is checked (http/login_throttle.py), so however
# many tries it takes, the password the user typed is checked once.
CREDENTIAL_PATHS = frozenset({"/sandbox/login", "/sandbox/signup"})
CREDENTIAL_RETRIES = 3
MAX_WAIT = 60  # seconds: a longer Retry-After is not waited for (the error says how long)
# How the CLI waits before a retry (tests replace it: nothing there sleeps for real).
wait = time.sleep


class _Client:
    """A small JSON client for the sandbox and /v1 APIs; failures become click errors."""

    def __init__(self, url: str) -> None:
        import requests

        self._requests = requests
        self.url = url
        self.http = requests.Session()
        self.http.headers["User-Agent"] = f"payground-cli/{__version__}"

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *_exc) -> None:
        self.http.close()

    def call(self, method: str, path: str, *, key: str | None = None,
             json: dict | None = None, data: dict | None = None,
             params: dict | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        credentials = path in CREDENTIAL_PATHS
        retries = CREDENTIAL_RETRIES if credentials else 4
        for attempt in range(retries + 1):
            try:
                response = self.http.request(method, self.url + path, headers=headers,
                                             json=json, data=data, params=params, timeout=30)
            except self._requests.Timeout:
                raise click.ClickException(
                    f"Payground at {self.url} did not answer within 30 seconds.") from None
            except self._requests.ConnectionError:
                raise click.ClickException(
                    f"cannot reach Payground at {self.url}: is `payground serve` running "
                    "there? (use --url for another address)") from None
            if response.status_code != 429 or attempt == retries:
                break
            seconds = _retry_after(response)
            if not credentials:
                # Rate limited (test mode allows 25 requests a second): wait as told.
                wait(min(seconds, 5))
            elif seconds <= MAX_WAIT:
                click.echo(f"Payground refuses log-ins from this address for now (too many "
                           f"failed or at once); trying again in {seconds} s "
                           f"({attempt + 1} of {retries})...", err=True)
                wait(seconds)
            else:
                break
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if response.status_code >= 400 and isinstance(error, dict):
            seconds = response.headers.get("Retry-After")
            if response.status_code == 429 and seconds:
                tries = (f"Still refused after {attempt + 1} tries: retry"
                         if credentials and attempt else "Retry")
                error = {**error,
                         "message": f"{error.get('message', '')} ({tries} in {seconds} s.)"}
            raise ServerError(response.status_code, error)
        if response.status_code >= 400 or not isinstance(body, dict):
            raise click.ClickException(
                f"{self.url} did not answer {method} {path} like a Payground server "
                f"(HTTP {response.status_code}).")
        return body


def _retry_after(response) -> int:
    """The answer's ``Retry-After`` in whole seconds (1 if missing or not a number of
    seconds: Payground never sends an HTTP date)."""
    value = (response.headers.get("Retry-After") or "").strip()
    return max(1, int(value)) if value.isascii() and value.isdigit() else 1


def _mask(key: str) -> str:
    """Terminal form of a secret: first 8 characters ... last 4 (``sk_test_...Ab12``)."""
    return f"{key[:8]}...{key[-4:]}"
